package cloudsim

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

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

func idContractSpec() Spec {
	return Spec{Seed: 7, AccountID: "acct0000000000000000000000000007", Users: 23, ServiceIDs: 11, APIKeys: 57,
		Profiles: 5, InactiveShare: 0.5, AccessGroups: 4}
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

// idStatus is the HTTP status of an SDK error (0 when it carries none).
func idStatus(resp *core.DetailedResponse, err error) int {
	if resp != nil {
		return resp.StatusCode
	}
	var p *core.HTTPProblem
	if errors.As(err, &p) && p.Response != nil {
		return p.Response.StatusCode
	}
	return 0
}

func TestContractActivityReportLifecycle(t *testing.T) {
	c := startIDSDK(t, idContractSpec(), Options{ReportDelay: 300 * time.Millisecond})
	ctx := context.Background()

	ref, resp, err := c.iam.CreateReportWithContext(ctx, c.iam.NewCreateReportOptions(c.account).SetType("inactive").SetDuration("720"))
	if err != nil || resp.StatusCode != http.StatusAccepted || ref.Reference == nil {
		t.Fatalf("CreateReport = %v, %d, %v; want 202 with a reference", ref, idStatus(resp, err), err)
	}
	get := c.iam.NewGetReportOptions(c.account, *ref.Reference)
	rep, resp, err := c.iam.GetReportWithContext(ctx, get)
	if err != nil || resp.StatusCode != http.StatusNoContent || rep != nil {
		t.Fatalf("GetReport while generating = %v, %d, %v; want 204, no result, no error", rep, idStatus(resp, err), err)
	}
	polls := 1
	for rep == nil {
		time.Sleep(50 * time.Millisecond)
		rep, resp, err = c.iam.GetReportWithContext(ctx, get)
		if err != nil {
			t.Fatalf("GetReport: %v", err)
		}
		polls++
	}
	if resp.StatusCode != http.StatusOK || polls < 3 {
		t.Fatalf("report ready after %d polls with %d; want 200 after several 204s", polls, resp.StatusCode)
	}
	if *rep.Reference != *ref.Reference || *rep.CreatedBy != c.runner || *rep.ReportDuration != "720" ||
		rep.ReportStartTime == nil || rep.ReportEndTime == nil {
		t.Errorf("report header = ref %s by %s duration %s", *rep.Reference, *rep.CreatedBy, *rep.ReportDuration)
	}
	if rep.Users == nil || rep.Apikeys == nil || rep.Serviceids == nil || rep.Profiles == nil {
		t.Errorf("report sections must all be present: users %v apikeys %v serviceids %v profiles %v",
			rep.Users != nil, rep.Apikeys != nil, rep.Serviceids != nil, rep.Profiles != nil)
	}

	latest, resp, err := c.iam.GetReportWithContext(ctx, c.iam.NewGetReportOptions(c.account, "latest"))
	if err != nil || resp.StatusCode != http.StatusOK || *latest.Reference != *ref.Reference {
		t.Errorf("GetReport(latest) = %d, %v", idStatus(resp, err), err)
	}
	_, resp, err = c.iam.GetReportWithContext(ctx, c.iam.NewGetReportOptions(c.account, "1234567890"))
	if idStatus(resp, err) != http.StatusNotFound || err == nil {
		t.Errorf("GetReport(unknown) = %d, %v; want 404 with an error", idStatus(resp, err), err)
	}
	// A newer report replaces the old one: its reference is gone.
	ref2, _, err := c.iam.CreateReportWithContext(ctx, c.iam.NewCreateReportOptions(c.account))
	if err != nil {
		t.Fatal(err)
	}
	_, resp, err = c.iam.GetReportWithContext(ctx, get)
	if idStatus(resp, err) != http.StatusNotFound {
		t.Errorf("GetReport(replaced) = %d, %v; want 404", idStatus(resp, err), err)
	}
	if *ref2.Reference == *ref.Reference {
		t.Error("a new report reused the old reference")
	}
	for _, bad := range []*iamidentityv1.CreateReportOptions{
		c.iam.NewCreateReportOptions(c.account).SetType("mfa"),
		c.iam.NewCreateReportOptions(c.account).SetDuration("ninety"),
		c.iam.NewCreateReportOptions(c.account).SetDuration("0"),
	} {
		if _, resp, err := c.iam.CreateReportWithContext(ctx, bad); idStatus(resp, err) != http.StatusBadRequest {
			t.Errorf("CreateReport(type %v duration %v) = %d; want 400", bad.Type, bad.Duration, idStatus(resp, err))
		}
	}
	if _, resp, err := c.iam.CreateReportWithContext(ctx, c.iam.NewCreateReportOptions("someone-else")); idStatus(resp, err) != http.StatusForbidden {
		t.Errorf("CreateReport(other account) = %d; want 403", idStatus(resp, err))
	}
}

// TestContractActivityReportMatchesLists cross-checks the report against what
// the list and get endpoints serve: the same identities, the same last_authn.
func TestContractActivityReportMatchesLists(t *testing.T) {
	c := startIDSDK(t, idContractSpec(), Options{})
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
		if tok = idNextToken(page.Next); tok == nil {
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

func idNextToken(next *string) *string {
	tok, err := core.GetQueryParam(next, "pagetoken")
	if err != nil {
		return nil
	}
	return tok
}

func idAllUsers(ctx context.Context, c *idSDK, limit int64) ([]usermanagementv1.UserProfile, error) {
	pager, err := c.um.NewUsersPager(c.um.NewListUsersOptions(c.account).SetLimit(limit))
	if err != nil {
		return nil, err
	}
	return pager.GetAllWithContext(ctx)
}

func TestContractMFAReport(t *testing.T) {
	c := startIDSDK(t, idContractSpec(), Options{ReportDelay: 100 * time.Millisecond})
	ctx := context.Background()
	ref, resp, err := c.iam.CreateMfaReportWithContext(ctx, c.iam.NewCreateMfaReportOptions(c.account).SetType("mfa_status"))
	if err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("CreateMfaReport = %d, %v", idStatus(resp, err), err)
	}
	get := c.iam.NewGetMfaReportOptions(c.account, *ref.Reference)
	rep, resp, err := c.iam.GetMfaReportWithContext(ctx, get)
	if err != nil || resp.StatusCode != http.StatusNoContent || rep != nil {
		t.Fatalf("GetMfaReport while generating = %d, %v", idStatus(resp, err), err)
	}
	time.Sleep(150 * time.Millisecond)
	rep, resp, err = c.iam.GetMfaReportWithContext(ctx, get)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GetMfaReport = %d, %v", idStatus(resp, err), err)
	}
	if len(rep.Users) != idContractSpec().Users || *rep.AccountID != c.account {
		t.Errorf("MFA report: %d users for account %s", len(rep.Users), *rep.AccountID)
	}
	for _, u := range rep.Users {
		if u.IDBasedMfa == nil || u.AccountBasedMfa == nil || u.IDBasedMfa.Complies == nil || u.EffectiveMfaType == nil {
			t.Fatalf("user %s lacks required MFA fields", *u.IamID)
		}
	}
	_, resp, err = c.iam.GetMfaReportWithContext(ctx, c.iam.NewGetMfaReportOptions(c.account, "nope"))
	if idStatus(resp, err) != http.StatusNotFound {
		t.Errorf("GetMfaReport(unknown) = %d; want 404", idStatus(resp, err))
	}
}

func TestContractAPIKeysPagingAndFilters(t *testing.T) {
	c := startIDSDK(t, idContractSpec(), Options{})
	ctx := context.Background()
	w := c.l.Sim.World()
	w.RLock()
	total, users := len(w.Identities.APIKeys), 0
	for _, k := range w.Identities.APIKeys {
		if strings.HasPrefix(k.OwnerIAMID, "IBMid-") {
			users++
		}
	}
	w.RUnlock()

	for _, size := range []int64{1, 7, 20, 100} {
		seen := map[string]bool{}
		pages := 0
		var tok *string
		for {
			opts := c.iam.NewListAPIKeysOptions().SetAccountID(c.account).SetScope("account").SetPagesize(size)
			opts.Pagetoken = tok
			page, _, err := c.iam.ListAPIKeysWithContext(ctx, opts)
			if err != nil {
				t.Fatalf("pagesize %d: %v", size, err)
			}
			pages++
			if *page.Limit != size || len(page.Apikeys) > int(size) {
				t.Fatalf("pagesize %d: limit %d, %d items", size, *page.Limit, len(page.Apikeys))
			}
			for _, k := range page.Apikeys {
				if seen[*k.ID] {
					t.Fatalf("pagesize %d: %s listed twice", size, *k.ID)
				}
				seen[*k.ID] = true
				if k.CreatedAt == nil || k.Locked == nil || k.Disabled == nil || *k.AccountID != c.account || k.IamID == nil {
					t.Fatalf("key %s lacks fields", *k.ID)
				}
			}
			if tok = idNextToken(page.Next); tok == nil {
				break
			}
		}
		if len(seen) != total || pages != (total+int(size)-1)/int(size) {
			t.Errorf("pagesize %d: %d keys in %d pages, want %d", size, len(seen), pages, total)
		}
	}
	// Default page size is 20; type filters.
	page, _, err := c.iam.ListAPIKeysWithContext(ctx, c.iam.NewListAPIKeysOptions().SetAccountID(c.account).SetScope("account"))
	if err != nil || len(page.Apikeys) != 20 || *page.Limit != 20 {
		t.Errorf("default page: %v, %d items", err, len(page.Apikeys))
	}
	page, _, err = c.iam.ListAPIKeysWithContext(ctx, c.iam.NewListAPIKeysOptions().SetAccountID(c.account).
		SetScope("account").SetType("user").SetPagesize(100))
	if err != nil || len(page.Apikeys) != users {
		t.Errorf("type=user: %v, %d keys, want %d", err, len(page.Apikeys), users)
	}
	for _, bad := range []*iamidentityv1.ListAPIKeysOptions{
		c.iam.NewListAPIKeysOptions().SetScope("account").SetPagesize(101),
		c.iam.NewListAPIKeysOptions().SetScope("account").SetPagesize(0),
		c.iam.NewListAPIKeysOptions().SetScope("account").SetPagetoken("garbage!"),
		c.iam.NewListAPIKeysOptions().SetScope("everything"),
	} {
		_, resp, err := c.iam.ListAPIKeysWithContext(ctx, bad)
		if idStatus(resp, err) != http.StatusBadRequest {
			t.Errorf("ListAPIKeys(%+v) = %d; want 400", bad, idStatus(resp, err))
		}
	}
	// Scope entity without iam_id lists the caller's own keys: a trusted
	// profile has none.
	page, _, err = c.iam.ListAPIKeysWithContext(ctx, c.iam.NewListAPIKeysOptions())
	if err != nil || len(page.Apikeys) != 0 || page.Next != nil {
		t.Errorf("entity scope: %v, %d keys", err, len(page.Apikeys))
	}
}

func TestContractAPIKeyAndServiceIDWrites(t *testing.T) {
	c := startIDSDK(t, idContractSpec(), Options{})
	ctx := context.Background()
	w := c.l.Sim.World()
	w.RLock()
	var key *APIKeyRecord
	for _, k := range w.Identities.APIKeys {
		if !k.Locked && !k.Disabled {
			key = k
			break
		}
	}
	sid := w.Identities.ServiceIDs[0]
	keyID, sidID := key.ID, sid.ID
	w.RUnlock()

	steps := []struct {
		name string
		call func() (*core.DetailedResponse, error)
	}{
		{"disable", func() (*core.DetailedResponse, error) {
			return c.iam.DisableAPIKeyWithContext(ctx, c.iam.NewDisableAPIKeyOptions(keyID))
		}},
		{"disable again", func() (*core.DetailedResponse, error) {
			return c.iam.DisableAPIKeyWithContext(ctx, c.iam.NewDisableAPIKeyOptions(keyID))
		}},
		{"lock", func() (*core.DetailedResponse, error) {
			return c.iam.LockAPIKeyWithContext(ctx, c.iam.NewLockAPIKeyOptions(keyID))
		}},
		{"lock service ID", func() (*core.DetailedResponse, error) {
			return c.iam.LockServiceIDWithContext(ctx, c.iam.NewLockServiceIDOptions(sidID))
		}},
		{"lock service ID again", func() (*core.DetailedResponse, error) {
			return c.iam.LockServiceIDWithContext(ctx, c.iam.NewLockServiceIDOptions(sidID))
		}},
	}
	for _, s := range steps {
		if resp, err := s.call(); err != nil || resp.StatusCode != http.StatusNoContent {
			t.Fatalf("%s = %d, %v; want 204", s.name, idStatus(resp, err), err)
		}
	}
	k, _, err := c.iam.GetAPIKeyWithContext(ctx, c.iam.NewGetAPIKeyOptions(keyID))
	if err != nil || !*k.Disabled || !*k.Locked || !strings.HasPrefix(*k.EntityTag, "3-") {
		t.Errorf("after disable+lock: %v disabled %v locked %v tag %v (two changes: version 3)", err, *k.Disabled, *k.Locked, *k.EntityTag)
	}
	s, _, err := c.iam.GetServiceIDWithContext(ctx, c.iam.NewGetServiceIDOptions(sidID))
	if err != nil || !*s.Locked {
		t.Errorf("service ID after lock: %v locked %v", err, s.Locked)
	}
	if resp, err := c.iam.EnableAPIKeyWithContext(ctx, c.iam.NewEnableAPIKeyOptions(keyID)); err != nil || resp.StatusCode != 204 {
		t.Errorf("enable = %d, %v", idStatus(resp, err), err)
	}
	if resp, err := c.iam.UnlockAPIKeyWithContext(ctx, c.iam.NewUnlockAPIKeyOptions(keyID)); err != nil || resp.StatusCode != 204 {
		t.Errorf("unlock = %d, %v", idStatus(resp, err), err)
	}
	if resp, err := c.iam.UnlockServiceIDWithContext(ctx, c.iam.NewUnlockServiceIDOptions(sidID)); err != nil || resp.StatusCode != 204 {
		t.Errorf("unlock service ID = %d, %v", idStatus(resp, err), err)
	}

	// 404s carry IAM Identity's ExceptionResponse (status_code a string).
	resp, err := c.iam.DisableAPIKeyWithContext(ctx, c.iam.NewDisableAPIKeyOptions("ApiKey-nope"))
	if idStatus(resp, err) != http.StatusNotFound || err == nil {
		t.Fatalf("disable unknown = %d, %v", idStatus(resp, err), err)
	}
	body, _ := resp.Result.(map[string]any)
	if body["status_code"] != "404" || body["trace"] == nil {
		t.Errorf("404 body = %v; want ExceptionResponse", body)
	}
	if _, resp, err := c.iam.GetServiceIDWithContext(ctx, c.iam.NewGetServiceIDOptions("ServiceId-nope")); idStatus(resp, err) != 404 {
		t.Errorf("get unknown service ID = %d", idStatus(resp, err))
	}
	if resp, err := c.iam.LockServiceIDWithContext(ctx, c.iam.NewLockServiceIDOptions("ServiceId-nope")); idStatus(resp, err) != 404 {
		t.Errorf("lock unknown service ID = %d", idStatus(resp, err))
	}
}

func TestContractServiceIDsPaging(t *testing.T) {
	c := startIDSDK(t, idContractSpec(), Options{})
	ctx := context.Background()
	seen := map[string]bool{}
	var tok *string
	for {
		opts := c.iam.NewListServiceIdsOptions().SetAccountID(c.account).SetPagesize(3)
		opts.Pagetoken = tok
		page, _, err := c.iam.ListServiceIdsWithContext(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range page.Serviceids {
			seen[*s.ID] = true
			if *s.IamID != "iam-"+*s.ID || s.Locked == nil || s.CreatedAt == nil || s.Name == nil {
				t.Fatalf("service ID %s lacks fields", *s.ID)
			}
		}
		if tok = idNextToken(page.Next); tok == nil {
			break
		}
	}
	if len(seen) != idContractSpec().ServiceIDs {
		t.Errorf("listed %d service IDs, want %d", len(seen), idContractSpec().ServiceIDs)
	}
	// The SDK calls the list with its trailing slash.
	var slash bool
	for _, e := range c.l.Sim.Log().Entries() {
		slash = slash || e.Path == "/v1/serviceids/"
	}
	if !slash {
		t.Error("no request to /v1/serviceids/ in the log")
	}
	if _, resp, err := c.iam.ListServiceIdsWithContext(ctx, c.iam.NewListServiceIdsOptions()); idStatus(resp, err) != http.StatusBadRequest {
		t.Errorf("ListServiceIds without account_id = %d; want 400", idStatus(resp, err))
	}
}

func TestContractUsersPaging(t *testing.T) {
	c := startIDSDK(t, idContractSpec(), Options{})
	ctx := context.Background()
	for _, limit := range []int64{1, 5, 100} {
		users, err := idAllUsers(ctx, c, limit)
		if err != nil {
			t.Fatalf("limit %d: %v", limit, err)
		}
		seen := map[string]bool{}
		for _, u := range users {
			if seen[*u.IamID] || !strings.HasPrefix(*u.IamID, "IBMid-") || u.Email == nil || u.State == nil || *u.AccountID != c.account {
				t.Fatalf("limit %d: bad or repeated user %+v", limit, u)
			}
			seen[*u.IamID] = true
		}
		if len(seen) != idContractSpec().Users {
			t.Errorf("limit %d: %d users, want %d", limit, len(seen), idContractSpec().Users)
		}
	}
	list, _, err := c.um.ListUsersWithContext(ctx, c.um.NewListUsersOptions(c.account).SetLimit(5))
	if err != nil || *list.TotalResults != int64(idContractSpec().Users) || list.NextURL == nil || !strings.HasPrefix(*list.NextURL, "/v2/accounts/") {
		t.Errorf("first page: %v total %v next %v; want a relative next_url", err, list.TotalResults, list.NextURL)
	}
	u, _, err := c.um.GetUserProfileWithContext(ctx, c.um.NewGetUserProfileOptions(c.account, *list.Resources[0].IamID))
	if err != nil || *u.IamID != *list.Resources[0].IamID {
		t.Errorf("GetUserProfile: %v", err)
	}
	_, resp, err := c.um.GetUserProfileWithContext(ctx, c.um.NewGetUserProfileOptions(c.account, "IBMid-nobody"))
	if idStatus(resp, err) != http.StatusNotFound {
		t.Errorf("GetUserProfile(unknown) = %d", idStatus(resp, err))
	}
	if _, resp, err := c.um.ListUsersWithContext(ctx, c.um.NewListUsersOptions(c.account).SetLimit(500)); idStatus(resp, err) != 400 {
		t.Errorf("limit 500 = %d; want 400", idStatus(resp, err))
	}
}

func TestContractAccessGroups(t *testing.T) {
	c := startIDSDK(t, idContractSpec(), Options{})
	ctx := context.Background()
	pager, err := c.ag.NewAccessGroupsPager(c.ag.NewListAccessGroupsOptions(c.account).SetLimit(2))
	if err != nil {
		t.Fatal(err)
	}
	groups, err := pager.GetAllWithContext(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(groups) != idContractSpec().AccessGroups+1 || *groups[0].ID != PublicAccessGroupID {
		t.Fatalf("%d groups (first %s); want %d plus the public access group", len(groups), *groups[0].ID, idContractSpec().AccessGroups)
	}
	hidden, _, err := c.ag.ListAccessGroupsWithContext(ctx, c.ag.NewListAccessGroupsOptions(c.account).SetHidePublicAccess(true))
	if err != nil || *hidden.TotalCount != int64(idContractSpec().AccessGroups) {
		t.Errorf("hide_public_access: %v total %v", err, hidden.TotalCount)
	}

	member := ""
	for _, g := range groups[1:] {
		mp, err := c.ag.NewAccessGroupMembersPager(c.ag.NewListAccessGroupMembersOptions(*g.ID).SetLimit(3))
		if err != nil {
			t.Fatal(err)
		}
		members, err := mp.GetAllWithContext(ctx)
		if err != nil {
			t.Fatal(err)
		}
		w := c.l.Sim.World()
		w.RLock()
		want := len(w.Identities.AccessGroupByID(*g.ID).Members)
		w.RUnlock()
		if len(members) != want {
			t.Errorf("group %s: %d members, want %d", *g.Name, len(members), want)
		}
		for _, m := range members {
			if m.Type == nil || m.Name == nil || *m.MembershipType != "static" {
				t.Errorf("member %s lacks fields", *m.IamID)
			}
			member = *m.IamID
		}
	}
	if member == "" {
		t.Fatal("no group has members")
	}
	mine, _, err := c.ag.ListAccessGroupsWithContext(ctx, c.ag.NewListAccessGroupsOptions(c.account).SetIamID(member))
	if err != nil || *mine.TotalCount == 0 {
		t.Fatalf("groups of %s: %v", member, err)
	}
	rm := c.ag.NewRemoveMemberFromAllAccessGroupsOptions(c.account, member)
	if _, resp, err := c.ag.RemoveMemberFromAllAccessGroupsWithContext(ctx, rm); err != nil || resp.StatusCode != 204 {
		t.Fatalf("remove from all = %d, %v; want 204", idStatus(resp, err), err)
	}
	// Not a member of any group any more: 404, as the SDK's integration test expects.
	if _, resp, err := c.ag.RemoveMemberFromAllAccessGroupsWithContext(ctx, rm); idStatus(resp, err) != 404 {
		t.Errorf("remove again = %d; want 404", idStatus(resp, err))
	}
	mine, _, _ = c.ag.ListAccessGroupsWithContext(ctx, c.ag.NewListAccessGroupsOptions(c.account).SetIamID(member))
	if *mine.TotalCount != 0 {
		t.Errorf("%s still in %d groups", member, *mine.TotalCount)
	}
	if _, resp, err := c.ag.ListAccessGroupMembersWithContext(ctx, c.ag.NewListAccessGroupMembersOptions("AccessGroupId-nope")); idStatus(resp, err) != 404 {
		t.Errorf("members of unknown group = %d", idStatus(resp, err))
	}
	set, _, err := c.ag.GetAccountSettingsWithContext(ctx, c.ag.NewGetAccountSettingsOptions(c.account))
	if err != nil || set.PublicAccessEnabled == nil || *set.AccountID != c.account {
		t.Errorf("settings: %v", err)
	}
	if _, resp, err := c.ag.ListAccessGroupsWithContext(ctx, c.ag.NewListAccessGroupsOptions("")); idStatus(resp, err) == 200 {
		t.Error("ListAccessGroups without account_id must fail")
	}
}

func TestContractPolicies(t *testing.T) {
	c := startIDSDK(t, idContractSpec(), Options{})
	ctx := context.Background()
	w := c.l.Sim.World()
	w.RLock()
	total := len(w.Identities.Policies)
	w.RUnlock()

	p1, err := c.pm.NewPoliciesPager(c.pm.NewListPoliciesOptions(c.account).SetLimit(4))
	if err != nil {
		t.Fatal(err)
	}
	v1, err := p1.GetAllWithContext(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(v1) != total {
		t.Errorf("v1: %d policies, want %d", len(v1), total)
	}
	for _, p := range v1 {
		if len(p.Subjects) != 1 || len(p.Roles) != 1 || len(p.Resources) != 1 || *p.State != "active" {
			t.Fatalf("v1 policy %s malformed", *p.ID)
		}
	}
	p2, err := c.pm.NewV2PoliciesPager(c.pm.NewListV2PoliciesOptions(c.account).SetLimit(5).SetFormat("include_last_permit"))
	if err != nil {
		t.Fatal(err)
	}
	v2, err := p2.GetAllWithContext(ctx)
	if err != nil {
		t.Fatal(err)
	}
	permits := 0
	for _, p := range v2 {
		if p.Subject == nil || p.Resource == nil || p.Control == nil {
			t.Fatalf("v2 policy %s malformed", *p.ID)
		}
		if p.LastPermitAt != nil {
			permits++
		}
	}
	if len(v2) != total || permits == 0 || permits == total {
		t.Errorf("v2: %d policies, %d with last_permit_at; want %d and some without", len(v2), permits, total)
	}
	plain, _, err := c.pm.ListV2PoliciesWithContext(ctx, c.pm.NewListV2PoliciesOptions(c.account).SetLimit(100))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range plain.Policies {
		if p.LastPermitAt != nil {
			t.Fatal("last_permit_at without format=include_last_permit")
		}
	}
	if _, resp, err := c.pm.ListPoliciesWithContext(ctx, c.pm.NewListPoliciesOptions(c.account).SetLimit(1000)); idStatus(resp, err) != 400 {
		t.Errorf("limit 1000 = %d; want 400", idStatus(resp, err))
	}
}

func TestContractUsageSummary(t *testing.T) {
	c := startIDSDK(t, idContractSpec(), Options{})
	ctx := context.Background()
	month := c.l.Sim.Now().UTC().Format("2006-01")
	sum, _, err := c.ur.GetAccountSummaryWithContext(ctx, c.ur.NewGetAccountSummaryOptions(c.account, month))
	if err != nil {
		t.Fatal(err)
	}
	if *sum.Month != month || *sum.BillingCurrencyCode != "USD" || sum.Resources == nil || *sum.Resources.BillableCost <= 0 ||
		sum.Offers == nil || sum.Support == nil || sum.Subscription == nil {
		t.Errorf("summary = %+v", sum)
	}
	if _, resp, err := c.ur.GetAccountSummaryWithContext(ctx, c.ur.NewGetAccountSummaryOptions(c.account, "2024-13")); idStatus(resp, err) != 400 {
		t.Errorf("bad month = %d; want 400", idStatus(resp, err))
	}
}

// TestContractIdentityErrors covers 401 (no token), 403 (action revoked) and
// 429 (rate limited) on each identity-side service, with each service's body.
func TestContractIdentityErrors(t *testing.T) {
	c := startIDSDK(t, idContractSpec(), Options{})
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
			if idStatus(resp, err) != http.StatusForbidden || err == nil || !strings.Contains(err.Error(), action) {
				t.Errorf("revoked %s: %d, %v; want 403 naming the action", action, idStatus(resp, err), err)
			}
			if body, _ := resp.Result.(map[string]any); body == nil || body["errors"] == nil || body["trace"] == nil {
				t.Errorf("403 body = %v", resp.Result)
			}
		})
	}

	// 401: a client without a token.
	noauth, _ := iamidentityv1.NewIamIdentityV1(&iamidentityv1.IamIdentityV1Options{URL: c.l.Env["IAM_IDENTITY_URL"], Authenticator: &core.NoAuthAuthenticator{}})
	if _, resp, err := noauth.GetReportWithContext(ctx, noauth.NewGetReportOptions(c.account, "latest")); idStatus(resp, err) != 401 {
		t.Errorf("no token = %d; want 401", idStatus(resp, err))
	}
	umNoAuth, _ := usermanagementv1.NewUserManagementV1(&usermanagementv1.UserManagementV1Options{URL: c.l.Env["USER_MANAGEMENT_URL"], Authenticator: &core.NoAuthAuthenticator{}})
	if _, resp, err := umNoAuth.ListUsersWithContext(ctx, umNoAuth.NewListUsersOptions(c.account)); idStatus(resp, err) != 401 {
		t.Errorf("UM no token = %d; want 401", idStatus(resp, err))
	}

	// 429 with Retry-After, then the SDK's retry gets through.
	c.l.Sim.AddFault(&Fault{Service: ServiceIAMIdentity, PathPrefix: "/v1/apikeys", Nth: 1, Status: 429, RetryAfter: 1})
	_, resp, err := c.iam.ListAPIKeysWithContext(ctx, c.iam.NewListAPIKeysOptions().SetAccountID(c.account).SetScope("account"))
	if idStatus(resp, err) != 429 || resp.Headers.Get("Retry-After") != "1" {
		t.Errorf("rate limited = %d (Retry-After %q); want 429", idStatus(resp, err), resp.Headers.Get("Retry-After"))
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
