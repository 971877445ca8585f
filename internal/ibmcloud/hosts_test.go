package ibmcloud_test

import (
	"os"
	"strings"
	"testing"

	"github.com/trustjob/trustjob/internal/ibmcloud"
)

// The hosts IBM documents per network (issue 13, F1): the regional cloud
// service endpoints for classic and non-US VPC clusters, the global private
// hosts only behind VPE gateways. Each row is a documented host; the old
// choice (private.resource-controller.cloud.ibm.com for RC and RM,
// private.user-management.cloud.ibm.com, private.billing.cloud.ibm.com for
// every private cluster) fails this table.
func TestDocumentedHosts(t *testing.T) {
	want := map[string][3]string{ // service: CSE us-south, CSE us-east, VPE
		ibmcloud.ServiceIAMToken:           {"https://private.us-south.iam.cloud.ibm.com", "https://private.us-east.iam.cloud.ibm.com", "https://private.iam.cloud.ibm.com"},
		ibmcloud.ServiceIAMIdentity:        {"https://private.us-south.iam.cloud.ibm.com", "https://private.us-east.iam.cloud.ibm.com", "https://private.iam.cloud.ibm.com"},
		ibmcloud.ServiceAccessGroups:       {"https://private.us-south.iam.cloud.ibm.com", "https://private.us-east.iam.cloud.ibm.com", "https://private.iam.cloud.ibm.com"},
		ibmcloud.ServicePolicyManagement:   {"https://private.us-south.iam.cloud.ibm.com", "https://private.us-east.iam.cloud.ibm.com", "https://private.iam.cloud.ibm.com"},
		ibmcloud.ServiceResourceController: {"https://private.us-south.resource-controller.cloud.ibm.com", "https://private.us-east.resource-controller.cloud.ibm.com", "https://private.resource-controller.cloud.ibm.com"},
		ibmcloud.ServiceResourceManager:    {"https://private.us-south.resource-controller.cloud.ibm.com", "https://private.us-east.resource-controller.cloud.ibm.com", "https://private.resource-controller.cloud.ibm.com"},
		ibmcloud.ServiceGlobalSearch:       {"https://api.private.us-south.global-search-tagging.cloud.ibm.com", "https://api.private.global-search-tagging.cloud.ibm.com", "https://api.private.global-search-tagging.cloud.ibm.com"},
		ibmcloud.ServiceGlobalTagging:      {"https://tags.private.us-south.global-search-tagging.cloud.ibm.com", "https://tags.private.global-search-tagging.cloud.ibm.com", "https://tags.private.global-search-tagging.cloud.ibm.com"},
		ibmcloud.ServiceUsageReports:       {"https://private.us-south.billing.cloud.ibm.com", "https://private.us-east.billing.cloud.ibm.com", "https://private.billing.cloud.ibm.com"},
		ibmcloud.ServiceUserManagement:     {"https://private.us-south.user-management.cloud.ibm.com", "https://private.us-east.user-management.cloud.ibm.com", "https://private.user-management.cloud.ibm.com"},
		// Only a VPE host is documented (issue 13: unverified for CSE).
		ibmcloud.ServiceAccountManagement: {"https://private.accounts.cloud.ibm.com", "https://private.accounts.cloud.ibm.com", "https://private.accounts.cloud.ibm.com"},
		ibmcloud.ServiceEnterprise:        {"https://private.us-south.enterprise.cloud.ibm.com/v1", "https://private.us-east.enterprise.cloud.ibm.com/v1", "https://private.enterprise.cloud.ibm.com/v1"},
	}
	if len(ibmcloud.Hosts) != len(want) {
		t.Errorf("%d hosts, %d expected", len(ibmcloud.Hosts), len(want))
	}
	for svc, w := range want {
		for i, n := range []ibmcloud.Network{{Mode: "private", Region: "us-south"}, {Mode: "private", Region: "us-east"}, {Mode: "vpe"}} {
			got, why := n.URL(svc)
			if got != w[i] {
				t.Errorf("%s on %s: %s, want %s", svc, n, got, w[i])
			}
			if !strings.Contains(why, n.String()) {
				t.Errorf("%s on %s: reason %q does not name the choice", svc, n, why)
			}
		}
	}
	// Public hosts are the SDK's defaults.
	for _, e := range ibmcloud.Endpoints {
		if got, _ := (ibmcloud.Network{}).URL(e.Service); got != e.Public {
			t.Errorf("%s public: %s, SDK default %s", e.Service, got, e.Public)
		}
		if h, _ := ibmcloud.HostFor(e.Service); !strings.Contains(h.VPETarget, strings.TrimSuffix(strings.TrimPrefix(h.VPE, "https://"), "/v1")) {
			t.Errorf("%s: VPE target %s does not name host %s", e.Service, h.VPETarget, h.VPE)
		}
	}
}

func TestNetworkValidate(t *testing.T) {
	tests := []struct {
		n       ibmcloud.Network
		wantErr string
	}{
		{ibmcloud.Network{}, ""},
		{ibmcloud.Network{Mode: "public"}, ""},
		{ibmcloud.Network{Mode: "vpe"}, ""},
		{ibmcloud.Network{Mode: "private", Region: "us-east"}, ""},
		{ibmcloud.Network{Mode: "private"}, "needs privateRegion us-south or us-east"},
		{ibmcloud.Network{Mode: "private", Region: "eu-de"}, `got "eu-de"`},
		{ibmcloud.Network{Mode: "vpe", Region: "us-south"}, "applies only to endpoints: private"},
		{ibmcloud.Network{Mode: "direct"}, "unknown endpoints"},
	}
	for _, tt := range tests {
		err := tt.n.Validate()
		if (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("%+v: %v, want %q", tt.n, err, tt.wantErr)
		}
		if tt.wantErr != "" {
			if _, err := ibmcloud.New(ibmcloud.Options{Authenticator: bearer(), Network: tt.n}); err == nil {
				t.Errorf("%+v: New accepted it", tt.n)
			}
		}
	}
}

func TestResolveSaysWhy(t *testing.T) {
	n := ibmcloud.Network{Mode: "private", Region: "us-east"}
	got := n.Resolve(envOf(map[string]string{"GLOBAL_SEARCH_URL": "https://search.example.com"}))
	if len(got) != len(ibmcloud.Endpoints) {
		t.Fatalf("%d rows", len(got))
	}
	for _, r := range got {
		switch r.Service {
		case ibmcloud.ServiceGlobalSearch:
			if r.URL != "https://search.example.com" || r.Why != "$GLOBAL_SEARCH_URL" {
				t.Errorf("override: %+v", r)
			}
		case ibmcloud.ServiceUserManagement:
			if r.URL != "https://private.us-east.user-management.cloud.ibm.com" || !strings.Contains(r.Why, "Table 13") {
				t.Errorf("user management: %+v", r)
			}
		}
	}
}

// The README's "Private endpoints" table lists every host New can pick.
func TestREADMEListsEveryHost(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	for _, h := range ibmcloud.Hosts {
		if !strings.Contains(h.CSE("us-south"), ".us-south.") && h.Service != ibmcloud.ServiceAccountManagement {
			t.Errorf("%s: CSE host %s is not regional", h.Service, h.CSE("us-south"))
		}
		for _, u := range []string{h.Public, h.VPE, h.CSE("us-south"), h.CSE("us-east")} {
			host := strings.TrimSuffix(strings.TrimPrefix(u, "https://"), "/v1")
			generic := strings.NewReplacer(".us-south.", ".R.", ".us-east.", ".R.").Replace(host)
			if !strings.Contains(readme, "`"+host+"`") && !strings.Contains(readme, "`"+generic+"`") {
				t.Errorf("README does not list %s (%s)", host, h.Service)
			}
		}
	}
}
