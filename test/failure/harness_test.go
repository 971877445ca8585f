// Package failure_test runs the real trustjob binary, as a process, against the
// emulator's fault knobs: one case per row of the failure matrix in
// docs/reliability.md, which is generated from (and checked against) the cases.
package failure_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustjob/trustjob/internal/cloudsim"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "trustjob-failure-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "trustjob")
	build := exec.Command("go", "build", "-o", binary, "github.com/trustjob/trustjob/cmd/trustjob")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build trustjob:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// harness is one case's emulator, configuration and output directory.
type harness struct {
	t      *testing.T
	l      *cloudsim.Local
	dir    string
	config string
	outDir string
	env    map[string]string
	args   []string
}

const baseConfig = `apiVersion: trustjob/v1
kind: Config
auth: {profileName: trustjob-runner}
allowedHosts: [127.0.0.1]
deadline: %s
output: {formats: [jsonl]}
tasks:
%s`

const bothTasks = `  - {name: inventory, type: inventory, timeout: 20s}
  - {name: inactive-identities, type: inactive-identities, timeout: 20s, options: {pollInterval: 100ms, pollMaxInterval: 500ms}}
`

func newHarness(t *testing.T, spec cloudsim.Spec, opts cloudsim.Options) *harness {
	t.Helper()
	dir := t.TempDir()
	l, err := cloudsim.StartLocal(spec, opts, filepath.Join(dir, "tokens"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	h := &harness{t: t, l: l, dir: dir, outDir: filepath.Join(dir, "out"), env: map[string]string{}}
	for k, v := range l.Env {
		h.env[k] = v
	}
	h.writeConfig("60s", bothTasks)
	return h
}

func (h *harness) writeConfig(deadline, tasks string) {
	h.config = filepath.Join(h.dir, "config.yaml")
	if err := os.WriteFile(h.config, fmt.Appendf(nil, baseConfig, deadline, tasks), 0o644); err != nil {
		h.t.Fatal(err)
	}
}

// result is what a run of the binary left behind.
type result struct {
	code     int
	duration time.Duration
	stdout   string
	stderr   string
	logs     []map[string]any
	files    map[string][]byte // output dir, relative paths
}

func (r *result) logged(msg string) []map[string]any {
	var out []map[string]any
	for _, l := range r.logs {
		if l["msg"] == msg {
			out = append(out, l)
		}
	}
	return out
}

func (r *result) summary(t *testing.T) map[string]any {
	t.Helper()
	var s map[string]any
	b, ok := r.files["run-summary.json"]
	if !ok {
		t.Fatalf("no run-summary.json; files %v", keys(r.files))
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// run starts the binary; during, when set, runs while it does (signals,
// rotation).
func (h *harness) run(during func(p *os.Process, stderr *syncBuffer)) *result {
	h.t.Helper()
	args := append([]string{"run", "--config", h.config, "--output-dir", h.outDir, "--log-format", "json", "--log-level", "debug"}, h.args...)
	cmd := exec.Command(binary, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + h.dir}
	for k, v := range h.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout bytes.Buffer
	stderr := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = &stdout, stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		h.t.Fatal(err)
	}
	done := make(chan struct{})
	if during != nil {
		go func() { during(cmd.Process, stderr); close(done) }()
	} else {
		close(done)
	}
	err := cmd.Wait()
	<-done
	r := &result{duration: time.Since(start), stdout: stdout.String(), stderr: stderr.String(), files: map[string][]byte{}}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		h.t.Fatal(err)
	}
	sc := bufio.NewScanner(strings.NewReader(r.stderr))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil {
			r.logs = append(r.logs, m)
		}
	}
	_ = filepath.WalkDir(h.outDir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(h.outDir, p)
			r.files[rel], _ = os.ReadFile(p)
		}
		return nil
	})
	h.assertNoSecrets(r)
	return r
}

// jwtShape matches any JWT (the service-account token, IAM access tokens).
var jwtShape = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*`)

// assertNoSecrets is the leak test: at debug level, no stdout, stderr, log or
// report byte may hold a token or an Authorization header.
func (h *harness) assertNoSecrets(r *result) {
	h.t.Helper()
	all := map[string]string{"stdout": r.stdout, "stderr": r.stderr}
	for name, b := range r.files {
		all[name] = string(b)
	}
	tok, _ := os.ReadFile(h.l.TokenFile)
	for name, s := range all {
		switch {
		case len(tok) > 0 && strings.Contains(s, strings.TrimSpace(string(tok))):
			h.t.Errorf("LEAK: the service-account token appears in %s", name)
		case jwtShape.MatchString(s):
			h.t.Errorf("LEAK: a JWT appears in %s: %.40s…", name, jwtShape.FindString(s))
		case strings.Contains(s, "Authorization:") || strings.Contains(s, "Bearer "):
			h.t.Errorf("LEAK: an Authorization header appears in %s", name)
		}
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor polls until the stderr holds text or the timeout passes.
func waitFor(stderr *syncBuffer, text string, timeout time.Duration) bool {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for ctx.Err() == nil {
		if strings.Contains(stderr.String(), text) {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
