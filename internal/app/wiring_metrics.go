package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/trustjob/trustjob/internal/config"
	"github.com/trustjob/trustjob/internal/metrics"
	"github.com/trustjob/trustjob/internal/runner"
)

// publishMetrics sends the run's metrics where metrics: says (internal/metrics).
// It never changes the exit code: a failed push is logged there.
// dir is the run's report directory (output.dir or --output-dir); del, when
// it has a COS client (output.cos), also receives the textfile.
func publishMetrics(ctx context.Context, cfg *config.Config, dir string, del *delivery, sum runner.Summary, log *slog.Logger) {
	m := cfg.Metrics
	if m.Pushgateway == nil && m.Textfile == nil {
		return
	}
	o := metrics.Options{Pushgateway: m.Pushgateway}
	if t := m.Textfile; t != nil {
		if p := t.TextfilePath(dir); p != "" {
			o.Textfile = &config.Textfile{Path: p}
		} else {
			log.Warn("metrics.textfile is relative but the run has no report directory; not written",
				"path", t.Path, "fix", "set output.dir (or --output-dir), or an absolute metrics.textfile.path")
		}
	}
	if del != nil && del.cos != nil {
		o.Upload = func(ctx context.Context, path string) (string, error) {
			// Like the other uploads: it may outlive the run's deadline by
			// a bounded time, not the deadline's cause.
			ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
			defer cancel()
			key, err := del.cos.PublishMetrics(ctx, path)
			return del.cos.URI(key), err
		}
	}
	_ = metrics.Publish(ctx, o, sum, log)
}

// failedRunSummary is the summary of a run that ended before any task ran
// (sign-in failed), so that its exit code still reaches the metrics.
func failedRunSummary(o runOptions, started time.Time, code int) runner.Summary {
	now := time.Now().UTC()
	d := now.Sub(started)
	return runner.Summary{
		RunID: o.runID, Version: Version(), Started: started.UTC(), Finished: now,
		Duration: d.Round(time.Millisecond).String(), DurationMS: d.Milliseconds(),
		Status: "failed", ExitCode: code, Statuses: map[runner.Status]int{},
		Tasks: []runner.TaskResult{}, Requests: map[string]int64{},
	}
}
