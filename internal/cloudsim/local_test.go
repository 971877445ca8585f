package cloudsim

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustjob/trustjob/internal/cloudsim/testenv"

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
		t.Fatalf("GetProfile: %v (status %d)", err, testenv.StatusOf(resp, err))
	}
	if *p.ID != l.ProfileID || *p.Name != l.ProfileName || *p.IamID != "iam-"+l.ProfileID {
		t.Errorf("profile = %s %s %s", *p.ID, *p.Name, *p.IamID)
	}
	if p.Activity == nil || p.Activity.LastAuthn == nil {
		t.Errorf("activity after a token exchange = %+v, want last_authn", p.Activity)
	}
}

func TestStartLocal(t *testing.T) {
	l, err := StartLocal(DefaultSpec(), Options{}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if l.Env["TRUSTJOB_CR_TOKEN_FILE"] != l.TokenFile || l.Env["TRUSTJOB_PROFILE_NAME"] != "trustjob-runner" ||
		l.Env["IAM_IDENTITY_URL"] != l.Sim.URL() || !strings.HasPrefix(l.ProfileID, "Profile-") {
		t.Errorf("env = %v", l.Env)
	}
	if target, err := os.Readlink(l.TokenFile); err != nil || target != filepath.Join("..data", "sa-token") {
		t.Errorf("token file is not the kubelet's symlink: %q %v", target, err)
	}
	if err := l.Refresh(); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(l.Sim.URL() + "/identity/keys")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("keys: %d", resp.StatusCode)
	}
}
