package cloudsim

import (
	"context"
	"testing"

	"github.com/IBM/go-sdk-core/v5/core"
	"github.com/IBM/platform-services-go-sdk/iamidentityv1"
)

// TestContractContainerAuthenticator drives the emulator exactly as trustjob
// does: go-sdk-core's ContainerAuthenticator exchanges the projected token,
// and an iamidentityv1 client uses the access token.
func TestContractContainerAuthenticator(t *testing.T) {
	l, err := StartLocal(DefaultSpec(), Options{}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })

	auth, err := core.NewContainerAuthenticatorBuilder().
		SetIAMProfileName(l.ProfileName).
		SetCRTokenFilename(l.TokenFile).
		SetURL(l.Env["TRUSTJOB_IAM_URL"]).
		Build()
	if err != nil {
		t.Fatal(err)
	}
	tok, err := auth.GetToken()
	if err != nil {
		t.Fatalf("GetToken: %v", err)
	}
	if tok == "" {
		t.Fatal("empty access token")
	}

	svc, err := iamidentityv1.NewIamIdentityV1(&iamidentityv1.IamIdentityV1Options{
		URL: l.Env["IAM_IDENTITY_URL"], Authenticator: auth,
	})
	if err != nil {
		t.Fatal(err)
	}
	p, resp, err := svc.GetProfileWithContext(context.Background(),
		svc.NewGetProfileOptions(l.ProfileID).SetIncludeActivity(true))
	if err != nil {
		t.Fatalf("GetProfile: %v (status %d)", err, statusOf(resp))
	}
	if *p.ID != l.ProfileID || *p.Name != l.ProfileName || *p.IamID != "iam-"+l.ProfileID {
		t.Errorf("profile = %s %s %s", *p.ID, *p.Name, *p.IamID)
	}
	if p.Activity == nil || p.Activity.LastAuthn == nil {
		t.Errorf("activity after a token exchange = %+v, want last_authn", p.Activity)
	}
}

func statusOf(resp *core.DetailedResponse) int {
	if resp == nil {
		return 0
	}
	return resp.StatusCode
}
