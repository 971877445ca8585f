// Package metrics turns a run's summary (internal/runner) into Prometheus
// metrics and publishes them where a batch job can: a Pushgateway at the end
// of every run (a CronJob's pod is gone before Prometheus would scrape it) and
// an OpenMetrics text file next to the reports for node-exporter's textfile
// collector. Publishing never changes how the run ends: a failure is logged.
//
// Every metric is a gauge: each value describes the one run that pushed it
// (Prometheus' guidance for batch jobs), and the Pushgateway replaces the
// previous run's values rather than adding to them.
package metrics

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/trustjob/trustjob/internal/exitcode"
	"github.com/trustjob/trustjob/internal/runner"
)

// Metric names, documented in docs/metrics.md.
const (
	RunExitCode       = "trustjob_run_exit_code"
	RunDuration       = "trustjob_run_duration_seconds"
	RunFinished       = "trustjob_run_finished_timestamp_seconds"
	RunTokenExchanges = "trustjob_run_token_exchanges"
	RunRequests       = "trustjob_run_requests"
	RunTasks          = "trustjob_run_tasks"
	LastSuccess       = "trustjob_last_success_timestamp_seconds"
	BuildInfo         = "trustjob_build_info"

	TaskDuration         = "trustjob_task_duration_seconds"
	TaskStatus           = "trustjob_task_status"
	TaskRows             = "trustjob_task_rows"
	TaskFindings         = "trustjob_task_findings"
	TaskFindingsFailOn   = "trustjob_task_findings_fail_on"
	TaskFindingsSeverity = "trustjob_task_findings_by_severity"
	TaskChanges          = "trustjob_task_changes"
	TaskActions          = "trustjob_task_actions"
	TaskRequests         = "trustjob_task_requests"
	TaskRetries          = "trustjob_task_retries"
	TaskThrottles        = "trustjob_task_throttles"
	TaskPermissionDenied = "trustjob_task_permission_denied"
)

// Succeeded reports whether a run counts as a success for
// trustjob_last_success_timestamp_seconds: every task that ran finished.
// Exit 3 (findings over failOn) is a success of the job itself; the findings
// have their own metric and alert.
func Succeeded(s runner.Summary) bool {
	return s.ExitCode == exitcode.OK || s.ExitCode == exitcode.Findings
}

// Registry builds a registry holding the metrics of one run. lastSuccess is
// the time of the last successful run known (the summary's when it
// succeeded); zero leaves the metric out.
func Registry(s runner.Summary, lastSuccess time.Time) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	g := gauges{reg: reg}

	g.set(RunExitCode, "Exit code of the run (0 ok, 1 task failed, 3 findings over failOn, 75 temporary, 77 sign-in or permission setup, 78 configuration).", nil, float64(s.ExitCode))
	g.set(RunDuration, "Wall time of the run, sign-in included.", nil, float64(s.DurationMS)/1000)
	if !s.Finished.IsZero() {
		g.set(RunFinished, "When the run finished (Unix seconds).", nil, unix(s.Finished))
	}
	g.set(RunTokenExchanges, "IAM token exchanges the run made (one, unless the access token had to be renewed).", nil, float64(s.TokenExchanges))
	for _, svc := range slices.Sorted(maps.Keys(s.Requests)) {
		g.set(RunRequests, "HTTP requests the run sent, per IBM Cloud service.", labels{"service", svc}, float64(s.Requests[svc]))
	}
	for _, st := range statuses {
		g.set(RunTasks, "Configured tasks by how they ended in this run.", labels{"status", string(st)}, float64(s.Statuses[st]))
	}
	if s.Version != "" {
		g.set(BuildInfo, "trustjob's version (always 1).", labels{"version", s.Version}, 1)
	}
	if !lastSuccess.IsZero() {
		g.set(LastSuccess, "When a run last succeeded (every task that ran finished; Unix seconds).", nil, unix(lastSuccess))
	}

	for _, t := range s.Tasks {
		task := labels{"task", t.Name, "type", t.Type}
		for _, st := range statuses {
			v := 0.0
			if t.Status == st {
				v = 1
			}
			g.set(TaskStatus, "How the task ended in this run: 1 for its status, 0 for the others.", task.with("status", string(st)), v)
		}
		if t.Status == runner.Skipped && t.Started.IsZero() {
			continue // not run: only its status says so
		}
		g.set(TaskDuration, "Wall time of the task.", task, float64(t.DurationMS)/1000)
		g.set(TaskRows, "Report rows the task wrote.", task, float64(t.Rows))
		g.set(TaskPermissionDenied, "1 when the task failed on a 401/403 from IBM Cloud (a missing IAM policy).", task, boolf(t.PermissionDenied))
		if n, ok := findings(t); ok {
			g.set(TaskFindings, "Findings of the task (what failOn compares against).", task, n)
		}
		if t.FailOn != nil {
			g.set(TaskFindingsFailOn, "The task's failOn threshold: more findings make the run exit 3.", task, float64(*t.FailOn))
		}
		sum := t.Summary
		for k, v := range numbers(first(sum, "findings_by_severity", "severities")) {
			g.set(TaskFindingsSeverity, "Findings of the task by severity.", task.with("severity", k), v)
		}
		if m := numbers(sum["changes"]); m != nil {
			for k, v := range m {
				g.set(TaskChanges, "Changes the task saw since its previous report, by kind.", task.with("change", k), v)
			}
		} else if v, ok := number(sum["changes"]); ok {
			g.set(TaskChanges, "Changes the task saw since its previous report, by kind.", task.with("change", "all"), v)
		}
		for k, v := range actions(sum) {
			g.set(TaskActions, "Actions by result (done, would_do, skipped, blocked, failed, unknown, ...).", task.with("result", k), v)
		}
		// The runner counts every task's requests; a summary read back from
		// an older run-summary.json may have them only in the task's summary.
		req := numbers(t.Requests)
		if len(req) == 0 {
			req = numbers(sum["requests"])
		}
		for k, v := range req {
			g.set(TaskRequests, "HTTP requests the task sent, per IBM Cloud service.", task.with("service", k), v)
		}
		retries, throttles := float64(t.Retries), float64(t.Throttles)
		if v, ok := number(first(sum, "retries")); ok {
			retries = max(retries, v)
		}
		if v, ok := number(first(sum, "throttles", "throttled")); ok {
			throttles = max(throttles, v)
		}
		g.set(TaskRetries, "Requests the task retried.", task, retries)
		g.set(TaskThrottles, "429 answers the task got (rate limiting).", task, throttles)
	}
	return reg
}

var statuses = []runner.Status{runner.Succeeded, runner.Failed, runner.Incomplete, runner.Skipped}

// findings is the task's findings count: the runner's when it has one, else
// the summary's.
func findings(t runner.TaskResult) (float64, bool) {
	if t.Findings != nil {
		return float64(*t.Findings), true
	}
	return number(t.Summary["findings"])
}

// actions reads a task's action counts, written either as an "actions" map
// (result -> count) or as actions_<result> keys; "actions_taken" is the
// executor's "done".
func actions(sum map[string]any) map[string]float64 {
	out := numbers(sum["actions"])
	if out == nil {
		out = map[string]float64{}
	}
	for k, v := range sum {
		r, ok := strings.CutPrefix(k, "actions_")
		if !ok {
			continue
		}
		if n, ok := number(v); ok {
			if r == "taken" {
				r = "done"
			}
			out[r] = n
		}
	}
	return out
}

func first(m map[string]any, keys ...string) any {
	for _, k := range keys {
		if v, ok := m[k]; ok {
			return v
		}
	}
	return nil
}

// number reads a summary value as a number (tasks write Go integers; a
// summary read back from JSON holds float64 or json.Number).
func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case int32:
		return float64(n), true
	case int64:
		return float64(n), true
	case uint64:
		return float64(n), true
	case float64:
		return n, true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

// numbers reads a map of counts; nil when v is not one.
func numbers(v any) map[string]float64 {
	out := map[string]float64{}
	switch m := v.(type) {
	case map[string]any:
		for k, x := range m {
			if n, ok := number(x); ok {
				out[k] = n
			}
		}
	case map[string]int:
		for k, x := range m {
			out[k] = float64(x)
		}
	case map[string]int64:
		for k, x := range m {
			out[k] = float64(x)
		}
	default:
		return nil
	}
	return out
}

func unix(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

func boolf(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// labels is a flat name, value, name, value... list.
type labels []string

func (l labels) with(kv ...string) labels { return append(slices.Clone(l), kv...) }

// gauges creates one GaugeVec per metric name on first use.
type gauges struct {
	reg  *prometheus.Registry
	vecs map[string]*prometheus.GaugeVec
}

func (g *gauges) set(name, help string, l labels, v float64) {
	if g.vecs == nil {
		g.vecs = map[string]*prometheus.GaugeVec{}
	}
	var names, values []string
	for i := 0; i+1 < len(l); i += 2 {
		names, values = append(names, l[i]), append(values, l[i+1])
	}
	vec, ok := g.vecs[name]
	if !ok {
		vec = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, names)
		g.reg.MustRegister(vec)
		g.vecs[name] = vec
	}
	vec.WithLabelValues(values...).Set(v)
}
