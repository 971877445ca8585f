package failure_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/trustjob/trustjob/internal/cloudsim"
)

// The inactive-identities cases of issues 12 and 13 that only show in the
// process: its exit code, run-summary.json, the rows of a run cut short. They
// are a block of their own (rows after the others in docs/reliability.md).

// inactiveActing is an inactive-identities task that disables service IDs'
// API keys for real.
const inactiveActing = `  - {name: inactive-identities, type: inactive-identities, timeout: 30s, options: {pollInterval: 100ms, pollMaxInterval: 500ms, dryRun: false, maxActions: 100, actions: [{action: disable-apikey, olderThan: 30d}]}}
`

// inactiveGroupsDryRun previews remove-from-access-groups.
const inactiveGroupsDryRun = `  - {name: inactive-identities, type: inactive-identities, timeout: 20s, options: {pollInterval: 100ms, pollMaxInterval: 500ms, actions: [{action: remove-from-access-groups, olderThan: 30d}]}}
`

func inactiveOnly(status string) map[string]string {
	return map[string]string{"inactive-identities": status}
}

// reportRows returns the action rows of the task's report files (complete or
// incomplete), by key id.
func actionRows(r *result, task string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for name, b := range r.files {
		if !strings.HasPrefix(name, task+"/") || !strings.HasSuffix(name, ".jsonl") || strings.HasPrefix(name, task+"/latest") {
			continue
		}
		for l := range bytes.SplitSeq(b, []byte("\n")) {
			var row map[string]any
			if json.Unmarshal(l, &row) == nil && row["record"] == "action" {
				out[fmt.Sprint(row["id"])] = row
			}
		}
	}
	return out
}

func identityCases() []matrixCase {
	return []matrixCase{
		{area: "Actions", name: "SIGTERM while a disable is applied but its answer has not come", exit: 1, final: runFinished,
			tasks: inactiveOnly(incomplete), writes: true,
			outcome: "the write keeps its context for the executor's grace (5 s); its row says `unknown` (sent, no answer), never `failed`; the writes not yet sent are `failed` (not attempted)",
			setup: func(t *testing.T, h *harness) {
				h.writeConfig("60s", inactiveActing)
				h.l.Sim.AddFault(&cloudsim.Fault{Service: cloudsim.ServiceIAMIdentity, PathPrefix: "/v1/apikeys/", Method: http.MethodPost,
					Nth: 1, LateAnswer: time.Minute})
			},
			during: func(t *testing.T, h *harness) func(*os.Process, *syncBuffer) {
				return func(p *os.Process, _ *syncBuffer) {
					deadline := time.Now().Add(20 * time.Second)
					for time.Now().Before(deadline) && h.l.Sim.Log().Writes() == 0 {
						time.Sleep(10 * time.Millisecond)
					}
					time.Sleep(100 * time.Millisecond) // the write is applied, its answer held
					h.signalled = time.Now()
					_ = p.Signal(syscall.SIGTERM)
				}
			},
			check: func(t *testing.T, h *harness, r *result) {
				var first cloudsim.Entry
				for _, e := range h.l.Sim.Log().Entries() {
					if e.Method == http.MethodPost && strings.HasSuffix(e.Path, "/disable") {
						first = e
						break
					}
				}
				id := strings.TrimSuffix(strings.TrimPrefix(first.Path, "/v1/apikeys/"), "/disable")
				w := h.l.Sim.World()
				w.RLock()
				k := w.Identities.APIKeyByID(id)
				applied := k != nil && k.Disabled
				w.RUnlock()
				if !applied {
					t.Fatalf("the held write (%q) did not take effect in the emulator", id)
				}
				rows := actionRows(r, "inactive-identities")
				if row := rows[id]; row["result"] != "unknown" || !strings.Contains(fmt.Sprint(row["detail"]), "sent, no answer") {
					t.Errorf("the applied, unanswered write's row: %v %v; want unknown (sent, no answer)", row["result"], row["detail"])
				}
				for kid, row := range rows {
					if kid != id && (row["result"] == "done" || row["result"] == "unknown") {
						t.Errorf("%s: %v after SIGTERM", kid, row["result"])
					}
				}
				if sum, _ := taskSummary(t, r, "inactive-identities")["summary"].(map[string]any); sum["actions_unknown"] != float64(1) || sum["actions_taken"] != float64(0) {
					t.Errorf("run-summary.json: actions_unknown %v, actions_taken %v; want 1 and 0", sum["actions_unknown"], sum["actions_taken"])
				}
				if d := r.ended.Sub(h.signalled); d > 12*time.Second {
					t.Errorf("exited %v after SIGTERM: the write grace must bound the wait", d)
				}
			}},
		{area: "Actions", name: "dry run: the access-group memberships cannot be listed (403)", exit: 77, final: runFinished,
			tasks:   inactiveOnly(failed),
			outcome: "the preview fails instead of looking complete, naming the missing role (Viewer on IAM Access Groups); exit 77",
			setup: func(t *testing.T, h *harness) {
				h.writeConfig("60s", inactiveGroupsDryRun)
				revoke(cloudsim.ActionGroupsRead)(t, h)
			},
			check: func(t *testing.T, h *harness, r *result) {
				wantTaskError(t, r, "inactive-identities", "needs Viewer", "IAM Access Groups")
				wantDenied(t, r, "inactive-identities")
			}},
		{area: "Hostile answers", name: "an API-key page answers 200 with `null`", exit: 1, final: runFinished,
			tasks:   both(succeeded, failed),
			outcome: "the listing fails with an error naming it (never a crash); run-summary.json is written; the inventory completes",
			setup: func(t *testing.T, h *harness) {
				h.l.Sim.AddFault(&cloudsim.Fault{Service: cloudsim.ServiceIAMIdentity, PathPrefix: "/v1/apikeys", Method: http.MethodGet,
					Status: http.StatusOK, Body: "null"})
			},
			check: func(t *testing.T, h *harness, r *result) {
				wantTaskError(t, r, "inactive-identities", "API keys")
				if strings.Contains(r.stderr, "panic") || strings.Contains(r.stderr, "goroutine ") {
					t.Error("the process panicked")
				}
			}},
		{area: "Hostile answers", name: "a service-ID page answers 204", exit: 1, final: runFinished,
			tasks:   both(succeeded, failed),
			outcome: "the listing fails with an error naming it (never a crash); run-summary.json is written; the inventory completes",
			setup: func(t *testing.T, h *harness) {
				h.l.Sim.AddFault(&cloudsim.Fault{Service: cloudsim.ServiceIAMIdentity, PathPrefix: "/v1/serviceids/", Method: http.MethodGet,
					Status: http.StatusNoContent, NoBody: true})
			},
			check: func(t *testing.T, h *harness, r *result) {
				wantTaskError(t, r, "inactive-identities", "service IDs")
			}},
	}
}
