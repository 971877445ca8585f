package tasks

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/trustjob/trustjob/internal/action"
	"github.com/trustjob/trustjob/internal/report"
)

// TakeActions hands a task's planned batch to env.Actions, writes one report
// row per step (row renders a step) and adds the outcome to sum:
// actions_<result> counts, actions_over_cap and dry_run. The error is the
// executor's (cap exceeded, steps failed or unknown) or a row that could not
// be written.
func TakeActions(ctx context.Context, env Env, out Output, b action.Batch, row func(*action.Step) report.Row, sum report.Summary) error {
	o, err := env.Actions.Run(ctx, b)
	for _, s := range o.Steps {
		if werr := out.Write(row(s)); werr != nil {
			return fmt.Errorf("write action row: %w", werr)
		}
	}
	for _, r := range action.Results {
		sum["actions_"+string(r)] = o.Counts[r]
	}
	sum["actions_over_cap"], sum["dry_run"] = o.OverCap, o.DryRun
	return err
}

// Log is the task's logger, or one that discards when the Env has none
// (tests).
func (e Env) Log() *slog.Logger {
	if e.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return e.Logger
}

// Time is the task's clock reading, in UTC (Env.Now, else the wall clock).
func (e Env) Time() time.Time {
	if e.Now != nil {
		return e.Now().UTC()
	}
	return time.Now().UTC()
}
