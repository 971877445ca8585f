package controlplane

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/trustjob/trustjob/internal/cloudsim"
	"github.com/trustjob/trustjob/internal/exitcode"
)

// TestIndexedJob applies manifests/overlays/enterprise-indexed to a real
// control plane, lets the real Job controller create the Indexed Job's three
// pods (each with its JOB_COMPLETION_INDEX), and runs each pod's container
// as the kubelet would, in parallel, against an emulated enterprise of nine
// accounts whose trusted profiles link to this cluster's real signing keys
// across accounts. One account's link lacks is_cross_account: only its index
// exits 77 (FailIndex), naming the account and the fix; `trustjob rollup`
// over the three pods' folders gives the enterprise view.
func TestIndexedJob(t *testing.T) {
	const accounts, bad, indexes = 9, 4, 3
	bin := lookupBinaries(t)
	start := time.Now()
	c := startCluster(t, bin)
	c.mustKubectl(t, "apply", "-k", filepath.Join(repoRoot, "manifests", "overlays", "enterprise-indexed"))

	var discovery struct {
		Issuer string `json:"issuer"`
	}
	if err := json.Unmarshal([]byte(c.mustKubectl(t, "get", "--raw", "/.well-known/openid-configuration")), &discovery); err != nil {
		t.Fatal(err)
	}
	jwks := c.mustKubectl(t, "get", "--raw", "/openid/v1/jwks")
	spec := cloudsim.DefaultEnterpriseSpec()
	spec.Accounts, spec.Suspended, spec.NotCrossAccount = accounts, 0, []int{bad}
	spec.Hub.Namespace, spec.Hub.ServiceAccount = namespace, saName
	spec.Cluster = &cloudsim.Cluster{ID: clusterID, Name: "e2e", Issuer: discovery.Issuer, JWKS: jwks}
	ent, err := cloudsim.NewEnterprise(spec, cloudsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := ent.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ent.Close() })

	// The overlay's configuration with the emulated accounts as targets.
	var cfg strings.Builder
	fmt.Fprint(&cfg, `apiVersion: trustjob/v1
kind: Config
auth:
  crTokenFile: /var/run/secrets/tokens/sa-token
schedule: "17 3 * * *"
timeZone: Etc/UTC
deadline: 50m
parallelTargets: 2
output:
  dir: /reports
  formats: [jsonl, html]
tasks:
  - name: inventory
    type: inventory
targets:
`)
	for _, ch := range ent.Children {
		fmt.Fprintf(&cfg, "  - {account: %s, name: %s, profileID: %s}\n", ch.ID, ch.Name, ch.ProfileID)
	}
	cfgPath := filepath.Join(t.TempDir(), "config.yaml")
	writeFile(t, cfgPath, cfg.String())
	cm := c.mustKubectl(t, "-n", namespace, "create", "configmap", "trustjob-config", "--from-file=config.yaml="+cfgPath,
		"--dry-run=client", "-o", "yaml")
	if out, err := c.kubectlStdin([]byte(cm), "apply", "-f", "-"); err != nil {
		t.Fatalf("replace the ConfigMap: %v\n%s", err, out)
	}

	c.mustKubectl(t, "-n", namespace, "create", "job", "e2e-indexed", "--from=cronjob/trustjob")
	job := c.mustKubectl(t, "-n", namespace, "get", "job", "e2e-indexed", "-o",
		"jsonpath={.spec.completionMode} {.spec.completions} {.spec.parallelism} {.spec.backoffLimitPerIndex} {.spec.podFailurePolicy.rules[0].action}")
	if strings.TrimSpace(job) != "Indexed 3 3 1 FailIndex" {
		t.Errorf("Job spec: %q, want Indexed 3 3 1 FailIndex", job)
	}
	pods := waitForPods(t, c, namespace, "e2e-indexed", indexes)
	t.Logf("%d Pods admitted (%s since start)", len(pods), time.Since(start).Round(time.Millisecond))

	env := ent.Env() // the IAM and service URLs, the allowed host; not the token file
	type result struct {
		index string
		res   runResult
		dir   string
	}
	results := make([]result, len(pods))
	runs := make([]*podRun, len(pods))
	for i, p := range pods {
		runs[i] = layoutPod(t, c, p, container)
	}
	began := time.Now()
	var wg sync.WaitGroup
	for i, p := range pods {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = result{index: p.Annotations["batch.kubernetes.io/job-completion-index"], res: runs[i].run(t, bin.trustjob, env),
				dir: runs[i].hostPaths("/reports")}
		}()
	}
	wg.Wait()
	t.Logf("3 indexes ran in parallel in %s", time.Since(began).Round(time.Millisecond))

	badID := ent.Children[bad].ID
	seen := map[string]int{}
	var dirs []string
	for _, r := range results {
		dirs = append(dirs, r.dir)
		want := exitcode.OK
		if r.index == fmt.Sprint(bad%indexes) {
			want = exitcode.NoPerm
			if !strings.Contains(r.res.output, badID) || !strings.Contains(r.res.output, "is_cross_account") {
				t.Errorf("index %s: the failure does not name account %s and the fix:\n%s", r.index, badID, r.res.output)
			}
		}
		if r.res.code != want {
			t.Errorf("index %s: exit %d, want %d:\n%s", r.index, r.res.code, want, r.res.output)
		}
		entries, err := os.ReadDir(r.dir)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range entries {
			if id, ok := strings.CutPrefix(e.Name(), "account="); ok {
				seen[id]++
				n++
			}
		}
		if n != accounts/indexes {
			t.Errorf("index %s wrote %d account folders, want %d", r.index, n, accounts/indexes)
		}
	}
	for _, ch := range ent.Children {
		if seen[ch.ID] != 1 {
			t.Errorf("account %s ran in %d indexes, want 1", ch.ID, seen[ch.ID])
		}
	}

	out := t.TempDir()
	cmd := exec.Command(bin.trustjob, append([]string{"rollup", "--fail", "--output-dir", out}, dirs...)...)
	b, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == exitcode.NoPerm) {
		t.Fatalf("trustjob rollup: %v\n%s", err, b)
	}
	if !strings.Contains(string(b), fmt.Sprintf("%d accounts", accounts)) || !strings.Contains(string(b), badID) {
		t.Errorf("rollup output:\n%s", b)
	}
	var view struct {
		Totals struct {
			Accounts int            `json:"accounts"`
			ByStatus map[string]int `json:"by_status"`
		} `json:"totals"`
	}
	data, err := os.ReadFile(filepath.Join(out, "rollup.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &view); err != nil {
		t.Fatal(err)
	}
	if view.Totals.Accounts != accounts || view.Totals.ByStatus["permission-denied"] != 1 || view.Totals.ByStatus["succeeded"] != accounts-1 {
		t.Errorf("roll-up totals %+v", view.Totals)
	}
	if got := ent.Count(cloudsim.ServiceIAMToken); got != accounts {
		t.Errorf("%d token exchanges, want %d (one per target)", got, accounts)
	}
	t.Logf("indexed-job test finished in %s", time.Since(start).Round(time.Millisecond))
}

// waitForPods waits until the Job has n Pods and returns them by index.
func waitForPods(t *testing.T, c *cluster, ns, job string, n int) []*corev1.Pod {
	t.Helper()
	var pods []*corev1.Pod
	waitFor(t, fmt.Sprintf("%d Pods of Job %s", n, job), 90*time.Second, func() error {
		out, err := c.kubectl("-n", ns, "get", "pods", "-l", "batch.kubernetes.io/job-name="+job, "-o", "json")
		if err != nil {
			return err
		}
		var list corev1.PodList
		if err := json.Unmarshal([]byte(out), &list); err != nil {
			return err
		}
		if len(list.Items) < n {
			return fmt.Errorf("%d Pods so far", len(list.Items))
		}
		pods = pods[:0]
		for i := range list.Items {
			p := list.Items[i]
			if p.Annotations["batch.kubernetes.io/job-completion-index"] == "" {
				return fmt.Errorf("pod %s has no completion index", p.Name)
			}
			pods = append(pods, &p)
		}
		return nil
	})
	return pods
}
