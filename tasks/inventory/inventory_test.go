package inventory

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/IBM/platform-services-go-sdk/resourcecontrollerv2"

	"github.com/trustjob/trustjob/internal/cloudsim"
	"github.com/trustjob/trustjob/internal/report"
	"github.com/trustjob/trustjob/internal/simtest"
	"github.com/trustjob/trustjob/tasks"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// fixture is an emulated account signed in through the real SDK.
type fixture struct {
	l     *cloudsim.Local
	env   tasks.Env
	onRow func(n int) // handed to the recorder of each run
}

func newFixture(t testing.TB, spec cloudsim.Spec, opts cloudsim.Options) *fixture {
	t.Helper()
	l, sess := simtest.Start(t, spec, opts)
	return &fixture{l: l, env: simtest.Env(sess, "inventory")}
}

func spec(instances, groups int, skew float64) cloudsim.Spec {
	s := cloudsim.DefaultSpec()
	s.Instances, s.Groups, s.LargestGroupShare = instances, groups, skew
	return s
}

// recorder is a tasks.Output that keeps rows in memory (small accounts only).
type recorder struct {
	mu      sync.Mutex
	rows    []report.Row
	summary report.Summary
	onWrite func(n int) // called with the row count after each row, when set
}

func (r *recorder) Write(row report.Row) error {
	r.mu.Lock()
	r.rows = append(r.rows, row)
	n := len(r.rows)
	r.mu.Unlock()
	if r.onWrite != nil {
		r.onWrite(n)
	}
	return nil
}

func (r *recorder) records(kind string) []report.Row {
	var out []report.Row
	for _, row := range r.rows {
		if row["record"] == kind {
			out = append(out, row)
		}
	}
	return out
}

func (f *fixture) run(t testing.TB, ctx context.Context, o *Options, split int) (*recorder, error) {
	t.Helper()
	if errs := o.Validate(); len(errs) > 0 {
		t.Fatalf("options: %v", errs)
	}
	tk, err := Type().New(o)
	if err != nil {
		t.Fatal(err)
	}
	tk.(*Task).minSplitPages = split
	rec := &recorder{onWrite: f.onRow}
	res, err := tk.Run(ctx, f.env, rec)
	rec.summary = res.ReportSummary()
	return rec, err
}

// naive lists instances with the SDK's own pager, one page after another.
func (f *fixture) naive(t testing.TB, state string) []string {
	t.Helper()
	o := &resourcecontrollerv2.ListResourceInstancesOptions{}
	o.SetLimit(100)
	if state != "" {
		o.SetState(state)
	}
	pager, err := f.env.Clients.ResourceController.NewResourceInstancesPager(o)
	if err != nil {
		t.Fatal(err)
	}
	var crns []string
	for pager.HasNext() {
		page, err := pager.GetNext()
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page {
			crns = append(crns, *r.CRN)
		}
	}
	sort.Strings(crns)
	return crns
}

func crns(rows []report.Row) []string {
	var out []string
	for _, r := range rows {
		out = append(out, fmt.Sprint(r["crn"]))
	}
	sort.Strings(out)
	return out
}

func TestCompleteListingAcrossPartitions(t *testing.T) {
	for _, tt := range []struct {
		name  string
		spec  cloudsim.Spec
		split int
	}{
		{"even groups", spec(900, 6, 0), 2},
		{"one group holds 70%", spec(1500, 5, 0.7), 2},
		{"one group only", spec(700, 1, 0), 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.spec, cloudsim.Options{})
			rec, err := f.run(t, context.Background(), NewOptions(), tt.split)
			if err != nil {
				t.Fatal(err)
			}
			got, want := crns(rec.records("instance")), f.naive(t, "")
			if len(got) == 0 || !slices.Equal(got, want) {
				t.Fatalf("listed %d instances, the naive pager %d", len(got), len(want))
			}
			if c := slices.Compact(slices.Clone(got)); len(c) != len(got) {
				t.Errorf("%d duplicate rows", len(got)-len(c))
			}
			if rec.summary["complete"] != true || fmt.Sprint(rec.summary["instances"]) != fmt.Sprint(len(want)) {
				t.Errorf("summary %v", rec.summary)
			}
			if tt.spec.Groups < 6 && fmt.Sprint(rec.summary["splits"]) == "0" {
				t.Errorf("no partition split: the windows went untested")
			}
		})
	}
}

func TestFilters(t *testing.T) {
	f := newFixture(t, func() cloudsim.Spec { s := spec(800, 4, 0.3); s.NonDefaultStates = 0.2; return s }(), cloudsim.Options{})
	all := map[string][]string{}
	for _, st := range []string{"", "pending_reclamation", "removed", "failed", "inactive"} {
		all[st] = f.naive(t, st)
	}
	first := func(col string) string {
		rec, err := f.run(t, context.Background(), NewOptions(), 0)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(rec.records("instance")[0][col])
	}
	svc, region, typ, group := first("service"), first("region"), first("type"), first("resource_group_id")
	tests := []struct {
		name  string
		opts  func(o *Options)
		match func(r report.Row) bool
		want  []string // exact set when the API can tell it
	}{
		{"state pending_reclamation", func(o *Options) { o.States = []string{"pending_reclamation"} }, nil, all["pending_reclamation"]},
		{"state removed", func(o *Options) { o.States = []string{"removed"} }, nil, all["removed"]},
		{"state failed", func(o *Options) { o.States = []string{"failed"} }, nil, all["failed"]},
		{"service", func(o *Options) { o.Services = []string{svc} }, func(r report.Row) bool { return r["service"] == svc }, nil},
		{"region", func(o *Options) { o.Regions = []string{region} }, func(r report.Row) bool { return r["region"] == region }, nil},
		{"type", func(o *Options) { o.Types = []string{typ} }, func(r report.Row) bool { return r["type"] == typ }, nil},
		{"resource group", func(o *Options) { o.ResourceGroups = []string{group} }, func(r report.Row) bool { return r["resource_group_id"] == group }, nil},
	}
	base, err := f.run(t, context.Background(), NewOptions(), 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := NewOptions()
			tt.opts(o)
			rec, err := f.run(t, context.Background(), o, 0)
			if err != nil {
				t.Fatal(err)
			}
			rows := rec.records("instance")
			if tt.want != nil {
				if got := crns(rows); len(got) == 0 || !slices.Equal(got, tt.want) {
					t.Errorf("%d instances, want the API's %d", len(got), len(tt.want))
				}
				return
			}
			var want []report.Row
			for _, r := range base.records("instance") {
				if tt.match(r) {
					want = append(want, r)
				}
			}
			if len(rows) == 0 || !slices.Equal(crns(rows), crns(want)) {
				t.Errorf("%d instances, want %d", len(rows), len(want))
			}
		})
	}
}

func TestReclamationsAndTags(t *testing.T) {
	s := spec(600, 3, 0)
	s.Reclamations = 7
	f := newFixture(t, s, cloudsim.Options{})
	o := NewOptions()
	o.IncludeReclamations, o.IncludeTags = true, true
	before := f.l.Sim.Log().Count(cloudsim.ServiceGlobalSearch)
	rec, err := f.run(t, context.Background(), o, 0)
	if err != nil {
		t.Fatal(err)
	}
	reclaimed, tagged := 0, 0
	for _, r := range rec.records("instance") {
		if r["reclamation_id"] != nil && r["reclamation_id"] != "" {
			reclaimed++
			if r["reclaim_at"] == nil || r["reclaim_at"] == "" {
				t.Errorf("reclaimed instance %v without reclaim_at", r["crn"])
			}
		}
		if tags, ok := r["tags"].([]string); ok && len(tags) > 0 {
			tagged++
		}
	}
	if reclaimed != 7 {
		t.Errorf("%d reclaimed instances, want 7", reclaimed)
	}
	if tagged == 0 {
		t.Error("no instance has tags")
	}
	// Tags come in bulk: a handful of searches, not one per instance.
	if n := f.l.Sim.Log().Count(cloudsim.ServiceGlobalSearch) - before; n == 0 || n > 20 {
		t.Errorf("%d Global Search requests for %d instances", n, len(rec.rows))
	}
}

func TestChangeReport(t *testing.T) {
	f := newFixture(t, spec(300, 3, 0), cloudsim.Options{})
	dir := t.TempDir()
	f.env.StateDir = dir
	o := NewOptions()
	o.IncludeTags = true
	o.States = []string{"active", "inactive", "provisioning"} // both runs see the same states
	first, err := f.run(t, context.Background(), o, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(first.records("change")) != 0 || !strings.Contains(fmt.Sprint(first.summary["baseline"]), "none") {
		t.Errorf("first run: %d change rows, summary %v; want none and baseline none", len(first.records("change")), first.summary)
	}
	writeJSONL(t, filepath.Join(dir, "latest.jsonl"), first.rows)

	var rows []report.Row // active instances: each change below is then a real change
	for _, r := range first.records("instance") {
		if r["state"] == "active" {
			rows = append(rows, r)
		}
	}
	gone, renamed, stopped, retagged := guid(rows[0]), guid(rows[1]), guid(rows[2]), guid(rows[3])
	w := f.l.Sim.World()
	w.Lock()
	must(t, w.Resources.DeleteInstance(gone))
	must(t, w.Resources.UpdateInstance(renamed, func(r *cloudsim.InstanceRecord) { r.Name = "renamed" }))
	must(t, w.Resources.UpdateInstance(stopped, func(r *cloudsim.InstanceRecord) { r.State = "inactive" }))
	must(t, w.Resources.SetTags(retagged, "user", []string{"env:changed"}))
	created, err := w.Resources.CreateInstance(cloudsim.InstanceRecord{Name: "brand-new", GroupID: fmt.Sprint(rows[0]["resource_group_id"])})
	w.Unlock()
	must(t, err)

	second, err := f.run(t, context.Background(), o, 0)
	if err != nil {
		t.Fatal(err)
	}
	changes := map[string]string{}
	for _, r := range second.records("change") {
		changes[guid(r)] = fmt.Sprint(r["change"], " ", r["changed_fields"])
	}
	want := map[string]string{
		gone: "deleted", created.GUID: "created", renamed: "changed name",
		stopped: "changed state", retagged: "changed tags",
	}
	for id, w := range want {
		if !strings.HasPrefix(changes[id], strings.Fields(w)[0]) || !strings.Contains(changes[id], strings.Fields(w)[len(strings.Fields(w))-1]) {
			t.Errorf("instance %s: change %q, want %q", id, changes[id], w)
		}
	}
	if len(changes) != len(want) {
		t.Errorf("changes %v, want exactly %v", changes, want)
	}
}

func guid(r report.Row) string { return fmt.Sprint(r["guid"]) }

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func writeJSONL(t *testing.T, path string, rows []report.Row) {
	t.Helper()
	var b bytes.Buffer
	for _, r := range rows {
		j, err := json.Marshal(r)
		must(t, err)
		b.Write(append(j, '\n'))
	}
	must(t, os.WriteFile(path, b.Bytes(), 0o644))
}

func TestFailures(t *testing.T) {
	tests := []struct {
		name    string
		opts    cloudsim.Options
		setup   func(f *fixture)
		timeout time.Duration
		// cancelAfterRows cancels the run once that many rows were written.
		cancelAfterRows int
		wantErr         string // "" means success
	}{
		{name: "429 storm slows down, completes", opts: cloudsim.Options{MaxInFlight: 2, Latency: 5 * time.Millisecond}},
		{name: "5xx bursts are retried", setup: func(f *fixture) {
			f.l.Sim.AddFault(&cloudsim.Fault{Service: cloudsim.ServiceResourceCtl, PathPrefix: "/v2/resource_instances", Every: 3, Times: 6, Status: 503})
		}},
		{name: "dropped connections are retried", setup: func(f *fixture) {
			f.l.Sim.AddFault(&cloudsim.Fault{Service: cloudsim.ServiceResourceCtl, PathPrefix: "/v2/resource_instances", Every: 4, Times: 3, Drop: true})
		}},
		{name: "a repeated cursor is an error, not a loop", wantErr: "again", setup: func(f *fixture) {
			f.l.Sim.AddFault(&cloudsim.Fault{Service: cloudsim.ServiceResourceCtl, PathPrefix: "/v2/resource_instances", Status: 200,
				Body: `{"rows_count":1,"limit":100,"next_url":"/v2/resource_instances?limit=100&start=same","resources":[{"guid":"g1","crn":"crn:v1:bluemix:public:kms:us-south:a/x:g1::","state":"active","resource_group_id":"x","updated_at":"2020-01-01T00:00:00Z"}]}`})
		}},
		{name: "403 names the missing permission", wantErr: "Viewer", setup: func(f *fixture) {
			w := f.l.Sim.World()
			w.Revoke(w.IAM.RunnerIAMID(), cloudsim.ActionInstanceRetrieve)
		}},
		// Cancelled after the first rows arrive, whatever the machine's speed:
		// a wall-clock timeout here failed under load with no rows yet.
		{name: "timeout keeps partial output", opts: cloudsim.Options{Latency: 20 * time.Millisecond}, cancelAfterRows: 50, wantErr: "incomplete"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, spec(1200, 4, 0.5), tt.opts)
			if tt.setup != nil {
				tt.setup(f)
			}
			ctx := context.Background()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			if tt.cancelAfterRows > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithCancel(ctx)
				defer cancel()
				f.onRow = func(n int) {
					if n == tt.cancelAfterRows {
						cancel()
					}
				}
			}
			rec, err := f.run(t, ctx, NewOptions(), 2)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				f.l.Sim.ClearFaults()
				if got, want := crns(rec.records("instance")), f.naive(t, ""); !slices.Equal(got, want) {
					t.Errorf("%d instances, want %d", len(got), len(want))
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want one mentioning %q", err, tt.wantErr)
			}
			if rec.summary["complete"] != false {
				t.Errorf("summary complete=%v after a failure", rec.summary["complete"])
			}
			if tt.timeout > 0 {
				if len(rec.rows) == 0 {
					t.Error("no partial rows before the timeout")
				}
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("error %v does not wrap the deadline", err)
				}
			}
		})
	}
}

// TestGolden pins the rows and summary of a small fixed account (sorted: the
// listing is concurrent) and each file format's rendering of them.
func TestGolden(t *testing.T) {
	s := spec(40, 2, 0)
	s.Reclamations = 2
	f := newFixture(t, s, cloudsim.Options{})
	o := NewOptions()
	o.IncludeTags, o.IncludeReclamations = true, true
	rec, err := f.run(t, context.Background(), o, 0)
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(rec.rows, func(i, j int) bool { return fmt.Sprint(rec.rows[i]["crn"]) < fmt.Sprint(rec.rows[j]["crn"]) })
	sum := report.Summary{}
	for k, v := range rec.summary {
		if k != "duration_ms" && k != "elapsed" && !strings.HasSuffix(k, "_ms") && k != "requests" {
			sum[k] = v
		}
	}
	dir := t.TempDir()
	run, err := report.NewRun(report.Options{Dir: dir, Formats: report.Formats, Now: time.Date(2026, 3, 10, 2, 30, 0, 0, time.UTC)})
	must(t, err)
	tr, err := run.Task("inventory", Type().Schema)
	must(t, err)
	for _, r := range rec.rows {
		must(t, tr.Write(r))
	}
	tr.SetSummary(sum)
	_, err = tr.Close(true)
	must(t, err)
	for _, format := range report.Formats {
		got, err := os.ReadFile(report.LatestPath(dir, "inventory", format))
		must(t, err)
		golden := filepath.Join("testdata", "inventory."+report.Extension[format]+".golden")
		if *update {
			must(t, os.MkdirAll("testdata", 0o755))
			must(t, os.WriteFile(golden, got, 0o644))
		}
		want, err := os.ReadFile(golden)
		must(t, err)
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from %s (go test ./tasks/inventory -run TestGolden -update)", format, golden)
		}
	}
}
