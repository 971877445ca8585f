package inactiveids

import (
	"context"
	"testing"
	"time"

	"github.com/trustjob/trustjob/internal/cloudsim"
	"github.com/trustjob/trustjob/internal/config"
	"github.com/trustjob/trustjob/internal/report"
)

type countingWriter struct{ rows int }

func (w *countingWriter) Write(report.Row) error    { w.rows++; return nil }
func (w *countingWriter) SetSummary(report.Summary) {}

// BenchmarkRequests runs the task on an account with 10,000 API keys, 2,000
// service IDs and 5,000 users (40% inactive) and reports the requests it makes
// per service: about two (create + get the report) plus polls plus one per
// hundred listed identities, however many identities are inactive.
//
//	go test ./tasks/inactiveids -run '^$' -bench Requests -benchtime 3x
func BenchmarkRequests(b *testing.B) {
	spec := cloudsim.DefaultSpec()
	spec.Instances, spec.APIKeys, spec.ServiceIDs, spec.Users, spec.Profiles = 10, 10_000, 2_000, 5_000, 20
	spec.InactiveShare = 0.4
	h := start(b, cloudsim.Generate(spec), cloudsim.Options{ReportDelay: 250 * time.Millisecond}, false)
	o := NewOptions()
	o.PollInterval = config.Duration(100 * time.Millisecond)
	o.PollMaxInterval = config.Duration(100 * time.Millisecond)
	task := newTask(o)
	var rows int
	before := h.sim.Log().Counts()
	b.ResetTimer()
	for b.Loop() {
		w := &countingWriter{}
		if _, err := task.Run(context.Background(), h.env, w); err != nil {
			b.Fatal(err)
		}
		rows = w.rows
	}
	b.StopTimer()
	after := h.sim.Log().Counts()
	n := float64(b.N)
	b.ReportMetric(float64(after[cloudsim.ServiceIAMIdentity]-before[cloudsim.ServiceIAMIdentity])/n, "iam-identity-req/op")
	b.ReportMetric(float64(after[cloudsim.ServiceUserManagement]-before[cloudsim.ServiceUserManagement])/n, "user-mgmt-req/op")
	b.ReportMetric(float64(after[cloudsim.ServiceAccessGroups]-before[cloudsim.ServiceAccessGroups])/n, "access-groups-req/op")
	b.ReportMetric(float64(rows), "rows")
}
