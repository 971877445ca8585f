// Package unusedpolicies is the unused-policies task: access policies that
// never granted a request, or not for unusedFor (IAM Policy Management's
// last-permit data), for users, service IDs, trusted profiles and access
// groups; with an optional remove-policy action limited to direct policies
// of users and service IDs, run through the shared action executor.
package unusedpolicies

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/IBM/go-sdk-core/v5/core"
	"github.com/IBM/platform-services-go-sdk/iampolicymanagementv1"
	"github.com/trustjob/trustjob/internal/action"
	"github.com/trustjob/trustjob/internal/exemption"
	"github.com/trustjob/trustjob/internal/firstseen"
	"github.com/trustjob/trustjob/internal/iamread"
	"github.com/trustjob/trustjob/internal/ibmcloud"
	"github.com/trustjob/trustjob/internal/report"
	"github.com/trustjob/trustjob/tasks"
	"github.com/trustjob/trustjob/tasks/posture"
)

// TypeName is the task type's `type:` value.
const TypeName = "unused-policies"

// Type is the unused-policies task type, for tasks/builtin.
func Type() tasks.Type {
	return tasks.Define(tasks.Spec[Options]{
		Name: TypeName,
		Description: "Report access policies not permitted for unusedFor (last-permit data); optionally remove " +
			"direct user and service-ID policies once reported for grace (dry-run by default, capped)",
		Columns:     columns,
		Defaults:    NewOptions,
		New:         func(o *Options) tasks.Task { return &task{opts: o} },
		Permissions: permissions,
		Probe:       probe,
	})
}

var permissions = []tasks.Permission{
	{Service: "iam-access-management", Role: "Editor", Why: "list policies with last-permit data (format=include_last_permit; IBM's inactive-policy view needs Editor on IAM Access Management); policies the caller cannot read are left out"},
	{Service: "iam-access-management", Role: "Administrator", Why: "remove-policy action only: delete a user's or service ID's direct policy (iam.policy.delete on the subject's resources)"},
}

func probe(ctx context.Context, env tasks.Env) error {
	if env.Clients == nil || env.Clients.PolicyManagement == nil {
		return errors.New("probe unused-policies: no Policy Management client")
	}
	o := &iampolicymanagementv1.ListV2PoliciesOptions{AccountID: &env.Account}
	o.SetLimit(1)
	o.SetFormat("include_last_permit")
	_, resp, err := env.Clients.PolicyManagement.ListV2PoliciesWithContext(ctx, o)
	return ibmcloud.WrapNeed("probe unused-policies (list policies)", iamread.NeedPolicies, resp, err)
}

// remover is the write the action makes.
type remover interface {
	DeleteV2PolicyWithContext(context.Context, *iampolicymanagementv1.DeleteV2PolicyOptions) (*core.DetailedResponse, error)
}

type task struct {
	opts   *Options
	reader *iamread.Reader // tests
	writer remover         // tests
}

func (t *task) Run(ctx context.Context, env tasks.Env, out tasks.Output) (tasks.Result, error) {
	log := env.Log()
	at := env.Time()
	r := t.reader
	if r == nil {
		r = posture.NewReader(env, 0, 0)
	}
	// Progress lines for long listings (pages, rows, rate) while it reads.
	defer r.TrackProgress(ctx, log, t.opts.ProgressInterval.D())()
	var res tasks.Result
	sum := report.Summary{"unused_for": t.opts.UnusedFor.String(), "grace": t.opts.Grace.String(), "complete": false}
	res.Summary = sum
	base := firstseen.ForTask(ctx, env.Previous, env.TaskName, env.StateDir, log, firstseen.ByID(recordPolicy))
	sum["baseline"] = base.Source

	var (
		listed, direct, exempt int
		byKind                 = map[string]int{}
		candidates             []*unused
	)
	window := t.opts.UnusedFor.D()
	err := r.Policies(ctx, iamread.PolicyFilter{LastPermit: true}, func(p iamread.Policy) error {
		listed++
		subject, kind := p.Subject()
		if kind == iamread.KindUser || kind == iamread.KindServiceID {
			direct++
		}
		if !slices.Contains(t.opts.Subjects, kind) {
			return nil
		}
		since := p.CreatedAt
		if p.LastPermitAt != nil {
			since = *p.LastPermitAt
		}
		if since.IsZero() || at.Sub(since) < window {
			return nil
		}
		u := &unused{p: p, subject: subject, kind: kind, since: since, firstSeen: base.FirstSeen(p.ID, at)}
		if why, ok := t.opts.Exemptions.Match(exemption.Target{ID: p.ID, IAMID: subject}, ""); ok {
			u.exempt = why
			exempt++
		}
		byKind[kind]++
		res.Findings.Add(u.finding())
		if len(t.opts.Actions) > 0 && removable(u) == "" {
			candidates = append(candidates, u)
		}
		if err := out.Write(u.row(at)); err != nil {
			return fmt.Errorf("write report row: %w", err)
		}
		return nil
	})
	sum["policies_listed"], sum["direct_policies"], sum["exempt"] = listed, direct, exempt
	for _, k := range subjectKinds {
		sum["unused_"+k] = byKind[k]
	}
	if err != nil {
		return res, fmt.Errorf("unused-policies: %w", err)
	}

	var actErr error
	if len(t.opts.Actions) > 0 {
		steps := make([]*action.Step, 0, len(candidates))
		for _, u := range candidates {
			steps = append(steps, &action.Step{Action: ActionRemove, Kind: "policy-" + u.kind, Target: u.p.ID, Ref: u,
				FirstSeen: u.firstSeen, Exempt: u.exempt,
				Why: fmt.Sprintf("%s policy of %s not permitted since %s", u.kind, u.subject, fmtTime(u.since))})
		}
		w := t.writer
		if w == nil && env.Clients != nil && env.Clients.PolicyManagement != nil {
			w = env.Clients.PolicyManagement
		}
		if w == nil {
			return res, errors.New("unused-policies: no Policy Management client for the action")
		}
		do := func(ctx context.Context, s *action.Step) error {
			resp, err := w.DeleteV2PolicyWithContext(ctx, &iampolicymanagementv1.DeleteV2PolicyOptions{ID: &s.Target})
			if ibmcloud.ResponseStatus(resp, err) == http.StatusNotFound {
				return action.AlreadyDone("already gone (404)")
			}
			return ibmcloud.WrapNeed("remove policy "+s.Target, "the trusted profile needs Administrator on IAM Access Management (or on the policy's resources) to delete it", resp, err)
		}
		actErr = tasks.TakeActions(ctx, env, out, action.Batch{Steps: steps, Do: do, DryRun: t.opts.DryRun, MaxActions: t.opts.MaxActions,
			MaxPercent: t.opts.MaxPercent, Population: direct, Grace: t.opts.Grace.D(), Now: at,
			Success: func(string) string { return "removed" }},
			func(s *action.Step) report.Row { return actionRow(s, at) }, sum)
	}
	sum["complete"] = true
	log.Info("unused-policies done", "listed", listed, "unused", res.Findings.Failing(), "exempt", exempt)
	if actErr != nil {
		return res, fmt.Errorf("unused-policies: %w", actErr)
	}
	return res, nil
}
