package app

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/trustjob/trustjob/internal/report"
	"github.com/trustjob/trustjob/internal/runner"
)

// The demo's closing summary. It reads only the run's files, not the emulator,
// so it is built in every build (html_test.go tests it) and the release
// build's linker drops it as unused.

// printDemoReports prints a short summary per task and where the reports
// are: index.html when the html format is on, else each task's latest
// human-readable report. The full tables are in the files, not the terminal.
func (a *app) printDemoReports(dir string) {
	b, err := os.ReadFile(filepath.Join(dir, runner.SummaryFile))
	var sum runner.Summary
	if err == nil {
		err = json.Unmarshal(b, &sum)
	}
	if err != nil {
		fmt.Fprintf(a.stdout, "demo: cannot read the run summary: %v\n", err)
		return
	}
	for _, t := range sum.Tasks {
		fmt.Fprintf(a.stdout, "%-22s %-10s %8s  %s\n", t.Name, t.Status, t.Duration, demoTaskLine(t))
	}
	abs := func(p string) string {
		if q, err := filepath.Abs(p); err == nil {
			return q
		}
		return p
	}
	fmt.Fprintf(a.stdout, "\nRun summary: %s\n", abs(filepath.Join(dir, runner.SummaryFile)))
	if index := filepath.Join(dir, report.IndexFile); fileExists(index) {
		fmt.Fprintf(a.stdout, "Open the report in a browser: %s\n", abs(index))
		return
	}
	for _, t := range sum.Tasks {
		for _, name := range []string{"latest.md", "latest.csv", "latest.jsonl"} {
			if p := filepath.Join(dir, t.Name, name); fileExists(p) {
				fmt.Fprintf(a.stdout, "Report of %s: %s\n", t.Name, abs(p))
				break
			}
		}
	}
}

// demoTaskLine is one line of numbers about a task: rows and findings, and
// the totals its type reports (instances and changes, identities and actions).
func demoTaskLine(t runner.TaskResult) string {
	parts := []string{fmt.Sprintf("%d rows", t.Rows)}
	if t.Findings != nil {
		parts = append(parts, fmt.Sprintf("%d findings", *t.Findings))
	}
	s := t.Summary
	num := func(k string) (float64, bool) { f, ok := s[k].(float64); return f, ok }
	if n, ok := num("instances"); ok {
		parts = append(parts, fmt.Sprintf("%.0f instances", n))
	}
	if m, ok := s["changes"].(map[string]any); ok {
		parts = append(parts, fmt.Sprintf("changes: %v created, %v deleted, %v changed", m["created"], orZero(m["deleted"]), m["changed"]))
	}
	if n, ok := num("exempt"); ok {
		parts = append(parts, fmt.Sprintf("%.0f exempt", n))
	}
	if _, ok := s["actions_planned"]; ok {
		d, _ := num("actions_taken")
		w, _ := num("actions_would_do")
		f, _ := num("actions_failed")
		parts = append(parts, fmt.Sprintf("actions: %.0f done, %.0f would do, %.0f failed", d, w, f))
	}
	if t.Error != "" {
		parts = append(parts, "error: "+t.Error)
	}
	return strings.Join(parts, "; ")
}

func orZero(x any) any {
	if x == nil {
		return 0
	}
	return x
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
