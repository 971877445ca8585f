package tasks

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/trustjob/trustjob/internal/config"

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

// ActingOptions are the options every task type that acts shares, by the same
// YAML names: actions (opt-in), grace, maxActions and maxPercent.
type ActingOptions struct {
	Actions    []string
	Grace      config.Duration
	MaxActions int
	MaxPercent float64
}

// Validate checks them for a type whose actions are known: each action known
// and listed once, grace not negative, maxActions at least 1 when there are
// actions, maxPercent a percentage. Paths are relative to the task's options.
func (o ActingOptions) Validate(known ...string) []config.FieldError {
	var errs []config.FieldError
	add := func(p, msg, fix string) { errs = append(errs, config.FieldError{Path: p, Message: msg, Fix: fix}) }
	for i, a := range o.Actions {
		if !slices.Contains(known, a) {
			add(fmt.Sprintf("actions[%d]", i), fmt.Sprintf("unknown action %q", a), "use "+strings.Join(known, " or "))
		} else if slices.Index(o.Actions, a) != i {
			add(fmt.Sprintf("actions[%d]", i), fmt.Sprintf("action %q is listed twice", a), "list it once")
		}
	}
	if o.Grace.D() < 0 {
		add("grace", "must not be negative", "e.g. grace: 14d")
	}
	if len(o.Actions) > 0 && o.MaxActions < 1 {
		add("maxActions", fmt.Sprintf("must be at least 1 when actions are configured, got %d", o.MaxActions), "e.g. maxActions: 25")
	}
	if o.MaxPercent < 0 || o.MaxPercent > 100 {
		add("maxPercent", fmt.Sprintf("must be between 0 and 100, got %g", o.MaxPercent), "e.g. maxPercent: 10")
	}
	return errs
}
