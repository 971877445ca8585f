package inventory

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/trustjob/trustjob/internal/cloudsim"
	"github.com/trustjob/trustjob/internal/cloudsim/resources"
)

// The joined inventory is the union of both sources with no duplicate CRN;
// rows carry source, family and type.
func TestSourcesUnion(t *testing.T) {
	f := newFixture(t, spec(500, 3, 0), cloudsim.Options{})
	f.behave(func(st *resources.State) { st.Behaviour.SearchOnlyDocs = 70 })
	run := func(src string) *recorder {
		o := NewOptions()
		o.Sources = src
		rec, err := f.run(t, context.Background(), o, 0)
		must(t, err)
		return rec
	}
	rc, search, both := run(SourceResourceController), run(SourceSearch), run(SourceBoth)
	union := append(crns(rc.records("instance")), crns(search.records("instance"))...)
	slices.Sort(union)
	union = slices.Compact(union)
	got := crns(both.records("instance"))
	if c := slices.Compact(slices.Clone(got)); len(c) != len(got) {
		t.Fatalf("%d duplicate CRNs", len(got)-len(c))
	}
	if !slices.Equal(got, union) {
		t.Fatalf("both sources: %d rows, the union of the sources has %d", len(got), len(union))
	}
	if want := f.defaultSet(t); !slices.Equal(crns(rc.records("instance")), want) {
		t.Fatalf("resource-controller alone: not the account's instances")
	}
	families := map[string]int{}
	for _, r := range both.records("instance") {
		switch r["source"] {
		case SourceSearch:
			families[fmt.Sprint(r["family"])]++
			if r["type"] == nil {
				t.Fatalf("search row without type: %v", r)
			}
		case SourceResourceController:
			if r["family"] != "resource_controller" {
				t.Fatalf("row %v", r)
			}
		default:
			t.Fatalf("row without source: %v", r)
		}
	}
	if families["is"] == 0 || families["resource_controller"] == 0 {
		t.Errorf("Search-only rows by family %v: want VPC (is) documents and buckets", families)
	}
	if both.summary["by_family"] == nil {
		t.Error("no by_family summary")
	}
}

// A Search failure never loses the Resource Controller rows.
func TestSearchFailureKeepsRCRows(t *testing.T) {
	f := newFixture(t, spec(300, 2, 0), cloudsim.Options{})
	f.l.Sim.AddFault(&cloudsim.Fault{PathPrefix: "/v3/resources/search", Status: http.StatusInternalServerError})
	o := NewOptions()
	o.Sources = SourceBoth
	rec, err := f.run(t, context.Background(), o, 0)
	if err == nil || !strings.Contains(err.Error(), "global search failed") {
		t.Fatalf("err = %v", err)
	}
	if got, want := crns(rec.records("instance")), f.defaultSet(t); !slices.Equal(got, want) {
		t.Fatalf("%d rows, want every one of the %d Resource Controller instances", len(got), len(want))
	}
}

// The change report holds across a switch of sources: what the previous run
// did not list is not "created", what this run does not list is not "deleted".
func TestChangeReportAcrossSources(t *testing.T) {
	f := newFixture(t, spec(400, 2, 0), cloudsim.Options{})
	f.behave(func(st *resources.State) { st.Behaviour.SearchOnlyDocs = 30 })
	dir := t.TempDir()
	f.env.StateDir = dir
	for k, src := range []string{SourceBoth, SourceResourceController, SourceBoth, SourceBoth} {
		o := NewOptions()
		o.Sources = src
		o.IncludeTags = true
		rec, err := f.run(t, context.Background(), o, 0)
		must(t, err)
		if k > 0 {
			if ch := rec.records("change"); len(ch) != 0 {
				t.Fatalf("run %d (%s): %d change rows, want none; first %v", k+1, src, len(ch), ch[0])
			}
		}
		writeJSONL(t, filepath.Join(dir, "latest.jsonl"), rec.rows)
	}
}
