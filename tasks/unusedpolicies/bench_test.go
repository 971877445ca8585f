package unusedpolicies

import (
	"testing"

	"github.com/trustjob/trustjob/internal/simtest"
)

// BenchmarkRequests runs the task on an account with 10,000 API keys, 2,000
// service IDs, 5,000 users, 50 access groups and 20,000 policies, with 10% and
// 70% of the identities inactive, and reports its requests per service: they
// follow the pages listed, not the findings (compare rows across the two).
//
//	go test ./tasks/unusedpolicies -run '^$' -bench Requests -benchtime 2x
func BenchmarkRequests(b *testing.B) {
	for _, share := range []struct {
		name string
		v    float64
	}{{"inactive10", 0.1}, {"inactive70", 0.7}} {
		b.Run(share.name, func(b *testing.B) {
			o := options()
			o.Actions = []string{ActionRemove}
			simtest.BenchIAMTask(b, share.v, TypeName, &task{opts: o})
		})
	}
}
