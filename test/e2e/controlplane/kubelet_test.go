package controlplane

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// This file plays the kubelet for a Pod the control plane admitted: it lays
// out the Pod's volumes in a directory that stands for the container's
// filesystem, asks the API server for the Pod's projected service-account
// token exactly as the kubelet would, and runs the trustjob binary with the
// container's command, args and env.

// podRun is one container of an admitted Pod, laid out on this machine.
type podRun struct {
	pod       *corev1.Pod
	container corev1.Container
	root      string // stands for the container's "/"
	tokenFile string // host path of the projected token
	token     *corev1.ServiceAccountTokenProjection
	// mounts maps container mount paths to host paths, longest first.
	mounts [][2]string
}

// waitForPod waits until a Pod of the Job exists (the Job controller created
// it and admission, Pod Security included, let it in) and returns it.
func waitForPod(t *testing.T, c *cluster, ns, job string) *corev1.Pod {
	t.Helper()
	var pod corev1.Pod
	waitFor(t, "a Pod of Job "+job, 60*time.Second, func() error {
		out, err := c.kubectl("-n", ns, "get", "pods", "-l", "batch.kubernetes.io/job-name="+job, "-o", "json")
		if err != nil {
			return err
		}
		var list corev1.PodList
		if err := json.Unmarshal([]byte(out), &list); err != nil {
			return err
		}
		if len(list.Items) == 0 {
			ev, _ := c.kubectl("-n", ns, "get", "events", "--field-selector", "involvedObject.name="+job,
				"-o", "custom-columns=REASON:.reason,MESSAGE:.message", "--no-headers")
			return fmt.Errorf("no Pod yet; Job events: %s", strings.TrimSpace(ev))
		}
		pod = list.Items[0]
		return nil
	})
	return &pod
}

// layoutPod mirrors the Pod's volume mounts under a fresh root and publishes
// a token bound to the Pod, with the audience and lifetime of its projected
// volume.
func layoutPod(t *testing.T, c *cluster, pod *corev1.Pod, container string) *podRun {
	t.Helper()
	r := &podRun{pod: pod, root: t.TempDir()}
	i := slices.IndexFunc(pod.Spec.Containers, func(c corev1.Container) bool { return c.Name == container })
	if i < 0 {
		t.Fatalf("pod %s has no container %s", pod.Name, container)
	}
	r.container = pod.Spec.Containers[i]
	for _, m := range r.container.VolumeMounts {
		if m.SubPath != "" || m.SubPathExpr != "" {
			t.Fatalf("volume mount %s uses subPath; the kubelet would never rotate files in it", m.Name)
		}
		vi := slices.IndexFunc(pod.Spec.Volumes, func(v corev1.Volume) bool { return v.Name == m.Name })
		if vi < 0 {
			t.Fatalf("volume mount %s has no volume", m.Name)
		}
		v := pod.Spec.Volumes[vi]
		host := filepath.Join(r.root, m.MountPath)
		r.mounts = append(r.mounts, [2]string{m.MountPath, host})
		switch {
		case v.ConfigMap != nil:
			r.layoutConfigMap(t, c, v.ConfigMap, host)
		case v.Projected != nil:
			r.layoutProjected(t, c, v.Projected, host)
		case v.EmptyDir != nil, v.PersistentVolumeClaim != nil:
			if err := os.MkdirAll(host, 0o700); err != nil {
				t.Fatal(err)
			}
		default:
			t.Fatalf("volume %s: this kubelet stand-in lays out configMap, projected, emptyDir and persistentVolumeClaim volumes only", v.Name)
		}
	}
	slices.SortFunc(r.mounts, func(a, b [2]string) int { return len(b[0]) - len(a[0]) })
	if r.token == nil {
		t.Fatalf("pod %s mounts no projected service-account token", pod.Name)
	}
	// ConfigMap files name container paths (the token file, the output
	// directory): rewrite them once, now that every mount is known.
	for _, m := range r.mounts {
		r.rewriteFiles(t, m[1])
	}
	r.rotateToken(t, r.requestToken(t, c, pod.Namespace, pod.Spec.ServiceAccountName, pod.Name))
	return r
}

func (r *podRun) layoutConfigMap(t *testing.T, c *cluster, src *corev1.ConfigMapVolumeSource, dir string) {
	t.Helper()
	var cm corev1.ConfigMap
	out := c.mustKubectl(t, "-n", r.pod.Namespace, "get", "configmap", src.Name, "-o", "json")
	if err := json.Unmarshal([]byte(out), &cm); err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	if len(src.Items) == 0 {
		for k, v := range cm.Data {
			files[k] = []byte(v)
		}
	}
	for _, it := range src.Items {
		files[it.Path] = []byte(cm.Data[it.Key])
	}
	atomicWrite(t, dir, files)
}

func (r *podRun) layoutProjected(t *testing.T, c *cluster, p *corev1.ProjectedVolumeSource, dir string) {
	t.Helper()
	for _, s := range p.Sources {
		if s.ServiceAccountToken == nil {
			t.Fatalf("projected volume: only serviceAccountToken sources are laid out here")
		}
		if r.token != nil {
			t.Fatalf("pod mounts more than one projected service-account token")
		}
		r.token = s.ServiceAccountToken
		r.tokenFile = filepath.Join(dir, s.ServiceAccountToken.Path)
	}
}

// requestToken asks the TokenRequest API for a token with the projection's
// audience and lifetime, bound to pod when pod is not "" (what the kubelet
// mounts), else unbound.
func (r *podRun) requestToken(t *testing.T, c *cluster, ns, sa, pod string) string {
	t.Helper()
	exp := int64(3600)
	if r.token.ExpirationSeconds != nil {
		exp = *r.token.ExpirationSeconds
	}
	args := []string{"-n", ns, "create", "token", sa, "--audience", r.token.Audience, "--duration", strconv.FormatInt(exp, 10) + "s"}
	if pod != "" {
		args = append(args, "--bound-object-kind", "Pod", "--bound-object-name", pod, "--bound-object-uid", string(r.pod.UID))
	}
	return strings.TrimSpace(c.mustKubectl(t, args...))
}

// rotateToken publishes token as the kubelet's atomic writer does.
func (r *podRun) rotateToken(t *testing.T, token string) {
	t.Helper()
	atomicWrite(t, filepath.Dir(r.tokenFile), map[string][]byte{filepath.Base(r.tokenFile): []byte(token)})
}

// hostPaths rewrites container paths under the mounts into host paths, in a
// single pass (a host path itself may start with a mount path such as /tmp).
func (r *podRun) hostPaths(s string) string {
	boundary := func(b byte) bool { return strings.IndexByte(" \t\n\"'=:,[(", b) >= 0 }
	var out strings.Builder
	for i := 0; i < len(s); {
		replaced := false
		if i == 0 || boundary(s[i-1]) {
			for _, m := range r.mounts { // longest first
				end := i + len(m[0])
				if strings.HasPrefix(s[i:], m[0]) && (end == len(s) || s[end] == '/' || boundary(s[end]) || s[end] == ']' || s[end] == ')') {
					out.WriteString(m[1])
					i, replaced = end, true
					break
				}
			}
		}
		if !replaced {
			out.WriteByte(s[i])
			i++
		}
	}
	return out.String()
}

// runResult is what one run of the container printed and how it exited.
type runResult struct {
	code   int
	output string // stdout and stderr
}

// run executes the container's command and args with its env (plus extra),
// with every path under a mount rewritten to the host layout.
func (r *podRun) run(t *testing.T, binary string, extra map[string]string) runResult {
	t.Helper()
	argv := append(slices.Clone(r.container.Command), r.container.Args...)
	if len(r.container.Command) > 0 {
		t.Fatalf("container sets command %q; the image's entrypoint /trustjob is expected", r.container.Command)
	}
	for i, a := range argv {
		if strings.Contains(a, "$(") {
			t.Fatalf("arg %q uses $(VAR) expansion, which this kubelet stand-in does not do", a)
		}
		argv[i] = r.hostPaths(a)
	}
	env := []string{"PATH=/usr/bin:/bin", "HOME=" + r.root}
	for _, e := range r.container.Env {
		env = append(env, e.Name+"="+r.envValue(t, e))
	}
	for k, v := range extra {
		env = append(env, k+"="+v)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, argv...)
	cmd.Env, cmd.Dir = env, r.root
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	res := runResult{output: out.String()}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		res.code = exit.ExitCode()
	default:
		t.Fatalf("run trustjob: %v", err)
	}
	t.Logf("trustjob %s: exit %d in %s", strings.Join(r.container.Args, " "), res.code, time.Since(start).Round(time.Millisecond))
	return res
}

// rewriteFiles applies hostPaths to the regular files of a laid-out
// ConfigMap directory (its ..data target).
func (r *podRun) rewriteFiles(t *testing.T, dir string) {
	t.Helper()
	if filepath.Dir(r.tokenFile) == dir {
		return
	}
	data, err := os.Readlink(filepath.Join(dir, "..data"))
	if err != nil {
		return // emptyDir or PVC
	}
	entries, err := os.ReadDir(filepath.Join(dir, data))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		p := filepath.Join(dir, data, e.Name())
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(r.hostPaths(string(b))), 0o444); err != nil {
			t.Fatal(err)
		}
	}
}

// envValue resolves an env var the way the kubelet does, for the sources the
// manifests use.
func (r *podRun) envValue(t *testing.T, e corev1.EnvVar) string {
	t.Helper()
	switch {
	case e.ValueFrom == nil:
		return e.Value
	case e.ValueFrom.ResourceFieldRef != nil:
		ref := e.ValueFrom.ResourceFieldRef
		res := strings.TrimPrefix(strings.TrimPrefix(ref.Resource, "limits."), "requests.")
		list := r.container.Resources.Limits
		if strings.HasPrefix(ref.Resource, "requests.") {
			list = r.container.Resources.Requests
		}
		q, ok := list[corev1.ResourceName(res)]
		if !ok {
			t.Fatalf("env %s: container has no %s", e.Name, ref.Resource)
		}
		if res == "cpu" {
			return strconv.FormatInt((q.MilliValue()+999)/1000, 10)
		}
		return strconv.FormatInt(q.Value(), 10)
	case e.ValueFrom.FieldRef != nil:
		switch e.ValueFrom.FieldRef.FieldPath {
		case "metadata.name":
			return r.pod.Name
		case "metadata.namespace":
			return r.pod.Namespace
		case "spec.serviceAccountName":
			return r.pod.Spec.ServiceAccountName
		}
		// The Job controller's JOB_COMPLETION_INDEX in an Indexed Job reads
		// the pod's batch.kubernetes.io/job-completion-index annotation (or
		// label).
		if key, ok := strings.CutPrefix(e.ValueFrom.FieldRef.FieldPath, "metadata.annotations['"); ok {
			return r.pod.Annotations[strings.TrimSuffix(key, "']")]
		}
		if key, ok := strings.CutPrefix(e.ValueFrom.FieldRef.FieldPath, "metadata.labels['"); ok {
			return r.pod.Labels[strings.TrimSuffix(key, "']")]
		}
		t.Fatalf("env %s: unsupported field %s", e.Name, e.ValueFrom.FieldRef.FieldPath)
	}
	t.Fatalf("env %s: unsupported source", e.Name)
	return ""
}

// atomicWrite publishes files into dir like the kubelet's atomic writer: the
// files live in a timestamped directory, ..data points at it, and each
// visible name is a symlink through ..data. A rewrite swaps ..data.
func atomicWrite(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ts, err := os.MkdirTemp(dir, ".."+time.Now().UTC().Format("2006_01_02_15_04_05."))
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(ts, name), data, 0o444); err != nil {
			t.Fatal(err)
		}
	}
	dataLink := filepath.Join(dir, "..data")
	old, _ := os.Readlink(dataLink)
	tmp := filepath.Join(dir, "..data_tmp")
	_ = os.Remove(tmp)
	if err := os.Symlink(filepath.Base(ts), tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, dataLink); err != nil {
		t.Fatal(err)
	}
	for name := range files {
		visible := filepath.Join(dir, name)
		if _, err := os.Lstat(visible); errors.Is(err, os.ErrNotExist) {
			if err := os.Symlink(filepath.Join("..data", name), visible); err != nil {
				t.Fatal(err)
			}
		}
	}
	if old != "" {
		_ = os.RemoveAll(filepath.Join(dir, old))
	}
}
