package identity

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/IBM/platform-services-go-sdk/iamidentityv1"
	"github.com/trustjob/trustjob/internal/cloudsim/account"
	"github.com/trustjob/trustjob/internal/cloudsim/core"
	"github.com/trustjob/trustjob/internal/cloudsim/testenv"
)

// Account settings carry the user-specific MFA settings and an ETag; the MFA
// report and a user's MFA status agree on who complies.
func TestContractMFA(t *testing.T) {
	c := startSDK(t, core.Options{ReportDelay: 100 * time.Millisecond})
	ctx := context.Background()
	w := c.env.World
	w.Lock()
	users := w.Identities.Users
	enrolled, bare := users[0], users[1]
	enrolled.MFA, bare.MFA = "TOTP", "NONE"
	w.IAM.Settings.MFA = "TOTP4ALL"
	w.IAM.Settings.UserMFA = []account.UserMFASetting{{IAMID: bare.IAMID, MFA: "NONE"}}
	w.Unlock()

	set, resp, err := c.iam.GetAccountSettingsWithContext(ctx, c.iam.NewGetAccountSettingsOptions(c.account))
	if err != nil {
		t.Fatal(err)
	}
	if *set.Mfa != "TOTP4ALL" || len(set.UserMfa) != 1 || *set.UserMfa[0].IamID != bare.IAMID || *set.UserMfa[0].Mfa != "NONE" {
		t.Errorf("settings mfa %s, user_mfa %+v", *set.Mfa, set.UserMfa)
	}
	if resp.Headers.Get("ETag") == "" || resp.Headers.Get("ETag") != *set.EntityTag {
		t.Errorf("ETag %q, entity_tag %q", resp.Headers.Get("ETag"), *set.EntityTag)
	}

	eff, _, err := c.iam.GetEffectiveAccountSettingsWithContext(ctx, c.iam.NewGetEffectiveAccountSettingsOptions(c.account))
	if err != nil || eff.Effective == nil || *eff.Effective.Mfa != "TOTP4ALL" || len(eff.Effective.UserMfa) != 1 || eff.Account == nil || *eff.Account.EntityTag != *set.EntityTag {
		t.Errorf("effective settings %+v, %v", eff, err)
	}
	ref, resp, err := c.iam.CreateMfaReportWithContext(ctx, c.iam.NewCreateMfaReportOptions(c.account).SetType("mfa_status"))
	if err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("CreateMfaReport: %d %v", testenv.StatusOf(resp, err), err)
	}
	get := c.iam.NewGetMfaReportOptions(c.account, *ref.Reference)
	var rep *iamidentityv1.ReportMfaEnrollmentStatus
	for polls := 0; rep == nil; polls++ {
		if polls > 100 {
			t.Fatal("the MFA report never became ready")
		}
		rep, resp, err = c.iam.GetMfaReportWithContext(ctx, get)
		if err != nil {
			t.Fatal(err)
		}
		if rep == nil && resp.StatusCode != http.StatusNoContent {
			t.Fatalf("GetMfaReport while generating: %d", resp.StatusCode)
		}
		time.Sleep(20 * time.Millisecond)
	}
	byID := map[string]iamidentityv1.UserReportMfaEnrollmentStatus{}
	for _, u := range rep.Users {
		byID[*u.IamID] = u
	}
	if u := byID[enrolled.IAMID]; !*u.IDBasedMfa.Complies || *u.IDBasedMfa.TraitEffective != "TOTP4ALL" {
		t.Errorf("enrolled user: %+v", u.IDBasedMfa)
	}
	if u := byID[bare.IAMID]; *u.IDBasedMfa.Complies || *u.IDBasedMfa.TraitUserSpecific != "NONE" {
		t.Errorf("user with a NONE override: %+v", u.IDBasedMfa)
	}
	if _, _, err := c.iam.GetMfaReportWithContext(ctx, c.iam.NewGetMfaReportOptions(c.account, "no-such-ref")); testenv.StatusOf(nil, err) != http.StatusNotFound {
		t.Errorf("unknown reference: %v, want 404", err)
	}

	st, _, err := c.iam.GetMfaStatusWithContext(ctx, c.iam.NewGetMfaStatusOptions(c.account, bare.IAMID))
	if err != nil || *st.IamID != bare.IAMID || *st.IDBasedMfa.Complies {
		t.Errorf("GetMfaStatus(bare) = %+v, %v", st, err)
	}
	_, _, err = c.iam.GetMfaStatusWithContext(ctx, c.iam.NewGetMfaStatusOptions(c.account, "IBMid-NOBODY"))
	if code, body := testenv.Problem(t, err); code != http.StatusNotFound || body["errors"] == nil {
		t.Errorf("unknown user: %d %v", code, body)
	}
	w.Revoke(c.runner, core.ActionMFAStatusGet)
	if _, _, err := c.iam.GetMfaStatusWithContext(ctx, c.iam.NewGetMfaStatusOptions(c.account, bare.IAMID)); testenv.StatusOf(nil, err) != http.StatusForbidden {
		t.Errorf("without iam-identity.mfa-status.get: %v, want 403", err)
	}
}

// Who may assume a profile, with the profile's entity tag.
func TestContractProfileIdentities(t *testing.T) {
	c := startSDK(t, core.Options{})
	ctx := context.Background()
	w := c.env.World
	w.Lock()
	p := w.IAM.Profiles[len(w.IAM.Profiles)-1]
	p.Identities = []account.ProfileIdentity{
		{IAMID: "IBMid-ALICE", Identifier: "IBMid-ALICE", Type: "user", Accounts: []string{c.account}},
		{IAMID: "iam-ServiceId-ci", Identifier: "ServiceId-ci", Type: "serviceid", Description: "CI pipeline"},
	}
	w.Unlock()
	res, resp, err := c.iam.GetProfileIdentitiesWithContext(ctx, c.iam.NewGetProfileIdentitiesOptions(p.ID))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Identities) != 2 || *res.Identities[1].Type != "serviceid" || *res.EntityTag == "" || resp.Headers.Get("ETag") != *res.EntityTag {
		t.Errorf("identities %+v, entity_tag %v, ETag %q", res.Identities, res.EntityTag, resp.Headers.Get("ETag"))
	}
	if _, _, err := c.iam.GetProfileIdentitiesWithContext(ctx, c.iam.NewGetProfileIdentitiesOptions("Profile-nope")); testenv.StatusOf(nil, err) != http.StatusNotFound {
		t.Errorf("unknown profile: %v, want 404", err)
	}
}
