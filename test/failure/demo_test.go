package failure_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDemo runs the README's first command through the real binary, from a
// directory without the repository's config/ (the demo configuration is built
// in): it must succeed and print both reports and the run summary.
func TestDemo(t *testing.T) {
	cmd := exec.Command(binary, "demo", "--output-dir", t.TempDir())
	cmd.Dir = t.TempDir()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("trustjob demo: %v\n%s", err, out)
	}
	for _, want := range []string{"===== inventory", "===== inactive-identities", "===== run summary", "exit code 0", `"token_exchanges": 1`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	if jwtShape.Match(out) || strings.Contains(string(out), "Bearer ") {
		t.Error("the demo printed a token")
	}
}
