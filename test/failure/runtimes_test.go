package failure_test

import (
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/trustjob/trustjob/internal/cloudsim"
	"github.com/trustjob/trustjob/internal/cloudsim/pushgateway"
	"github.com/trustjob/trustjob/internal/cloudsim/vpcmeta"
	"github.com/trustjob/trustjob/internal/metrics"
)

// The sign-in of each compute resource, through the real binary against the
// emulator: Kubernetes (the projected token), Code Engine (the same exchange
// with the job's compute-resource token) and VPC (the instance metadata
// service, emulated by internal/cloudsim/vpcmeta). Each run goes through the
// leak check and must make exactly one token exchange.

const runtimeConfig = `apiVersion: trustjob/v1
kind: Config
auth: {%s}
allowedHosts: [127.0.0.1]
deadline: %s
output: {formats: [jsonl]}
%s
tasks:
  - {name: inventory, type: inventory, timeout: 20s}
`

func (h *harness) writeRuntimeConfig(auth, deadline, extra string) {
	h.config = filepath.Join(h.dir, "config.yaml")
	if err := os.WriteFile(h.config, fmt.Appendf(nil, runtimeConfig, auth, deadline, extra), 0o644); err != nil {
		h.t.Fatal(err)
	}
}

// vpcHarness adds an emulated metadata service for an instance linked to the
// runner profile; its IAM tokens come from the emulated IAM through the
// recorder, so the leak check knows them.
func vpcHarness(t *testing.T) (*harness, *vpcmeta.Server) {
	h := newHarness(t, cloudsim.DefaultSpec(), cloudsim.Options{})
	meta := vpcmeta.New(vpcmeta.Instance{
		ID: "0717_5e2d", CRN: "crn:v1:bluemix:public:is:us-south-1:a/0123::instance:0717_5e2d",
		Region: "us-south", Zone: "us-south-1", Linked: []vpcmeta.ProfileRef{{ID: h.l.ProfileID}},
	}, vpcmeta.ExchangeIssuer{IAMURL: h.iam.URL(), CRTokenFile: h.l.TokenFile, ReadFile: os.ReadFile})
	srv := httptest.NewServer(meta)
	t.Cleanup(srv.Close)
	// A VPC instance has no token file and names its profile by ID.
	delete(h.env, "TRUSTJOB_PROFILE_NAME")
	delete(h.env, "TRUSTJOB_CR_TOKEN_FILE")
	h.env["TRUSTJOB_PROFILE_ID"] = h.l.ProfileID
	h.env["TRUSTJOB_METADATA_URL"] = srv.URL
	h.writeRuntimeConfig("computeResource: vpc", "60s", "")
	return h, meta
}

func TestRuntimeKubernetes(t *testing.T) {
	h := newHarness(t, cloudsim.DefaultSpec(), cloudsim.Options{})
	h.writeRuntimeConfig("computeResource: kubernetes, profileName: trustjob-runner", "60s", "")
	r := h.run(nil)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if n := summaryNumber(t, r, "token_exchanges"); n != 1 {
		t.Errorf("token_exchanges = %v, want 1", n)
	}
}

// TestRuntimeCodeEngine: computeResource code-engine reads the job's
// compute-resource token (here at the path TRUSTJOB_CR_TOKEN_FILE names; the
// default is Code Engine's mount, tested in internal/config) and exchanges it
// once.
func TestRuntimeCodeEngine(t *testing.T) {
	h := newHarness(t, cloudsim.DefaultSpec(), cloudsim.Options{})
	h.writeRuntimeConfig("computeResource: code-engine, profileName: trustjob-runner", "60s", "")
	r := h.run(nil)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if n := summaryNumber(t, r, "token_exchanges"); n != 1 {
		t.Errorf("token_exchanges = %v, want 1", n)
	}
	if got := tokenRequests(h); got != 1 {
		t.Errorf("%d token requests at IAM, want 1", got)
	}

	// Without the token (trusted profiles not enabled on the job): 77, and
	// the hint says what to enable.
	h.env["TRUSTJOB_CR_TOKEN_FILE"] = filepath.Join(h.dir, "no-such-token")
	r = h.run(nil)
	if r.code != 77 {
		t.Errorf("missing token: exit %d, want 77\n%s", r.code, r.stderr)
	}
}

func TestRuntimeVPC(t *testing.T) {
	h, meta := vpcHarness(t)
	r := h.run(nil)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if n := summaryNumber(t, r, "token_exchanges"); n != 1 {
		t.Errorf("token_exchanges = %v, want 1", n)
	}
	if reqs, _ := r.summary(t)["requests"].(map[string]any); reqs["vpc-metadata"] != float64(2) {
		t.Errorf("requests = %v, want vpc-metadata 2 (identity token, IAM token)", reqs)
	}
	if got := meta.Requests(); len(got) != 2 || !strings.HasPrefix(got[0], "PUT /instance_identity/v1/token") {
		t.Errorf("metadata service saw %v", got)
	}
	signedIn := r.logged("signed in")
	if len(signedIn) != 1 || signedIn[0]["profile_id"] != h.l.ProfileID {
		t.Errorf("signed in as %v, want profile %s", signedIn, h.l.ProfileID)
	}
}

// TestRuntimeVPCFailures: the exit codes hold on a VPC instance.
func TestRuntimeVPCFailures(t *testing.T) {
	cases := []struct {
		name  string
		setup func(h *harness, m *vpcmeta.Server)
		code  int
		text  string
	}{
		{"profile not linked", func(h *harness, _ *vpcmeta.Server) {
			h.env["TRUSTJOB_PROFILE_ID"] = "Profile-00000000-0000-0000-0000-00000000dead"
		}, 77, "not linked to trusted profile"},
		{"metadata service disabled", func(h *harness, m *vpcmeta.Server) {
			m.SetDisabled(true)
			h.writeRuntimeConfig("computeResource: vpc", "3s", "")
		}, 75, "metadata service enabled"},
		{"metadata service hiccup is retried", func(_ *harness, m *vpcmeta.Server) { m.FailNext(1, 503) }, 0, ""},
		{"metadata host not allowed", func(h *harness, _ *vpcmeta.Server) {
			h.config = filepath.Join(h.dir, "config.yaml")
			body := strings.Replace(fmt.Sprintf(runtimeConfig, "computeResource: vpc", "60s", ""), "allowedHosts: [127.0.0.1]\n", "", 1)
			if err := os.WriteFile(h.config, []byte(body), 0o644); err != nil {
				h.t.Fatal(err)
			}
		}, 78, "neither the metadata service nor in allowedHosts"},
		{"API key refused", func(h *harness, _ *vpcmeta.Server) { h.env["IBMCLOUD_API_KEY"] = "not-a-real-key-0123456789" }, 78, "IBMCLOUD_API_KEY"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h, meta := vpcHarness(t)
			c.setup(h, meta)
			if strings.Contains(c.name, "API key") {
				h.secrets = append(h.secrets, "not-a-real-key-0123456789")
			}
			r := h.run(nil)
			if r.code != c.code {
				t.Fatalf("exit %d, want %d\n%s", r.code, c.code, r.stderr)
			}
			if c.text != "" && !strings.Contains(r.stderr, c.text) {
				t.Errorf("logs lack %q:\n%s", c.text, r.stderr)
			}
		})
	}
}

// TestMetricsPush: a run pushes its metrics to an (emulated) Pushgateway and
// writes the textfile; both parse with prometheus/common. A Pushgateway that
// fails does not change the exit code.
func TestMetricsPush(t *testing.T) {
	gw := &pushgateway.Gateway{}
	srv := httptest.NewServer(gw)
	defer srv.Close()
	h := newHarness(t, cloudsim.DefaultSpec(), cloudsim.Options{})
	h.writeRuntimeConfig("profileName: trustjob-runner", "60s",
		fmt.Sprintf("metrics: {pushgateway: {url: %q, job: nightly}, textfile: {}}", srv.URL))
	r := h.run(nil)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	pushes := gw.Pushes()
	if len(pushes) != 2 {
		t.Fatalf("%d pushes, want 2 (run, last success)", len(pushes))
	}
	run := gw.Group(map[string]string{"job": "nightly", metrics.GroupLabel: metrics.GroupRun})
	for _, name := range []string{metrics.RunExitCode, metrics.RunTokenExchanges, metrics.TaskDuration, metrics.TaskRows, metrics.TaskRequests, metrics.TaskStatus} {
		if _, ok := run[name]; !ok {
			t.Errorf("pushed metrics lack %s", name)
		}
	}
	if v := run[metrics.RunTokenExchanges].GetMetric()[0].GetGauge().GetValue(); v != 1 {
		t.Errorf("pushed token exchanges = %v", v)
	}
	tf, ok := r.files["trustjob.prom"]
	if !ok {
		t.Fatalf("no textfile; files %v", keys(r.files))
	}
	if _, err := metrics.Parse(tf); err != nil {
		t.Errorf("textfile does not parse: %v", err)
	}

	gw.SetFail(500)
	r = h.run(nil)
	if r.code != 0 {
		t.Errorf("a failing Pushgateway changed the exit code to %d", r.code)
	}
	if len(r.logged("cannot push metrics to the Pushgateway; the run's outcome is unchanged")) != 1 {
		t.Errorf("the failed push was not logged once:\n%s", r.stderr)
	}
}

// TestRuntimeVPCMounted: the emulator itself serves the metadata service
// (cloudsim.Services), so `trustjob sim`'s environment covers VPC sign-in with
// only TRUSTJOB_COMPUTE_RESOURCE and a profile ID added.
func TestRuntimeVPCMounted(t *testing.T) {
	h := newHarness(t, cloudsim.DefaultSpec(), cloudsim.Options{})
	if h.env["TRUSTJOB_METADATA_URL"] == "" {
		t.Fatal("the emulator's environment has no TRUSTJOB_METADATA_URL")
	}
	delete(h.env, "TRUSTJOB_PROFILE_NAME")
	delete(h.env, "TRUSTJOB_CR_TOKEN_FILE")
	h.env["TRUSTJOB_PROFILE_ID"] = h.l.ProfileID
	h.env["TRUSTJOB_COMPUTE_RESOURCE"] = "vpc"
	h.writeRuntimeConfig("", "60s", "")
	r := h.run(nil)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if n := summaryNumber(t, r, "token_exchanges"); n != 1 {
		t.Errorf("token_exchanges = %v, want 1", n)
	}
	if got := len(entries(h, vpcmeta.ServiceName)); got != 2 {
		t.Errorf("%d metadata requests in the emulator's log, want 2", got)
	}
}

// TestDemoRuntimes: `trustjob demo --compute-resource` signs in the Code
// Engine and the VPC way against the built-in emulator.
func TestDemoRuntimes(t *testing.T) {
	for rt, want := range map[string]string{"code-engine": "iam-token 1", "vpc": "vpc-metadata 2"} {
		t.Run(rt, func(t *testing.T) {
			out := t.TempDir()
			cmd := exec.Command(binary, "demo", "--compute-resource", rt, "--output-dir", out)
			cmd.Dir = t.TempDir()
			b, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("trustjob demo --compute-resource %s: %v\n%s", rt, err, b)
			}
			for _, w := range []string{"exit code 0", want} {
				if !strings.Contains(string(b), w) {
					t.Errorf("demo output lacks %q", w)
				}
			}
			if !regexp.MustCompile(`"token_exchanges": ?1[,}\s]`).Match(b) {
				t.Errorf("demo output does not show one token exchange:\n%s", b)
			}
			for _, f := range leaks(&result{stdout: string(b), files: readTree(out)}, nil) {
				t.Errorf("LEAK: %s", f)
			}
		})
	}
}
