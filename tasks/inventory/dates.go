package inventory

import (
	"context"
	"errors"
	"io"
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

// probeDates settles how the API reads dates from the rows of one page (see
// above). Called by one partition goroutine, once.
func (l *lister) probeDates(ctx context.Context, page []rcInstance) {
	var early, late *rcInstance
	var earlyTOD, lateTOD int64
	for k := range page {
		ins := &page[k]
		ms := parseMS(ins.UpdatedAt)
		if ms == math.MinInt64 || ins.GUID == "" || ins.State == "" {
			continue
		}
		tod := ms - floorDay(ms)
		if early == nil || tod < earlyTOD {
			early, earlyTOD = ins, tod
		}
		if late == nil || tod > lateTOD {
			late, lateTOD = ins, tod
		}
	}
	if early == nil || earlyTOD > probeWindow || lateTOD < dayMS-probeWindow {
		l.dates.Store(datesUnknown) // try again with another page
		return
	}
	// Both checks at once, ahead of the pages waiting: the split waits for them.
	var ok [2]bool
	var errs [2]error
	var wg sync.WaitGroup
	for k, ins := range []*rcInstance{early, late} {
		day := dateOf(parseMS(ins.UpdatedAt))
		q := url.Values{"guid": {ins.GUID}, "state": {ins.State}, "limit": {"1"},
			"updated_from": {day}, "updated_to": {day}}
		wg.Go(func() {
			var got rcPage
			errs[k] = l.c.call(ctx, l.rc, request{op: "check how Resource Controller reads dates", method: "GET",
				path: "/v2/resource_instances", query: q, priority: 2, decode: func(r io.Reader) error {
					got = rcPage{}
					return decodeJSON(&got)(r)
				}})
			ok[k] = errs[k] == nil && len(got.Resources) == 1 && got.Resources[0].CRN == ins.CRN
		})
	}
	wg.Wait()
	if !ok[0] || !ok[1] {
		l.dates.Store(datesSuperset)
		l.c.log.Debug("date filters: asking for a day more on each side of every window", "err", errors.Join(errs[:]...))
		return
	}
	l.dates.Store(datesExact)
	l.c.log.Debug("date filters: whole UTC days, inclusive; windows ask for their own days only")
}
