package cloudsim

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
)

// routesIdentityKeys serves IAM Identity API keys and service IDs: lists with
// pagesize (1-100, default 20), an opaque pagetoken and an absolute next URL
// (omitted on the last page), single reads, and lock/unlock, disable/enable
// answering 204 (idempotent: already in the state is still 204).
func (s *Sim) routesIdentityKeys() {
	s.handle(Route{Pattern: "GET /v1/apikeys", Service: ServiceIAMIdentity, Action: ActionAPIKeyList, Handler: s.listAPIKeys})
	s.handle(Route{Pattern: "GET /v1/apikeys/{id}", Service: ServiceIAMIdentity, Action: ActionAPIKeyGet, Handler: s.getAPIKey})
	keyFlag := func(method, suffix, action string, set func(*APIKeyRecord) bool) Route {
		return Route{Pattern: method + " /v1/apikeys/{id}/" + suffix, Service: ServiceIAMIdentity, Action: action,
			Handler: func(w http.ResponseWriter, r *http.Request, c *Caller) {
				s.world.Lock()
				k := s.world.Identities.keyByID[r.PathValue("id")]
				if k != nil && set(k) {
					k.Version++
					k.ModifiedAt = s.Now()
				}
				s.world.Unlock()
				if k == nil {
					s.idNotFound(w, r, "API key", r.PathValue("id"))
					return
				}
				w.WriteHeader(http.StatusNoContent)
			}}
	}
	// Each setter reports whether the key changed (only then its version moves).
	s.handle(keyFlag("POST", "lock", ActionAPIKeyLock, func(k *APIKeyRecord) bool { return idSet(&k.Locked, true) }))
	s.handle(keyFlag("DELETE", "lock", ActionAPIKeyUnlock, func(k *APIKeyRecord) bool { return idSet(&k.Locked, false) }))
	s.handle(keyFlag("POST", "disable", ActionAPIKeyDisable, func(k *APIKeyRecord) bool { return idSet(&k.Disabled, true) }))
	s.handle(keyFlag("DELETE", "disable", ActionAPIKeyEnable, func(k *APIKeyRecord) bool { return idSet(&k.Disabled, false) }))

	// The SDK calls the list with its trailing slash; {$} matches exactly that.
	s.handle(Route{Pattern: "GET /v1/serviceids/{$}", Service: ServiceIAMIdentity, Action: ActionServiceIDList, Handler: s.listServiceIDs})
	s.handle(Route{Pattern: "GET /v1/serviceids/{id}", Service: ServiceIAMIdentity, Action: ActionServiceIDGet, Handler: s.getServiceID})
	sidLock := func(action, method string, on bool) Route {
		return Route{Pattern: method + " /v1/serviceids/{id}/lock", Service: ServiceIAMIdentity, Action: action,
			Handler: func(w http.ResponseWriter, r *http.Request, c *Caller) {
				s.world.Lock()
				sid := s.world.Identities.sidByID[r.PathValue("id")]
				if sid != nil && idSet(&sid.Locked, on) {
					sid.Version++
					sid.ModifiedAt = s.Now()
				}
				s.world.Unlock()
				if sid == nil {
					s.idNotFound(w, r, "Service ID", r.PathValue("id"))
					return
				}
				w.WriteHeader(http.StatusNoContent)
			}}
	}
	s.handle(sidLock(ActionServiceIDLock, "POST", true))
	s.handle(sidLock(ActionServiceIDUnlock, "DELETE", false))
}

func (s *Sim) idNotFound(w http.ResponseWriter, r *http.Request, what, id string) {
	s.writeError(w, r, ServiceIAMIdentity, http.StatusNotFound, "not_found", fmt.Sprintf("%s %s not found.", what, id))
}

// iamIdentityPage reads pagesize and pagetoken; on a bad value it answers 400.
func (s *Sim) iamIdentityPage(w http.ResponseWriter, r *http.Request) (off, size int, ok bool) {
	q := r.URL.Query()
	size, err := idIntParam(q, "pagesize", 20, 1, 100)
	if err != nil {
		idBadRequest(s, w, r, ServiceIAMIdentity, err)
		return 0, 0, false
	}
	if tok := q.Get("pagetoken"); tok != "" {
		if off, ok = idParsePageToken(tok); !ok {
			idBadRequest(s, w, r, ServiceIAMIdentity, fmt.Errorf("invalid pagetoken %q", tok))
			return 0, 0, false
		}
	}
	return off, size, true
}

// iamIdentityList writes an IAM Identity list body: context, offset, limit,
// first, previous and next (absolute URLs carrying pagetoken), and items.
func (s *Sim) iamIdentityList(w http.ResponseWriter, r *http.Request, field string, off, size, n int, items []map[string]any) {
	q := r.URL.Query()
	q.Del("pagetoken")
	link := func(o int) string {
		lq := idCloneQuery(q)
		if o > 0 {
			lq.Set("pagetoken", idPageToken(o))
		}
		return idLink(r, true, lq)
	}
	body := map[string]any{"context": s.idContext(r), "offset": off, "limit": size, "first": link(0), field: items}
	if off > 0 {
		body["previous"] = link(max(off-size, 0))
	}
	if off+size < n {
		body["next"] = link(off + size)
	}
	writeJSON(w, http.StatusOK, body)
}

func (s *Sim) listAPIKeys(w http.ResponseWriter, r *http.Request, c *Caller) {
	q := r.URL.Query()
	if !s.idCheckAccount(w, r, ServiceIAMIdentity, q.Get("account_id"), c, false) {
		return
	}
	off, size, ok := s.iamIdentityPage(w, r)
	if !ok {
		return
	}
	scope, typ := q.Get("scope"), q.Get("type")
	if scope != "" && scope != "entity" && scope != "account" {
		idBadRequest(s, w, r, ServiceIAMIdentity, fmt.Errorf("invalid scope %q: use entity or account", scope))
		return
	}
	if typ != "" && typ != "user" && typ != "serviceid" {
		idBadRequest(s, w, r, ServiceIAMIdentity, fmt.Errorf("invalid type %q: use user or serviceid", typ))
		return
	}
	owner := q.Get("iam_id")
	if scope != "account" && owner == "" {
		owner = callerIAMID(c)
	}
	s.world.RLock()
	defer s.world.RUnlock()
	st := &s.world.Identities
	keys := st.APIKeys
	if owner != "" || typ != "" || scope != "account" {
		keys = make([]*APIKeyRecord, 0, len(st.APIKeys))
		for _, k := range st.APIKeys {
			if (scope != "account" || owner != "") && k.OwnerIAMID != owner {
				continue
			}
			if isSID := st.sidByIAMID[k.OwnerIAMID] != nil; (typ == "user" && isSID) || (typ == "serviceid" && !isSID) {
				continue
			}
			keys = append(keys, k)
		}
	}
	keys = idSorted(keys, q.Get("sort"), q.Get("order"), func(k *APIKeyRecord, field string) string {
		switch field {
		case "name":
			return k.Name
		case "description":
			return k.Description
		case "created_by":
			return k.CreatedBy
		case "created_at":
			return idTime(k.CreatedAt)
		}
		return ""
	})
	lo, hi := idPage(len(keys), off, size)
	items := make([]map[string]any, 0, hi-lo)
	for _, k := range keys[lo:hi] {
		items = append(items, s.world.apiKeyJSON(k, q.Get("include_history") == "true", false))
	}
	s.iamIdentityList(w, r, "apikeys", off, size, len(keys), items)
}

func (s *Sim) getAPIKey(w http.ResponseWriter, r *http.Request, c *Caller) {
	s.world.RLock()
	defer s.world.RUnlock()
	k := s.world.Identities.keyByID[r.PathValue("id")]
	if k == nil {
		s.idNotFound(w, r, "API key", r.PathValue("id"))
		return
	}
	q := r.URL.Query()
	writeJSON(w, http.StatusOK, s.world.apiKeyJSON(k, q.Get("include_history") == "true", q.Get("include_activity") == "true"))
}

// apiKeyJSON renders an APIKey; the caller holds the world's lock. The secret
// itself is never returned after creation, so "apikey" is absent.
func (w *World) apiKeyJSON(k *APIKeyRecord, history, activity bool) map[string]any {
	m := map[string]any{
		"id": k.ID, "entity_tag": fmt.Sprintf("%d-%s", k.Version, k.ID[len(k.ID)-8:]),
		"crn":    "crn:v1:bluemix:public:iam-identity::a/" + w.AccountID + "::apikey:" + k.ID,
		"locked": k.Locked, "disabled": k.Disabled,
		"created_at": idTime(k.CreatedAt), "created_by": k.CreatedBy, "modified_at": idTime(k.ModifiedAt),
		"name": k.Name, "description": k.Description, "support_sessions": false, "action_when_leaked": "none",
		"iam_id": k.OwnerIAMID, "account_id": w.AccountID,
	}
	if k.ExpiresAt != nil {
		m["expires_at"] = iamTime(*k.ExpiresAt)
	}
	if history {
		m["history"] = idHistory(k.CreatedBy, w.AccountID, "CREATE", k.CreatedAt)
	}
	if activity {
		a := map[string]any{"authn_count": k.AuthnCount}
		if k.LastAuthn != nil {
			a["last_authn"] = iamTime(*k.LastAuthn)
		}
		m["activity"] = a
	}
	return m
}

func (s *Sim) listServiceIDs(w http.ResponseWriter, r *http.Request, c *Caller) {
	q := r.URL.Query()
	// account_id is required unless a pagetoken (which carries it) is given.
	if !s.idCheckAccount(w, r, ServiceIAMIdentity, q.Get("account_id"), c, q.Get("pagetoken") == "") {
		return
	}
	off, size, ok := s.iamIdentityPage(w, r)
	if !ok {
		return
	}
	s.world.RLock()
	defer s.world.RUnlock()
	sids := s.world.Identities.ServiceIDs
	if name := q.Get("name"); name != "" {
		sids = slices.DeleteFunc(slices.Clone(sids), func(x *ServiceIDRecord) bool { return x.Name != name })
	}
	sids = idSorted(sids, q.Get("sort"), q.Get("order"), func(x *ServiceIDRecord, field string) string {
		switch field {
		case "name":
			return x.Name
		case "description":
			return x.Description
		case "created_at":
			return idTime(x.CreatedAt)
		case "modified_at":
			return idTime(x.ModifiedAt)
		}
		return ""
	})
	lo, hi := idPage(len(sids), off, size)
	items := make([]map[string]any, 0, hi-lo)
	for _, x := range sids[lo:hi] {
		items = append(items, s.world.serviceIDJSON(x, q.Get("include_history") == "true", false))
	}
	s.iamIdentityList(w, r, "serviceids", off, size, len(sids), items)
}

func (s *Sim) getServiceID(w http.ResponseWriter, r *http.Request, c *Caller) {
	s.world.RLock()
	defer s.world.RUnlock()
	x := s.world.Identities.sidByID[r.PathValue("id")]
	if x == nil {
		s.idNotFound(w, r, "Service ID", r.PathValue("id"))
		return
	}
	q := r.URL.Query()
	writeJSON(w, http.StatusOK, s.world.serviceIDJSON(x, q.Get("include_history") == "true", q.Get("include_activity") == "true"))
}

// serviceIDJSON renders a ServiceID; the caller holds the world's lock.
func (w *World) serviceIDJSON(x *ServiceIDRecord, history, activity bool) map[string]any {
	m := map[string]any{
		"id": x.ID, "iam_id": x.IAMID, "entity_tag": fmt.Sprintf("%d-%s", x.Version, x.ID[len(x.ID)-8:]),
		"crn":    "crn:v1:bluemix:public:iam-identity::a/" + w.AccountID + "::serviceid:" + x.ID,
		"locked": x.Locked, "created_at": idTime(x.CreatedAt), "modified_at": idTime(x.ModifiedAt),
		"account_id": w.AccountID, "name": x.Name, "description": x.Description,
		"unique_instance_crns": []string{},
	}
	if history {
		m["history"] = idHistory(x.IAMID, w.AccountID, "CREATE", x.CreatedAt)
	}
	if activity {
		a := map[string]any{"authn_count": 0}
		if x.LastAuthn != nil {
			a["last_authn"], a["authn_count"] = iamTime(*x.LastAuthn), 1
		}
		m["activity"] = a
	}
	return m
}

func idHistory(iamID, account, action string, at interface{ Unix() int64 }) []map[string]any {
	return []map[string]any{{
		"timestamp": fmt.Sprint(at.Unix()), "iam_id": iamID, "iam_id_account": account,
		"action": action, "params": []string{}, "message": action,
	}}
}

// idSorted returns items ordered by the sort field (stable, so equal keys keep
// creation order), or items unchanged without a sort.
func idSorted[T any](items []T, field, order string, key func(T, string) string) []T {
	if field == "" {
		return items
	}
	out := slices.Clone(items)
	slices.SortStableFunc(out, func(a, b T) int {
		c := cmp.Compare(key(a, field), key(b, field))
		if order == "desc" {
			return -c
		}
		return c
	})
	return out
}
