package tasks_test

import (
	"context"
	"strings"
	"testing"

	"github.com/trustjob/trustjob/internal/config"
	"github.com/trustjob/trustjob/internal/report"
	"github.com/trustjob/trustjob/tasks"
)

func TestFindings(t *testing.T) {
	var f tasks.Findings
	f.Add(tasks.Finding{Status: tasks.StatusFail, Severity: tasks.SeverityHigh})
	f.AddN(tasks.Finding{Status: tasks.StatusFail, Severity: tasks.SeverityLow}, 3)
	f.AddN(tasks.Finding{Status: tasks.StatusPass, Severity: tasks.SeverityCritical}, 5)
	f.Add(tasks.Finding{Status: tasks.StatusManual, Severity: tasks.SeverityMedium})
	for _, tt := range []struct {
		name string
		got  int
		want int
	}{
		{"failing (what failOn compares)", f.Failing(), 4},
		{"failing at high or above", f.Count(tasks.StatusFail, tasks.SeverityHigh), 1},
		{"failing at critical", f.Count(tasks.StatusFail, tasks.SeverityCritical), 0},
		{"passing", f.Count(tasks.StatusPass, tasks.SeverityInfo), 5},
		{"manual", f.Count(tasks.StatusManual, tasks.SeverityInfo), 1},
	} {
		if tt.got != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, tt.got, tt.want)
		}
	}
	sum := tasks.Result{Findings: f, Summary: report.Summary{"instances": 7}}.ReportSummary()
	if sum["findings"] != 4 || sum["instances"] != 7 {
		t.Errorf("summary %v", sum)
	}
	if by := sum["findings_by_severity"].(map[string]int); by["high"] != 1 || by["low"] != 3 || len(by) != 2 {
		t.Errorf("by severity %v", by)
	}
	if empty := (tasks.Result{}).ReportSummary(); empty["findings"] != 0 || empty["findings_by_severity"] != nil {
		t.Errorf("empty result summary %v", empty)
	}
}

func TestSeverityNames(t *testing.T) {
	for _, name := range []string{"info", "low", "medium", "high", "critical"} {
		s, ok := tasks.ParseSeverity(name)
		if !ok || s.String() != name {
			t.Errorf("%s: %v %v", name, s, ok)
		}
	}
	if _, ok := tasks.ParseSeverity("severe"); ok {
		t.Error("unknown severity accepted")
	}
	row := report.Row{}
	tasks.Finding{Control: "CIS-IBM-1.0.0/1.2", Severity: tasks.SeverityMedium, Status: tasks.StatusFail}.Fill(row)
	if row[tasks.ColControl] != "CIS-IBM-1.0.0/1.2" || row[tasks.ColSeverity] != "medium" || row[tasks.ColStatus] != "fail" {
		t.Errorf("row %v", row)
	}
}

type opts struct{ N int }

func (o *opts) Validate() []config.FieldError { return nil }

type otherOpts struct{}

func (o *otherOpts) Validate() []config.FieldError { return nil }

type task struct{ n int }

func (task) Run(context.Context, tasks.Env, tasks.Output) (tasks.Result, error) {
	return tasks.Result{}, nil
}

func TestDefine(t *testing.T) {
	typ := tasks.Define(tasks.Spec[opts]{
		Name: "t", Columns: []string{"a", "b"},
		Defaults: func() *opts { return &opts{N: 3} },
		New:      func(o *opts) tasks.Task { return task{o.N} },
	})
	o := typ.NewOptions()
	built, err := typ.New(o)
	if err != nil || built.(task).n != 3 {
		t.Fatalf("built %v, %v", built, err)
	}
	if strings.Join(typ.Schema.Columns, ",") != "a,b" {
		t.Errorf("schema %v", typ.Schema)
	}
	if _, err := typ.New(&otherOpts{}); err == nil || !strings.Contains(err.Error(), "*tasks_test.otherOpts") {
		t.Errorf("wrong options type: %v", err)
	}
}
