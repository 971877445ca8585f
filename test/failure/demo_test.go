package failure_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDemo runs the README's first command through the real binary, from a
// directory without the repository's config/ (the demo configuration is built
// in): it must succeed and print a line per task and where the reports are. The demo
// runs its own emulator, whose tokens the suite cannot see: the leak check
// looks for any JWT and any Authorization header.
func TestDemo(t *testing.T) {
	out := t.TempDir()
	cmd := exec.Command(binary, "demo", "--output-dir", out)
	cmd.Dir = t.TempDir()
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("trustjob demo: %v\n%s", err, b)
	}
	for _, want := range []string{"inventory ", "inactive-identities ", "Run summary: ", "index.html", "exit code 0"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	for _, f := range leaks(&result{stdout: string(b), files: readTree(out)}, nil) {
		t.Errorf("LEAK: %s", f)
	}
}
