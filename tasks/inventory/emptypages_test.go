package inventory

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/trustjob/trustjob/internal/cloudsim"
)

// TestEmptyNullAnd204Pages (issue 12.9): every list call of the inventory
// answered with a 200 and an empty body, a 200 with `null`, or a 204 fails the
// task with an error, never a crash and never an empty "complete" inventory.
func TestEmptyNullAnd204Pages(t *testing.T) {
	calls := []struct{ name, service, method, path string }{
		{"ListResourceGroups", cloudsim.ServiceResourceMgr, http.MethodGet, "/v2/resource_groups"},
		{"ListResourceInstances", cloudsim.ServiceResourceCtl, http.MethodGet, "/v2/resource_instances"},
		{"ListReclamations", cloudsim.ServiceResourceCtl, http.MethodGet, "/v1/reclamations"},
		{"Search (tags)", cloudsim.ServiceGlobalSearch, http.MethodPost, "/v3/resources/search"},
	}
	answers := []struct {
		name   string
		status int
		body   string
	}{
		{"200 empty", http.StatusOK, ""},
		{"200 null", http.StatusOK, "null"},
		{"204", http.StatusNoContent, ""},
	}
	for _, c := range calls {
		for _, a := range answers {
			t.Run(c.name+"/"+a.name, func(t *testing.T) {
				t.Parallel() // each waits out the inventory's retries
				f := newFixture(t, spec(150, 3, 0), cloudsim.Options{})
				f.l.Sim.AddFault(&cloudsim.Fault{Service: c.service, PathPrefix: c.path, Method: c.method,
					Status: a.status, Body: a.body, NoBody: a.body == ""})
				o := NewOptions()
				o.IncludeTags, o.IncludeReclamations = true, true
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				rec, err := f.run(t, ctx, o, 2)
				if err == nil {
					t.Fatalf("no error; %d rows, summary %v", len(rec.rows), rec.summary)
				}
				if strings.Contains(err.Error(), "deadline") {
					t.Errorf("waited for the deadline: %v", err)
				}
				if rec.summary["complete"] == true {
					t.Errorf("summary complete after %v", err)
				}
			})
		}
	}
}
