package inventory

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/IBM/go-sdk-core/v5/core"

	"github.com/trustjob/trustjob/internal/cloudsim"
	"github.com/trustjob/trustjob/internal/cloudsim/resources"
	"github.com/trustjob/trustjob/internal/ibmcloud"
)

// behave sets the emulator's resource behaviour (access filtering, default
// states) for the rest of the test.
func (f *fixture) behave(fn func(st *resources.State)) {
	w := f.l.Sim.World()
	w.Lock()
	fn(&w.Resources)
	w.Unlock()
}

// defaultSet is what the inventory lists by default: active and provisioning,
// read with the SDK pager one explicit state at a time.
func (f *fixture) defaultSet(t *testing.T) []string {
	t.Helper()
	all := append(f.naive(t, "active"), f.naive(t, "provisioning")...)
	slices.Sort(all)
	return all
}

// defaultStateReadings are the two readings of the state set Resource
// Controller lists when asked for none (fidelity audit F3).
var defaultStateReadings = []struct {
	name     string
	defaults []string
}{
	{"SDK default (active, provisioning)", nil},
	{"newer spec default (five states)", resources.SpecDefaultStates},
}

// F3: the inventory names its states, so what the API lists without a state
// (the SDK's two states or the newer spec's five) does not change the report.
func TestExplicitStates(t *testing.T) {
	s := spec(900, 3, 0.3)
	s.NonDefaultStates = 0.3
	for _, tt := range defaultStateReadings {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, s, cloudsim.Options{})
			f.behave(func(st *resources.State) { st.Behaviour.DefaultStates = tt.defaults })
			rec, err := f.run(t, context.Background(), NewOptions(), 2)
			if err != nil {
				t.Fatal(err)
			}
			got, want := crns(rec.records("instance")), f.defaultSet(t)
			if len(want) == 0 || !slices.Equal(got, want) {
				t.Fatalf("listed %d instances, want the %d active and provisioning ones", len(got), len(want))
			}
			for _, e := range f.l.Sim.Log().Entries() {
				if e.Path == "/v2/resource_instances" && !strings.Contains(e.RawQuery, "state=") && !strings.Contains(e.RawQuery, "start=") {
					t.Errorf("a first page without an explicit state: %s", e.RawQuery)
				}
			}
		})
	}
}

// F4: pages the caller may see only part of, and long runs of empty pages that
// still carry a cursor, are listed to the end.
func TestAccessFilteredPages(t *testing.T) {
	for _, tt := range []struct {
		name string
		set  func(f *fixture, st *resources.State)
	}{
		{"one instance in three invisible (short pages)", func(_ *fixture, st *resources.State) { st.Behaviour.InvisibleEvery = 3 }},
		{"a whole group invisible (empty pages with a cursor)", func(_ *fixture, st *resources.State) { st.Behaviour.InvisibleGroup = st.Groups[1].ID }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, spec(1500, 3, 0), cloudsim.Options{})
			f.behave(func(st *resources.State) { tt.set(f, st) })
			rec, err := f.run(t, context.Background(), NewOptions(), 0)
			if err != nil {
				t.Fatal(err)
			}
			got, want := crns(rec.records("instance")), f.defaultSet(t)
			if len(want) == 0 || !slices.Equal(got, want) {
				t.Fatalf("listed %d instances, the SDK pager %d", len(got), len(want))
			}
		})
	}
}

// F10 / safety case 6: Resource Manager hides groups the profile may not view;
// their instances are still listed, flagged, and the run says which groups.
func TestHiddenResourceGroups(t *testing.T) {
	for _, tt := range []struct {
		name   string
		hidden func(st *resources.State) []string
	}{
		{"the first group (found by the unpartitioned sample page)", func(st *resources.State) []string { return []string{st.Groups[0].ID} }},
		{"a later group (found by the account-wide passes)", func(st *resources.State) []string { return []string{st.Groups[2].ID} }},
		{"every group (an empty list)", func(st *resources.State) []string {
			var ids []string
			for _, g := range st.Groups {
				ids = append(ids, g.ID)
			}
			return ids
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, spec(1200, 4, 0), cloudsim.Options{})
			var hidden []string
			f.behave(func(st *resources.State) {
				hidden = tt.hidden(st)
				st.Behaviour.HiddenGroups = map[string]bool{}
				for _, id := range hidden {
					st.Behaviour.HiddenGroups[id] = true
				}
			})
			rec, err := f.run(t, context.Background(), NewOptions(), 0)
			if err != nil {
				t.Fatal(err)
			}
			got, want := crns(rec.records("instance")), f.defaultSet(t)
			if !slices.Equal(got, want) {
				t.Fatalf("listed %d instances, the account has %d", len(got), len(want))
			}
			flagged, _ := rec.summary["groups_not_in_resource_manager"].(map[string]int)
			for _, id := range hidden {
				if _, ok := flagged[id]; !ok {
					t.Errorf("group %s not reported in groups_not_in_resource_manager (%v)", id, rec.summary["groups_not_in_resource_manager"])
				}
			}
		})
	}
}

// Safety case 6: a large unexplained shrink against the previous run fails the
// run (kept as incomplete, latest.* untouched) and says why.
func TestShrinkGuard(t *testing.T) {
	f := newFixture(t, spec(600, 3, 0), cloudsim.Options{})
	dir := t.TempDir()
	f.env.StateDir = dir
	first, err := f.run(t, context.Background(), NewOptions(), 0)
	must(t, err)
	writeJSONL(t, filepath.Join(dir, "latest.jsonl"), first.rows)

	// A third of the account vanishes from view (Viewer lost on a group).
	f.behave(func(st *resources.State) { st.Behaviour.InvisibleGroup = st.Groups[0].ID })
	second, err := f.run(t, context.Background(), NewOptions(), 0)
	if err == nil || !strings.Contains(err.Error(), "maxShrinkPercent") {
		t.Fatalf("err = %v, want the shrink refused", err)
	}
	if second.summary["complete"] != false {
		t.Errorf("summary complete = %v, want false", second.summary["complete"])
	}

	o := NewOptions()
	o.MaxShrinkPercent = 100 // the deletions are real: accept them once
	if _, err := f.run(t, context.Background(), o, 0); err != nil {
		t.Fatalf("with maxShrinkPercent 100: %v", err)
	}
}

// Safety case 6: a 200 without a resources array is not an empty account.
func TestGroupListWithoutResources(t *testing.T) {
	f := newFixture(t, spec(100, 2, 0), cloudsim.Options{})
	f.l.Sim.AddFault(&cloudsim.Fault{PathPrefix: "/v2/resource_groups", Status: http.StatusOK, Body: `{"rows_count":0}`})
	_, err := f.run(t, context.Background(), NewOptions(), 0)
	if err == nil || !strings.Contains(err.Error(), "no resources array") {
		t.Fatalf("err = %v, want the answer refused", err)
	}
}

// F8: a non-administrator's is_deleted is refused; that costs the tags of
// removed instances, never the inventory.
func TestDeletedSearchRefused(t *testing.T) {
	s := spec(600, 3, 0)
	s.NonDefaultStates = 0.3
	f := newFixture(t, s, cloudsim.Options{})
	f.behave(func(st *resources.State) { st.Behaviour.DeletedAdminOnly = true })
	o := NewOptions()
	o.IncludeTags = true
	o.States = []string{"active", "removed"}
	rec, err := f.run(t, context.Background(), o, 0)
	if err != nil {
		t.Fatal(err)
	}
	tagged := 0
	for _, r := range rec.records("instance") {
		if r["state"] == "active" && len(stringList(r["tags"])) > 0 {
			tagged++
		}
	}
	if tagged == 0 {
		t.Error("no active instance has tags: the refusal cost more than the removed instances' tags")
	}
}

// F9: instances Search indexes under their service's own type (k8-cluster)
// still get their tags.
func TestClusterTags(t *testing.T) {
	f := newFixture(t, spec(1500, 2, 0), cloudsim.Options{})
	o := NewOptions()
	o.IncludeTags = true
	rec, err := f.run(t, context.Background(), o, 0)
	must(t, err)
	clusters, tagged := 0, 0
	for _, r := range rec.records("instance") {
		if r["service"] != "containers-kubernetes" {
			continue
		}
		clusters++
		if len(stringList(r["tags"]))+len(stringList(r["service_tags"]))+len(stringList(r["access_tags"])) > 0 {
			tagged++
		}
	}
	if clusters == 0 || tagged == 0 {
		t.Fatalf("%d clusters, %d with tags; want tags on clusters (Search indexes them as k8-cluster)", clusters, tagged)
	}
}

// F7: a 429 with only X-RateLimit-Reset (Resource Controller's documented
// headers) waits until the reset, not a blind backoff.
func TestRateLimitResetHonoured(t *testing.T) {
	reset := time.Now().Add(3 * time.Second).Unix()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("X-RateLimit-Limit", "10")
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(reset, 10))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		fmt.Fprint(w, `{"error_code":"RC-TooManyRequests","message":"rate limited","status_code":429,"transaction_id":"bss-1"}`)
	}))
	defer srv.Close()
	base, err := core.NewBaseService(&core.ServiceOptions{URL: srv.URL, Authenticator: &core.NoAuthAuthenticator{}})
	must(t, err)
	c := newCaller(slog.New(slog.DiscardHandler))
	s := newService("resource-controller", base, newLimiter(1))
	status, after, _, err := c.once(context.Background(), s, request{op: "list", method: "GET", path: "/v2/resource_instances",
		decode: decodeJSON(&rcPage{})})
	if status != http.StatusTooManyRequests || err == nil {
		t.Fatalf("status %d, err %v", status, err)
	}
	if after < time.Second || after > 3*time.Second {
		t.Fatalf("wait %v, want until X-RateLimit-Reset (1-3 s)", after)
	}
}

// Resource keys become credential rows; the secret in their credentials
// object never reaches a row or a log line, even at debug level.
func TestCredentialsNeverRead(t *testing.T) {
	f := newFixture(t, spec(400, 3, 0), cloudsim.Options{})
	f.behave(func(st *resources.State) { st.Behaviour.KeyCredentials = true })
	var logs bytes.Buffer
	f.env.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	o := NewOptions()
	o.IncludeCredentials = true
	rec, err := f.run(t, context.Background(), o, 0)
	must(t, err)
	keys := rec.records("credential")
	if len(keys) != 100 { // one key for every fourth instance
		t.Fatalf("%d credential rows, want 100", len(keys))
	}
	for _, k := range keys {
		if k["role"] != "Writer" || !strings.HasPrefix(fmt.Sprint(k["service_id"]), "ServiceId-") ||
			!strings.HasPrefix(fmt.Sprint(k["instance_crn"]), "crn:") || k["age_days"] == nil {
			t.Fatalf("credential row %v", k)
		}
	}
	all, err := json.Marshal(rec.rows)
	must(t, err)
	for what, text := range map[string]string{"rows": string(all), "logs": logs.String(), "summary": fmt.Sprint(rec.summary)} {
		if strings.Contains(text, resources.KeySecretPrefix) {
			t.Errorf("a resource key's API key appears in the %s", what)
		}
	}
	if !strings.Contains(string(rawGet(t, f.env, "/v2/resource_keys", map[string][]string{"limit": {"1"}})), resources.KeySecretPrefix) {
		t.Fatal("the emulator sent no secret: the test proves nothing")
	}
}

// An answer that cannot be read whole is an error of its own kind: one over
// the body cap says "too large" and is not retried (no retry makes it
// smaller); one whose connection is cut is retried. Either way nothing
// reaches the decoder.
func TestUnreadableAnswers(t *testing.T) {
	for _, tt := range []struct {
		name     string
		serve    func(w http.ResponseWriter)
		want     error
		attempts int64
	}{
		{"over the cap", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"resources":[` + strings.Repeat(" ", maxBody)))
		}, ibmcloud.ErrBodyTooLarge, 1},
		{"connection cut", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte(`{"rows_count":1,"resources":[{"crn":"x"`))
			w.(http.Flusher).Flush()
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				_ = conn.Close()
			}
		}, io.ErrUnexpectedEOF, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { tt.serve(w) }))
			defer srv.Close()
			base, err := core.NewBaseService(&core.ServiceOptions{URL: srv.URL, Authenticator: &core.NoAuthAuthenticator{}})
			must(t, err)
			c := newCaller(slog.New(slog.DiscardHandler))
			c.maxAttempts, c.backoffBase = 2, time.Millisecond
			s := newService("resource-controller", base, newLimiter(1))
			decoded := false
			err = c.call(context.Background(), s, request{op: "list", method: "GET", path: "/v2/resource_instances",
				decode: func([]byte) error { decoded = true; return nil }})
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if got := s.requests.Load(); got != tt.attempts || decoded {
				t.Fatalf("%d attempts (want %d), decoded %v", got, tt.attempts, decoded)
			}
		})
	}
}
