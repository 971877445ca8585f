package inactiveids

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/trustjob/trustjob/internal/cloudsim"
	"github.com/trustjob/trustjob/internal/config"
	"github.com/trustjob/trustjob/internal/report"
)

// countingWriter counts rows, and the API-key and service-ID rows the
// listings did not enrich (no created_at): identities the task could not find
// in the account's listings, so it treats them as deleted.
type countingWriter struct{ rows, unlisted int }

func (w *countingWriter) Write(r report.Row) error {
	w.rows++
	if r[colRecord] == RecordIdentity && (r[colKind] == KindAPIKey || r[colKind] == KindServiceID) {
		if _, ok := r[colCreatedAt]; !ok {
			w.unlisted++
		}
	}
	return nil
}
func (w *countingWriter) SetSummary(report.Summary) {}

// BenchmarkRequests runs the task on an account with 10,000 API keys, 2,000
// service IDs and 5,000 users (40% inactive), with the service IDs spread over
// the default service-ID group and 0, 1 or 4 others, and reports the requests
// it makes per service: about two (create + get the report) plus polls plus
// one per hundred listed identities (per group), however many identities are
// inactive; and how many inactive keys and service IDs it could not find in
// the listings (unlisted: must be 0).
//
//	go test ./tasks/inactiveids -run '^$' -bench Requests -benchtime 3x
func BenchmarkRequests(b *testing.B) {
	for _, groups := range []int{0, 1, 4} {
		b.Run(fmt.Sprintf("serviceid-groups=%d", groups), func(b *testing.B) {
			spec := cloudsim.DefaultSpec()
			spec.Instances, spec.APIKeys, spec.ServiceIDs, spec.Users, spec.Profiles = 10, 10_000, 2_000, 5_000, 20
			spec.InactiveShare = 0.4
			spec.ServiceIDGroups = groups
			h := start(b, cloudsim.Generate(spec), cloudsim.Options{ReportDelay: 250 * time.Millisecond}, false)
			o := NewOptions()
			o.PollInterval = config.Duration(100 * time.Millisecond)
			o.PollMaxInterval = config.Duration(100 * time.Millisecond)
			task := newTask(o)
			var w *countingWriter
			before := h.sim.Log().Counts()
			b.ResetTimer()
			for b.Loop() {
				w = &countingWriter{}
				if _, err := task.Run(context.Background(), h.env, w); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			after := h.sim.Log().Counts()
			n := float64(b.N)
			b.ReportMetric(float64(after[cloudsim.ServiceIAMIdentity]-before[cloudsim.ServiceIAMIdentity])/n, "iam-identity-req/op")
			b.ReportMetric(float64(after[cloudsim.ServiceUserManagement]-before[cloudsim.ServiceUserManagement])/n, "user-mgmt-req/op")
			b.ReportMetric(float64(after[cloudsim.ServiceAccessGroups]-before[cloudsim.ServiceAccessGroups])/n, "access-groups-req/op")
			b.ReportMetric(float64(w.rows), "rows")
			b.ReportMetric(float64(w.unlisted), "unlisted")
		})
	}
}
