package config

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the .golden files from the current output")

// fakeOptions stands in for a task type's options.
type fakeOptions struct {
	InactiveFor Duration     `yaml:"inactiveFor"`
	Limit       int          `yaml:"limit"`
	Actions     []fakeAction `yaml:"actions"`
}

type fakeAction struct {
	OlderThan Duration `yaml:"olderThan"`
}

func (o *fakeOptions) Validate() []FieldError {
	var errs []FieldError
	if o.Limit > 100 {
		errs = append(errs, FieldError{Path: "limit", Message: fmt.Sprintf("limit %d is above 100", o.Limit), Fix: "use at most 100"})
	}
	for i, a := range o.Actions {
		if a.OlderThan.D() < 7*24*time.Hour {
			errs = append(errs, FieldError{Path: fmt.Sprintf("actions[%d].olderThan", i), Message: "olderThan must be at least 7d"})
		}
	}
	return errs
}

// strictOptions has a required option, to position errors on absent options.
type strictOptions struct {
	Scope string `yaml:"scope"`
}

func (o *strictOptions) Validate() []FieldError {
	if o.Scope == "" {
		return []FieldError{{Path: "scope", Message: "scope is required", Fix: "set options.scope"}}
	}
	return nil
}

type fakeTypes map[string]func() TaskOptions

func (f fakeTypes) NewOptions(typ string) (TaskOptions, bool) {
	n, ok := f[typ]
	if !ok {
		return nil, false
	}
	return n(), true
}

func (f fakeTypes) UnknownTypeMessage(typ string) string {
	return fmt.Sprintf("unknown task type %q; known types: fake, strict", typ)
}

var testTypes = fakeTypes{
	"fake":   func() TaskOptions { return &fakeOptions{Limit: 10} },
	"strict": func() TaskOptions { return &strictOptions{} },
}

func parseFile(t *testing.T, path string, env []string) (*Config, error) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return Parse(filepath.ToSlash(path), data, testTypes, env)
}

// TestInvalidGolden runs every testdata/invalid-*.yaml (one per rule) and
// compares all its problems with the .golden file next to it.
func TestInvalidGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/invalid-*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no invalid configurations: %v", err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".yaml"), func(t *testing.T) {
			cfg, err := parseFile(t, f, nil)
			var probs Problems
			if !errors.As(err, &probs) {
				t.Fatalf("Parse(%s) = %+v, %v; want Problems", f, cfg, err)
			}
			if cfg != nil {
				t.Errorf("Parse returned a config alongside problems")
			}
			for _, p := range probs {
				if p.Message == "" {
					t.Errorf("problem without a message: %+v", p)
				}
			}
			got := probs.Error() + "\n"
			golden := strings.TrimSuffix(f, ".yaml") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("problems of %s:\n--- got\n%s--- want\n%s", f, got, want)
			}
		})
	}
}

func TestValid(t *testing.T) {
	files, _ := filepath.Glob("testdata/valid-*.yaml")
	if len(files) == 0 {
		t.Fatal("no valid configurations")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			cfg, err := parseFile(t, f, nil)
			if err != nil {
				t.Fatalf("Parse(%s):\n%v", f, err)
			}
			for _, task := range cfg.Tasks {
				if task.Opts == nil {
					t.Errorf("task %s has no decoded options", task.Name)
				}
				if task.Timeout <= 0 {
					t.Errorf("task %s has no timeout", task.Name)
				}
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	cfg, err := parseFile(t, "testdata/valid-minimal.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"crTokenFile", cfg.Auth.CRTokenFile, DefaultCRTokenFile},
		{"iamURL", cfg.Auth.IAMURL, DefaultIAMURL},
		{"endpoints", cfg.Endpoints, EndpointsPublic},
		{"deadline", cfg.Deadline.D(), DefaultDeadline},
		{"timeZone", cfg.Location, time.UTC},
		{"formats", strings.Join(cfg.Output.Formats, ","), "jsonl"},
		{"timeout", cfg.Tasks[0].Timeout.D(), DefaultTaskTimeout},
		{"options default", cfg.Tasks[0].Opts.(*fakeOptions).Limit, 10},
		{"schedule", cfg.Cron == nil, true},
		{"failOn", cfg.Tasks[0].FailOn == nil, true},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}

	full, err := parseFile(t, "testdata/valid-full.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	o := full.Tasks[0].Opts.(*fakeOptions)
	if o.InactiveFor.D() != 90*24*time.Hour || o.Limit != 10 || len(o.Actions) != 1 {
		t.Errorf("options = %+v", o)
	}
	if full.Deadline.D() != 40*time.Minute || full.Location.String() != "Europe/Paris" || full.Tasks[0].FailOn.Count != 0 {
		t.Errorf("full = deadline %v, zone %v, failOn %v", full.Deadline, full.Location, full.Tasks[0].FailOn.Count)
	}
	if !full.Private() {
		t.Error("endpoints: private not seen")
	}
}

// The IAM URL follows the endpoint choice: IAM's regional private host for
// endpoints: private (classic and non-US VPC clusters), the global private
// host for vpe (issue 13, F1).
func TestPrivateIAMDefault(t *testing.T) {
	tests := []struct{ endpoints, want string }{
		{"endpoints: public", "https://iam.cloud.ibm.com"},
		{"endpoints: private\nprivateRegion: us-south", "https://private.us-south.iam.cloud.ibm.com"},
		{"endpoints: private\nprivateRegion: us-east", "https://private.us-east.iam.cloud.ibm.com"},
		{"endpoints: vpe", "https://private.iam.cloud.ibm.com"},
	}
	for _, tt := range tests {
		yaml := "apiVersion: trustjob/v1\nkind: Config\nauth: {profileName: p}\n" + tt.endpoints + "\ntasks: [{name: a, type: fake}]\n"
		cfg, err := Parse("c.yaml", []byte(yaml), testTypes, nil)
		if err != nil {
			t.Fatalf("%s: %v", tt.endpoints, err)
		}
		if cfg.Auth.IAMURL != tt.want {
			t.Errorf("%s: iamURL = %q, want %q", tt.endpoints, cfg.Auth.IAMURL, tt.want)
		}
	}
}

const envBase = `apiVersion: trustjob/v1
kind: Config
auth:
  profileID: Profile-from-file
  crTokenFile: /file/token
  iamURL: https://iam.test.cloud.ibm.com
tasks:
  - name: a
    type: fake
`

func TestEnvOverrides(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		want Auth
	}{
		{"file only", nil, Auth{ProfileID: "Profile-from-file", CRTokenFile: "/file/token", IAMURL: "https://iam.test.cloud.ibm.com"}},
		{"empty variables are unset", []string{"TRUSTJOB_PROFILE_NAME=", "TRUSTJOB_IAM_URL="},
			Auth{ProfileID: "Profile-from-file", CRTokenFile: "/file/token", IAMURL: "https://iam.test.cloud.ibm.com"}},
		{"name replaces the file's id", []string{"TRUSTJOB_PROFILE_NAME=from-env"},
			Auth{ProfileName: "from-env", CRTokenFile: "/file/token", IAMURL: "https://iam.test.cloud.ibm.com"}},
		{"id wins", []string{"TRUSTJOB_PROFILE_ID=Profile-env"},
			Auth{ProfileID: "Profile-env", CRTokenFile: "/file/token", IAMURL: "https://iam.test.cloud.ibm.com"}},
		{"token file and url", []string{"TRUSTJOB_CR_TOKEN_FILE=/env/token", "TRUSTJOB_IAM_URL=http://127.0.0.1:9", "TRUSTJOB_ALLOWED_HOSTS=127.0.0.1"},
			Auth{ProfileID: "Profile-from-file", CRTokenFile: "/env/token", IAMURL: "http://127.0.0.1:9"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse("c.yaml", []byte(envBase), testTypes, tt.env)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Auth != tt.want {
				t.Errorf("auth = %+v, want %+v", cfg.Auth, tt.want)
			}
		})
	}
}

func TestAllowedHostsEnv(t *testing.T) {
	cfg, err := Parse("c.yaml", []byte(envBase+"allowedHosts: [a.example.com]\n"), testTypes,
		[]string{"TRUSTJOB_ALLOWED_HOSTS= 127.0.0.1 ,,localhost"})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(cfg.AllowedHosts, ","); got != "a.example.com,127.0.0.1,localhost" {
		t.Errorf("allowedHosts = %s", got)
	}
}

func TestEnvProblems(t *testing.T) {
	credFile := filepath.Join(t.TempDir(), "ibm-credentials.env")
	if err := os.WriteFile(credFile, []byte("RESOURCE_CONTROLLER_AUTH_TYPE=iam\nRESOURCE_CONTROLLER_APIKEY=secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cleanFile := filepath.Join(t.TempDir(), "ibm-credentials.env")
	if err := os.WriteFile(cleanFile, []byte("RESOURCE_CONTROLLER_URL=https://example.com\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		env  []string
		want []string // substrings, one per expected problem, in order
	}{
		{"bad url from env names the variable", []string{"TRUSTJOB_IAM_URL=http://iam.example.com"},
			[]string{"auth.iamURL: iamURL \"http://iam.example.com\" uses plain http: tokens would cross the network unencrypted (set by $TRUSTJOB_IAM_URL)"}},
		{"both profile variables", []string{"TRUSTJOB_PROFILE_NAME=n", "TRUSTJOB_PROFILE_ID=Profile-x"},
			[]string{"auth.profileID: profileName and profileID are both set (set by $TRUSTJOB_PROFILE_ID)"}},
		{"IBMCLOUD_API_KEY", []string{"IBMCLOUD_API_KEY=k"}, []string{"$IBMCLOUD_API_KEY: an API key in the environment is refused: trustjob never uses an IBM Cloud API key"}},
		{"IC_API_KEY", []string{"IC_API_KEY=k"}, []string{"$IC_API_KEY: an API key"}},
		{"SDK property", []string{"IAM_IDENTITY_APIKEY=k"}, []string{"$IAM_IDENTITY_APIKEY: an IBM SDK API-key property is refused"}},
		{"auth type iam", []string{"RESOURCE_CONTROLLER_AUTH_TYPE=IAM"}, []string{"$RESOURCE_CONTROLLER_AUTH_TYPE: IBM SDK authentication type \"iam\""}},
		{"auth type iamAssume (a hub service ID)", []string{"IAM_IDENTITY_AUTH_TYPE=iamAssume"}, []string{"$IAM_IDENTITY_AUTH_TYPE: IBM SDK authentication type \"iamAssume\" (a hub service ID's API key) is refused"}},
		{"auth type container is fine", []string{"RESOURCE_CONTROLLER_AUTH_TYPE=container"}, nil},
		{"credentials file with a key", []string{"IBM_CREDENTIALS_FILE=" + credFile}, []string{"$IBM_CREDENTIALS_FILE: the credentials file " + credFile + " holds an APIKEY and is refused"}},
		{"credentials file without a key", []string{"IBM_CREDENTIALS_FILE=" + cleanFile}, nil},
		{"missing credentials file", []string{"IBM_CREDENTIALS_FILE=/nonexistent/file"}, nil},
		{"several at once", []string{"IC_API_KEY=k", "IBMCLOUD_API_KEY=k", "X_APIKEY="}, []string{"$IBMCLOUD_API_KEY", "$IC_API_KEY"}},
		{"bad allowed host from env names the variable", []string{"TRUSTJOB_ALLOWED_HOSTS=127.0.0.1, https://x.example.com/"},
			[]string{"allowedHosts[1]: \"https://x.example.com/\" is not a host name (set by $TRUSTJOB_ALLOWED_HOSTS)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("c.yaml", []byte(envBase), testTypes, tt.env)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("unexpected problems:\n%v", err)
				}
				return
			}
			var probs Problems
			if !errors.As(err, &probs) {
				t.Fatalf("err = %v, want Problems", err)
			}
			if len(probs) != len(tt.want) {
				t.Fatalf("got %d problems, want %d:\n%v", len(probs), len(tt.want), probs)
			}
			for i, w := range tt.want {
				if !strings.Contains(probs[i].String(), w) {
					t.Errorf("problem %d = %q, want it to contain %q", i, probs[i].String(), w)
				}
				if probs[i].Fix == "" {
					t.Errorf("problem %d has no fix", i)
				}
			}
		})
	}
}

func TestEnvProblemsJoinFileProblems(t *testing.T) {
	data, _ := os.ReadFile("testdata/invalid-apikey.yaml")
	_, err := Parse("testdata/invalid-apikey.yaml", data, testTypes, []string{"IBMCLOUD_API_KEY=k"})
	var probs Problems
	if !errors.As(err, &probs) || len(probs) != 2 {
		t.Fatalf("want the file's and the environment's API key refused together, got:\n%v", err)
	}
	if probs[0].File == "" || probs[1].Path != "$IBMCLOUD_API_KEY" {
		t.Errorf("order: file problems first, then environment: %v", probs)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"), testTypes)
	var probs Problems
	if !errors.As(err, &probs) || len(probs) == 0 || !strings.Contains(probs[0].String(), "cannot read the configuration: no such file or directory") {
		t.Fatalf("err = %v", err)
	}
}

func TestTaskByName(t *testing.T) {
	cfg, err := parseFile(t, "testdata/valid-full.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := cfg.TaskByName("hourly.check_2"); !ok {
		t.Error("TaskByName did not find hourly.check_2")
	}
	if _, ok := cfg.TaskByName("nope"); ok {
		t.Error("TaskByName found nope")
	}
	if got := strings.Join(cfg.TaskNames(), ","); got != "nightly-inventory,hourly.check_2" {
		t.Errorf("TaskNames = %s", got)
	}
}

// FuzzLoad feeds arbitrary bytes to the loader: it must never panic, and must
// return either a config or problems, never both or neither.
func FuzzLoad(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yaml")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("a: &a [*a]"))
	f.Add([]byte("tasks: &t [{name: x, type: fake, options: *t}]"))
	f.Add([]byte("{apiVersion: trustjob/v1, kind: Config, auth: {profileName: p}, tasks: [{name: a, type: fake, options: {limit: 1, actions: [{olderThan: 8d}]}}]}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("fuzz.yaml", data, testTypes, nil)
		if (cfg == nil) == (err == nil) {
			t.Fatalf("Parse returned cfg=%v err=%v", cfg, err)
		}
		if err != nil {
			var probs Problems
			if !errors.As(err, &probs) || len(probs) == 0 {
				t.Fatalf("err is not a non-empty Problems: %T %v", err, err)
			}
		}
	})
}
