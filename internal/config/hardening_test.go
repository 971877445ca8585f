package config

import (
	"strings"
	"testing"
	"time"
)

// Issue 12 items 15, 20 and 21: what run refuses before the network,
// validate (which is Parse) refuses too, and durations never overflow.
func TestHardeningProblems(t *testing.T) {
	const base = "apiVersion: trustjob/v1\nkind: Config\nauth: {profileName: p}\n"
	tests := []struct {
		name string
		yaml string
		env  []string
		want string // "" means valid
	}{
		{"day count that overflows", "tasks: [{name: a, type: fake, timeout: 213504d}]\n", nil, "at most 3650d"},
		{"hours beyond ten years", "deadline: 100000h\ntasks: [{name: a, type: fake}]\n", nil, "at most 3650d"},
		{"ten years is fine", "tasks: [{name: a, type: fake, timeout: 3650d}]\n", nil, ""},
		{"task named like the run summary", "tasks: [{name: run-summary.json, type: fake}]\n", nil, "is reserved"},
		{"iamURL host run refuses", "tasks: [{name: a, type: fake}]\n", []string{"TRUSTJOB_IAM_URL=https://iam.example.com"}, "iam.example.com is not an IBM Cloud host"},
		{"iamURL host listed", "allowedHosts: [iam.example.com]\ntasks: [{name: a, type: fake}]\n", []string{"TRUSTJOB_IAM_URL=https://iam.example.com"}, ""},
		{"plain http service override", "tasks: [{name: a, type: fake}]\n", []string{"RESOURCE_CONTROLLER_URL=http://resource-controller.cloud.ibm.com"}, "$RESOURCE_CONTROLLER_URL: IBM Cloud credentials go only over https"},
		{"service override to a foreign host", "tasks: [{name: a, type: fake}]\n", []string{"GLOBAL_SEARCH_URL=https://collector.example.net"}, "$GLOBAL_SEARCH_URL: host not allowed"},
		{"loopback emulator over http", "allowedHosts: [127.0.0.1]\ntasks: [{name: a, type: fake}]\n", []string{"RESOURCE_CONTROLLER_URL=http://127.0.0.1:8080"}, ""},
		{"keep count", "output: {keep: 10}\ntasks: [{name: a, type: fake}]\n", nil, ""},
		{"keep age", "output: {keep: 90d}\ntasks: [{name: a, type: fake}]\n", nil, ""},
		{"keep zero", "output: {keep: 0}\ntasks: [{name: a, type: fake}]\n", nil, "between 1 and 100000"},
		{"keep nonsense", "output: {keep: forever}\ntasks: [{name: a, type: fake}]\n", nil, "is not a count, an age or all"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("c.yaml", []byte(base+tt.yaml), testTypes, tt.env)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}

func TestKeep(t *testing.T) {
	for in, want := range map[string]Keep{"10": {Count: 10}, "90d": {Age: 90 * 24 * time.Hour}, "all": {All: true}} {
		cfg, err := Parse("c.yaml", []byte("apiVersion: trustjob/v1\nkind: Config\nauth: {profileName: p}\noutput: {keep: "+in+"}\ntasks: [{name: a, type: fake}]\n"), testTypes, nil)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Output.Keep != want {
			t.Errorf("keep %s = %+v, want %+v", in, cfg.Output.Keep, want)
		}
	}
	if (Keep{}).Effective().Count != DefaultKeep {
		t.Error("no default")
	}
}
