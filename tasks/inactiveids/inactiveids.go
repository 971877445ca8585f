// Package inactiveids is the inactive-identities task: it creates IAM's
// inactive-identities report, reports all four sections (users, API keys,
// service IDs, trusted profiles) enriched from paged listings joined in memory,
// honours exemptions, and plans remediations (disable or lock API keys, lock
// service IDs, remove identities from every access group) that the action
// executor takes: dry-run by default, capped by maxActions, every step a row
// of the report.
//
// Files: options.go (options, Validate), api.go (the calls), inactiveids.go
// (the logic), rows.go (columns, rows, findings, summary).
package inactiveids

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/IBM/platform-services-go-sdk/iamidentityv1"

	"github.com/trustjob/trustjob/internal/action"
	"github.com/trustjob/trustjob/internal/exemption"
	"github.com/trustjob/trustjob/internal/iamread"
	"github.com/trustjob/trustjob/tasks"
)

// TypeName is the task type's `type:` value.
const TypeName = "inactive-identities"

// Type is the inactive-identities task type, for tasks/builtin.
func Type() tasks.Type {
	return tasks.Define(tasks.Spec[Options]{
		Name: TypeName,
		Description: "Report users, API keys, service IDs and trusted profiles unused for inactiveFor " +
			"(IAM's activity report), with exemptions; optionally disable service IDs' API keys, remove identities " +
			"from access groups, or lock keys and service IDs (a lock stops changes, not sign-ins: disable is the " +
			"remediation); dry-run by default. Users' own API keys only with includeUserAPIKeys (IAM lets only the user manage them)",
		Columns:     columns,
		Defaults:    NewOptions,
		New:         func(o *Options) tasks.Task { return &task{opts: o} },
		Permissions: permissions,
		Probe:       probe,
	})
}

// permissions is the IAM access the trusted profile needs. The write roles are
// only needed for the configured actions, and only when dryRun is false.
var permissions = []tasks.Permission{
	{Service: "iam-identity", Role: "Administrator",
		Why: "create and read the inactive-identities report, and the disable-apikey, lock-apikey and lock-serviceid actions: IBM documents Administrator on IAM Identity for managing inactive identities (a custom role needs iam-identity.report.create/get and the actions' apikey.disable, apikey.lock, serviceid.lock). No role lets a trusted profile change a user's own API key: only that user can"},
	{Service: "iam-identity", Role: "Viewer", Why: "list service-ID groups, service IDs (per group) and trusted profiles (ListServiceIDGroup, ListServiceIds, ListProfiles)"},
	{Service: "iam-identity", Role: "API key reviewer", Why: "list every API key of the account (ListAPIKeys scope=account)"},
	{Service: "user-management", Role: "Viewer", Why: "list users (ListUsers) for when they were added"},
	{Service: "iam-groups", Role: "Viewer", Why: "remove-from-access-groups only: list groups and members to skip identities in none"},
	{Service: "iam-groups", Role: "Editor", Why: "remove-from-access-groups action (iam-groups.members.delete)"},
}

// task is a configured inactive-identities task.
type task struct{ opts *Options }

// Run creates and polls the report, lists identities, joins them, writes one
// row per inactive identity, plans the actions and hands them to the executor,
// and writes one row per action step.
func (t *task) Run(ctx context.Context, env tasks.Env, out tasks.Output) (tasks.Result, error) {
	log := env.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	now := time.Now
	if env.Now != nil {
		now = env.Now
	}
	c := env.Clients
	if c == nil || c.IAMIdentity == nil || c.UserManagement == nil || (c.AccessGroups == nil && t.hasAction(ActionRemoveFromGroups)) {
		return tasks.Result{}, errors.New("inactive-identities: missing IBM Cloud clients")
	}
	sum := summary{dryRun: t.opts.DryRun || env.DryRun || env.Actions.DryRun(), window: t.opts.InactiveFor.D()}
	result := func() tasks.Result { return tasks.Result{Findings: sum.findings, Summary: sum.render()} }

	// The report takes a while to generate; list meanwhile.
	r := iamread.New(c, env.Account)
	r.PollInterval, r.PollMax, r.Log = t.opts.PollInterval.D(), t.opts.PollMaxInterval.D(), log
	stop := r.TrackProgress(ctx, log, t.opts.ProgressInterval.D())
	defer stop()
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
		defer func() {
			// A panic here would end the process without a summary.
			if r := recover(); r != nil {
				cat, listErr = nil, fmt.Errorf("listing failed unexpectedly (a bug; please report it): %v", r)
				cancel()
			}
		}()
		if cat, listErr = listAll(rctx, r); listErr != nil {
			cancel()
		}
	}()
	rep, run, repErr := r.InactiveReport(rctx, t.opts.InactiveFor.D())
	if repErr != nil {
		cancel()
	}
	<-done
	stop()
	sum.reference, sum.polls, sum.recreated = run.Reference, run.Polls, run.Recreated
	if err := firstCause(ctx, repErr, listErr); err != nil {
		return result(), fmt.Errorf("inactive-identities: %w", err)
	}
	log.Info("inactive-identities report ready", "reference", run.Reference, "polls", run.Polls, "recreated", run.Recreated)

	ids, dups := buildIdentities(rep, cat, log)
	sum.duplicates = dups
	ex := newExempter(t.opts, env.ProfileIAMID)
	at := now()
	for _, id := range ids {
		ex.apply(id)
		sum.addIdentity(id, at)
		if err := out.Write(identityRow(id, at, sum.window)); err != nil {
			return result(), fmt.Errorf("inactive-identities: write report row: %w", err)
		}
	}

	var actErr, planErr error
	if len(t.opts.Actions) > 0 {
		var steps []*action.Step
		steps, planErr = t.plan(ctx, ids, r, at, sum.window)
		w := &writer{iam: c.IAMIdentity, groups: c.AccessGroups, account: env.Account}
		o, err := env.Actions.Run(ctx, action.Batch{Steps: steps, Do: w.do, DryRun: t.opts.DryRun,
			MaxActions: t.opts.MaxActions, Now: at, Success: doneDetail})
		sum.addOutcome(o)
		for _, s := range o.Steps {
			if err := out.Write(actionRow(s, at, sum.window)); err != nil {
				return result(), fmt.Errorf("inactive-identities: write action row: %w", err)
			}
		}
		actErr = err
	}
	sum.complete = true
	log.Info("inactive-identities done", "findings", sum.findings.Failing(), "exempt", sum.exempt,
		"actions_taken", sum.actions[action.Done], "actions_failed", sum.actions[action.Failed], "dry_run", sum.dryRun)
	// A planning failure fails the task, in a dry run too: the preview would
	// otherwise look complete. It comes first, as it names the missing access.
	if planErr != nil {
		return result(), fmt.Errorf("inactive-identities: %w", planErr)
	}
	if actErr != nil {
		return result(), fmt.Errorf("inactive-identities: %w", actErr)
	}
	return result(), nil
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

func (t *task) hasAction(name string) bool {
	for _, a := range t.opts.Actions {
		if a.Action == name {
			return true
		}
	}
	return false
}

// ---- Planning ----

// plan lists, per configured action in order, every identity of a kind it
// applies to that has been inactive at least olderThan, and marks what the
// executor must skip: exempt (including the runner's own profile), already in
// the target state, unsafe to act on (owner or last use unknown, a user's key
// without the opt-in, a locked key), or in doubt (group memberships could not
// be read: then the error is returned too, and fails the task).
func (t *task) plan(ctx context.Context, ids []*identity, r *iamread.Reader, now time.Time, window time.Duration) ([]*action.Step, error) {
	var steps, needGroups []*action.Step
	disables := map[string]*action.Step{} // by key id, to order a lock after it
	var locks []*action.Step
	for _, cfg := range t.opts.Actions {
		kinds := map[string]bool{}
		for _, k := range actionKinds[cfg.Action] {
			kinds[k] = true
		}
		keyAction := cfg.Action == ActionDisableAPIKey || cfg.Action == ActionLockAPIKey
		for _, id := range ids {
			inactive := id.inactiveFor(now, window)
			if !kinds[id.kind] || inactive < cfg.OlderThan.D() {
				continue
			}
			s := &action.Step{Action: cfg.Action, Kind: id.kind, Target: id.id, Ref: id,
				Why: fmt.Sprintf("inactive %d days, olderThan %s", int(inactive/(24*time.Hour)), cfg.OlderThan)}
			if id.kind == KindAPIKey {
				// Refusals are remembered per kind: a refused user key
				// must not fail a service ID's key untried.
				s.Kind = KindAPIKey + "/" + id.ownerKind()
			}
			steps = append(steps, s)
			switch {
			case id.exempt:
				s.Exempt = id.exemptReason
			case id.id == "":
				s.Unsafe = "the report names no id for it"
			case !id.listed && id.kind != KindUser:
				s.Already = "no longer in the account's listing (deleted since the report)"
			case id.lastAuthnRaw != "":
				s.Unsafe = fmt.Sprintf("last use unknown: IAM's last_authn %q is no timestamp trustjob reads, and it never acts on an identity whose last use is unknown", id.lastAuthnRaw)
			case id.kind == KindAPIKey && id.ownerIAMID == "":
				s.Unsafe = "cannot tell who owns it: neither the API-key listing nor the report names its owner, so owner exemptions cannot be checked"
			case keyAction && id.ownerKind() != KindServiceID && !cfg.IncludeUserAPIKeys:
				s.Unsafe = "a user's own API key: IAM lets only that user manage it; set includeUserAPIKeys: true on this action to try anyway"
			case cfg.Action == ActionDisableAPIKey && id.disabled != nil && *id.disabled:
				s.Already = "already disabled"
			case (cfg.Action == ActionLockAPIKey || cfg.Action == ActionLockServiceID) && id.locked != nil && *id.locked:
				s.Already = "already locked"
			case cfg.Action == ActionDisableAPIKey && id.locked != nil && *id.locked:
				s.Unsafe = "locked: IAM refuses any change to a locked API key; unlock it (UnlockAPIKey) to disable it"
			case cfg.Action == ActionRemoveFromGroups:
				needGroups = append(needGroups, s)
			}
			switch cfg.Action {
			case ActionDisableAPIKey:
				disables[id.id] = s
			case ActionLockAPIKey:
				locks = append(locks, s)
			}
		}
	}
	// Disable before lock: once locked, a key can no longer be disabled.
	for _, l := range locks {
		if d := disables[l.Target]; d != nil {
			l.After = d
		}
	}
	var err error
	if len(needGroups) > 0 {
		// Only when remove-from-access-groups has candidates: the listing
		// costs requests in proportion to groups and members.
		var in map[string]bool
		in, err = members(ctx, r)
		for _, s := range needGroups {
			switch {
			case err != nil:
				s.Doubt = "cannot tell whether it is in any access group: " + err.Error()
			case !in[s.Ref.(*identity).iamID]:
				s.Already = "not a member of any access group"
			}
		}
		if err != nil {
			err = fmt.Errorf("plan %s: %w", ActionRemoveFromGroups, err)
		}
	}
	return steps, err
}

// ---- Identities ----

// Identity kinds, as in the report's `kind` column.
const (
	KindUser      = "user"
	KindAPIKey    = "apikey"
	KindServiceID = "serviceid"
	KindProfile   = "profile"
)

// identity is one inactive identity of the report, joined with the listings.
type identity struct {
	kind        string
	id          string // users: their iam_id
	iamID       string // API keys: the iam_id they authenticate as (their owner's)
	name        string
	owner       string // API keys: the owning user's e-mail or service ID's name
	ownerIAMID  string
	ownerID     string // API keys of service IDs: the ServiceId-...
	login       string // users: e-mail (or login name), also matched by name globs
	description string
	created     time.Time // zero when unknown
	lastAuthn   *time.Time
	// lastAuthnRaw is the report's last_authn when it could not be read:
	// the last use is unknown (not "never").
	lastAuthnRaw string
	ownerIsSID   bool  // API keys: owned by a service ID (else a user, or unknown)
	locked       *bool // nil where the kind has no such state
	disabled     *bool
	listed       bool // found in the listings (not deleted since the report)

	exempt       bool
	exemptReason string
}

// inactiveSince is when the identity's inactivity began: its last
// authentication, or its creation when it never authenticated. ok is false when
// neither is known.
func (id *identity) inactiveSince() (time.Time, bool) {
	if id.lastAuthnRaw != "" {
		return time.Time{}, false
	}
	if id.lastAuthn != nil {
		return *id.lastAuthn, true
	}
	return id.created, !id.created.IsZero()
}

// neverUsed: the report says it never authenticated (not merely unknown).
func (id *identity) neverUsed() bool { return id.lastAuthn == nil && id.lastAuthnRaw == "" }

// ownerKind is an API key's owner kind: serviceid, user, or unknown.
func (id *identity) ownerKind() string {
	switch {
	case id.ownerIAMID == "":
		return "unknown"
	case id.ownerIsSID:
		return KindServiceID
	}
	return KindUser
}

// inactiveFor is how long the identity has been inactive at now. Without a
// known start, the report's window is the best lower bound.
func (id *identity) inactiveFor(now time.Time, window time.Duration) time.Duration {
	since, ok := id.inactiveSince()
	if !ok {
		return window
	}
	return max(now.Sub(since), 0)
}

// buildIdentities turns the report's four sections into identities, in report
// order (users, API keys, service IDs, profiles), enriched from c. An entry
// repeated in the report (same kind and id) is kept once: acting on it twice
// would send two writes and count two findings. dups counts those dropped.
func buildIdentities(rep *iamidentityv1.Report, c *catalog, log *slog.Logger) (out []*identity, dups int) {
	seen := map[string]bool{}
	add := func(id *identity) {
		if id.id != "" {
			k := id.kind + "/" + id.id
			if seen[k] {
				dups++
				log.Warn("the inactive-identities report lists an identity twice; keeping the first", "kind", id.kind, "id", id.id)
				return
			}
			seen[k] = true
		}
		out = append(out, id)
	}
	last := func(id *identity, raw *string) {
		id.lastAuthn, id.lastAuthnRaw = iamread.LastAuthn(raw)
		if id.lastAuthnRaw != "" {
			log.Warn("unreadable last_authn in the inactive-identities report: last use unknown, no action on it",
				"kind", id.kind, "id", id.id, "last_authn", id.lastAuthnRaw)
		}
	}
	for _, u := range rep.Users {
		id := &identity{kind: KindUser, id: str(u.IamID), iamID: str(u.IamID), name: str(u.Name)}
		last(id, u.LastAuthn)
		if id.name == "" {
			id.name = str(u.Username)
		}
		id.login = str(u.Email)
		if id.login == "" {
			id.login = str(u.Username)
		}
		if info, ok := c.users[id.iamID]; ok {
			id.listed, id.created = true, info.AddedOn
		}
		add(id)
	}
	sidByIAMID := make(map[string]iamread.ServiceID, len(c.sids))
	for _, s := range c.sids {
		sidByIAMID[s.IAMID] = s
	}
	for _, k := range rep.Apikeys {
		id := &identity{kind: KindAPIKey, id: str(k.ID), name: str(k.Name)}
		last(id, k.LastAuthn)
		// The owner as the report gives it (an optional object)...
		var reportOwner string
		switch {
		case k.Serviceid != nil:
			id.owner = str(k.Serviceid.Name)
			if sid := str(k.Serviceid.ID); sid != "" {
				reportOwner = "iam-" + sid
			}
		case k.User != nil:
			reportOwner, id.owner = str(k.User.IamID), str(k.User.Email)
			if id.owner == "" {
				id.owner = str(k.User.Username)
			}
		}
		// ... and as the API-key listing gives it (iam_id, always there):
		// the listing wins, so owner exemptions never hang on the report's
		// optional fields.
		id.ownerIAMID = reportOwner
		if info, ok := c.keys[id.id]; ok {
			id.listed, id.created, id.description = true, info.CreatedAt, info.Description
			id.locked, id.disabled = ptr(info.Locked), ptr(info.Disabled)
			if info.IAMID != "" {
				if reportOwner != "" && reportOwner != info.IAMID {
					log.Warn("the report and the API-key listing name different owners; using the listing's",
						"id", id.id, "report_owner", reportOwner, "listing_owner", info.IAMID)
				}
				id.ownerIAMID = info.IAMID
			}
		}
		if s, ok := sidByIAMID[id.ownerIAMID]; ok || strings.HasPrefix(id.ownerIAMID, "iam-ServiceId-") {
			id.ownerIsSID, id.ownerID = true, strings.TrimPrefix(id.ownerIAMID, "iam-")
			if ok {
				id.ownerID = s.ID
				if id.owner == "" {
					id.owner = s.Name
				}
			}
		}
		id.iamID = id.ownerIAMID
		add(id)
	}
	for _, s := range rep.Serviceids {
		id := entityIdentity(KindServiceID, s)
		if info, ok := c.sids[id.id]; ok {
			id.listed, id.iamID, id.created, id.description = true, info.IAMID, info.CreatedAt, info.Description
			id.locked = ptr(info.Locked)
		}
		last(id, s.LastAuthn)
		add(id)
	}
	for _, p := range rep.Profiles {
		id := entityIdentity(KindProfile, p)
		if info, ok := c.profiles[id.id]; ok {
			id.listed, id.iamID, id.created, id.description = true, info.IAMID, info.CreatedAt, info.Description
		}
		last(id, p.LastAuthn)
		add(id)
	}
	return out, dups
}

// entityIdentity is a service ID or profile of the report; until a listing
// says otherwise, its iam_id is iam-<id>.
func entityIdentity(kind string, e iamidentityv1.EntityActivity) *identity {
	id := &identity{kind: kind, id: str(e.ID), name: str(e.Name)}
	if id.id != "" {
		id.iamID = "iam-" + id.id
	}
	return id
}

func ptr[T any](v T) *T { return &v }

// ---- Exemptions ----

// exempter decides exemptions from the options and the runner's own identity.
type exempter struct {
	ids       map[string]string
	iamIDs    map[string]string
	names     []NameExemption
	marker    string
	selfIAMID string
}

func newExempter(o *Options, selfIAMID string) *exempter {
	e := &exempter{ids: map[string]string{}, iamIDs: map[string]string{}, names: o.Exemptions.Names,
		marker: o.marker(), selfIAMID: selfIAMID}
	for _, x := range o.Exemptions.IDs {
		e.ids[strings.TrimSpace(x.ID)] = x.Reason
	}
	for _, x := range o.Exemptions.IAMIDs {
		e.iamIDs[strings.TrimSpace(x.IAMID)] = x.Reason
	}
	return e
}

// apply marks id exempt, with the first matching rule's reason: the runner's
// own profile, then ids, iam_ids (its own, then an API key's owner's), name
// globs, and the description marker.
func (e *exempter) apply(id *identity) {
	reason, ok := e.reason(id)
	id.exempt, id.exemptReason = ok, reason
}

func (e *exempter) reason(id *identity) (string, bool) {
	if e.selfIAMID != "" && (id.iamID == e.selfIAMID || "iam-"+id.id == e.selfIAMID) {
		return "the trusted profile trustjob runs as", true
	}
	if r, ok := e.ids[id.id]; ok {
		return "id exempt: " + r, true
	}
	if r, ok := e.iamIDs[id.iamID]; ok && id.kind != KindAPIKey {
		return "iam_id exempt: " + r, true
	}
	if id.kind == KindAPIKey {
		if r, ok := e.iamIDs[id.ownerIAMID]; ok {
			return fmt.Sprintf("owner %s exempt: %s", id.ownerIAMID, r), true
		}
		if r, ok := e.ids[id.ownerID]; ok && id.ownerID != "" {
			return fmt.Sprintf("owner %s exempt: %s", id.ownerID, r), true
		}
	}
	for _, n := range e.names {
		for _, candidate := range []string{id.name, id.login} {
			if candidate == "" {
				continue
			}
			if exemption.MatchGlob(n.Name, candidate) {
				return fmt.Sprintf("name matches %q: %s", n.Name, n.Reason), true
			}
		}
	}
	if e.marker != "" && strings.Contains(id.description, e.marker) {
		return fmt.Sprintf("description contains %q", e.marker), true
	}
	return "", false
}
