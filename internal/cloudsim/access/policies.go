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
	lastPermit := v2 && q.Get("format") == "include_last_permit"
	iamID, group := q.Get("iam_id"), q.Get("access_group_id")
	s.world.RLock()
	defer s.world.RUnlock()
	var match []*account.PolicyRecord
	if q.Get("type") != "authorization" && q.Get("state") != "deleted" {
		for _, p := range s.world.Identities.Policies {
			if (iamID == "" || p.SubjectIAMID == iamID) && (group == "" || p.SubjectGroupID == group) {
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
			items = append(items, policyV1JSON(s.world, r, p))
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
	m["roles"] = []map[string]any{{"role_id": idPolicyRoleCRN(p.Role), "display_name": p.Role}}
	attrs := []map[string]any{{"name": "accountId", "value": w.AccountID, "operator": "stringEquals"}}
	if p.ServiceName != "" {
		attrs = append(attrs, map[string]any{"name": "serviceName", "value": p.ServiceName, "operator": "stringEquals"})
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
	m["resource"] = map[string]any{"attributes": attrs}
	m["control"] = map[string]any{"grant": map[string]any{"roles": []map[string]any{{"role_id": idPolicyRoleCRN(p.Role)}}}}
	if lastPermit && p.LastPermitAt != nil {
		m["last_permit_at"] = core.FormatTime(*p.LastPermitAt)
		m["last_permit_frequency"] = p.LastPermitFrequency
	}
	return m
}
