package identity

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/trustjob/trustjob/internal/cloudsim/account"
	"github.com/trustjob/trustjob/internal/cloudsim/core"
	"github.com/trustjob/trustjob/internal/cloudsim/iamtoken"
	"github.com/trustjob/trustjob/internal/cloudsim/testenv"

	sdkcore "github.com/IBM/go-sdk-core/v5/core"
	"github.com/IBM/platform-services-go-sdk/iamidentityv1"
	"github.com/golang-jwt/jwt/v5"
)

// newIAMEnv is an emulator with IAM Identity and the token service over the
// default account with seven profiles.
func newIAMEnv(t *testing.T, opts core.Options) *testenv.Env {
	t.Helper()
	spec := account.DefaultSpec()
	spec.Profiles = 7
	return testenv.New(t, spec, opts, Mount, iamtoken.Mount)
}

// identityClient is an iamidentityv1 client signed in as the runner through
// the SDK's ContainerAuthenticator, as trustjob signs in.
func identityClient(t *testing.T, e *testenv.Env) *iamidentityv1.IamIdentityV1 {
	t.Helper()
	svc, err := iamidentityv1.NewIamIdentityV1(&iamidentityv1.IamIdentityV1Options{URL: e.Srv.URL, Authenticator: e.Authenticator(t)})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// problem returns the status and decoded body of an SDK error, and checks the
// IAM Identity error shape (errors[0] with code, message_code, message).
func identityProblem(t *testing.T, err error) (int, map[string]any) {
	t.Helper()
	status, body := testenv.Problem(t, err)
	list, _ := body["errors"].([]any)
	if len(list) == 0 {
		t.Fatalf("error body without errors[0]: %v", body)
	}
	e0, _ := list[0].(map[string]any)
	for _, k := range []string{"code", "message_code", "message"} {
		if s, _ := e0[k].(string); s == "" {
			t.Errorf("errors[0].%s missing in %v", k, e0)
		}
	}
	if sc, _ := body["status_code"].(string); sc == "" {
		t.Errorf("status_code is not a string in %v", body)
	}
	if tr, _ := body["trace"].(string); tr == "" {
		t.Errorf("no trace in %v", body)
	}
	return status, body
}

func TestProfilesPaging(t *testing.T) {
	e := newIAMEnv(t, core.Options{})
	svc := identityClient(t, e)
	ctx := context.Background()
	seen := map[string]bool{}
	opts := svc.NewListProfilesOptions(e.World.AccountID).SetPagesize(2)
	pages := 0
	for {
		list, _, err := svc.ListProfilesWithContext(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, p := range list.Profiles {
			if seen[*p.ID] {
				t.Errorf("profile %s twice", *p.ID)
			}
			seen[*p.ID] = true
			if p.CreatedAt == nil || p.ModifiedAt == nil || *p.IamID != "iam-"+*p.ID || *p.AccountID != e.World.AccountID ||
				!strings.HasSuffix(*p.CRN, "::profile:"+*p.ID) || *p.EntityTag == "" {
				t.Errorf("profile fields: %+v", p)
			}
		}
		if list.First == nil || *list.Limit != 2 {
			t.Errorf("first %v limit %v", list.First, list.Limit)
		}
		if list.Next == nil {
			break
		}
		tok, err := sdkcore.GetQueryParam(list.Next, "pagetoken")
		if err != nil || tok == nil {
			t.Fatalf("next %q has no pagetoken: %v", *list.Next, err)
		}
		opts.SetPagetoken(*tok)
		if pages > 10 {
			t.Fatal("paging does not end")
		}
	}
	if len(seen) != e.Spec.Profiles || pages != 4 {
		t.Errorf("%d profiles in %d pages, want %d in 4", len(seen), pages, e.Spec.Profiles)
	}

	// Name filter, SCIM filter and sort.
	list, _, err := svc.ListProfilesWithContext(ctx, svc.NewListProfilesOptions(e.World.AccountID).SetName(e.Runner.Name))
	if err != nil || len(list.Profiles) != 1 || *list.Profiles[0].ID != e.Runner.ID || list.Next != nil {
		t.Fatalf("by name: %v %v", list, err)
	}
	list, _, err = svc.ListProfilesWithContext(ctx, svc.NewListProfilesOptions(e.World.AccountID).SetFilter(`name co "-"`).
		SetSort("name").SetOrder("desc").SetPagesize(100))
	if err != nil || len(list.Profiles) != e.Spec.Profiles {
		t.Fatalf("filter: %d profiles, %v", len(list.Profiles), err)
	}
	for i := 1; i < len(list.Profiles); i++ {
		if *list.Profiles[i-1].Name < *list.Profiles[i].Name {
			t.Errorf("not sorted desc: %s before %s", *list.Profiles[i-1].Name, *list.Profiles[i].Name)
		}
	}

	bad := []*iamidentityv1.ListProfilesOptions{
		svc.NewListProfilesOptions(e.World.AccountID).SetPagesize(0),
		svc.NewListProfilesOptions(e.World.AccountID).SetPagesize(101),
		svc.NewListProfilesOptions(e.World.AccountID).SetPagetoken("bogus"),
		svc.NewListProfilesOptions(e.World.AccountID).SetSort("color"),
		svc.NewListProfilesOptions(e.World.AccountID).SetFilter("name likes x"),
		svc.NewListProfilesOptions(""),
	}
	for i, o := range bad {
		_, _, err := svc.ListProfilesWithContext(ctx, o)
		if i == len(bad)-1 {
			if err == nil {
				t.Error("empty account_id accepted")
			}
			continue // the SDK refuses an empty account_id itself
		}
		if st, _ := identityProblem(t, err); st != http.StatusBadRequest {
			t.Errorf("bad list %d: status %d", i, st)
		}
	}
	_, _, err = svc.ListProfilesWithContext(ctx, svc.NewListProfilesOptions("0123456789abcdef0123456789abcdef"))
	if st, _ := identityProblem(t, err); st != http.StatusForbidden {
		t.Errorf("other account: status %d", st)
	}
}

func TestProfileLinksAndRules(t *testing.T) {
	e := newIAMEnv(t, core.Options{})
	svc := identityClient(t, e)
	ctx := context.Background()
	c := e.World.IAM.Clusters[0]

	links, _, err := svc.ListLinksWithContext(ctx, svc.NewListLinksOptions(e.Runner.ID))
	if err != nil || len(links.Links) != 1 {
		t.Fatalf("links: %v %v", links, err)
	}
	l := links.Links[0]
	if *l.CrType != "IKS_SA" || *l.Link.CRN != c.CRN || *l.Link.Namespace != "trustjob" || *l.Link.Name != "trustjob" ||
		l.CreatedAt == nil || l.ModifiedAt == nil || *l.ID == "" {
		t.Errorf("link = %+v %+v", l, l.Link)
	}

	// A new workload is not trusted until a link (or a rule) says so.
	tok := e.Mint(t, func(o *account.MintOptions) { o.Namespace, o.ServiceAccount = "reports", "exporter" })
	if st, _ := e.Post(t, http.MethodPost, testenv.CRForm(tok, "profile_id", e.Runner.ID), nil); st != 400 {
		t.Fatalf("untrusted workload got %d", st)
	}
	target, _ := svc.NewCreateProfileLinkRequestLink(c.CRN)
	target.Namespace, target.Name = sdkcore.StringPtr("reports"), sdkcore.StringPtr("exporter")
	created, resp, err := svc.CreateLinkWithContext(ctx, svc.NewCreateLinkOptions(e.Runner.ID, "IKS_SA", target).SetName("exporter"))
	if err != nil || resp.StatusCode != http.StatusCreated || *created.Link.Namespace != "reports" {
		t.Fatalf("create link: %v %v", created, err)
	}
	if st, body := e.Post(t, http.MethodPost, testenv.CRForm(tok, "profile_id", e.Runner.ID), nil); st != 200 {
		t.Fatalf("after link: %d %v", st, body)
	}

	// A rule on namespace alone trusts every service account there.
	tok = e.Mint(t, func(o *account.MintOptions) { o.Namespace, o.ServiceAccount = "ops", "whoever" })
	cond1, _ := svc.NewProfileClaimRuleConditions("namespace", "EQUALS", `"ops"`)
	cond2, _ := svc.NewProfileClaimRuleConditions("location", "EQUALS_IGNORE_CASE", `"US-SOUTH"`)
	rule, resp, err := svc.CreateClaimRuleWithContext(ctx, svc.NewCreateClaimRuleOptions(e.Runner.ID, "Profile-CR",
		[]iamidentityv1.ProfileClaimRuleConditions{*cond1, *cond2}).SetCrType("IKS_SA").SetName("ops"))
	if err != nil || resp.StatusCode != http.StatusCreated || *rule.Type != "Profile-CR" || rule.Expiration == nil || len(rule.Conditions) != 2 {
		t.Fatalf("create rule: %+v %v", rule, err)
	}
	if st, body := e.Post(t, http.MethodPost, testenv.CRForm(tok, "profile_id", e.Runner.ID), nil); st != 200 {
		t.Fatalf("after rule: %d %v", st, body)
	}
	rules, _, err := svc.ListClaimRulesWithContext(ctx, svc.NewListClaimRulesOptions(e.Runner.ID))
	if err != nil || len(rules.Rules) != 1 || *rules.Rules[0].ID != *rule.ID || *rules.Rules[0].Conditions[0].Value != `"ops"` {
		t.Fatalf("rules: %v %v", rules, err)
	}

	// Validation: a bad cr_type, a CRN in another account, a bad operator.
	badTarget, _ := svc.NewCreateProfileLinkRequestLink("crn:v1:bluemix:public:containers-kubernetes:us-south:a/ffff:cid::")
	badTarget.Namespace, badTarget.Name = sdkcore.StringPtr("a"), sdkcore.StringPtr("b")
	for name, o := range map[string]*iamidentityv1.CreateLinkOptions{
		"cr_type":       svc.NewCreateLinkOptions(e.Runner.ID, "K8S", target),
		"cross account": svc.NewCreateLinkOptions(e.Runner.ID, "IKS_SA", badTarget),
	} {
		_, _, err := svc.CreateLinkWithContext(ctx, o)
		if st, _ := identityProblem(t, err); st != 400 {
			t.Errorf("link %s: status %d", name, st)
		}
	}
	badCond, _ := svc.NewProfileClaimRuleConditions("namespace", "LIKE", `"x"`)
	_, _, err = svc.CreateClaimRuleWithContext(ctx, svc.NewCreateClaimRuleOptions(e.Runner.ID, "Profile-CR",
		[]iamidentityv1.ProfileClaimRuleConditions{*badCond}).SetCrType("IKS_SA"))
	if st, _ := identityProblem(t, err); st != 400 {
		t.Errorf("bad operator: status %d", st)
	}
	_, _, err = svc.ListLinksWithContext(ctx, svc.NewListLinksOptions("Profile-nope"))
	if st, body := identityProblem(t, err); st != 404 || body["errors"].([]any)[0].(map[string]any)["message_code"] != "BXNIM0505E" {
		t.Errorf("unknown profile: %d %v", st, body)
	}
}

func TestProfileGetAndSettings(t *testing.T) {
	e := newIAMEnv(t, core.Options{})
	svc := identityClient(t, e)
	ctx := context.Background()
	never := e.World.IAM.Profiles[1]
	p, _, err := svc.GetProfileWithContext(ctx, svc.NewGetProfileOptions(never.ID).SetIncludeActivity(true))
	if err != nil {
		t.Fatal(err)
	}
	if p.Activity == nil || p.Activity.LastAuthn != nil || *p.Activity.AuthnCount != 0 {
		t.Errorf("never-used profile activity = %+v", p.Activity)
	}
	p, _, err = svc.GetProfileWithContext(ctx, svc.NewGetProfileOptions(never.ID))
	if err != nil || p.Activity != nil {
		t.Errorf("activity without include_activity: %v %v", p, err)
	}
	_, _, err = svc.GetProfileWithContext(ctx, svc.NewGetProfileOptions("Profile-nope"))
	if st, _ := identityProblem(t, err); st != 404 {
		t.Errorf("unknown profile: %d", st)
	}

	s, _, err := svc.GetAccountSettingsWithContext(ctx, svc.NewGetAccountSettingsOptions(e.World.AccountID))
	if err != nil {
		t.Fatal(err)
	}
	if *s.AccountID != e.World.AccountID || *s.Mfa != "NONE" || *s.EntityTag == "" || s.UserMfa == nil || *s.RestrictCreateServiceID != "NOT_SET" {
		t.Errorf("settings = %+v", s)
	}
	_, _, err = svc.GetAccountSettingsWithContext(ctx, svc.NewGetAccountSettingsOptions("0123456789abcdef0123456789abcdef"))
	if st, _ := identityProblem(t, err); st != 403 {
		t.Errorf("other account settings: %d", st)
	}
}

func TestProfilesAuthorization(t *testing.T) {
	e := newIAMEnv(t, core.Options{})
	url := e.Srv.URL + "/v1/profiles/" + e.Runner.ID
	expired, err := e.World.IAM.Key.Sign(core.AccessClaims{IAMID: e.Runner.IAMID, RegisteredClaims: jwt.RegisteredClaims{
		Subject: e.Runner.ID, ExpiresAt: jwt.NewNumericDate(time.Now().Add(-time.Minute))}})
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := core.GenerateSigningKey(99, e.World.IAM.Key.KID).Sign(core.AccessClaims{IAMID: e.Runner.IAMID,
		RegisteredClaims: jwt.RegisteredClaims{ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Hour))}})
	if err != nil {
		t.Fatal(err)
	}
	for name, auth := range map[string]string{
		"no header": "", "basic": "Basic eDp5", "garbage": "Bearer abc", "expired": "Bearer " + expired, "foreign key": "Bearer " + foreign,
	} {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		list, _ := body["errors"].([]any)
		if resp.StatusCode != 401 || len(list) == 0 {
			t.Errorf("%s: %d %v", name, resp.StatusCode, body)
		}
	}

	svc := identityClient(t, e)
	ctx := context.Background()
	if _, _, err := svc.GetProfileWithContext(ctx, svc.NewGetProfileOptions(e.Runner.ID)); err != nil {
		t.Fatal(err)
	}
	e.World.Revoke(e.Runner.IAMID, core.ActionProfileGet)
	_, _, err = svc.GetProfileWithContext(ctx, svc.NewGetProfileOptions(e.Runner.ID))
	if st, _ := identityProblem(t, err); st != 403 {
		t.Errorf("revoked get: %d", st)
	}
	if _, _, err := svc.GetAccountSettingsWithContext(ctx, svc.NewGetAccountSettingsOptions(e.World.AccountID)); err != nil {
		t.Errorf("another action was revoked too: %v", err)
	}
}
