package access

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/IBM/platform-services-go-sdk/iampolicymanagementv1"
	"github.com/trustjob/trustjob/internal/cloudsim/account"
	"github.com/trustjob/trustjob/internal/cloudsim/core"
	"github.com/trustjob/trustjob/internal/cloudsim/testenv"
)

// v2 listing filters, last-permit data, policy by id with its ETag, delete,
// and roles with the account's custom roles.
func TestContractPolicyItemsAndRoles(t *testing.T) {
	c := startSDK(t, core.Options{})
	ctx := context.Background()
	w := c.env.World
	permit := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	w.Lock()
	w.Identities.CustomRoles = append(w.Identities.CustomRoles, &account.CustomRoleRecord{ID: "role-1", Name: "KeyRotator",
		DisplayName: "Key rotator", ServiceName: "iam-identity", Actions: []string{"iam-identity.apikey.disable"}})
	w.Identities.Policies = append(w.Identities.Policies,
		&account.PolicyRecord{ID: "pol-admin", SubjectIAMID: "iam-ServiceId-x", Role: "Administrator",
			Resource: map[string]string{"serviceType": "platform_service"}, LastPermitAt: &permit, LastPermitFrequency: 7},
		&account.PolicyRecord{ID: "pol-custom", SubjectGroupID: "AccessGroupId-g", Role: "Viewer", Roles: []string{"KeyRotator"},
			ServiceName: "iam-identity", Template: true})
	total := len(w.Identities.Policies)
	w.Unlock()

	// Every page, by hand (the SDK has no v2 pager in this version).
	n := 0
	opts := &iampolicymanagementv1.ListV2PoliciesOptions{AccountID: &c.account}
	opts.SetLimit(7).SetFormat("include_last_permit")
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatal("paging never ends")
		}
		res, _, err := c.pm.ListV2PoliciesWithContext(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		n += len(res.Policies)
		if res.Next == nil || res.Next.Start == nil {
			break
		}
		opts.SetStart(*res.Next.Start)
	}
	if n != total {
		t.Errorf("%d policies over all pages, want %d", n, total)
	}
	st, _, err := c.pm.ListV2PoliciesWithContext(ctx, &iampolicymanagementv1.ListV2PoliciesOptions{AccountID: &c.account,
		ServiceType: strp("platform_service"), IamID: strp("iam-ServiceId-x"), Format: strp("include_last_permit")})
	if err != nil || len(st.Policies) != 1 || *st.Policies[0].ID != "pol-admin" {
		t.Fatalf("service_type=platform_service, iam_id: %v %v", st, err)
	}
	p := st.Policies[0]
	if p.LastPermitAt == nil || *p.LastPermitFrequency != 7 {
		t.Errorf("last permit %v %v", p.LastPermitAt, p.LastPermitFrequency)
	}
	grant := p.Control.(*iampolicymanagementv1.ControlResponse).Grant
	if *grant.Roles[0].RoleID != "crn:v1:bluemix:public:iam::::role:Administrator" {
		t.Errorf("role %s", *grant.Roles[0].RoleID)
	}

	never, _, err := c.pm.ListV2PoliciesWithContext(ctx, &iampolicymanagementv1.ListV2PoliciesOptions{AccountID: &c.account,
		AccessGroupID: strp("AccessGroupId-g"), Format: strp("include_last_permit")})
	if err != nil || len(never.Policies) != 1 || never.Policies[0].LastPermitAt != nil || never.Policies[0].LastPermitFrequency == nil || *never.Policies[0].LastPermitFrequency != 0 {
		t.Errorf("a never-permitted policy: %+v %v (want last_permit_at null, frequency 0)", never, err)
	}
	one, resp, err := c.pm.GetV2PolicyWithContext(ctx, c.pm.NewGetV2PolicyOptions("pol-custom"))
	if err != nil {
		t.Fatal(err)
	}
	roles := one.Control.(*iampolicymanagementv1.ControlResponse).Grant.Roles
	if len(roles) != 2 || *roles[1].RoleID != "crn:v1:bluemix:public:iam-identity::a/"+c.account+"::customRole:KeyRotator" || one.Template == nil {
		t.Errorf("custom-role policy: roles %v template %v", roles, one.Template)
	}
	if resp.Headers.Get("ETag") == "" {
		t.Error("GetV2Policy: no ETag")
	}
	v1, _, err := c.pm.GetPolicyWithContext(ctx, c.pm.NewGetPolicyOptions("pol-custom"))
	if err != nil || len(v1.Roles) != 2 {
		t.Errorf("GetPolicy v1: %v %v", v1, err)
	}

	rc, _, err := c.pm.ListRolesWithContext(ctx, &iampolicymanagementv1.ListRolesOptions{AccountID: &c.account, ServiceName: strp("iam-identity")})
	if err != nil || len(rc.CustomRoles) != 1 || *rc.CustomRoles[0].Name != "KeyRotator" || len(rc.SystemRoles) == 0 || len(rc.ServiceRoles) == 0 {
		t.Errorf("ListRoles: %+v %v", rc, err)
	}

	resp, err = c.pm.DeleteV2PolicyWithContext(ctx, c.pm.NewDeleteV2PolicyOptions("pol-admin"))
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("DeleteV2Policy: %d %v", testenv.StatusOf(resp, err), err)
	}
	_, err = c.pm.DeleteV2PolicyWithContext(ctx, c.pm.NewDeleteV2PolicyOptions("pol-admin"))
	if code, body := testenv.Problem(t, err); code != http.StatusNotFound || body["errors"] == nil {
		t.Errorf("second delete: %d %v, want 404 with errors", code, body)
	}
	w.Revoke(c.runner, core.ActionPolicyDelete)
	if _, err := c.pm.DeleteV2PolicyWithContext(ctx, c.pm.NewDeleteV2PolicyOptions("pol-custom")); testenv.StatusOf(nil, err) != http.StatusForbidden {
		t.Errorf("delete without iam.policy.delete: %v, want 403", err)
	}
	if _, _, err := c.pm.ListV2PoliciesWithContext(ctx, &iampolicymanagementv1.ListV2PoliciesOptions{AccountID: &c.account, Format: strp("everything")}); testenv.StatusOf(nil, err) != http.StatusBadRequest {
		t.Errorf("bad format: %v, want 400", err)
	}
}

// Dynamic members and rules of an access group.
func TestContractGroupRulesAndDynamicMembers(t *testing.T) {
	c := startSDK(t, core.Options{})
	ctx := context.Background()
	w := c.env.World
	w.Lock()
	g := w.Identities.AccessGroups[0]
	g.Members = append(g.Members, account.GroupMemberRecord{IAMID: "IBMid-FEDERATED", Dynamic: true})
	g.Rules = append(g.Rules, account.GroupRuleRecord{ID: "ClaimRule-1", Name: "engineers", RealmName: "https://idp.example.com",
		Expiration: 12, Conditions: []account.Condition{{Claim: "groups", Operator: "CONTAINS", Value: `"eng"`}}})
	static := len(g.Members) - 1
	w.Unlock()
	for _, tc := range []struct {
		mt   string
		want int
	}{{"", static}, {"static", static}, {"dynamic", 1}, {"all", static + 1}} {
		o := c.ag.NewListAccessGroupMembersOptions(g.ID).SetLimit(100)
		if tc.mt != "" {
			o.SetMembershipType(tc.mt)
		}
		res, _, err := c.ag.ListAccessGroupMembersWithContext(ctx, o)
		if err != nil || len(res.Members) != tc.want {
			t.Errorf("membership_type %q: %v members, err %v; want %d", tc.mt, len(res.Members), err, tc.want)
		}
	}
	rules, _, err := c.ag.ListAccessGroupRulesWithContext(ctx, c.ag.NewListAccessGroupRulesOptions(g.ID))
	if err != nil || len(rules.Rules) != 1 || *rules.Rules[0].RealmName != "https://idp.example.com" || *rules.Rules[0].Conditions[0].Claim != "groups" {
		t.Errorf("rules %+v %v", rules, err)
	}
	if _, _, err := c.ag.ListAccessGroupRulesWithContext(ctx, c.ag.NewListAccessGroupRulesOptions("AccessGroupId-nope")); testenv.StatusOf(nil, err) != http.StatusNotFound {
		t.Errorf("rules of an unknown group: %v, want 404", err)
	}
}

func strp(s string) *string { return &s }
