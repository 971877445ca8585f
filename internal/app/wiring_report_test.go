package app

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trustjob/trustjob/internal/report"
)

func TestReportServices(t *testing.T) {
	s := reportServices()
	dir := t.TempDir()
	now := time.Date(2026, 3, 10, 2, 30, 0, 0, time.UTC)
	var stdout bytes.Buffer
	out, err := s.newOutput(outputOptions{Dir: dir, Formats: []string{"jsonl", "csv"}, Stdout: &stdout, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	schema := report.Schema{Columns: []string{"name"}}

	tr, err := out.Task("a", schema)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Write(report.Row{"name": "x"}); err != nil {
		t.Fatal(err)
	}
	tr.SetSummary(report.Summary{"findings": 1})
	w, err := tr.Close(true)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		filepath.Join(dir, "a", "20260310T023000Z.jsonl"), filepath.Join(dir, "a", "20260310T023000Z.csv"),
		filepath.Join(dir, "a", "latest.jsonl"), filepath.Join(dir, "a", "latest.csv"),
	}
	if w.Rows != 1 || !slices.Equal(w.Files, want) || w.Summary["findings"] != 1 {
		t.Errorf("written %+v, want 1 row, files %v and the summary", w, want)
	}
	if stdout.Len() != 0 {
		t.Errorf("rows on stdout with an output directory: %q", stdout.String())
	}

	// Abort through the adapter leaves no file behind.
	tr, _ = out.Task("b", schema)
	_ = tr.Write(report.Row{"name": "y"})
	tr.Abort()
	if entries, _ := os.ReadDir(filepath.Join(dir, "b")); len(entries) != 0 {
		t.Errorf("Abort left %v", entries)
	}

	path := filepath.Join(dir, "run-summary.json")
	if err := s.writeJSON(path, map[string]int{"tasks": 1}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); !strings.Contains(string(b), `"tasks": 1`) {
		t.Errorf("run summary %q", b)
	}
}

func TestReportServicesUnwritable(t *testing.T) {
	blocked := filepath.Join(t.TempDir(), "reports")
	if err := os.WriteFile(blocked, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := reportServices().newOutput(outputOptions{Dir: blocked})
	if err == nil || !strings.Contains(err.Error(), blocked) {
		t.Errorf("error %v, want one naming %s", err, blocked)
	}
}
