package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustjob/trustjob/internal/auth"
	"github.com/trustjob/trustjob/internal/config"
	"github.com/trustjob/trustjob/internal/exitcode"
	"github.com/trustjob/trustjob/internal/ibmcloud"
	"github.com/trustjob/trustjob/internal/report"
	"github.com/trustjob/trustjob/internal/runner"
	"github.com/trustjob/trustjob/tasks"
)

// fakeOptions drive the fake task type.
type fakeOptions struct {
	Rows     int    `yaml:"rows"`
	Fail     string `yaml:"fail"`
	Findings int    `yaml:"findings"`
}

func (o *fakeOptions) Validate() []config.FieldError {
	if o.Rows < 0 {
		return []config.FieldError{{Path: "rows", Message: "rows must not be negative"}}
	}
	return nil
}

type fakeTask struct {
	o   *fakeOptions
	env *tasks.Env // last Env seen, for assertions
	mu  *sync.Mutex
}

func (f fakeTask) Run(_ context.Context, env tasks.Env, out tasks.Output) (tasks.Result, error) {
	f.mu.Lock()
	*f.env = env
	f.mu.Unlock()
	env.Logger.Info("fake task working")
	for i := range f.o.Rows {
		_ = out.Write(report.Row{"n": i})
	}
	var res tasks.Result
	res.Findings.AddN(tasks.Finding{Status: tasks.StatusFail}, f.o.Findings)
	if f.o.Fail != "" {
		return res, errors.New(f.o.Fail)
	}
	return res, nil
}

// harness is an app with buffers, a fake task type and fake services.
type harness struct {
	a              *app
	stdout, stderr bytes.Buffer
	env            map[string]string
	preflights     int
	signIns        int
	preflightErr   error
	signInErr      error
	summary        *runner.Summary
	summaryPath    string
	settings       auth.Settings // what Preflight was given
	lastEnv        tasks.Env
	outDir         string
	mu             sync.Mutex
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{env: map[string]string{}}
	reg := tasks.NewRegistry()
	reg.Register(tasks.Type{
		Name:        "fake",
		Description: "a task for tests",
		Schema:      report.Schema{Columns: []string{"n"}},
		NewOptions:  func() tasks.Options { return &fakeOptions{Rows: 2} },
		New: func(o tasks.Options) (tasks.Task, error) {
			return fakeTask{o: o.(*fakeOptions), env: &h.lastEnv, mu: &h.mu}, nil
		},
		Permissions: []tasks.Permission{{Service: "resource-controller", Role: "Viewer", Why: "list instances"}},
	})
	h.a = &app{
		stdout: &h.stdout, stderr: &h.stderr, stdin: strings.NewReader(""),
		getenv: func(k string) string { return h.env[k] },
		environ: func() []string {
			var kv []string
			for k, v := range h.env {
				kv = append(kv, k+"="+v)
			}
			return kv
		},
		clock:    func() time.Time { return time.Date(2026, 3, 10, 3, 0, 5, 0, time.UTC) },
		registry: reg,
	}
	h.a.signer = fakeSigner{h}
	h.a.reports = fakeReports{h: h, dir: t.TempDir()}
	return h
}

// fakeSigner stands in for internal/auth: it counts calls and signs in with
// empty clients.
type fakeSigner struct{ h *harness }

func (f fakeSigner) Preflight(s auth.Settings, _ time.Time) error {
	f.h.preflights++
	f.h.settings = s
	return f.h.preflightErr
}

func (f fakeSigner) SignIn(_ context.Context, s auth.Settings, _ *slog.Logger) (*auth.Session, error) {
	f.h.signIns++
	if f.h.signInErr != nil {
		return nil, f.h.signInErr
	}
	counter := ibmcloud.NewRequestCounter()
	counter.Add("resource-controller")
	return &auth.Session{Clients: &ibmcloud.Clients{Requests: counter}, Account: "acct1",
		ProfileName: s.ProfileName, ProfileIAMID: "iam-Profile-1", Exchanges: func() int64 { return 1 }}, nil
}

// fakeReports writes the reports into a temporary directory instead of the
// configured one, and keeps the run summary in memory.
type fakeReports struct {
	h   *harness
	dir string
}

func (f fakeReports) NewRun(o report.Options) (*report.Run, error) {
	f.h.outDir = o.Dir
	o.Dir = f.dir
	return report.NewRun(o)
}

func (f fakeReports) WriteSummary(path string, s runner.Summary) error {
	f.h.summary, f.h.summaryPath = &s, path
	return nil
}

func (h *harness) run(args ...string) int {
	h.stdout.Reset()
	h.stderr.Reset()
	return h.a.main(context.Background(), args)
}

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

const goodConfig = `apiVersion: trustjob/v1
kind: Config
auth:
  profileName: runner
schedule: "0 * * * *"
output:
  dir: /reports
tasks:
  - name: nightly
    type: fake
    schedule: "30 2 * * *"
    options: {rows: 3}
  - name: weekly
    type: fake
    schedule: "0 4 * * 1"
  - name: always
    type: fake
`

func TestUsageErrors(t *testing.T) {
	cfg := writeConfig(t, goodConfig)
	tests := []struct {
		name string
		args []string
		want string // in stderr
	}{
		{"no command", nil, "no command given"},
		{"unknown command", []string{"frobnicate"}, `unknown command "frobnicate"`},
		{"unknown flag", []string{"run", "--bogus"}, "flag provided but not defined: -bogus"},
		{"unknown global flag", []string{"--bogus", "run"}, "flag provided but not defined: -bogus"},
		{"bad log level", []string{"run", "--log-level", "loud"}, `unknown log level "loud"`},
		{"bad log format", []string{"validate", "--log-format", "xml", cfg}, `unknown log format "xml"`},
		{"run takes no arguments", []string{"run", "--config", cfg, "extra"}, `unexpected argument "extra"`},
		{"bad --now", []string{"run", "--config", cfg, "--now", "yesterday"}, "want RFC3339"},
		{"empty --task", []string{"run", "--task", ""}, "empty value"},
		{"schedule bad --now", []string{"schedule", "--now", "3am"}, "want RFC3339"},
		{"unknown task type filter", []string{"tasks", "nope"}, `unknown task type "nope"`},
		{"help for unknown", []string{"help", "nope"}, `unknown command "nope"`},
		{"version args", []string{"version", "x"}, `unexpected argument "x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			if code := h.run(tt.args...); code != exitcode.Usage {
				t.Errorf("exit %d, want 2; stderr:\n%s", code, h.stderr.String())
			}
			if !strings.Contains(h.stderr.String(), tt.want) {
				t.Errorf("stderr lacks %q:\n%s", tt.want, h.stderr.String())
			}
			if h.signIns+h.preflights > 0 {
				t.Error("a usage error reached sign-in")
			}
		})
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}, {"help", "help"}} {
		h := newHarness(t)
		if code := h.run(args...); code != 0 || !strings.Contains(h.stdout.String(), "Commands:") {
			t.Errorf("%v: exit %d, stdout:\n%s", args, code, h.stdout.String())
		}
	}
	h := newHarness(t)
	if code := h.run("help", "run"); code != 0 || !strings.Contains(h.stdout.String(), "-dry-run") || !strings.Contains(h.stdout.String(), "-task NAME") {
		t.Errorf("help run: exit %d:\n%s", code, h.stdout.String())
	}
	h = newHarness(t)
	if code := h.run("schedule", "-h"); code != 0 || !strings.Contains(h.stdout.String(), "-now time") {
		t.Errorf("schedule -h: exit %d:\n%s", code, h.stdout.String())
	}
}

func TestVersion(t *testing.T) {
	h := newHarness(t)
	if code := h.run("version"); code != 0 || !strings.HasPrefix(h.stdout.String(), "trustjob dev") {
		t.Errorf("exit %d, %q", code, h.stdout.String())
	}
}

func TestValidate(t *testing.T) {
	good := writeConfig(t, goodConfig)
	bad := writeConfig(t, `apiVersion: trustjob/v1
kind: Config
auth: {profileName: a, profileID: Profile-1}
schedule: "@every 1h"
tasks:
  - name: a
    type: nope
  - name: a
    type: fake
    timeout: forever
    options: {rows: -1, colour: red}
`)
	t.Run("valid", func(t *testing.T) {
		h := newHarness(t)
		if code := h.run("validate", good); code != 0 {
			t.Fatalf("exit %d\n%s%s", code, h.stdout.String(), h.stderr.String())
		}
		if !strings.Contains(h.stdout.String(), good+": ok (3 tasks)") {
			t.Errorf("stdout: %s", h.stdout.String())
		}
	})
	t.Run("every problem at once", func(t *testing.T) {
		h := newHarness(t)
		if code := h.run("validate", good, bad); code != exitcode.Config {
			t.Fatalf("exit %d, want 78", code)
		}
		out := h.stdout.String()
		for _, want := range []string{
			bad + ":3:35: auth.profileID: profileName and profileID are both set",
			bad + ":4:11: schedule: @every is not a Kubernetes CronJob schedule",
			bad + `:7:11: tasks[0].type: unknown task type "nope"; known types: fake`,
			bad + `:8:11: tasks[1].name: duplicate task name "a"`,
			bad + `:10:14: tasks[1].timeout: invalid duration "forever"`,
			bad + `:11:25: tasks[1].options.colour: unknown field "colour"`,
			bad + `:11:21: tasks[1].options.rows: rows must not be negative`,
		} {
			if !strings.Contains(out, want) {
				t.Errorf("stdout lacks %q:\n%s", want, out)
			}
		}
		if !strings.Contains(out, good+": ok") || !strings.Contains(h.stderr.String(), "7 problem(s) in 1 of 2 file(s)") {
			t.Errorf("stdout:\n%s\nstderr:\n%s", out, h.stderr.String())
		}
	})
	t.Run("default config from the environment", func(t *testing.T) {
		h := newHarness(t)
		h.env[EnvConfig] = good
		if code := h.run("validate"); code != 0 {
			t.Errorf("exit %d: %s", code, h.stdout.String())
		}
	})
	t.Run("global --config", func(t *testing.T) {
		h := newHarness(t)
		if code := h.run("--config", bad, "validate"); code != exitcode.Config {
			t.Errorf("exit %d", code)
		}
	})
	t.Run("missing file", func(t *testing.T) {
		h := newHarness(t)
		if code := h.run("validate", "/nonexistent.yaml"); code != exitcode.Config ||
			!strings.Contains(h.stdout.String(), "/nonexistent.yaml: cannot read the configuration") {
			t.Errorf("exit %d: %s", code, h.stdout.String())
		}
	})
	t.Run("environment problems once", func(t *testing.T) {
		h := newHarness(t)
		h.env["IBMCLOUD_API_KEY"] = "k"
		if code := h.run("validate", good, good); code != exitcode.Config {
			t.Fatalf("exit %d", code)
		}
		if n := strings.Count(h.stdout.String(), "$IBMCLOUD_API_KEY"); n != 1 {
			t.Errorf("API-key problem printed %d times:\n%s", n, h.stdout.String())
		}
		if !strings.Contains(h.stdout.String(), "refused because of the environment problems above") {
			t.Errorf("second file not explained:\n%s", h.stdout.String())
		}
	})
}

func TestTasksCommand(t *testing.T) {
	h := newHarness(t)
	if code := h.run("tasks"); code != 0 {
		t.Fatalf("exit %d: %s", code, h.stderr.String())
	}
	out := h.stdout.String()
	for _, want := range []string{"fake\n  a task for tests", "options (defaults):", "    rows: 2", `    fail: ""`,
		"columns: n", "- Viewer on resource-controller: list instances"} {
		if !strings.Contains(out, want) {
			t.Errorf("tasks output lacks %q:\n%s", want, out)
		}
	}
}

func TestScheduleCommand(t *testing.T) {
	h := newHarness(t)
	cfg := writeConfig(t, goodConfig)
	if code := h.run("schedule", "--config", cfg, "--now", "2026-03-09T03:00:05Z"); code != 0 {
		t.Fatalf("exit %d: %s", code, h.stderr.String())
	}
	out := h.stdout.String()
	for _, want := range []string{
		`Job schedule "0 * * * *" (UTC). At 2026-03-09 03:00 UTC this run covers fire times in (2026-03-09 02:00 UTC, 2026-03-09 03:00 UTC].`,
		"nightly  fake  30 2 * * *   yes      2026-03-10 02:30 UTC, 2026-03-11 02:30 UTC, 2026-03-12 02:30 UTC",
		"weekly   fake  0 4 * * 1    no       2026-03-09 04:00 UTC, 2026-03-16 04:00 UTC, 2026-03-23 04:00 UTC",
		"always   fake  (every run)  yes      2026-03-09 04:00 UTC, 2026-03-09 05:00 UTC, 2026-03-09 06:00 UTC (the job's)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("schedule output lacks %q:\n%s", want, out)
		}
	}
	h = newHarness(t)
	if code := h.run("schedule", "--config", writeConfig(t, "kind: Config\n")); code != exitcode.Config {
		t.Errorf("invalid config: exit %d", code)
	}
}

func TestRunCommand(t *testing.T) {
	cfg := writeConfig(t, goodConfig)
	t.Run("runs due tasks and writes the summary", func(t *testing.T) {
		h := newHarness(t)
		code := h.run("run", "--config", cfg, "--now", "2026-03-10T03:00:05Z", "--log-format", "json")
		if code != 0 {
			t.Fatalf("exit %d:\n%s", code, h.stderr.String())
		}
		s := h.summary
		if s == nil || h.summaryPath != "/reports/run-summary.json" {
			t.Fatalf("summary not written (path %q)", h.summaryPath)
		}
		got := map[string]runner.Status{}
		for _, r := range s.Tasks {
			got[r.Name] = r.Status
		}
		if got["nightly"] != runner.Succeeded || got["always"] != runner.Succeeded || got["weekly"] != runner.Skipped {
			t.Errorf("statuses %v", got)
		}
		if s.Account != "acct1" || s.TokenExchanges != 1 || s.Requests["resource-controller"] != 1 || s.Version == "" {
			t.Errorf("summary %+v", s)
		}
		if h.lastEnv.Now().Format(time.RFC3339) != "2026-03-10T03:00:05Z" || h.lastEnv.DryRun {
			t.Errorf("task env: now %v, dry run %v", h.lastEnv.Now(), h.lastEnv.DryRun)
		}
		checkRunIDs(t, h.stderr.String())
	})
	t.Run("--task runs a task that is not due, --dry-run, --output-dir", func(t *testing.T) {
		h := newHarness(t)
		code := h.run("run", "--config", cfg, "--task", "weekly", "--dry-run", "--output-dir", "/elsewhere")
		if code != 0 {
			t.Fatalf("exit %d:\n%s", code, h.stderr.String())
		}
		if len(h.summary.Tasks) != 3 || h.summary.Tasks[0].Name != "weekly" || h.summary.Tasks[0].Status != runner.Succeeded {
			t.Errorf("tasks %+v", h.summary.Tasks)
		}
		if !h.lastEnv.DryRun || !h.summary.DryRun || h.outDir != "/elsewhere" || h.summaryPath != "/elsewhere/run-summary.json" {
			t.Errorf("dry run %v/%v, dir %q", h.lastEnv.DryRun, h.summary.DryRun, h.outDir)
		}
	})
	t.Run("unknown --task is a configuration error", func(t *testing.T) {
		h := newHarness(t)
		if code := h.run("run", "--config", cfg, "--task", "nope"); code != exitcode.Config {
			t.Errorf("exit %d", code)
		}
		if !strings.Contains(h.stderr.String(), `unknown task \"nope\"; configured tasks: nightly, weekly, always`) || h.signIns > 0 {
			t.Errorf("stderr:\n%s", h.stderr.String())
		}
	})
	t.Run("invalid configuration: 78 before any network", func(t *testing.T) {
		h := newHarness(t)
		bad := writeConfig(t, "apiVersion: trustjob/v1\nkind: Config\nauth: {}\ntasks: [{name: a, type: nope}]\n")
		if code := h.run("run", "--config", bad); code != exitcode.Config {
			t.Errorf("exit %d", code)
		}
		if h.preflights+h.signIns > 0 {
			t.Error("sign-in attempted with an invalid configuration")
		}
		if n := strings.Count(h.stderr.String(), `"msg":"invalid configuration"`); n != 2 {
			t.Errorf("%d problem lines, want 2:\n%s", n, h.stderr.String())
		}
	})
	t.Run("no task due: no sign-in", func(t *testing.T) {
		h := newHarness(t)
		onlyScheduled := writeConfig(t, strings.Replace(goodConfig, "  - name: always\n    type: fake\n", "", 1))
		if code := h.run("run", "--config", onlyScheduled, "--now", "2026-03-10T05:00:05Z"); code != 0 {
			t.Errorf("exit %d", code)
		}
		if h.preflights+h.signIns > 0 || !strings.Contains(h.stderr.String(), "no task is due") {
			t.Errorf("sign-in without due tasks:\n%s", h.stderr.String())
		}
	})
	t.Run("preflight failure", func(t *testing.T) {
		h := newHarness(t)
		h.preflightErr = &auth.PreflightError{Path: "/var/run/secrets/tokens/sa-token", Problem: "does not exist"}
		if code := h.run("run", "--config", cfg); code != exitcode.NoPerm {
			t.Errorf("exit %d", code)
		}
		if h.signIns > 0 || !strings.Contains(h.stderr.String(), "mount a projected service-account token") {
			t.Errorf("stderr:\n%s", h.stderr.String())
		}
	})
	t.Run("sign-in failure", func(t *testing.T) {
		h := newHarness(t)
		h.signInErr = &auth.SignInError{Message: "IAM unreachable after 5 attempts", Temporary: true}
		if code := h.run("run", "--config", cfg); code != exitcode.TempFail {
			t.Errorf("exit %d", code)
		}
		// Issue 12 item 8: this run's summary replaces the previous one.
		if h.summary == nil || h.summary.ExitCode != exitcode.TempFail || h.summary.Status != "failed" ||
			!strings.Contains(h.summary.Error, "IAM unreachable") || h.summary.Statuses["skipped"] == 0 {
			t.Errorf("summary %+v, want this run's failure", h.summary)
		}
	})
	t.Run("a failing task exits 1, failOn exits 3", func(t *testing.T) {
		failing := writeConfig(t, goodConfig+"  - name: broken\n    type: fake\n    options: {fail: boom}\n")
		h := newHarness(t)
		if code := h.run("run", "--config", failing, "--task", "broken", "--task", "always"); code != exitcode.TaskFailed {
			t.Errorf("exit %d", code)
		}
		over := writeConfig(t, goodConfig+"  - name: counted\n    type: fake\n    failOn: 2\n    options: {findings: 3}\n")
		h = newHarness(t)
		if code := h.run("run", "--config", over, "--task", "counted"); code != exitcode.Findings {
			t.Errorf("exit %d", code)
		}
	})
	t.Run("auth settings from config and environment", func(t *testing.T) {
		h := newHarness(t)
		h.env["TRUSTJOB_PROFILE_ID"] = "Profile-env"
		h.preflightErr = errors.New("stop")
		h.run("run", "--config", cfg)
		got := h.settings
		if got.ProfileID != "Profile-env" || got.CRTokenFile != config.DefaultCRTokenFile || got.IAMURL != config.DefaultIAMURL ||
			got.ProfileName != "" || got.Network.Mode != "public" || got.Getenv == nil {
			t.Errorf("settings %+v", got)
		}
	})
}

// checkRunIDs asserts that every JSON log line carries the same run_id.
func checkRunIDs(t *testing.T, logs string) {
	t.Helper()
	ids := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("not a JSON log line: %q", line)
		}
		id, _ := m["run_id"].(string)
		if len(id) != 16 {
			t.Errorf("line without run_id: %s", line)
		}
		ids[id] = true
		if m["msg"] == "fake task working" && (m["task"] == nil || m["type"] != "fake") {
			t.Errorf("task line without task/type: %s", line)
		}
	}
	if len(ids) != 1 {
		t.Errorf("%d run ids in one run", len(ids))
	}
}
