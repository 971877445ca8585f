package identity

import (
	"net/http"

	"github.com/trustjob/trustjob/internal/cloudsim/account"
	"github.com/trustjob/trustjob/internal/cloudsim/core"
)

// routesPosture serves what IAM posture checks read besides the reports: a
// user's MFA status and who may assume a trusted profile.
func (s *api) routesPosture() {
	s.Handle(core.Route{Pattern: "GET /v1/mfa/accounts/{account_id}/status", Service: core.ServiceIAMIdentity,
		Action: core.ActionMFAStatusGet, Handler: s.mfaStatus})
}

// mfaStatus answers GET /v1/mfa/accounts/{account_id}/status?iam_id=: 400
// without iam_id, 404 for a user not in the account.
func (s *api) mfaStatus(w http.ResponseWriter, r *http.Request, c *core.Caller) {
	if !s.CheckAccount(w, r, core.ServiceIAMIdentity, r.PathValue("account_id"), c, true) {
		return
	}
	iamID := r.URL.Query().Get("iam_id")
	if iamID == "" {
		s.WriteError(w, r, core.ServiceIAMIdentity, http.StatusBadRequest, "missing_parameter", "Parameter iam_id is required.")
		return
	}
	s.world.RLock()
	defer s.world.RUnlock()
	u := s.world.Identities.UserByIAMID(iamID)
	if u == nil {
		s.WriteError(w, r, core.ServiceIAMIdentity, http.StatusNotFound, "user_not_found", "User "+iamID+" is not a member of the account.")
		return
	}
	core.WriteJSON(w, http.StatusOK, mfaEnrollment(s.world, u))
}

// listProfileIdentities answers GET /v1/profiles/{profile_id}/identities with
// the profile's entity tag (as ETag too) and who may assume it.
func (s *api) listProfileIdentities(w http.ResponseWriter, r *http.Request, c *core.Caller) {
	s.listTrust(w, r, c, func(p *account.Profile) map[string]any {
		ids := make([]map[string]any, 0, len(p.Identities))
		for _, id := range p.Identities {
			m := map[string]any{"iam_id": id.IAMID, "identifier": id.Identifier, "type": id.Type}
			if len(id.Accounts) > 0 {
				m["accounts"] = id.Accounts
			}
			if id.Description != "" {
				m["description"] = id.Description
			}
			ids = append(ids, m)
		}
		w.Header().Set("ETag", p.EntityTag)
		return map[string]any{"entity_tag": p.EntityTag, "identities": ids}
	})
}

// userMFAJSON renders the user-specific MFA settings with the users' names;
// the caller holds no lock.
func userMFAJSON(w *account.World, ms []account.UserMFASetting) []map[string]any {
	w.RLock()
	defer w.RUnlock()
	out := make([]map[string]any, 0, len(ms))
	for _, m := range ms {
		item := map[string]any{"iam_id": m.IAMID, "mfa": m.MFA}
		if u := w.Identities.UserByIAMID(m.IAMID); u != nil {
			item["name"], item["userName"], item["email"] = u.Firstname+" "+u.Lastname, u.UserID, u.Email
		}
		out = append(out, item)
	}
	return out
}
