// Package progress logs how far a long task has come, for people watching
// `kubectl logs -f`: one line every interval (10 s by default) with pages and
// rows so far, the rate, and an estimate of what is left when the task knows
// roughly how much there is (for example from its previous run).
//
// A task counts with a Tracker (safe for concurrent use, a few atomic adds per
// page) and starts the logger with Start; stopping it logs nothing further.
package progress

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"
)

// DefaultInterval is how often a line is logged unless configured.
const DefaultInterval = 10 * time.Second

// Tracker counts a task's progress.
type Tracker struct {
	pages    atomic.Int64
	rows     atomic.Int64
	expected atomic.Int64 // rows expected in all; 0 when unknown
}

// Add counts pages fetched and rows produced.
func (t *Tracker) Add(pages, rows int) {
	t.pages.Add(int64(pages))
	t.rows.Add(int64(rows))
}

// Expect sets how many rows the task expects in all (0: unknown), for the
// estimate of what is left.
func (t *Tracker) Expect(rows int64) { t.expected.Store(rows) }

// Snapshot is the tracker's state at one moment.
type Snapshot struct {
	Pages, Rows, Expected int64
}

// Snapshot reads the counters.
func (t *Tracker) Snapshot() Snapshot {
	return Snapshot{Pages: t.pages.Load(), Rows: t.rows.Load(), Expected: t.expected.Load()}
}

// Start logs a progress line every interval until ctx ends or the returned
// stop is called. An interval <= 0 logs nothing. log should carry the task's
// name (the runner's task logger does).
func Start(ctx context.Context, log *slog.Logger, interval time.Duration, t *Tracker) (stop func()) {
	if interval <= 0 {
		return func() {}
	}
	tk := time.NewTicker(interval)
	halt := startWith(ctx, log, t, tk.C, time.Now)
	return func() { tk.Stop(); halt() }
}

// startWith is Start with the ticks and clock injected (tests).
func startWith(ctx context.Context, log *slog.Logger, t *Tracker, ticks <-chan time.Time, now func() time.Time) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	began := now()
	go func() {
		defer close(done)
		var last Snapshot
		lastAt := began
		for {
			select {
			case <-ctx.Done():
				return
			case <-ticks:
			}
			at := now()
			s := t.Snapshot()
			log.Info("progress", line(s, last, at.Sub(began), at.Sub(lastAt))...)
			last, lastAt = s, at
		}
	}()
	return func() { cancel(); <-done }
}

// line builds the attributes of one progress line. The rate is the rate of
// the last interval (what the task does now), the estimate divides what is
// left by it.
func line(s, last Snapshot, elapsed, interval time.Duration) []any {
	attrs := []any{"pages", s.Pages, "rows", s.Rows, "elapsed", elapsed.Round(time.Second).String()}
	var rate float64
	if interval > 0 {
		rate = float64(s.Rows-last.Rows) / interval.Seconds()
	}
	attrs = append(attrs, "rows_per_second", int64(rate+0.5))
	switch {
	case s.Expected <= 0:
		attrs = append(attrs, "left", "unknown")
	case s.Rows >= s.Expected:
		attrs = append(attrs, "left", "about done (more than expected)")
	case rate <= 0:
		attrs = append(attrs, "expected_rows", s.Expected, "left", "unknown (no progress in the last interval)")
	default:
		left := time.Duration(float64(s.Expected-s.Rows) / rate * float64(time.Second))
		attrs = append(attrs, "expected_rows", s.Expected, "left", left.Round(time.Second).String())
	}
	return attrs
}

// CheckInterval validates a task's progressInterval option: 0 (no progress
// lines) or at least a second. The message names the rule; the caller adds the
// field's path.
func CheckInterval(d time.Duration) error {
	if d != 0 && d < time.Second {
		return fmt.Errorf("must be 0s (no progress lines) or at least 1s, got %v", d)
	}
	return nil
}
