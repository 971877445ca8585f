package controlplane

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trustjob/trustjob/internal/cloudsim"
	"github.com/trustjob/trustjob/internal/exitcode"
)

// TestHelmInstall installs charts/trustjob with `helm install` into a
// namespace that enforces Pod Security restricted, creates a Job from the
// chart's CronJob, lets the Job controller create its Pod (admission must let
// it in), and runs that Pod's container as the kubelet would against the
// emulator: the chart's pod signs in and runs. Needs HELM (run.sh sets it).
func TestHelmInstall(t *testing.T) {
	bin := lookupBinaries(t)
	helm := os.Getenv("HELM")
	if helm == "" {
		t.Skip("helm install test: set HELM; test/e2e/run.sh control-plane does")
	}
	start := time.Now()
	c := startCluster(t, bin)
	c.mustKubectl(t, "create", "namespace", namespace)
	c.mustKubectl(t, "label", "namespace", namespace,
		"pod-security.kubernetes.io/enforce=restricted", "pod-security.kubernetes.io/enforce-version=v1.34")

	var stderr bytes.Buffer
	cmd := exec.Command(helm, "install", "trustjob", filepath.Join(repoRoot, "charts", "trustjob"),
		"--namespace", namespace, "--kubeconfig", c.kubeconfig, "--wait=false",
		"--set", "oneOffJob.enabled=true")
	cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+t.TempDir(), "HELM_CONFIG_HOME="+t.TempDir(), "HELM_DATA_HOME="+t.TempDir())
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helm install: %v\n%s\n%s", err, out, stderr.String())
	}
	if !strings.Contains(string(out), "create job --from=cronjob/trustjob") {
		t.Errorf("NOTES lack the create-job line:\n%s", out)
	}
	t.Logf("helm install: deployed in %s", time.Since(start).Round(time.Millisecond))

	world := emulatorWorld(t, c)
	sim := cloudsim.New(world, cloudsim.Options{})
	if err := sim.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	env := sim.Env("")

	t.Run("Job from the chart's CronJob is admitted and signs in", func(t *testing.T) {
		c.mustKubectl(t, "-n", namespace, "create", "job", "helm-run", "--from=cronjob/trustjob")
		pod := waitForPod(t, c, namespace, "helm-run")
		r := layoutPod(t, c, pod, container)
		res := r.run(t, bin.trustjob, env)
		if res.code != exitcode.OK {
			t.Fatalf("exit %d, want 0; output:\n%s", res.code, res.output)
		}
		checkSummary(t, r)
		checkNoTokenLeak(t, r, res)
	})
	t.Run("the chart's one-off Job is admitted", func(t *testing.T) {
		pod := waitForPod(t, c, namespace, "trustjob-once-r1")
		r := layoutPod(t, c, pod, container)
		res := r.run(t, bin.trustjob, env)
		if res.code != exitcode.OK {
			t.Fatalf("exit %d, want 0; output:\n%s", res.code, res.output)
		}
	})
	t.Logf("helm control-plane test finished in %s", time.Since(start).Round(time.Millisecond))
}
