package access

import (
	"context"
	"testing"

	"github.com/IBM/platform-services-go-sdk/iamaccessgroupsv2"
	"github.com/IBM/platform-services-go-sdk/iampolicymanagementv1"
	"github.com/trustjob/trustjob/internal/cloudsim/core"
	"github.com/trustjob/trustjob/internal/cloudsim/iamtoken"
	"github.com/trustjob/trustjob/internal/cloudsim/testenv"
)

// sdk is an emulator serving IAM Access Groups and Policy Management (and the token endpoint) over
// testenv.ContractSpec, with the official SDK clients signed in as trustjob signs in
// (ContainerAuthenticator, retries off, so error statuses surface as they are).
type sdk struct {
	env     *testenv.Env
	ag      *iamaccessgroupsv2.IamAccessGroupsV2
	pm      *iampolicymanagementv1.IamPolicyManagementV1
	account string
	runner  string
}

func startSDK(t *testing.T, opts core.Options) *sdk {
	t.Helper()
	env := testenv.New(t, testenv.ContractSpec(), opts, Mount, iamtoken.Mount)
	auth := env.Authenticator(t)
	c := &sdk{env: env, account: env.World.AccountID, runner: env.Runner.IAMID}
	var err error
	c.ag, err = iamaccessgroupsv2.NewIamAccessGroupsV2(&iamaccessgroupsv2.IamAccessGroupsV2Options{URL: env.Srv.URL, Authenticator: auth})
	if err != nil {
		t.Fatal(err)
	}
	c.pm, err = iampolicymanagementv1.NewIamPolicyManagementV1(&iampolicymanagementv1.IamPolicyManagementV1Options{URL: env.Srv.URL, Authenticator: auth})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestContractAccessGroups(t *testing.T) {
	c := startSDK(t, core.Options{})
	ctx := context.Background()
	pager, err := c.ag.NewAccessGroupsPager(c.ag.NewListAccessGroupsOptions(c.account).SetLimit(2))
	if err != nil {
		t.Fatal(err)
	}
	groups, err := pager.GetAllWithContext(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(groups) != testenv.ContractSpec().AccessGroups+1 || *groups[0].ID != PublicAccessGroupID {
		t.Fatalf("%d groups (first %s); want %d plus the public access group", len(groups), *groups[0].ID, testenv.ContractSpec().AccessGroups)
	}
	hidden, _, err := c.ag.ListAccessGroupsWithContext(ctx, c.ag.NewListAccessGroupsOptions(c.account).SetHidePublicAccess(true))
	if err != nil || *hidden.TotalCount != int64(testenv.ContractSpec().AccessGroups) {
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
		w := c.env.World
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
		t.Fatalf("remove from all = %d, %v; want 204", testenv.StatusOf(resp, err), err)
	}
	// Not a member of any group any more: 404, as the SDK's integration test expects.
	if _, resp, err := c.ag.RemoveMemberFromAllAccessGroupsWithContext(ctx, rm); testenv.StatusOf(resp, err) != 404 {
		t.Errorf("remove again = %d; want 404", testenv.StatusOf(resp, err))
	}
	mine, _, _ = c.ag.ListAccessGroupsWithContext(ctx, c.ag.NewListAccessGroupsOptions(c.account).SetIamID(member))
	if *mine.TotalCount != 0 {
		t.Errorf("%s still in %d groups", member, *mine.TotalCount)
	}
	if _, resp, err := c.ag.ListAccessGroupMembersWithContext(ctx, c.ag.NewListAccessGroupMembersOptions("AccessGroupId-nope")); testenv.StatusOf(resp, err) != 404 {
		t.Errorf("members of unknown group = %d", testenv.StatusOf(resp, err))
	}
	set, _, err := c.ag.GetAccountSettingsWithContext(ctx, c.ag.NewGetAccountSettingsOptions(c.account))
	if err != nil || set.PublicAccessEnabled == nil || *set.AccountID != c.account {
		t.Errorf("settings: %v", err)
	}
	if _, resp, err := c.ag.ListAccessGroupsWithContext(ctx, c.ag.NewListAccessGroupsOptions("")); testenv.StatusOf(resp, err) == 200 {
		t.Error("ListAccessGroups without account_id must fail")
	}
}

func TestContractPolicies(t *testing.T) {
	c := startSDK(t, core.Options{})
	ctx := context.Background()
	w := c.env.World
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
	if _, resp, err := c.pm.ListPoliciesWithContext(ctx, c.pm.NewListPoliciesOptions(c.account).SetLimit(1000)); testenv.StatusOf(resp, err) != 400 {
		t.Errorf("limit 1000 = %d; want 400", testenv.StatusOf(resp, err))
	}
}
