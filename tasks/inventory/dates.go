package inventory

import (
	"context"
	"errors"
	"math"
	"net/url"
	"sync"
)

// Window queries and the API's date filters.
//
// updated_from and updated_to take dates (the SDK: "Start date inclusive
// filter", "End date inclusive filter"), while windows are cut to the
// millisecond on the client. IBM does not say in which time zone a date is
// read, nor whether "inclusive" means the whole day. Until that is known, a
// window query asks for a superset: updated_from one day early, updated_to the
// day the window ends, so each window fetches about two days of rows that
// belong to its neighbours (on a skewed account that was half of all extra
// requests, BENCHMARKS.md).
//
// So the lister checks once, with two single-instance queries, how the API
// reads dates: an instance updated just after midnight (UTC) must come back for
// updated_from=updated_to=<its date>, and one updated just before midnight
// too. Both back means whole UTC days, inclusive, and windows ask for exactly
// their own days from then on. Anything else (an error, a missing instance,
// no suitable instance seen yet) keeps the superset. Either way rows are still
// checked against their window here, so the check decides only how many rows
// are fetched twice, never which are kept.

const (
	datesUnknown int32 = iota
	datesProbing
	datesSuperset
	datesExact
)

// probeWindow: the instances probed must lie this close to midnight, so a
// time zone off by more than this is noticed.
const probeWindow = 2 * 3600 * 1000

// dateRange is the updated_from/updated_to pair for [from, to).
func dateRange(from, to int64, exact bool) (string, string) {
	var f, t string
	if from != math.MinInt64 {
		if exact {
			f = dateOf(from)
		} else {
			f = dateOf(from - dayMS)
		}
	}
	if to != math.MaxInt64 {
		if exact {
			t = dateOf(to - 1)
		} else {
			t = dateOf(to)
		}
	}
	return f, t
}

// dateCandidate is an instance updated close to a midnight (UTC), seen by a
// partition: what the date check asks for.
type dateCandidate struct {
	guid, state string
	ms          int64 // updated_at; 0: none yet
	tod         int64 // time of day, ms
}

// dateCandidates keeps a partition's instance updated earliest in its day and
// the one updated latest. Called by the partition's goroutine.
type dateCandidates struct{ early, late dateCandidate }

func (d *dateCandidates) note(ins *rcInstance, ms int64) {
	if ms == math.MinInt64 || ins.GUID == "" || ins.State == "" {
		return
	}
	tod := ms - floorDay(ms)
	if d.early.ms == 0 || tod < d.early.tod {
		d.early = dateCandidate{keep(ins.GUID), keep(ins.State), ms, tod}
	}
	if d.late.ms == 0 || tod > d.late.tod {
		d.late = dateCandidate{keep(ins.GUID), keep(ins.State), ms, tod}
	}
}

// checkDates settles, once, how the API reads dates (see above), from the
// candidates of the partition about to split; windows wait for the answer
// (datesDone). It returns at once; the two queries run side by side, ahead of
// the pages waiting. Called with or without mu held.
func (l *lister) checkDates(ctx context.Context, d dateCandidates) {
	if !l.dates.CompareAndSwap(datesUnknown, datesProbing) {
		return
	}
	if d.early.ms == 0 || d.early.tod > probeWindow || d.late.tod < dayMS-probeWindow {
		l.settleDates(datesSuperset, errors.New("no instance updated close enough to midnight yet"))
		return
	}
	go func() {
		var ok [2]bool
		var errs [2]error
		var wg sync.WaitGroup
		for k, c := range []dateCandidate{d.early, d.late} {
			day := dateOf(c.ms)
			q := url.Values{"guid": {c.guid}, "state": {c.state}, "limit": {"1"},
				"updated_from": {day}, "updated_to": {day}}
			wg.Go(func() {
				var got rcPage
				errs[k] = l.c.call(ctx, l.rc, request{op: "check how Resource Controller reads dates", method: "GET",
					path: "/v2/resource_instances", query: q, priority: priorityDateCheck, decode: func(b []byte) error {
						got = rcPage{}
						return decodeJSON(&got)(b)
					}})
				ok[k] = errs[k] == nil && len(got.Resources) == 1 && got.Resources[0].GUID == c.guid
			})
		}
		wg.Wait()
		if !ok[0] || !ok[1] {
			l.settleDates(datesSuperset, errors.Join(errs[:]...))
			return
		}
		l.settleDates(datesExact, nil)
	}()
}

// settleDates records how dates are read and lets the windows start.
func (l *lister) settleDates(how int32, err error) {
	l.dates.Store(how)
	if how == datesExact {
		l.c.log.Debug("date filters: whole UTC days, inclusive; windows ask for their own days only")
	} else {
		l.c.log.Debug("date filters: asking for a day more on each side of every window", "err", err)
	}
	close(l.datesDone)
}

// awaitDates waits until the date check is settled (a window's first query
// depends on it).
func (l *lister) awaitDates(ctx context.Context) error {
	select {
	case <-l.datesDone:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
