// Package tasks is the contract every task type implements and the registry that
// maps a configuration's `type:` to it. Task types live in their own packages
// below this one; tasks/builtin lists them.
//
// # Adding a task type
//
// Copy the layout of an existing task package (tasks/inactiveids, tasks/inventory):
//
//	options.go   the typed options, their defaults and Validate (every problem at once)
//	api.go       the IBM Cloud calls the task makes, behind narrow interfaces
//	<type>.go    Type() (built with Define) and the task's logic
//	rows.go      the report's columns (declared once), row builders, findings, summary
//	testdata/    golden reports and fixtures
//
// Then add one line to tasks/builtin. Run returns a Result: the findings it
// counted (what failOn compares) and its summary. A task that changes anything
// in IBM Cloud plans its changes as action.Steps and hands them to env.Actions,
// which applies dry-run, caps and exemptions and writes nothing itself; see
// docs/architecture.md.
package tasks

import (
	"context"
	"log/slog"
	"time"

	"github.com/trustjob/trustjob/internal/action"
	"github.com/trustjob/trustjob/internal/config"
	"github.com/trustjob/trustjob/internal/ibmcloud"
	"github.com/trustjob/trustjob/internal/report"
)

// Task is one configured, validated instance of a task type, ready to run.
type Task interface {
	// Run does the work, streaming rows to out as they arrive, and returns its
	// findings and summary. It must honour ctx (per-task timeout, SIGTERM): on
	// cancellation it stops and returns what it has with ctx's error wrapped.
	// The Result is used whether or not err is nil (a partial report).
	Run(ctx context.Context, env Env, out Output) (Result, error)
}

// Output is where a task streams its report rows; the runner writes the
// summary from the Result. Implementations are safe for concurrent use.
type Output interface {
	Write(row report.Row) error
}

// Result is what a task's run produced besides its rows.
type Result struct {
	// Findings counts the task's findings; failOn compares Findings.Failing().
	Findings Findings
	// Summary is the task's own totals, written with its report and into
	// run-summary.json. The runner adds "findings" from Findings.
	Summary report.Summary
}

// ReportSummary is the summary as written: the task's keys plus "findings"
// (the failing count failOn compares) and, when there are any,
// "findings_by_severity".
func (r Result) ReportSummary() report.Summary {
	s := report.Summary{}
	for k, v := range r.Summary {
		s[k] = v
	}
	s["findings"] = r.Findings.Failing()
	if by := r.Findings.BySeverity(StatusFail); len(by) > 0 {
		s["findings_by_severity"] = by
	}
	return s
}

// Env is everything a task may use. Tasks reach for nothing global.
type Env struct {
	Logger  *slog.Logger      // already carries run_id, task and type
	Clients *ibmcloud.Clients // SDK clients sharing one trusted-profile authenticator
	// Actions is the one way a task changes anything in IBM Cloud: it takes
	// planned steps and applies dry-run, caps, exemptions and the report
	// vocabulary. The runner builds it with the run's and the task's dry-run.
	Actions *action.Executor
	// Account is the IBM Cloud account ID, read from the access token's
	// account.bss claim (never configured).
	Account string
	// ProfileIAMID is the trusted profile's own iam_id (iam-Profile-...); tasks
	// that act on identities must never act on it.
	ProfileIAMID string
	TaskName     string
	Now          func() time.Time
	// DryRun is true when `trustjob run --dry-run` or the task's own
	// `dryRun:` makes the task read-only. Tasks only report it: the executor
	// and the HTTP transport enforce it.
	DryRun bool
	// StateDir is DIR/<task> of the output directory, where earlier reports
	// (latest.jsonl) can be read for change reports. Empty without an output dir.
	StateDir string
	// Previous, when set (output.cos), is where change reports read the
	// previous run's report instead of StateDir.
	Previous report.Previous
}

// Type describes a task type: how to decode its options, build it, and
// document it. Build one with Define.
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

// ReadOnly is implemented by the options of task types that have a `dryRun:`
// setting. When ReadOnly returns true the runner marks the task's context
// dry-run, so the HTTP transport refuses writes even from code that forgets to
// ask, and the executor takes no action.
type ReadOnly interface {
	ReadOnly() bool
}

// Permission is one IAM access policy a task type needs.
type Permission struct {
	Service string // IAM service name, e.g. "resource-controller"
	Role    string // e.g. "Viewer"
	Why     string // what the task uses it for
}
