package cloudsim

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// routesUserManagement serves User Management v2 user listing (limit, an opaque
// _start in a relative next_url) and single-user reads.
func (s *Sim) routesUserManagement() {
	s.handle(Route{Pattern: "GET /v2/accounts/{account_id}/users", Service: ServiceUserManagement,
		Action: ActionUserRetrieve, Handler: s.listUsers})
	s.handle(Route{Pattern: "GET /v2/accounts/{account_id}/users/{iam_id}", Service: ServiceUserManagement,
		Action: ActionUserRetrieve, Handler: s.getUser})
}

func (s *Sim) listUsers(w http.ResponseWriter, r *http.Request, c *Caller) {
	account := r.PathValue("account_id")
	if !s.idCheckAccount(w, r, ServiceUserManagement, account, c, true) {
		return
	}
	q := r.URL.Query()
	limit, err := idIntParam(q, "limit", 100, 1, 100)
	if err != nil {
		idBadRequest(s, w, r, ServiceUserManagement, err)
		return
	}
	off := 0
	if tok := q.Get("_start"); tok != "" {
		var ok bool
		if off, ok = idParsePageToken(tok); !ok {
			s.writeError(w, r, ServiceUserManagement, http.StatusBadRequest, "bad_request", "Invalid _start token "+tok+".")
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
		users = make([]*UserRecord, 0, len(users))
		for _, u := range s.world.Identities.Users {
			if (len(states) == 0 || states[u.State]) && (userID == "" || u.UserID == userID) {
				users = append(users, u)
			}
		}
	}
	lo, hi := idPage(len(users), off, limit)
	items := make([]map[string]any, 0, hi-lo)
	for _, u := range users[lo:hi] {
		items = append(items, s.world.userJSON(u))
	}
	base := url.Values{"limit": {strconv.Itoa(limit)}}
	for _, k := range []string{"search", "user_id", "include_settings"} {
		if v := q.Get(k); v != "" {
			base.Set(k, v)
		}
	}
	body := map[string]any{"total_results": len(users), "limit": limit, "first_url": idLink(r, false, base), "resources": items}
	if hi < len(users) {
		next := idCloneQuery(base)
		next.Set("_start", idPageToken(hi))
		body["next_url"] = idLink(r, false, next)
	}
	writeJSON(w, http.StatusOK, body)
}

func (s *Sim) getUser(w http.ResponseWriter, r *http.Request, c *Caller) {
	if !s.idCheckAccount(w, r, ServiceUserManagement, r.PathValue("account_id"), c, true) {
		return
	}
	s.world.RLock()
	defer s.world.RUnlock()
	u := s.world.Identities.userByIAMID[r.PathValue("iam_id")]
	if u == nil {
		s.writeError(w, r, ServiceUserManagement, http.StatusNotFound, "user_not_found",
			"User "+r.PathValue("iam_id")+" not found in the account.")
		return
	}
	writeJSON(w, http.StatusOK, s.world.userJSON(u))
}

// userJSON renders a UserProfile; the caller holds the world's lock.
func (w *World) userJSON(u *UserRecord) map[string]any {
	return map[string]any{
		"id": u.ID, "iam_id": u.IAMID, "realm": u.Realm, "user_id": u.UserID,
		"firstname": u.Firstname, "lastname": u.Lastname, "state": u.State, "email": u.Email,
		"phonenumber": u.Phone, "altphonenumber": "", "photo": "", "account_id": w.AccountID,
		"added_on": idTime(u.AddedOn),
	}
}
