package runner_test

import (
	"context"
	"maps"
	"testing"
	"time"

	"github.com/trustjob/trustjob/internal/cloudsim"
	"github.com/trustjob/trustjob/internal/config"
	"github.com/trustjob/trustjob/internal/metrics"
	"github.com/trustjob/trustjob/internal/report"
	"github.com/trustjob/trustjob/internal/runner"
	"github.com/trustjob/trustjob/internal/simtest"
	"github.com/trustjob/trustjob/tasks/builtin"
)

// TestTaskRequestCounts runs two task types that keep no counts of their own
// (inactive-identities and posture) through the real runner, clients and
// emulator: each task's requests are counted per service, the two add up to
// what the run counted after sign-in, and a 429 on one task's first IAM
// Identity request shows as that task's throttle and retry only. The metrics
// carry the same numbers.
func TestTaskRequestCounts(t *testing.T) {
	spec := cloudsim.DefaultSpec()
	spec.Instances, spec.APIKeys, spec.ServiceIDs, spec.Users = 5, 6, 3, 3
	l, sess := simtest.Start(t, spec, cloudsim.Options{ReportDelay: 10 * time.Millisecond})
	reg := builtin.Registry()
	var planned []config.Task
	for _, name := range []string{"inactive-identities", "iam-posture"} {
		typ, ok := reg.Lookup(name)
		if !ok {
			t.Fatalf("no task type %s", name)
		}
		planned = append(planned, config.Task{Name: name, Type: name, Timeout: config.Duration(time.Minute), Opts: typ.NewOptions()})
	}
	before := sess.Clients.Requests.Snapshot()
	// The posture task's first IAM Identity request is throttled.
	var posture bool
	s := runner.Run(context.Background(), runner.Plan{
		Tasks: planned, Types: reg, OpenReport: func(task string, sc report.Schema) (runner.TaskOutput, error) {
			if task == "iam-posture" && !posture {
				posture = true
				l.Sim.AddFault(&cloudsim.Fault{Service: cloudsim.ServiceIAMIdentity, Nth: 1, Status: 429, RetryAfter: 1})
			}
			return nullOutput(task, sc)
		},
		Clients: sess.Clients, Identity: runner.Identity{Account: sess.Account, ProfileIAMID: sess.ProfileIAMID},
		DryRun: true,
	})
	run := s.Requests
	for k, v := range before {
		run[k] -= v
		if run[k] == 0 {
			delete(run, k)
		}
	}
	sum := map[string]int64{}
	for _, r := range s.Tasks {
		if r.Status != runner.Succeeded {
			t.Fatalf("task %s %s: %s", r.Name, r.Status, r.Error)
		}
		if len(r.Requests) == 0 {
			t.Errorf("task %s: no requests counted", r.Name)
		}
		for k, v := range r.Requests {
			sum[k] += v
		}
	}
	if !maps.Equal(sum, run) {
		t.Errorf("the tasks' requests add up to %v, the run counted %v", sum, run)
	}
	inactive, post := s.Tasks[0], s.Tasks[1]
	if inactive.Retries != 0 || inactive.Throttles != 0 {
		t.Errorf("inactive-identities: retries %d, throttles %d, want 0, 0", inactive.Retries, inactive.Throttles)
	}
	if post.Retries != 1 || post.Throttles != 1 {
		t.Errorf("posture: retries %d, throttles %d, want 1, 1", post.Retries, post.Throttles)
	}

	mfs, err := metrics.Registry(s, time.Time{}).Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{} // metric/task/service -> value
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			l := map[string]string{}
			for _, lp := range m.GetLabel() {
				l[lp.GetName()] = lp.GetValue()
			}
			key := mf.GetName() + "/" + l["task"]
			if svc, ok := l["service"]; ok {
				key += "/" + svc
			}
			got[key] = m.GetGauge().GetValue()
		}
	}
	for _, r := range s.Tasks {
		for svc, n := range r.Requests {
			if v := got[metrics.TaskRequests+"/"+r.Name+"/"+svc]; v != float64(n) {
				t.Errorf("%s{task=%s,service=%s} = %v, want %d", metrics.TaskRequests, r.Name, svc, v, n)
			}
		}
		if v, ok := got[metrics.TaskRetries+"/"+r.Name]; !ok || v != float64(r.Retries) {
			t.Errorf("%s{task=%s} = %v (present %v), want %d", metrics.TaskRetries, r.Name, v, ok, r.Retries)
		}
		if v, ok := got[metrics.TaskThrottles+"/"+r.Name]; !ok || v != float64(r.Throttles) {
			t.Errorf("%s{task=%s} = %v (present %v), want %d", metrics.TaskThrottles, r.Name, v, ok, r.Throttles)
		}
	}
}
