// Package apikeyrotation is the apikey-rotation task: API keys older than
// maxAge (CIS 1.3), with their owner and last use, and an optional
// disable-apikey action for keys that have been reported for grace, run
// through the shared action executor (dry-run by default, capped).
package apikeyrotation

import (
	"context"
	"errors"
	"fmt"

	"github.com/IBM/go-sdk-core/v5/core"
	"github.com/IBM/platform-services-go-sdk/iamidentityv1"
	"github.com/trustjob/trustjob/internal/action"
	"github.com/trustjob/trustjob/internal/config"
	"github.com/trustjob/trustjob/internal/exemption"
	"github.com/trustjob/trustjob/internal/firstseen"
	"github.com/trustjob/trustjob/internal/iamread"
	"github.com/trustjob/trustjob/internal/ibmcloud"
	"github.com/trustjob/trustjob/internal/report"
	"github.com/trustjob/trustjob/tasks"
	"github.com/trustjob/trustjob/tasks/posture"
)

// TypeName is the task type's `type:` value.
const TypeName = "apikey-rotation"

// Type is the apikey-rotation task type, for tasks/builtin.
func Type() tasks.Type {
	return tasks.Define(tasks.Spec[Options]{
		Name: TypeName,
		Description: "Report API keys older than maxAge (CIS 1.3) with owner and last use; optionally disable " +
			"them once reported for grace (dry-run by default, capped)",
		Columns:     columns,
		Defaults:    NewOptions,
		New:         func(o *Options) tasks.Task { return &task{opts: o} },
		Permissions: permissions,
		Probe:       probe,
	})
}

var permissions = []tasks.Permission{
	{Service: "iam-identity", Role: "Administrator", Why: "list every user's API keys (ListAPIKeys scope=account) and read the activity report for last use (API key reviewer suffices without lastUse for service-ID keys); list service-ID groups and service IDs (per group) for their names"},
	{Service: "user-management", Role: "Viewer", Why: "resolveOwners: users' logins"},
	{Service: "iam-identity", Role: "Operator", Why: "disable-apikey action only (iam-identity.apikey.disable)"},
}

func probe(ctx context.Context, env tasks.Env) error {
	if env.Clients == nil || env.Clients.IAMIdentity == nil {
		return errors.New("probe apikey-rotation: no IAM Identity client")
	}
	o := &iamidentityv1.ListAPIKeysOptions{AccountID: &env.Account, Scope: core.StringPtr("account")}
	o.SetPagesize(1)
	_, resp, err := env.Clients.IAMIdentity.ListAPIKeysWithContext(ctx, o)
	return ibmcloud.WrapNeed("probe apikey-rotation (list API keys)", iamread.NeedAPIKeys, resp, err)
}

// disabler is the write the action makes.
type disabler interface {
	DisableAPIKeyWithContext(context.Context, *iamidentityv1.DisableAPIKeyOptions) (*core.DetailedResponse, error)
}

type task struct {
	opts   *Options
	reader *iamread.Reader // tests
	writer disabler        // tests
}

func (t *task) Run(ctx context.Context, env tasks.Env, out tasks.Output) (tasks.Result, error) {
	log := env.Log()
	at := env.Time()
	r := t.reader
	if r == nil {
		r = posture.NewReader(env, t.opts.PollInterval.D(), t.opts.PollMaxInterval.D())
	}
	// Progress lines for long listings (pages, rows, rate) while it reads.
	defer r.TrackProgress(ctx, log, t.opts.ProgressInterval.D())()
	var res tasks.Result
	sum := report.Summary{"max_age": t.opts.MaxAge.String(), "grace": t.opts.Grace.String(), "complete": false}
	res.Summary = sum
	base := firstseen.ForTask(ctx, env.Previous, env.TaskName, env.StateDir, log, firstseen.ByID(recordKey))
	sum["baseline"], sum["baseline_findings"] = base.Source, base.Len()

	// The activity report (last use) is generated while the keys are listed.
	type activity struct {
		last map[string]iamread.Activity
		err  error
	}
	actc := make(chan activity, 1)
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if t.opts.LastUse {
		go func() {
			rep, err := r.ActivityReport(rctx, t.opts.MaxAge.D())
			a := activity{last: map[string]iamread.Activity{}, err: err}
			for _, it := range rep.Items {
				if it.Kind == "apikey" {
					a.last[it.ID] = it
				}
			}
			actc <- a
		}()
	} else {
		actc <- activity{}
	}
	var (
		old   []*key
		total int
	)
	listErr := r.APIKeys(rctx, func(k iamread.APIKey) error {
		total++
		if k.Disabled || k.CreatedAt.IsZero() || at.Sub(k.CreatedAt) <= t.opts.MaxAge.D() {
			return nil
		}
		old = append(old, &key{id: k.ID, name: k.Name, owner: k.IAMID, createdBy: k.CreatedBy, description: k.Description,
			kind: k.Kind(), created: k.CreatedAt, locked: k.Locked, disabled: k.Disabled})
		return nil
	})
	if listErr == nil && t.opts.ResolveOwners && len(old) > 0 {
		listErr = resolveOwners(rctx, r, old)
	}
	if listErr != nil {
		cancel()
	}
	act := <-actc
	sum["keys_listed"] = total
	if listErr != nil {
		return res, fmt.Errorf("apikey-rotation: %w", listErr)
	}
	if act.err != nil {
		return res, fmt.Errorf("apikey-rotation: last use: %w (set lastUse: false to report without it)", act.err)
	}
	window := config.Duration(t.opts.MaxAge.D()).String()
	exempt := 0
	for _, k := range old {
		k.firstSeen = base.FirstSeen(k.id, at)
		switch a, inactive := act.last[k.id]; {
		case !t.opts.LastUse:
			k.lastUse = "not read (lastUse: false)"
		case !inactive:
			k.lastUse = "used within " + window
		case a.LastAuthnRaw != "":
			k.lastUse = fmt.Sprintf("unknown: IAM's last_authn %q is no timestamp trustjob reads (not used within %s)", a.LastAuthnRaw, window)
		case a.LastAuthn == nil:
			k.lastUse = "never used"
		default:
			k.lastAuthn = a.LastAuthn
			k.lastUse = "last used " + fmtTime(*a.LastAuthn)
		}
		if why, ok := t.opts.Exemptions.Match(exemption.Target{ID: k.id, IAMID: k.owner, Name: k.name, Description: k.description}, env.ProfileIAMID); ok {
			k.exempt = why
			exempt++
		}
		res.Findings.Add(k.finding())
		if err := out.Write(k.row(at)); err != nil {
			return res, fmt.Errorf("apikey-rotation: write report row: %w", err)
		}
	}
	sum["keys_over_max_age"], sum["exempt"] = len(old), exempt

	var actErr error
	if len(t.opts.Actions) > 0 {
		steps := make([]*action.Step, 0, len(old))
		for _, k := range old {
			s := &action.Step{Action: ActionDisable, Kind: "apikey-" + k.kind, Target: k.id, Ref: k, FirstSeen: k.firstSeen,
				Why: fmt.Sprintf("created %s, older than %s", fmtTime(k.created), window), Exempt: k.exempt}
			// The rule inactive-identities applies to its key actions.
			switch {
			case s.Exempt != "":
			case k.disabled:
				s.Already = "already disabled"
			case k.owner == "":
				s.Unsafe = "cannot tell who owns it: the API-key listing names no iam_id, so owner exemptions cannot be checked"
			case k.kind != iamread.KindServiceID && !t.opts.IncludeUserAPIKeys:
				s.Unsafe = "a user's own API key: IAM lets only that user manage it; set includeUserAPIKeys: true to try anyway"
			case k.locked:
				s.Unsafe = "locked: IAM refuses any change to a locked API key; unlock it (UnlockAPIKey) to disable it"
			}
			steps = append(steps, s)
		}
		w := t.writer
		if w == nil && env.Clients != nil && env.Clients.IAMIdentity != nil {
			w = env.Clients.IAMIdentity
		}
		if w == nil {
			return res, errors.New("apikey-rotation: no IAM Identity client for the action")
		}
		do := func(ctx context.Context, s *action.Step) error {
			resp, err := w.DisableAPIKeyWithContext(ctx, &iamidentityv1.DisableAPIKeyOptions{ID: &s.Target})
			return ibmcloud.WrapNeed("disable API key "+s.Target, "the trusted profile needs Operator (iam-identity.apikey.disable) on IAM Identity Service, and a user's own key can be disabled only by that user", resp, err)
		}
		actErr = tasks.TakeActions(ctx, env, out, action.Batch{Steps: steps, Do: do, DryRun: t.opts.DryRun, MaxActions: t.opts.MaxActions,
			MaxPercent: t.opts.MaxPercent, Population: total, Grace: t.opts.Grace.D(), Now: at,
			Success: func(string) string { return "disabled (EnableAPIKey undoes it)" }},
			func(s *action.Step) report.Row { return actionRow(s, at) }, sum)
	}
	sum["complete"] = true
	log.Info("apikey-rotation done", "keys", total, "over_max_age", len(old), "exempt", exempt)
	if actErr != nil {
		return res, fmt.Errorf("apikey-rotation: %w", actErr)
	}
	return res, nil
}

// resolveOwners names the owners of the old keys: a user's login, a service
// ID's name. One listing of each (pages, not a request per key); a user's key
// needs the users, a service ID's the service IDs.
func resolveOwners(ctx context.Context, r *iamread.Reader, old []*key) error {
	want := map[string]string{}
	users, sids := false, false
	for _, k := range old {
		want[k.owner] = ""
		users = users || k.kind == iamread.KindUser
		sids = sids || k.kind == iamread.KindServiceID
	}
	if users {
		if err := r.Users(ctx, func(u iamread.User) error {
			if _, ok := want[u.IAMID]; ok {
				want[u.IAMID] = u.UserID
			}
			return nil
		}); err != nil {
			return err
		}
	}
	if sids {
		if err := r.ServiceIDs(ctx, func(s iamread.ServiceID) error {
			if _, ok := want[s.IAMID]; ok {
				want[s.IAMID] = s.Name
			}
			return nil
		}); err != nil {
			return err
		}
	}
	for _, k := range old {
		k.ownerName = want[k.owner]
	}
	return nil
}
