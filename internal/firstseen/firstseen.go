// Package firstseen carries the first_seen column of a task's findings from
// its previous report to the next, so remediation can wait until a finding
// has been reported for a grace period: people are warned before anything is
// disabled or removed. The previous report is read from wherever the run
// keeps its baseline (the output directory's latest.jsonl, or the COS bucket),
// one row at a time; only the keys and times are kept.
package firstseen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/trustjob/trustjob/internal/report"
)

// Column is the report column holding when a finding was first reported.
const Column = "first_seen"

// Open opens the previous report; an error wrapping fs.ErrNotExist means
// there is none.
type Open func() (io.ReadCloser, error)

// File opens path.
func File(path string) Open {
	return func() (io.ReadCloser, error) { return os.Open(path) }
}

// Baseline maps a finding's key to when it was first reported.
type Baseline struct {
	seen map[string]time.Time
	// Source names where the baseline came from, for the summary.
	Source string
}

// Load reads the previous report's rows that key accepts (key returns "" for
// rows that are not findings). A missing report is an empty baseline.
func Load(name string, open Open, key func(report.Row) string) (*Baseline, error) {
	b := &Baseline{seen: map[string]time.Time{}, Source: name}
	if open == nil {
		b.Source = "none"
		return b, nil
	}
	rc, err := open()
	if errors.Is(err, fs.ErrNotExist) {
		b.Source = "none (no previous report)"
		return b, nil
	}
	if err != nil {
		return b, fmt.Errorf("open the previous report %s: %w", name, err)
	}
	defer rc.Close()
	err = report.ReadJSONLFrom(name, rc, func(r report.Row) error {
		k := key(r)
		if k == "" {
			return nil
		}
		s, _ := r[Column].(string)
		t, perr := time.Parse(time.RFC3339, s)
		if perr != nil {
			return nil // a row without a usable first_seen starts over
		}
		if old, ok := b.seen[k]; !ok || t.Before(old) {
			b.seen[k] = t
		}
		return nil
	})
	if err != nil {
		return &Baseline{seen: map[string]time.Time{}, Source: "none (previous report unreadable)"}, err
	}
	return b, nil
}

// FirstSeen is when key was first reported: from the baseline, else now.
func (b *Baseline) FirstSeen(key string, now time.Time) time.Time {
	if b != nil {
		if t, ok := b.seen[key]; ok && !t.After(now) {
			return t
		}
	}
	return now
}

// Len is the number of findings in the baseline.
func (b *Baseline) Len() int {
	if b == nil {
		return 0
	}
	return len(b.seen)
}

// StateDirSource is a task's previous report in the output directory
// (DIR/<task>/latest.jsonl); no directory, no baseline.
func StateDirSource(stateDir string) (string, Open) {
	if stateDir == "" {
		return "none (no output directory)", nil
	}
	p := filepath.Join(stateDir, "latest.jsonl")
	return p, File(p)
}

// Stored is where the run keeps its reports when not (only) in the output
// directory: the COS bucket. It is report.Previous, the seam the inventory's
// change report reads its baseline through.
type Stored = report.Previous

// ForTask reads the first_seen baseline of a task's previous report: from
// stored when the run keeps its reports there, else from the output
// directory. An unreadable report costs the grace history, not the run: it
// is logged, and every finding starts its grace now.
func ForTask(ctx context.Context, stored Stored, task, stateDir string, log *slog.Logger, key func(report.Row) string) *Baseline {
	name, open := StateDirSource(stateDir)
	if stored != nil {
		name = stored.Describe(task, "jsonl")
		open = func() (io.ReadCloser, error) { return stored.OpenLatest(ctx, task, "jsonl") }
	}
	b, err := Load(name, open, key)
	if err != nil {
		log.Warn("previous report unreadable; every finding starts its grace now", "path", name, "err", err)
	}
	return b
}

// ByID is the key of the rows of one record kind: their "id" column
// (rows of other kinds, e.g. action rows, are not findings).
func ByID(record string) func(report.Row) string {
	return func(r report.Row) string {
		if r["record"] != record {
			return ""
		}
		s, _ := r["id"].(string)
		return s
	}
}
