// Package failure_test runs the real trustjob binary, as a process, against the
// emulator's fault knobs: one case per row of the failure matrix in
// docs/reliability.md, which is generated from (and checked against) the cases.
// Every run also goes through the leak check (leak_test.go).
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
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustjob/trustjob/internal/cloudsim"
)

var (
	binary string
	// base holds every case's directory; it and the binary's directory are
	// world-readable so that a case can run the binary as another user.
	base string
)

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "trustjob-failure-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	binary, base = filepath.Join(dir, "trustjob"), filepath.Join(dir, "cases")
	build := exec.Command("go", "build", "-o", binary, "github.com/trustjob/trustjob/cmd/trustjob")
	if other := os.Getenv("TRUSTJOB_FAILURE_BINARY"); other != "" {
		// Run the cases against another build (an older commit, to see a
		// case fail before its fix).
		build = exec.Command("cp", other, binary)
	}
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build trustjob:", err)
		return 1
	}
	for _, err := range []error{os.Chmod(dir, 0o755), os.Mkdir(base, 0o755), os.Chmod(base, 0o755)} {
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	code := m.Run()
	if testing.Verbose() {
		fmt.Println(leakStats.String())
	}
	return code
}

// runLimit bounds one run of the binary; every case ends far sooner.
const runLimit = 90 * time.Second

// harness is one case's emulator (behind the IAM recorder), configuration and
// output directory.
type harness struct {
	t      *testing.T
	l      *cloudsim.Local
	iam    *iamRecorder
	dir    string
	config string
	outDir string
	env    map[string]string
	args   []string
	// uid, when not zero, runs the binary as that user (and its group).
	uid int
	// shell, when set, wraps the command: sh -c shell+` "$0" "$@"`.
	shell string
	// secrets are further tokens the case wrote (besides the projected token
	// and what the IAM recorder saw): the leak check looks for them too.
	secrets []string
	// rotated is the token the kubelet rotated in during the run.
	rotated string
	// spec is the emulated account; signalled is when the case signalled the
	// process.
	spec      cloudsim.Spec
	signalled time.Time
}

const baseConfig = `apiVersion: trustjob/v1
kind: Config
auth: {profileName: trustjob-runner}
allowedHosts: [%s]
deadline: %s
output: {formats: [jsonl]}
tasks:
%s`

const bothTasks = `  - {name: inventory, type: inventory, timeout: 20s}
  - {name: inactive-identities, type: inactive-identities, timeout: 20s, options: {pollInterval: 100ms, pollMaxInterval: 500ms}}
`

func newHarness(t *testing.T, spec cloudsim.Spec, opts cloudsim.Options) *harness {
	t.Helper()
	dir, err := os.MkdirTemp(base, "case-")
	if err == nil {
		err = os.Chmod(dir, 0o755)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	l, err := cloudsim.StartLocal(spec, opts, filepath.Join(dir, "tokens"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	iam, err := newIAMRecorder(l.Sim.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(iam.Close)
	h := &harness{t: t, l: l, iam: iam, spec: spec, dir: dir, outDir: filepath.Join(dir, "out"), env: map[string]string{}}
	for k, v := range l.Env {
		h.env[k] = v
	}
	// The token requests go through the recorder, which keeps every token
	// sent and issued for the leak check; the services are the emulator's.
	h.env["TRUSTJOB_IAM_URL"] = iam.URL()
	// The configuration allows the loopback host itself; the environment's
	// TRUSTJOB_ALLOWED_HOSTS would hide a refusal the boundary cases look for.
	delete(h.env, "TRUSTJOB_ALLOWED_HOSTS")
	h.writeConfig("60s", bothTasks)
	return h
}

func (h *harness) writeConfig(deadline, tasks string) {
	h.writeConfigHosts("127.0.0.1", deadline, tasks)
}

func (h *harness) writeConfigHosts(hosts, deadline, tasks string) {
	h.config = filepath.Join(h.dir, "config.yaml")
	if err := os.WriteFile(h.config, fmt.Appendf(nil, baseConfig, hosts, deadline, tasks), 0o644); err != nil {
		h.t.Fatal(err)
	}
}

// result is what a run of the binary left behind.
type result struct {
	code     int
	duration time.Duration
	ended    time.Time
	stdout   string
	stderr   string
	logs     []map[string]any
	badLines []string          // stderr lines that are not JSON log records
	files    map[string][]byte // output dir, relative paths (including dot files)
	// maxRSS is the process's peak resident set, in bytes.
	maxRSS int64
}

// logged returns the log records with message msg.
func (r *result) logged(msg string) []map[string]any {
	var out []map[string]any
	for _, l := range r.logs {
		if l["msg"] == msg {
			out = append(out, l)
		}
	}
	return out
}

// taskLog returns task's "task finished" record, or nil.
func (r *result) taskLog(task string) map[string]any {
	for _, l := range r.logged("task finished") {
		if l["task"] == task {
			return l
		}
	}
	return nil
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
	// A watchdog: a binary that never exits fails its case, not the suite.
	ctx, cancel := context.WithTimeout(context.Background(), runLimit)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	if h.shell != "" {
		cmd = exec.CommandContext(ctx, "sh", append([]string{"-c", h.shell + ` "$0" "$@"`, binary}, args...)...)
	}
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + h.dir}
	for k, v := range h.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	if h.uid != 0 {
		runAs(cmd, h.uid)
	}
	var stdout bytes.Buffer
	stderr := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = &stdout, stderr
	tokenBefore, _ := os.ReadFile(h.l.TokenFile)
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
	ended := time.Now()
	<-done
	r := &result{duration: ended.Sub(start), ended: ended, stdout: stdout.String(), stderr: stderr.String(), maxRSS: maxRSS(cmd.ProcessState)}
	if ctx.Err() != nil {
		h.t.Errorf("trustjob still ran after %v and was killed", runLimit)
	}
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
		} else {
			r.badLines = append(r.badLines, sc.Text())
		}
	}
	r.files = readTree(h.outDir)
	tokenAfter, _ := os.ReadFile(h.l.TokenFile)
	secrets := append([]string{string(tokenBefore), string(tokenAfter), h.rotated}, h.secrets...)
	secrets = append(secrets, h.iam.Secrets()...)
	for _, f := range leaks(r, secrets) {
		h.t.Errorf("LEAK: %s", f)
	}
	return r
}

// readTree returns every file below dir (dot files too), by relative path.
func readTree(dir string) map[string][]byte {
	files := map[string][]byte{}
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		// Regular files only: a case may plant a FIFO, which would block
		// the read.
		if err == nil && d.Type().IsRegular() {
			rel, _ := filepath.Rel(dir, p)
			files[rel], _ = os.ReadFile(p)
		}
		return nil
	})
	return files
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
