// Package tasks is the contract every task type implements and the registry that
// maps a configuration's `type:` to it. Task types live in their own packages
// below this one; tasks/builtin lists them.
package tasks

import (
	"context"
	"log/slog"
	"time"

	"github.com/trustjob/trustjob/internal/config"
	"github.com/trustjob/trustjob/internal/ibmcloud"
	"github.com/trustjob/trustjob/internal/report"
)

// Task is one configured, validated instance of a task type, ready to run.
type Task interface {
	// Run does the work, streaming rows to out as they arrive and setting a
	// summary. It must honour ctx (per-task timeout, SIGTERM): on cancellation it
	// stops, sets what it has in the summary, and returns ctx's error wrapped.
	Run(ctx context.Context, env Env, out report.Writer) error
}

// Env is everything a task may use. Tasks reach for nothing global.
type Env struct {
	Logger  *slog.Logger      // already carries run_id, task and type
	Clients *ibmcloud.Clients // SDK clients sharing one trusted-profile authenticator
	// Account is the IBM Cloud account ID, read from the access token's
	// account.bss claim (never configured).
	Account string
	// ProfileIAMID is the trusted profile's own iam_id (iam-Profile-...); tasks
	// that act on identities must never act on it.
	ProfileIAMID string
	TaskName     string
	Now          func() time.Time
	// DryRun is true when `trustjob run --dry-run` forces every task read-only.
	DryRun bool
	// StateDir is DIR/<task> of the output directory, where earlier reports
	// (latest.jsonl) can be read for change reports. Empty without an output dir.
	StateDir string
	// Previous, when set (output.cos), is where change reports read the
	// previous run's report instead of StateDir.
	Previous report.Previous
}

// Type describes a task type: how to decode its options, build it, and document it.
type Type struct {
	// Name is the value of `type:` in the configuration, e.g. "inventory".
	Name string
	// Description is one line for `trustjob tasks`.
	Description string
	// Schema lists the report columns.
	Schema report.Schema
	// NewOptions returns a pointer to the options struct with defaults filled in;
	// the loader decodes the task's `options:` into it strictly.
	NewOptions func() Options
	// New builds the task from decoded, validated options.
	New func(opts Options) (Task, error)
	// Permissions lists the IAM access the trusted profile needs, for
	// `trustjob tasks`, the README and 403 explanations.
	Permissions []Permission
	// Probe makes one cheap authorised read with the task's permissions, for
	// `trustjob doctor`. Nil when the task needs no IBM Cloud access.
	Probe func(ctx context.Context, env Env) error
}

// Options is a task type's typed options. Validate is pure (no I/O) and returns
// every problem, with paths relative to the task's `options:`.
type Options interface {
	Validate() []config.FieldError
}

// Permission is one IAM access policy a task type needs.
type Permission struct {
	Service string // IAM service name, e.g. "resource-controller"
	Role    string // e.g. "Viewer"
	Why     string // what the task uses it for
}
