package failure_test

import (
	"os"
	"os/exec"
	"path/filepath"
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

// TestDemoStaysInItsDirectory (issue 12 item 23): `demo --config` with a
// production configuration writes to the demo's own directory, never to the
// production output.dir, whose latest.* would become emulator data.
func TestDemoStaysInItsDirectory(t *testing.T) {
	work := t.TempDir()
	prod := filepath.Join(work, "prod-reports")
	if err := os.MkdirAll(filepath.Join(prod, "inventory"), 0o755); err != nil {
		t.Fatal(err)
	}
	latest := filepath.Join(prod, "inventory", "latest.jsonl")
	os.WriteFile(latest, []byte(`{"id":"production"}`+"\n"), 0o644)
	cfg := filepath.Join(work, "prod.yaml")
	os.WriteFile(cfg, []byte("apiVersion: trustjob/v1\nkind: Config\nauth: {profileName: trustjob-runner}\nallowedHosts: [127.0.0.1]\n"+
		"output: {dir: "+prod+"}\ntasks:\n  - {name: inventory, type: inventory}\n"), 0o644)
	cmd := exec.Command(binary, "demo", "--config", cfg)
	cmd.Dir = work
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("trustjob demo: %v\n%s", err, b)
	}
	if got, _ := os.ReadFile(latest); string(got) != `{"id":"production"}`+"\n" {
		t.Errorf("the production latest.jsonl was replaced")
	}
	if ents, _ := os.ReadDir(prod); len(ents) != 1 {
		t.Errorf("the production directory holds %d entries, want only inventory/", len(ents))
	}
	if _, err := os.Stat(filepath.Join(work, "out", "demo", "inventory", "latest.jsonl")); err != nil {
		t.Errorf("the demo's own report is missing: %v", err)
	}
}
