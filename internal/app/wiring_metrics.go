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
func publishMetrics(ctx context.Context, cfg *config.Config, sum runner.Summary, log *slog.Logger) {
	m := cfg.Metrics
	if m.Pushgateway == nil && m.Textfile == nil {
		return
	}
	_ = metrics.Publish(ctx, metrics.Options{Pushgateway: m.Pushgateway, Textfile: m.Textfile}, sum, log)
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
