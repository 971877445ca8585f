// Package posture is the iam-posture task: the CIS IBM Cloud Foundations
// Benchmark's IAM section (1.1-1.19) checked against the account through the
// IAM APIs, one row per control with its status, severity, reason and
// evidence rows, controls no API answers reported as manual with what a
// person should check, and waivers.
package posture

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/IBM/platform-services-go-sdk/iamidentityv1"
	"github.com/trustjob/trustjob/internal/iamread"
	"github.com/trustjob/trustjob/internal/ibmcloud"
	"github.com/trustjob/trustjob/internal/report"
	"github.com/trustjob/trustjob/tasks"
)

// TypeName is the task type's `type:` value.
const TypeName = "iam-posture"

// Type is the iam-posture task type, for tasks/builtin.
func Type() tasks.Type {
	return tasks.Define(tasks.Spec[Options]{
		Name: TypeName,
		Description: "Check the CIS IBM Cloud Foundations Benchmark's IAM section (1.1-1.19): one row per control " +
			"(pass, fail, manual, error) with severity, reason and evidence; waivers per control",
		Columns:     columns,
		Defaults:    NewOptions,
		New:         func(o *Options) tasks.Task { return &task{opts: o} },
		Permissions: Permissions,
		Probe:       probe,
	})
}

// Permissions is the IAM access the trusted profile needs. A waived control
// needs none of its own.
var Permissions = []tasks.Permission{
	{Service: "iam-identity", Role: "Administrator", Why: "1.2, 1.3, 1.5, 1.7, 1.8, 1.17: list every user's API keys (per service-ID group: ListServiceIDGroup), create and read the activity and MFA reports, read a user's MFA status (iam-identity.report.create, iam-identity.mfa-status.get)"},
	{Service: "iam-identity", Role: "Viewer", Why: "1.4, 1.7, 1.9: read the account settings (iam-identity.account.get)"},
	{Service: "user-management", Role: "Viewer", Why: "1.12, 1.17: list users and their states"},
	{Service: "iam-groups", Role: "Viewer", Why: "1.12-1.16: list access groups, members and the public access setting"},
	{Service: "iam-access-management", Role: "Viewer", Why: "1.12-1.16: list every access policy (policies the caller cannot read are left out of listings)"},
	{Service: "billing", Role: "Viewer", Why: "1.5, 1.8: read the account's owner (Account Management GetAccount); or set options.ownerIAMID"},
}

// probe makes one cheap authorised read: the account settings.
func probe(ctx context.Context, env tasks.Env) error {
	if env.Clients == nil || env.Clients.IAMIdentity == nil {
		return errors.New("probe iam-posture: no IAM Identity client")
	}
	_, resp, err := env.Clients.IAMIdentity.GetAccountSettingsWithContext(ctx, &iamidentityv1.GetAccountSettingsOptions{AccountID: &env.Account})
	return ibmcloud.WrapNeed("probe iam-posture (read account settings)", iamread.NeedSettings, resp, err)
}

type task struct {
	opts *Options
	// reader, when set, replaces the one built from env.Clients (tests).
	reader *iamread.Reader
}

// NewReader builds the IAM reader over a run's clients.
func NewReader(env tasks.Env, interval, maxInterval time.Duration) *iamread.Reader {
	r := iamread.New(env.Clients, env.Account)
	r.PollInterval, r.PollMax, r.Log = interval, maxInterval, env.Log()
	return r
}

// Run reads what the controls that are not waived need, decides every
// control and writes its row and evidence rows.
func (t *task) Run(ctx context.Context, env tasks.Env, out tasks.Output) (tasks.Result, error) {
	log := env.Log()
	r := t.reader
	if r == nil {
		r = NewReader(env, t.opts.PollInterval.D(), t.opts.PollMaxInterval.D())
	}
	// Progress lines for long listings (pages, rows, rate) while it reads.
	defer r.TrackProgress(ctx, log, t.opts.ProgressInterval.D())()
	at := env.Time()
	need := needed(t.opts, at)
	f := gather(ctx, r, t.opts, need, at)
	var res tasks.Result
	res.Summary = report.Summary{}
	if err := ctx.Err(); err != nil {
		return res, fmt.Errorf("iam-posture: %w", context.Cause(ctx))
	}
	counts := map[string]int{}
	var denied error
	for n, err := range f.Errs {
		if err != nil {
			log.Warn("iam-posture could not read a fact; the controls that need it report error", "fact", factNames[n], "err", err)
			if denied == nil && ibmcloud.IsPermission(err) {
				denied = err
			}
		}
	}
	for _, a := range Assess(f, t.opts) {
		res.Findings.Add(finding(a))
		counts[a.Verdict.Status]++
		if err := out.Write(controlRow(a)); err != nil {
			return res, fmt.Errorf("iam-posture: write report row: %w", err)
		}
		for i, e := range a.Verdict.Evidence {
			if i == t.opts.EvidenceLimit {
				break
			}
			if err := out.Write(evidenceRow(a, e)); err != nil {
				return res, fmt.Errorf("iam-posture: write evidence row: %w", err)
			}
		}
	}
	res.Summary = report.Summary{
		"benchmark": Benchmark, "controls": len(Controls),
		"pass": counts[Pass], "fail": counts[Fail], "manual": counts[Manual], "error": counts[Error],
		"waived": len(t.opts.Waivers), "owner": f.Owner, "complete": true,
	}
	if f.MFA.Reference != "" {
		res.Summary["mfa_report_reference"] = f.MFA.Reference
	}
	log.Info("iam-posture done", "pass", counts[Pass], "fail", counts[Fail], "manual", counts[Manual], "error", counts[Error])
	// Every control has its row; a control that could not be evaluated makes
	// the task fail so the run says so (and a missing permission exits 77).
	if counts[Error] > 0 {
		if denied != nil {
			return res, fmt.Errorf("iam-posture: %d controls could not be evaluated: %w", counts[Error], denied)
		}
		return res, fmt.Errorf("iam-posture: %d controls could not be evaluated; see their reason", counts[Error])
	}
	return res, nil
}
