package identity

import (
	"context"
	"net/http"
	"testing"

	sdkcore "github.com/IBM/go-sdk-core/v5/core"
	"github.com/IBM/platform-services-go-sdk/iamidentityv1"

	"github.com/trustjob/trustjob/internal/cloudsim/core"
	"github.com/trustjob/trustjob/internal/cloudsim/testenv"
)

// IAM Identity's GETs send the entity's version as ETag, which the SDK's
// callers (and IBM's integration tests) read for If-Match (issue 13).
func TestContractETagOnGets(t *testing.T) {
	c := startSDK(t, core.Options{})
	ctx := context.Background()
	keys, _, err := c.iam.ListAPIKeysWithContext(ctx, c.iam.NewListAPIKeysOptions().SetAccountID(c.account).SetScope("account").SetPagesize(1))
	if err != nil || len(keys.Apikeys) == 0 {
		t.Fatalf("list keys: %v", err)
	}
	sids, _, err := c.iam.ListServiceIdsWithContext(ctx, c.iam.NewListServiceIdsOptions().SetAccountID(c.account).SetPagesize(1))
	if err != nil || len(sids.Serviceids) == 0 {
		t.Fatalf("list service IDs: %v", err)
	}
	gets := []struct {
		name string
		get  func() (*sdkcore.DetailedResponse, string, error)
	}{
		{"API key", func() (*sdkcore.DetailedResponse, string, error) {
			k, r, err := c.iam.GetAPIKeyWithContext(ctx, c.iam.NewGetAPIKeyOptions(*keys.Apikeys[0].ID))
			return r, tag(k, func() *string { return k.EntityTag }), err
		}},
		{"service ID", func() (*sdkcore.DetailedResponse, string, error) {
			x, r, err := c.iam.GetServiceIDWithContext(ctx, c.iam.NewGetServiceIDOptions(*sids.Serviceids[0].ID))
			return r, tag(x, func() *string { return x.EntityTag }), err
		}},
		{"trusted profile", func() (*sdkcore.DetailedResponse, string, error) {
			p, r, err := c.iam.GetProfileWithContext(ctx, c.iam.NewGetProfileOptions(c.env.Runner.ID))
			return r, tag(p, func() *string { return p.EntityTag }), err
		}},
		{"account settings", func() (*sdkcore.DetailedResponse, string, error) {
			s, r, err := c.iam.GetAccountSettingsWithContext(ctx, c.iam.NewGetAccountSettingsOptions(c.account))
			return r, tag(s, func() *string { return s.EntityTag }), err
		}},
	}
	for _, g := range gets {
		resp, bodyTag, err := g.get()
		if err != nil {
			t.Fatalf("%s: %v", g.name, err)
		}
		if h := resp.GetHeaders().Get("Etag"); h == "" || h != bodyTag {
			t.Errorf("%s: ETag %q, entity_tag %q", g.name, h, bodyTag)
		}
	}
}

func tag[T any](v *T, f func() *string) string {
	if v == nil || f() == nil {
		return ""
	}
	return *f()
}

// GET /v1/apikeys with a filter is refused, not answered as if unfiltered:
// IBM's ListAPIKeys test sends one and counts what comes back (issue 13).
func TestContractAPIKeysFilterRefused(t *testing.T) {
	c := startSDK(t, core.Options{})
	_, resp, err := c.iam.ListAPIKeysWithContext(context.Background(),
		c.iam.NewListAPIKeysOptions().SetAccountID(c.account).SetScope("account").SetFilter(`name co "Go"`))
	if testenv.StatusOf(resp, err) != http.StatusBadRequest {
		t.Fatalf("filter: %d %v, want 400", testenv.StatusOf(resp, err), err)
	}
}

// A malformed link is a 400 whatever the profile: IAM validates the body
// before it looks the profile up (IBM's CreateLinkBadRequest; issue 13).
func TestContractLinkBodyBeforeProfile(t *testing.T) {
	c := startSDK(t, core.Options{})
	link := &iamidentityv1.CreateProfileLinkRequestLink{
		CRN:       sdkcore.StringPtr("crn:v1:staging:public:iam-identity::a/" + c.account + "::computeresource:Fake-Compute-Resource"),
		Namespace: sdkcore.StringPtr("default"), Name: sdkcore.StringPtr("nice name"),
	}
	_, resp, err := c.iam.CreateLinkWithContext(context.Background(),
		c.iam.NewCreateLinkOptions("invalidId", "dummy", link).SetName("dummy"))
	if testenv.StatusOf(resp, err) != http.StatusBadRequest {
		t.Fatalf("bad cr_type on an unknown profile: %d %v, want 400", testenv.StatusOf(resp, err), err)
	}
	// A valid body on an unknown profile is still a 404.
	_, resp, err = c.iam.CreateLinkWithContext(context.Background(),
		c.iam.NewCreateLinkOptions("Profile-nope", "IKS_SA", link).SetName("x"))
	if testenv.StatusOf(resp, err) != http.StatusNotFound {
		t.Fatalf("unknown profile: %d %v, want 404", testenv.StatusOf(resp, err), err)
	}
}
