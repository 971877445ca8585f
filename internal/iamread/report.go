package iamread

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/IBM/go-sdk-core/v5/core"
	"github.com/IBM/platform-services-go-sdk/iamidentityv1"
	"github.com/trustjob/trustjob/internal/ibmcloud"
	"github.com/trustjob/trustjob/internal/wait"
)

// IAM Identity's two reports (the inactive-identities report and the MFA
// enrollment report) are created, then polled until ready. One poller serves
// both, for every task that reads them (inactive-identities and the posture
// types):
//   - 204 is "still generating" (the SDK returns no result and no error, so the
//     status decides); waits grow by half from PollInterval to PollMax, the last
//     one shortened to land just before ctx's deadline;
//   - 404 means a newer report replaced ours (IAM keeps only the latest:
//     another run, the console): it is created again, once;
//   - a 200 without a body, or `null`, is an error: polling on would only hide
//     a broken answer until the deadline. So is a create without a reference.

// ReportRun is how a report was obtained.
type ReportRun struct {
	Reference string
	Polls     int  // GETs answered 204 (not ready yet)
	Recreated bool // the first reference was replaced (404) and the report created again
}

// reportKind names one report's calls for poll.
type reportKind struct {
	what, need string
	create     func(ctx context.Context) (*iamidentityv1.ReportReference, *core.DetailedResponse, error)
	// get reads the report; found is false when the answer had no body.
	get func(ctx context.Context, ref string) (found bool, resp *core.DetailedResponse, err error)
}

func (r *Reader) createRef(ctx context.Context, k reportKind) (string, error) {
	ref, resp, err := k.create(ctx)
	if err != nil {
		return "", ibmcloud.WrapNeed("create the "+k.what, k.need, resp, err)
	}
	if ref == nil || ref.Reference == nil || *ref.Reference == "" {
		return "", fmt.Errorf("create the %s: HTTP %d without a reference", k.what, ibmcloud.ResponseStatus(resp, nil))
	}
	return *ref.Reference, nil
}

// poll creates the report and polls it until it is ready (see above).
func (r *Reader) poll(ctx context.Context, k reportKind) (ReportRun, error) {
	var run ReportRun
	interval, maxInterval := r.PollInterval, r.PollMax
	if interval <= 0 {
		interval = 5 * time.Second
	}
	if maxInterval < interval {
		maxInterval = max(interval, 30*time.Second)
	}
	sleep := r.Sleep
	if sleep == nil {
		sleep = wait.Sleep
	}
	log := r.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var err error
	if run.Reference, err = r.createRef(ctx, k); err != nil {
		return run, err
	}
	delay := interval
	for {
		found, resp, err := k.get(ctx, run.Reference)
		status := ibmcloud.ResponseStatus(resp, err)
		switch {
		case err != nil && status == http.StatusNotFound && !run.Recreated:
			log.Warn("the "+k.what+" was replaced; creating it again", "reference", run.Reference)
			run.Recreated = true
			if run.Reference, err = r.createRef(ctx, k); err != nil {
				return run, err
			}
			delay = interval
			continue
		case err != nil:
			if ctx.Err() != nil {
				return run, fmt.Errorf("%s %s not ready after %d polls: %w", k.what, run.Reference, run.Polls, ctx.Err())
			}
			return run, ibmcloud.WrapNeed("get the "+k.what+" "+run.Reference, k.need, resp, err)
		case status == http.StatusOK && found:
			return run, nil
		case status != http.StatusNoContent:
			return run, fmt.Errorf("get the %s %s: HTTP %d without a report", k.what, run.Reference, status)
		}
		run.Polls++
		if err := sleep(ctx, untilDeadline(ctx, delay)); err != nil {
			return run, fmt.Errorf("%s %s not ready after %d polls: %w", k.what, run.Reference, run.Polls, err)
		}
		delay = min(delay+delay/2, maxInterval)
	}
}

// untilDeadline shortens a wait that would overrun ctx's deadline, so that the
// last poll happens just before it rather than never.
func untilDeadline(ctx context.Context, d time.Duration) time.Duration {
	dl, ok := ctx.Deadline()
	if !ok {
		return d
	}
	// Past the last chance, wait the full d: ctx ends during it.
	if rem := time.Until(dl) - 250*time.Millisecond; rem > 0 && rem < d {
		return rem
	}
	return d
}

// InactiveReport creates IAM's inactive-identities report for duration
// (whole hours) and polls until it is ready; the report is IAM's, as sent.
func (r *Reader) InactiveReport(ctx context.Context, duration time.Duration) (*iamidentityv1.Report, ReportRun, error) {
	if r.Identity == nil {
		return nil, ReportRun{}, fmt.Errorf("inactive-identities report: %w", ErrNoClient)
	}
	var rep *iamidentityv1.Report
	hours := strconv.Itoa(int(duration / time.Hour))
	run, err := r.poll(ctx, reportKind{what: "inactive-identities report", need: NeedReport,
		create: func(ctx context.Context) (*iamidentityv1.ReportReference, *core.DetailedResponse, error) {
			o := &iamidentityv1.CreateReportOptions{AccountID: &r.Account}
			o.SetType("inactive").SetDuration(hours)
			return r.Identity.CreateReportWithContext(ctx, o)
		},
		get: func(ctx context.Context, ref string) (bool, *core.DetailedResponse, error) {
			res, resp, err := r.Identity.GetReportWithContext(ctx, &iamidentityv1.GetReportOptions{AccountID: &r.Account, Reference: &ref})
			rep = res
			return res != nil, resp, err
		}})
	if err != nil {
		return nil, run, err
	}
	return rep, run, nil
}

// ActivityReport is the inactive-identities report for duration, flattened.
// An unreadable last_authn is kept raw in LastAuthnRaw (last use unknown,
// never "never used").
func (r *Reader) ActivityReport(ctx context.Context, duration time.Duration) (ActivityReport, error) {
	res, run, err := r.InactiveReport(ctx, duration)
	rep := ActivityReport{Duration: duration, Reference: run.Reference, Polls: run.Polls}
	if err != nil {
		return rep, err
	}
	item := func(kind, id, iamID, name string, last *string) Activity {
		a := Activity{Kind: kind, ID: id, IAMID: iamID, Name: name}
		a.LastAuthn, a.LastAuthnRaw = LastAuthn(last)
		return a
	}
	for _, u := range res.Users {
		rep.Items = append(rep.Items, item(KindUser, str(u.IamID), str(u.IamID), str(u.Username), u.LastAuthn))
	}
	for _, k := range res.Apikeys {
		owner := ""
		if k.Serviceid != nil {
			owner = "iam-" + str(k.Serviceid.ID)
		} else if k.User != nil {
			owner = str(k.User.IamID)
		}
		rep.Items = append(rep.Items, item("apikey", str(k.ID), owner, str(k.Name), k.LastAuthn))
	}
	for _, s := range res.Serviceids {
		rep.Items = append(rep.Items, item(KindServiceID, str(s.ID), "iam-"+str(s.ID), str(s.Name), s.LastAuthn))
	}
	for _, p := range res.Profiles {
		rep.Items = append(rep.Items, item(KindProfile, str(p.ID), "iam-"+str(p.ID), str(p.Name), p.LastAuthn))
	}
	return rep, nil
}

// MFAReport creates the MFA enrollment report and polls until it is ready.
func (r *Reader) MFAReport(ctx context.Context) (MFAReport, error) {
	if r.Identity == nil {
		return MFAReport{}, fmt.Errorf("MFA report: %w", ErrNoClient)
	}
	var res *iamidentityv1.ReportMfaEnrollmentStatus
	run, err := r.poll(ctx, reportKind{what: "MFA report", need: NeedMFAReport,
		create: func(ctx context.Context) (*iamidentityv1.ReportReference, *core.DetailedResponse, error) {
			return r.Identity.CreateMfaReportWithContext(ctx, &iamidentityv1.CreateMfaReportOptions{AccountID: &r.Account, Type: core.StringPtr("mfa_status")})
		},
		get: func(ctx context.Context, ref string) (bool, *core.DetailedResponse, error) {
			var resp *core.DetailedResponse
			var err error
			res, resp, err = r.Identity.GetMfaReportWithContext(ctx, &iamidentityv1.GetMfaReportOptions{AccountID: &r.Account, Reference: &ref})
			return res != nil, resp, err
		}})
	rep := MFAReport{Reference: run.Reference, Polls: run.Polls}
	if err != nil {
		return rep, err
	}
	rep.Reference, rep.ReportTime = str(res.Reference), str(res.ReportTime)
	for _, u := range res.Users {
		m := MFAUser{IAMID: str(u.IamID), Username: str(u.Username), Email: str(u.Email)}
		m.Effective, m.Complies = mfaOf(u.IDBasedMfa, u.AccountBasedMfa)
		rep.Users = append(rep.Users, m)
	}
	return rep, nil
}
