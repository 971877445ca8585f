package cloudsim

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/trustjob/trustjob/internal/cloudsim/testenv"

	"github.com/IBM/go-sdk-core/v5/core"
	"github.com/IBM/platform-services-go-sdk/iamaccessgroupsv2"
	"github.com/IBM/platform-services-go-sdk/iamidentityv1"
	"github.com/IBM/platform-services-go-sdk/iampolicymanagementv1"
	"github.com/IBM/platform-services-go-sdk/usagereportsv4"
	"github.com/IBM/platform-services-go-sdk/usermanagementv1"
)

// idSDK is an emulator with the official SDK clients trustjob uses for
// identities, all sharing one ContainerAuthenticator (retries off, so error
// statuses surface as they are).
type idSDK struct {
	l       *Local
	auth    *core.ContainerAuthenticator
	iam     *iamidentityv1.IamIdentityV1
	um      *usermanagementv1.UserManagementV1
	ag      *iamaccessgroupsv2.IamAccessGroupsV2
	pm      *iampolicymanagementv1.IamPolicyManagementV1
	ur      *usagereportsv4.UsageReportsV4
	account string
	runner  string
}

func startIDSDK(t *testing.T, spec Spec, opts Options) *idSDK {
	t.Helper()
	l, err := StartLocal(spec, opts, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	auth, err := core.NewContainerAuthenticatorBuilder().SetIAMProfileName(l.ProfileName).
		SetCRTokenFilename(l.TokenFile).SetURL(l.Env["TRUSTJOB_IAM_URL"]).Build()
	if err != nil {
		t.Fatal(err)
	}
	c := &idSDK{l: l, auth: auth}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	c.iam, err = iamidentityv1.NewIamIdentityV1(&iamidentityv1.IamIdentityV1Options{URL: l.Env["IAM_IDENTITY_URL"], Authenticator: auth})
	must(err)
	c.um, err = usermanagementv1.NewUserManagementV1(&usermanagementv1.UserManagementV1Options{URL: l.Env["USER_MANAGEMENT_URL"], Authenticator: auth})
	must(err)
	c.ag, err = iamaccessgroupsv2.NewIamAccessGroupsV2(&iamaccessgroupsv2.IamAccessGroupsV2Options{URL: l.Env["IAM_ACCESS_GROUPS_URL"], Authenticator: auth})
	must(err)
	c.pm, err = iampolicymanagementv1.NewIamPolicyManagementV1(&iampolicymanagementv1.IamPolicyManagementV1Options{URL: l.Env["IAM_POLICY_MANAGEMENT_URL"], Authenticator: auth})
	must(err)
	c.ur, err = usagereportsv4.NewUsageReportsV4(&usagereportsv4.UsageReportsV4Options{URL: l.Env["USAGE_REPORTS_URL"], Authenticator: auth})
	must(err)
	w := l.Sim.World()
	w.RLock()
	c.account, c.runner = w.AccountID, w.IAM.RunnerIAMID()
	w.RUnlock()
	return c
}

// TestContractActivityReportMatchesLists cross-checks the report against what
// the list and get endpoints serve: the same identities, the same last_authn.
func TestContractActivityReportMatchesLists(t *testing.T) {
	c := startIDSDK(t, testenv.ContractSpec(), Options{})
	ctx := context.Background()
	ref, _, err := c.iam.CreateReportWithContext(ctx, c.iam.NewCreateReportOptions(c.account).SetDuration("720"))
	if err != nil {
		t.Fatal(err)
	}
	rep, _, err := c.iam.GetReportWithContext(ctx, c.iam.NewGetReportOptions(c.account, *ref.Reference))
	if err != nil || rep == nil {
		t.Fatalf("GetReport: %v", err)
	}
	start, ok := parseIDTime(*rep.ReportStartTime)
	if !ok {
		t.Fatalf("report_start_time %q does not parse", *rep.ReportStartTime)
	}
	inactive := func(created time.Time, last *string) (bool, bool) {
		if !created.Before(start) {
			return false, true
		}
		if last == nil {
			return true, true
		}
		lt, ok := parseIDTime(*last)
		if !ok {
			t.Fatalf("last_authn %q does not parse", *last)
		}
		// Minute precision: skip identities right at the window's edge.
		return lt.Before(start), lt.Sub(start).Abs() > 2*time.Minute
	}

	want := map[string]*string{}
	var tok *string
	for {
		opts := c.iam.NewListAPIKeysOptions().SetAccountID(c.account).SetScope("account").SetPagesize(9)
		opts.Pagetoken = tok
		page, _, err := c.iam.ListAPIKeysWithContext(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range page.Apikeys {
			full, _, err := c.iam.GetAPIKeyWithContext(ctx, c.iam.NewGetAPIKeyOptions(*k.ID).SetIncludeActivity(true))
			if err != nil {
				t.Fatal(err)
			}
			if in, sure := inactive(time.Time(*k.CreatedAt), full.Activity.LastAuthn); in && sure {
				want[*k.ID] = full.Activity.LastAuthn
			}
		}
		if tok = testenv.NextPageToken(page.Next); tok == nil {
			break
		}
	}
	got := map[string]*string{}
	for _, a := range rep.Apikeys {
		got[*a.ID] = a.LastAuthn
		if (*a.Type == "user") == (a.User == nil) || (*a.Type == "serviceid") == (a.Serviceid == nil) {
			t.Errorf("apikey %s: type %s with user %v serviceid %v", *a.ID, *a.Type, a.User, a.Serviceid)
		}
	}
	for id, last := range want {
		g, ok := got[id]
		if !ok {
			t.Errorf("API key %s is inactive by the lists but missing from the report", id)
		} else if (g == nil) != (last == nil) || (g != nil && *g != *last) {
			t.Errorf("API key %s: report last_authn %v, GetAPIKey activity %v", id, g, last)
		}
	}
	if len(want) == 0 || len(rep.Apikeys) < len(want) {
		t.Errorf("report has %d API keys, lists say at least %d", len(rep.Apikeys), len(want))
	}

	sids, _, err := c.iam.ListServiceIdsWithContext(ctx, c.iam.NewListServiceIdsOptions().SetAccountID(c.account).SetPagesize(100))
	if err != nil {
		t.Fatal(err)
	}
	wantSID := 0
	inReport := map[string]bool{}
	for _, s := range rep.Serviceids {
		inReport[*s.ID] = true
	}
	for _, s := range sids.Serviceids {
		full, _, err := c.iam.GetServiceIDWithContext(ctx, c.iam.NewGetServiceIDOptions(*s.ID).SetIncludeActivity(true))
		if err != nil {
			t.Fatal(err)
		}
		in, sure := inactive(time.Time(*s.CreatedAt), full.Activity.LastAuthn)
		if sure && in != inReport[*s.ID] {
			t.Errorf("service ID %s: inactive by get = %v, in report = %v", *s.ID, in, inReport[*s.ID])
		}
		if in {
			wantSID++
		}
	}
	if wantSID == 0 {
		t.Error("the generated account should have inactive service IDs")
	}

	profiles, _, err := c.iam.ListProfilesWithContext(ctx, c.iam.NewListProfilesOptions(c.account).SetPagesize(100))
	if err != nil {
		t.Fatal(err)
	}
	inReport = map[string]bool{}
	for _, p := range rep.Profiles {
		inReport[*p.ID] = true
	}
	for _, p := range profiles.Profiles {
		full, _, err := c.iam.GetProfileWithContext(ctx, c.iam.NewGetProfileOptions(*p.ID).SetIncludeActivity(true))
		if err != nil {
			t.Fatal(err)
		}
		var last *string
		if full.Activity != nil {
			last = full.Activity.LastAuthn
		}
		if in, sure := inactive(time.Time(*p.CreatedAt), last); sure && in != inReport[*p.ID] {
			t.Errorf("profile %s: inactive by get = %v, in report = %v", *p.ID, in, inReport[*p.ID])
		}
	}
	if inReport[c.l.ProfileID] {
		t.Error("the runner profile just signed in; it cannot be inactive")
	}

	users, err := idAllUsers(ctx, c, 100)
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]*usermanagementv1.UserProfile{}
	for i := range users {
		known[*users[i].IamID] = &users[i]
	}
	w := c.l.Sim.World()
	w.RLock()
	defer w.RUnlock()
	wantUsers := 0
	for _, u := range w.Identities.Users {
		if u.AddedOn.Before(start.Add(-2*time.Minute)) && (u.LastAuthn == nil || u.LastAuthn.Before(start.Add(-2*time.Minute))) {
			wantUsers++
		}
	}
	if len(rep.Users) < wantUsers {
		t.Errorf("report has %d users, the account %d inactive ones", len(rep.Users), wantUsers)
	}
	for _, u := range rep.Users {
		p := known[*u.IamID]
		if p == nil || *p.Email != *u.Email || *p.UserID != *u.Username {
			t.Errorf("report user %s does not match the User Management listing", *u.IamID)
		}
	}
}

func parseIDTime(s string) (time.Time, bool) {
	dt, err := core.ParseDateTime(s)
	if err != nil {
		return time.Time{}, false
	}
	return time.Time(dt), true
}

func idAllUsers(ctx context.Context, c *idSDK, limit int64) ([]usermanagementv1.UserProfile, error) {
	pager, err := c.um.NewUsersPager(c.um.NewListUsersOptions(c.account).SetLimit(limit))
	if err != nil {
		return nil, err
	}
	return pager.GetAllWithContext(ctx)
}

// TestContractIdentityErrors covers 401 (no token), 403 (action revoked) and
// 429 (rate limited) on each identity-side service, with each service's body.
func TestContractIdentityErrors(t *testing.T) {
	c := startIDSDK(t, testenv.ContractSpec(), Options{})
	ctx := context.Background()
	calls := map[string]func() (*core.DetailedResponse, error){
		ActionReportCreate: func() (*core.DetailedResponse, error) {
			_, r, err := c.iam.CreateReportWithContext(ctx, c.iam.NewCreateReportOptions(c.account))
			return r, err
		},
		ActionAPIKeyList: func() (*core.DetailedResponse, error) {
			_, r, err := c.iam.ListAPIKeysWithContext(ctx, c.iam.NewListAPIKeysOptions().SetAccountID(c.account).SetScope("account"))
			return r, err
		},
		ActionAPIKeyDisable: func() (*core.DetailedResponse, error) {
			return c.iam.DisableAPIKeyWithContext(ctx, c.iam.NewDisableAPIKeyOptions("ApiKey-x"))
		},
		ActionServiceIDList: func() (*core.DetailedResponse, error) {
			_, r, err := c.iam.ListServiceIdsWithContext(ctx, c.iam.NewListServiceIdsOptions().SetAccountID(c.account))
			return r, err
		},
		ActionUserRetrieve: func() (*core.DetailedResponse, error) {
			_, r, err := c.um.ListUsersWithContext(ctx, c.um.NewListUsersOptions(c.account))
			return r, err
		},
		ActionGroupsRead: func() (*core.DetailedResponse, error) {
			_, r, err := c.ag.ListAccessGroupsWithContext(ctx, c.ag.NewListAccessGroupsOptions(c.account))
			return r, err
		},
		ActionGroupMembersDelete: func() (*core.DetailedResponse, error) {
			_, r, err := c.ag.RemoveMemberFromAllAccessGroupsWithContext(ctx, c.ag.NewRemoveMemberFromAllAccessGroupsOptions(c.account, "IBMid-x"))
			return r, err
		},
		ActionPolicyRead: func() (*core.DetailedResponse, error) {
			_, r, err := c.pm.ListV2PoliciesWithContext(ctx, c.pm.NewListV2PoliciesOptions(c.account))
			return r, err
		},
		ActionAccountSummaryGet: func() (*core.DetailedResponse, error) {
			_, r, err := c.ur.GetAccountSummaryWithContext(ctx, c.ur.NewGetAccountSummaryOptions(c.account, "2024-01"))
			return r, err
		},
	}
	w := c.l.Sim.World()
	for action, call := range calls {
		t.Run(action, func(t *testing.T) {
			w.Revoke(c.runner, action)
			defer w.SetGrants(c.runner, "*")
			resp, err := call()
			if testenv.StatusOf(resp, err) != http.StatusForbidden || err == nil || !strings.Contains(err.Error(), action) {
				t.Errorf("revoked %s: %d, %v; want 403 naming the action", action, testenv.StatusOf(resp, err), err)
			}
			if body, _ := resp.Result.(map[string]any); body == nil || body["errors"] == nil || body["trace"] == nil {
				t.Errorf("403 body = %v", resp.Result)
			}
		})
	}

	// 401: a client without a token.
	noauth, _ := iamidentityv1.NewIamIdentityV1(&iamidentityv1.IamIdentityV1Options{URL: c.l.Env["IAM_IDENTITY_URL"], Authenticator: &core.NoAuthAuthenticator{}})
	if _, resp, err := noauth.GetReportWithContext(ctx, noauth.NewGetReportOptions(c.account, "latest")); testenv.StatusOf(resp, err) != 401 {
		t.Errorf("no token = %d; want 401", testenv.StatusOf(resp, err))
	}
	umNoAuth, _ := usermanagementv1.NewUserManagementV1(&usermanagementv1.UserManagementV1Options{URL: c.l.Env["USER_MANAGEMENT_URL"], Authenticator: &core.NoAuthAuthenticator{}})
	if _, resp, err := umNoAuth.ListUsersWithContext(ctx, umNoAuth.NewListUsersOptions(c.account)); testenv.StatusOf(resp, err) != 401 {
		t.Errorf("UM no token = %d; want 401", testenv.StatusOf(resp, err))
	}

	// 429 with Retry-After, then the SDK's retry gets through.
	c.l.Sim.AddFault(&Fault{Service: ServiceIAMIdentity, PathPrefix: "/v1/apikeys", Nth: 1, Status: 429, RetryAfter: 1})
	_, resp, err := c.iam.ListAPIKeysWithContext(ctx, c.iam.NewListAPIKeysOptions().SetAccountID(c.account).SetScope("account"))
	if testenv.StatusOf(resp, err) != 429 || resp.Headers.Get("Retry-After") != "1" {
		t.Errorf("rate limited = %d (Retry-After %q); want 429", testenv.StatusOf(resp, err), resp.Headers.Get("Retry-After"))
	}
	c.iam.EnableRetries(2, time.Second)
	c.l.Sim.AddFault(&Fault{Service: ServiceIAMIdentity, PathPrefix: "/v1/apikeys", Nth: 1, Status: 429, RetryAfter: 1})
	c.l.Sim.AddFault(&Fault{Service: ServiceAccessGroups, Nth: 1, Status: 429, RetryAfter: 1})
	if _, _, err := c.ag.ListAccessGroupsWithContext(ctx, c.ag.NewListAccessGroupsOptions(c.account)); err == nil {
		t.Error("Access Groups without retries should see the 429")
	}
	if _, _, err := c.iam.ListAPIKeysWithContext(ctx, c.iam.NewListAPIKeysOptions().SetAccountID(c.account).SetScope("account")); err != nil {
		t.Errorf("with retries: %v", err)
	}
}
