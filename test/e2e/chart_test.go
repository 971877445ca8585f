package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/trustjob/trustjob/internal/config"
	"github.com/trustjob/trustjob/tasks"
	"github.com/trustjob/trustjob/tasks/builtin"
)

const chartDir = "charts/trustjob"

// kubeVersion is the cluster version helm template assumes: a helm built
// with go install knows no default above v1.20, below the chart's
// kubeVersion (podFailurePolicy and timeZone need newer clusters).
const kubeVersion = "1.34.0"

// helmPath is the helm the tests run: $HELM, else the one on PATH. Without
// one the chart tests skip, unless TRUSTJOB_REQUIRE_HELM=1 (CI) makes that a
// failure.
func helmPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("HELM"); p != "" {
		return p
	}
	p, err := exec.LookPath("helm")
	if err != nil {
		if os.Getenv("TRUSTJOB_REQUIRE_HELM") == "1" {
			t.Fatal("helm not found and TRUSTJOB_REQUIRE_HELM=1: go install helm.sh/helm/v3/cmd/helm@v3.22.0")
		}
		t.Skip("helm not found: set HELM or run test/e2e/run.sh, which installs it")
	}
	return p
}

// helmTemplate renders the chart as `helm install trustjob -n trustjob` would.
func helmTemplate(t *testing.T, args ...string) []byte {
	t.Helper()
	var stderr bytes.Buffer
	cmd := exec.Command(helmPath(t), append([]string{"template", "trustjob", repoRoot + "/" + chartDir, "--namespace", "trustjob", "--kube-version", kubeVersion}, args...)...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helm template %v: %v\n%s", args, err, stderr.String())
	}
	return out
}

// byKind indexes decoded objects by kind (each kind once in these sources).
func byKind(t *testing.T, objs []runtime.Object) map[string]runtime.Object {
	t.Helper()
	m := map[string]runtime.Object{}
	for _, o := range objs {
		k := o.GetObjectKind().GroupVersionKind().Kind
		if _, dup := m[k]; dup {
			t.Fatalf("two %s objects", k)
		}
		m[k] = o
	}
	return m
}

// dropLabels clears what the comparison ignores: labels (Helm and kustomize
// each add their own) wherever they sit, and the type metadata.
func dropLabels(o runtime.Object) runtime.Object {
	o = o.DeepCopyObject()
	clear := func(m *metav1.ObjectMeta) { m.Labels = nil }
	switch v := o.(type) {
	case *batchv1.CronJob:
		clear(&v.ObjectMeta)
		clear(&v.Spec.JobTemplate.ObjectMeta)
		clear(&v.Spec.JobTemplate.Spec.Template.ObjectMeta)
	case *batchv1.Job:
		clear(&v.ObjectMeta)
		clear(&v.Spec.Template.ObjectMeta)
	case *corev1.ServiceAccount:
		clear(&v.ObjectMeta)
	case *networkingv1.NetworkPolicy:
		clear(&v.ObjectMeta)
	case *corev1.ConfigMap:
		clear(&v.ObjectMeta)
	}
	return o
}

// TestChartMatchesKustomizeBase: one source of truth for the field choices.
// `helm template` with default values renders the same CronJob,
// ServiceAccount, NetworkPolicy and ConfigMap as `kubectl kustomize
// manifests/base`, labels aside; the configuration is compared as YAML
// values (the base's file carries comments).
func TestChartMatchesKustomizeBase(t *testing.T) {
	chart := byKind(t, decodeStrict(t, chartDir, helmTemplate(t)))
	base := byKind(t, decodeStrict(t, "manifests/base", renderSource(t, "manifests/base")))
	if len(chart) != 4 {
		t.Errorf("the chart renders %d kinds, want CronJob, ServiceAccount, NetworkPolicy, ConfigMap", len(chart))
	}
	for _, kind := range []string{"CronJob", "ServiceAccount", "NetworkPolicy", "ConfigMap"} {
		c, b := chart[kind], base[kind]
		if c == nil || b == nil {
			t.Errorf("%s: chart has %v, base has %v", kind, c != nil, b != nil)
			continue
		}
		if kind == "ConfigMap" {
			cc, bc := c.(*corev1.ConfigMap), b.(*corev1.ConfigMap)
			if cc.Name != bc.Name || cc.Namespace != bc.Namespace {
				t.Errorf("ConfigMap %s/%s, base %s/%s", cc.Namespace, cc.Name, bc.Namespace, bc.Name)
			}
			var cv, bv any
			if err := yaml.Unmarshal([]byte(cc.Data["config.yaml"]), &cv); err != nil {
				t.Fatal(err)
			}
			if err := yaml.Unmarshal([]byte(bc.Data["config.yaml"]), &bv); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(cv, bv) {
				t.Errorf("config.yaml differs:\nchart: %v\nbase:  %v", cv, bv)
			}
			continue
		}
		if !equality.Semantic.DeepEqual(dropLabels(c), dropLabels(b)) {
			t.Errorf("%s differs from manifests/base (labels aside):\nchart: %+v\nbase:  %+v", kind, dropLabels(c), dropLabels(b))
		}
	}
}

// TestChartConfigLoads: the ConfigMap the chart renders, for the default
// values and for values using every section, loads with trustjob's own
// loader and task registry.
func TestChartConfigLoads(t *testing.T) {
	reg := tasks.NewRegistry()
	builtin.Register(reg)
	for name, args := range map[string][]string{
		"defaults": nil,
		"indexed targets": {"--set", "indexed.enabled=true", "--set", "config.parallelTargets=8",
			"--set-json", `config.targets=[{"account":"0a1b2c3d4e5f60718293a4b5c6d7e8f9","name":"prod","profileID":"Profile-9f0c3e1a-52b7-4d8e-a6f1-0b2c4d6e8f10"}]`},
		"metrics and private endpoints": {"--set", "config.endpoints=private", "--set", "config.privateRegion=us-south", "--set", "config.metrics.pushgateway.url=http://pushgateway.monitoring.svc:9091",
			"--set", "config.metrics.textfile.path=trustjob.prom", "--set", "config.auth.profileName=null", "--set", "config.auth.profileID=Profile-9f0c3e1a-52b7-4d8e-a6f1-0b2c4d6e8f10"},
	} {
		t.Run(name, func(t *testing.T) {
			cm := byKind(t, decodeStrict(t, chartDir, helmTemplate(t, args...)))["ConfigMap"].(*corev1.ConfigMap)
			if _, err := config.Parse("configmap/config.yaml", []byte(cm.Data["config.yaml"]), reg, nil); err != nil {
				t.Errorf("%v\n%s", err, cm.Data["config.yaml"])
			}
		})
	}
}

// TestChartOptions: the one-off Job is the CronJob's pod with --task; a
// claim replaces the emptyDir; extra egress is appended.
func TestChartOptions(t *testing.T) {
	objs := decodeStrict(t, chartDir, helmTemplate(t, "--set", "oneOffJob.enabled=true",
		"--set", "reports.existingClaim=trustjob-reports", "--set", "image.digest=sha256:"+strings.Repeat("ab", 32),
		"--set-json", `networkPolicy.extraEgress=[{"ports":[{"protocol":"TCP","port":9091}]}]`))
	k := byKind(t, objs)
	cj, job := k["CronJob"].(*batchv1.CronJob), k["Job"].(*batchv1.Job)
	if job == nil || cj == nil {
		t.Fatal("no Job or CronJob")
	}
	jp, cp := job.Spec.Template.Spec.DeepCopy(), cj.Spec.JobTemplate.Spec.Template.Spec.DeepCopy()
	args := jp.Containers[0].Args
	if n := len(args); n < 2 || args[n-2] != "--task" || args[n-1] != "inactive-identities" {
		t.Errorf("one-off Job args %v", args)
	}
	jp.Containers[0].Args = cp.Containers[0].Args
	if !equality.Semantic.DeepEqual(jp, cp) {
		t.Errorf("the one-off Job's pod differs from the CronJob's beyond --task")
	}
	if job.Spec.TTLSecondsAfterFinished == nil {
		t.Error("the one-off Job has no ttlSecondsAfterFinished")
	}
	var claim string
	for _, v := range cp.Volumes {
		if v.Name == "reports" && v.PersistentVolumeClaim != nil {
			claim = v.PersistentVolumeClaim.ClaimName
		}
	}
	if claim != "trustjob-reports" {
		t.Errorf("reports volume claim %q", claim)
	}
	if img := cp.Containers[0].Image; !strings.Contains(img, "@sha256:") {
		t.Errorf("image %q is not pinned by digest", img)
	}
	np := k["NetworkPolicy"].(*networkingv1.NetworkPolicy)
	if len(np.Spec.Egress) != 3 {
		t.Errorf("egress rules %d, want 3 (DNS, HTTPS, the extra)", len(np.Spec.Egress))
	}
}

// TestChartIndexed: indexed.enabled turns the CronJob's Job into the
// Indexed Job of manifests/overlays/enterprise-indexed: completions,
// parallelism, retries per index and no Job-wide limit, FailIndex on 77/78,
// TRUSTJOB_SHARDS = completions.
func TestChartIndexed(t *testing.T) {
	cj := byKind(t, decodeStrict(t, chartDir, helmTemplate(t, "--set", "indexed.enabled=true", "--set", "indexed.completions=5",
		"--set", "indexed.parallelism=2")))["CronJob"].(*batchv1.CronJob)
	js := cj.Spec.JobTemplate.Spec
	if js.CompletionMode == nil || *js.CompletionMode != batchv1.IndexedCompletion || js.Completions == nil || *js.Completions != 5 ||
		js.Parallelism == nil || *js.Parallelism != 2 || js.BackoffLimitPerIndex == nil || *js.BackoffLimitPerIndex != 1 || js.BackoffLimit != nil {
		t.Errorf("job spec: mode %v completions %v parallelism %v backoffLimitPerIndex %v backoffLimit %v",
			js.CompletionMode, js.Completions, js.Parallelism, js.BackoffLimitPerIndex, js.BackoffLimit)
	}
	if r := js.PodFailurePolicy.Rules[0]; r.Action != batchv1.PodFailurePolicyActionFailIndex {
		t.Errorf("first podFailurePolicy rule %s, want FailIndex", r.Action)
	}
	shards := ""
	for _, e := range js.Template.Spec.Containers[0].Env {
		if e.Name == "TRUSTJOB_SHARDS" {
			shards = e.Value
		}
	}
	if shards != "5" {
		t.Errorf("TRUSTJOB_SHARDS %q, want 5", shards)
	}
}

// TestChartSchemaRefuses: values.schema.json stops what trustjob would refuse
// anyway, at `helm install` time: an API key, an unknown key, a bad format.
func TestChartSchemaRefuses(t *testing.T) {
	for name, set := range map[string]string{
		"API key":              "config.auth.apikey=x",
		"unknown output key":   "config.output.directory=/r",
		"unknown format":       "config.output.formats={xml}",
		"token lives too long": "token.expirationSeconds=7200",
		"other compute":        "config.auth.computeResource=vpc",
		"profile name and ID":  "config.auth.profileID=Profile-1",
	} {
		t.Run(name, func(t *testing.T) {
			cmd := exec.Command(helmPath(t), "template", "trustjob", repoRoot+"/"+chartDir, "--kube-version", kubeVersion, "--set", set)
			out, err := cmd.CombinedOutput()
			if err == nil || !strings.Contains(string(out), "schema") {
				t.Errorf("helm template --set %s: err %v\n%s", set, err, out)
			}
		})
	}
}
