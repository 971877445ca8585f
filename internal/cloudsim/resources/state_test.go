package resources

import (
	"math/rand/v2"
	"testing"
)

// generate builds the resources of an account from seed, as account.Generate
// does (without the rest of the account).
func generate(seed uint64, sz Sizes) *State {
	var st State
	st.Generate(rand.New(rand.NewPCG(seed, 0)), "acct0000000000000000000000000042", "", sz) //nolint:gosec // deterministic test data
	return &st
}

func TestRSLuceneSubset(t *testing.T) {
	st := generate(3, Sizes{Instances: 0, Groups: 1})
	rec, err := st.CreateInstance(InstanceRecord{Name: "my db", Service: "databases-for-postgresql",
		Region: "eu-de", Tags: []string{"env:prod", "team:data"}, AccessTags: []string{"project:alpha"}})
	if err != nil {
		t.Fatal(err)
	}
	d := &rsDoc{st: st, i: rec.Index, rec: &rec}
	d.m = st.recordMeta(&rec)
	for _, tt := range []struct {
		q    string
		want bool
	}{
		{"*", true},
		{"tags:*", true},
		{"service_tags:*", false},
		{`tags:"env:prod"`, true},
		{`tags:env\:prod`, true},
		{"tags:ENV\\:PROD", true},
		{"tags:env*", true},
		{"tags:env\\:dev", false},
		{"region:eu-de AND service_name:databases-for-postgresql", true},
		{"region:eu-de AND NOT tags:team\\:data", false},
		{"region:us-south OR access_tags:project\\:alpha", true},
		{"region:us-south access_tags:project\\:alpha", true},
		{"-region:us-south", true},
		{"(region:us-south || region:eu-de) && family:resource_controller", true},
		{`name:"my db"`, true},
		{"postgresql", true},
		{"unknown_field:x", false},
		{"type:resource-instance", true},
	} {
		q, err := rsParseQuery(tt.q)
		if err != nil {
			t.Errorf("%s: %v", tt.q, err)
			continue
		}
		if got := q.match(d); got != tt.want {
			t.Errorf("%s = %v, want %v", tt.q, got, tt.want)
		}
	}
	for _, bad := range []string{"(", "a AND", `tags:"open`, ":x", "tags:", ")"} {
		if _, err := rsParseQuery(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func FuzzRSParseQuery(f *testing.F) {
	for _, s := range []string{"*", "tags:*", `a:"b c" AND (d OR -e)`, `x\:y:z*`, "NOT NOT a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := rsParseQuery(s)
		if err == nil && q == nil {
			t.Fatal("nil query without error")
		}
	})
}

func TestResourcesFixture(t *testing.T) {
	st := generate(5, Sizes{Instances: 20, Groups: 2})
	locked := true
	err := st.Apply(Fixture{
		Groups:    []GroupFixture{{Name: "audit"}},
		Instances: []InstanceFixture{{Name: "fx-kms", Service: "kms", Group: "audit", Tags: []string{"env:prod"}, UpdatedAt: "2026-01-02T03:04:05Z"}},
		Update:    []InstanceFixture{{ID: "#3", Name: "renamed", Locked: &locked}},
		Delete:    []string{"#4"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if r, ok := st.Instance("#3"); !ok || r.Name != "renamed" || !r.Locked {
		t.Errorf("#3 = %+v", r)
	}
	if _, ok := st.Instance("#4"); ok {
		t.Error("#4 not deleted")
	}
	if r, ok := st.Instance("#20"); !ok || r.GroupID != st.Group("audit").ID || r.Type != "service_instance" {
		t.Errorf("#20 = %+v", r)
	}
	if st.Count() != 20 {
		t.Errorf("count %d", st.Count())
	}
	if err := st.Apply(Fixture{Update: []InstanceFixture{{ID: "#99"}}, Delete: []string{"nope"}}); err == nil {
		t.Error("bad references accepted")
	}
}

func TestResourcesGeneration(t *testing.T) {
	spec := Sizes{Instances: 1_000_000, Groups: 20, LargestGroupShare: 0.4, NonDefaultStates: 0.05}
	st, b := generate(42, spec), generate(42, spec)
	if got := st.Groups[0].count; got != 400_000 {
		t.Errorf("largest group holds %d", got)
	}
	total := 0
	for _, g := range st.Groups {
		total += g.count
	}
	if total != spec.Instances {
		t.Errorf("groups hold %d", total)
	}
	for _, i := range []int{0, 1, 399_999, 400_000, 999_999} {
		ra, _ := st.record(i)
		rb, _ := b.record(i)
		if st.instanceCRN(ra) != b.instanceCRN(rb) || ra.Name != rb.Name || !ra.UpdatedAt.Equal(rb.UpdatedAt) {
			t.Errorf("instance %d differs between two generations", i)
		}
		if st.indexOfGUID(ra.GUID) != i {
			t.Errorf("GUID of %d does not invert", i)
		}
		if ra.UpdatedAt.Before(ra.CreatedAt) || ra.UpdatedAt.After(rsEpoch) {
			t.Errorf("instance %d: created %s updated %s", i, ra.CreatedAt, ra.UpdatedAt)
		}
	}
	// A deep page of the largest group is a seek, not a scan of the account.
	f := &rsFilter{group: 5}
	recs, next := st.scanInstances(f, 30_000, 100)
	if len(recs) != 100 || next < 0 || recs[0].GroupID != st.Groups[5].ID {
		t.Errorf("deep page: %d rows, next %d", len(recs), next)
	}
}
