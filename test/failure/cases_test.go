package failure_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/trustjob/trustjob/internal/cloudsim"
)

var updateDoc = flag.Bool("update-doc", false, "rewrite the failure matrix in docs/reliability.md from the cases")

// matrixCase is one row of docs/reliability.md's failure matrix: what goes
// wrong, what trustjob does, the exit code, and the check that proves it.
type matrixCase struct {
	area, name, outcome string
	exit                int
	spec                func(s *cloudsim.Spec)
	opts                cloudsim.Options
	setup               func(t *testing.T, h *harness)
	during              func(t *testing.T, h *harness) func(p *os.Process, stderr *syncBuffer)
	check               func(t *testing.T, h *harness, r *result)
}

func tokenRequests(h *harness) int64 { return h.l.Sim.Log().Count(cloudsim.ServiceIAMToken) }

func writeToken(t *testing.T, h *harness, content string) {
	t.Helper()
	p := filepath.Join(h.dir, "bad-token")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	h.env["TRUSTJOB_CR_TOKEN_FILE"] = p
}

func mint(t *testing.T, h *harness, o cloudsim.MintOptions) string {
	t.Helper()
	if o.Namespace == "" {
		o.Namespace = "trustjob"
	}
	if o.ServiceAccount == "" {
		o.ServiceAccount = "trustjob"
	}
	tok, err := h.l.Sim.World().MintSAToken(o)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func wantInStderr(t *testing.T, r *result, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("stderr lacks %q:\n%s", s, tail(r.stderr))
		}
	}
}

func wantNoNetwork(t *testing.T, h *harness) {
	t.Helper()
	if n := h.l.Sim.Log().Count(""); n != 0 {
		t.Errorf("%d requests reached the emulator; want none", n)
	}
}

func wantComplete(t *testing.T, r *result, task string) {
	t.Helper()
	if _, ok := r.files[filepath.Join(task, "latest.jsonl")]; !ok {
		t.Errorf("no complete %s report; files %v", task, keys(r.files))
	}
}

func wantIncomplete(t *testing.T, r *result, task string) {
	t.Helper()
	found := false
	for name := range r.files {
		if strings.HasPrefix(name, task+"/") && strings.Contains(name, ".incomplete.") {
			found = true
		}
		if strings.HasSuffix(name, ".tmp") {
			t.Errorf("temporary file left behind: %s", name)
		}
	}
	if !found {
		t.Errorf("no incomplete %s report; files %v", task, keys(r.files))
	}
	if _, ok := r.files[filepath.Join(task, "latest.jsonl")]; ok {
		t.Errorf("an incomplete %s run replaced latest.jsonl", task)
	}
}

func taskSummary(t *testing.T, r *result, name string) map[string]any {
	t.Helper()
	for _, x := range r.summary(t)["tasks"].([]any) {
		if m := x.(map[string]any); m["name"] == name {
			return m
		}
	}
	t.Fatalf("run-summary.json has no task %s", name)
	return nil
}

func tail(s string) string {
	if len(s) > 3000 {
		return "…" + s[len(s)-3000:]
	}
	return s
}

// rcInstances is a fault on the Resource Controller's instance listing.
func rcInstances(edit func(f *cloudsim.Fault)) *cloudsim.Fault {
	f := &cloudsim.Fault{Service: cloudsim.ServiceResourceCtl, PathPrefix: "/v2/resource_instances"}
	edit(f)
	return f
}

func cases() []matrixCase {
	return []matrixCase{
		{area: "IAM token endpoint", name: "503 twice, then 200", exit: 0,
			outcome: "retries with backoff; the run succeeds after three token requests",
			setup: func(t *testing.T, h *harness) {
				h.l.Sim.AddFault(&cloudsim.Fault{Service: cloudsim.ServiceIAMToken, Every: 1, Times: 2, Status: 503})
			},
			check: func(t *testing.T, h *harness, r *result) {
				if n := tokenRequests(h); n != 3 {
					t.Errorf("%d token requests, want 3", n)
				}
			}},
		{area: "IAM token endpoint", name: "429 with Retry-After: 2", exit: 0,
			outcome: "waits the 2 s IAM asks for, then succeeds",
			setup: func(t *testing.T, h *harness) {
				h.l.Sim.AddFault(&cloudsim.Fault{Service: cloudsim.ServiceIAMToken, Nth: 1, Status: 429, RetryAfter: 2})
			},
			check: func(t *testing.T, h *harness, r *result) {
				if r.duration < 2*time.Second || tokenRequests(h) != 2 {
					t.Errorf("finished in %v with %d token requests; want ≥2s and 2", r.duration, tokenRequests(h))
				}
			}},
		{area: "IAM token endpoint", name: "always 500", exit: 75,
			outcome: "5 attempts with capped backoff, then exit 75 (a later run may succeed); no task runs",
			setup: func(t *testing.T, h *harness) {
				h.l.Sim.AddFault(&cloudsim.Fault{Service: cloudsim.ServiceIAMToken, Every: 1, Status: 500})
			},
			check: func(t *testing.T, h *harness, r *result) {
				if n := tokenRequests(h); n != 5 {
					t.Errorf("%d token requests, want 5", n)
				}
				wantInStderr(t, r, "sign-in failed")
			}},
		{area: "IAM token endpoint", name: "hangs", exit: 75,
			outcome: "gives up at the run's deadline (3 s here), not after",
			setup: func(t *testing.T, h *harness) {
				h.writeConfig("3s", bothTasks)
				h.l.Sim.AddFault(&cloudsim.Fault{Service: cloudsim.ServiceIAMToken, Hang: true})
			},
			check: func(t *testing.T, h *harness, r *result) {
				if r.duration > 8*time.Second {
					t.Errorf("exited after %v; the deadline was 3s", r.duration)
				}
			}},
		{area: "IAM token endpoint", name: "BXNIM0398E (profile does not trust the workload)", exit: 77,
			outcome: "no retry; the hint names the token's cluster issuer, namespace and service account",
			setup: func(t *testing.T, h *harness) {
				writeToken(t, h, mint(t, h, cloudsim.MintOptions{Namespace: "other", ServiceAccount: "robot"}))
			},
			check: func(t *testing.T, h *harness, r *result) {
				if n := tokenRequests(h); n != 1 {
					t.Errorf("%d token requests, want 1 (no retry)", n)
				}
				wantInStderr(t, r, "BXNIM0398E", "namespace other", "service account robot", "cluster issuer")
			}},
		{area: "Token file", name: "absent", exit: 77, outcome: "says how to mount the projected token; no network call",
			setup: func(t *testing.T, h *harness) { h.env["TRUSTJOB_CR_TOKEN_FILE"] = filepath.Join(h.dir, "nope") },
			check: func(t *testing.T, h *harness, r *result) {
				wantInStderr(t, r, "does not exist", "audience: iam")
				wantNoNetwork(t, h)
			}},
		{area: "Token file", name: "empty", exit: 77, outcome: "\"is empty\", how to mount it; no network call",
			setup: func(t *testing.T, h *harness) { writeToken(t, h, "\n") },
			check: func(t *testing.T, h *harness, r *result) { wantInStderr(t, r, "is empty"); wantNoNetwork(t, h) }},
		{area: "Token file", name: "not a JWT", exit: 77, outcome: "\"is not a JWT\"; no network call",
			setup: func(t *testing.T, h *harness) { writeToken(t, h, "certainly-not-a-token") },
			check: func(t *testing.T, h *harness, r *result) { wantInStderr(t, r, "is not a JWT"); wantNoNetwork(t, h) }},
		{area: "Token file", name: "expired", exit: 77, outcome: "\"expired at …\": a copied token goes stale; no network call",
			setup: func(t *testing.T, h *harness) {
				writeToken(t, h, mint(t, h, cloudsim.MintOptions{IssuedAt: time.Now().Add(-2 * time.Hour)}))
			},
			check: func(t *testing.T, h *harness, r *result) { wantInStderr(t, r, "expired at"); wantNoNetwork(t, h) }},
		{area: "Token file", name: "unreadable", exit: 77, outcome: "\"is not readable by this user\"; no network call",
			setup: func(t *testing.T, h *harness) {
				if os.Geteuid() == 0 {
					t.Skip("root reads any file")
				}
				writeToken(t, h, "x")
				_ = os.Chmod(h.env["TRUSTJOB_CR_TOKEN_FILE"], 0)
			},
			check: func(t *testing.T, h *harness, r *result) { wantInStderr(t, r, "not readable"); wantNoNetwork(t, h) }},
		{area: "Token file", name: "rotated during the run, after the access token expired", exit: 0,
			outcome: "the refresh re-reads the file and sends the new token; the run succeeds",
			opts:    cloudsim.Options{TokenTTL: 2 * time.Second, ReportDelay: 3 * time.Second},
			setup: func(t *testing.T, h *harness) {
				// The first token expires before the refresh, so only the
				// rotated one can succeed.
				p := filepath.Join(h.dir, "tokens", "sa-token")
				short := mint(t, h, cloudsim.MintOptions{Lifetime: 2 * time.Second, Pod: "p"})
				writeLink(t, p, short)
			},
			during: func(t *testing.T, h *harness) func(*os.Process, *syncBuffer) {
				return func(_ *os.Process, stderr *syncBuffer) {
					time.Sleep(time.Second)
					if err := h.l.Refresh(); err != nil {
						t.Error(err)
					}
				}
			},
			check: func(t *testing.T, h *harness, r *result) {
				if n := tokenRequests(h); n < 2 {
					t.Errorf("%d token requests, want a refresh", n)
				}
			}},
		{area: "Service APIs", name: "429 storm (1 request in flight allowed)", exit: 0,
			outcome: "the inventory backs off and adapts its concurrency; every report completes",
			opts:    cloudsim.Options{MaxInFlight: 1, Latency: 2 * time.Millisecond},
			check: func(t *testing.T, h *harness, r *result) {
				wantComplete(t, r, "inventory")
				wantComplete(t, r, "inactive-identities")
			}},
		{area: "Service APIs", name: "5xx bursts", exit: 0, outcome: "retried; every report completes",
			setup: func(t *testing.T, h *harness) {
				h.l.Sim.AddFault(rcInstances(func(f *cloudsim.Fault) { f.Every, f.Times, f.Status = 2, 4, 503 }))
				h.l.Sim.AddFault(&cloudsim.Fault{Service: cloudsim.ServiceIAMIdentity, Every: 3, Times: 2, Status: 502})
			},
			check: func(t *testing.T, h *harness, r *result) { wantComplete(t, r, "inventory") }},
		{area: "Service APIs", name: "dropped connections", exit: 0, outcome: "retried; every report completes",
			setup: func(t *testing.T, h *harness) {
				h.l.Sim.AddFault(rcInstances(func(f *cloudsim.Fault) { f.Every, f.Times, f.Drop = 2, 3, true }))
			},
			check: func(t *testing.T, h *harness, r *result) { wantComplete(t, r, "inventory") }},
		{area: "Service APIs", name: "malformed JSON", exit: 0, outcome: "the page is fetched again; the report completes",
			setup: func(t *testing.T, h *harness) {
				h.l.Sim.AddFault(rcInstances(func(f *cloudsim.Fault) { f.Nth, f.Malformed = 2, true }))
			},
			check: func(t *testing.T, h *harness, r *result) { wantComplete(t, r, "inventory") }},
		{area: "Service APIs", name: "a page that never ends (repeated cursor)", exit: 1,
			outcome: "stops instead of looping; that report is kept, marked incomplete; the other task completes",
			setup: func(t *testing.T, h *harness) {
				h.l.Sim.AddFault(rcInstances(func(f *cloudsim.Fault) {
					f.Status = 200
					f.Body = `{"rows_count":1,"limit":100,"next_url":"/v2/resource_instances?limit=100&start=same","resources":[{"guid":"g1","crn":"crn:v1:bluemix:public:kms:us-south:a/x:g1::","state":"active","resource_group_id":"x","updated_at":"2020-01-01T00:00:00Z"}]}`
				}))
			},
			check: func(t *testing.T, h *harness, r *result) {
				wantIncomplete(t, r, "inventory")
				wantComplete(t, r, "inactive-identities")
			}},
		{area: "Service APIs", name: "inactive-identity report never completes", exit: 1,
			outcome: "polls with capped backoff until the task's timeout; marked incomplete; the inventory completes",
			opts:    cloudsim.Options{ReportDelay: time.Hour},
			setup: func(t *testing.T, h *harness) {
				h.writeConfig("60s", strings.Replace(bothTasks, "inactive-identities, timeout: 20s", "inactive-identities, timeout: 2s", 1))
			},
			check: func(t *testing.T, h *harness, r *result) {
				wantIncomplete(t, r, "inactive-identities")
				wantComplete(t, r, "inventory")
			}},
		{area: "Service APIs", name: "403 on one task", exit: 1,
			outcome: "that task fails naming the missing role; the other task's report completes",
			setup: func(t *testing.T, h *harness) {
				w := h.l.Sim.World()
				w.Revoke(w.IAM.RunnerIAMID(), cloudsim.ActionInstanceRetrieve)
			},
			check: func(t *testing.T, h *harness, r *result) {
				wantComplete(t, r, "inactive-identities")
				inv := taskSummary(t, r, "inventory")
				if !strings.Contains(fmt.Sprint(inv["error"]), "Viewer") {
					t.Errorf("inventory error %q does not name the permission", inv["error"])
				}
			}},
		{area: "Signals", name: "SIGTERM in the middle of a large inventory", exit: 1,
			outcome: "stops within the grace period; rows so far kept in an .incomplete report; no half-written file",
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
					_ = p.Signal(syscall.SIGTERM)
				}
			},
			check: func(t *testing.T, h *harness, r *result) {
				wantIncomplete(t, r, "inventory")
				if r.duration > 15*time.Second {
					t.Errorf("exited %v after start; SIGTERM must end it within the grace period", r.duration)
				}
			}},
		{area: "Output", name: "output directory not writable", exit: 1,
			outcome: "a clear error naming the directory before any task runs; no partial files",
			setup: func(t *testing.T, h *harness) {
				if err := os.WriteFile(h.outDir, []byte("a file"), 0o644); err != nil {
					t.Fatal(err)
				}
			},
			check: func(t *testing.T, h *harness, r *result) {
				wantInStderr(t, r, "cannot open the output directory", h.outDir)
			}},
		{area: "Boundaries", name: "endpoint override to an unrelated host", exit: 78,
			outcome: "refused before any token is sent there: the host must be listed in allowedHosts",
			setup:   func(t *testing.T, h *harness) { h.env["RESOURCE_CONTROLLER_URL"] = "https://collector.example.com" },
			check: func(t *testing.T, h *harness, r *result) {
				wantInStderr(t, r, "collector.example.com", "allowedHosts")
				if n := h.l.Sim.Log().Count(cloudsim.ServiceResourceCtl); n != 0 {
					t.Errorf("%d resource-controller requests", n)
				}
			}},
	}
}

func writeLink(t *testing.T, path, content string) {
	t.Helper()
	// Replace the projected file behind the ..data link the way the kubelet
	// does, so a later Refresh rotates it again.
	target, err := filepath.EvalSymlinks(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(target, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
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
			if c.check != nil {
				c.check(t, h, r)
			}
		})
	}
}

// TestInvalidConfigs: every invalid-config golden of internal/config exits 78
// before any network request.
func TestInvalidConfigs(t *testing.T) {
	files, _ := filepath.Glob("../../internal/config/testdata/invalid-*.yaml")
	if len(files) == 0 {
		t.Fatal("no invalid-config files found")
	}
	h := newHarness(t, cloudsim.DefaultSpec(), cloudsim.Options{})
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			abs, _ := filepath.Abs(f)
			h.config = abs
			r := h.run(nil)
			if r.code != 78 {
				t.Errorf("exit %d, want 78; stderr:\n%s", r.code, tail(r.stderr))
			}
			if len(r.logged("invalid configuration")) == 0 {
				t.Error("no \"invalid configuration\" log line")
			}
		})
	}
	wantNoNetwork(t, h)
}
