package cloudsim

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/IBM/go-sdk-core/v5/core"
	"github.com/IBM/platform-services-go-sdk/enterprisemanagementv1"
	"github.com/IBM/platform-services-go-sdk/iamidentityv1"
	"github.com/golang-jwt/jwt/v5"
)

func startEnterpriseT(t *testing.T, spec EnterpriseSpec) *EnterpriseLocal {
	t.Helper()
	l, err := StartEnterpriseLocal(spec, Options{}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l
}

// signIn exchanges the cluster's token for profile (by ID) through the
// official authenticator, as trustjob does.
func signIn(t *testing.T, l *EnterpriseLocal, profileID string) (*core.ContainerAuthenticator, string, error) {
	t.Helper()
	a, err := core.NewContainerAuthenticatorBuilder().SetIAMProfileID(profileID).
		SetCRTokenFilename(l.TokenFile).SetURL(l.URL()).Build()
	if err != nil {
		t.Fatal(err)
	}
	tok, err := a.GetToken()
	return a, tok, err
}

// TestEnterpriseCrossAccountExchange: a link from another account is
// honoured only when it is marked is_cross_account; otherwise IAM refuses
// with BXNIM0398E in its token error shape, and says why in the details.
func TestEnterpriseCrossAccountExchange(t *testing.T) {
	spec := DefaultEnterpriseSpec()
	spec.NotCrossAccount = []int{1}
	l := startEnterpriseT(t, spec)

	good := l.Children[0]
	a, tok, err := signIn(t, l, good.ProfileID)
	if err != nil {
		t.Fatalf("cross-account link: %v", err)
	}
	var claims struct {
		IAMID   string `json:"iam_id"`
		Account struct {
			BSS string `json:"bss"`
		} `json:"account"`
		jwt.RegisteredClaims
	}
	if _, _, err := jwt.NewParser().ParseUnverified(tok, &claims); err != nil {
		t.Fatal(err)
	}
	if claims.Account.BSS != good.ID || claims.IAMID != "iam-"+good.ProfileID {
		t.Errorf("access token for account %s as %s, want %s as iam-%s", claims.Account.BSS, claims.IAMID, good.ID, good.ProfileID)
	}
	// The token works in its own account (the front routes by account.bss).
	iam, err := iamidentityv1.NewIamIdentityV1(&iamidentityv1.IamIdentityV1Options{URL: l.URL(), Authenticator: a})
	if err != nil {
		t.Fatal(err)
	}
	prof, _, err := iam.GetProfile(&iamidentityv1.GetProfileOptions{ProfileID: &good.ProfileID})
	if err != nil || *prof.AccountID != good.ID {
		t.Fatalf("GetProfile in the target account: %v", err)
	}
	links, _, err := iam.ListLinks(&iamidentityv1.ListLinksOptions{ProfileID: &good.ProfileID})
	if err != nil || len(links.Links) != 1 || links.Links[0].IsCrossAccount == nil || !*links.Links[0].IsCrossAccount {
		t.Fatalf("the profile's link: %v %+v", err, links)
	}

	bad := l.Children[1]
	_, _, err = signIn(t, l, bad.ProfileID)
	var ae *core.AuthenticationError
	if !errors.As(err, &ae) || ae.Response.StatusCode != http.StatusBadRequest {
		t.Fatalf("link without is_cross_account: %v, want a 400 authentication error", err)
	}
	body, _ := ae.Response.Result.(map[string]any)
	if body["errorCode"] != "BXNIM0398E" || !strings.Contains(body["errorDetails"].(string), "is_cross_account") ||
		!strings.Contains(body["errorMessage"].(string), "not eligible") {
		t.Errorf("refusal body %v", body)
	}
	if n := l.Sim(bad.ID).Log().Count(ServiceIAMToken); n != 1 {
		t.Errorf("the refused exchange reached the account %d times, want 1", n)
	}
}

// TestEnterpriseManagementAPI reads the enterprise through the official
// Enterprise Management client: paging with next_docid, states, groups
// (nested), the account-group hierarchy filter; and refuses a caller from a
// child account (Enterprise access is granted in the enterprise account).
func TestEnterpriseManagementAPI(t *testing.T) {
	spec := DefaultEnterpriseSpec()
	spec.Accounts, spec.Groups, spec.Suspended, spec.Pending, spec.Canceled = 7, 3, 1, 1, 1
	l := startEnterpriseT(t, spec)
	a, _, err := signIn(t, l, l.ProfileID)
	if err != nil {
		t.Fatal(err)
	}
	em, err := enterprisemanagementv1.NewEnterpriseManagementV1(&enterprisemanagementv1.EnterpriseManagementV1Options{
		URL: l.Env["ENTERPRISE_MANAGEMENT_URL"], Authenticator: a})
	if err != nil {
		t.Fatal(err)
	}
	ents, _, err := em.ListEnterprises(&enterprisemanagementv1.ListEnterprisesOptions{EnterpriseAccountID: &l.Hub.AccountID})
	if err != nil || len(ents.Resources) != 1 {
		t.Fatalf("ListEnterprises: %v", err)
	}
	ent := ents.Resources[0]
	pager, err := em.NewAccountsPager(&enterprisemanagementv1.ListAccountsOptions{EnterpriseID: ent.ID, Limit: core.Int64Ptr(3)})
	if err != nil {
		t.Fatal(err)
	}
	all, err := pager.GetAll()
	if err != nil {
		t.Fatal(err)
	}
	states := map[string]int{}
	for _, acct := range all {
		states[*acct.State]++
		if !strings.HasPrefix(*acct.EnterprisePath, "enterprise:"+*ent.ID) {
			t.Errorf("enterprise_path %s", *acct.EnterprisePath)
		}
	}
	if len(all) != 8 || states["ACTIVE"] != 5 || states["SUSPENDED"] != 1 || states["PENDING"] != 1 || states["CANCELED"] != 1 {
		t.Errorf("%d accounts, states %v; want 8 (the enterprise account and 7 children)", len(all), states)
	}
	groups, err := em.NewAccountGroupsPager(&enterprisemanagementv1.ListAccountGroupsOptions{EnterpriseID: ent.ID})
	if err != nil {
		t.Fatal(err)
	}
	gs, err := groups.GetAll()
	if err != nil || len(gs) != 3 || !strings.Contains(*gs[2].EnterprisePath, "account-group:"+*gs[0].ID+"/account-group:"+*gs[2].ID) {
		t.Fatalf("account groups: %v %d (the third nested in the first)", err, len(gs))
	}
	// Accounts below the first group: its own and those of the nested group.
	under, _, err := em.ListAccounts(&enterprisemanagementv1.ListAccountsOptions{AccountGroupID: gs[0].ID})
	if err != nil || len(under.Resources) != 5 {
		t.Errorf("accounts under group %s: %v, %d want 5", *gs[0].Name, err, len(under.Resources))
	}
	acct, _, err := em.GetAccount(&enterprisemanagementv1.GetAccountOptions{AccountID: &l.Children[0].ID})
	if err != nil || *acct.Name != l.Children[0].Name {
		t.Errorf("GetAccount: %v", err)
	}
	_, resp, err := em.GetAccount(&enterprisemanagementv1.GetAccountOptions{AccountID: core.StringPtr("00000000000000000000000000000000")})
	if err == nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown account: %v", err)
	}

	// A child account's profile has no access to the enterprise.
	ca, _, err := signIn(t, l, l.Children[0].ProfileID)
	if err != nil {
		t.Fatal(err)
	}
	em2, _ := enterprisemanagementv1.NewEnterpriseManagementV1(&enterprisemanagementv1.EnterpriseManagementV1Options{
		URL: l.Env["ENTERPRISE_MANAGEMENT_URL"], Authenticator: ca})
	_, resp, err = em2.ListAccounts(&enterprisemanagementv1.ListAccountsOptions{EnterpriseID: ent.ID})
	if err == nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("a child account's caller: %v, want 403", err)
	}
}

// TestSingleAccountHasNoEnterprise: an account outside any enterprise
// answers the Enterprise API with 403, and the single-account emulator is
// unchanged otherwise.
func TestSingleAccountHasNoEnterprise(t *testing.T) {
	c := startIDSDK(t, DefaultSpec(), Options{})
	em, _ := enterprisemanagementv1.NewEnterpriseManagementV1(&enterprisemanagementv1.EnterpriseManagementV1Options{
		URL: c.l.Env["ENTERPRISE_MANAGEMENT_URL"], Authenticator: c.auth})
	_, resp, err := em.ListAccounts(&enterprisemanagementv1.ListAccountsOptions{})
	if err == nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("ListAccounts in a lone account: %v, want 403", err)
	}
}
