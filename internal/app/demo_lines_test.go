//go:build !release

package app

import (
	"strings"
	"testing"
)

// The demo's closing lines read as sentences: singular for one, the bucket's
// request counts labelled as requests (not objects), the run's page named.
func TestDemoClosing(t *testing.T) {
	tests := []struct {
		name string
		sent int
		keys []string
		cos  map[string]int64
		want []string
	}{
		{"one notification", 1, []string{"trustjob/index.html", "trustjob/inventory/latest.html"},
			map[string]int64{"object.put": 2, "object.copy": 1},
			[]string{
				"exit code 0; 4 requests to the emulated IBM Cloud APIs (iam-identity 3, iam-token 1)",
				"COS bucket trustjob-reports holds 2 objects (3 requests: object.copy 1, object.put 2); the run's page is cos://trustjob-reports/trustjob/index.html",
				"1 notification sent to Event Notifications",
			}},
		{"none", 0, []string{"trustjob/x.jsonl"}, map[string]int64{"object.put": 1},
			[]string{
				"exit code 0; 4 requests to the emulated IBM Cloud APIs (iam-identity 3, iam-token 1)",
				"COS bucket trustjob-reports holds 1 object (1 request: object.put 1)",
				"0 notifications sent to Event Notifications",
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := demoClosing(0, map[string]int64{"iam-identity": 3, "iam-token": 1}, tt.keys, tt.cos, tt.sent)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("closing lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}
