package inventory

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/IBM/go-sdk-core/v5/core"

	"github.com/trustjob/trustjob/internal/cloudsim"
	"github.com/trustjob/trustjob/internal/cloudsim/resources"
	"github.com/trustjob/trustjob/internal/report"
)

// Waiting requests are served by priority, then in arrival order.
func TestLimiterPriority(t *testing.T) {
	l := newLimiter(1)
	ctx := context.Background()
	first, err := l.acquire(ctx, 0)
	must(t, err)
	got := make(chan string, 4)
	wait := func(name string, prio int) {
		t.Helper()
		l.mu.Lock()
		n := len(l.waiters)
		l.mu.Unlock()
		go func() {
			tk, err := l.acquire(ctx, prio)
			if err != nil {
				got <- "error"
				return
			}
			got <- name
			l.release(tk, outcomeOK)
		}()
		// Queued before the next one arrives.
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
			l.mu.Lock()
			queued := len(l.waiters) > n
			l.mu.Unlock()
			if queued {
				return
			}
		}
		t.Fatal("the waiter never queued")
	}
	wait("group a", 0)
	wait("group b", 0)
	wait("window", 1)
	wait("date check", 2)
	l.release(first, outcomeOK)
	var order []string
	for range 4 {
		order = append(order, <-got)
	}
	if want := "date check,window,group a,group b"; strings.Join(order, ",") != want {
		t.Fatalf("served %v, want %s", order, want)
	}
}

func TestWorthSplitting(t *testing.T) {
	for _, tt := range []struct {
		name      string
		completed []int
		pages     int
		want      bool
	}{
		// skew40: the 40% group has listed as much as the small groups
		// that ended; it may be as large again.
		{"larger than every group that ended", []int{31, 31, 32, 31}, 32, true},
		// flat200: groups end at 5 or 6 pages; one at 5 is about done.
		{"a page from the end of equal groups", []int{5, 6, 5, 6, 6, 5, 6}, 5, false},
		{"nothing ended yet", nil, 7, true},
		{"too small to pay for its windows", nil, 2, false},
		{"one larger group ended long after", []int{31, 31, 42}, 33, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l := &lister{completed: tt.completed}
			if got := l.worthSplitting(tt.pages, splitWays(tt.pages, 7, 8), 8); got != tt.want {
				t.Fatalf("worthSplitting(%d) with %v ended = %v, want %v", tt.pages, tt.completed, got, tt.want)
			}
		})
	}
}

func TestSplitWays(t *testing.T) {
	for _, tt := range []struct{ pages, idle, slots, want int }{
		{7, 7, 8, 24},   // early: few samples, three windows a slot
		{32, 7, 8, 8},   // late: one a slot
		{32, 11, 8, 12}, // never fewer than the idle slots and itself
		{1, 0, 1, 3},
	} {
		if got := splitWays(tt.pages, tt.idle, tt.slots); got != tt.want {
			t.Errorf("splitWays(%d, %d, %d) = %d, want %d", tt.pages, tt.idle, tt.slots, got, tt.want)
		}
	}
}

// A request's slot is free while its body is decoded: the next request need
// not wait for the client's CPU.
func TestSlotFreeWhileDecoding(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"rows_count":0,"resources":[]}`)
	}))
	defer srv.Close()
	base, err := core.NewBaseService(&core.ServiceOptions{URL: srv.URL, Authenticator: &core.NoAuthAuthenticator{}})
	must(t, err)
	s := newService("resource-controller", base, newLimiter(1))
	c := newCaller(slog.New(slog.DiscardHandler))
	inFlight := -1
	err = c.call(context.Background(), s, request{op: "list", method: "GET", path: "/v2/resource_instances",
		decode: func(b []byte) error {
			s.lim.mu.Lock()
			inFlight = s.lim.inFlight
			s.lim.mu.Unlock()
			return decodeJSON(&rcPage{})(b)
		}})
	must(t, err)
	if inFlight != 0 {
		t.Fatalf("%d requests in flight while decoding, want 0", inFlight)
	}
}

// How the API reads dates matters only to the windows of a split: a listing
// that never splits sends no date checks.
func TestDateChecksOnlyForSplits(t *testing.T) {
	for _, tt := range []struct {
		name       string
		split      int
		wantChecks bool
	}{
		{"no split", 1000, false},
		{"split", 1, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, spec(1200, 2, 0.8), cloudsim.Options{})
			_, err := f.run(t, context.Background(), NewOptions(), tt.split)
			must(t, err)
			checks := 0
			for _, e := range f.l.Sim.Log().Entries() {
				if e.Path == "/v2/resource_instances" && strings.Contains(e.RawQuery, "guid=") {
					checks++
				}
			}
			if (checks > 0) != tt.wantChecks {
				t.Fatalf("%d date checks, want some: %v", checks, tt.wantChecks)
			}
		})
	}
}

// Instances that change while the listing runs (updated: they move to the
// newest window; or moved to another default state) are each listed once:
// the catch-up finds what the windows missed, and nothing twice. Both
// readings of Resource Controller's default state set (fidelity audit F3).
func TestChangesDuringTheRun(t *testing.T) {
	for _, tt := range defaultStateReadings {
		t.Run(tt.name, func(t *testing.T) {
			s := spec(1500, 5, 0.7)
			s.NonDefaultStates = 0.1
			f := newFixture(t, s, cloudsim.Options{Latency: 2 * time.Millisecond})
			f.behave(func(st *resources.State) { st.Behaviour.DefaultStates = tt.defaults })
			before := f.defaultSet(t)
			var once sync.Once
			f.onRow = func(n int) {
				if n < 300 {
					return
				}
				once.Do(func() {
					f.behave(func(st *resources.State) {
						for k, c := range before {
							if k%25 != 0 {
								continue
							}
							err := st.UpdateInstance(c, func(r *resources.InstanceRecord) {
								if k%50 == 0 {
									r.State = map[bool]string{true: "provisioning", false: "active"}[r.State == "active"]
								}
							})
							must(t, err)
						}
					})
				})
			}
			rec, err := f.run(t, context.Background(), NewOptions(), 2)
			must(t, err)
			got := crns(rec.records("instance"))
			if c := slices.Compact(slices.Clone(got)); len(c) != len(got) {
				t.Errorf("%d instances listed twice", len(got)-len(c))
			}
			if want := f.defaultSet(t); !slices.Equal(slices.Compact(got), want) {
				t.Fatalf("listed %d instances, the account has %d in the listed states", len(slices.Compact(got)), len(want))
			}
		})
	}
}

// A second run plans from the first run's report: the group that held most
// instances is split after its first page, at the previous run's dates, so
// it abandons one page, not dozens; the listing stays complete, and a plan
// that no longer fits the account (the groups grew) loses nothing.
func TestPlanFromThePreviousRun(t *testing.T) {
	for _, tt := range []struct {
		name  string
		grow  int // instances created in the large group between the runs
		plans bool
	}{
		{"same account", 0, true},
		{"the large group grew", 1000, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, spec(2500, 5, 0.8), cloudsim.Options{})
			dir := t.TempDir()
			f.env.StateDir = dir
			first, err := f.run(t, context.Background(), NewOptions(), 0)
			must(t, err)
			if first.summary["planned_splits"] != nil {
				t.Fatalf("first run planned %v splits without a previous report", first.summary["planned_splits"])
			}
			writeJSONL(t, filepath.Join(dir, "latest.jsonl"), first.rows)
			if tt.grow > 0 {
				group := largestGroup(first.records("instance"))
				f.behave(func(st *resources.State) {
					for k := range tt.grow {
						_, err := st.CreateInstance(resources.InstanceRecord{Name: fmt.Sprintf("new-%d", k), GroupID: group})
						must(t, err)
					}
				})
			}
			second, err := f.run(t, context.Background(), NewOptions(), 0)
			must(t, err)
			if got := fmt.Sprint(second.summary["planned_splits"]); (got == "1") != tt.plans {
				t.Fatalf("planned splits %s, want one: %v", got, tt.plans)
			}
			if got := fmt.Sprint(second.summary["abandoned_pages"]); got != "1" {
				t.Errorf("abandoned %s pages, want the planned group's first page only", got)
			}
			got, want := crns(second.records("instance")), f.defaultSet(t)
			if !slices.Equal(got, want) {
				t.Fatalf("listed %d instances, the account has %d", len(got), len(want))
			}
			if n := len(second.records("change")); n != tt.grow {
				t.Errorf("%d change rows, want %d (the created instances)", n, tt.grow)
			}
		})
	}
}

// largestGroup is the group most rows belong to.
func largestGroup(rows []report.Row) string {
	n := map[string]int{}
	best := ""
	for _, r := range rows {
		g := fmt.Sprint(r["resource_group_id"])
		n[g]++
		if n[g] > n[best] {
			best = g
		}
	}
	return best
}
