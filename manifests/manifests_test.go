// Package manifests_test checks the Kubernetes manifests against the contracts
// the binary lives by: the exit codes podFailurePolicy acts on, the token and
// configuration paths, the restricted Pod Security profile, and the
// configuration itself (loaded with the product's own loader).
package manifests_test

import (
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trustjob/trustjob/internal/config"
	"github.com/trustjob/trustjob/internal/exitcode"
)

// kustomizations are the directories `kubectl apply -k` is documented for.
var kustomizations = []string{"base", "overlays/private-endpoints", "overlays/example-account", "overlays/cos", "overlays/enterprise-indexed"}

const (
	namespace     = "trustjob"
	saName        = "trustjob"
	containerName = "trustjob"
	nonrootID     = 65532 // distroless nonroot, the Dockerfile's USER
)

func TestKustomizations(t *testing.T) {
	for _, dir := range kustomizations {
		t.Run(dir, func(t *testing.T) {
			objs := render(t, dir)
			checkNoSecrets(t, objs)
			checkNamespace(t, objs)
			checkServiceAccount(t, objs)
			checkNetworkPolicy(t, objs)

			cj, ok := find(objs, "CronJob", "trustjob")
			if !ok {
				t.Fatal("no CronJob trustjob")
			}
			spec := decodeSpec[cronJobSpec](t, cj)
			checkCronJob(t, spec)
			cfg := checkJob(t, cj.id(), spec.JobTemplate.Spec, objs)
			if cfg == nil {
				return
			}
			// The configuration's own schedule decides which tasks are due in
			// this run's window, so it must be the CronJob's.
			if cfg.Schedule != spec.Schedule {
				t.Errorf("config schedule %q != CronJob schedule %q", cfg.Schedule, spec.Schedule)
			}
			if spec.TimeZone == nil || cfg.TimeZone != *spec.TimeZone {
				t.Errorf("config timeZone %q != CronJob timeZone %v", cfg.TimeZone, deref(spec.TimeZone))
			}
		})
	}
}

// TestOneOffJob checks manifests/job/job.yaml: a Job whose pod is the
// CronJob's, running one configured task.
func TestOneOffJob(t *testing.T) {
	base := render(t, "base")
	objs := readManifest(t, "job/job.yaml")
	if len(objs) != 1 || objs[0].Kind != "Job" {
		t.Fatalf("job/job.yaml: want one Job, got %d objects", len(objs))
	}
	job := objs[0]
	if job.Metadata.Namespace != namespace {
		t.Errorf("Job namespace %q, want %q", job.Metadata.Namespace, namespace)
	}
	js := decodeSpec[jobSpec](t, job)
	if js.TTLSecondsAfterFinished == nil || *js.TTLSecondsAfterFinished <= 0 {
		t.Error("one-off Job: ttlSecondsAfterFinished must be set, so finished Jobs are cleaned up")
	}
	cfg := checkJob(t, job.id(), js, base)

	// The same pod as the CronJob's, apart from --task.
	cj, _ := find(base, "CronJob", "trustjob")
	cjPod := decodeSpec[cronJobSpec](t, cj).JobTemplate.Spec.Template.Spec
	jobPod := js.Template.Spec
	args := jobPod.Containers[0].Args
	i := slices.Index(args, "--task")
	if i < 0 || i+1 >= len(args) {
		t.Fatalf("one-off Job args %q: want --task NAME", args)
	}
	task := args[i+1]
	if cfg != nil {
		if _, ok := cfg.TaskByName(task); !ok {
			t.Errorf("one-off Job runs --task %q, which base/config.yaml does not define (tasks: %v)", task, cfg.TaskNames())
		}
	}
	jobPod.Containers[0].Args = slices.Delete(slices.Clone(args), i, i+2)
	gotJSON, _ := json.Marshal(jobPod)
	wantJSON, _ := json.Marshal(cjPod)
	if got, want := string(gotJSON), string(wantJSON); got != want {
		t.Errorf("one-off Job pod differs from the CronJob's (apart from --task):\n job: %s\ncron: %s", got, want)
	}
}

// privateEndpointsBlock replaces the base's `endpoints: public` line.
const privateEndpointsBlock = `# IBM's cloud service endpoints in us-south (Dallas) or us-east (Washington
# DC), the only regions with documented private hosts for Resource Controller,
# Resource Manager and User Management: classic clusters and VPC clusters
# outside the US. A VPC cluster with VPE gateways uses ` + "`endpoints: vpe`" + `
# instead (README, "Private endpoints").
endpoints: private
privateRegion: us-south
`

// TestOverlayConfigs keeps the overlays' configurations in step with the base:
// private-endpoints differs only in `endpoints` and `privateRegion`.
func TestOverlayConfigs(t *testing.T) {
	base := configMapData(t, render(t, "base"))
	private := configMapData(t, render(t, "overlays/private-endpoints"))
	want := strings.Replace(base, "\nendpoints: public\n", "\n"+privateEndpointsBlock, 1)
	if want == base {
		t.Fatal("base/config.yaml has no `endpoints: public` line")
	}
	if private != want {
		t.Errorf("overlays/private-endpoints/config.yaml must be base/config.yaml with `endpoints: private`; got:\n%s", private)
	}
	cfg := loadConfig(t, "overlays/private-endpoints", private)
	if cfg != nil && !cfg.Private() {
		t.Error("private-endpoints overlay: config does not select private endpoints")
	}
}

func configMapData(t *testing.T, objs []object) string {
	t.Helper()
	cm, ok := find(objs, "ConfigMap", "trustjob-config")
	if !ok {
		t.Fatal("no ConfigMap trustjob-config")
	}
	return cm.Data["config.yaml"]
}

func checkCronJob(t *testing.T, s cronJobSpec) {
	t.Helper()
	if _, err := config.ParseSchedule(s.Schedule, time.UTC); err != nil {
		t.Errorf("CronJob schedule %q: %v", s.Schedule, err)
	}
	if strings.HasPrefix(strings.Fields(s.Schedule + " x")[0], "0") {
		t.Errorf("CronJob schedule %q: pick an off-minute, not the full hour", s.Schedule)
	}
	if s.TimeZone == nil || *s.TimeZone == "" {
		t.Error("CronJob: timeZone must be set (otherwise the controller's local zone applies)")
	} else if _, err := time.LoadLocation(*s.TimeZone); err != nil {
		t.Errorf("CronJob timeZone: %v", err)
	}
	if s.ConcurrencyPolicy != "Forbid" {
		t.Errorf("CronJob concurrencyPolicy %q, want Forbid", s.ConcurrencyPolicy)
	}
	if s.StartingDeadlineSeconds == nil || *s.StartingDeadlineSeconds < 10 {
		t.Errorf("CronJob startingDeadlineSeconds %v, want >= 10 (the controller checks every 10s)", deref(s.StartingDeadlineSeconds))
	}
	if s.SuccessfulJobsHistoryLimit == nil || s.FailedJobsHistoryLimit == nil || *s.FailedJobsHistoryLimit < 1 {
		t.Error("CronJob: successfulJobsHistoryLimit and failedJobsHistoryLimit (>= 1) must be set")
	}
	if s.Suspend == nil || *s.Suspend {
		t.Error("CronJob: suspend must be set explicitly to false (the documented kill switch)")
	}
}

// checkJob checks a Job spec (CronJob template or plain Job) and its pod, and
// returns the configuration the pod mounts, loaded by the product's loader.
func checkJob(t *testing.T, id string, js jobSpec, objs []object) *config.Config {
	t.Helper()
	switch {
	case js.CompletionMode == "Indexed":
		checkIndexed(t, id, js)
	case js.BackoffLimit == nil || *js.BackoffLimit > 3:
		t.Errorf("%s: backoffLimit %v, want set and at most 3 (transient errors are retried in-process)", id, deref(js.BackoffLimit))
	}
	if js.PodReplacementPolicy != "Failed" {
		t.Errorf("%s: podReplacementPolicy %q, want Failed", id, js.PodReplacementPolicy)
	}
	checkPodFailurePolicy(t, id, js)

	pod := js.Template.Spec
	checkRestricted(t, id, pod)
	c := pod.Containers[0]
	if pod.RestartPolicy != "Never" {
		t.Errorf("%s: restartPolicy %q, want Never (podFailurePolicy needs it)", id, pod.RestartPolicy)
	}
	if pod.ServiceAccountName != saName {
		t.Errorf("%s: serviceAccountName %q, want %q (never the default service account)", id, pod.ServiceAccountName, saName)
	}
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		t.Errorf("%s: automountServiceAccountToken must be false on the pod", id)
	}
	grace := pod.TerminationGracePeriodSeconds
	if grace == nil || *grace < 30 || *grace > 120 {
		t.Errorf("%s: terminationGracePeriodSeconds %v, want 30..120", id, deref(grace))
	}
	if strings.HasSuffix(c.Image, ":latest") || !regexp.MustCompile(`:[\w.-]+$|@sha256:[0-9a-f]{64}$`).MatchString(c.Image) {
		t.Errorf("%s: image %q must be pinned by tag or digest", id, c.Image)
	}
	for _, r := range []string{"cpu", "memory"} {
		if c.Resources.Requests[r] == "" {
			t.Errorf("%s: container has no %s request", id, r)
		}
	}
	if c.Resources.Limits["memory"] == "" {
		t.Errorf("%s: container has no memory limit", id)
	}
	for _, e := range c.Env {
		if isAPIKeyName(e.Name) {
			t.Errorf("%s: environment variable %s looks like an API key", id, e.Name)
		}
	}

	tokenFile := checkToken(t, id, pod)
	cfg := checkConfigMount(t, id, pod, objs)
	if cfg == nil {
		return nil
	}
	if tokenFile != "" && cfg.Auth.CRTokenFile != tokenFile {
		t.Errorf("%s: config auth.crTokenFile %q, but the token is mounted at %q", id, cfg.Auth.CRTokenFile, tokenFile)
	}
	// trustjob stops itself (and flushes partial reports) before Kubernetes
	// does: deadline + grace period within activeDeadlineSeconds.
	if js.ActiveDeadlineSeconds == nil {
		t.Errorf("%s: activeDeadlineSeconds must be set", id)
	} else if g := graceOf(grace); cfg.Deadline.D()+g > time.Duration(*js.ActiveDeadlineSeconds)*time.Second {
		t.Errorf("%s: activeDeadlineSeconds %d must exceed the config deadline %s plus the grace period %s",
			id, *js.ActiveDeadlineSeconds, cfg.Deadline, g)
	}
	if cfg.Output.Dir != "" && !writableMount(pod, cfg.Output.Dir) {
		t.Errorf("%s: output.dir %s is not a writable volume mount (the root filesystem is read-only)", id, cfg.Output.Dir)
	}
	return cfg
}

// checkPodFailurePolicy: FailJob on exactly exitcode.NotRetryable for the
// trustjob container, Ignore on disruptions.
func checkPodFailurePolicy(t *testing.T, id string, js jobSpec) {
	t.Helper()
	if js.PodFailurePolicy == nil {
		t.Errorf("%s: no podFailurePolicy", id)
		return
	}
	// An Indexed Job fails the index, not the Job: one index's setup
	// problem must not stop the others' targets.
	fail := "FailJob"
	if js.CompletionMode == "Indexed" {
		fail = "FailIndex"
	}
	var failJob, ignoreDisruption bool
	for _, r := range js.PodFailurePolicy.Rules {
		switch {
		case r.Action == fail && r.OnExitCodes != nil:
			failJob = true
			got := slices.Sorted(slices.Values(r.OnExitCodes.Values))
			want := slices.Sorted(slices.Values(exitcode.NotRetryable))
			if !slices.Equal(got, want) || r.OnExitCodes.Operator != "In" || r.OnExitCodes.ContainerName != containerName {
				t.Errorf("%s: FailJob rule %s In %v, want %s In %v (exitcode.NotRetryable)",
					id, r.OnExitCodes.ContainerName, r.OnExitCodes.Values, containerName, want)
			}
		case r.Action == "Ignore":
			for _, c := range r.OnPodConditions {
				ignoreDisruption = ignoreDisruption || c.Type == "DisruptionTarget"
			}
		}
	}
	if !failJob || !ignoreDisruption {
		t.Errorf("%s: podFailurePolicy needs %s on exit codes %v and Ignore on DisruptionTarget", id, fail, exitcode.NotRetryable)
	}
}

// checkIndexed: an Indexed Job retries per index, and tells trustjob how many
// indexes share the targets (TRUSTJOB_SHARDS = completions; Kubernetes sets
// JOB_COMPLETION_INDEX itself).
func checkIndexed(t *testing.T, id string, js jobSpec) {
	t.Helper()
	if js.BackoffLimit != nil {
		t.Errorf("%s: an Indexed Job with backoffLimitPerIndex leaves backoffLimit unset (one index's failures would end the others)", id)
	}
	if js.BackoffLimitPerIndex == nil || *js.BackoffLimitPerIndex > 3 {
		t.Errorf("%s: backoffLimitPerIndex %v, want set and at most 3", id, deref(js.BackoffLimitPerIndex))
	}
	if js.Completions == nil || *js.Completions < 1 {
		t.Fatalf("%s: an Indexed Job needs completions", id)
	}
	shards := ""
	for _, e := range js.Template.Spec.Containers[0].Env {
		if e.Name == "TRUSTJOB_SHARDS" {
			shards = e.Value
		}
	}
	if want := fmt.Sprint(*js.Completions); shards != want {
		t.Errorf("%s: TRUSTJOB_SHARDS %q, want %s (spec.completions): each index takes every %s-th target", id, shards, want, want)
	}
}

// checkRestricted checks every field of the Pod Security "restricted" profile
// (k8s.io/pod-security-admission policy/check_*.go) plus the hardening the
// profile does not enforce (read-only root, no token automount).
func checkRestricted(t *testing.T, id string, pod podSpec) {
	t.Helper()
	if pod.HostNetwork || pod.HostPID || pod.HostIPC {
		t.Errorf("%s: host namespaces are not allowed", id)
	}
	psc := pod.SecurityContext
	if psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot {
		t.Errorf("%s: pod securityContext.runAsNonRoot must be true", id)
	}
	for name, v := range map[string]*int64{"runAsUser": psc.RunAsUser, "runAsGroup": psc.RunAsGroup, "fsGroup": psc.FSGroup} {
		if v == nil || *v != nonrootID {
			t.Errorf("%s: pod securityContext.%s %v, want %d", id, name, deref(v), nonrootID)
		}
	}
	if psc.SeccompProfile == nil || (psc.SeccompProfile.Type != "RuntimeDefault" && psc.SeccompProfile.Type != "Localhost") {
		t.Errorf("%s: pod seccompProfile must be RuntimeDefault", id)
	}
	allowed := []string{"configMap", "downwardAPI", "emptyDir", "projected", "secret", "csi", "persistentVolumeClaim", "ephemeral", "image"}
	for _, v := range pod.Volumes {
		for _, typ := range v.Types {
			if !slices.Contains(allowed, typ) {
				t.Errorf("%s: volume %s of type %s is not allowed by the restricted profile", id, v.Name, typ)
			}
			if typ == "secret" {
				t.Errorf("%s: volume %s mounts a Secret; trustjob needs none", id, v.Name)
			}
		}
	}
	if len(pod.Containers) != 1 || pod.Containers[0].Name != containerName {
		t.Fatalf("%s: want exactly one container named %s", id, containerName)
	}
	for _, c := range append(slices.Clone(pod.InitContainers), pod.Containers...) {
		sc := c.SecurityContext
		if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
			t.Errorf("%s: container %s: allowPrivilegeEscalation must be false", id, c.Name)
		}
		if sc.Privileged != nil && *sc.Privileged {
			t.Errorf("%s: container %s is privileged", id, c.Name)
		}
		if sc.RunAsNonRoot != nil && !*sc.RunAsNonRoot || sc.RunAsUser != nil && *sc.RunAsUser == 0 {
			t.Errorf("%s: container %s runs as root", id, c.Name)
		}
		if sc.SeccompProfile != nil && sc.SeccompProfile.Type != "RuntimeDefault" && sc.SeccompProfile.Type != "Localhost" {
			t.Errorf("%s: container %s seccompProfile %s", id, c.Name, sc.SeccompProfile.Type)
		}
		if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") {
			t.Errorf("%s: container %s must drop ALL capabilities", id, c.Name)
		} else if len(sc.Capabilities.Add) > 0 {
			t.Errorf("%s: container %s adds capabilities %v; trustjob needs none", id, c.Name, sc.Capabilities.Add)
		}
		if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
			t.Errorf("%s: container %s: readOnlyRootFilesystem must be true", id, c.Name)
		}
	}
}

// checkToken checks the one projected service-account token and returns the
// path the container sees it at.
func checkToken(t *testing.T, id string, pod podSpec) string {
	t.Helper()
	var vol, file string
	n := 0
	for _, v := range pod.Volumes {
		if v.Projected == nil {
			continue
		}
		for _, s := range v.Projected.Sources {
			tok := s.ServiceAccountToken
			if tok == nil {
				continue
			}
			n++
			vol, file = v.Name, tok.Path
			if tok.Audience != "iam" {
				t.Errorf("%s: token audience %q, want iam (only IAM accepts it; the Kubernetes API does not)", id, tok.Audience)
			}
			if e := tok.ExpirationSeconds; e == nil || *e < 600 || *e > 3600 {
				t.Errorf("%s: token expirationSeconds %v, want 600..3600 (IAM refuses tokens that live longer than an hour)", id, deref(e))
			}
		}
	}
	if n != 1 {
		t.Errorf("%s: %d projected service-account tokens, want exactly one", id, n)
		return ""
	}
	var mounted string
	for _, m := range pod.Containers[0].VolumeMounts {
		if m.Name != vol {
			continue
		}
		if m.SubPath != "" {
			t.Errorf("%s: token volume mounted with subPath %q: the kubelet's rotation would never reach it", id, m.SubPath)
		}
		if !m.ReadOnly {
			t.Errorf("%s: token volume must be mounted read-only", id)
		}
		mounted = path.Join(m.MountPath, file)
	}
	if mounted != config.DefaultCRTokenFile {
		t.Errorf("%s: token file in the container is %q, want config.DefaultCRTokenFile %q", id, mounted, config.DefaultCRTokenFile)
	}
	return mounted
}

// checkConfigMount follows --config to the ConfigMap mounted there and loads
// that file with the product's loader.
func checkConfigMount(t *testing.T, id string, pod podSpec, objs []object) *config.Config {
	t.Helper()
	c := pod.Containers[0]
	i := slices.Index(c.Args, "--config")
	if i < 0 || i+1 >= len(c.Args) {
		t.Errorf("%s: args %q: want --config PATH", id, c.Args)
		return nil
	}
	file := c.Args[i+1]
	dir, key := path.Dir(file), path.Base(file)
	for _, m := range c.VolumeMounts {
		if m.MountPath != dir {
			continue
		}
		if m.SubPath != "" || !m.ReadOnly {
			t.Errorf("%s: config volume: mount read-only and without subPath (subPath mounts miss ConfigMap updates)", id)
		}
		for _, v := range pod.Volumes {
			if v.Name != m.Name || v.ConfigMap == nil {
				continue
			}
			for _, it := range v.ConfigMap.Items {
				if it.Path == key {
					key = it.Key
				}
			}
			cm, ok := find(objs, "ConfigMap", v.ConfigMap.Name)
			if !ok {
				t.Errorf("%s: ConfigMap %s is not among the rendered objects", id, v.ConfigMap.Name)
				return nil
			}
			data, ok := cm.Data[key]
			if !ok {
				t.Errorf("%s: ConfigMap %s has no key %s for --config %s", id, cm.Metadata.Name, key, file)
				return nil
			}
			return loadConfig(t, id+" "+file, data)
		}
	}
	t.Errorf("%s: --config %s is not inside a ConfigMap volume mount", id, file)
	return nil
}

func writableMount(pod podSpec, dir string) bool {
	for _, m := range pod.Containers[0].VolumeMounts {
		if m.MountPath == dir && !m.ReadOnly && m.SubPath == "" {
			return true
		}
	}
	return false
}

func checkNamespace(t *testing.T, objs []object) {
	t.Helper()
	ns, ok := find(objs, "Namespace", namespace)
	if !ok {
		t.Fatalf("no Namespace %s", namespace)
	}
	for _, mode := range []string{"enforce", "warn", "audit"} {
		if got := ns.Metadata.Labels["pod-security.kubernetes.io/"+mode]; got != "restricted" {
			t.Errorf("Namespace label pod-security.kubernetes.io/%s=%q, want restricted", mode, got)
		}
	}
	if ns.Metadata.Labels["pod-security.kubernetes.io/enforce-version"] == "" {
		t.Error("Namespace: pin pod-security.kubernetes.io/enforce-version")
	}
	for _, o := range objs {
		if o.Kind != "Namespace" && o.Metadata.Namespace != namespace {
			t.Errorf("%s is in namespace %q, want %q", o.id(), o.Metadata.Namespace, namespace)
		}
	}
}

func checkServiceAccount(t *testing.T, objs []object) {
	t.Helper()
	sa, ok := find(objs, "ServiceAccount", saName)
	if !ok {
		t.Fatalf("no ServiceAccount %s", saName)
	}
	if sa.AutomountServiceAccountToken == nil || *sa.AutomountServiceAccountToken {
		t.Error("ServiceAccount: automountServiceAccountToken must be false")
	}
	for _, o := range objs {
		switch o.Kind {
		case "Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding":
			t.Errorf("%s: trustjob never talks to the Kubernetes API and needs no RBAC", o.id())
		}
	}
}

func checkNetworkPolicy(t *testing.T, objs []object) {
	t.Helper()
	np, ok := find(objs, "NetworkPolicy", "trustjob")
	if !ok {
		t.Fatal("no NetworkPolicy trustjob")
	}
	type port struct {
		Protocol string `yaml:"protocol"`
		Port     int    `yaml:"port"`
	}
	spec := decodeSpec[struct {
		PodSelector struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
		} `yaml:"podSelector"`
		PolicyTypes []string `yaml:"policyTypes"`
		Ingress     []any    `yaml:"ingress"`
		Egress      []struct {
			To    []any  `yaml:"to"`
			Ports []port `yaml:"ports"`
		} `yaml:"egress"`
	}](t, np)
	if !slices.Contains(spec.PolicyTypes, "Ingress") || !slices.Contains(spec.PolicyTypes, "Egress") || len(spec.Ingress) > 0 {
		t.Errorf("NetworkPolicy: want policyTypes Ingress and Egress and no ingress rule, got %v / %d rules", spec.PolicyTypes, len(spec.Ingress))
	}
	allowed := []port{{"UDP", 53}, {"TCP", 53}, {"TCP", 443}}
	for _, e := range spec.Egress {
		if len(e.Ports) == 0 {
			t.Error("NetworkPolicy: an egress rule without ports allows every port")
		}
		for _, p := range e.Ports {
			if !slices.Contains(allowed, p) {
				t.Errorf("NetworkPolicy: egress to %s/%d; only DNS and 443 are needed", p.Protocol, p.Port)
			}
		}
	}
	cj, _ := find(objs, "CronJob", "trustjob")
	labels := decodeSpec[cronJobSpec](t, cj).JobTemplate.Spec.Template.Metadata.Labels
	if len(spec.PodSelector.MatchLabels) == 0 {
		t.Error("NetworkPolicy: empty podSelector")
	}
	for k, v := range spec.PodSelector.MatchLabels {
		if labels[k] != v {
			t.Errorf("NetworkPolicy selects %s=%s, which the CronJob's pods do not carry", k, v)
		}
	}
}

// checkNoSecrets: no Secret object and no API-key-like key anywhere, the
// embedded configuration included.
func checkNoSecrets(t *testing.T, objs []object) {
	t.Helper()
	for _, o := range objs {
		if o.Kind == "Secret" {
			t.Errorf("%s: trustjob needs no Secret", o.id())
		}
		walkKeys(o.raw, func(k string) {
			if isAPIKeyName(k) {
				t.Errorf("%s: key %q looks like an API key", o.id(), k)
			}
		})
		if o.Kind == "ConfigMap" {
			for name, data := range o.Data {
				if strings.Contains(strings.ToLower(data), "apikey") {
					t.Errorf("%s: data %s mentions an API key", o.id(), name)
				}
			}
		}
	}
}

var apiKeyName = regexp.MustCompile(`(?i)api[-_]?key`)

func isAPIKeyName(s string) bool { return apiKeyName.MatchString(s) }

func walkKeys(v any, fn func(string)) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			fn(k)
			walkKeys(e, fn)
		}
	case []any:
		for _, e := range v {
			walkKeys(e, fn)
		}
	}
}

func deref[T any](p *T) any {
	if p == nil {
		return "<unset>"
	}
	return *p
}

// graceOf is the pod's termination grace period (Kubernetes' default 30 s when unset).
func graceOf(p *int64) time.Duration {
	if p == nil {
		return 30 * time.Second
	}
	return time.Duration(*p) * time.Second
}
