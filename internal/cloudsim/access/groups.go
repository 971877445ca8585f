package access

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/trustjob/trustjob/internal/cloudsim/account"
	"github.com/trustjob/trustjob/internal/cloudsim/core"
)

// PublicAccessGroupID is the id of the account's built-in public access group.
const PublicAccessGroupID = "AccessGroupId-PublicAccess"

// routesAccessGroups serves IAM Access Groups v2: groups and members with
// offset/limit paging (next.href carries offset), removing a member from every
// group, and the account settings.
func (s *api) routesAccessGroups() {
	s.Handle(core.Route{Pattern: "GET /v2/groups", Service: core.ServiceAccessGroups, Action: core.ActionGroupsRead, Handler: s.listAccessGroups})
	s.Handle(core.Route{Pattern: "GET /v2/groups/{access_group_id}/members", Service: core.ServiceAccessGroups,
		Action: core.ActionGroupMembersRead, Handler: s.listGroupMembers})
	s.Handle(core.Route{Pattern: "DELETE /v2/groups/_allgroups/members/{iam_id}", Service: core.ServiceAccessGroups,
		Action: core.ActionGroupMembersDelete, Handler: s.removeFromAllGroups})
	s.Handle(core.Route{Pattern: "GET /v2/groups/settings", Service: core.ServiceAccessGroups,
		Action: core.ActionGroupSettingsRead, Handler: s.getGroupSettings})
	s.Handle(core.Route{Pattern: "GET /v2/groups/{access_group_id}/rules", Service: core.ServiceAccessGroups,
		Action: core.ActionGroupRulesRead, Handler: s.listGroupRules})
}

// agPage reads limit (default 50, at most 100) and offset; 400 on bad values.
func (s *api) agPage(w http.ResponseWriter, r *http.Request) (off, limit int, ok bool) {
	q := r.URL.Query()
	limit, err := core.IntParam(q, "limit", 50, 0, 100)
	if err == nil && limit == 0 {
		limit = 50
	}
	if err == nil {
		off, err = core.IntParam(q, "offset", 0, 0, 1<<30)
	}
	if err != nil {
		s.BadRequest(w, r, core.ServiceAccessGroups, err)
		return 0, 0, false
	}
	return off, limit, true
}

// agList writes an Access Groups collection: limit, offset, total_count and
// first/previous/next/last links (absolute hrefs with offset).
func (s *api) agList(w http.ResponseWriter, r *http.Request, field string, off, limit, n int, items []map[string]any) {
	q := r.URL.Query()
	q.Set("limit", strconv.Itoa(limit))
	href := func(o int) map[string]any {
		lq := core.CloneQuery(q)
		lq.Set("offset", strconv.Itoa(o))
		return map[string]any{"href": core.SelfLink(r, true, lq)}
	}
	body := map[string]any{"limit": limit, "offset": off, "total_count": n, "first": href(0), field: items}
	if off > 0 {
		body["previous"] = href(max(off-limit, 0))
	}
	if off+limit < n {
		body["next"] = href(off + limit)
	}
	if n > 0 {
		body["last"] = href((n - 1) / limit * limit)
	}
	core.WriteJSON(w, http.StatusOK, body)
}

func (s *api) listAccessGroups(w http.ResponseWriter, r *http.Request, c *core.Caller) {
	q := r.URL.Query()
	if !s.CheckAccount(w, r, core.ServiceAccessGroups, q.Get("account_id"), c, true) {
		return
	}
	off, limit, ok := s.agPage(w, r)
	if !ok {
		return
	}
	member, search := q.Get("iam_id"), strings.ToLower(q.Get("search"))
	s.world.RLock()
	defer s.world.RUnlock()
	st := &s.world.Identities
	groups := make([]map[string]any, 0, len(st.AccessGroups)+1)
	if q.Get("hide_public_access") != "true" && member == "" && (search == "" || strings.Contains("public access", search)) {
		groups = append(groups, map[string]any{
			"id": PublicAccessGroupID, "name": "Public Access", "account_id": s.world.AccountID,
			"description": "Public access group; its policies apply to everyone, signed in or not.",
			"href":        core.BaseURL(r) + "/v2/groups/" + PublicAccessGroupID, "is_federated": false,
		})
	}
	for _, g := range st.AccessGroups {
		if search != "" && !strings.Contains(strings.ToLower(g.Name), search) {
			continue
		}
		if member != "" && !g.HasMember(member) {
			continue
		}
		groups = append(groups, groupJSON(s.world, r, g))
	}
	lo, hi := core.PageBounds(len(groups), off, limit)
	s.agList(w, r, "groups", off, limit, len(groups), groups[lo:hi])
}

// groupJSON renders a Group; the caller holds the world's lock.
func groupJSON(w *account.World, r *http.Request, g *account.AccessGroupRecord) map[string]any {
	return map[string]any{
		"id": g.ID, "name": g.Name, "description": g.Description, "account_id": w.AccountID,
		"created_at": core.FormatTime(g.CreatedAt), "created_by_id": g.CreatedBy,
		"last_modified_at": core.FormatTime(g.CreatedAt), "last_modified_by_id": g.CreatedBy,
		"href": core.BaseURL(r) + "/v2/groups/" + url.PathEscape(g.ID), "is_federated": false,
		"crn": "crn:v1:bluemix:public:iam-groups::a/" + w.AccountID + "::group:" + g.ID,
	}
}

// agMemberType is the Access Groups member type of an iam_id.
func agMemberType(iamID string) string {
	switch {
	case strings.HasPrefix(iamID, "iam-ServiceId-"):
		return "service"
	case strings.HasPrefix(iamID, "iam-Profile-"):
		return "profile"
	default:
		return "user"
	}
}

func (s *api) listGroupMembers(w http.ResponseWriter, r *http.Request, c *core.Caller) {
	off, limit, ok := s.agPage(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	id, typ := r.PathValue("access_group_id"), q.Get("type")
	mship := q.Get("membership_type")
	switch mship {
	case "":
		mship = "static"
	case "static", "dynamic", "all":
	default:
		s.BadRequest(w, r, core.ServiceAccessGroups, fmt.Errorf("invalid membership_type %q: use static, dynamic or all", mship))
		return
	}
	s.world.RLock()
	defer s.world.RUnlock()
	st := &s.world.Identities
	g := st.AccessGroupByID(id)
	if g == nil && id != PublicAccessGroupID {
		s.WriteError(w, r, core.ServiceAccessGroups, http.StatusNotFound, "not_found", "Access group "+id+" not found.")
		return
	}
	var members []map[string]any
	if g != nil {
		profiles := map[string]account.IdentityProfile{}
		for _, p := range s.world.IdentityProfiles() {
			profiles[p.IAMID] = p
		}
		for _, m := range g.Members {
			mt := agMemberType(m.IAMID)
			if typ != "" && typ != mt {
				continue
			}
			kind := "static"
			if m.Dynamic {
				kind = "dynamic"
			}
			if mship != "all" && mship != kind {
				continue
			}
			item := map[string]any{
				"iam_id": m.IAMID, "type": mt, "membership_type": kind,
				"href":       core.BaseURL(r) + "/v2/groups/" + url.PathEscape(g.ID) + "/members/" + url.PathEscape(m.IAMID),
				"created_at": core.FormatTime(m.AddedAt), "created_by_id": m.AddedByID,
			}
			switch {
			case st.UserByIAMID(m.IAMID) != nil:
				u := st.UserByIAMID(m.IAMID)
				item["name"], item["email"] = u.Firstname+" "+u.Lastname, u.Email
			case st.ServiceIDByIAMID(m.IAMID) != nil:
				x := st.ServiceIDByIAMID(m.IAMID)
				item["name"], item["description"] = x.Name, x.Description
			case profiles[m.IAMID].ID != "":
				item["name"] = profiles[m.IAMID].Name
			}
			members = append(members, item)
		}
	}
	lo, hi := core.PageBounds(len(members), off, limit)
	s.agList(w, r, "members", off, limit, len(members), members[lo:hi])
}

// removeFromAllGroups answers 204 after removing the member from every group,
// and 404 when it was a member of none (as the SDK's integration test expects).
func (s *api) removeFromAllGroups(w http.ResponseWriter, r *http.Request, c *core.Caller) {
	if !s.CheckAccount(w, r, core.ServiceAccessGroups, r.URL.Query().Get("account_id"), c, true) {
		return
	}
	iamID := r.PathValue("iam_id")
	removed := 0
	s.world.Lock()
	for _, g := range s.world.Identities.AccessGroups {
		n := len(g.Members)
		g.Members = agDeleteMember(g.Members, iamID)
		removed += n - len(g.Members)
	}
	s.world.Unlock()
	if removed == 0 {
		s.WriteError(w, r, core.ServiceAccessGroups, http.StatusNotFound, "not_found",
			"Member "+iamID+" is not a member of any access group in the account.")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func agDeleteMember(ms []account.GroupMemberRecord, iamID string) []account.GroupMemberRecord {
	out := ms[:0]
	for _, m := range ms {
		if m.IAMID != iamID {
			out = append(out, m)
		}
	}
	return out
}

func (s *api) getGroupSettings(w http.ResponseWriter, r *http.Request, c *core.Caller) {
	acct := r.URL.Query().Get("account_id")
	if !s.CheckAccount(w, r, core.ServiceAccessGroups, acct, c, true) {
		return
	}
	s.world.RLock()
	defer s.world.RUnlock()
	core.WriteJSON(w, http.StatusOK, map[string]any{
		"account_id": acct, "public_access_enabled": s.world.Identities.PublicAccessEnabled,
		"last_modified_at": core.FormatTime(s.world.Identities.Anchor.AddDate(0, -6, 0)), "last_modified_by_id": "IBMid-cloudsim",
	})
}

// listGroupRules answers GET /v2/groups/{id}/rules (not paged, as in the API).
func (s *api) listGroupRules(w http.ResponseWriter, r *http.Request, c *core.Caller) {
	id := r.PathValue("access_group_id")
	s.world.RLock()
	defer s.world.RUnlock()
	g := s.world.Identities.AccessGroupByID(id)
	if g == nil {
		s.WriteError(w, r, core.ServiceAccessGroups, http.StatusNotFound, "not_found", "Access group "+id+" not found.")
		return
	}
	rules := make([]map[string]any, 0, len(g.Rules))
	for _, ru := range g.Rules {
		conds := make([]map[string]any, 0, len(ru.Conditions))
		for _, c := range ru.Conditions {
			conds = append(conds, map[string]any{"claim": c.Claim, "operator": c.Operator, "value": c.Value})
		}
		rules = append(rules, map[string]any{
			"id": ru.ID, "name": ru.Name, "expiration": ru.Expiration, "realm_name": ru.RealmName,
			"access_group_id": g.ID, "account_id": s.world.AccountID, "conditions": conds,
			"created_at": core.FormatTime(ru.CreatedAt), "created_by_id": ru.CreatedBy,
			"last_modified_at": core.FormatTime(ru.CreatedAt), "last_modified_by_id": ru.CreatedBy,
		})
	}
	core.WriteJSON(w, http.StatusOK, map[string]any{"rules": rules})
}
