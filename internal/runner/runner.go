package runner

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime/debug"
	"time"

	"github.com/trustjob/trustjob/internal/action"
	"github.com/trustjob/trustjob/internal/config"
	"github.com/trustjob/trustjob/internal/ibmcloud"
	"github.com/trustjob/trustjob/internal/logging"
	"github.com/trustjob/trustjob/internal/report"
	"github.com/trustjob/trustjob/tasks"
)

// Types looks task types up by name; *tasks.Registry satisfies it.
type Types interface {
	Lookup(name string) (tasks.Type, bool)
}

// TaskOutput is one task's report while it is written; *report.TaskReport is
// one.
type TaskOutput interface {
	report.Writer
	// Close finishes the report; complete=false marks it incomplete (the task
	// failed or was cut short) but keeps what was written.
	Close(complete bool) (report.Result, error)
	// Abort drops the report without writing files.
	Abort()
}

// Identity is who the run signed in as.
type Identity struct {
	Account      string
	ProfileIAMID string
	ProfileName  string
	ProfileID    string
}

// Skip is a configured task that is not run, with the reason (not due).
type Skip struct {
	Name, Type, Reason string
}

// Plan is everything one run needs. Tasks run in the order given.
type Plan struct {
	RunID   string
	Version string
	// Tasks are the tasks to run now; Skipped the configured ones that are not.
	Tasks   []config.Task
	Skipped []Skip
	Types   Types
	// OpenReport opens one task's report (report.Run.Task in production).
	OpenReport func(task string, schema report.Schema) (TaskOutput, error)
	// OutputDir is the report directory ("" for stdout only); a task's
	// Env.StateDir is OutputDir/<task>.
	OutputDir string
	// Previous, when set (output.cos), is where change reports read the
	// previous run's report (tasks.Env.Previous).
	Previous       report.Previous
	Clients        *ibmcloud.Clients
	Identity       Identity
	TokenExchanges func() int64
	Logger         *slog.Logger
	DryRun         bool
	// Now is the tasks' clock (fixed by --now); Clock times the run and
	// defaults to time.Now.
	Now   func() time.Time
	Clock func() time.Time
}

// Run runs the plan's tasks one after the other. Sequential on purpose: the
// load on IBM Cloud APIs stays simple and predictable (one task's requests at
// a time, well under rate limits), logs and reports read in order, and a
// nightly job has time to spare. Each task runs under its own timeout and
// under ctx, which carries the run deadline and SIGTERM/SIGINT. A task that
// fails does not stop the others; once ctx is done the remaining tasks are
// skipped. Run always returns a summary.
func Run(ctx context.Context, p Plan) Summary {
	clock := p.Clock
	if clock == nil {
		clock = time.Now
	}
	log := p.Logger
	if log == nil {
		log = logging.Discard()
	}
	started := clock()
	var results []TaskResult
	for _, t := range p.Tasks {
		r := p.runTask(ctx, t, clock, log)
		logTask(log, r)
		results = append(results, r)
	}
	for _, s := range p.Skipped {
		results = append(results, TaskResult{Name: s.Name, Type: s.Type, Status: Skipped, Reason: s.Reason})
	}
	sum := p.summary(results, started, clock())
	logRun(log, sum)
	return sum
}

func (p *Plan) runTask(ctx context.Context, t config.Task, clock func() time.Time, runLog *slog.Logger) (r TaskResult) {
	r = TaskResult{Name: t.Name, Type: t.Type}
	if t.FailOn != nil {
		r.FailOn, r.FailOnSeverity = &t.FailOn.Count, t.FailOn.Severity
	}
	if err := context.Cause(ctx); err != nil {
		r.Status, r.Error = Skipped, "not started: "+err.Error()
		return r
	}
	typ, ok := p.Types.Lookup(t.Type)
	if !ok {
		// config.Load rejects unknown types; this guards hand-built plans.
		r.Status, r.Error = Failed, fmt.Sprintf("unknown task type %q", t.Type)
		return r
	}
	log := runLog.With("task", t.Name, "type", t.Type)
	start := clock()
	r.Started = start.UTC()
	defer func() { r.setDuration(clock().Sub(start)) }()

	task, err := typ.New(t.Opts)
	if err != nil {
		return r.fail(fmt.Errorf("build task: %w", err))
	}
	out, err := p.OpenReport(t.Name, typ.Schema)
	if err != nil {
		return r.fail(fmt.Errorf("open report: %w", err))
	}
	timeout := t.Timeout.D()
	if timeout <= 0 {
		timeout = config.DefaultTaskTimeout
	}
	taskCtx, cancel := context.WithTimeoutCause(ctx, timeout, fmt.Errorf("task timeout %s reached", t.Timeout))
	defer cancel()
	// Dry-run is enforced twice below the task: the executor takes no action,
	// and the HTTP transport refuses writes under the marked context.
	dryRun := p.DryRun
	if ro, ok := t.Opts.(tasks.ReadOnly); ok && ro.ReadOnly() {
		dryRun = true
	}
	if dryRun {
		taskCtx = ibmcloud.WithDryRun(taskCtx)
	}
	// The task's requests, retries and 429s, counted by the clients'
	// transport under this context.
	counts := ibmcloud.NewTaskCounts()
	taskCtx = ibmcloud.WithTaskCounts(taskCtx, counts)
	env := tasks.Env{
		Logger: log, Clients: p.Clients, Account: p.Identity.Account, ProfileIAMID: p.Identity.ProfileIAMID,
		TaskName: t.Name, Now: p.now(), DryRun: dryRun, Previous: p.Previous,
		Actions: action.New(action.Config{DryRun: dryRun, Logger: log}),
	}
	if p.OutputDir != "" {
		env.StateDir = filepath.Join(p.OutputDir, t.Name)
	}
	log.Debug("task starting", "timeout", timeout.String(), "dry_run", dryRun)

	res, runErr := safeRun(taskCtx, task, env, out, log)
	out.SetSummary(res.ReportSummary())
	written, closeErr := out.Close(runErr == nil)
	r.Rows, r.Files, r.Summary = written.Rows, written.Files, written.Summary
	r.setCounts(counts)
	n := int64(res.Findings.Failing())
	r.Findings, r.FindingsBySeverity = &n, res.Findings.BySeverity(tasks.StatusFail)
	if t.FailOn != nil {
		counted := n
		if sev, ok := tasks.ParseSeverity(t.FailOn.Severity); ok {
			counted = int64(res.Findings.Count(tasks.StatusFail, sev))
			r.FailOnFindings = &counted
		}
		r.FailOnExceeded = counted > int64(t.FailOn.Count)
	}
	switch {
	case runErr != nil && ctx.Err() != nil:
		r.Status, r.Error = Incomplete, redact(fmt.Errorf("cancelled (%v): %w", context.Cause(ctx), runErr))
	case runErr != nil && taskCtx.Err() != nil: // the task's own timeout, the run goes on
		r.fail(fmt.Errorf("timed out after %s: %w", timeout, runErr))
	case runErr != nil:
		r.fail(runErr)
	case closeErr != nil:
		r.fail(fmt.Errorf("write report: %w", closeErr))
	default:
		r.Status, r.Complete = Succeeded, true
	}
	if closeErr != nil && runErr != nil {
		log.Error("write partial report", "err", closeErr)
	}
	return r
}

// safeRun runs the task and turns a panic into an error, so that one broken
// task cannot take the other tasks (and the run summary) down with it.
func safeRun(ctx context.Context, t tasks.Task, env tasks.Env, out tasks.Output, log *slog.Logger) (res tasks.Result, err error) {
	defer func() {
		if v := recover(); v != nil {
			log.Error("task panicked", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			err = fmt.Errorf("task panicked: %v", v)
		}
	}()
	return t.Run(ctx, env, out)
}

// setCounts copies the task's request counts. A task that retries on its own
// (the SDK's retries off) and does not call ibmcloud.CountRetry reports its
// retries in its summary ("retries"); the larger number is kept.
func (r *TaskResult) setCounts(c *ibmcloud.TaskCounts) {
	if req := c.Requests(); len(req) > 0 {
		r.Requests = req
	}
	r.Retries, r.Throttles = c.Retries(), c.Throttles()
	var own int64
	switch n := r.Summary["retries"].(type) {
	case int:
		own = int64(n)
	case int64:
		own = n
	}
	r.Retries = max(r.Retries, own)
}

func (p *Plan) now() func() time.Time {
	if p.Now != nil {
		return p.Now
	}
	return time.Now
}

func (r *TaskResult) fail(err error) TaskResult {
	r.Status, r.Error = Failed, redact(err)
	r.PermissionDenied = ibmcloud.IsPermission(err)
	return *r
}

func redact(err error) string { return logging.RedactString(err.Error()) }

func logTask(log *slog.Logger, r TaskResult) {
	level := slog.LevelInfo
	switch r.Status {
	case Failed:
		level = slog.LevelError
	case Incomplete, Skipped:
		level = slog.LevelWarn
	}
	attrs := []any{"task", r.Name, "type", r.Type, "status", r.Status, "duration_ms", r.DurationMS,
		"rows", r.Rows, "complete", r.Complete}
	if r.Findings != nil {
		attrs = append(attrs, "findings", *r.Findings)
	}
	if r.FailOnExceeded {
		attrs = append(attrs, "fail_on", *r.FailOn, "fail_on_exceeded", true)
	}
	if r.PermissionDenied {
		attrs = append(attrs, "permission_denied", true)
	}
	if r.Error != "" {
		attrs = append(attrs, "err", r.Error)
	}
	log.Log(context.Background(), level, "task finished", attrs...)
}

func logRun(log *slog.Logger, s Summary) {
	level := slog.LevelInfo
	if s.ExitCode != 0 {
		level = slog.LevelError
	}
	attrs := []any{"status", s.Status, "exit_code", s.ExitCode, "duration_ms", s.DurationMS,
		"tasks", len(s.Tasks), "token_exchanges", s.TokenExchanges, "dry_run", s.DryRun}
	for _, st := range []Status{Succeeded, Failed, Incomplete, Skipped} {
		attrs = append(attrs, string(st), s.Statuses[st])
	}
	if len(s.Requests) > 0 {
		var req []any
		for _, k := range sortedKeys(s.Requests) {
			req = append(req, slog.Int64(k, s.Requests[k]))
		}
		attrs = append(attrs, slog.Group("requests", req...))
	}
	log.Log(context.Background(), level, "run finished", attrs...)
}
