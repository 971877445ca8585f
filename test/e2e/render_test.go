// Package e2e decodes trustjob's rendered manifests strictly into the
// k8s.io/api types; controlplane/ holds the test on a real control plane.
package e2e

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/json"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// repoRoot is the product repository (this module lives in test/e2e).
var repoRoot = func() string {
	abs, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		panic(err)
	}
	return abs
}()

// manifestSources are every rendered manifest set: the kustomizations and the
// plain one-off Job.
var manifestSources = []string{
	"manifests/base",
	"manifests/overlays/private-endpoints",
	"manifests/overlays/example-account",
	"manifests/overlays/enterprise-indexed",
	"manifests/job/job.yaml",
}

// kubectlPath is the kubectl the tests run: $KUBECTL (test/e2e/run.sh sets the
// one built with the control plane), else the one on PATH.
func kubectlPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("KUBECTL"); p != "" {
		return p
	}
	p, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl not found: set KUBECTL or run test/e2e/run.sh, which builds one")
	}
	return p
}

// renderSource returns the YAML of one manifest source: `kubectl kustomize`
// for a directory, the file itself otherwise.
func renderSource(t *testing.T, src string) []byte {
	t.Helper()
	path := filepath.Join(repoRoot, src)
	if strings.HasSuffix(src, ".yaml") {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	var stderr bytes.Buffer
	cmd := exec.Command(kubectlPath(t), "kustomize", path)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("kubectl kustomize %s: %v\n%s", src, err, stderr.String())
	}
	return out
}

// strictScheme knows the API groups trustjob's manifests use, and nothing else:
// an object of another kind fails to decode.
func strictScheme(t *testing.T) *runtime.Scheme {
	t.Helper()
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{corev1.AddToScheme, batchv1.AddToScheme, networkingv1.AddToScheme} {
		if err := add(s); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// decodeStrict decodes every document of a multi-document YAML stream into
// its k8s.io/api type. Unknown or duplicate fields are errors.
func decodeStrict(t *testing.T, name string, data []byte) []runtime.Object {
	t.Helper()
	scheme := strictScheme(t)
	ser := json.NewSerializerWithOptions(json.DefaultMetaFactory, scheme, scheme,
		json.SerializerOptions{Yaml: true, Strict: true})
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var objs []runtime.Object
	for i := 0; ; i++ {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: read document %d: %v", name, i, err)
		}
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		obj, gvk, err := ser.Decode(doc, nil, nil)
		if err != nil {
			t.Errorf("%s: document %d (%s): %v", name, i, firstLine(doc, "kind:"), err)
			continue
		}
		if obj.GetObjectKind().GroupVersionKind().Empty() {
			obj.GetObjectKind().SetGroupVersionKind(*gvk)
		}
		objs = append(objs, obj)
	}
	if len(objs) == 0 && !t.Failed() {
		t.Fatalf("%s: no objects", name)
	}
	return objs
}

// TestManifestsDecodeStrictly decodes every rendered object into the
// k8s.io/api types with unknown fields refused: a typo such as
// `podFailurePolicies` or a field at the wrong level fails here, before any
// cluster sees it.
func TestManifestsDecodeStrictly(t *testing.T) {
	for _, src := range manifestSources {
		t.Run(src, func(t *testing.T) {
			objs := decodeStrict(t, src, renderSource(t, src))
			kinds := map[string]int{}
			for _, o := range objs {
				kinds[o.GetObjectKind().GroupVersionKind().Kind]++
				if _, ok := o.(*corev1.Secret); ok {
					t.Errorf("%s renders a Secret; trustjob needs none", src)
				}
			}
			want := []string{"Namespace", "ServiceAccount", "ConfigMap", "CronJob", "NetworkPolicy"}
			if strings.HasSuffix(src, ".yaml") {
				want = []string{"Job"}
			}
			for _, k := range want {
				if kinds[k] != 1 {
					t.Errorf("%s: %d %s objects, want 1 (all: %v)", src, kinds[k], k, kinds)
				}
			}
		})
	}
}

// TestStrictDecodingRefusesUnknownFields proves the decoder is strict.
func TestStrictDecodingRefusesUnknownFields(t *testing.T) {
	scheme := strictScheme(t)
	ser := json.NewSerializerWithOptions(json.DefaultMetaFactory, scheme, scheme,
		json.SerializerOptions{Yaml: true, Strict: true})
	doc := []byte("apiVersion: batch/v1\nkind: Job\nmetadata: {name: x}\nspec:\n  backofLimit: 2\n")
	if _, _, err := ser.Decode(doc, nil, nil); err == nil || !runtime.IsStrictDecodingError(err) {
		t.Fatalf("a misspelt field decoded without a strict error: %v", err)
	}
}

func firstLine(doc []byte, prefix string) string {
	for _, l := range strings.Split(string(doc), "\n") {
		if strings.HasPrefix(l, prefix) {
			return strings.TrimSpace(l)
		}
	}
	return "?"
}
