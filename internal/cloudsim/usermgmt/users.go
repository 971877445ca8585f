package usermgmt

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/trustjob/trustjob/internal/cloudsim/account"
	"github.com/trustjob/trustjob/internal/cloudsim/core"
)

// routesUserManagement serves User Management v2 user listing (limit, an opaque
// _start in a relative next_url) and single-user reads.
func (s *api) routesUserManagement() {
	s.Handle(core.Route{Pattern: "GET /v2/accounts/{account_id}/users", Service: core.ServiceUserManagement,
		Action: core.ActionUserRetrieve, Handler: s.listUsers})
	s.Handle(core.Route{Pattern: "GET /v2/accounts/{account_id}/users/{iam_id}", Service: core.ServiceUserManagement,
		Action: core.ActionUserRetrieve, Handler: s.getUser})
}

func (s *api) listUsers(w http.ResponseWriter, r *http.Request, c *core.Caller) {
	acct := r.PathValue("account_id")
	if !s.CheckAccount(w, r, core.ServiceUserManagement, acct, c, true) {
		return
	}
	q := r.URL.Query()
	limit, err := core.IntParam(q, "limit", 100, 1, 100)
	if err != nil {
		s.BadRequest(w, r, core.ServiceUserManagement, err)
		return
	}
	off := 0
	if tok := q.Get("_start"); tok != "" {
		var ok bool
		if off, ok = core.ParsePageToken(tok); !ok {
			s.WriteError(w, r, core.ServiceUserManagement, http.StatusBadRequest, "bad_request", "Invalid _start token "+tok+".")
			return
		}
	}
	// search: "state:ACTIVE,state:PENDING" (OR of state conditions).
	states := map[string]bool{}
	for _, cond := range strings.Split(q.Get("search"), ",") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(cond), "state:"); ok {
			states[v] = true
		}
	}
	userID := q.Get("user_id")
	s.world.RLock()
	defer s.world.RUnlock()
	users := s.world.Identities.Users
	if len(states) > 0 || userID != "" {
		users = make([]*account.UserRecord, 0, len(users))
		for _, u := range s.world.Identities.Users {
			if (len(states) == 0 || states[u.State]) && (userID == "" || u.UserID == userID) {
				users = append(users, u)
			}
		}
	}
	lo, hi := core.PageBounds(len(users), off, limit)
	items := make([]map[string]any, 0, hi-lo)
	for _, u := range users[lo:hi] {
		items = append(items, userJSON(s.world, u))
	}
	base := url.Values{"limit": {strconv.Itoa(limit)}}
	for _, k := range []string{"search", "user_id", "include_settings"} {
		if v := q.Get(k); v != "" {
			base.Set(k, v)
		}
	}
	body := map[string]any{"total_results": len(users), "limit": limit, "first_url": core.SelfLink(r, false, base), "resources": items}
	if hi < len(users) {
		next := core.CloneQuery(base)
		next.Set("_start", core.PageToken(hi))
		body["next_url"] = core.SelfLink(r, false, next)
	}
	core.WriteJSON(w, http.StatusOK, body)
}

func (s *api) getUser(w http.ResponseWriter, r *http.Request, c *core.Caller) {
	if !s.CheckAccount(w, r, core.ServiceUserManagement, r.PathValue("account_id"), c, true) {
		return
	}
	s.world.RLock()
	defer s.world.RUnlock()
	u := s.world.Identities.UserByIAMID(r.PathValue("iam_id"))
	if u == nil {
		s.WriteError(w, r, core.ServiceUserManagement, http.StatusNotFound, "user_not_found",
			"User "+r.PathValue("iam_id")+" not found in the account.")
		return
	}
	core.WriteJSON(w, http.StatusOK, userJSON(s.world, u))
}

// userJSON renders a UserProfile; the caller holds the world's lock.
func userJSON(w *account.World, u *account.UserRecord) map[string]any {
	return map[string]any{
		"id": u.ID, "iam_id": u.IAMID, "realm": u.Realm, "user_id": u.UserID,
		"firstname": u.Firstname, "lastname": u.Lastname, "state": u.State, "email": u.Email,
		"phonenumber": u.Phone, "altphonenumber": "", "photo": "", "account_id": w.AccountID,
		"added_on": core.FormatTime(u.AddedOn),
	}
}
