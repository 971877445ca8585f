package access

import (
	"fmt"
	"hash/fnv"
	"net/http"
	"slices"
	"sort"

	"github.com/trustjob/trustjob/internal/cloudsim/account"
	"github.com/trustjob/trustjob/internal/cloudsim/core"
)

// routesPolicyItems serves one policy by id (v1 and v2, with its ETag),
// deleting one, and the role listing with the account's custom roles.
func (s *api) routesPolicyItems() {
	for _, v2 := range []bool{false, true} {
		base := "/v1/policies/{policy_id}"
		if v2 {
			base = "/v2/policies/{id}"
		}
		s.Handle(core.Route{Pattern: "GET " + base, Service: core.ServicePolicyManagement, Action: core.ActionPolicyRead,
			Handler: func(w http.ResponseWriter, r *http.Request, c *core.Caller) { s.getPolicy(w, r, c, v2) }})
		s.Handle(core.Route{Pattern: "DELETE " + base, Service: core.ServicePolicyManagement, Action: core.ActionPolicyDelete,
			Handler: s.deletePolicy})
	}
	s.Handle(core.Route{Pattern: "GET /v2/roles", Service: core.ServicePolicyManagement, Action: core.ActionRoleRead, Handler: s.listRoles})
}

func policyID(r *http.Request) string {
	if id := r.PathValue("policy_id"); id != "" {
		return id
	}
	return r.PathValue("id")
}

// policyETag is the policy's entity tag, changing with every update.
func policyETag(p *account.PolicyRecord) string {
	h := fnv.New32a()
	fmt.Fprintf(h, "%s/%d", p.ID, p.Version)
	return fmt.Sprintf("%d-%08x", p.Version+1, h.Sum32())
}

func (s *api) policyNotFound(w http.ResponseWriter, r *http.Request, id string) {
	s.WriteError(w, r, core.ServicePolicyManagement, http.StatusNotFound, "policy_not_found", "Policy with ID "+id+" not found.")
}

func (s *api) getPolicy(w http.ResponseWriter, r *http.Request, c *core.Caller, v2 bool) {
	id := policyID(r)
	s.world.RLock()
	defer s.world.RUnlock()
	i := slices.IndexFunc(s.world.Identities.Policies, func(p *account.PolicyRecord) bool { return p.ID == id })
	if i < 0 {
		s.policyNotFound(w, r, id)
		return
	}
	p := s.world.Identities.Policies[i]
	// The ETag is what an update (PUT/PATCH, If-Match) must quote.
	w.Header().Set("ETag", policyETag(p))
	if v2 {
		core.WriteJSON(w, http.StatusOK, policyV2JSON(s.world, r, p, r.URL.Query().Get("format") == "include_last_permit"))
		return
	}
	core.WriteJSON(w, http.StatusOK, policyV1JSON(s.world, r, p))
}

// deletePolicy answers 204, or 404 for an unknown policy (IBM documents no
// precondition on delete).
func (s *api) deletePolicy(w http.ResponseWriter, r *http.Request, c *core.Caller) {
	id := policyID(r)
	s.world.Lock()
	defer s.world.Unlock()
	st := &s.world.Identities
	i := slices.IndexFunc(st.Policies, func(p *account.PolicyRecord) bool { return p.ID == id })
	if i < 0 {
		s.policyNotFound(w, r, id)
		return
	}
	st.Policies = slices.Delete(st.Policies, i, i+1)
	w.WriteHeader(http.StatusNoContent)
}

// systemRoles are IAM's platform and service roles, as /v2/roles lists them.
var systemRoles = []struct{ name, crn, desc string }{
	{"Viewer", "crn:v1:bluemix:public:iam::::role:Viewer", "As a viewer, you can view service instances, but you can't modify them."},
	{"Operator", "crn:v1:bluemix:public:iam::::role:Operator", "As an operator, you can perform platform actions that are required to configure and operate service instances."},
	{"Editor", "crn:v1:bluemix:public:iam::::role:Editor", "As an editor, you can perform all platform actions except for managing the account and assigning access policies."},
	{"Administrator", "crn:v1:bluemix:public:iam::::role:Administrator", "As an administrator, you can perform all platform actions based on the resource this role is being assigned, including assigning access policies to other users."},
}

var serviceRoles = []struct{ name, crn, desc string }{
	{"Reader", "crn:v1:bluemix:public:iam::::serviceRole:Reader", "As a reader, you can perform read-only actions within a service."},
	{"Writer", "crn:v1:bluemix:public:iam::::serviceRole:Writer", "As a writer, you have permissions beyond the reader role, including creating and editing service-specific resources."},
	{"Manager", "crn:v1:bluemix:public:iam::::serviceRole:Manager", "As a manager, you have permissions beyond the writer role to complete privileged actions as defined by the service."},
}

// listRoles answers GET /v2/roles: the account's custom roles (for
// service_name when given), and the system and service roles.
func (s *api) listRoles(w http.ResponseWriter, r *http.Request, c *core.Caller) {
	q := r.URL.Query()
	if q.Get("service_name") != "" && q.Get("service_group_id") != "" {
		s.BadRequest(w, r, core.ServicePolicyManagement, fmt.Errorf("service_name and service_group_id are mutually exclusive"))
		return
	}
	if acct := q.Get("account_id"); acct != "" && !s.CheckAccount(w, r, core.ServicePolicyManagement, acct, c, true) {
		return
	}
	svc := q.Get("service_name")
	s.world.RLock()
	defer s.world.RUnlock()
	custom := []map[string]any{}
	for _, cr := range s.world.Identities.CustomRoles {
		if svc != "" && cr.ServiceName != svc {
			continue
		}
		custom = append(custom, map[string]any{
			"id": cr.ID, "name": cr.Name, "display_name": cr.DisplayName, "description": cr.Description,
			"actions": cr.Actions, "crn": customRoleCRN(s.world, cr), "account_id": s.world.AccountID, "service_name": cr.ServiceName,
			"created_at": core.FormatTime(cr.CreatedAt), "created_by_id": cr.CreatedBy,
			"last_modified_at": core.FormatTime(cr.CreatedAt), "last_modified_by_id": cr.CreatedBy,
			"href": core.BaseURL(r) + "/v2/roles/" + cr.ID,
		})
	}
	render := func(rs []struct{ name, crn, desc string }) []map[string]any {
		out := make([]map[string]any, 0, len(rs))
		for _, x := range rs {
			out = append(out, map[string]any{"display_name": x.name, "crn": x.crn, "description": x.desc, "actions": []string{}})
		}
		return out
	}
	body := map[string]any{"custom_roles": custom, "system_roles": render(systemRoles), "service_roles": []map[string]any{}}
	if svc != "" {
		body["service_roles"] = render(serviceRoles)
	}
	core.WriteJSON(w, http.StatusOK, body)
}

func customRoleCRN(w *account.World, cr *account.CustomRoleRecord) string {
	return "crn:v1:bluemix:public:" + cr.ServiceName + "::a/" + w.AccountID + "::customRole:" + cr.Name
}

// policyRoles are every role a policy grants, by display or custom name.
func policyRoles(p *account.PolicyRecord) []string {
	return append([]string{p.Role}, p.Roles...)
}

// roleCRN is a role's CRN: a custom role's when the account has one of that
// name, else IAM's platform or service role.
func roleCRN(w *account.World, role string) string {
	for _, cr := range w.Identities.CustomRoles {
		if cr.Name == role {
			return customRoleCRN(w, cr)
		}
	}
	return idPolicyRoleCRN(role)
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
