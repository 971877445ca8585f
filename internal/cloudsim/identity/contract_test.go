package identity

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	sdkcore "github.com/IBM/go-sdk-core/v5/core"
	"github.com/IBM/platform-services-go-sdk/iamidentityv1"
	"github.com/trustjob/trustjob/internal/cloudsim/account"
	"github.com/trustjob/trustjob/internal/cloudsim/core"
	"github.com/trustjob/trustjob/internal/cloudsim/iamtoken"
	"github.com/trustjob/trustjob/internal/cloudsim/testenv"
)

// sdk is an emulator serving IAM Identity (and the token endpoint) over
// testenv.ContractSpec, with the official SDK client signed in as trustjob signs in
// (ContainerAuthenticator, retries off, so error statuses surface as they are).
type sdk struct {
	env     *testenv.Env
	iam     *iamidentityv1.IamIdentityV1
	account string
	runner  string
}

func startSDK(t *testing.T, opts core.Options) *sdk {
	t.Helper()
	env := testenv.New(t, testenv.ContractSpec(), opts, Mount, iamtoken.Mount)
	auth := env.Authenticator(t)
	c := &sdk{env: env, account: env.World.AccountID, runner: env.Runner.IAMID}
	var err error
	c.iam, err = iamidentityv1.NewIamIdentityV1(&iamidentityv1.IamIdentityV1Options{URL: env.Srv.URL, Authenticator: auth})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestContractActivityReportLifecycle(t *testing.T) {
	c := startSDK(t, core.Options{ReportDelay: 300 * time.Millisecond})
	ctx := context.Background()

	ref, resp, err := c.iam.CreateReportWithContext(ctx, c.iam.NewCreateReportOptions(c.account).SetType("inactive").SetDuration("720"))
	if err != nil || resp.StatusCode != http.StatusAccepted || ref.Reference == nil {
		t.Fatalf("CreateReport = %v, %d, %v; want 202 with a reference", ref, testenv.StatusOf(resp, err), err)
	}
	get := c.iam.NewGetReportOptions(c.account, *ref.Reference)
	rep, resp, err := c.iam.GetReportWithContext(ctx, get)
	if err != nil || resp.StatusCode != http.StatusNoContent || rep != nil {
		t.Fatalf("GetReport while generating = %v, %d, %v; want 204, no result, no error", rep, testenv.StatusOf(resp, err), err)
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
		t.Errorf("GetReport(latest) = %d, %v", testenv.StatusOf(resp, err), err)
	}
	_, resp, err = c.iam.GetReportWithContext(ctx, c.iam.NewGetReportOptions(c.account, "1234567890"))
	if testenv.StatusOf(resp, err) != http.StatusNotFound || err == nil {
		t.Errorf("GetReport(unknown) = %d, %v; want 404 with an error", testenv.StatusOf(resp, err), err)
	}
	// A newer report replaces the old one: its reference is gone.
	ref2, _, err := c.iam.CreateReportWithContext(ctx, c.iam.NewCreateReportOptions(c.account))
	if err != nil {
		t.Fatal(err)
	}
	_, resp, err = c.iam.GetReportWithContext(ctx, get)
	if testenv.StatusOf(resp, err) != http.StatusNotFound {
		t.Errorf("GetReport(replaced) = %d, %v; want 404", testenv.StatusOf(resp, err), err)
	}
	if *ref2.Reference == *ref.Reference {
		t.Error("a new report reused the old reference")
	}
	for _, bad := range []*iamidentityv1.CreateReportOptions{
		c.iam.NewCreateReportOptions(c.account).SetType("mfa"),
		c.iam.NewCreateReportOptions(c.account).SetDuration("ninety"),
		c.iam.NewCreateReportOptions(c.account).SetDuration("0"),
	} {
		if _, resp, err := c.iam.CreateReportWithContext(ctx, bad); testenv.StatusOf(resp, err) != http.StatusBadRequest {
			t.Errorf("CreateReport(type %v duration %v) = %d; want 400", bad.Type, bad.Duration, testenv.StatusOf(resp, err))
		}
	}
	if _, resp, err := c.iam.CreateReportWithContext(ctx, c.iam.NewCreateReportOptions("someone-else")); testenv.StatusOf(resp, err) != http.StatusForbidden {
		t.Errorf("CreateReport(other account) = %d; want 403", testenv.StatusOf(resp, err))
	}
}

func TestContractMFAReport(t *testing.T) {
	c := startSDK(t, core.Options{ReportDelay: 100 * time.Millisecond})
	ctx := context.Background()
	ref, resp, err := c.iam.CreateMfaReportWithContext(ctx, c.iam.NewCreateMfaReportOptions(c.account).SetType("mfa_status"))
	if err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("CreateMfaReport = %d, %v", testenv.StatusOf(resp, err), err)
	}
	get := c.iam.NewGetMfaReportOptions(c.account, *ref.Reference)
	rep, resp, err := c.iam.GetMfaReportWithContext(ctx, get)
	if err != nil || resp.StatusCode != http.StatusNoContent || rep != nil {
		t.Fatalf("GetMfaReport while generating = %d, %v", testenv.StatusOf(resp, err), err)
	}
	time.Sleep(150 * time.Millisecond)
	rep, resp, err = c.iam.GetMfaReportWithContext(ctx, get)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GetMfaReport = %d, %v", testenv.StatusOf(resp, err), err)
	}
	if len(rep.Users) != testenv.ContractSpec().Users || *rep.AccountID != c.account {
		t.Errorf("MFA report: %d users for account %s", len(rep.Users), *rep.AccountID)
	}
	for _, u := range rep.Users {
		if u.IDBasedMfa == nil || u.AccountBasedMfa == nil || u.IDBasedMfa.Complies == nil || u.EffectiveMfaType == nil {
			t.Fatalf("user %s lacks required MFA fields", *u.IamID)
		}
	}
	_, resp, err = c.iam.GetMfaReportWithContext(ctx, c.iam.NewGetMfaReportOptions(c.account, "nope"))
	if testenv.StatusOf(resp, err) != http.StatusNotFound {
		t.Errorf("GetMfaReport(unknown) = %d; want 404", testenv.StatusOf(resp, err))
	}
}

func TestContractAPIKeysPagingAndFilters(t *testing.T) {
	c := startSDK(t, core.Options{})
	ctx := context.Background()
	w := c.env.World
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
			if tok = testenv.NextPageToken(page.Next); tok == nil {
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
		if testenv.StatusOf(resp, err) != http.StatusBadRequest {
			t.Errorf("ListAPIKeys(%+v) = %d; want 400", bad, testenv.StatusOf(resp, err))
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
	c := startSDK(t, core.Options{})
	ctx := context.Background()
	w := c.env.World
	w.RLock()
	var key *account.APIKeyRecord
	for _, k := range w.Identities.APIKeys {
		// A service ID's key: a profile may not write to a user's.
		if !k.Locked && !k.Disabled && w.Identities.ServiceIDByIAMID(k.OwnerIAMID) != nil {
			key = k
			break
		}
	}
	sid := w.Identities.ServiceIDs[0]
	keyID, sidID := key.ID, sid.ID
	w.RUnlock()

	steps := []struct {
		name string
		call func() (*sdkcore.DetailedResponse, error)
	}{
		{"disable", func() (*sdkcore.DetailedResponse, error) {
			return c.iam.DisableAPIKeyWithContext(ctx, c.iam.NewDisableAPIKeyOptions(keyID))
		}},
		{"disable again", func() (*sdkcore.DetailedResponse, error) {
			return c.iam.DisableAPIKeyWithContext(ctx, c.iam.NewDisableAPIKeyOptions(keyID))
		}},
		{"lock", func() (*sdkcore.DetailedResponse, error) {
			return c.iam.LockAPIKeyWithContext(ctx, c.iam.NewLockAPIKeyOptions(keyID))
		}},
		{"lock service ID", func() (*sdkcore.DetailedResponse, error) {
			return c.iam.LockServiceIDWithContext(ctx, c.iam.NewLockServiceIDOptions(sidID))
		}},
		{"lock service ID again", func() (*sdkcore.DetailedResponse, error) {
			return c.iam.LockServiceIDWithContext(ctx, c.iam.NewLockServiceIDOptions(sidID))
		}},
	}
	for _, s := range steps {
		if resp, err := s.call(); err != nil || resp.StatusCode != http.StatusNoContent {
			t.Fatalf("%s = %d, %v; want 204", s.name, testenv.StatusOf(resp, err), err)
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
	if resp, err := c.iam.UnlockAPIKeyWithContext(ctx, c.iam.NewUnlockAPIKeyOptions(keyID)); err != nil || resp.StatusCode != 204 {
		t.Errorf("unlock = %d, %v", testenv.StatusOf(resp, err), err)
	}
	if resp, err := c.iam.EnableAPIKeyWithContext(ctx, c.iam.NewEnableAPIKeyOptions(keyID)); err != nil || resp.StatusCode != 204 {
		t.Errorf("enable = %d, %v", testenv.StatusOf(resp, err), err)
	}
	if resp, err := c.iam.UnlockServiceIDWithContext(ctx, c.iam.NewUnlockServiceIDOptions(sidID)); err != nil || resp.StatusCode != 204 {
		t.Errorf("unlock service ID = %d, %v", testenv.StatusOf(resp, err), err)
	}

	// 404s carry IAM Identity's ExceptionResponse (status_code a string).
	resp, err := c.iam.DisableAPIKeyWithContext(ctx, c.iam.NewDisableAPIKeyOptions("ApiKey-nope"))
	if testenv.StatusOf(resp, err) != http.StatusNotFound || err == nil {
		t.Fatalf("disable unknown = %d, %v", testenv.StatusOf(resp, err), err)
	}
	body, _ := resp.Result.(map[string]any)
	if body["status_code"] != "404" || body["trace"] == nil {
		t.Errorf("404 body = %v; want ExceptionResponse", body)
	}
	if _, resp, err := c.iam.GetServiceIDWithContext(ctx, c.iam.NewGetServiceIDOptions("ServiceId-nope")); testenv.StatusOf(resp, err) != 404 {
		t.Errorf("get unknown service ID = %d", testenv.StatusOf(resp, err))
	}
	if resp, err := c.iam.LockServiceIDWithContext(ctx, c.iam.NewLockServiceIDOptions("ServiceId-nope")); testenv.StatusOf(resp, err) != 404 {
		t.Errorf("lock unknown service ID = %d", testenv.StatusOf(resp, err))
	}
}

func TestContractServiceIDsPaging(t *testing.T) {
	c := startSDK(t, core.Options{})
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
		if tok = testenv.NextPageToken(page.Next); tok == nil {
			break
		}
	}
	if len(seen) != testenv.ContractSpec().ServiceIDs {
		t.Errorf("listed %d service IDs, want %d", len(seen), testenv.ContractSpec().ServiceIDs)
	}
	// The SDK calls the list with its trailing slash.
	var slash bool
	for _, e := range c.env.Server.Log().Entries() {
		slash = slash || e.Path == "/v1/serviceids/"
	}
	if !slash {
		t.Error("no request to /v1/serviceids/ in the log")
	}
	if _, resp, err := c.iam.ListServiceIdsWithContext(ctx, c.iam.NewListServiceIdsOptions()); testenv.StatusOf(resp, err) != http.StatusBadRequest {
		t.Errorf("ListServiceIds without account_id = %d; want 400", testenv.StatusOf(resp, err))
	}
}
