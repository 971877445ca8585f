// Package controlplane is trustjob's end-to-end test on a real Kubernetes
// control plane. test/e2e/run.sh control-plane builds what it needs and runs it.
package controlplane

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/trustjob/trustjob/internal/cloudsim"
	"github.com/trustjob/trustjob/internal/exitcode"
)

const (
	namespace   = "trustjob" // manifests/base
	saName      = "trustjob"
	container   = "trustjob"
	profileName = "trustjob-runner" // manifests/base/config.yaml auth.profileName
	accountID   = "0e2e0e2e0e2e0e2e0e2e0e2e0e2e0e2e"
	clusterID   = "ce2ecluster0000000001"
)

// TestControlPlane applies the manifests to a real kube-apiserver whose
// namespace enforces the restricted Pod Security profile, lets the real Job
// controller create the CronJob's Pod, and runs that Pod's container the way
// the kubelet would, against the emulator's IAM trusting this cluster's real
// service-account signing keys.
func TestControlPlane(t *testing.T) {
	bin := lookupBinaries(t)
	start := time.Now()
	c := startCluster(t, bin)

	// The manifests, as a user applies them.
	c.mustKubectl(t, "apply", "-k", filepath.Join(repoRoot, "manifests", "base"))
	t.Run("namespace enforces restricted", func(t *testing.T) {
		_, err := c.kubectl("-n", namespace, "run", "psa-probe", "--image=busybox", "--restart=Never", "--dry-run=server")
		if err == nil || !strings.Contains(err.Error(), `violates PodSecurity "restricted`) {
			t.Fatalf("a pod without a security context was not refused by Pod Security: %v", err)
		}
	})

	world := emulatorWorld(t, c)
	sim := cloudsim.New(world, cloudsim.Options{})
	if err := sim.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	env := sim.Env("")

	// kubectl create job --from=cronjob/trustjob: the Job controller creates
	// the Pod, and admission (Pod Security restricted) lets it in.
	c.mustKubectl(t, "-n", namespace, "create", "job", "e2e-run", "--from=cronjob/trustjob")
	pod := waitForPod(t, c, namespace, "e2e-run")
	t.Logf("Pod %s admitted (%s since start)", pod.Name, time.Since(start).Round(time.Millisecond))
	r := layoutPod(t, c, pod, container)

	t.Run("trusted pod signs in and runs", func(t *testing.T) {
		res := r.run(t, bin.trustjob, env)
		if res.code != exitcode.OK {
			t.Fatalf("exit %d, want 0; output:\n%s", res.code, res.output)
		}
		checkSummary(t, r)
		checkNoTokenLeak(t, r, res)
	})

	// The same run with the token of a workload the profile does not trust.
	untrusted := map[string][2]string{
		"other service account": {namespace, "intruder"},
		"other namespace":       {"e2e-other", saName},
	}
	c.mustKubectl(t, "create", "namespace", "e2e-other")
	c.mustKubectl(t, "-n", namespace, "create", "serviceaccount", "intruder")
	c.mustKubectl(t, "-n", "e2e-other", "create", "serviceaccount", saName)
	for name, who := range untrusted {
		t.Run(name+" is refused", func(t *testing.T) {
			r.rotateToken(t, r.requestToken(t, c, who[0], who[1], ""))
			res := r.run(t, bin.trustjob, env)
			if res.code != exitcode.NoPerm {
				t.Fatalf("exit %d, want %d; output:\n%s", res.code, exitcode.NoPerm, res.output)
			}
			checkTrustExplanation(t, res, who[0], who[1])
			checkNoTokenLeak(t, r, res)
		})
	}

	// The one-off Job of manifests/job (one task through --task).
	t.Run("one-off Job", func(t *testing.T) {
		out := c.mustKubectl(t, "create", "-f", filepath.Join(repoRoot, "manifests", "job", "job.yaml"), "-o", "name")
		job := strings.TrimPrefix(strings.TrimSpace(out), "job.batch/")
		pod := waitForPod(t, c, namespace, job)
		r := layoutPod(t, c, pod, container)
		res := r.run(t, bin.trustjob, env)
		if res.code != exitcode.OK {
			t.Fatalf("exit %d, want 0; output:\n%s", res.code, res.output)
		}
	})
	t.Logf("control-plane test finished in %s", time.Since(start).Round(time.Millisecond))
}

// emulatorWorld builds the emulated account: the runner profile trusts this
// cluster (its real issuer and JWKS) for namespace trustjob and service
// account trustjob, and nothing else.
func emulatorWorld(t *testing.T, c *cluster) *cloudsim.World {
	t.Helper()
	var discovery struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.Unmarshal([]byte(c.mustKubectl(t, "get", "--raw", "/.well-known/openid-configuration")), &discovery); err != nil {
		t.Fatal(err)
	}
	jwks := c.mustKubectl(t, "get", "--raw", "/openid/v1/jwks")
	crn := "crn:v1:bluemix:public:containers-kubernetes:us-south:a/" + accountID + ":" + clusterID + "::"
	fx := cloudsim.Fixture{
		Generate: cloudsim.Spec{
			Seed: 6, AccountID: accountID, Namespace: namespace, ServiceAccount: saName, ProfileName: profileName,
			Instances: 40, Groups: 3, Users: 8, ServiceIDs: 4, APIKeys: 8, Profiles: 2, InactiveShare: 0.4, AccessGroups: 2,
		},
		IAM: cloudsim.IAMFixture{
			Clusters: []cloudsim.Cluster{{ID: clusterID, Name: "e2e", CRN: crn, Issuer: discovery.Issuer, JWKS: jwks}},
			Profiles: []cloudsim.ProfileFixture{{
				Profile: cloudsim.Profile{Name: profileName, Links: []*cloudsim.Link{{
					Name: "e2e-trustjob", CRType: "IKS_SA", CRN: crn, Namespace: namespace, ServiceAccount: saName,
				}}},
				ReplaceTrust: true,
			}},
		},
		// The profile may do what the manifests' tasks need; this test is
		// about trust, the failure suite covers missing permissions.
		Grants: []string{"*"},
	}
	data, err := yaml.Marshal(fx)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "fixture.yaml")
	writeFile(t, path, string(data))
	w, err := cloudsim.LoadFixture(path)
	if err != nil {
		t.Fatalf("emulator fixture: %v", err)
	}
	t.Logf("emulator IAM trusts issuer %s (%d bytes of JWKS), profile %s -> %s/%s", discovery.Issuer, len(jwks), profileName, namespace, saName)
	return w
}

// checkSummary reads run-summary.json from the Pod's output directory.
func checkSummary(t *testing.T, r *podRun) {
	t.Helper()
	var dir string
	for _, m := range r.mounts {
		if m[0] == "/reports" {
			dir = m[1]
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, "run-summary.json"))
	if err != nil {
		t.Fatalf("run summary: %v", err)
	}
	var sum map[string]any
	if err := json.Unmarshal(data, &sum); err != nil {
		t.Fatalf("run summary: %v", err)
	}
	t.Logf("run-summary.json: %d bytes, keys %v", len(data), keysOf(sum))
}

// checkTrustExplanation: a refused workload gets an explanation that names
// the trust problem and the workload, not just a status code.
func checkTrustExplanation(t *testing.T, res runResult, ns, sa string) {
	t.Helper()
	out := strings.ToLower(res.output)
	if !strings.Contains(out, "trust") {
		t.Errorf("exit 77 without an explanation of the trust problem:\n%s", res.output)
	}
	if !strings.Contains(res.output, ns) || !strings.Contains(res.output, sa) {
		t.Errorf("the explanation does not name the workload %s/%s:\n%s", ns, sa, res.output)
	}
}

// checkNoTokenLeak: neither the service-account token nor its signature part
// appears in the output or the reports.
func checkNoTokenLeak(t *testing.T, r *podRun, res runResult) {
	t.Helper()
	tok, err := os.ReadFile(r.tokenFile)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(strings.TrimSpace(string(tok)), ".")
	if len(parts) != 3 {
		t.Fatalf("token file does not hold a JWT")
	}
	if strings.Contains(res.output, parts[2]) {
		t.Error("the service-account token appears in trustjob's output")
	}
}

func keysOf(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}
