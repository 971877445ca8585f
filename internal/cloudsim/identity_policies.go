package cloudsim

import (
	"fmt"
	"net/http"
	"strconv"
)

// routesPolicyManagement serves IAM Policy Management access-policy listings:
// v1 and v2 (with last_permit_at under format=include_last_permit), paged by
// limit (1-100, default 50) and an opaque start token given as next.start.
func (s *Sim) routesPolicyManagement() {
	s.handle(Route{Pattern: "GET /v1/policies", Service: ServicePolicyManagement, Action: ActionPolicyRead,
		Handler: func(w http.ResponseWriter, r *http.Request, c *Caller) { s.listPolicies(w, r, c, false) }})
	s.handle(Route{Pattern: "GET /v2/policies", Service: ServicePolicyManagement, Action: ActionPolicyRead,
		Handler: func(w http.ResponseWriter, r *http.Request, c *Caller) { s.listPolicies(w, r, c, true) }})
}

func (s *Sim) listPolicies(w http.ResponseWriter, r *http.Request, c *Caller, v2 bool) {
	q := r.URL.Query()
	if !s.idCheckAccount(w, r, ServicePolicyManagement, q.Get("account_id"), c, true) {
		return
	}
	limit, err := idIntParam(q, "limit", 50, 1, 100)
	if err != nil {
		idBadRequest(s, w, r, ServicePolicyManagement, err)
		return
	}
	off := 0
	if tok := q.Get("start"); tok != "" {
		var ok bool
		if off, ok = idParsePageToken(tok); !ok {
			idBadRequest(s, w, r, ServicePolicyManagement, fmt.Errorf("invalid start token %q", tok))
			return
		}
	}
	if t := q.Get("type"); t != "" && t != "access" && t != "authorization" {
		idBadRequest(s, w, r, ServicePolicyManagement, fmt.Errorf("invalid type %q: use access or authorization", t))
		return
	}
	if st := q.Get("state"); st != "" && st != "active" && st != "deleted" {
		idBadRequest(s, w, r, ServicePolicyManagement, fmt.Errorf("invalid state %q: use active or deleted", st))
		return
	}
	lastPermit := v2 && q.Get("format") == "include_last_permit"
	iamID, group := q.Get("iam_id"), q.Get("access_group_id")
	s.world.RLock()
	defer s.world.RUnlock()
	var match []*PolicyRecord
	if q.Get("type") != "authorization" && q.Get("state") != "deleted" {
		for _, p := range s.world.Identities.Policies {
			if (iamID == "" || p.SubjectIAMID == iamID) && (group == "" || p.SubjectGroupID == group) {
				match = append(match, p)
			}
		}
	}
	lo, hi := idPage(len(match), off, limit)
	items := make([]map[string]any, 0, hi-lo)
	for _, p := range match[lo:hi] {
		if v2 {
			items = append(items, s.world.policyV2JSON(r, p, lastPermit))
		} else {
			items = append(items, s.world.policyV1JSON(r, p))
		}
	}
	lq := idCloneQuery(q)
	lq.Del("start")
	lq.Set("limit", strconv.Itoa(limit))
	body := map[string]any{"limit": limit, "first": map[string]any{"href": idLink(r, true, lq)}, "policies": items}
	if hi < len(match) {
		tok := idPageToken(hi)
		lq.Set("start", tok)
		body["next"] = map[string]any{"href": idLink(r, true, lq), "start": tok}
	}
	writeJSON(w, http.StatusOK, body)
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

func (w *World) policySubject(p *PolicyRecord) (string, string) {
	if p.SubjectGroupID != "" {
		return "access_group_id", p.SubjectGroupID
	}
	return "iam_id", p.SubjectIAMID
}

func (w *World) policyCommon(r *http.Request, p *PolicyRecord, base string) map[string]any {
	return map[string]any{
		"id": p.ID, "type": "access", "description": p.Role + " access",
		"href": baseURL(r) + base + p.ID, "created_at": idTime(p.CreatedAt), "created_by_id": p.CreatedBy,
		"last_modified_at": idTime(p.CreatedAt), "last_modified_by_id": p.CreatedBy, "state": "active",
	}
}

func (w *World) policyV1JSON(r *http.Request, p *PolicyRecord) map[string]any {
	m := w.policyCommon(r, p, "/v1/policies/")
	name, value := w.policySubject(p)
	m["subjects"] = []map[string]any{{"attributes": []map[string]any{{"name": name, "value": value}}}}
	m["roles"] = []map[string]any{{"role_id": idPolicyRoleCRN(p.Role), "display_name": p.Role}}
	attrs := []map[string]any{{"name": "accountId", "value": w.AccountID, "operator": "stringEquals"}}
	if p.ServiceName != "" {
		attrs = append(attrs, map[string]any{"name": "serviceName", "value": p.ServiceName, "operator": "stringEquals"})
	}
	m["resources"] = []map[string]any{{"attributes": attrs}}
	return m
}

func (w *World) policyV2JSON(r *http.Request, p *PolicyRecord, lastPermit bool) map[string]any {
	m := w.policyCommon(r, p, "/v2/policies/")
	name, value := w.policySubject(p)
	m["subject"] = map[string]any{"attributes": []map[string]any{{"key": name, "operator": "stringEquals", "value": value}}}
	attrs := []map[string]any{{"key": "accountId", "operator": "stringEquals", "value": w.AccountID}}
	if p.ServiceName != "" {
		attrs = append(attrs, map[string]any{"key": "serviceName", "operator": "stringEquals", "value": p.ServiceName})
	}
	m["resource"] = map[string]any{"attributes": attrs}
	m["control"] = map[string]any{"grant": map[string]any{"roles": []map[string]any{{"role_id": idPolicyRoleCRN(p.Role)}}}}
	if lastPermit && p.LastPermitAt != nil {
		m["last_permit_at"] = idTime(*p.LastPermitAt)
		m["last_permit_frequency"] = p.LastPermitFrequency
	}
	return m
}
