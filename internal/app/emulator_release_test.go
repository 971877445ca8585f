//go:build release

package app

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/trustjob/trustjob/internal/exitcode"
)

// TestReleaseBuildHasNoEmulator runs with -tags release (.ci/run does): demo
// and sim answer with one line and the Usage code, whatever the arguments.
func TestReleaseBuildHasNoEmulator(t *testing.T) {
	for _, args := range [][]string{{"demo"}, {"sim", "--listen", "127.0.0.1:0"}, {"--log-level", "debug", "demo", "--output-dir", "x"}} {
		var stdout, stderr bytes.Buffer
		a := &app{stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }}
		code := a.main(context.Background(), args)
		if code != exitcode.Usage {
			t.Errorf("%v: exit %d, want %d (Usage)", args, code, exitcode.Usage)
		}
		if lines := strings.Count(stderr.String(), "\n"); lines != 1 || !strings.Contains(stderr.String(), "release build has no IBM Cloud emulator") {
			t.Errorf("%v: stderr %q, want the one-line explanation", args, stderr.String())
		}
		if stdout.Len() != 0 {
			t.Errorf("%v: stdout %q", args, stdout.String())
		}
	}
}
