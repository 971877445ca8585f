package doctor_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/trustjob/trustjob/internal/config"
	"github.com/trustjob/trustjob/internal/doctor"
	"github.com/trustjob/trustjob/internal/exitcode"
	"github.com/trustjob/trustjob/tasks/builtin"
)

// TestDoctorKnowsEachRuntime: the first check names the compute resource and
// its trust setup; on a VPC instance the chain goes through the metadata
// service (the emulator's) instead of a token file.
func TestDoctorKnowsEachRuntime(t *testing.T) {
	cases := []struct {
		name, auth string
		env        map[string]string
		want       []string // detail fragments of the compute resource check
		checks     []string // check names that must be there
	}{
		{"kubernetes", "{profileName: trustjob-runner}", nil, []string{"Kubernetes pod", "IKS_SA"}, []string{"token file", "token exchange"}},
		{"code engine", "{profileName: trustjob-runner, computeResource: code-engine}", map[string]string{"CE_JOB": "nightly"},
			[]string{"Code Engine job nightly", "--trusted-profiles-enabled", "--cr-type CE"}, []string{"token file", "token exchange"}},
		{"vpc", "{computeResource: vpc}", map[string]string{"TRUSTJOB_PROFILE_NAME": ""},
			[]string{"VPC virtual server", "--metadata-service true", "--cr-type VSI"}, []string{"metadata service", "token exchange", "access token"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := start(t)
			env := map[string]string{}
			for k, v := range w.l.Env {
				env[k] = v
			}
			for k, v := range c.env {
				env[k] = v
			}
			if c.name == "vpc" {
				env["TRUSTJOB_PROFILE_ID"] = w.l.ProfileID
			}
			var kv []string
			for k, v := range env {
				kv = append(kv, k+"="+v)
			}
			yaml := strings.Replace(configYAML, "auth: {profileName: trustjob-runner}", "auth: "+c.auth, 1)
			cfg, err := config.Parse("config.yaml", []byte(yaml), builtin.Registry(), kv)
			if err != nil {
				t.Fatal(err)
			}
			w.cfg = cfg
			w.l.Env = env
			rep := w.run(t)
			if rep.ExitCode != exitcode.OK {
				t.Fatalf("exit %d: %+v", rep.ExitCode, rep.Checks)
			}
			if rep.Checks[0].Name != "compute resource" {
				t.Fatalf("first check %q", rep.Checks[0].Name)
			}
			for _, f := range c.want {
				if !strings.Contains(rep.Checks[0].Detail, f) {
					t.Errorf("compute resource detail lacks %q: %s", f, rep.Checks[0].Detail)
				}
			}
			names := map[string]bool{}
			for _, ch := range rep.Checks {
				names[ch.Name] = true
			}
			for _, n := range c.checks {
				if !names[n] {
					t.Errorf("no %q check in %v", n, rep.Checks)
				}
			}
			if c.name == "vpc" && names["token file"] {
				t.Error("a VPC instance was asked for a token file")
			}
		})
	}
}

// TestDoctorVPCNotLinked: an instance not linked to the profile is explained
// with the command that links it.
func TestDoctorVPCNotLinked(t *testing.T) {
	w := start(t)
	kv := []string{"TRUSTJOB_PROFILE_ID=Profile-00000000-0000-0000-0000-00000000dead", "TRUSTJOB_COMPUTE_RESOURCE=vpc"}
	for k, v := range w.l.Env {
		if k != "TRUSTJOB_PROFILE_NAME" {
			kv = append(kv, k+"="+v)
		}
	}
	cfg, err := config.Parse("config.yaml", []byte(strings.Replace(configYAML, "auth: {profileName: trustjob-runner}", "auth: {}", 1)), builtin.Registry(), kv)
	if err != nil {
		t.Fatal(err)
	}
	w.cfg = cfg
	rep := w.run(t)
	if rep.ExitCode != exitcode.NoPerm {
		t.Fatalf("exit %d, want 77: %+v", rep.ExitCode, rep.Checks)
	}
	var out bytes.Buffer
	for _, c := range rep.Checks {
		if c.Status == doctor.Fail {
			out.WriteString(c.Detail + " / " + c.Fix)
		}
	}
	if !strings.Contains(out.String(), "not linked") || !strings.Contains(out.String(), "trusted-profile-link-create") {
		t.Errorf("failure not explained: %s", out.String())
	}
}
