package cloudsim

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/IBM/go-sdk-core/v5/core"
	"github.com/IBM/platform-services-go-sdk/iamidentityv1"
	"github.com/IBM/platform-services-go-sdk/resourcecontrollerv2"

	"github.com/trustjob/trustjob/internal/cloudsim/testenv"
)

// A route the emulator does not serve answers 501 in the service's own error
// shape, after the token check, and shows in the request log (issue 13, IBM's
// integration tests): before, Go's plain-text 404/405 let IBM's negative tests
// pass against routes that do not exist.
func TestNotEmulatedRoutes(t *testing.T) {
	c := startIDSDK(t, testenv.ContractSpec(), Options{})
	ctx := context.Background()
	rc, err := resourcecontrollerv2.NewResourceControllerV2(&resourcecontrollerv2.ResourceControllerV2Options{
		URL: c.l.Env["RESOURCE_CONTROLLER_URL"], Authenticator: c.auth})
	if err != nil {
		t.Fatal(err)
	}
	calls := []struct {
		name    string
		call    func() (*core.DetailedResponse, error)
		service string
	}{
		{"IAM Identity: create an API key (POST on a GET-only path)", func() (*core.DetailedResponse, error) {
			_, r, err := c.iam.CreateAPIKeyWithContext(ctx, c.iam.NewCreateAPIKeyOptions("k", "iam-Profile-x"))
			return r, err
		}, ServiceIAMIdentity},
		{"IAM Identity: delete a service ID (unknown method on a known path)", func() (*core.DetailedResponse, error) {
			return c.iam.DeleteServiceIDWithContext(ctx, c.iam.NewDeleteServiceIDOptions("ServiceId-nope"))
		}, ServiceIAMIdentity},
		{"Resource Controller: a binding (path never mounted)", func() (*core.DetailedResponse, error) {
			_, r, err := rc.GetResourceBindingWithContext(ctx, rc.NewGetResourceBindingOptions("nope"))
			return r, err
		}, ServiceResourceCtl},
	}
	for _, tt := range calls {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := tt.call()
			if err == nil || resp == nil || resp.StatusCode != http.StatusNotImplemented {
				t.Fatalf("got %v %v, want 501", resp, err)
			}
			if !strings.Contains(err.Error(), "does not emulate") {
				t.Errorf("error %q: the SDK did not read an IBM error body", err)
			}
		})
	}
	var seen []Entry
	for _, e := range c.l.Sim.Log().Entries() {
		if e.NotEmulated {
			seen = append(seen, e)
			if e.Status != http.StatusNotImplemented || !e.Authorization {
				t.Errorf("logged %+v", e)
			}
		}
	}
	if got := c.l.Sim.Log().NotEmulated(); len(got) != len(calls) || len(seen) != len(calls) {
		t.Fatalf("%d not-emulated entries, want %d", len(got), len(calls))
	}
	for i, tt := range calls {
		if seen[i].Service != tt.service {
			t.Errorf("%s: logged under %q, want %q", tt.name, seen[i].Service, tt.service)
		}
	}

	// The token is checked first: no token, no hint of what exists.
	bad, _ := iamidentityv1.NewIamIdentityV1(&iamidentityv1.IamIdentityV1Options{
		URL: c.l.Env["IAM_IDENTITY_URL"], Authenticator: &core.NoAuthAuthenticator{}})
	_, resp, err := bad.CreateAPIKeyWithContext(ctx, bad.NewCreateAPIKeyOptions("k", "iam-Profile-x"))
	if resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("without a token: %v %v, want 401", resp, err)
	}
	// A path no service resembles.
	req, _ := http.NewRequest(http.MethodGet, c.l.Env["IAM_IDENTITY_URL"]+"/nothing/here", nil)
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusUnauthorized || r.Header.Get("Content-Type") != "application/json" {
		t.Errorf("unknown path without a token: %d %s", r.StatusCode, r.Header.Get("Content-Type"))
	}
}
