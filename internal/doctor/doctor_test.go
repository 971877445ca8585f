package doctor_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trustjob/trustjob/internal/cloudsim"
	"github.com/trustjob/trustjob/internal/config"
	"github.com/trustjob/trustjob/internal/doctor"
	"github.com/trustjob/trustjob/internal/exitcode"
	"github.com/trustjob/trustjob/internal/logging"
	"github.com/trustjob/trustjob/internal/safefile"
	"github.com/trustjob/trustjob/tasks/builtin"
)

const configYAML = `apiVersion: trustjob/v1
kind: Config
auth: {profileName: trustjob-runner}
allowedHosts: [127.0.0.1]
tasks:
  - {name: inv, type: inventory}
  - {name: ids, type: inactive-identities}
`

type world struct {
	l   *cloudsim.Local
	cfg *config.Config
	log *bytes.Buffer
}

func start(t *testing.T) *world {
	t.Helper()
	l, err := cloudsim.StartLocal(cloudsim.DefaultSpec(), cloudsim.Options{}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	var env []string
	for k, v := range l.Env {
		env = append(env, k+"="+v)
	}
	cfg, err := config.Parse("config.yaml", []byte(configYAML), builtin.Registry(), env)
	if err != nil {
		t.Fatal(err)
	}
	return &world{l: l, cfg: cfg, log: &bytes.Buffer{}}
}

func (w *world) run(t *testing.T) doctor.Report {
	t.Helper()
	return doctor.Run(context.Background(), doctor.Input{
		Config: w.cfg, Types: builtin.Registry(), Getenv: func(k string) string { return w.l.Env[k] },
		Now: time.Now(), Logger: logging.New(w.log, logging.FormatJSON, slog.LevelDebug),
	})
}

func (w *world) token(t *testing.T, o cloudsim.MintOptions) string {
	t.Helper()
	if o.Namespace == "" {
		o.Namespace = "trustjob"
	}
	if o.ServiceAccount == "" {
		o.ServiceAccount = "trustjob"
	}
	tok, err := w.l.Sim.World().MintSAToken(o)
	if err != nil {
		t.Fatal(err)
	}
	return writeFile(t, tok)
}

func writeFile(t *testing.T, s string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "sa-token")
	if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDoctor(t *testing.T) {
	tests := []struct {
		name      string
		setup     func(t *testing.T, w *world)
		wantCode  int
		wantCheck string // the check that fails (or warns, with wantCode 0)
		wantText  string // in its detail or fix
	}{
		{name: "everything in place", setup: func(*testing.T, *world) {}, wantCode: exitcode.OK},
		{name: "missing token file", wantCode: exitcode.NoPerm, wantCheck: "token file", wantText: "audience: iam",
			setup: func(t *testing.T, w *world) { w.cfg.Auth.CRTokenFile = filepath.Join(t.TempDir(), "nope") }},
		{name: "empty token file", wantCode: exitcode.NoPerm, wantCheck: "token file", wantText: "is empty",
			setup: func(t *testing.T, w *world) { w.cfg.Auth.CRTokenFile = writeFile(t, "\n") }},
		// Issue 12 item 14: the same bounded, regular-file read as run.
		{name: "/dev/zero as the token file", wantCode: exitcode.NoPerm, wantCheck: "token file", wantText: "not a regular file (a character device)",
			setup: func(t *testing.T, w *world) { w.cfg.Auth.CRTokenFile = "/dev/zero" }},
		{name: "a token file over 64 KiB", wantCode: exitcode.NoPerm, wantCheck: "token file", wantText: "larger than 64 KiB",
			setup: func(t *testing.T, w *world) { w.cfg.Auth.CRTokenFile = writeFile(t, strings.Repeat("a", 1<<20)) }},
		{name: "not a JWT", wantCode: exitcode.NoPerm, wantCheck: "token claims", wantText: "3 dot-separated parts",
			setup: func(t *testing.T, w *world) { w.cfg.Auth.CRTokenFile = writeFile(t, "hello") }},
		{name: "wrong audience", wantCode: exitcode.NoPerm, wantCheck: "audience", wantText: "audience: iam",
			setup: func(t *testing.T, w *world) {
				w.cfg.Auth.CRTokenFile = w.token(t, cloudsim.MintOptions{Audience: []string{"vault"}})
			}},
		{name: "expired", wantCode: exitcode.NoPerm, wantCheck: "lifetime", wantText: "expired at",
			setup: func(t *testing.T, w *world) {
				w.cfg.Auth.CRTokenFile = w.token(t, cloudsim.MintOptions{IssuedAt: time.Now().Add(-2 * time.Hour)})
			}},
		{name: "lifetime over an hour", wantCode: exitcode.NoPerm, wantCheck: "lifetime", wantText: "expirationSeconds",
			setup: func(t *testing.T, w *world) {
				w.cfg.Auth.CRTokenFile = w.token(t, cloudsim.MintOptions{Lifetime: 2 * time.Hour})
			}},
		{name: "untrusted namespace", wantCode: exitcode.NoPerm, wantCheck: "token exchange", wantText: "namespace other",
			setup: func(t *testing.T, w *world) {
				w.cfg.Auth.CRTokenFile = w.token(t, cloudsim.MintOptions{Namespace: "other"})
			}},
		{name: "IAM 503", wantCode: exitcode.TempFail, wantCheck: "token exchange", wantText: "503",
			setup: func(t *testing.T, w *world) {
				w.l.Sim.AddFault(&cloudsim.Fault{Service: cloudsim.ServiceIAMToken, Every: 1, Status: 503})
			}},
		{name: "IAM unreachable", wantCode: exitcode.TempFail, wantCheck: "IAM endpoint", wantText: "cannot connect",
			setup: func(t *testing.T, w *world) { w.cfg.Auth.IAMURL = "http://127.0.0.1:1" }},
		{name: "a task's permission missing", wantCode: exitcode.NoPerm, wantCheck: "task inv", wantText: "Viewer on",
			setup: func(t *testing.T, w *world) {
				wd := w.l.Sim.World()
				wd.Revoke(wd.IAM.RunnerIAMID(), cloudsim.ActionGroupRetrieve)
			}},
		{name: "plain file, not a projected link: a warning", wantCode: exitcode.OK, wantCheck: "token file", wantText: "subPath",
			setup: func(t *testing.T, w *world) { w.cfg.Auth.CRTokenFile = w.token(t, cloudsim.MintOptions{}) }},
		{name: "default service account: a warning", wantCode: exitcode.NoPerm, wantCheck: "workload", wantText: "own service account",
			setup: func(t *testing.T, w *world) {
				w.cfg.Auth.CRTokenFile = w.token(t, cloudsim.MintOptions{ServiceAccount: "default"})
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := start(t)
			tt.setup(t, w)
			rep := w.run(t)
			if rep.ExitCode != tt.wantCode {
				t.Errorf("exit %d, want %d; checks:\n%s", rep.ExitCode, tt.wantCode, dump(rep))
			}
			if tt.wantCheck != "" {
				c := find(rep, tt.wantCheck)
				if c == nil || c.Status == doctor.OK || !strings.Contains(c.Detail+" "+c.Fix, tt.wantText) {
					t.Errorf("check %q: %+v, want a warning or failure mentioning %q; checks:\n%s", tt.wantCheck, c, tt.wantText, dump(rep))
				}
			}
			if tt.wantCode == exitcode.OK && !rep.OK {
				t.Errorf("not OK:\n%s", dump(rep))
			}
			assertNoToken(t, w, rep)
		})
	}
}

func find(rep doctor.Report, name string) *doctor.Check {
	for i := range rep.Checks {
		if rep.Checks[i].Name == name && rep.Checks[i].Status != doctor.OK {
			return &rep.Checks[i]
		}
	}
	return nil
}

func dump(rep doctor.Report) string {
	var b strings.Builder
	for _, c := range rep.Checks {
		b.WriteString(c.Status + " " + c.Name + ": " + c.Detail + " | " + c.Fix + "\n")
	}
	return b.String()
}

// assertNoToken: neither the service-account token nor its signature appears
// in the report or the logs.
func assertNoToken(t *testing.T, w *world, rep doctor.Report) {
	t.Helper()
	tok, err := safefile.ReadFile(w.cfg.Auth.CRTokenFile, 64<<10)
	if err != nil || len(bytes.TrimSpace(tok)) < 20 {
		return
	}
	secret := string(bytes.TrimSpace(tok))
	sig := secret[strings.LastIndex(secret, ".")+1:]
	all := dump(rep) + w.log.String()
	if strings.Contains(all, secret) || (len(sig) > 8 && strings.Contains(all, sig)) {
		t.Error("the service-account token appears in the doctor's output or logs")
	}
}

func TestParseClaims(t *testing.T) {
	l, err := cloudsim.StartLocal(cloudsim.DefaultSpec(), cloudsim.Options{}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	tok, _ := os.ReadFile(l.TokenFile)
	c, err := doctor.ParseClaims(tok)
	if err != nil {
		t.Fatal(err)
	}
	if c.Namespace != "trustjob" || c.ServiceAccount != "trustjob" || c.Pod == "" || c.Issuer == "" ||
		len(c.Audience) == 0 || c.Audience[0] != "iam" || c.Expires.Sub(c.IssuedAt) != time.Hour {
		t.Errorf("claims %+v", c)
	}
}

func FuzzParseClaims(f *testing.F) {
	f.Add([]byte("eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJpYW0iLCJleHAiOjF9.c2ln"))
	f.Add([]byte("a.b.c"))
	f.Add([]byte("eyJhbGciOiJSUzI1NiJ9.eyJrdWJlcm5ldGVzLmlvIjp7InNlcnZpY2VhY2NvdW50IjpudWxsfX0.x"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, tok []byte) {
		c, err := doctor.ParseClaims(tok)
		if err != nil && strings.Contains(err.Error(), string(tok)) && len(tok) > 8 {
			t.Errorf("the error repeats the token: %v", err)
		}
		_ = c
	})
}

// The doctor names the host of every service and why it was chosen, and a
// probe that gets no answer explains the endpoint choices (issue 13, F1).
func TestDoctorNamesEndpoints(t *testing.T) {
	w := start(t)
	w.cfg.Endpoints, w.cfg.PrivateRegion = "vpe", ""
	delete(w.l.Env, "USER_MANAGEMENT_URL")
	delete(w.l.Env, "USAGE_REPORTS_URL")
	w.l.Env["RESOURCE_MANAGER_URL"] = "http://127.0.0.1:1" // nothing listens
	w.cfg.Tasks = w.cfg.Tasks[:1]                          // inventory only
	rep := w.run(t)
	var ep *doctor.Check
	for i := range rep.Checks {
		if rep.Checks[i].Name == "endpoints" {
			ep = &rep.Checks[i]
		}
	}
	if ep == nil {
		t.Fatalf("no endpoints check:\n%s", dump(rep))
	}
	for _, want := range []string{"endpoints: vpe", "user-management private.user-management.cloud.ibm.com",
		"usage-reports private.billing.cloud.ibm.com", "(from $RESOURCE_MANAGER_URL)"} {
		if !strings.Contains(ep.Detail, want) {
			t.Errorf("endpoints check %q lacks %q", ep.Detail, want)
		}
	}
	c := find(rep, "task inv")
	if c == nil || !strings.Contains(c.Fix, "VPE gateway") || rep.ExitCode != exitcode.TempFail {
		t.Errorf("probe without an answer: %+v (exit %d), want a fix naming the VPE choice", c, rep.ExitCode)
	}
	assertNoToken(t, w, rep)
}
