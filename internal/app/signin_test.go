package app

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustjob/trustjob/internal/cloudsim"
	"github.com/trustjob/trustjob/internal/exitcode"
)

// TestRunSignsInThroughAuth runs `trustjob run` with the real sign-in
// (internal/auth, internal/ibmcloud) against the emulator; tasks and reports
// stay the harness's fakes.
func TestRunSignsInThroughAuth(t *testing.T) {
	l, err := cloudsim.StartLocal(cloudsim.DefaultSpec(), cloudsim.Options{}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	untrusted, err := l.Sim.World().MintSAToken(cloudsim.MintOptions{Namespace: "elsewhere", ServiceAccount: "intruder", Pod: "p"})
	if err != nil {
		t.Fatal(err)
	}
	untrustedFile := filepath.Join(t.TempDir(), "sa-token")
	if err := os.WriteFile(untrustedFile, []byte(untrusted), 0o600); err != nil {
		t.Fatal(err)
	}
	saToken, err := os.ReadFile(l.TokenFile)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name      string
		tokenFile string
		deadline  string
		fault     *cloudsim.Fault
		wantCode  int
		wantLog   []string // in stderr
		wantCalls int64    // token requests the emulator saw
	}{
		{
			name: "signed in", tokenFile: l.TokenFile, wantCode: exitcode.OK, wantCalls: 1,
			wantLog: []string{`"msg":"signed in"`, `"account":"` + l.Sim.World().AccountID + `"`, `"profile_name":"` + l.ProfileName + `"`},
		},
		{
			name: "workload not trusted", tokenFile: untrustedFile, wantCode: exitcode.NoPerm, wantCalls: 1,
			wantLog: []string{`"msg":"sign-in failed"`, "BXNIM0398E", "not trusted by that profile", "namespace elsewhere", `"exit_code":77`},
		},
		{
			name: "no token file", tokenFile: filepath.Join(t.TempDir(), "absent"), wantCode: exitcode.NoPerm,
			wantLog: []string{`"msg":"preflight failed"`, "does not exist", "audience: iam", "/var/run/secrets/tokens"},
		},
		{
			name: "IAM down until the deadline", tokenFile: l.TokenFile, deadline: "500ms", wantCode: exitcode.TempFail,
			fault:   &cloudsim.Fault{Service: cloudsim.ServiceIAMToken, Every: 1, Status: 503},
			wantLog: []string{`"msg":"sign-in failed"`, "deadline", `"exit_code":75`}, wantCalls: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l.Sim.ClearFaults()
			if tt.fault != nil {
				l.Sim.AddFault(tt.fault)
			}
			before := l.Sim.Log().Count(cloudsim.ServiceIAMToken)
			h := newHarness(t)
			h.a.signer = authSigner{}
			deadline := ""
			if tt.deadline != "" {
				deadline = "deadline: " + tt.deadline + "\n"
			}
			cfg := writeConfig(t, fmt.Sprintf(`apiVersion: trustjob/v1
kind: Config
auth:
  profileName: %s
  crTokenFile: %s
  iamURL: %s
allowedHosts: [127.0.0.1]
output: {dir: /reports} # the harness keeps the summary in memory
%stasks:
  - name: always
    type: fake
`, l.ProfileName, tt.tokenFile, l.Sim.URL(), deadline))

			code := h.run("run", "--config", cfg, "--log-format", "json", "--log-level", "debug")
			logs := h.stderr.String()
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d:\n%s", code, tt.wantCode, logs)
			}
			for _, w := range tt.wantLog {
				if !strings.Contains(logs, w) {
					t.Errorf("logs lack %s:\n%s", w, logs)
				}
			}
			if n := l.Sim.Log().Count(cloudsim.ServiceIAMToken) - before; n != tt.wantCalls {
				t.Errorf("%d token requests, want %d", n, tt.wantCalls)
			}
			for _, secret := range []string{string(saToken), untrusted} {
				sig := secret[strings.LastIndex(secret, ".")+1:]
				if strings.Contains(logs, strings.TrimSpace(sig)) {
					t.Error("a service-account token appears in the logs")
				}
			}
			if tt.wantCode != exitcode.OK {
				// Issue 12 item 8: the failure is the summary's.
				if h.summary == nil || h.summary.ExitCode != tt.wantCode || h.summary.Error == "" {
					t.Errorf("run summary %+v, want this run's exit %d and error", h.summary, tt.wantCode)
				}
				return
			}
			s := h.summary
			if s == nil || s.Account != l.Sim.World().AccountID || s.TokenExchanges != 1 || s.Requests["iam-token"] != 1 {
				b, _ := json.Marshal(s)
				t.Errorf("summary %s: want the emulator's account, 1 token exchange and 1 token request", b)
			}
		})
	}
}
