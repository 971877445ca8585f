package app

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trustjob/trustjob/internal/logging"
	"github.com/trustjob/trustjob/internal/report"
	"github.com/trustjob/trustjob/internal/runner"
)

func demoSummary(dir string, started time.Time) runner.Summary {
	five := int64(5)
	stamp := started.UTC().Format(report.StampLayout)
	return runner.Summary{
		RunID: "run-1", Version: "1.0.0", Account: "acc-1", Profile: runner.Profile{Name: "trustjob-runner", ID: "Profile-1"},
		Started: started, Duration: "2s", Status: "succeeded",
		Tasks: []runner.TaskResult{
			{Name: "inventory", Type: "inventory", Status: runner.Succeeded, Duration: "1s", Rows: 60, Findings: &five,
				Files: []string{
					filepath.Join(dir, "inventory", stamp+".jsonl"), filepath.Join(dir, "inventory", stamp+".html"),
					filepath.Join(dir, "inventory", "latest.jsonl"), filepath.Join(dir, "inventory", "latest.html"),
				},
				Summary: report.Summary{"instances": 53.0, "changes": map[string]any{"created": 2.0, "deleted": 2.0, "changed": 1.0}}},
			{Name: "inactive-identities", Type: "inactive-identities", Status: runner.Failed, Error: "permission denied", Duration: "3ms",
				Summary: report.Summary{"exempt": 2.0, "actions_planned": 5.0, "actions_would_do": 5.0}},
		},
	}
}

func TestRunIndexLinksThisRunsReport(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 3, 10, 3, 0, 0, 0, time.UTC)
	idx := runIndex(dir, demoSummary(dir, now))
	if idx.Account != "acc-1" || idx.ProfileName != "trustjob-runner" || len(idx.Tasks) != 2 {
		t.Fatalf("index %+v", idx)
	}
	if got, want := idx.Tasks[0].Report, filepath.Join("inventory", "20260310T030000Z.html"); got != want {
		t.Errorf("report link %q, want %q (this run's page, not latest.html)", got, want)
	}
	if idx.Tasks[1].Report != "" || idx.Tasks[1].Error != "permission denied" {
		t.Errorf("failed task without report: %+v", idx.Tasks[1])
	}
}

func TestWriteRunPages(t *testing.T) {
	now := time.Date(2026, 3, 10, 3, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		formats []string
		want    bool
	}{
		{"without html: no index, no history", []string{"jsonl", "csv"}, false},
		{"with html", []string{"jsonl", "html"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for i := range 2 {
				started := now.Add(time.Duration(i) * time.Hour)
				writeRunPages(context.Background(), dir, tt.formats, report.Stamp(started, ""), demoSummary(dir, started), nil, logging.Discard())
			}
			index, err := os.ReadFile(filepath.Join(dir, report.IndexFile))
			if !tt.want {
				if err == nil {
					t.Error("index.html written without the html format")
				}
				if _, err := os.Stat(filepath.Join(dir, report.HistoryDir)); err == nil {
					t.Error("history kept without the html format")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			hist, _ := os.ReadDir(filepath.Join(dir, report.HistoryDir))
			if len(hist) != 2 {
				t.Errorf("%d history files, want 2", len(hist))
			}
			for _, s := range []string{"acc-1", "trustjob-runner", "2 created, 2 deleted, 1 changed", "5 would do",
				`href="inventory/20260310T040000Z.html"`, `id="trend-findings"`, "permission denied"} {
				if !bytes.Contains(index, []byte(s)) {
					t.Errorf("index.html lacks %q", s)
				}
			}
		})
	}
}

// The demo prints a line per task and where to click, not the reports.
func TestPrintDemoReports(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 3, 10, 3, 0, 0, 0, time.UTC)
	sum := demoSummary(dir, now)
	if err := report.WriteJSONAtomic(filepath.Join(dir, runner.SummaryFile), sum); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	a := &app{stdout: &out}
	a.printDemoReports(dir)
	if strings.Contains(out.String(), "index.html") {
		t.Errorf("names index.html before it exists:\n%s", &out)
	}
	writeRunPages(context.Background(), dir, []string{"html"}, report.Stamp(now, sum.RunID), sum, nil, logging.Discard())
	out.Reset()
	a.printDemoReports(dir)
	got := out.String()
	for _, s := range []string{
		"inventory ", "60 rows; 5 findings; 53 instances; changes: 2 created, 2 deleted, 1 changed",
		"inactive-identities ", "actions: 0 done, 5 would do, 0 failed", "error: permission denied",
		"Open the report in a browser: " + filepath.Join(dir, report.IndexFile),
	} {
		if !strings.Contains(got, s) {
			t.Errorf("demo output lacks %q:\n%s", s, got)
		}
	}
	if lines := strings.Count(got, "\n"); lines > 8 {
		t.Errorf("%d lines: the demo should summarise, not dump reports:\n%s", lines, got)
	}
}
