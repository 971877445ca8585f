package tasks_test

import (
	"strings"
	"testing"
	"time"

	"github.com/trustjob/trustjob/internal/config"
	"github.com/trustjob/trustjob/tasks"
)

// TestActingOptionsValidate: the checks every acting task type shares, each
// problem with its path and fix.
func TestActingOptionsValidate(t *testing.T) {
	for _, tt := range []struct {
		name string
		o    tasks.ActingOptions
		want []string // path: message fragment
	}{
		{"none", tasks.ActingOptions{MaxActions: 25}, nil},
		{"known action", tasks.ActingOptions{Actions: []string{"a"}, MaxActions: 1, MaxPercent: 10}, nil},
		{"unknown and twice", tasks.ActingOptions{Actions: []string{"x", "a", "a"}, MaxActions: 1},
			[]string{`actions[0]: unknown action "x"`, `actions[2]: action "a" is listed twice`}},
		{"limits", tasks.ActingOptions{Actions: []string{"b"}, Grace: config.Duration(-time.Hour), MaxPercent: 101},
			[]string{"grace: must not be negative", "maxActions: must be at least 1", "maxPercent: must be between 0 and 100"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			errs := tt.o.Validate("a", "b")
			if len(errs) != len(tt.want) {
				t.Fatalf("got %v, want %d problems", errs, len(tt.want))
			}
			for i, e := range errs {
				if got := e.Path + ": " + e.Message; !strings.HasPrefix(got, tt.want[i]) || e.Fix == "" {
					t.Errorf("problem %d: %q (fix %q), want %q", i, got, e.Fix, tt.want[i])
				}
			}
			if len(errs) > 0 && strings.Contains(errs[0].Message, "unknown") && errs[0].Fix != "use a or b" {
				t.Errorf("fix %q, want the known actions", errs[0].Fix)
			}
		})
	}
}
