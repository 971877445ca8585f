package manifests_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"testing"

	"gopkg.in/yaml.v3"
)

// The few Kubernetes fields these tests read, decoded with yaml.v3 so the
// product module needs no Kubernetes dependency. test/e2e decodes the same
// output strictly into the real k8s.io/api types.

type object struct {
	APIVersion string   `yaml:"apiVersion"`
	Kind       string   `yaml:"kind"`
	Metadata   metadata `yaml:"metadata"`

	// Namespace, ServiceAccount, ConfigMap.
	AutomountServiceAccountToken *bool             `yaml:"automountServiceAccountToken"`
	Data                         map[string]string `yaml:"data"`

	// CronJob (Spec.JobTemplate), Job (Spec.jobSpec), NetworkPolicy.
	Spec yaml.Node `yaml:"spec"`

	raw map[string]any
}

type metadata struct {
	Name         string            `yaml:"name"`
	GenerateName string            `yaml:"generateName"`
	Namespace    string            `yaml:"namespace"`
	Labels       map[string]string `yaml:"labels"`
}

type cronJobSpec struct {
	Schedule                   string  `yaml:"schedule"`
	TimeZone                   *string `yaml:"timeZone"`
	ConcurrencyPolicy          string  `yaml:"concurrencyPolicy"`
	StartingDeadlineSeconds    *int64  `yaml:"startingDeadlineSeconds"`
	SuccessfulJobsHistoryLimit *int32  `yaml:"successfulJobsHistoryLimit"`
	FailedJobsHistoryLimit     *int32  `yaml:"failedJobsHistoryLimit"`
	Suspend                    *bool   `yaml:"suspend"`
	JobTemplate                struct {
		Metadata metadata `yaml:"metadata"`
		Spec     jobSpec  `yaml:"spec"`
	} `yaml:"jobTemplate"`
}

type jobSpec struct {
	BackoffLimit            *int32 `yaml:"backoffLimit"`
	CompletionMode          string `yaml:"completionMode"`
	Completions             *int32 `yaml:"completions"`
	Parallelism             *int32 `yaml:"parallelism"`
	BackoffLimitPerIndex    *int32 `yaml:"backoffLimitPerIndex"`
	ActiveDeadlineSeconds   *int64 `yaml:"activeDeadlineSeconds"`
	TTLSecondsAfterFinished *int32 `yaml:"ttlSecondsAfterFinished"`
	PodReplacementPolicy    string `yaml:"podReplacementPolicy"`
	PodFailurePolicy        *struct {
		Rules []struct {
			Action      string `yaml:"action"`
			OnExitCodes *struct {
				ContainerName string `yaml:"containerName"`
				Operator      string `yaml:"operator"`
				Values        []int  `yaml:"values"`
			} `yaml:"onExitCodes"`
			OnPodConditions []struct {
				Type string `yaml:"type"`
			} `yaml:"onPodConditions"`
		} `yaml:"rules"`
	} `yaml:"podFailurePolicy"`
	Template struct {
		Metadata metadata `yaml:"metadata"`
		Spec     podSpec  `yaml:"spec"`
	} `yaml:"template"`
}

type podSpec struct {
	ServiceAccountName            string          `yaml:"serviceAccountName"`
	AutomountServiceAccountToken  *bool           `yaml:"automountServiceAccountToken"`
	RestartPolicy                 string          `yaml:"restartPolicy"`
	TerminationGracePeriodSeconds *int64          `yaml:"terminationGracePeriodSeconds"`
	HostNetwork                   bool            `yaml:"hostNetwork"`
	HostPID                       bool            `yaml:"hostPID"`
	HostIPC                       bool            `yaml:"hostIPC"`
	SecurityContext               securityContext `yaml:"securityContext"`
	InitContainers                []container     `yaml:"initContainers"`
	Containers                    []container     `yaml:"containers"`
	Volumes                       []volume        `yaml:"volumes"`
}

type securityContext struct {
	RunAsNonRoot             *bool  `yaml:"runAsNonRoot"`
	RunAsUser                *int64 `yaml:"runAsUser"`
	RunAsGroup               *int64 `yaml:"runAsGroup"`
	FSGroup                  *int64 `yaml:"fsGroup"`
	AllowPrivilegeEscalation *bool  `yaml:"allowPrivilegeEscalation"`
	Privileged               *bool  `yaml:"privileged"`
	ReadOnlyRootFilesystem   *bool  `yaml:"readOnlyRootFilesystem"`
	SeccompProfile           *struct {
		Type string `yaml:"type"`
	} `yaml:"seccompProfile"`
	Capabilities *struct {
		Add  []string `yaml:"add"`
		Drop []string `yaml:"drop"`
	} `yaml:"capabilities"`
}

type container struct {
	Name            string   `yaml:"name"`
	Image           string   `yaml:"image"`
	ImagePullPolicy string   `yaml:"imagePullPolicy"`
	Command         []string `yaml:"command"`
	Args            []string `yaml:"args"`
	Env             []struct {
		Name  string `yaml:"name"`
		Value string `yaml:"value"`
	} `yaml:"env"`
	SecurityContext securityContext `yaml:"securityContext"`
	Resources       struct {
		Requests map[string]string `yaml:"requests"`
		Limits   map[string]string `yaml:"limits"`
	} `yaml:"resources"`
	VolumeMounts []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
		SubPath   string `yaml:"subPath"`
		ReadOnly  bool   `yaml:"readOnly"`
	} `yaml:"volumeMounts"`
}

type volume struct {
	Name      string `yaml:"name"`
	ConfigMap *struct {
		Name  string `yaml:"name"`
		Items []struct {
			Key  string `yaml:"key"`
			Path string `yaml:"path"`
		} `yaml:"items"`
	} `yaml:"configMap"`
	Projected *struct {
		Sources []struct {
			ServiceAccountToken *struct {
				Audience          string `yaml:"audience"`
				ExpirationSeconds *int64 `yaml:"expirationSeconds"`
				Path              string `yaml:"path"`
			} `yaml:"serviceAccountToken"`
		} `yaml:"sources"`
	} `yaml:"projected"`
	EmptyDir              map[string]any `yaml:"emptyDir"`
	PersistentVolumeClaim *struct {
		ClaimName string `yaml:"claimName"`
	} `yaml:"persistentVolumeClaim"`
	// Types lists the volume's source keys (configMap, projected, ...).
	Types []string `yaml:"-"`
}

// UnmarshalYAML keeps the names of the volume's source keys, for the
// restricted profile's volume-type check.
func (v *volume) UnmarshalYAML(n *yaml.Node) error {
	type plain volume
	if err := n.Decode((*plain)(v)); err != nil {
		return err
	}
	var m map[string]yaml.Node
	if err := n.Decode(&m); err != nil {
		return err
	}
	for k := range m {
		if k != "name" {
			v.Types = append(v.Types, k)
		}
	}
	return nil
}

// kubectl returns the kubectl to render with, or skips the test. Set
// TRUSTJOB_REQUIRE_KUBECTL=1 (test/e2e/run.sh does) to fail instead of skip.
func kubectl(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("KUBECTL"); p != "" {
		return p
	}
	p, err := exec.LookPath("kubectl")
	if err != nil {
		if os.Getenv("TRUSTJOB_REQUIRE_KUBECTL") != "" {
			t.Fatalf("kubectl not found and TRUSTJOB_REQUIRE_KUBECTL is set: %v", err)
		}
		t.Skip("kubectl not on PATH: cannot render the kustomizations (test/e2e/run.sh builds one and runs this test with it)")
	}
	return p
}

// render runs `kubectl kustomize dir` and decodes every object.
func render(t *testing.T, dir string) []object {
	t.Helper()
	var stderr bytes.Buffer
	cmd := exec.Command(kubectl(t), "kustomize", dir)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("kubectl kustomize %s: %v\n%s", dir, err, stderr.String())
	}
	return decodeAll(t, dir, out)
}

// readManifest decodes a plain manifest file.
func readManifest(t *testing.T, path string) []object {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return decodeAll(t, path, data)
}

func decodeAll(t *testing.T, name string, data []byte) []object {
	t.Helper()
	var objs []object
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var n yaml.Node
		if err := dec.Decode(&n); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			t.Fatalf("%s: decode: %v", name, err)
		}
		var o object
		if err := n.Decode(&o); err != nil {
			t.Fatalf("%s: decode object: %v", name, err)
		}
		if err := n.Decode(&o.raw); err != nil {
			t.Fatalf("%s: decode object: %v", name, err)
		}
		objs = append(objs, o)
	}
	if len(objs) == 0 {
		t.Fatalf("%s: no objects", name)
	}
	return objs
}

func (o object) id() string { return o.Kind + "/" + o.Metadata.Name + o.Metadata.GenerateName }

func find(objs []object, kind, name string) (object, bool) {
	for _, o := range objs {
		if o.Kind == kind && o.Metadata.Name == name {
			return o, true
		}
	}
	return object{}, false
}

func decodeSpec[T any](t *testing.T, o object) T {
	t.Helper()
	var s T
	if err := o.Spec.Decode(&s); err != nil {
		t.Fatalf("%s: decode spec: %v", o.id(), err)
	}
	return s
}
