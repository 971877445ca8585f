package failure_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/trustjob/trustjob/internal/cloudsim"
)

func tokenRequests(h *harness) int64 { return h.l.Sim.Log().Count(cloudsim.ServiceIAMToken) }

// entries returns the request log's entries for service ("" for all).
func entries(h *harness, service string) []cloudsim.Entry {
	var out []cloudsim.Entry
	for _, e := range h.l.Sim.Log().Entries() {
		if service == "" || e.Service == service {
			out = append(out, e)
		}
	}
	return out
}

// countStatus counts service's requests the emulator answered with status
// (0: the connection was dropped).
func countStatus(h *harness, service string, status int) int {
	n := 0
	for _, e := range entries(h, service) {
		if e.Status == status {
			n++
		}
	}
	return n
}

// wantStatuses checks service's requests were answered with these statuses, in
// order, and returns them.
func wantStatuses(t *testing.T, h *harness, service string, want ...int) []cloudsim.Entry {
	t.Helper()
	e := entries(h, service)
	var got []int
	for _, x := range e {
		got = append(got, x.Status)
	}
	if !slices.Equal(got, want) {
		t.Errorf("%s requests answered %v, want %v", service, got, want)
	}
	return e
}

// writeToken points the run at a token file with content.
func writeToken(t *testing.T, h *harness, content string) {
	t.Helper()
	p := filepath.Join(h.dir, "other-token")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	h.env["TRUSTJOB_CR_TOKEN_FILE"] = p
	h.secrets = append(h.secrets, content)
}

// mint returns a service-account token from the emulator's cluster, for the
// trusted namespace and service account unless o names others.
func mint(t *testing.T, h *harness, o cloudsim.MintOptions) string {
	t.Helper()
	if o.Namespace == "" {
		o.Namespace = h.spec.Namespace
	}
	if o.ServiceAccount == "" {
		o.ServiceAccount = h.spec.ServiceAccount
	}
	tok, err := h.l.Sim.World().MintSAToken(o)
	if err != nil {
		t.Fatal(err)
	}
	h.secrets = append(h.secrets, tok)
	return tok
}

// replaceProjected rewrites the projected token behind its ..data link in
// place, so that the emulator's kubelet (Local.Refresh) can rotate it later.
func replaceProjected(t *testing.T, path, content string) {
	t.Helper()
	target, err := filepath.EvalSymlinks(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(target, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// rcInstances is a fault on the Resource Controller's instance listing.
func rcInstances(edit func(f *cloudsim.Fault)) *cloudsim.Fault {
	f := &cloudsim.Fault{Service: cloudsim.ServiceResourceCtl, PathPrefix: "/v2/resource_instances"}
	edit(f)
	return f
}

// revoke takes actions away from the runner's trusted profile.
func revoke(actions ...string) func(*testing.T, *harness) {
	return func(_ *testing.T, h *harness) {
		w := h.l.Sim.World()
		for _, a := range actions {
			w.Revoke(w.IAM.RunnerIAMID(), a)
		}
	}
}

// wantTaskError checks that task's error, in its "task finished" line and in
// run-summary.json, says each text.
func wantTaskError(t *testing.T, r *result, task string, texts ...string) {
	t.Helper()
	logged, summed := "", fmt.Sprint(taskSummary(t, r, task)["error"])
	if l := r.taskLog(task); l != nil {
		logged = fmt.Sprint(l["err"])
	}
	for _, s := range texts {
		if !strings.Contains(logged, s) || !strings.Contains(summed, s) {
			t.Errorf("%s's error does not say %q: logged %q, summary %q", task, s, logged, summed)
		}
	}
}

// wantDenied checks that each task's failure is marked as a permission
// problem, in its log line and in run-summary.json.
func wantDenied(t *testing.T, r *result, tasks ...string) {
	t.Helper()
	for _, task := range tasks {
		l := r.taskLog(task)
		if l == nil || l["permission_denied"] != true || taskSummary(t, r, task)["permission_denied"] != true {
			t.Errorf("%s's failure is not marked permission_denied (log and run-summary.json)", task)
		}
	}
}

// errorText joins the err and hint of every error-level log record.
func errorText(r *result) string {
	var b strings.Builder
	for _, l := range r.logs {
		if l["level"] == "ERROR" {
			fmt.Fprintf(&b, "%v | %v\n", l["err"], l["hint"])
		}
	}
	return b.String()
}

// wantFinal checks that the error log records (err and hint) say each text.
func wantFinal(t *testing.T, r *result, texts ...string) {
	t.Helper()
	got := errorText(r)
	for _, s := range texts {
		if !strings.Contains(got, s) {
			t.Errorf("the error log records do not say %q:\n%s", s, got)
		}
	}
}

// wantLogged checks that a record with message msg has attribute key = value.
func wantLogged(t *testing.T, r *result, msg, key string, value any) {
	t.Helper()
	for _, l := range r.logged(msg) {
		if l[key] == value {
			return
		}
	}
	t.Errorf("no %q log record with %s=%v: %v", msg, key, value, r.logged(msg))
}

// wantLogCount checks how many records have message msg.
func wantLogCount(t *testing.T, r *result, msg string, n int) {
	t.Helper()
	if got := len(r.logged(msg)); got != n {
		t.Errorf("%d %q log records, want %d", got, msg, n)
	}
}

// taskSummary returns task's entry in run-summary.json.
func taskSummary(t *testing.T, r *result, name string) map[string]any {
	t.Helper()
	tasks, _ := r.summary(t)["tasks"].([]any)
	for _, x := range tasks {
		if m, _ := x.(map[string]any); m["name"] == name {
			return m
		}
	}
	t.Fatalf("run-summary.json has no task %s", name)
	return nil
}

// summaryNumber reads a number from run-summary.json: a top-level key, or
// "tasks", task, key.
func summaryNumber(t *testing.T, r *result, path ...string) float64 {
	t.Helper()
	m := r.summary(t)
	if len(path) == 3 && path[0] == "tasks" {
		m, path = taskSummary(t, r, path[1]), path[2:]
	}
	n, ok := m[path[0]].(float64)
	if !ok {
		t.Errorf("run-summary.json: %v is %v, not a number", path, m[path[0]])
	}
	return n
}

// wantIncompleteFile checks that task kept its rows in an .incomplete report.
func wantIncompleteFile(t *testing.T, r *result, task string) {
	t.Helper()
	for name := range r.files {
		if strings.HasPrefix(name, task+"/") && strings.Contains(name, ".incomplete.") {
			return
		}
	}
	t.Errorf("no incomplete %s report; files %v", task, keys(r.files))
}

// lines counts the non-empty lines of a JSONL file.
func lines(b []byte) int {
	n := 0
	for l := range bytes.SplitSeq(b, []byte("\n")) {
		if len(bytes.TrimSpace(l)) > 0 {
			n++
		}
	}
	return n
}

// guids returns the instance GUIDs of an inventory JSONL report, and how many
// rows repeat one.
func guids(b []byte) (set map[string]bool, dup int) {
	set = map[string]bool{}
	for l := range bytes.SplitSeq(b, []byte("\n")) {
		var row struct{ GUID string }
		if json.Unmarshal(l, &row) != nil || row.GUID == "" {
			continue
		}
		if set[row.GUID] {
			dup++
		}
		set[row.GUID] = true
	}
	return set, dup
}

var (
	baselineOnce  sync.Once
	baselineGUIDs map[string]bool
)

// wantAllInstances checks that the inventory holds every instance a clean run
// over the same (default) account finds: no page lost or listed twice
// because of the faults.
func wantAllInstances(t *testing.T, h *harness, r *result) {
	t.Helper()
	baselineOnce.Do(func() {
		b := newHarness(t, cloudsim.DefaultSpec(), cloudsim.Options{})
		b.writeConfig("60s", "  - {name: inventory, type: inventory, timeout: 20s}\n")
		br := b.run(nil)
		baselineGUIDs, _ = guids(br.files[filepath.Join("inventory", "latest.jsonl")])
		if br.code != 0 || len(baselineGUIDs) == 0 {
			t.Errorf("the clean baseline run: exit %d, %d instances", br.code, len(baselineGUIDs))
		}
	})
	got, dup := guids(r.files[filepath.Join("inventory", "latest.jsonl")])
	if dup > 0 || len(got) != len(baselineGUIDs) {
		t.Errorf("the inventory holds %d instances (%d repeated); a clean run finds %d", len(got), dup, len(baselineGUIDs))
	}
	for g := range baselineGUIDs {
		if !got[g] {
			t.Errorf("instance %s is missing", g)
			break
		}
	}
}

func tail(s string) string {
	if len(s) > 3000 {
		return "…" + s[len(s)-3000:]
	}
	return s
}
