package app

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trustjob/trustjob/internal/cloudsim"
	"github.com/trustjob/trustjob/internal/exitcode"
	"github.com/trustjob/trustjob/internal/rollup"
	"github.com/trustjob/trustjob/internal/runner"
	"github.com/trustjob/trustjob/tasks"
	"github.com/trustjob/trustjob/tasks/builtin"
)

// realApp is trustjob as Main builds it, with the environment in a map.
func realApp(env map[string]string, stdout, stderr *bytes.Buffer) *app {
	reg := tasks.NewRegistry()
	builtin.Register(reg)
	return &app{
		stdout: stdout, stderr: stderr, stdin: strings.NewReader(""),
		getenv: func(k string) string { return env[k] },
		environ: func() []string {
			var kv []string
			for k, v := range env {
				kv = append(kv, k+"="+v)
			}
			return kv
		},
		clock: time.Now, registry: reg, signer: authSigner{}, reports: fileReports{},
	}
}

// enterpriseConfig lists every child of l as a target and runs the two
// built-in tasks there, read-only.
func enterpriseConfig(t *testing.T, l *cloudsim.EnterpriseLocal, dir string, parallel int) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, `apiVersion: trustjob/v1
kind: Config
auth:
  crTokenFile: %s
  iamURL: %s
allowedHosts: [127.0.0.1]
parallelTargets: %d
output: {dir: %q, formats: [jsonl, html]}
tasks:
  - name: inventory
    type: inventory
  - name: inactive-identities
    type: inactive-identities
    options: {inactiveFor: 90d, dryRun: true, pollInterval: 10ms, pollMaxInterval: 50ms}
targets:
`, l.TokenFile, l.URL(), parallel, dir)
	for _, c := range l.Children {
		fmt.Fprintf(&b, "  - {account: %s, name: %s, profileID: %s}\n", c.ID, c.Name, c.ProfileID)
	}
	return writeConfig(t, b.String())
}

func startEnterprise(t *testing.T, accounts int, bad ...int) *cloudsim.EnterpriseLocal {
	t.Helper()
	spec := cloudsim.DefaultEnterpriseSpec()
	spec.Accounts, spec.Suspended, spec.NotCrossAccount = accounts, 0, bad
	l, err := cloudsim.StartEnterpriseLocal(spec, cloudsim.Options{}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l
}

func readSummary(t *testing.T, path string) runner.Summary {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var s runner.Summary
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

func readRollup(t *testing.T, dir string) rollup.View {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, rollup.JSONFile))
	if err != nil {
		t.Fatal(err)
	}
	var v rollup.View
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestRunFiftyTargets runs the same tasks in 50 emulated accounts from one
// pod, through the real sign-in (one cross-account token exchange per
// target) and the real tasks. One account's profile links to the cluster
// without is_cross_account: IAM refuses it, the others finish, the pod exits
// 77 and the failure is named with its fix in the log, in that account's
// run summary and in the roll-up.
func TestRunFiftyTargets(t *testing.T) {
	const n, bad = 50, 17
	l := startEnterprise(t, n, bad)
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	a := realApp(l.Env, &stdout, &stderr)
	code := a.main(t.Context(), []string{"run", "--config", enterpriseConfig(t, l, dir, 8), "--log-format", "json"})
	if code != exitcode.NoPerm {
		t.Fatalf("exit %d, want %d (every failure is the one account's setup):\n%s", code, exitcode.NoPerm, tail(stderr.String()))
	}
	badID := l.Children[bad].ID
	wantInstances := int64(0)
	for i, c := range l.Children {
		s := readSummary(t, filepath.Join(dir, "account="+c.ID, runner.SummaryFile))
		if i == bad {
			if s.Status != "permission-denied" || s.ExitCode != exitcode.NoPerm || !strings.Contains(s.Error, "BXNIM0398E") ||
				!strings.Contains(s.Hint, "is_cross_account") || !strings.Contains(s.Hint, "doctor --target "+badID) {
				t.Errorf("misconfigured account's summary: status %q, exit %d, error %q, hint %q", s.Status, s.ExitCode, s.Error, s.Hint)
			}
			continue
		}
		if s.Account != c.ID || s.Profile.ID != c.ProfileID || s.ExitCode != exitcode.OK || s.TokenExchanges != 1 {
			t.Errorf("account %d: summary account %s profile %s exit %d exchanges %d", i, s.Account, s.Profile.ID, s.ExitCode, s.TokenExchanges)
		}
		for _, task := range s.Tasks {
			if task.Status != runner.Succeeded {
				t.Errorf("account %d: task %s %s: %s", i, task.Name, task.Status, task.Error)
			}
			if task.Name == "inventory" {
				n, _ := task.Summary["instances"].(float64)
				wantInstances += int64(n)
			}
		}
		if _, err := os.Stat(filepath.Join(dir, "account="+c.ID, "inventory", "latest.jsonl")); err != nil {
			t.Errorf("account %d: %v", i, err)
		}
	}
	if got := l.Count(cloudsim.ServiceIAMToken); got != n {
		t.Errorf("%d token requests, want %d (one per target)", got, n)
	}
	v := readRollup(t, dir)
	if v.Totals.Accounts != n || v.Totals.ByStatus["succeeded"] != n-1 || v.Totals.ByStatus["permission-denied"] != 1 ||
		v.ExitCode != exitcode.NoPerm || v.Totals.Instances != wantInstances || wantInstances == 0 || v.Totals.TokenExchanges != n-1 {
		b, _ := json.Marshal(v.Totals)
		t.Errorf("roll-up: exit %d, totals %s; want %d accounts, 1 denied, %d instances", v.ExitCode, b, n, wantInstances)
	}
	logs := stderr.String()
	for _, want := range []string{`"msg":"target failed"`, `"target":"` + badID + `"`, "is_cross_account", `"msg":"targets finished"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %s", want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, rollup.HTMLFile)); err != nil {
		t.Error(err)
	}
	sa, err := os.ReadFile(l.TokenFile)
	if err != nil {
		t.Fatal(err)
	}
	if sig := strings.TrimSpace(string(sa)); strings.Contains(logs, sig[strings.LastIndex(sig, ".")+1:]) {
		t.Error("the service-account token appears in the logs")
	}
}

// TestRunTargetsIndexed runs an Indexed Job's three indexes one after the
// other (JOB_COMPLETION_INDEX, TRUSTJOB_SHARDS): each runs its own third of
// the targets, and `trustjob rollup` over the three folders gives the same
// view as one pod running them all.
func TestRunTargetsIndexed(t *testing.T) {
	const n, bad = 10, 4
	l := startEnterprise(t, n, bad)
	var dirs []string
	seen := map[string]int{}
	for idx := range 3 {
		dir := t.TempDir()
		dirs = append(dirs, dir)
		env := map[string]string{"JOB_COMPLETION_INDEX": fmt.Sprint(idx), "TRUSTJOB_SHARDS": "3"}
		for k, v := range l.Env {
			env[k] = v
		}
		var stdout, stderr bytes.Buffer
		code := realApp(env, &stdout, &stderr).main(t.Context(), []string{"run", "--config", enterpriseConfig(t, l, dir, 2), "--log-format", "json"})
		v := readRollup(t, dir)
		for _, a := range v.Accounts {
			seen[a.Account]++
		}
		want := exitcode.OK
		if idx == bad%3 {
			want = exitcode.NoPerm
		}
		if code != want || len(v.Accounts) < n/3 || len(v.Accounts) > n/3+1 {
			t.Errorf("index %d: exit %d (want %d), %d accounts", idx, code, want, len(v.Accounts))
		}
	}
	for _, c := range l.Children {
		if seen[c.ID] != 1 {
			t.Errorf("account %s ran in %d indexes, want exactly 1", c.ID, seen[c.ID])
		}
	}
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := realApp(nil, &stdout, &stderr).main(t.Context(), append([]string{"rollup", "--output-dir", out}, dirs...))
	if code != exitcode.OK {
		t.Fatalf("rollup exit %d: %s", code, stderr.String())
	}
	v := readRollup(t, out)
	if v.Totals.Accounts != n || v.Totals.ByStatus["permission-denied"] != 1 || v.ExitCode != exitcode.NoPerm {
		b, _ := json.Marshal(v.Totals)
		t.Errorf("merged roll-up: exit %d, totals %s", v.ExitCode, b)
	}
	if !strings.Contains(stdout.String(), "10 accounts") {
		t.Errorf("rollup output: %s", stdout.String())
	}
}

func TestShardFromEnv(t *testing.T) {
	tests := []struct {
		idx, n       string
		wantI, wantN int
		wantErr      string
	}{
		{"", "", 0, 1, ""},
		{"0", "", 0, 1, ""},
		{"2", "3", 2, 3, ""},
		{"3", "3", 0, 0, "want 0 to 2"},
		{"1", "", 0, 0, "TRUSTJOB_SHARDS is not set"},
		{"", "3", 0, 0, "completionMode: Indexed"},
		{"0", "zero", 0, 0, "whole number"},
	}
	for _, tt := range tests {
		env := map[string]string{EnvCompletionIndex: tt.idx, EnvShards: tt.n}
		i, n, err := shardFromEnv(func(k string) string { return env[k] })
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%q/%q: err %v, want %q", tt.idx, tt.n, err, tt.wantErr)
			}
			continue
		}
		if err != nil || i != tt.wantI || n != tt.wantN {
			t.Errorf("%q/%q: %d/%d %v", tt.idx, tt.n, i, n, err)
		}
	}
	all := make([]target, 10)
	for i := range all {
		all[i].Account = fmt.Sprint(i)
	}
	var got []string
	for idx := range 3 {
		for _, t := range shareOf(all, idx, 3) {
			got = append(got, t.Account)
		}
	}
	if strings.Join(got, ",") != "0,3,6,9,1,4,7,2,5,8" {
		t.Errorf("shares %v", got)
	}
}

func tail(s string) string {
	if len(s) > 4000 {
		return "..." + s[len(s)-4000:]
	}
	return s
}

// TestRunEnterpriseDiscovery discovers the targets through the Enterprise
// Management API, signed in as the enterprise account's profile: only ACTIVE
// accounts, include/exclude by account group, profiles by account ID or
// name; with requireAll an account without a profile fails, named.
func TestRunEnterpriseDiscovery(t *testing.T) {
	spec := cloudsim.DefaultEnterpriseSpec()
	spec.Accounts, spec.Groups, spec.Suspended = 6, 2, 1 // groups alternate; the last child is suspended
	l, err := cloudsim.StartEnterpriseLocal(spec, cloudsim.Options{}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	c := l.Children
	tests := []struct {
		name     string
		extra    string
		want     []string // accounts in the roll-up
		wantCode int
	}{
		{name: "active accounts of production", want: []string{c[0].ID, c[2].ID, c[4].ID},
			extra: fmt.Sprintf(`  include: {accountGroups: [production]}
  profiles: {%s: %s, %s: %s, %s: %s, %s: %s}
`, c[0].ID, c[0].ProfileID, c[2].Name, c[2].ProfileID, c[4].ID, c[4].ProfileID, c[1].ID, c[1].ProfileID)},
		{name: "exclude an account and skip one without a profile", want: []string{c[1].ID, c[3].ID},
			extra: fmt.Sprintf(`  exclude: {accounts: [%s]}
  profiles: {%s: %s, %s: %s, %s: %s}
`, c[0].Name, c[0].ID, c[0].ProfileID, c[1].ID, c[1].ProfileID, c[3].ID, c[3].ProfileID)},
		{name: "requireAll names the account without a profile", wantCode: exitcode.NoPerm,
			want: []string{c[1].ID, c[3].ID},
			extra: fmt.Sprintf(`  requireAll: true
  include: {accountGroups: [development]}
  profiles: {%s: %s}
`, c[1].ID, c[1].ProfileID)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := writeConfig(t, fmt.Sprintf(`apiVersion: trustjob/v1
kind: Config
auth:
  profileID: %s
  crTokenFile: %s
  iamURL: %s
allowedHosts: [127.0.0.1]
output: {dir: %q}
tasks:
  - name: inventory
    type: inventory
enterprise:
  discover: true
%s`, l.ProfileID, l.TokenFile, l.URL(), dir, tt.extra))
			var stdout, stderr bytes.Buffer
			code := realApp(l.Env, &stdout, &stderr).main(t.Context(), []string{"run", "--config", cfg, "--log-format", "json"})
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d:\n%s", code, tt.wantCode, tail(stderr.String()))
			}
			v := readRollup(t, dir)
			var got []string
			for _, a := range v.Accounts {
				got = append(got, a.Account)
				if tt.wantCode != exitcode.OK && a.ExitCode != exitcode.OK && !strings.Contains(a.Hint, "enterprise.profiles") {
					t.Errorf("%s: hint %q", a.Account, a.Hint)
				}
			}
			slices.Sort(got)
			want := slices.Sorted(slices.Values(tt.want))
			if !slices.Equal(got, want) {
				t.Errorf("targets %v, want %v", got, want)
			}
		})
	}
}

// TestDiscoveryEmptyAnswers: a 200 with an empty or null body, or a 204, on
// each Enterprise Management listing fails discovery with a clear error
// instead of a panic or an empty (and so "successful") enterprise.
func TestDiscoveryEmptyAnswers(t *testing.T) {
	spec := cloudsim.DefaultEnterpriseSpec()
	spec.Accounts = 2
	for _, path := range []string{"/v1/enterprises", "/v1/account-groups", "/v1/accounts"} {
		for _, ans := range []struct {
			name   string
			status int
			body   string
		}{{"200 empty", 200, ""}, {"200 null", 200, "null"}, {"204", 204, ""}} {
			t.Run(path+" "+ans.name, func(t *testing.T) {
				l, err := cloudsim.StartEnterpriseLocal(spec, cloudsim.Options{}, t.TempDir())
				if err != nil {
					t.Fatal(err)
				}
				defer l.Close()
				l.HubSim.AddFault(&cloudsim.Fault{Service: cloudsim.ServiceEnterprise, PathPrefix: path,
					Status: ans.status, Body: ans.body, NoBody: ans.body == ""})
				cfg := writeConfig(t, fmt.Sprintf(`apiVersion: trustjob/v1
kind: Config
auth:
  profileID: %s
  crTokenFile: %s
  iamURL: %s
allowedHosts: [127.0.0.1]
output: {dir: %q}
tasks:
  - name: inventory
    type: inventory
enterprise:
  discover: true
`, l.ProfileID, l.TokenFile, l.URL(), t.TempDir()))
				var stdout, stderr bytes.Buffer
				code := realApp(l.Env, &stdout, &stderr).main(t.Context(), []string{"run", "--config", cfg, "--log-format", "json"})
				if code == exitcode.OK {
					t.Fatalf("exit 0 on an empty answer:\n%s", tail(stderr.String()))
				}
				if !strings.Contains(stderr.String(), "without a body") {
					t.Errorf("no \"without a body\" in the log:\n%s", tail(stderr.String()))
				}
			})
		}
	}
}

// TestDoctorTargets walks each target's chain: one target by account or
// name, or all of them; the misconfigured one fails at the exchange with the
// cross-account fix, the others pass, and the exit code aggregates them.
func TestDoctorTargets(t *testing.T) {
	l := startEnterprise(t, 3, 1)
	cfg := enterpriseConfig(t, l, t.TempDir(), 2)
	bad, good := l.Children[1], l.Children[0]
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     []string
		notWant  []string
	}{
		{name: "a good target by name", args: []string{"--target", good.Name}, wantCode: exitcode.OK,
			want: []string{"== target " + good.ID, "✓ token exchange", "account " + good.ID, "✓ task inventory", "All 1 targets are set up."}},
		{name: "the misconfigured target", args: []string{"--target", bad.ID}, wantCode: exitcode.NoPerm,
			want: []string{"✗ token exchange", "BXNIM0398E", "is_cross_account true", "doctor --target " + bad.ID}},
		{name: "every target", wantCode: exitcode.NoPerm,
			want: []string{"== target " + l.Children[2].ID, "1 of 3 targets need a fix"}},
		{name: "an unknown target", args: []string{"--target", "nope"}, wantCode: exitcode.Config,
			want: []string{`no target "nope"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := realApp(l.Env, &stdout, &stderr).main(t.Context(), append([]string{"doctor", "--config", cfg}, tt.args...))
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d:\n%s\n%s", code, tt.wantCode, stdout.String(), tail(stderr.String()))
			}
			for _, w := range tt.want {
				if !strings.Contains(stdout.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, stdout.String())
				}
			}
		})
	}
}
