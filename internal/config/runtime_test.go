package config

import (
	"path/filepath"
	"testing"
	"time"
)

// TestRuntimeDefaults covers what each computeResource fills in: the token
// file Code Engine mounts, the metadata service a VPC instance asks, and the
// metrics paths next to the reports.
func TestRuntimeDefaults(t *testing.T) {
	const head = "apiVersion: trustjob/v1\nkind: Config\n"
	const tail = "tasks:\n  - {name: a, type: fake}\n"
	const crn = "crn:v1:bluemix:public:iam-identity::a/0123456789abcdef0123456789abcdef::profile:Profile-00000000-0000-0000-0000-000000000001"
	cases := []struct {
		name, yaml string
		env        []string
		check      func(t *testing.T, c *Config)
	}{
		{"kubernetes by default", "auth: {profileName: p}\n", nil, func(t *testing.T, c *Config) {
			if c.Auth.Compute() != ComputeKubernetes || c.Auth.CRTokenFile != DefaultCRTokenFile || c.Auth.MetadataURL != "" {
				t.Errorf("auth = %+v", c.Auth)
			}
		}},
		{"code engine picks its mounted token", "auth: {profileName: p, computeResource: code-engine}\n", nil, func(t *testing.T, c *Config) {
			if c.Auth.CRTokenFile != DefaultCodeEngineTokenFile {
				t.Errorf("crTokenFile = %q, want %q", c.Auth.CRTokenFile, DefaultCodeEngineTokenFile)
			}
		}},
		{"code engine keeps an explicit token file", "auth: {profileName: p, computeResource: code-engine, crTokenFile: /t}\n", nil, func(t *testing.T, c *Config) {
			if c.Auth.CRTokenFile != "/t" {
				t.Errorf("crTokenFile = %q", c.Auth.CRTokenFile)
			}
		}},
		{"vpc by ID uses the link-local metadata service", "auth: {profileID: Profile-1, computeResource: vpc}\n", nil, func(t *testing.T, c *Config) {
			if c.Auth.MetadataURL != DefaultMetadataURL || c.Auth.CRTokenFile != "" {
				t.Errorf("auth = %+v", c.Auth)
			}
		}},
		{"vpc by CRN over the secure metadata host", "auth: {profileCRN: " + crn + ", computeResource: vpc, metadataURL: 'https://api.metadata.cloud.ibm.com'}\n", nil, func(t *testing.T, c *Config) {
			if c.Auth.ProfileCRN != crn {
				t.Errorf("auth = %+v", c.Auth)
			}
		}},
		{"vpc from the environment, emulator allowed explicitly", "auth: {}\nallowedHosts: [127.0.0.1]\n",
			[]string{EnvComputeResource + "=vpc", EnvProfileID + "=Profile-2", EnvMetadataURL + "=http://127.0.0.1:8080"},
			func(t *testing.T, c *Config) {
				if c.Auth.Compute() != ComputeVPC || c.Auth.MetadataURL != "http://127.0.0.1:8080" || c.Auth.ProfileID != "Profile-2" {
					t.Errorf("auth = %+v", c.Auth)
				}
			}},
		{"metrics defaults", "auth: {profileName: p}\noutput: {dir: /reports}\nmetrics: {pushgateway: {url: 'http://pg:9091'}, textfile: {}}\n", nil, func(t *testing.T, c *Config) {
			p := c.Metrics.Pushgateway
			if p.Job != DefaultPushgatewayJob || p.Timeout.D() != 10*time.Second {
				t.Errorf("pushgateway = %+v", p)
			}
			if want := filepath.Join("/reports", DefaultTextfileName); c.Metrics.Textfile.TextfilePath(c.Output.Dir) != want {
				t.Errorf("textfile = %q, want %q", c.Metrics.Textfile.TextfilePath(c.Output.Dir), want)
			}
			if got := c.Metrics.Textfile.TextfilePath(""); got != "" {
				t.Errorf("relative textfile without a report directory = %q, want none", got)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse("t.yaml", []byte(head+tc.yaml+tail), testTypes, tc.env)
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, c)
		})
	}
}

// TestMetadataURLNeedsAllowedHost: an emulator's metadata service on loopback
// is refused until allowedHosts lists it.
func TestMetadataURLNeedsAllowedHost(t *testing.T) {
	y := "apiVersion: trustjob/v1\nkind: Config\nauth: {profileID: Profile-1, computeResource: vpc, metadataURL: 'http://127.0.0.1:8080'}\ntasks:\n  - {name: a, type: fake}\n"
	if _, err := Parse("t.yaml", []byte(y), testTypes, nil); err == nil {
		t.Fatal("a loopback metadata service not in allowedHosts was accepted")
	}
}
