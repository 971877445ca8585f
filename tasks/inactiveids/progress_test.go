package inactiveids

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/trustjob/trustjob/internal/cloudsim"
	"github.com/trustjob/trustjob/internal/config"
)

// TestProgressLines (issue 16): while the report is generated and the
// listings run, the task logs a progress line every progressInterval with
// the listing pages and rows so far (the same option and lines as the
// inventory's); 0s logs none, and under a second is refused.
func TestProgressLines(t *testing.T) {
	for _, interval := range []time.Duration{25 * time.Millisecond, 0} {
		t.Run(interval.String(), func(t *testing.T) {
			h := start(t, loadWorld(t), cloudsim.Options{ReportDelay: 400 * time.Millisecond}, true)
			var logs bytes.Buffer // slog's handler serialises the writes
			h.env.Logger = slog.New(slog.NewJSONHandler(&logs, nil)).With("task", "inactive")
			o := testOptions()
			o.ProgressInterval = config.Duration(interval) // below Validate's 1s floor: tests only
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if _, err := newTask(o).Run(ctx, h.env, &memWriter{}); err != nil {
				t.Fatal(err)
			}
			var lines []map[string]any
			for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
				var m map[string]any
				if json.Unmarshal([]byte(l), &m) == nil && m["msg"] == "progress" {
					lines = append(lines, m)
				}
			}
			if interval == 0 {
				if len(lines) != 0 {
					t.Errorf("progressInterval 0s logged %d progress lines", len(lines))
				}
				return
			}
			if len(lines) == 0 {
				t.Fatalf("no progress line in a 400 ms report wait at %v:\n%s", interval, logs.String())
			}
			last := lines[len(lines)-1]
			for _, k := range []string{"pages", "rows", "rows_per_second", "elapsed", "left"} {
				if _, ok := last[k]; !ok {
					t.Errorf("progress line without %s: %v", k, last)
				}
			}
			if p, _ := last["pages"].(float64); p < 4 { // API keys, service IDs, profiles, users
				t.Errorf("last progress line counts %v pages, want the four listings': %v", last["pages"], last)
			}
			if r, _ := last["rows"].(float64); r < 10 || last["task"] != "inactive" {
				t.Errorf("last progress line: %v", last)
			}
		})
	}
	o := NewOptions()
	if o.ProgressInterval.D() != 10*time.Second {
		t.Errorf("default progressInterval %s, want 10s", o.ProgressInterval)
	}
	o.ProgressInterval = config.Duration(500 * time.Millisecond)
	found := false
	for _, e := range o.Validate() {
		found = found || e.Path == "progressInterval"
	}
	if !found {
		t.Error("progressInterval 500ms accepted")
	}
}
