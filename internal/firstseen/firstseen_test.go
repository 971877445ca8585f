package firstseen

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trustjob/trustjob/internal/report"
)

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "latest.jsonl")
	body := `{"record":"key","id":"ApiKey-1","first_seen":"2026-10-01T00:00:00Z"}
{"record":"action","id":"ApiKey-1","first_seen":"2026-01-01T00:00:00Z"}
{"record":"key","id":"ApiKey-2","first_seen":"not a time"}
{"record":"key","id":"ApiKey-3","first_seen":"2026-11-01T00:00:00Z"}
`
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	key := func(r report.Row) string {
		if r["record"] != "key" {
			return ""
		}
		s, _ := r["id"].(string)
		return s
	}
	b, err := Load(p, File(p), key)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	if got := b.FirstSeen("ApiKey-1", now); !got.Equal(time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("ApiKey-1 first seen %v (action rows must not count)", got)
	}
	if got := b.FirstSeen("ApiKey-2", now); !got.Equal(now) {
		t.Errorf("a bad first_seen starts over, got %v", got)
	}
	if got := b.FirstSeen("ApiKey-9", now); !got.Equal(now) {
		t.Errorf("a new finding is first seen now, got %v", got)
	}
	if b.Len() != 2 {
		t.Errorf("Len %d, want 2", b.Len())
	}
	none, err := Load("missing", File(filepath.Join(dir, "nope.jsonl")), key)
	if err != nil || none.Len() != 0 {
		t.Errorf("a missing report is an empty baseline, got %v, %v", none.Len(), err)
	}
	if err := os.WriteFile(p, []byte("{not json\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(p, File(p), key); err == nil {
		t.Error("an unreadable report is an error")
	}
}

type bucket struct{ body string }

func (b bucket) OpenLatest(_ context.Context, task, ext string) (io.ReadCloser, error) {
	if b.body == "" {
		return nil, fmt.Errorf("cos://b/%s/latest.%s: %w", task, ext, fs.ErrNotExist)
	}
	return io.NopCloser(strings.NewReader(b.body)), nil
}

func (b bucket) Describe(task, ext string) string { return "cos://b/" + task + "/latest." + ext }

// The baseline comes from the bucket when the run keeps its reports there.
func TestForTaskReadsStored(t *testing.T) {
	key := func(r report.Row) string { s, _ := r["id"].(string); return s }
	log := slog.New(slog.DiscardHandler)
	b := ForTask(context.Background(), bucket{`{"id":"k","first_seen":"2026-01-01T00:00:00Z"}` + "\n"}, "rot", t.TempDir(), log, key)
	if b.Source != "cos://b/rot/latest.jsonl" || b.Len() != 1 {
		t.Errorf("source %q, %d findings", b.Source, b.Len())
	}
	if b := ForTask(context.Background(), bucket{}, "rot", "", log, key); b.Len() != 0 || !strings.HasPrefix(b.Source, "none") {
		t.Errorf("no stored report: %q %d", b.Source, b.Len())
	}
	if b := ForTask(context.Background(), nil, "rot", "", log, key); b.Len() != 0 {
		t.Errorf("no baseline anywhere: %d", b.Len())
	}
}
