package apikeyrotation

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trustjob/trustjob/internal/action"
	"github.com/trustjob/trustjob/internal/cloudsim"
	"github.com/trustjob/trustjob/internal/config"
	"github.com/trustjob/trustjob/internal/simtest"
	"github.com/trustjob/trustjob/tasks"
)

type harness struct {
	world *cloudsim.World
	local *cloudsim.Local
	env   tasks.Env
}

func start(t *testing.T) *harness {
	t.Helper()
	w, err := cloudsim.LoadFixture("testdata/account.yaml")
	if err != nil {
		t.Fatal(err)
	}
	l, s := simtest.StartWorld(t, w, cloudsim.Options{ReportDelay: 20 * time.Millisecond})
	env := simtest.Env(s, TypeName)
	env.StateDir = t.TempDir()
	return &harness{world: w, local: l, env: env}
}

func options() *Options {
	o := NewOptions()
	o.PollInterval, o.PollMaxInterval = config.Duration(10*time.Millisecond), config.Duration(50*time.Millisecond)
	return o
}

func (h *harness) run(t *testing.T, o *Options) (*simtest.Rows, tasks.Result, error) {
	t.Helper()
	h.env.Actions = action.New(action.Config{DryRun: o.DryRun})
	out := &simtest.Rows{}
	res, err := (&task{opts: o}).Run(context.Background(), h.env, out)
	return out, res, err
}

func (h *harness) disabled(id string) bool {
	h.world.RLock()
	defer h.world.RUnlock()
	for _, k := range h.world.Identities.APIKeys {
		if k.ID == id {
			return k.Disabled
		}
	}
	return false
}

// writeBaseline writes a previous report in which ids were first seen at.
func (h *harness) writeBaseline(t *testing.T, at time.Time, ids ...string) {
	t.Helper()
	var b strings.Builder
	for _, id := range ids {
		b.WriteString(`{"record":"apikey","id":"` + id + `","first_seen":"` + at.UTC().Format(time.RFC3339) + "\"}\n")
	}
	if err := os.WriteFile(filepath.Join(h.env.StateDir, "latest.jsonl"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestReport(t *testing.T) {
	h := start(t)
	out, res, err := h.run(t, options())
	if err != nil {
		t.Fatal(err)
	}
	keys := out.ByID(colRecord, recordKey)
	for _, id := range []string{"ApiKey-ci-old", "ApiKey-etl-old", "ApiKey-etl-never", "ApiKey-locked", "ApiKey-exempt", "ApiKey-alice"} {
		if keys[id] == nil {
			t.Errorf("%s missing from the report", id)
		}
	}
	for _, id := range []string{"ApiKey-fresh", "ApiKey-off"} {
		if keys[id] != nil {
			t.Errorf("%s reported: fresh and disabled keys are not findings", id)
		}
	}
	if keys["ApiKey-ci-old"][colOwnerName] != "ci" || keys["ApiKey-alice"][colOwnerName] != "alice@example.com" {
		t.Errorf("owner names %v / %v", keys["ApiKey-ci-old"][colOwnerName], keys["ApiKey-alice"][colOwnerName])
	}
	if got := keys["ApiKey-ci-old"][colLastUse]; got != "used within 90d" {
		t.Errorf("ci-old last use %v", got)
	}
	if got := keys["ApiKey-etl-old"][colLastUse]; !strings.HasPrefix(got.(string), "last used ") || keys["ApiKey-etl-old"][colLastAuthn] == "" {
		t.Errorf("etl-old last use %v", got)
	}
	if got := keys["ApiKey-etl-never"][colLastUse]; got != "never used" {
		t.Errorf("etl-never last use %v", got)
	}
	if keys["ApiKey-exempt"][tasks.ColStatus] != "pass" || keys["ApiKey-ci-old"][tasks.ColControl] != Control {
		t.Errorf("exempt %v / control %v", keys["ApiKey-exempt"], keys["ApiKey-ci-old"][tasks.ColControl])
	}
	if n := res.Findings.Failing(); n != 5 {
		t.Errorf("%d failing findings, want 5", n)
	}
}

// Dry run: would-do rows and no write; grace holds back keys first seen
// recently; a real run disables only what qualifies.
func TestDisableDryRunGraceAndReal(t *testing.T) {
	h := start(t)
	o := options()
	o.Actions = []string{ActionDisable}
	o.Grace = config.Duration(14 * 24 * time.Hour)
	h.writeBaseline(t, time.Now().Add(-30*24*time.Hour), "ApiKey-ci-old", "ApiKey-etl-never", "ApiKey-alice", "ApiKey-locked")

	out, _, err := h.run(t, o) // dry run (the default)
	if err != nil {
		t.Fatal(err)
	}
	acts := out.ByID(colRecord, recordAction)
	want := map[string]action.Result{
		"ApiKey-ci-old": action.WouldDo, "ApiKey-etl-never": action.WouldDo,
		"ApiKey-etl-old": action.SkippedGrace, // first seen now
		"ApiKey-alice":   action.SkippedUnsafe, "ApiKey-locked": action.SkippedUnsafe, "ApiKey-exempt": action.SkippedExempt,
	}
	for id, r := range want {
		if got := acts[id][colResult]; got != string(r) {
			t.Errorf("dry run: %s result %v (%v), want %s", id, got, acts[id][colDetail], r)
		}
	}
	if h.disabled("ApiKey-ci-old") {
		t.Fatal("a dry run disabled a key")
	}
	if keys := out.ByID(colRecord, recordKey); keys["ApiKey-ci-old"][colFirstSeen] == keys["ApiKey-etl-old"][colFirstSeen] {
		t.Error("first_seen not carried from the baseline")
	}

	o.DryRun = false
	out, _, err = h.run(t, o)
	if err != nil {
		t.Fatal(err)
	}
	acts = out.ByID(colRecord, recordAction)
	if acts["ApiKey-ci-old"][colResult] != string(action.Done) || !h.disabled("ApiKey-ci-old") || !h.disabled("ApiKey-etl-never") {
		t.Errorf("real run: %v; ci-old disabled %t", acts["ApiKey-ci-old"], h.disabled("ApiKey-ci-old"))
	}
	if h.disabled("ApiKey-etl-old") || h.disabled("ApiKey-alice") {
		t.Error("a key in grace or a user's key was disabled")
	}
}

// TestUserKeysRule: disable-apikey follows inactive-identities' rule (issue 13
// F5/F6): users' own keys and locked keys are skipped-unsafe without a request;
// with includeUserAPIKeys, the user's key is tried, the emulator refuses the
// profile (403) as IAM does, and the refusal fails only that kind: the
// service IDs' keys are still disabled. A locked key is never sent.
func TestUserKeysRule(t *testing.T) {
	for _, include := range []bool{false, true} {
		t.Run(map[bool]string{false: "default", true: "includeUserAPIKeys"}[include], func(t *testing.T) {
			h := start(t)
			o := options()
			o.Actions, o.DryRun, o.Grace, o.IncludeUserAPIKeys = []string{ActionDisable}, false, 0, include
			out, _, err := h.run(t, o)
			acts := out.ByID(colRecord, recordAction)
			wantAlice := action.SkippedUnsafe
			if include {
				wantAlice = action.Failed
				if err == nil {
					t.Error("a refused write did not fail the task")
				}
			} else if err != nil {
				t.Fatal(err)
			}
			for id, want := range map[string]action.Result{"ApiKey-alice": wantAlice, "ApiKey-locked": action.SkippedUnsafe,
				"ApiKey-ci-old": action.Done, "ApiKey-etl-never": action.Done} {
				if got := acts[id][colResult]; got != string(want) {
					t.Errorf("%s: %v (%v), want %s", id, got, acts[id][colDetail], want)
				}
			}
			if d := fmt.Sprint(acts["ApiKey-alice"][colDetail]); !include && !strings.Contains(d, "includeUserAPIKeys") {
				t.Errorf("the user key's detail does not name the opt-in: %s", d)
			}
			if h.disabled("ApiKey-alice") || h.disabled("ApiKey-locked") {
				t.Error("a user's key or a locked key was disabled")
			}
			wantAliceWrites := 0
			if include {
				wantAliceWrites = 1
			}
			if n := writesTo(h, "ApiKey-alice"); n != wantAliceWrites {
				t.Errorf("%d writes to the user's key, want %d", n, wantAliceWrites)
			}
			if n := writesTo(h, "ApiKey-locked"); n != 0 {
				t.Errorf("%d writes to the locked key", n)
			}
		})
	}
}

// writesTo counts the non-GET requests the emulator saw for id.
func writesTo(h *harness, id string) int {
	n := 0
	for _, e := range h.local.Sim.Log().Entries() {
		if e.Method != http.MethodGet && strings.Contains(e.Path, "/"+id+"/") {
			n++
		}
	}
	return n
}

// The percentage cap: 3 keys qualify, but 20% of the 8 keys listed allows 1,
// so nothing is disabled and the task fails.
func TestPercentCap(t *testing.T) {
	h := start(t)
	o := options()
	o.Actions, o.DryRun, o.Grace, o.MaxPercent = []string{ActionDisable}, false, 0, 20
	out, _, err := h.run(t, o)
	if err == nil || !strings.Contains(err.Error(), "maxPercent") {
		t.Fatalf("error %v, want the percentage cap", err)
	}
	for id, r := range out.ByID(colRecord, recordAction) {
		if r[colResult] == string(action.Done) {
			t.Errorf("%s disabled over the cap", id)
		}
	}
	if h.disabled("ApiKey-ci-old") {
		t.Error("a key was disabled over the cap")
	}
}

func TestOptionsValidate(t *testing.T) {
	o := NewOptions()
	o.Actions = []string{"delete-apikey", ActionDisable, ActionDisable}
	o.MaxPercent = 120
	o.MaxAge = config.Duration(time.Hour)
	paths := map[string]bool{}
	for _, e := range o.Validate() {
		paths[e.Path] = true
	}
	for _, p := range []string{"actions[0]", "actions[2]", "maxPercent", "maxAge"} {
		if !paths[p] {
			t.Errorf("no problem at %s: %v", p, paths)
		}
	}
}

// TestUnreadableLastUse (issue 12.3): a last_authn IAM writes in no layout
// trustjob reads is "unknown", never "never used".
func TestUnreadableLastUse(t *testing.T) {
	h := start(t)
	h.local.Sim.AddFault(&cloudsim.Fault{Service: cloudsim.ServiceIAMIdentity, PathPrefix: "/v1/activity/", Method: http.MethodGet,
		Status: http.StatusOK, Body: `{"reference":"r1","apikeys":[{"id":"ApiKey-etl-old","name":"etl-old","last_authn":"last Tuesday"},{"id":"ApiKey-etl-never","name":"etl-never"}]}`})
	out, _, err := h.run(t, options())
	if err != nil {
		t.Fatal(err)
	}
	keys := out.ByID(colRecord, recordKey)
	if got := fmt.Sprint(keys["ApiKey-etl-old"][colLastUse]); !strings.HasPrefix(got, "unknown") || !strings.Contains(got, "last Tuesday") {
		t.Errorf("unreadable last_authn: last use %q", got)
	}
	if got := keys["ApiKey-etl-never"][colLastUse]; got != "never used" {
		t.Errorf("no last_authn: last use %v", got)
	}
}
