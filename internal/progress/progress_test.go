package progress

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func TestProgressLines(t *testing.T) {
	var buf syncBuf
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	ticks := make(chan time.Time)
	clock := time.Unix(0, 0)
	var mu sync.Mutex
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	advance := func(d time.Duration) { mu.Lock(); clock = clock.Add(d); mu.Unlock() }

	tr := &Tracker{}
	stop := startWith(context.Background(), log.With("task", "inventory"), tr, ticks, now)
	tr.Expect(10_000)
	tr.Add(20, 2_000)
	advance(10 * time.Second)
	ticks <- time.Time{}
	tr.Add(20, 2_000)
	advance(10 * time.Second)
	ticks <- time.Time{}
	stop()

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want 2:\n%s", len(lines), buf.String())
	}
	cases := []map[string]any{
		{"pages": 20.0, "rows": 2000.0, "rows_per_second": 200.0, "left": "40s", "elapsed": "10s"},
		{"pages": 40.0, "rows": 4000.0, "rows_per_second": 200.0, "left": "30s", "elapsed": "20s"},
	}
	for k, want := range cases {
		var got map[string]any
		if err := json.Unmarshal([]byte(lines[k]), &got); err != nil {
			t.Fatal(err)
		}
		for key, v := range want {
			if got[key] != v {
				t.Errorf("line %d: %s = %v, want %v (%s)", k, key, got[key], v, lines[k])
			}
		}
		if got["msg"] != "progress" || got["task"] != "inventory" {
			t.Errorf("line %d: %s", k, lines[k])
		}
	}
}

func TestLineWithoutEstimate(t *testing.T) {
	cases := []struct {
		s, last Snapshot
		want    string
	}{
		{Snapshot{Rows: 10}, Snapshot{}, "unknown"},
		{Snapshot{Rows: 10, Expected: 5}, Snapshot{}, "about done (more than expected)"},
		{Snapshot{Rows: 10, Expected: 50}, Snapshot{Rows: 10}, "unknown (no progress in the last interval)"},
	}
	for _, c := range cases {
		attrs := line(c.s, c.last, time.Second, time.Second)
		if got := attrs[len(attrs)-1]; got != c.want {
			t.Errorf("left = %v, want %q", got, c.want)
		}
	}
}

func TestDisabled(t *testing.T) {
	stop := Start(context.Background(), slog.New(slog.DiscardHandler), 0, &Tracker{})
	stop()
}

func TestStartStop(t *testing.T) {
	var buf syncBuf
	tr := &Tracker{}
	tr.Add(1, 100)
	stop := Start(context.Background(), slog.New(slog.NewJSONHandler(&buf, nil)), time.Millisecond, tr)
	for !strings.Contains(buf.String(), `"rows":100`) {
		time.Sleep(time.Millisecond)
	}
	stop()
}
