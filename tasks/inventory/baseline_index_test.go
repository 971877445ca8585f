package inventory

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/trustjob/trustjob/internal/report"
)

// TestBaselineCompactFind: the compact index (48-bit keys under a 16-bit
// directory) finds exactly what a binary search over the full keys finds,
// first duplicates included, for keys in full, sparse and empty buckets.
func TestBaselineCompactFind(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 2, 1000, 100000} {
		keys := make([]uint64, 0, n+4)
		for range n {
			keys = append(keys, rng.Uint64())
		}
		if n > 2 {
			// same top 16 bits, neighbours, a duplicate, the extremes
			keys = append(keys, keys[0]^1, keys[1], 0, ^uint64(0))
		}
		slices.Sort(keys)
		full := slices.Clone(keys)
		b := &baseline{keys: keys, free: []func(){func() {}}}
		b.compact()
		defer b.release()
		if b.size() != len(full) {
			t.Fatalf("n=%d: size %d, want %d", n, b.size(), len(full))
		}
		probe := append(slices.Clone(full), rng.Uint64(), 1, ^uint64(1), full0(full)+1)
		for _, h := range probe {
			want := -1
			if k, ok := slices.BinarySearch(full, h); ok {
				want = k
			}
			if got := b.find(h); got != want {
				t.Fatalf("n=%d: find(%#x) = %d, want %d", n, h, got, want)
			}
		}
	}
}

func full0(s []uint64) uint64 {
	if len(s) == 0 {
		return 0
	}
	return s[0]
}

// TestBaselineCompare: the index names exactly the fields that changed, with
// the (state, plan, group) dictionary and with the index widened to hashes
// when the dictionary is full (mid-file), for rows with and without tags,
// and skips state and plan across sources and tags when a run did not read
// them.
func TestBaselineCompare(t *testing.T) {
	var prev []report.Row
	for i := range 40 {
		r := report.Row{
			"record": "instance", "source": SourceResourceController, "crn": fmt.Sprintf("crn:v1:bluemix:public:svc:us-south:a/acc:%d::", i),
			"name": fmt.Sprintf("n%d", i), "state": []string{"active", "inactive"}[i%2],
			"resource_plan_id": fmt.Sprintf("plan-%d", i%3), "resource_group_id": fmt.Sprintf("group-%d", i%5),
		}
		if i%4 == 0 {
			r["tags"], r["service_tags"], r["access_tags"] = []string{"env:prod", "a:b"}, []string{}, []string{"x:y"}
		}
		if i == 39 {
			r["source"] = SourceSearch
		}
		prev = append(prev, r)
	}
	type change struct {
		i       int
		set     map[string]any
		tagsNow bool
		search  bool
		want    string
	}
	changes := []change{
		{i: 1, want: ""},
		{i: 0, tagsNow: true, want: ""}, // tags in another order are the same tags
		{i: 2, set: map[string]any{"name": "renamed"}, want: "name"},
		{i: 3, set: map[string]any{"state": "active"}, want: "state"},
		{i: 5, set: map[string]any{"resource_plan_id": "plan-9"}, want: "resource_plan_id"},
		{i: 6, set: map[string]any{"resource_group_id": "group-4"}, want: "resource_group_id"},
		{i: 7, set: map[string]any{"state": "active", "resource_group_id": "new-group", "name": "x"}, want: "name,state,resource_group_id"},
		{i: 8, set: map[string]any{"tags": []string{"env:dev"}}, tagsNow: true, want: "tags"},
		{i: 8, set: map[string]any{"tags": []string{"env:dev"}}, want: ""},                    // this run did not read tags
		{i: 9, set: map[string]any{"tags": []string{"new:tag"}}, tagsNow: true, want: "tags"}, // had none
		{i: 12, set: map[string]any{"tags": nil, "access_tags": nil}, tagsNow: true, want: "tags"},
		{i: 10, set: map[string]any{"state": "x", "resource_plan_id": "y"}, search: true, want: ""}, // other source
		{i: 39, set: map[string]any{"state": "x", "name": "y"}, search: true, want: "name,state"},
	}
	fix := func(r report.Row) report.Row { // this run's rows hold []string tags
		c := maps.Clone(r)
		for _, k := range []string{"tags", "service_tags", "access_tags"} {
			if v, ok := c[k].([]string); ok {
				c[k] = slices.Clone(v)
				slices.Reverse(c[k].([]string))
			}
		}
		return c
	}
	for _, limit := range []int{maxTriples, 4, 1} { // 4, 1: the index widens mid-file
		t.Run(fmt.Sprintf("maxTriples=%d", limit), func(t *testing.T) {
			defer func(old int) { maxTriples = old }(maxTriples)
			maxTriples = limit
			path := filepath.Join(t.TempDir(), "latest.jsonl")
			writeJSONL(t, path, prev)
			b, err := loadBaseline(fileSource(path))
			if err != nil {
				t.Fatal(err)
			}
			defer b.release()
			if wide := b.code == nil; wide != (limit < 30) {
				t.Fatalf("wide index %v with maxTriples %d", wide, limit)
			}
			for _, c := range changes {
				cur := fix(prev[c.i])
				for k, v := range c.set {
					cur[k] = v
				}
				k := b.find(crnHash(str(cur["crn"])))
				if k < 0 {
					t.Fatalf("row %d not in the index", c.i)
				}
				got := strings.Join(b.compare(k, currentFields(cur), c.tagsNow, c.search), ",")
				if got != c.want {
					t.Errorf("row %d with %v (tags read %v, search %v): changed %q, want %q", c.i, c.set, c.tagsNow, c.search, got, c.want)
				}
			}
		})
	}
}
