// Package inactiveids is the inactive-identities task: it creates IAM's
// inactive-identities report, reports all four sections (users, API keys,
// service IDs, trusted profiles) enriched from paged listings joined in memory,
// honours exemptions, and optionally acts on what it finds (disable or lock API
// keys, lock service IDs, remove identities from every access group): dry-run
// by default, capped by maxActions, every action or skip a row of the report.
package inactiveids

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/IBM/platform-services-go-sdk/iamidentityv1"
	"github.com/trustjob/trustjob/internal/report"
	"github.com/trustjob/trustjob/tasks"
)

// TypeName is the task type's `type:` value.
const TypeName = "inactive-identities"

// Record kinds of the report's rows.
const (
	RecordIdentity = "identity"
	RecordAction   = "action"
)

// Columns of the report, in output order.
var Columns = []string{
	"record", "kind", "id", "iam_id", "name", "owner", "created_at", "last_authn", "never_used",
	"inactive_days", "locked", "disabled", "exempt", "exempt_reason", "action", "result", "detail",
}

// Type is the inactive-identities task type, for tasks/builtin.
func Type() tasks.Type {
	return tasks.Type{
		Name: TypeName,
		Description: "Report users, API keys, service IDs and trusted profiles unused for inactiveFor " +
			"(IAM's activity report), with exemptions; optionally disable/lock them (dry-run by default)",
		Schema:      report.Schema{Columns: Columns},
		NewOptions:  func() tasks.Options { return NewOptions() },
		New:         New,
		Permissions: Permissions,
		Probe:       Probe,
	}
}

// Permissions is the IAM access the trusted profile needs. The write roles are
// only needed for the configured actions, and only when dryRun is false.
var Permissions = []tasks.Permission{
	{Service: "iam-identity", Role: "Service Configuration Reader",
		Why: "create and read the inactive-identities report (iam-identity.report.create/get); IBM's docs name Administrator for managing inactive identities, so grant that if the report answers 403"},
	{Service: "iam-identity", Role: "Viewer", Why: "list service IDs and trusted profiles (ListServiceIds, ListProfiles)"},
	{Service: "iam-identity", Role: "API key reviewer", Why: "list every API key of the account (ListAPIKeys scope=account)"},
	{Service: "user-management", Role: "Viewer", Why: "list users (ListUsers) for when they were added"},
	{Service: "iam-groups", Role: "Viewer", Why: "remove-from-access-groups only: list groups and members to skip identities in none"},
	{Service: "iam-identity", Role: "Operator", Why: "disable-apikey, lock-apikey, lock-serviceid actions (iam-identity.apikey.disable, iam-identity.apikey.lock, iam-identity.serviceid.lock)"},
	{Service: "iam-groups", Role: "Editor", Why: "remove-from-access-groups action (iam-groups.members.delete)"},
}

// Probe makes one cheap authorised read: the first service ID of the account.
func Probe(ctx context.Context, env tasks.Env) error {
	if env.Clients == nil || env.Clients.IAMIdentity == nil {
		return errors.New("probe inactive-identities: no IAM Identity client")
	}
	opts := &iamidentityv1.ListServiceIdsOptions{AccountID: &env.Account}
	opts.SetPagesize(1)
	_, resp, err := env.Clients.IAMIdentity.ListServiceIdsWithContext(ctx, opts)
	if err != nil {
		return wrapCall("probe inactive-identities (list service IDs)", needSIDs, resp, err)
	}
	return nil
}

// New builds the task from validated options.
func New(o tasks.Options) (tasks.Task, error) {
	opts, ok := o.(*Options)
	if !ok {
		return nil, fmt.Errorf("inactive-identities: options of type %T, want *inactiveids.Options", o)
	}
	return &Task{opts: opts, sleep: sleepCtx}, nil
}

// Task is a configured inactive-identities task.
type Task struct {
	opts  *Options
	sleep func(context.Context, time.Duration) error
	// Test seams: nil means env.Clients.
	iam    identityAPI
	users  usersAPI
	groups groupsAPI
}

// Run creates and polls the report, lists identities, joins them, writes one
// row per inactive identity, plans and (unless dry-run) takes the actions, and
// writes one row per action step.
func (t *Task) Run(ctx context.Context, env tasks.Env, out report.Writer) error {
	log := env.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	now := time.Now
	if env.Now != nil {
		now = env.Now
	}
	iam, users, groups := t.iam, t.users, t.groups
	if env.Clients != nil {
		if iam == nil && env.Clients.IAMIdentity != nil {
			iam = env.Clients.IAMIdentity
		}
		if users == nil && env.Clients.UserManagement != nil {
			users = env.Clients.UserManagement
		}
		if groups == nil && env.Clients.AccessGroups != nil {
			groups = env.Clients.AccessGroups
		}
	}
	if iam == nil || users == nil || (groups == nil && t.hasAction(ActionRemoveFromGroups)) {
		return errors.New("inactive-identities: missing IBM Cloud clients")
	}
	sum := summary{dryRun: t.opts.DryRun || env.DryRun, window: t.opts.InactiveFor.D()}
	defer func() { out.SetSummary(sum.render()) }()

	// The report takes a while to generate; list meanwhile.
	p := &poller{api: iam, account: env.Account, hours: int(t.opts.InactiveFor.D() / time.Hour),
		interval: t.opts.PollInterval.D(), maxInterval: t.opts.PollMaxInterval.D(), log: log, sleep: t.sleep}
	l := &lister{iam: iam, users: users, account: env.Account}
	// Either failing cancels the other, so a 403 on the report does not wait
	// for ten thousand API keys to be listed.
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		cat     *catalog
		listErr error
		done    = make(chan struct{})
	)
	go func() {
		defer close(done)
		if cat, listErr = l.listAll(rctx); listErr != nil {
			cancel()
		}
	}()
	res, repErr := p.fetch(rctx)
	if repErr != nil {
		cancel()
	}
	<-done
	sum.reference, sum.polls, sum.recreated = res.reference, res.polls, res.recreated
	if err := firstCause(ctx, repErr, listErr); err != nil {
		return fmt.Errorf("inactive-identities: %w", err)
	}
	log.Info("inactive-identities report ready", "reference", res.reference, "polls", res.polls, "recreated", res.recreated)

	ids := buildIdentities(res.report, cat)
	ex := newExempter(t.opts, env.ProfileIAMID)
	at := now()
	for _, id := range ids {
		ex.apply(id)
		sum.addIdentity(id, at)
		if err := out.Write(identityRow(id, at, sum.window)); err != nil {
			return fmt.Errorf("inactive-identities: write report row: %w", err)
		}
	}

	var actErr error
	if len(t.opts.Actions) > 0 {
		a := &actor{opts: t.opts, iam: iam, groups: groups, account: env.Account, dryRun: sum.dryRun,
			now: at, window: sum.window, log: log}
		o := a.run(ctx, a.plan(ctx, ids))
		sum.addOutcome(o)
		for _, s := range o.steps {
			if err := out.Write(actionRow(s, at, sum.window)); err != nil {
				return fmt.Errorf("inactive-identities: write action row: %w", err)
			}
		}
		actErr = o.err
	}
	sum.complete = true
	log.Info("inactive-identities done", "findings", sum.findings, "exempt", sum.exempt,
		"actions_taken", sum.taken, "actions_failed", sum.failed, "dry_run", sum.dryRun)
	if actErr != nil {
		return fmt.Errorf("inactive-identities: %w", actErr)
	}
	return nil
}

// firstCause returns the first error that is not merely the cancellation one
// failure caused in the other (ctx itself still live), else the first error.
func firstCause(ctx context.Context, errs ...error) error {
	var first error
	for _, e := range errs {
		if e == nil {
			continue
		}
		if first == nil {
			first = e
		}
		if ctx.Err() != nil || !errors.Is(e, context.Canceled) {
			return e
		}
	}
	return first
}

func (t *Task) hasAction(name string) bool {
	for _, a := range t.opts.Actions {
		if a.Action == name {
			return true
		}
	}
	return false
}
