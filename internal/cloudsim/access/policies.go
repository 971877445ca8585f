package access

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/trustjob/trustjob/internal/cloudsim/account"
	"github.com/trustjob/trustjob/internal/cloudsim/core"
)

// routesPolicyManagement serves IAM Policy Management access-policy listings:
// v1 and v2 (with last_permit_at under format=include_last_permit), paged by
// limit (1-100, default 50) and an opaque start token given as next.start.
func (s *api) routesPolicyManagement() {
	s.Handle(core.Route{Pattern: "GET /v1/policies", Service: core.ServicePolicyManagement, Action: core.ActionPolicyRead,
		Handler: func(w http.ResponseWriter, r *http.Request, c *core.Caller) { s.listPolicies(w, r, c, false) }})
	s.Handle(core.Route{Pattern: "GET /v2/policies", Service: core.ServicePolicyManagement, Action: core.ActionPolicyRead,
		Handler: func(w http.ResponseWriter, r *http.Request, c *core.Caller) { s.listPolicies(w, r, c, true) }})
	s.routesPolicyItems()
}

func (s *api) listPolicies(w http.ResponseWriter, r *http.Request, c *core.Caller, v2 bool) {
	q := r.URL.Query()
	if !s.CheckAccount(w, r, core.ServicePolicyManagement, q.Get("account_id"), c, true) {
		return
	}
	limit, err := core.IntParam(q, "limit", 50, 1, 100)
	if err != nil {
		s.BadRequest(w, r, core.ServicePolicyManagement, err)
		return
	}
	off := 0
	if tok := q.Get("start"); tok != "" {
		var ok bool
		if off, ok = core.ParsePageToken(tok); !ok {
			s.BadRequest(w, r, core.ServicePolicyManagement, fmt.Errorf("invalid start token %q", tok))
			return
		}
	}
	if t := q.Get("type"); t != "" && t != "access" && t != "authorization" {
		s.BadRequest(w, r, core.ServicePolicyManagement, fmt.Errorf("invalid type %q: use access or authorization", t))
		return
	}
	if st := q.Get("state"); st != "" && st != "active" && st != "deleted" {
		s.BadRequest(w, r, core.ServicePolicyManagement, fmt.Errorf("invalid state %q: use active or deleted", st))
		return
	}
	if f := q.Get("format"); f != "" && f != "include_last_permit" && f != "display" {
		s.BadRequest(w, r, core.ServicePolicyManagement, fmt.Errorf("invalid format %q: use include_last_permit or display", f))
		return
	}
	if v2 && q.Get("service_name") != "" && q.Get("service_group_id") != "" {
		s.BadRequest(w, r, core.ServicePolicyManagement, fmt.Errorf("service_name and service_group_id are mutually exclusive"))
		return
	}
	// v1 answers with the fields too; the Go SDK's v1 model drops them.
	lastPermit := q.Get("format") == "include_last_permit"
	iamID, group := q.Get("iam_id"), q.Get("access_group_id")
	svc, svcType, svcGroup := q.Get("service_name"), q.Get("service_type"), q.Get("service_group_id")
	s.world.RLock()
	defer s.world.RUnlock()
	var match []*account.PolicyRecord
	if q.Get("type") != "authorization" && q.Get("state") != "deleted" {
		for _, p := range s.world.Identities.Policies {
			if (iamID == "" || p.SubjectIAMID == iamID) && (group == "" || p.SubjectGroupID == group) &&
				(svc == "" || p.ServiceName == svc) && (svcType == "" || p.Resource["serviceType"] == svcType) &&
				(svcGroup == "" || p.Resource["service_group_id"] == svcGroup) {
				match = append(match, p)
			}
		}
	}
	lo, hi := core.PageBounds(len(match), off, limit)
	items := make([]map[string]any, 0, hi-lo)
	for _, p := range match[lo:hi] {
		if v2 {
			items = append(items, policyV2JSON(s.world, r, p, lastPermit))
		} else {
			m := policyV1JSON(s.world, r, p)
			addLastPermit(m, p, lastPermit)
			items = append(items, m)
		}
	}
	lq := core.CloneQuery(q)
	lq.Del("start")
	lq.Set("limit", strconv.Itoa(limit))
	body := map[string]any{"limit": limit, "first": map[string]any{"href": core.SelfLink(r, true, lq)}, "policies": items}
	if hi < len(match) {
		tok := core.PageToken(hi)
		lq.Set("start", tok)
		body["next"] = map[string]any{"href": core.SelfLink(r, true, lq), "start": tok}
	}
	core.WriteJSON(w, http.StatusOK, body)
}

// idPolicyRoleCRN is the role CRN of a display name: platform roles are
// "role:", service roles (Reader, Writer, Manager) "serviceRole:".
func idPolicyRoleCRN(role string) string {
	switch role {
	case "Reader", "Writer", "Manager":
		return "crn:v1:bluemix:public:iam::::serviceRole:" + role
	}
	return "crn:v1:bluemix:public:iam::::role:" + role
}

func policySubject(w *account.World, p *account.PolicyRecord) (string, string) {
	if p.SubjectGroupID != "" {
		return "access_group_id", p.SubjectGroupID
	}
	return "iam_id", p.SubjectIAMID
}

func policyCommon(w *account.World, r *http.Request, p *account.PolicyRecord, base string) map[string]any {
	return map[string]any{
		"id": p.ID, "type": "access", "description": p.Role + " access",
		"href": core.BaseURL(r) + base + p.ID, "created_at": core.FormatTime(p.CreatedAt), "created_by_id": p.CreatedBy,
		"last_modified_at": core.FormatTime(p.CreatedAt), "last_modified_by_id": p.CreatedBy, "state": "active",
	}
}

func policyV1JSON(w *account.World, r *http.Request, p *account.PolicyRecord) map[string]any {
	m := policyCommon(w, r, p, "/v1/policies/")
	name, value := policySubject(w, p)
	m["subjects"] = []map[string]any{{"attributes": []map[string]any{{"name": name, "value": value}}}}
	var roles []map[string]any
	for _, role := range policyRoles(p) {
		roles = append(roles, map[string]any{"role_id": roleCRN(w, role), "display_name": role})
	}
	m["roles"] = roles
	attrs := []map[string]any{{"name": "accountId", "value": w.AccountID, "operator": "stringEquals"}}
	if p.ServiceName != "" {
		attrs = append(attrs, map[string]any{"name": "serviceName", "value": p.ServiceName, "operator": "stringEquals"})
	}
	for _, k := range sortedKeys(p.Resource) {
		attrs = append(attrs, map[string]any{"name": k, "value": p.Resource[k], "operator": "stringEquals"})
	}
	m["resources"] = []map[string]any{{"attributes": attrs}}
	return m
}

func policyV2JSON(w *account.World, r *http.Request, p *account.PolicyRecord, lastPermit bool) map[string]any {
	m := policyCommon(w, r, p, "/v2/policies/")
	name, value := policySubject(w, p)
	m["subject"] = map[string]any{"attributes": []map[string]any{{"key": name, "operator": "stringEquals", "value": value}}}
	attrs := []map[string]any{{"key": "accountId", "operator": "stringEquals", "value": w.AccountID}}
	if p.ServiceName != "" {
		attrs = append(attrs, map[string]any{"key": "serviceName", "operator": "stringEquals", "value": p.ServiceName})
	}
	for _, k := range sortedKeys(p.Resource) {
		attrs = append(attrs, map[string]any{"key": k, "operator": "stringEquals", "value": p.Resource[k]})
	}
	m["resource"] = map[string]any{"attributes": attrs}
	var roles []map[string]any
	for _, role := range policyRoles(p) {
		roles = append(roles, map[string]any{"role_id": roleCRN(w, role)})
	}
	m["control"] = map[string]any{"grant": map[string]any{"roles": roles}}
	if p.Template {
		m["template"] = map[string]any{"id": "policyTemplate-" + p.ID, "version": "1",
			"assignment_id": "policyAssignment-" + p.ID, "root_id": "policyTemplate-" + p.ID, "root_version": "1"}
	}
	addLastPermit(m, p, lastPermit)
	return m
}

// addLastPermit adds last_permit_at and last_permit_frequency when asked for:
// null and 0 for a policy that never granted a permit, as IBM documents.
func addLastPermit(m map[string]any, p *account.PolicyRecord, on bool) {
	if !on {
		return
	}
	m["last_permit_at"], m["last_permit_frequency"] = nil, 0
	if p.LastPermitAt != nil {
		m["last_permit_at"], m["last_permit_frequency"] = core.FormatTime(*p.LastPermitAt), p.LastPermitFrequency
	}
}
