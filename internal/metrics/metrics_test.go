package metrics

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/trustjob/trustjob/internal/cloudsim/pushgateway"
	"github.com/trustjob/trustjob/internal/config"
	"github.com/trustjob/trustjob/internal/report"
	"github.com/trustjob/trustjob/internal/runner"
)

var finished = time.Date(2026, 11, 30, 3, 20, 0, 0, time.UTC)

func summary(exit int) runner.Summary {
	findings, failOn := int64(7), 5
	return runner.Summary{
		RunID: "r1", Version: "0.1.0", Started: finished.Add(-3 * time.Minute), Finished: finished,
		DurationMS: 180_000, ExitCode: exit, TokenExchanges: 1,
		Statuses: map[runner.Status]int{runner.Succeeded: 1, runner.Skipped: 1},
		Requests: map[string]int64{"iam-token": 1, "resource-controller": 12},
		Tasks: []runner.TaskResult{
			{Name: "inventory", Type: "inventory", Status: runner.Succeeded, Started: finished.Add(-time.Minute),
				DurationMS: 61_500, Rows: 340, Findings: &findings, FailOn: &failOn,
				Summary: report.Summary{
					"findings": 7, "changes": map[string]int{"created": 3, "deleted": 1, "changed": 3},
					"requests": map[string]int64{"resource-controller": 12}, "retries": int64(2), "throttles": 1,
					"findings_by_severity": map[string]any{"high": 2, "low": 5},
				}},
			{Name: "inactive-identities", Type: "inactive-identities", Status: runner.Failed, Started: finished.Add(-2 * time.Minute),
				DurationMS: 1000, PermissionDenied: true,
				Summary: report.Summary{"actions_taken": 2, "actions_failed": 1, "actions_would_do": 0}},
			{Name: "weekly", Type: "inventory", Status: runner.Skipped, Reason: "not due"},
		},
	}
}

// value finds the gauge of family name whose labels include want.
func value(t *testing.T, fams map[string]*dto.MetricFamily, name string, want ...string) float64 {
	t.Helper()
	mf, ok := fams[name]
	if !ok {
		t.Fatalf("no family %s", name)
	}
next:
	for _, m := range mf.GetMetric() {
		got := map[string]string{}
		for _, l := range m.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		for i := 0; i+1 < len(want); i += 2 {
			if got[want[i]] != want[i+1] {
				continue next
			}
		}
		return m.GetGauge().GetValue()
	}
	t.Fatalf("%s has no series with %v", name, want)
	return 0
}

// TestTextfileParses writes the OpenMetrics textfile and reads it back with
// prometheus/common's parser: every metric the issue names is there with the
// summary's values.
func TestTextfileParses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "trustjob.prom")
	if err := WriteTextfile(path, Registry(summary(1), finished.Add(-24*time.Hour))); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(b, []byte("# EOF\n")) {
		t.Errorf("not OpenMetrics (no # EOF):\n%s", b)
	}
	fams, err := Parse(b)
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, b)
	}
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{RunExitCode, nil, 1},
		{RunTokenExchanges, nil, 1},
		{RunDuration, nil, 180},
		{RunRequests, []string{"service", "resource-controller"}, 12},
		{RunTasks, []string{"status", "skipped"}, 1},
		{LastSuccess, nil, float64(finished.Add(-24 * time.Hour).Unix())},
		{TaskDuration, []string{"task", "inventory"}, 61.5},
		{TaskStatus, []string{"task", "inventory", "status", "succeeded"}, 1},
		{TaskStatus, []string{"task", "inventory", "status", "failed"}, 0},
		{TaskStatus, []string{"task", "weekly", "status", "skipped"}, 1},
		{TaskRows, []string{"task", "inventory", "type", "inventory"}, 340},
		{TaskFindings, []string{"task", "inventory"}, 7},
		{TaskFindingsFailOn, []string{"task", "inventory"}, 5},
		{TaskFindingsSeverity, []string{"task", "inventory", "severity", "high"}, 2},
		{TaskChanges, []string{"task", "inventory", "change", "deleted"}, 1},
		{TaskRequests, []string{"task", "inventory", "service", "resource-controller"}, 12},
		{TaskRetries, []string{"task", "inventory"}, 2},
		{TaskThrottles, []string{"task", "inventory"}, 1},
		{TaskActions, []string{"task", "inactive-identities", "result", "done"}, 2},
		{TaskActions, []string{"task", "inactive-identities", "result", "failed"}, 1},
		{TaskPermissionDenied, []string{"task", "inactive-identities"}, 1},
	} {
		if got := value(t, fams, c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	// A task that did not run has a status and nothing else.
	for _, m := range fams[TaskRows].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetValue() == "weekly" {
				t.Errorf("skipped task has rows: %v", m)
			}
		}
	}
}

// TestTextfileCarriesLastSuccess: a failed run keeps the previous file's last
// success; a successful one moves it.
func TestTextfileCarriesLastSuccess(t *testing.T) {
	dir := t.TempDir()
	tf := &config.Textfile{Path: filepath.Join(dir, "trustjob.prom")}
	read := func() float64 {
		b, err := os.ReadFile(tf.Path)
		if err != nil {
			t.Fatal(err)
		}
		fams, err := Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		return value(t, fams, LastSuccess)
	}
	ok := summary(0)
	if err := Publish(context.Background(), Options{Textfile: tf}, ok, nil); err != nil {
		t.Fatal(err)
	}
	if got := read(); got != float64(finished.Unix()) {
		t.Fatalf("last success = %v", got)
	}
	bad := summary(1)
	bad.Finished = finished.Add(24 * time.Hour)
	if err := Publish(context.Background(), Options{Textfile: tf}, bad, nil); err != nil {
		t.Fatal(err)
	}
	if got := read(); got != float64(finished.Unix()) {
		t.Errorf("after a failed run, last success = %v, want the earlier %v", got, finished.Unix())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

// TestPushToEmulatedGateway pushes through client_golang's push package to the
// emulated Pushgateway: the run group is replaced each run, the last-success
// group only on success, and a failing gateway is an error for the log only.
func TestPushToEmulatedGateway(t *testing.T) {
	gw := &pushgateway.Gateway{}
	srv := httptest.NewServer(gw)
	defer srv.Close()
	pg := config.Pushgateway{URL: srv.URL, Job: "trustjob", Timeout: config.Duration(5 * time.Second)}

	if err := Push(context.Background(), pg, nil, summary(0)); err != nil {
		t.Fatal(err)
	}
	if err := Push(context.Background(), pg, nil, summary(77)); err != nil {
		t.Fatal(err)
	}
	pushes := gw.Pushes()
	if len(pushes) != 3 {
		t.Fatalf("%d pushes, want 3 (run, last success, run)", len(pushes))
	}
	for _, p := range pushes {
		if p.Method != "PUT" || p.Status != 200 || p.Families == nil {
			t.Errorf("push %s %v: status %d, parsed %v", p.Method, p.Grouping, p.Status, p.Families != nil)
		}
	}
	run := gw.Group(map[string]string{"job": "trustjob", GroupLabel: GroupRun})
	if got := value(t, run, RunExitCode); got != 77 {
		t.Errorf("run group exit code = %v, want the latest 77", got)
	}
	if _, ok := run[LastSuccess]; ok {
		t.Error("the run group carries the last success: a failed run would erase it")
	}
	last := gw.Group(map[string]string{"job": "trustjob", GroupLabel: GroupLastSuccess})
	if got := value(t, last, LastSuccess); got != float64(finished.Unix()) {
		t.Errorf("last success = %v", got)
	}

	gw.SetFail(503)
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	err := Publish(context.Background(), Options{Pushgateway: &pg}, summary(0), log)
	if err == nil || !strings.Contains(logs.String(), "cannot push metrics") {
		t.Errorf("err = %v, logs:\n%s", err, logs.String())
	}
}

// TestPushTimeout: a gateway that never answers costs the push timeout, not
// the run.
func TestPushTimeout(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(httpHandlerFunc(func() { <-block }))
	defer srv.Close()
	defer close(block)
	pg := config.Pushgateway{URL: srv.URL, Job: "trustjob", Timeout: config.Duration(200 * time.Millisecond)}
	if err := Push(context.Background(), pg, nil, summary(0)); err == nil {
		t.Fatal("a hanging Pushgateway did not time out")
	}
}
