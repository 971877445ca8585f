package builtin

import (
	"testing"
	"time"

	"github.com/trustjob/trustjob/internal/config"
	"github.com/trustjob/trustjob/internal/simtest"
	"github.com/trustjob/trustjob/tasks"
	"github.com/trustjob/trustjob/tasks/accessreview"
	"github.com/trustjob/trustjob/tasks/apikeyrotation"
	"github.com/trustjob/trustjob/tasks/posture"
	"github.com/trustjob/trustjob/tasks/unusedpolicies"
)

// BenchmarkIAMRequests runs each IAM posture task type on an account with
// 10,000 API keys, 2,000 service IDs, 5,000 users, 50 access groups and
// 20,000 policies, with 10% and 70% of the identities inactive, and reports
// its requests per service: they follow the pages listed, not the findings
// (compare rows across the two). The actions run in dry run.
//
//	go test ./tasks/builtin -run '^$' -bench IAMRequests -benchtime 2x
func BenchmarkIAMRequests(b *testing.B) {
	fast := config.Duration(10 * time.Millisecond)
	types := []struct {
		name string
		opts func() tasks.Options
	}{
		{posture.TypeName, func() tasks.Options {
			o := posture.NewOptions()
			o.PollInterval, o.PollMaxInterval = fast, 10*fast
			return o
		}},
		{apikeyrotation.TypeName, func() tasks.Options {
			o := apikeyrotation.NewOptions()
			o.PollInterval, o.PollMaxInterval, o.Actions = fast, 10*fast, []string{apikeyrotation.ActionDisable}
			return o
		}},
		{unusedpolicies.TypeName, func() tasks.Options {
			o := unusedpolicies.NewOptions()
			o.Actions = []string{unusedpolicies.ActionRemove}
			return o
		}},
		{accessreview.TypeName, func() tasks.Options { return accessreview.NewOptions() }},
	}
	reg := Registry()
	for _, tt := range types {
		typ, _ := reg.Lookup(tt.name)
		for _, share := range []struct {
			name string
			v    float64
		}{{"inactive10", 0.1}, {"inactive70", 0.7}} {
			b.Run(tt.name+"/"+share.name, func(b *testing.B) {
				task, err := typ.New(tt.opts())
				if err != nil {
					b.Fatal(err)
				}
				simtest.BenchIAMTask(b, share.v, tt.name, task)
			})
		}
	}
}
