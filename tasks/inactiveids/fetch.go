package inactiveids

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/IBM/platform-services-go-sdk/iamidentityv1"
)

// reportResult is a fetched activity report and how it was obtained.
type reportResult struct {
	report    *iamidentityv1.Report
	reference string
	polls     int  // GETs answered 204 (not ready yet)
	recreated bool // the first reference was replaced (404) and a new report created
}

// poller fetches the inactive-identities report: create, then poll until 200.
// 204 means "still generating" (the SDK returns no result and no error, so the
// status code decides); 404 means the report was replaced by a newer one, and
// is answered by creating it again, once. Waits grow by half from interval up
// to maxInterval, until ctx's deadline.
type poller struct {
	api         identityAPI
	account     string
	hours       int
	interval    time.Duration
	maxInterval time.Duration
	log         *slog.Logger
	sleep       func(context.Context, time.Duration) error
}

func (p *poller) create(ctx context.Context) (string, error) {
	opts := &iamidentityv1.CreateReportOptions{AccountID: &p.account}
	opts.SetType("inactive").SetDuration(strconv.Itoa(p.hours))
	ref, resp, err := p.api.CreateReportWithContext(ctx, opts)
	if err != nil {
		return "", wrapCall("create the inactive-identities report", needReport, resp, err)
	}
	if ref == nil || ref.Reference == nil || *ref.Reference == "" {
		return "", fmt.Errorf("create the inactive-identities report: HTTP %d without a reference", httpStatus(resp, nil))
	}
	return *ref.Reference, nil
}

func (p *poller) fetch(ctx context.Context) (reportResult, error) {
	var res reportResult
	ref, err := p.create(ctx)
	if err != nil {
		return res, err
	}
	res.reference = ref
	wait := p.interval
	for {
		rep, resp, err := p.api.GetReportWithContext(ctx, &iamidentityv1.GetReportOptions{AccountID: &p.account, Reference: &res.reference})
		status := httpStatus(resp, err)
		switch {
		case err != nil && status == http.StatusNotFound && !res.recreated:
			// Only the newest report exists: someone (another run, the
			// console) replaced ours. Ask for a fresh one, once.
			p.log.Warn("inactive-identities report was replaced; creating it again", "reference", res.reference)
			res.recreated = true
			if res.reference, err = p.create(ctx); err != nil {
				return res, err
			}
			wait = p.interval
			continue
		case err != nil:
			if ctx.Err() != nil {
				return res, fmt.Errorf("inactive-identities report %s not ready after %d polls: %w", res.reference, res.polls, ctx.Err())
			}
			return res, wrapCall("get the inactive-identities report "+res.reference, needReport, resp, err)
		case status == http.StatusOK && rep != nil:
			res.report = rep
			return res, nil
		}
		// 204 (or any other bodiless 2xx): not generated yet.
		res.polls++
		if err := p.sleep(ctx, untilDeadline(ctx, wait)); err != nil {
			return res, fmt.Errorf("inactive-identities report %s not ready after %d polls: %w", res.reference, res.polls, err)
		}
		wait = min(wait+wait/2, p.maxInterval)
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

// sleepCtx waits d or until ctx ends, whichever is first.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
