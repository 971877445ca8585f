package app

import (
	"fmt"
	"strings"
	"testing"
)

// TestHelpFromTable: `trustjob help NAME` prints every command's usage, about
// text and flags from the command table without running it (exit 0, nothing
// on stderr), the same as `NAME -h` where the build has the command. In the
// release build (-tags release) demo and sim are listed and explained as not
// in this build, not advertised as working commands.
func TestHelpFromTable(t *testing.T) {
	for _, c := range commands() {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			if code := h.run("help", c.name); code != 0 || h.stderr.Len() != 0 {
				t.Fatalf("help %s: exit %d, stderr %q", c.name, code, h.stderr.String())
			}
			got := h.stdout.String()
			if c.name == "help" {
				return // `help help` prints the command list (TestHelp)
			}
			if !strings.HasPrefix(got, "Usage: trustjob "+c.usage+"\n") || !strings.Contains(got, c.about) {
				t.Errorf("help %s lacks the table's usage or about text:\n%s", c.name, got)
			}
			if !c.available() {
				if !strings.Contains(got, "Not in this build") || strings.Contains(got, "Flags:") {
					t.Errorf("help %s in a build without it:\n%s", c.name, got)
				}
				return
			}
			dash := newHarness(t)
			if code := dash.run(c.name, "-h"); code != 0 {
				t.Fatalf("%s -h: exit %d", c.name, code)
			}
			if got != dash.stdout.String() {
				t.Errorf("help %s differs from %s -h:\n%s\n---\n%s", c.name, c.name, got, dash.stdout.String())
			}
		})
	}

	h := newHarness(t)
	h.run("help")
	list := h.stdout.String()
	for _, c := range commands() {
		advertised := strings.Contains(list, c.summary)
		if advertised != c.available() {
			t.Errorf("help lists %s with its summary: %v, want %v:\n%s", c.name, advertised, c.available(), list)
		}
		if !c.available() && !strings.Contains(list, fmt.Sprintf("  %-9s not in this build", c.name)) {
			t.Errorf("help does not say %s is not in this build:\n%s", c.name, list)
		}
	}
}
