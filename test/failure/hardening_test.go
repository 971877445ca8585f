package failure_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/trustjob/trustjob/internal/cloudsim"
	"github.com/trustjob/trustjob/internal/cloudsim/hostile"
	"github.com/trustjob/trustjob/internal/report"
)

const (
	runSummary    = "run-summary.json"
	configRefused = "nothing was run: fix the configuration"
	lockedOut     = "another run holds the output directory"
	otherAccount  = "the output directory belongs to another account"
)

// bookkeeping are the output directory's own files: the advisory lock and the
// account the reports belong to.
var bookkeeping = map[string]bool{report.LockFile: true, report.AccountFile: true}

// wantProblem checks that an "invalid configuration" record at path says each
// text.
func wantProblem(t *testing.T, r *result, path string, texts ...string) {
	t.Helper()
	for _, p := range r.logged("invalid configuration") {
		if p["path"] != path {
			continue
		}
		msg, _ := p["problem"].(string)
		fix, _ := p["fix"].(string)
		for _, s := range texts {
			if !strings.Contains(msg+" "+fix, s) {
				t.Errorf("the problem at %s does not say %q: %s (fix: %s)", path, s, msg, fix)
			}
		}
		return
	}
	t.Errorf("no invalid-configuration record at %s", path)
}

// proxy puts the hostile proxy in front of target for the case.
func proxy(t *testing.T, target string, rules ...*hostile.Rule) *hostile.Proxy {
	t.Helper()
	p, err := hostile.Start(target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	p.Add(rules...)
	return p
}

// proxies lets a case's check find its proxy (cases run in parallel).
var proxies sync.Map // *harness -> *hostile.Proxy

func remember(h *harness, p *hostile.Proxy) { proxies.Store(h, p) }

func proxyOf(h *harness) *hostile.Proxy {
	p, _ := proxies.Load(h)
	return p.(*hostile.Proxy)
}

// notTrapped checks that nothing followed a redirect to the trap.
func notTrapped(t *testing.T, p *hostile.Proxy) {
	t.Helper()
	if p.Fired(hostile.RedirectPort) == 0 {
		t.Error("the proxy never redirected: the case did not happen")
	}
	if got := p.Trapped(); len(got) != 0 {
		t.Errorf("%d requests followed the redirect to another port (first: %+v)", len(got), got[0])
	}
}

// notRetried checks that a deterministic failure was not sent again: at most
// one listing per resource-group partition met mode.
func notRetried(t *testing.T, h *harness, mode hostile.Mode) {
	t.Helper()
	// One partition per group, one account-wide for provisioning (states are
	// always named) and the group cross-check page: each meets it once.
	if n, parts := proxyOf(h).Fired(mode), h.spec.Groups+2; n > parts {
		t.Errorf("%d requests met %s; the inventory lists %d partitions and must not retry a deterministic failure", n, mode, parts)
	}
}

// hardeningCases are issue 12's cases: hostile answers, boundaries, files and
// runs that overlap.
func hardeningCases() []matrixCase {
	return []matrixCase{
		{area: "Boundaries", name: "plain-http service override off loopback (RESOURCE_CONTROLLER_URL=http://…cloud.ibm.com)", exit: 78, final: configRefused, network: noRequests,
			outcome: "refused with the configuration: the bearer token goes only over https (http only to loopback); a URL's password is never printed",
			setup: func(t *testing.T, h *harness) {
				h.env["RESOURCE_CONTROLLER_URL"] = "http://resource-controller.cloud.ibm.com"
				h.env["GLOBAL_SEARCH_URL"] = "https://me:hunter2@api.global-search-tagging.cloud.ibm.com"
			},
			check: func(t *testing.T, h *harness, r *result) {
				wantProblem(t, r, "$RESOURCE_CONTROLLER_URL", "only over https")
				wantProblem(t, r, "$GLOBAL_SEARCH_URL", "user information")
				if strings.Contains(r.stderr+r.stdout, "hunter2") {
					t.Error("the URL's password was printed")
				}
			}},
		{area: "Boundaries", name: "a service answers 307 to another port of the same (allowed) host", exit: 1, final: runFinished,
			tasks:   both(failed, succeeded),
			outcome: "the redirect is refused, not retried: neither the bearer token nor anything else reaches the other port; no plain-text log line",
			setup: func(t *testing.T, h *harness) {
				p := proxy(t, h.l.Sim.URL(), &hostile.Rule{PathPrefix: "/v2/resource_instances", Mode: hostile.RedirectPort})
				remember(h, p)
				h.env["RESOURCE_CONTROLLER_URL"] = p.URL()
			},
			check: func(t *testing.T, h *harness, r *result) {
				notTrapped(t, proxyOf(h))
				wantTaskError(t, r, "inventory", "refused")
				notRetried(t, h, hostile.RedirectPort)
			}},
		{area: "Boundaries", name: "IAM answers 307 to another port of the same host", exit: 78, final: signInFailed, network: noRequests,
			outcome: "refused: the service-account token is not resent; exit 78 names the pinned origin",
			setup: func(t *testing.T, h *harness) {
				p := proxy(t, h.iam.URL(), &hostile.Rule{PathPrefix: "/identity/token", Mode: hostile.RedirectPort})
				remember(h, p)
				h.env["TRUSTJOB_IAM_URL"] = p.URL()
			},
			check: func(t *testing.T, h *harness, r *result) {
				notTrapped(t, proxyOf(h))
				wantFinal(t, r, "pinned to its scheme, host and port")
			}},
		{area: "Hostile answers", name: "gzip bomb: a listing page of 400 MiB once decompressed (about 400 KiB sent)", exit: 1, final: runFinished,
			tasks:   both(failed, succeeded),
			outcome: "the body cap (8 MiB decompressed; 64 MiB for IAM Identity's reports) stops each read: the task fails naming the cap, peak RSS stays far below the CronJob's 512 MiB",
			setup: func(t *testing.T, h *harness) {
				p := proxy(t, h.l.Sim.URL(), &hostile.Rule{PathPrefix: "/v2/resource_instances", Mode: hostile.GzipBomb, BombSize: 400 << 20})
				remember(h, p)
				h.env["RESOURCE_CONTROLLER_URL"] = p.URL()
			},
			check: func(t *testing.T, h *harness, r *result) {
				if proxyOf(h).Fired(hostile.GzipBomb) == 0 {
					t.Error("no bomb was served")
				}
				wantTaskError(t, r, "inventory", "too large")
				notRetried(t, h, hostile.GzipBomb)
				t.Logf("peak RSS %d MiB", r.maxRSS>>20)
				if r.maxRSS > 200<<20 {
					t.Errorf("peak RSS %d MiB", r.maxRSS>>20)
				}
			}},
		{area: "Hostile answers", name: "a listing page written 16 bytes a second", exit: 1, final: runFinished,
			tasks:   both(failed, succeeded),
			outcome: "the task's timeout (3 s here) ends the read; the next task runs",
			setup: func(t *testing.T, h *harness) {
				p := proxy(t, h.l.Sim.URL(), &hostile.Rule{PathPrefix: "/v2/resource_instances", Mode: hostile.SlowWrite, Interval: time.Second})
				h.env["RESOURCE_CONTROLLER_URL"] = p.URL()
				h.writeConfig("60s", strings.Replace(bothTasks, "inventory, timeout: 20s", "inventory, timeout: 3s", 1))
			},
			check: func(t *testing.T, h *harness, r *result) {
				wantTaskError(t, r, "inventory", "timed out")
				if r.duration > 30*time.Second {
					t.Errorf("the run took %v", r.duration)
				}
			}},
		{area: "Hostile answers", name: "IAM answers 200 with an empty body", exit: 75, final: signInFailed, network: noRequests,
			outcome: "\"IAM answered 200 without a usable access token\" (not \"refused\"); a later run may succeed",
			setup: func(t *testing.T, h *harness) {
				p := proxy(t, h.iam.URL(), &hostile.Rule{PathPrefix: "/identity/token", Mode: hostile.EmptyBody})
				h.env["TRUSTJOB_IAM_URL"] = p.URL()
			},
			check: func(t *testing.T, h *harness, r *result) {
				wantFinal(t, r, "answered 200 without a usable access token")
			}},
		{area: "Hostile answers", name: "IAM's refresh hangs during a task (timeout 4 s)", exit: 1, final: runFinished,
			tasks:   both(failed, failed),
			outcome: "each task ends at its own timeout, not at the token request's 30 s attempt timeout; the next task still runs",
			opts:    cloudsim.Options{TokenTTL: 2 * time.Second}, // stale at once: every call refreshes
			setup: func(t *testing.T, h *harness) {
				h.writeConfig("60s", strings.ReplaceAll(bothTasks, "timeout: 20s", "timeout: 4s"))
				h.l.Sim.AddFault(&cloudsim.Fault{Service: cloudsim.ServiceIAMToken, Nth: 2, Hang: true})
			},
			check: func(t *testing.T, h *harness, r *result) {
				wantTaskError(t, r, "inventory", "timed out after 4s")
				if r.duration > 25*time.Second {
					t.Errorf("the run took %v; two tasks of 4 s", r.duration)
				}
			}},
		{area: "Token file", name: "a FIFO", exit: 77, final: preflightFailed, network: noRequests,
			outcome: "\"is not a regular file (a FIFO)\" at once, instead of blocking past the deadline and SIGTERM",
			setup: func(t *testing.T, h *harness) {
				p := filepath.Join(h.dir, "fifo-token")
				if err := syscall.Mkfifo(p, 0o644); err != nil {
					t.Skip(err)
				}
				h.env["TRUSTJOB_CR_TOKEN_FILE"] = p
			},
			check: func(t *testing.T, h *harness, r *result) { wantFinal(t, r, "not a regular file (a FIFO)") }},
		{area: "Output", name: "a FIFO as DIR/inventory/latest.jsonl", exit: 0, final: runFinished,
			tasks:   both(succeeded, succeeded),
			outcome: "the previous report is refused as unreadable at once (no baseline); the new report replaces the FIFO",
			setup: func(t *testing.T, h *harness) {
				d := filepath.Join(h.outDir, "inventory")
				os.MkdirAll(d, 0o755)
				if err := syscall.Mkfifo(filepath.Join(d, "latest.jsonl"), 0o644); err != nil {
					t.Skip(err)
				}
			}},
		{area: "Signals", name: "SIGTERM while IAM is slow to answer the sign-in", exit: 75, final: signInFailed, network: signInOnly,
			outcome: "named as such (\"sign-in interrupted: terminated signal received\"), not as IAM's deadline; this run's run-summary.json says so",
			setup: func(t *testing.T, h *harness) {
				h.l.Sim.AddFault(&cloudsim.Fault{Service: cloudsim.ServiceIAMToken, Hang: true})
			},
			during: func(t *testing.T, h *harness) func(*os.Process, *syncBuffer) {
				return func(p *os.Process, _ *syncBuffer) {
					ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
					defer cancel()
					for ctx.Err() == nil && tokenRequests(h) == 0 {
						time.Sleep(20 * time.Millisecond)
					}
					_ = p.Signal(syscall.SIGTERM)
				}
			},
			check: func(t *testing.T, h *harness, r *result) {
				wantFinal(t, r, "sign-in interrupted", "terminated")
				if strings.Contains(errorText(r), "did not answer") {
					t.Error("SIGTERM reported as IAM's silence")
				}
			}},
		{area: "Output", name: "sign-in fails after a run that succeeded", exit: 77, final: signInFailed, network: signInOnly,
			outcome: "run-summary.json is this run's (exit 77, the error), not the previous \"succeeded\"",
			setup: func(t *testing.T, h *harness) {
				os.MkdirAll(h.outDir, 0o755)
				os.WriteFile(filepath.Join(h.outDir, runSummary), []byte(`{"run_id":"old","status":"succeeded","exit_code":0}`), 0o644)
				writeToken(t, h, mint(t, h, cloudsim.MintOptions{Namespace: "other", ServiceAccount: "robot"}))
			}},
		{area: "Output", name: "another run holds the output directory", exit: 75, final: lockedOut, network: noRequests,
			outcome: "waits --lock-wait (1 s here), then exits 75 naming the holder, before any network request; nothing written",
			setup: func(t *testing.T, h *harness) {
				l, err := report.LockDir(h.outDir, "holder-run", 0)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(l.Unlock)
				h.args = append(h.args, "--lock-wait", "1s")
			},
			check: func(t *testing.T, h *harness, r *result) {
				if r.duration < time.Second {
					t.Errorf("gave up after %v without waiting", r.duration)
				}
				wantFinal(t, r, "holder-run", "concurrencyPolicy")
			}},
		{area: "Output", name: "temporary files a killed run left behind", exit: 0, final: runFinished,
			tasks:   both(succeeded, succeeded),
			outcome: "swept at start (under the lock); stamped files carry the run id",
			setup: func(t *testing.T, h *harness) {
				d := filepath.Join(h.outDir, "inventory")
				os.MkdirAll(d, 0o755)
				os.WriteFile(filepath.Join(d, ".20260101T000000Z-jsonl-1.tmp"), []byte("half a row"), 0o644)
				os.WriteFile(filepath.Join(h.outDir, ".run-summary.json-2.tmp"), []byte("{"), 0o644)
			},
			check: func(t *testing.T, h *harness, r *result) {
				id, _ := r.logs[0]["run_id"].(string)
				found := false
				for name := range r.files {
					found = found || (strings.HasPrefix(name, "inventory/") && strings.Contains(name, "-"+id+".jsonl"))
				}
				if !found {
					t.Errorf("no stamped inventory report carries the run id %s: %v", id, keys(r.files))
				}
			}},
		{area: "Output", name: "the output directory holds another account's reports", exit: 78, final: otherAccount, network: signInOnly, keepFiles: true,
			outcome: "refused before any task: that directory's latest.* is never this account's baseline; nothing is written",
			setup: func(t *testing.T, h *harness) {
				os.MkdirAll(filepath.Join(h.outDir, "inventory"), 0o755)
				os.WriteFile(filepath.Join(h.outDir, report.AccountFile), []byte("0000000000000000000000000000other\n"), 0o644)
				os.WriteFile(filepath.Join(h.outDir, "inventory", "latest.jsonl"), []byte(`{"id":"other"}`+"\n"), 0o644)
			},
			check: func(t *testing.T, h *harness, r *result) {
				if string(r.files["inventory/latest.jsonl"]) != `{"id":"other"}`+"\n" {
					t.Error("the other account's latest.jsonl changed")
				}
				if _, ok := r.files[runSummary]; ok {
					t.Error("a run summary was written into the other account's directory")
				}
				wantFinal(t, r, "0000000000000000000000000000other", "its own output.dir")
			}},
	}
}

// TestDoctorRedacts (issue 12 item 18): doctor, text and --json, against an
// IAM that echoes the credentials it receives in its error: no token in the
// output, as for run.
func TestDoctorRedacts(t *testing.T) {
	for _, asJSON := range []bool{false, true} {
		h := newHarness(t, cloudsim.DefaultSpec(), cloudsim.Options{})
		p := proxy(t, h.iam.URL(), &hostile.Rule{PathPrefix: "/identity/token", Mode: hostile.EchoCreds})
		args := []string{"doctor", "--config", h.config, "--log-format", "json", "--log-level", "debug"}
		if asJSON {
			args = append(args, "--json")
		}
		cmd := exec.Command(binary, args...)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + h.dir}
		for k, v := range h.env {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		cmd.Env = append(cmd.Env, "TRUSTJOB_IAM_URL="+p.URL())
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		_ = cmd.Run()
		if p.Fired(hostile.EchoCreds) == 0 {
			t.Fatalf("IAM never echoed; stdout:\n%s", stdout.String())
		}
		tok, _ := os.ReadFile(h.l.TokenFile)
		r := &result{stdout: stdout.String(), stderr: stderr.String()}
		for _, f := range leaks(r, []string{string(tok)}) {
			t.Errorf("LEAK (json %v): %s", asJSON, f)
		}
		if !strings.Contains(stdout.String(), "token exchange") {
			t.Errorf("doctor output lacks the token exchange check:\n%s", stdout.String())
		}
	}
}
