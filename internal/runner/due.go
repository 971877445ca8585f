// Package runner decides which tasks are due, runs them one after the other
// under their timeouts and the run's deadline, and turns their outcomes into a
// run summary and an exit code.
package runner

import (
	"fmt"
	"time"

	"github.com/trustjob/trustjob/internal/config"
)

// Decision says whether one configured task runs now, and why.
type Decision struct {
	Task   string
	Due    bool
	Reason string
}

// Window returns the span (from, to] of fire times the run at now is
// responsible for. A run belongs to the latest fire time F <= now of the
// top-level schedule; from is the fire time before F, to is now. Each task fire
// time is therefore picked up by the first scheduled run at or after it, even
// when the Job starts a little late. ok is false without a top-level schedule
// (every task is due on every run).
func Window(cfg *config.Config, now time.Time) (from, to time.Time, ok bool) {
	if cfg.Cron == nil {
		return time.Time{}, now, false
	}
	current := config.Previous(cfg.Cron, now)
	if current.IsZero() {
		// No fire time in years: only possible for a hand-run Job; look back
		// as far as robfig/cron looks forward.
		return now.AddDate(-5, 0, 0), now, true
	}
	from = config.Previous(cfg.Cron, current.Add(-time.Nanosecond))
	if from.IsZero() {
		from = current.AddDate(-5, 0, 0)
	}
	return from, now, true
}

// Due decides, for every configured task in order, whether it is due at now:
// a task is due when one of its fire times lies in Window(cfg, now); a task
// without a schedule is due on every run; without a top-level schedule every
// task is due.
func Due(cfg *config.Config, now time.Time) []Decision {
	from, to, windowed := Window(cfg, now)
	out := make([]Decision, 0, len(cfg.Tasks))
	for _, t := range cfg.Tasks {
		d := Decision{Task: t.Name}
		switch {
		case !windowed:
			d.Due, d.Reason = true, "no top-level schedule: every task runs on every run"
		case t.Cron == nil:
			d.Due, d.Reason = true, "no task schedule: runs on every run"
		default:
			next := t.Cron.Next(from)
			if !next.IsZero() && !next.After(to) {
				d.Due, d.Reason = true, fmt.Sprintf("fire time %s is in this run's window (%s, %s]",
					stamp(next, cfg), stamp(from, cfg), stamp(to, cfg))
			} else {
				d.Reason = fmt.Sprintf("no fire time in this run's window (%s, %s]; next %s",
					stamp(from, cfg), stamp(to, cfg), stamp(t.Cron.Next(to), cfg))
			}
		}
		out = append(out, d)
	}
	return out
}

func stamp(t time.Time, cfg *config.Config) string {
	if t.IsZero() {
		return "never"
	}
	if cfg.Location != nil {
		t = t.In(cfg.Location)
	}
	return t.Format(time.RFC3339)
}
