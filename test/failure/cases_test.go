package failure_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/trustjob/trustjob/internal/cloudsim"
)

var updateDoc = flag.Bool("update-doc", false, "rewrite the failure matrix in docs/reliability.md from the cases")

// network is what the emulator's request log may hold after a run.
type network int

const (
	tasksRan   network = iota // whatever the tasks asked
	noRequests                // stopped before any network request
	signInOnly                // token requests only: no task reached a service
)

// Task statuses, as the "task finished" log line and run-summary.json say.
const (
	succeeded  = "succeeded"
	failed     = "failed"
	incomplete = "incomplete"
)

// Log messages that explain an exit.
const (
	runFinished     = "run finished"
	preflightFailed = "preflight failed"
	signInFailed    = "sign-in failed"
	outputFailed    = "cannot open the output directory"
)

// matrixCase is one row of docs/reliability.md's failure matrix: what goes
// wrong, what trustjob does, the exit code, and the checks that prove it.
// TestFailureMatrix checks for every case the exit code, the final log line,
// every task's status (log and run-summary.json) and files, that no temporary
// or half-written file is left, the request log against network, and leaks;
// check adds what is particular to the case.
type matrixCase struct {
	area, name, outcome string
	exit                int
	// final is the message of the log line that explains the exit; when it
	// carries exit_code, that is exit too.
	final string
	// tasks maps each task that ran to its status; nil: no task ran, and the
	// output directory must hold no file at all.
	tasks   map[string]string
	network network
	spec    func(s *cloudsim.Spec)
	opts    cloudsim.Options
	setup   func(t *testing.T, h *harness)
	during  func(t *testing.T, h *harness) func(p *os.Process, stderr *syncBuffer)
	check   func(t *testing.T, h *harness, r *result)
	// keepFiles: files the case itself put in the output directory stay.
	keepFiles bool
	// writes: the case acts on the account (its actions are the point).
	writes bool
}

// both is the status of both configured tasks.
func both(inventory, inactive string) map[string]string {
	return map[string]string{"inventory": inventory, "inactive-identities": inactive}
}

func cases() []matrixCase {
	return append([]matrixCase{
		{area: "IAM token endpoint", name: "503 twice, then 200", exit: 0, final: runFinished,
			tasks:   both(succeeded, succeeded),
			outcome: "retries with backoff; the run succeeds after three token requests",
			setup: func(t *testing.T, h *harness) {
				h.l.Sim.AddFault(&cloudsim.Fault{Service: cloudsim.ServiceIAMToken, Every: 1, Times: 2, Status: 503})
			},
			check: func(t *testing.T, h *harness, r *result) {
				wantStatuses(t, h, cloudsim.ServiceIAMToken, 503, 503, 200)
				wantLogCount(t, r, "IAM token request failed, retrying", 2)
				if n := summaryNumber(t, r, "token_exchanges"); n != 1 {
					t.Errorf("run summary counts %v token exchanges, want 1", n)
				}
			}},
		{area: "IAM token endpoint", name: "429 with Retry-After: 2", exit: 0, final: runFinished,
			tasks:   both(succeeded, succeeded),
			outcome: "waits the 2 s IAM asks for, then succeeds",
			setup: func(t *testing.T, h *harness) {
				h.l.Sim.AddFault(&cloudsim.Fault{Service: cloudsim.ServiceIAMToken, Nth: 1, Status: 429, RetryAfter: 2})
			},
			check: func(t *testing.T, h *harness, r *result) {
				e := wantStatuses(t, h, cloudsim.ServiceIAMToken, 429, 200)
				if len(e) == 2 && e[1].Time.Sub(e[0].Time) < 2*time.Second {
					t.Errorf("retried %v after the 429; IAM asked for 2s", e[1].Time.Sub(e[0].Time))
				}
				wantLogCount(t, r, "IAM token request failed, retrying", 1)
			}},
		{area: "IAM token endpoint", name: "always 500", exit: 75, final: signInFailed, network: signInOnly,
			outcome: "5 attempts with capped backoff, then exit 75 well within the deadline (a later run may succeed); no task runs",
			setup: func(t *testing.T, h *harness) {
				h.writeConfig("40s", bothTasks)
				h.l.Sim.AddFault(&cloudsim.Fault{Service: cloudsim.ServiceIAMToken, Every: 1, Status: 500})
			},
			check: func(t *testing.T, h *harness, r *result) {
				wantStatuses(t, h, cloudsim.ServiceIAMToken, 500, 500, 500, 500, 500)
				wantLogCount(t, r, "IAM token request failed, retrying", 4)
				if r.duration >= 40*time.Second {
					t.Errorf("exited after %v; the deadline was 40s", r.duration)
				}
			}},
		{area: "IAM token endpoint", name: "hangs", exit: 75, final: signInFailed, network: signInOnly,
			outcome: "gives up at the run's deadline (3 s here), not after; no task runs",
			setup: func(t *testing.T, h *harness) {
				h.writeConfig("3s", bothTasks)
				h.l.Sim.AddFault(&cloudsim.Fault{Service: cloudsim.ServiceIAMToken, Hang: true})
			},
			check: func(t *testing.T, h *harness, r *result) {
				// The deadline starts once the configuration is loaded: the
				// run lasts at least that long, and ends soon after.
				if r.duration < 3*time.Second || r.duration > 8*time.Second {
					t.Errorf("exited after %v; the deadline was 3s", r.duration)
				}
				if n := tokenRequests(h); n != 1 {
					t.Errorf("%d token requests; one attempt hangs until the deadline", n)
				}
				wantFinal(t, r, "deadline")
			}},
		{area: "IAM token endpoint", name: "BXNIM0398E (profile does not trust the workload)", exit: 77, final: signInFailed, network: signInOnly,
			outcome: "no retry; the hint names the token's cluster issuer, namespace and service account",
			setup: func(t *testing.T, h *harness) {
				writeToken(t, h, mint(t, h, cloudsim.MintOptions{Namespace: "other", ServiceAccount: "robot"}))
			},
			check: func(t *testing.T, h *harness, r *result) {
				wantStatuses(t, h, cloudsim.ServiceIAMToken, 400)
				wantFinal(t, r, "BXNIM0398E", "namespace other", "service account robot", "cluster issuer")
			}},
		{area: "Token file", name: "absent", exit: 77, final: preflightFailed, network: noRequests,
			outcome: "\"does not exist\", and how to mount the projected token; no network request",
			setup:   func(t *testing.T, h *harness) { h.env["TRUSTJOB_CR_TOKEN_FILE"] = filepath.Join(h.dir, "nope") },
			check:   func(t *testing.T, h *harness, r *result) { wantFinal(t, r, "does not exist", "audience: iam") }},
		{area: "Token file", name: "empty", exit: 77, final: preflightFailed, network: noRequests,
			outcome: "\"is empty\", and how to mount it; no network request",
			setup:   func(t *testing.T, h *harness) { writeToken(t, h, "\n") },
			check:   func(t *testing.T, h *harness, r *result) { wantFinal(t, r, "is empty", "audience: iam") }},
		{area: "Token file", name: "unreadable", exit: 77, final: preflightFailed, network: noRequests,
			outcome: "\"is not readable by this user (uid …)\"; no network request",
			setup: func(t *testing.T, h *harness) {
				writeToken(t, h, mint(t, h, cloudsim.MintOptions{}))
				if err := os.Chmod(h.env["TRUSTJOB_CR_TOKEN_FILE"], 0); err != nil {
					t.Fatal(err)
				}
				if os.Geteuid() == 0 {
					h.uid = 65534 // root reads any file: run as nobody
					// whose output directory (locked before the preflight,
					// where this run's summary goes) it can write
					if err := os.MkdirAll(h.outDir, 0o777); err != nil || os.Chmod(h.outDir, 0o777) != nil {
						t.Fatal(err)
					}
				}
			},
			check: func(t *testing.T, h *harness, r *result) { wantFinal(t, r, "is not readable by this user") }},
		{area: "Token file", name: "not a JWT", exit: 77, final: preflightFailed, network: noRequests,
			outcome: "\"is not a JWT\"; no network request",
			setup:   func(t *testing.T, h *harness) { writeToken(t, h, "certainly-not-a-token") },
			check:   func(t *testing.T, h *harness, r *result) { wantFinal(t, r, "is not a JWT") }},
		{area: "Token file", name: "expired", exit: 77, final: preflightFailed, network: noRequests,
			outcome: "\"expired at …\": a copied token goes stale; no network request",
			setup: func(t *testing.T, h *harness) {
				writeToken(t, h, mint(t, h, cloudsim.MintOptions{IssuedAt: time.Now().Add(-2 * time.Hour)}))
			},
			check: func(t *testing.T, h *harness, r *result) { wantFinal(t, r, "expired at", "a copied one goes stale") }},
		{area: "Token file", name: "rotated during the run, after the access token expired", exit: 0, final: runFinished,
			tasks:   both(succeeded, succeeded),
			outcome: "the refresh re-reads the file and sends the new token; the run succeeds",
			opts:    cloudsim.Options{TokenTTL: 2 * time.Second, ReportDelay: 3 * time.Second},
			setup: func(t *testing.T, h *harness) {
				// The first token expires before the access token does, so
				// only the rotated one can succeed at the refresh.
				short := mint(t, h, cloudsim.MintOptions{Lifetime: 2 * time.Second, Pod: "p"})
				replaceProjected(t, h.l.TokenFile, short)
			},
			during: func(t *testing.T, h *harness) func(*os.Process, *syncBuffer) {
				return func(*os.Process, *syncBuffer) {
					time.Sleep(time.Second)
					if err := h.l.Refresh(); err != nil {
						t.Error(err)
					}
					b, _ := os.ReadFile(h.l.TokenFile)
					h.rotated = string(bytes.TrimSpace(b))
				}
			},
			check: func(t *testing.T, h *harness, r *result) {
				sent := h.iam.Sent()
				if len(sent) < 2 || sent[len(sent)-1] != h.rotated || sent[0] == h.rotated {
					t.Errorf("%d token requests; want the first with the old token and the last with the rotated one", len(sent))
				}
				for _, e := range entries(h, cloudsim.ServiceIAMToken) {
					if e.Status != 200 {
						t.Errorf("token request %d answered %d", e.Seq, e.Status)
					}
				}
			}},
		{area: "Service APIs", name: "429 storm (1 request in flight allowed)", exit: 0, final: runFinished,
			tasks:   both(succeeded, succeeded),
			outcome: "the inventory backs off and adapts its concurrency; every report completes",
			opts:    cloudsim.Options{MaxInFlight: 1, Latency: 2 * time.Millisecond},
			check: func(t *testing.T, h *harness, r *result) {
				if n := countStatus(h, "", 429); n == 0 {
					t.Error("the emulator answered no 429: the storm did not happen")
				}
				wantAllInstances(t, h, r)
			}},
		{area: "Service APIs", name: "5xx bursts", exit: 0, final: runFinished,
			tasks:   both(succeeded, succeeded),
			outcome: "retried; every report completes",
			setup: func(t *testing.T, h *harness) {
				h.l.Sim.AddFault(rcInstances(func(f *cloudsim.Fault) { f.Every, f.Times, f.Status = 2, 4, 503 }))
				h.l.Sim.AddFault(&cloudsim.Fault{Service: cloudsim.ServiceIAMIdentity, Every: 3, Times: 2, Status: 502})
			},
			check: func(t *testing.T, h *harness, r *result) {
				if a, b := countStatus(h, cloudsim.ServiceResourceCtl, 503), countStatus(h, cloudsim.ServiceIAMIdentity, 502); a != 4 || b != 2 {
					t.Errorf("the emulator answered %d 503s and %d 502s, want 4 and 2", a, b)
				}
				wantAllInstances(t, h, r)
			}},
		{area: "Service APIs", name: "dropped connections", exit: 0, final: runFinished,
			tasks:   both(succeeded, succeeded),
			outcome: "retried; every report completes",
			setup: func(t *testing.T, h *harness) {
				h.l.Sim.AddFault(rcInstances(func(f *cloudsim.Fault) { f.Every, f.Times, f.Drop = 2, 3, true }))
			},
			check: func(t *testing.T, h *harness, r *result) {
				if n := countStatus(h, cloudsim.ServiceResourceCtl, 0); n != 3 {
					t.Errorf("%d connections dropped, want 3", n)
				}
				wantAllInstances(t, h, r)
			}},
		{area: "Service APIs", name: "malformed JSON", exit: 0, final: runFinished,
			tasks:   both(succeeded, succeeded),
			outcome: "the page is fetched again; the report completes with every instance",
			setup: func(t *testing.T, h *harness) {
				h.l.Sim.AddFault(rcInstances(func(f *cloudsim.Fault) { f.Nth, f.Malformed = 2, true }))
			},
			check: func(t *testing.T, h *harness, r *result) { wantAllInstances(t, h, r) }},
		{area: "Service APIs", name: "a page that never ends (repeated cursor)", exit: 1, final: runFinished,
			tasks:   both(failed, succeeded),
			outcome: "stops instead of looping; the rows so far are kept in an .incomplete report; the other task completes",
			setup: func(t *testing.T, h *harness) {
				h.l.Sim.AddFault(rcInstances(func(f *cloudsim.Fault) {
					f.Status = 200
					f.Body = `{"rows_count":1,"limit":100,"next_url":"/v2/resource_instances?limit=100&start=same","resources":[{"guid":"g1","crn":"crn:v1:bluemix:public:kms:us-south:a/x:g1::","state":"active","resource_group_id":"x","updated_at":"2020-01-01T00:00:00Z"}]}`
				}))
			},
			check: func(t *testing.T, h *harness, r *result) {
				wantIncompleteFile(t, r, "inventory")
				n := 0
				for _, e := range entries(h, cloudsim.ServiceResourceCtl) {
					if strings.Contains(e.RawQuery, "start=same") {
						n++
					}
				}
				// The inventory lists one partition per resource group, one
				// account-wide for provisioning (states are always named) and
				// a probe page that cross-checks the group list; each may
				// follow the cursor once before it sees it repeat. A loop
				// would follow it hundreds of times.
				if limit := h.spec.Groups + 2; n == 0 || n > limit {
					t.Errorf("the repeated cursor was followed %d times, want 1 to %d", n, limit)
				}
				wantTaskError(t, r, "inventory", "stopping instead of looping")
			}},
		{area: "Service APIs", name: "inactive-identity report never completes", exit: 1, final: runFinished,
			tasks:   both(succeeded, failed),
			outcome: "polls with capped backoff until the task's timeout; the task fails, its report marked incomplete; the inventory completes",
			opts:    cloudsim.Options{ReportDelay: time.Hour},
			setup: func(t *testing.T, h *harness) {
				h.writeConfig("60s", strings.Replace(bothTasks, "inactive-identities, timeout: 20s", "inactive-identities, timeout: 2s", 1))
			},
			check: func(t *testing.T, h *harness, r *result) {
				wantIncompleteFile(t, r, "inactive-identities")
				polls := 0
				for _, e := range entries(h, cloudsim.ServiceIAMIdentity) {
					if e.Method == "GET" && strings.Contains(e.Path, "/report/") {
						polls++
					}
				}
				// 100 ms doubling to 500 ms over 2 s: about 6 polls; a poll
				// loop without backoff would make 20.
				if polls < 3 || polls > 12 {
					t.Errorf("%d report polls in 2s, want 3 to 12", polls)
				}
				wantTaskError(t, r, "inactive-identities", "timed out")
			}},
		{area: "Service APIs", name: "403 on one task", exit: 77, final: runFinished,
			tasks:   both(failed, succeeded),
			outcome: "that task fails naming the missing role; the other task's report completes; exit 77, since only a policy change helps",
			setup:   revoke(cloudsim.ActionInstanceRetrieve),
			check: func(t *testing.T, h *harness, r *result) {
				if countStatus(h, cloudsim.ServiceResourceCtl, 403) == 0 {
					t.Error("the emulator answered no 403")
				}
				wantTaskError(t, r, "inventory", "lacks Viewer")
				wantDenied(t, r, "inventory")
			}},
		{area: "Service APIs", name: "403 on every task", exit: 77, final: runFinished,
			tasks:   both(failed, failed),
			outcome: "each task fails naming its missing role; exit 77, which the Job does not retry: only a policy change helps",
			setup:   revoke(cloudsim.ActionInstanceRetrieve, cloudsim.ActionReportCreate),
			check: func(t *testing.T, h *harness, r *result) {
				wantTaskError(t, r, "inventory", "lacks Viewer")
				wantTaskError(t, r, "inactive-identities", "iam-identity.report.create")
				wantDenied(t, r, "inventory", "inactive-identities")
			}},
		{area: "Signals", name: "SIGTERM in the middle of a large inventory", exit: 1, final: runFinished,
			tasks:   map[string]string{"inventory": incomplete},
			outcome: "stops within seconds of the signal; rows so far kept in an .incomplete report; no half-written file",
			spec:    func(s *cloudsim.Spec) { s.Instances, s.Groups = 30000, 4 },
			opts:    cloudsim.Options{Latency: 20 * time.Millisecond},
			setup: func(t *testing.T, h *harness) {
				h.writeConfig("60s", "  - {name: inventory, type: inventory, timeout: 60s}\n")
			},
			during: func(t *testing.T, h *harness) func(*os.Process, *syncBuffer) {
				return func(p *os.Process, stderr *syncBuffer) {
					if !waitFor(stderr, "listing resource instances", 10*time.Second) {
						t.Error("the inventory never started listing")
					}
					time.Sleep(500 * time.Millisecond)
					h.signalled = time.Now()
					_ = p.Signal(syscall.SIGTERM)
				}
			},
			check: func(t *testing.T, h *harness, r *result) {
				// The manifests give 60 s of grace; trustjob needs far less.
				if d := r.ended.Sub(h.signalled); d > 5*time.Second {
					t.Errorf("exited %v after SIGTERM", d)
				}
				if rows := summaryNumber(t, r, "tasks", "inventory", "rows"); rows <= 0 {
					t.Errorf("the incomplete report holds %v rows; the rows listed before the signal must be kept", rows)
				}
			}},
		{area: "Output", name: "output directory not writable", exit: 1, final: outputFailed, network: noRequests,
			outcome: "a clear error naming the directory before any network request; no partial files",
			setup: func(t *testing.T, h *harness) {
				blocker := filepath.Join(h.dir, "blocker")
				if err := os.WriteFile(blocker, []byte("a file"), 0o644); err != nil {
					t.Fatal(err)
				}
				h.outDir = filepath.Join(blocker, "out")
			},
			check: func(t *testing.T, h *harness, r *result) {
				wantLogged(t, r, outputFailed, "dir", h.outDir)
				if ents, _ := os.ReadDir(h.dir); len(ents) != 3 { // blocker, config.yaml, tokens
					t.Errorf("the case directory holds %d entries, want 3: something was written beside the output directory", len(ents))
				}
			}},
		{area: "Output", name: "disk full while a report is written", exit: 1, final: runFinished,
			tasks:   both(failed, succeeded),
			outcome: "that task fails naming the file; its partial files are removed and latest.* is untouched; the other task's report completes",
			spec:    func(s *cloudsim.Spec) { s.Instances = 400 },
			setup: func(t *testing.T, h *harness) {
				// A 32 KiB file-size limit: the inventory's report outgrows
				// it, the other report and the run summary do not. The
				// write fails the way a full disk fails it.
				h.shell = "ulimit -f 64 && exec"
			},
			check: func(t *testing.T, h *harness, r *result) {
				for name := range r.files {
					if strings.HasPrefix(name, "inventory/") {
						t.Errorf("partial inventory file left: %s", name)
					}
				}
				wantTaskError(t, r, "inventory", "write report", "inventory/")
			}},
		{area: "Boundaries", name: "endpoint override to a host not in allowedHosts", exit: 78, final: configRefused, network: noRequests,
			outcome: "refused with the configuration, before any network request (as `validate` does): no request reaches that host, so the access token is never sent there; the message says to list the host in allowedHosts",
			setup: func(t *testing.T, h *harness) {
				// localhost is the emulator under a name the configuration
				// does not allow: had the refusal failed, its log would
				// show the request.
				h.env["RESOURCE_CONTROLLER_URL"] = strings.Replace(h.l.Sim.URL(), "127.0.0.1", "localhost", 1)
			},
			check: func(t *testing.T, h *harness, r *result) {
				wantProblem(t, r, "$RESOURCE_CONTROLLER_URL", "localhost is not an IBM Cloud host", "allowedHosts")
				if n := h.l.Sim.Log().Count(cloudsim.ServiceResourceCtl); n != 0 {
					t.Errorf("%d requests reached the refused host", n)
				}
			}},
		{area: "Boundaries", name: "the same override, host listed in allowedHosts", exit: 0, final: runFinished,
			tasks:   both(succeeded, succeeded),
			outcome: "allowed: the run uses the override",
			setup: func(t *testing.T, h *harness) {
				h.env["RESOURCE_CONTROLLER_URL"] = strings.Replace(h.l.Sim.URL(), "127.0.0.1", "localhost", 1)
				h.writeConfigHosts("127.0.0.1, localhost", "60s", bothTasks)
			},
			check: func(t *testing.T, h *harness, r *result) {
				if n := h.l.Sim.Log().Count(cloudsim.ServiceResourceCtl); n == 0 {
					t.Error("no request reached the resource controller through the override")
				}
				wantAllInstances(t, h, r)
			}},
	}, append(hardeningCases(), identityCases()...)...)
}

func TestFailureMatrix(t *testing.T) {
	for _, c := range cases() {
		t.Run(c.area+"/"+c.name, func(t *testing.T) {
			t.Parallel()
			spec := cloudsim.DefaultSpec()
			if c.spec != nil {
				c.spec(&spec)
			}
			h := newHarness(t, spec, c.opts)
			if c.setup != nil {
				c.setup(t, h)
			}
			var during func(*os.Process, *syncBuffer)
			if c.during != nil {
				during = c.during(t, h)
			}
			r := h.run(during)
			if r.code != c.exit {
				t.Errorf("exit %d, want %d; stderr:\n%s", r.code, c.exit, tail(r.stderr))
			}
			checkLogs(t, c, r)
			checkTasks(t, c, r)
			checkFiles(t, r)
			checkNetwork(t, c.network, c.writes, h)
			if c.check != nil {
				c.check(t, h, r)
			}
		})
	}
}

// checkLogs: every stderr line is a JSON record with the run's id, and the
// line that explains the exit is there.
func checkLogs(t *testing.T, c matrixCase, r *result) {
	t.Helper()
	for _, l := range r.badLines {
		t.Errorf("stderr line is not a JSON log record: %.200s", l)
	}
	for _, l := range r.logs {
		if id, _ := l["run_id"].(string); id == "" {
			t.Errorf("log record without run_id: %v", l)
			break
		}
	}
	final := r.logged(c.final)
	if len(final) == 0 {
		t.Errorf("no %q log line; stderr:\n%s", c.final, tail(r.stderr))
		return
	}
	if code, ok := final[len(final)-1]["exit_code"].(float64); ok && int(code) != c.exit {
		t.Errorf("%q logs exit_code %v, want %d", c.final, code, c.exit)
	}
}

// checkTasks: each task's status in its log line and in run-summary.json, and
// the report files its status implies; no task and no file when none ran.
func checkTasks(t *testing.T, c matrixCase, r *result) {
	t.Helper()
	if c.tasks == nil {
		if n := len(r.logged("task finished")); n != 0 {
			t.Errorf("%d tasks ran, want none", n)
		}
		// Only this run's summary (always written once the output directory
		// is known and free) and the directory's lock and account files.
		for name := range r.files {
			if name != runSummary && !bookkeeping[name] && !c.keepFiles {
				t.Errorf("file written although no task ran: %s", name)
			}
		}
		b, ok := r.files[runSummary]
		switch {
		case !ok && (c.final == preflightFailed || c.final == signInFailed):
			t.Errorf("no run-summary.json for a run that failed at %q: the previous run's would stay", c.final)
		case ok:
			var s map[string]any
			if err := json.Unmarshal(b, &s); err != nil {
				t.Fatal(err)
			}
			if s["exit_code"] != float64(c.exit) || s["error"] == "" || s["error"] == nil {
				t.Errorf("run-summary.json says exit_code %v, error %v; want this run's %d and why", s["exit_code"], s["error"], c.exit)
			}
			if len(r.logs) > 0 && s["run_id"] != r.logs[0]["run_id"] {
				t.Errorf("run-summary.json is run %v, this run is %v", s["run_id"], r.logs[0]["run_id"])
			}
		}
		return
	}
	if code := summaryNumber(t, r, "exit_code"); int(code) != c.exit {
		t.Errorf("run-summary.json says exit_code %v, want %d", code, c.exit)
	}
	for task, want := range c.tasks {
		if l := r.taskLog(task); l == nil || l["status"] != want {
			t.Errorf("%s's \"task finished\" line: %v, want status %s", task, l, want)
		}
		sum := taskSummary(t, r, task)
		if sum["status"] != want {
			t.Errorf("run-summary.json: %s is %v, want %s (error %v)", task, sum["status"], want, sum["error"])
		}
		latest := r.files[filepath.Join(task, "latest.jsonl")]
		switch want {
		case succeeded:
			if latest == nil {
				t.Errorf("no complete %s report; files %v", task, keys(r.files))
			} else if n := lines(latest); float64(n) != sum["rows"] {
				t.Errorf("%s/latest.jsonl holds %d rows, the summary says %v", task, n, sum["rows"])
			}
		case incomplete:
			wantIncompleteFile(t, r, task)
			fallthrough
		default:
			if latest != nil {
				t.Errorf("a %s %s run wrote latest.jsonl", want, task)
			}
		}
	}
}

// checkFiles: no temporary file is left, and every JSONL file is whole: each
// line one JSON value.
func checkFiles(t *testing.T, r *result) {
	t.Helper()
	for name, b := range r.files {
		if strings.HasPrefix(filepath.Base(name), ".") && !bookkeeping[name] {
			t.Errorf("temporary file left behind: %s", name)
		}
		if !strings.HasSuffix(name, ".jsonl") {
			continue
		}
		for i, line := range bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n")) {
			if len(line) > 0 && !json.Valid(line) {
				t.Errorf("%s line %d is not whole JSON: %.80s", name, i+1, line)
				break
			}
		}
	}
}

// checkNetwork holds the emulator's request log to what the case allows; no
// case may write to the account.
func checkNetwork(t *testing.T, n network, writes bool, h *harness) {
	t.Helper()
	log := h.l.Sim.Log()
	all, token := log.Count(""), log.Count(cloudsim.ServiceIAMToken)
	switch {
	case n == noRequests && all != 0:
		t.Errorf("%d requests reached the emulator (%v); want none", all, log.Counts())
	case n == signInOnly && (token == 0 || all != token):
		t.Errorf("requests %v; want token requests only", log.Counts())
	}
	if w := log.Writes(); w != 0 && !writes {
		t.Errorf("%d write requests to the account", w)
	}
}

// TestInvalidConfigs: every invalid-config golden of internal/config exits 78
// before any network request, logging each problem with its position.
func TestInvalidConfigs(t *testing.T) {
	files, _ := filepath.Glob("../../internal/config/testdata/invalid-*.yaml")
	if len(files) == 0 {
		t.Fatal("no invalid-config files found")
	}
	h := newHarness(t, cloudsim.DefaultSpec(), cloudsim.Options{})
	// The goldens judge the file alone: the emulator's overrides of the
	// profile, token file and metadata URL would add problems the file does
	// not have (the runtime cases refuse them).
	for _, k := range []string{"TRUSTJOB_PROFILE_NAME", "TRUSTJOB_PROFILE_ID", "TRUSTJOB_CR_TOKEN_FILE", "TRUSTJOB_METADATA_URL"} {
		delete(h.env, k)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			abs, _ := filepath.Abs(f)
			h.config = abs
			r := h.run(nil)
			if r.code != 78 {
				t.Errorf("exit %d, want 78; stderr:\n%s", r.code, tail(r.stderr))
			}
			checkLogs(t, matrixCase{final: "nothing was run: fix the configuration"}, r)
			probs := r.logged("invalid configuration")
			if len(probs) == 0 {
				t.Error("no \"invalid configuration\" log line")
			}
			for _, p := range probs {
				if p["file"] != abs || p["problem"] == "" {
					t.Errorf("problem without file or text: %v", p)
				}
			}
			if last := r.logged("nothing was run: fix the configuration"); len(last) > 0 && last[0]["problems"] != float64(len(probs)) {
				t.Errorf("the closing line counts %v problems, %d were logged", last[0]["problems"], len(probs))
			}
			if len(r.files) != 0 || r.stdout != "" {
				t.Errorf("output written: files %v, stdout %q", keys(r.files), r.stdout)
			}
			checkNetwork(t, noRequests, false, h)
		})
	}
}
