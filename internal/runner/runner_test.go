package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustjob/trustjob/internal/config"
	"github.com/trustjob/trustjob/internal/exitcode"
	"github.com/trustjob/trustjob/internal/ibmcloud"
	"github.com/trustjob/trustjob/internal/logging"
	"github.com/trustjob/trustjob/internal/report"
	"github.com/trustjob/trustjob/tasks"
)

// behaviour is the fake task type's options: what the task does when run.
type behaviour struct {
	ReadOnlyOpt bool // the options ask for a dry run
	Rows        int
	Findings    *int
	Err         error
	Block       bool // wait for ctx, then return its error
	Panic       bool
	NewErr      error
	Check       func(env tasks.Env) // inspect the Env the runner built
	CheckCtx    func(ctx context.Context)
}

func (b *behaviour) Validate() []config.FieldError { return nil }

func (b *behaviour) ReadOnly() bool { return b.ReadOnlyOpt }

type fakeTask struct{ b *behaviour }

func (f fakeTask) Run(ctx context.Context, env tasks.Env, out tasks.Output) (tasks.Result, error) {
	if f.b.Check != nil {
		f.b.Check(env)
	}
	if f.b.CheckCtx != nil {
		f.b.CheckCtx(ctx)
	}
	var res tasks.Result
	env.Logger.Debug("working", "token", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.c2lnbmF0dXJl")
	for i := range f.b.Rows {
		if err := out.Write(report.Row{"n": i}); err != nil {
			return res, err
		}
	}
	if f.b.Findings != nil {
		res.Findings.AddN(tasks.Finding{Status: tasks.StatusFail, Severity: tasks.SeverityMedium}, *f.b.Findings)
		// Passing findings are not what failOn counts.
		res.Findings.AddN(tasks.Finding{Status: tasks.StatusPass}, 100)
	}
	if f.b.Panic {
		panic("fake task bug")
	}
	if f.b.Block {
		<-ctx.Done()
		return res, fmt.Errorf("list things: %w", ctx.Err())
	}
	return res, f.b.Err
}

func fakeRegistry() *tasks.Registry {
	r := tasks.NewRegistry()
	r.Register(tasks.Type{
		Name:        "fake",
		Description: "does what its options say",
		Schema:      report.Schema{Columns: []string{"n"}},
		NewOptions:  func() tasks.Options { return &behaviour{} },
		New: func(o tasks.Options) (tasks.Task, error) {
			b := o.(*behaviour)
			if b.NewErr != nil {
				return nil, b.NewErr
			}
			return fakeTask{b}, nil
		},
	})
	return r
}

// fakeOutput records what the runner asks of the report package.
type fakeOutput struct {
	mu      sync.Mutex
	reports map[string]*fakeReport
	openErr error
}

type fakeReport struct {
	mu       sync.Mutex
	rows     int64
	summary  report.Summary
	closed   bool
	complete bool
	aborted  bool
	closeErr error
}

func (o *fakeOutput) open(name string, _ report.Schema) (TaskOutput, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.openErr != nil {
		return nil, o.openErr
	}
	if o.reports == nil {
		o.reports = map[string]*fakeReport{}
	}
	r := &fakeReport{}
	o.reports[name] = r
	return r, nil
}

func (r *fakeReport) Write(report.Row) error { r.mu.Lock(); r.rows++; r.mu.Unlock(); return nil }
func (r *fakeReport) SetSummary(s report.Summary) {
	r.mu.Lock()
	r.summary = s
	r.mu.Unlock()
}
func (r *fakeReport) Close(complete bool) (report.Result, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed, r.complete = true, complete
	return report.Result{Rows: r.rows, Files: []string{"x/latest.jsonl"}, Summary: r.summary}, r.closeErr
}
func (r *fakeReport) Abort() { r.aborted = true }

func task(name string, b *behaviour, timeout time.Duration) config.Task {
	return config.Task{Name: name, Type: "fake", Timeout: config.Duration(timeout), Opts: b}
}

func intp(n int) *int { return &n }

var permErr = &ibmcloud.CallError{Op: "get report", Status: http.StatusForbidden, Err: errors.New("Forbidden")}

func TestRun(t *testing.T) {
	tests := []struct {
		name     string
		tasks    []config.Task
		cancel   bool // cancel the run context before Run
		want     []Status
		wantCode int
		check    func(t *testing.T, s Summary, out *fakeOutput)
	}{
		{
			name:     "all succeed",
			tasks:    []config.Task{task("a", &behaviour{Rows: 3}, time.Minute), task("b", &behaviour{}, time.Minute)},
			want:     []Status{Succeeded, Succeeded},
			wantCode: exitcode.OK,
			check: func(t *testing.T, s Summary, out *fakeOutput) {
				if s.Tasks[0].Rows != 3 || !s.Tasks[0].Complete || !out.reports["a"].complete {
					t.Errorf("task a: %+v", s.Tasks[0])
				}
			},
		},
		{
			name: "a failure does not stop the others",
			tasks: []config.Task{task("a", &behaviour{Rows: 1, Err: errors.New("list instances: 500 Internal Server Error")}, time.Minute),
				task("b", &behaviour{Rows: 2}, time.Minute)},
			want:     []Status{Failed, Succeeded},
			wantCode: exitcode.TaskFailed,
			check: func(t *testing.T, s Summary, out *fakeOutput) {
				if !out.reports["a"].closed || out.reports["a"].complete {
					t.Error("a failed task's partial report must be closed as incomplete")
				}
				if s.Tasks[0].Error != "list instances: 500 Internal Server Error" || s.Tasks[0].Rows != 1 {
					t.Errorf("task a: %+v", s.Tasks[0])
				}
			},
		},
		{
			name:     "only permission failures",
			tasks:    []config.Task{task("a", &behaviour{Err: fmt.Errorf("task: %w", permErr)}, time.Minute), task("b", &behaviour{}, time.Minute)},
			want:     []Status{Failed, Succeeded},
			wantCode: exitcode.NoPerm,
		},
		{
			name:     "per-task timeout",
			tasks:    []config.Task{task("slow", &behaviour{Block: true}, 20*time.Millisecond), task("b", &behaviour{}, time.Minute)},
			want:     []Status{Failed, Succeeded},
			wantCode: exitcode.TaskFailed,
			check: func(t *testing.T, s Summary, _ *fakeOutput) {
				if !strings.HasPrefix(s.Tasks[0].Error, "timed out after 20ms") {
					t.Errorf("error = %q", s.Tasks[0].Error)
				}
			},
		},
		{
			name:     "cancelled run skips every task",
			tasks:    []config.Task{task("a", &behaviour{}, time.Minute), task("b", &behaviour{}, time.Minute)},
			cancel:   true,
			want:     []Status{Skipped, Skipped},
			wantCode: exitcode.TaskFailed,
			check: func(t *testing.T, s Summary, _ *fakeOutput) {
				if !strings.Contains(s.Tasks[0].Error, "not started: received SIGTERM") {
					t.Errorf("error = %q", s.Tasks[0].Error)
				}
			},
		},
		{
			name:     "failOn exceeded",
			tasks:    []config.Task{withFailOn(task("a", &behaviour{Findings: intp(5)}, time.Minute), 4), withFailOn(task("b", &behaviour{Findings: intp(5)}, time.Minute), 5)},
			want:     []Status{Succeeded, Succeeded},
			wantCode: exitcode.Findings,
			check: func(t *testing.T, s Summary, out *fakeOutput) {
				if !s.Tasks[0].FailOnExceeded || s.Tasks[1].FailOnExceeded || *s.Tasks[0].Findings != 5 {
					t.Errorf("failOn: %+v / %+v", s.Tasks[0], s.Tasks[1])
				}
				if fmt.Sprint(s.Tasks[0].FindingsBySeverity) != "map[medium:5]" {
					t.Errorf("findings by severity %v", s.Tasks[0].FindingsBySeverity)
				}
				sum := out.reports["a"].summary
				if sum["findings"] != 5 || fmt.Sprint(sum["findings_by_severity"]) != "map[medium:5]" {
					t.Errorf("report summary %v", sum)
				}
			},
		},
		{
			// The fake's 5 failing findings are medium: a high threshold
			// counts none of them, a medium one all.
			name: "failOn by severity",
			tasks: []config.Task{withFailOnSeverity(task("a", &behaviour{Findings: intp(5)}, time.Minute), "high", 0),
				withFailOnSeverity(task("b", &behaviour{Findings: intp(5)}, time.Minute), "medium", 4)},
			want:     []Status{Succeeded, Succeeded},
			wantCode: exitcode.Findings,
			check: func(t *testing.T, s Summary, _ *fakeOutput) {
				a, b := s.Tasks[0], s.Tasks[1]
				if a.FailOnExceeded || *a.FailOnFindings != 0 || a.FailOnSeverity != "high" || *a.Findings != 5 {
					t.Errorf("high: %+v", a)
				}
				if !b.FailOnExceeded || *b.FailOnFindings != 5 {
					t.Errorf("medium: %+v", b)
				}
			},
		},
		{
			name:     "panic is contained",
			tasks:    []config.Task{task("a", &behaviour{Panic: true}, time.Minute), task("b", &behaviour{}, time.Minute)},
			want:     []Status{Failed, Succeeded},
			wantCode: exitcode.TaskFailed,
		},
		{
			name:     "task cannot be built",
			tasks:    []config.Task{task("a", &behaviour{NewErr: errors.New("bad")}, time.Minute)},
			want:     []Status{Failed},
			wantCode: exitcode.TaskFailed,
			check: func(t *testing.T, s Summary, out *fakeOutput) {
				if s.Tasks[0].Error != "build task: bad" || out.reports["a"] != nil {
					t.Errorf("task a: %+v", s.Tasks[0])
				}
			},
		},
		{
			name: "token in an error is redacted",
			tasks: []config.Task{task("a", &behaviour{
				Err: errors.New("401 for Authorization: Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.c2ln")}, time.Minute)},
			want:     []Status{Failed},
			wantCode: exitcode.TaskFailed,
			check: func(t *testing.T, s Summary, _ *fakeOutput) {
				if strings.Contains(s.Tasks[0].Error, "eyJ") {
					t.Errorf("token in summary: %q", s.Tasks[0].Error)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancelCause(context.Background())
			defer cancel(nil)
			if tt.cancel {
				cancel(errors.New("received SIGTERM"))
			}
			out := &fakeOutput{}
			var logs bytes.Buffer
			s := Run(ctx, Plan{
				RunID: "r1", Version: "test", Tasks: tt.tasks, Types: fakeRegistry(), OpenReport: out.open,
				Logger: logging.New(&logs, logging.FormatJSON, slog.LevelDebug),
			})
			if len(s.Tasks) != len(tt.want) {
				t.Fatalf("got %d results, want %d", len(s.Tasks), len(tt.want))
			}
			for i, w := range tt.want {
				if s.Tasks[i].Status != w {
					t.Errorf("task %s: status %s, want %s (%s)", s.Tasks[i].Name, s.Tasks[i].Status, w, s.Tasks[i].Error)
				}
			}
			if s.ExitCode != tt.wantCode {
				t.Errorf("exit code %d, want %d", s.ExitCode, tt.wantCode)
			}
			if tt.check != nil {
				tt.check(t, s, out)
			}
			if strings.Contains(logs.String(), "eyJ") {
				t.Errorf("token in logs:\n%s", logs.String())
			}
			if n := strings.Count(logs.String(), `"msg":"task finished"`); n != len(tt.tasks) {
				t.Errorf("%d task lines, want %d", n, len(tt.tasks))
			}
			if n := strings.Count(logs.String(), `"msg":"run finished"`); n != 1 {
				t.Errorf("%d run lines, want 1", n)
			}
		})
	}
}

func withFailOnSeverity(t config.Task, sev string, n int) config.Task {
	t.FailOn = &config.FailOn{Count: n, Severity: sev}
	return t
}

func withFailOn(t config.Task, n int) config.Task {
	t.FailOn = &config.FailOn{Count: n}
	return t
}

// TestRunCancelledMidTask cancels the run (SIGTERM) while a task runs: that
// task is incomplete, its partial report is closed, the rest are skipped.
func TestRunCancelledMidTask(t *testing.T) {
	ctx, cancel := context.WithCancelCause(context.Background())
	started := make(chan struct{})
	b := &behaviour{Rows: 2, Block: true, Check: func(tasks.Env) { close(started) }}
	go func() { <-started; cancel(errors.New("received SIGTERM")) }()
	out := &fakeOutput{}
	s := Run(ctx, Plan{Tasks: []config.Task{task("a", b, time.Minute), task("b", &behaviour{}, time.Minute)},
		Types: fakeRegistry(), OpenReport: out.open})
	if s.Tasks[0].Status != Incomplete || s.Tasks[1].Status != Skipped {
		t.Fatalf("statuses %s, %s", s.Tasks[0].Status, s.Tasks[1].Status)
	}
	if !strings.Contains(s.Tasks[0].Error, "cancelled (received SIGTERM)") || s.Tasks[0].Rows != 2 {
		t.Errorf("task a: %+v", s.Tasks[0])
	}
	if r := out.reports["a"]; !r.closed || r.complete {
		t.Errorf("partial report: %+v", r)
	}
	if s.ExitCode != exitcode.TaskFailed {
		t.Errorf("exit code %d", s.ExitCode)
	}
}

func TestRunEnvAndSummary(t *testing.T) {
	now := time.Date(2026, 3, 10, 3, 0, 0, 0, time.UTC)
	tick := now
	clock := func() time.Time { tick = tick.Add(time.Second); return tick }
	counter := ibmcloud.NewRequestCounter()
	counter.Add("resource-controller")
	counter.Add("resource-controller")
	var env tasks.Env
	b := &behaviour{Rows: 1, Check: func(e tasks.Env) { env = e }}
	s := Run(context.Background(), Plan{
		RunID: "abc", Version: "v1.2.3",
		Tasks:      []config.Task{task("inv", b, time.Minute)},
		Skipped:    []Skip{{Name: "weekly", Type: "fake", Reason: "not due"}},
		Types:      fakeRegistry(),
		OpenReport: (&fakeOutput{}).open,
		OutputDir:  "/reports",
		Clients:    &ibmcloud.Clients{Requests: counter},
		Identity:   Identity{Account: "acct", ProfileIAMID: "iam-Profile-1", ProfileName: "runner"},
		TokenExchanges: func() int64 {
			return 1
		},
		DryRun: true,
		Now:    func() time.Time { return now },
		Clock:  clock,
	})
	if env.Account != "acct" || env.ProfileIAMID != "iam-Profile-1" || env.TaskName != "inv" || !env.DryRun ||
		env.StateDir != "/reports/inv" || !env.Now().Equal(now) || env.Logger == nil {
		t.Errorf("env = %+v", env)
	}
	if s.ExitCode != 0 || s.Status != "succeeded" || s.Statuses[Succeeded] != 1 || s.Statuses[Skipped] != 1 ||
		s.Requests["resource-controller"] != 2 || s.TokenExchanges != 1 || !s.DryRun || s.Account != "acct" ||
		s.Profile.Name != "runner" || s.RunID != "abc" || s.Version != "v1.2.3" {
		t.Errorf("summary = %+v", s)
	}
	data, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"run_id":"abc"`, `"token_exchanges":1`, `"requests":{"resource-controller":2}`,
		`"statuses":{"skipped":1,"succeeded":1}`, `"duration_ms":1000`, `"status":"skipped","reason":"not due"`, `"dry_run":true`} {
		if !bytes.Contains(data, []byte(key)) {
			t.Errorf("run summary lacks %s:\n%s", key, data)
		}
	}
}

// TestRunMarksDryRun: the run's --dry-run and a task's own dryRun option both
// reach the executor and mark the task's context, so the HTTP transport
// refuses writes underneath.
func TestRunMarksDryRun(t *testing.T) {
	for _, tt := range []struct {
		name        string
		runDry, opt bool
		wantDry     bool
	}{{"neither", false, false, false}, {"run --dry-run", true, false, true}, {"task dryRun", false, true, true}} {
		t.Run(tt.name, func(t *testing.T) {
			var env tasks.Env
			var ctxDry bool
			b := &behaviour{ReadOnlyOpt: tt.opt, Check: func(e tasks.Env) { env = e },
				CheckCtx: func(ctx context.Context) { ctxDry = ibmcloud.IsDryRun(ctx) }}
			Run(context.Background(), Plan{Tasks: []config.Task{task("a", b, time.Minute)}, Types: fakeRegistry(),
				OpenReport: (&fakeOutput{}).open, DryRun: tt.runDry})
			if env.DryRun != tt.wantDry || env.Actions.DryRun() != tt.wantDry || ctxDry != tt.wantDry {
				t.Errorf("env.DryRun %v, executor %v, context %v; want %v", env.DryRun, env.Actions.DryRun(), ctxDry, tt.wantDry)
			}
		})
	}
}
