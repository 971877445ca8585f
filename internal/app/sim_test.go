//go:build !release

package app

import (
	"context"
	"strings"
	"testing"
)

func TestParseGenerate(t *testing.T) {
	tests := []struct {
		in      string
		check   func(t *testing.T, instances, groups int, skew float64)
		wantErr string
	}{
		{in: "", check: func(t *testing.T, n, g int, _ float64) {
			if n != 60 || g != 4 {
				t.Errorf("default spec: %d instances in %d groups", n, g)
			}
		}},
		{in: "resources=100000, groups=20,skew=0.4", check: func(t *testing.T, n, g int, s float64) {
			if n != 100000 || g != 20 || s != 0.4 {
				t.Errorf("got %d instances, %d groups, skew %v", n, g, s)
			}
		}},
		{in: "resources", wantErr: "want KEY=VALUE"},
		{in: "colour=red", wantErr: `unknown key "colour"`},
		{in: "resources=-1", wantErr: "not a count"},
		{in: "skew=2", wantErr: "between 0 and 1"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			spec, err := parseGenerate(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, spec.Instances, spec.Groups, spec.LargestGroupShare)
		})
	}
}

// TestSimEnterprise: `trustjob sim --enterprise N` serves an enterprise and
// prints the environment and a targets: list for each child account.
func TestSimEnterprise(t *testing.T) {
	h := newHarness(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel() // print, then stop at once
	code := h.a.main(ctx, []string{"sim", "--enterprise", "3", "--listen", "127.0.0.1:0", "--token-dir", t.TempDir()})
	out := h.stdout.String()
	if code != 0 || strings.Count(out, "#   - {account: ") != 3 || !strings.Contains(out, "export ENTERPRISE_MANAGEMENT_URL=http://127.0.0.1:") ||
		!strings.Contains(out, "SUSPENDED") || !strings.Contains(out, "export TRUSTJOB_CR_TOKEN_FILE=") {
		t.Errorf("exit %d, output:\n%s\n%s", code, out, h.stderr.String())
	}
}
