package ibmcloud_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/IBM/platform-services-go-sdk/iamidentityv1"

	"github.com/trustjob/trustjob/internal/ibmcloud"
)

func TestCheckDryRun(t *testing.T) {
	acct := "https://iam.cloud.ibm.com/v1/activity/accounts/abc/report"
	tests := []struct {
		name, service, method, url string
		dry                        bool
		refused                    bool
	}{
		{"not a dry run: anything goes", ibmcloud.ServiceIAMIdentity, "POST", "https://iam.cloud.ibm.com/v1/apikeys/k/disable", false, false},
		{"GET", ibmcloud.ServiceIAMIdentity, "GET", "https://iam.cloud.ibm.com/v1/apikeys", true, false},
		{"HEAD", ibmcloud.ServiceResourceController, "HEAD", "https://resource-controller.cloud.ibm.com/v2/resource_instances", true, false},
		{"disable an API key", ibmcloud.ServiceIAMIdentity, "POST", "https://iam.cloud.ibm.com/v1/apikeys/k/disable", true, true},
		{"lock a service ID", ibmcloud.ServiceIAMIdentity, "POST", "https://iam.cloud.ibm.com/v1/serviceids/s/lock", true, true},
		{"remove from all groups", ibmcloud.ServiceAccessGroups, "DELETE", "https://iam.cloud.ibm.com/v2/groups/_allgroups/members/x", true, true},
		{"PATCH", ibmcloud.ServiceResourceController, "PATCH", "https://resource-controller.cloud.ibm.com/v2/resource_instances/x", true, true},
		{"PUT", ibmcloud.ServiceGlobalTagging, "PUT", "https://tags.global-search-tagging.cloud.ibm.com/v3/tags", true, true},
		{"Global Search", ibmcloud.ServiceGlobalSearch, "POST", "https://api.global-search-tagging.cloud.ibm.com/v3/resources/search?limit=1000", true, false},
		{"inactive-identities report creation", ibmcloud.ServiceIAMIdentity, "POST", acct + "?type=inactive", true, false},
		{"MFA report creation", ibmcloud.ServiceIAMIdentity, "POST", "https://iam.cloud.ibm.com/v1/mfa/accounts/abc/report", true, false},
		{"report path on another service", ibmcloud.ServiceAccessGroups, "POST", acct, true, true},
		{"search path with a suffix", ibmcloud.ServiceGlobalSearch, "POST", "https://api.global-search-tagging.cloud.ibm.com/v3/resources/search/x", true, true},
		{"tag attach is a POST and a write", ibmcloud.ServiceGlobalTagging, "POST", "https://tags.global-search-tagging.cloud.ibm.com/v3/tags/attach", true, true},
		{"token exchange", ibmcloud.ServiceIAMToken, "POST", "https://iam.cloud.ibm.com/identity/token", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			if tt.dry {
				ctx = ibmcloud.WithDryRun(ctx)
			}
			req := httptest.NewRequestWithContext(ctx, tt.method, tt.url, nil)
			err := ibmcloud.CheckDryRun(tt.service, req)
			if (err != nil) != tt.refused || (err != nil && !errors.Is(err, ibmcloud.ErrDryRunWrite)) {
				t.Errorf("CheckDryRun = %v, refused want %v", err, tt.refused)
			}
		})
	}
}

// TestDryRunRefusalIsNotSentNorRetried: through a client of New, a refused
// write reaches no server and is not retried.
func TestDryRunRefusalIsNotSentNorRetried(t *testing.T) {
	srv := &server{statuses: []int{200}}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	c, err := ibmcloud.New(ibmcloud.Options{Authenticator: bearer(), AllowedHosts: []string{"127.0.0.1"},
		Getenv: envOf(map[string]string{"IAM_IDENTITY_URL": ts.URL}), MaxRetries: 3})
	if err != nil {
		t.Fatal(err)
	}
	id := "ApiKey-1"
	_, err = c.IAMIdentity.DisableAPIKeyWithContext(ibmcloud.WithDryRun(context.Background()), &iamidentityv1.DisableAPIKeyOptions{ID: &id})
	if !errors.Is(err, ibmcloud.ErrDryRunWrite) {
		t.Fatalf("err = %v, want the dry-run refusal", err)
	}
	if srv.hits.Load() != 0 || c.Requests.Get(ibmcloud.ServiceIAMIdentity) != 0 {
		t.Errorf("%d requests reached the server, %d counted", srv.hits.Load(), c.Requests.Get(ibmcloud.ServiceIAMIdentity))
	}
}
