//go:build !release

package app

import (
	"context"
	"strings"
	"testing"

	"github.com/trustjob/trustjob/internal/exitcode"
)

// Issue 12 item 19: a listen address other hosts can reach needs
// --allow-remote, and the printed exports are usable URLs.
func TestSimListen(t *testing.T) {
	h := newHarness(t)
	if code := h.run("sim", "--listen", "0.0.0.0:0", "--token-dir", t.TempDir()); code != exitcode.Usage ||
		!strings.Contains(h.stderr.String(), "--allow-remote") {
		t.Errorf("exit %d, stderr %q; want 2 naming --allow-remote", code, h.stderr.String())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // serve, print, stop
	h.stdout.Reset()
	code := h.a.main(ctx, []string{"sim", "--listen", "0.0.0.0:0", "--allow-remote", "--token-dir", t.TempDir()})
	out := h.stdout.String()
	if code != exitcode.OK || strings.Contains(out, "[::]") || strings.Contains(out, "=http://0.0.0.0") ||
		!strings.Contains(out, "export RESOURCE_CONTROLLER_URL=http://127.0.0.1:") {
		t.Errorf("exit %d, exports:\n%s", code, out)
	}
}
