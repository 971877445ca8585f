package identity

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"

	"github.com/trustjob/trustjob/internal/cloudsim/account"
	"github.com/trustjob/trustjob/internal/cloudsim/core"
)

// routesIdentityKeys serves IAM Identity API keys and service IDs: lists with
// pagesize (1-100, default 20), an opaque pagetoken and an absolute next URL
// (omitted on the last page), single reads, and lock/unlock, disable/enable
// answering 204 (idempotent: already in the state is still 204).
func (s *api) routesIdentityKeys() {
	s.Handle(core.Route{Pattern: "GET /v1/apikeys", Service: core.ServiceIAMIdentity, Action: core.ActionAPIKeyList, Handler: s.listAPIKeys})
	s.Handle(core.Route{Pattern: "GET /v1/apikeys/{id}", Service: core.ServiceIAMIdentity, Action: core.ActionAPIKeyGet, Handler: s.getAPIKey})
	// changesKey marks the writes a lock forbids (disable, enable).
	keyFlag := func(method, suffix, action string, changesKey bool, set func(*account.APIKeyRecord) bool) core.Route {
		return core.Route{Pattern: method + " /v1/apikeys/{id}/" + suffix, Service: core.ServiceIAMIdentity, Action: action,
			Handler: func(w http.ResponseWriter, r *http.Request, c *core.Caller) {
				s.world.Lock()
				k := s.world.Identities.APIKeyByID(r.PathValue("id"))
				status, msg := 0, ""
				if k != nil {
					status, msg = s.keyWriteRefusal(k, c, changesKey)
				}
				if k != nil && status == 0 && set(k) {
					k.Version++
					k.ModifiedAt = s.Now()
				}
				s.world.Unlock()
				switch {
				case k == nil:
					s.idNotFound(w, r, "API key", r.PathValue("id"))
				case status == http.StatusForbidden:
					s.WriteError(w, r, core.ServiceIAMIdentity, status, "forbidden", msg)
				case status != 0:
					s.WriteError(w, r, core.ServiceIAMIdentity, status, "api_key_locked", msg)
				default:
					w.WriteHeader(http.StatusNoContent)
				}
			}}
	}
	// Each setter reports whether the key changed (only then its version moves).
	s.Handle(keyFlag("POST", "lock", core.ActionAPIKeyLock, false, func(k *account.APIKeyRecord) bool { return idSet(&k.Locked, true) }))
	s.Handle(keyFlag("DELETE", "lock", core.ActionAPIKeyUnlock, false, func(k *account.APIKeyRecord) bool { return idSet(&k.Locked, false) }))
	s.Handle(keyFlag("POST", "disable", core.ActionAPIKeyDisable, true, func(k *account.APIKeyRecord) bool { return idSet(&k.Disabled, true) }))
	s.Handle(keyFlag("DELETE", "disable", core.ActionAPIKeyEnable, true, func(k *account.APIKeyRecord) bool { return idSet(&k.Disabled, false) }))

	// The SDK calls the list with its trailing slash; {$} matches exactly that.
	s.Handle(core.Route{Pattern: "GET /v1/serviceids/{$}", Service: core.ServiceIAMIdentity, Action: core.ActionServiceIDList, Handler: s.listServiceIDs})
	s.Handle(core.Route{Pattern: "GET /v1/serviceids/{id}", Service: core.ServiceIAMIdentity, Action: core.ActionServiceIDGet, Handler: s.getServiceID})
	sidLock := func(action, method string, on bool) core.Route {
		return core.Route{Pattern: method + " /v1/serviceids/{id}/lock", Service: core.ServiceIAMIdentity, Action: action,
			Handler: func(w http.ResponseWriter, r *http.Request, c *core.Caller) {
				s.world.Lock()
				sid := s.world.Identities.ServiceIDByID(r.PathValue("id"))
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
	s.Handle(sidLock(core.ActionServiceIDLock, "POST", true))
	s.Handle(sidLock(core.ActionServiceIDUnlock, "DELETE", false))
}

func (s *api) idNotFound(w http.ResponseWriter, r *http.Request, what, id string) {
	s.WriteError(w, r, core.ServiceIAMIdentity, http.StatusNotFound, "not_found", fmt.Sprintf("%s %s not found.", what, id))
}

func (s *api) listAPIKeys(w http.ResponseWriter, r *http.Request, c *core.Caller) {
	q := r.URL.Query()
	if !s.CheckAccount(w, r, core.ServiceIAMIdentity, q.Get("account_id"), c, false) {
		return
	}
	pg, ok := s.readPage(w, r)
	if !ok {
		return
	}
	if q.Has("filter") {
		// IAM documents a SCIM-like filter here; the emulator does not
		// evaluate it, and ignoring it would answer with keys the filter
		// excludes. trustjob never sends one.
		s.BadRequest(w, r, core.ServiceIAMIdentity, fmt.Errorf("filter is not supported by this emulator: list without it"))
		return
	}
	scope, typ := q.Get("scope"), q.Get("type")
	if scope != "" && scope != "entity" && scope != "account" {
		s.BadRequest(w, r, core.ServiceIAMIdentity, fmt.Errorf("invalid scope %q: use entity or account", scope))
		return
	}
	if typ != "" && typ != "user" && typ != "serviceid" {
		s.BadRequest(w, r, core.ServiceIAMIdentity, fmt.Errorf("invalid type %q: use user or serviceid", typ))
		return
	}
	owner := q.Get("iam_id")
	if scope != "account" && owner == "" {
		owner = callerIAMID(c)
	}
	s.world.RLock()
	defer s.world.RUnlock()
	st := &s.world.Identities
	// group_id applies to service IDs' keys; without it, the default group.
	group := q.Get("group_id")
	keys := make([]*account.APIKeyRecord, 0, len(st.APIKeys))
	for _, k := range st.APIKeys {
		if (scope != "account" || owner != "") && k.OwnerIAMID != owner {
			continue
		}
		sid := st.ServiceIDByIAMID(k.OwnerIAMID)
		if isSID := sid != nil; (typ == "user" && isSID) || (typ == "serviceid" && !isSID) {
			continue
		}
		if sid != nil && !st.InServiceIDGroup(sid, group, s.world.AccountID) {
			continue
		}
		keys = append(keys, k)
	}
	keys = idSorted(keys, q.Get("sort"), q.Get("order"), func(k *account.APIKeyRecord, field string) string {
		switch field {
		case "name":
			return k.Name
		case "description":
			return k.Description
		case "created_by":
			return k.CreatedBy
		case "created_at":
			return core.FormatTime(k.CreatedAt)
		}
		return ""
	})
	lo, hi := pg.bounds(len(keys))
	items := make([]map[string]any, 0, hi-lo)
	for _, k := range keys[lo:hi] {
		items = append(items, apiKeyJSON(s.world, k, q.Get("include_history") == "true", false))
	}
	s.writeList(w, r, "apikeys", pg, len(keys), items)
}

func (s *api) getAPIKey(w http.ResponseWriter, r *http.Request, c *core.Caller) {
	s.world.RLock()
	defer s.world.RUnlock()
	k := s.world.Identities.APIKeyByID(r.PathValue("id"))
	if k == nil {
		s.idNotFound(w, r, "API key", r.PathValue("id"))
		return
	}
	q := r.URL.Query()
	body := apiKeyJSON(s.world, k, q.Get("include_history") == "true", q.Get("include_activity") == "true")
	setETag(w, body["entity_tag"])
	core.WriteJSON(w, http.StatusOK, body)
}

// apiKeyJSON renders an APIKey; the caller holds the world's lock. The secret
// itself is never returned after creation, so "apikey" is absent.
func apiKeyJSON(w *account.World, k *account.APIKeyRecord, history, activity bool) map[string]any {
	m := map[string]any{
		"id": k.ID, "entity_tag": fmt.Sprintf("%d-%s", k.Version, k.ID[len(k.ID)-8:]),
		"crn":    "crn:v1:bluemix:public:iam-identity::a/" + w.AccountID + "::apikey:" + k.ID,
		"locked": k.Locked, "disabled": k.Disabled,
		"created_at": core.FormatTime(k.CreatedAt), "created_by": k.CreatedBy, "modified_at": core.FormatTime(k.ModifiedAt),
		"name": k.Name, "description": k.Description, "support_sessions": false, "action_when_leaked": "none",
		"iam_id": k.OwnerIAMID, "account_id": w.AccountID,
	}
	if k.ExpiresAt != nil {
		m["expires_at"] = core.FormatIAMMinute(*k.ExpiresAt)
	}
	if history {
		m["history"] = idHistory(k.CreatedBy, w.AccountID, "CREATE", k.CreatedAt)
	}
	if activity {
		a := map[string]any{"authn_count": k.AuthnCount}
		if k.LastAuthn != nil {
			a["last_authn"] = core.FormatIAMMinute(*k.LastAuthn)
		}
		m["activity"] = a
	}
	return m
}

func (s *api) listServiceIDs(w http.ResponseWriter, r *http.Request, c *core.Caller) {
	q := r.URL.Query()
	// account_id is required unless a pagetoken (which carries it) is given.
	if !s.CheckAccount(w, r, core.ServiceIAMIdentity, q.Get("account_id"), c, q.Get("pagetoken") == "") {
		return
	}
	pg, ok := s.readPage(w, r)
	if !ok {
		return
	}
	s.world.RLock()
	defer s.world.RUnlock()
	// Without group_id, the default group only.
	st, group, name := &s.world.Identities, q.Get("group_id"), q.Get("name")
	sids := slices.DeleteFunc(slices.Clone(st.ServiceIDs), func(x *account.ServiceIDRecord) bool {
		return (name != "" && x.Name != name) || !st.InServiceIDGroup(x, group, s.world.AccountID)
	})
	sids = idSorted(sids, q.Get("sort"), q.Get("order"), func(x *account.ServiceIDRecord, field string) string {
		switch field {
		case "name":
			return x.Name
		case "description":
			return x.Description
		case "created_at":
			return core.FormatTime(x.CreatedAt)
		case "modified_at":
			return core.FormatTime(x.ModifiedAt)
		}
		return ""
	})
	lo, hi := pg.bounds(len(sids))
	items := make([]map[string]any, 0, hi-lo)
	for _, x := range sids[lo:hi] {
		items = append(items, serviceIDJSON(s.world, x, q.Get("include_history") == "true", false))
	}
	s.writeList(w, r, "serviceids", pg, len(sids), items)
}

func (s *api) getServiceID(w http.ResponseWriter, r *http.Request, c *core.Caller) {
	s.world.RLock()
	defer s.world.RUnlock()
	x := s.world.Identities.ServiceIDByID(r.PathValue("id"))
	if x == nil {
		s.idNotFound(w, r, "Service ID", r.PathValue("id"))
		return
	}
	q := r.URL.Query()
	body := serviceIDJSON(s.world, x, q.Get("include_history") == "true", q.Get("include_activity") == "true")
	setETag(w, body["entity_tag"])
	core.WriteJSON(w, http.StatusOK, body)
}

// serviceIDJSON renders a ServiceID; the caller holds the world's lock.
func serviceIDJSON(w *account.World, x *account.ServiceIDRecord, history, activity bool) map[string]any {
	m := map[string]any{
		"id": x.ID, "iam_id": x.IAMID, "entity_tag": fmt.Sprintf("%d-%s", x.Version, x.ID[len(x.ID)-8:]),
		"crn":    "crn:v1:bluemix:public:iam-identity::a/" + w.AccountID + "::serviceid:" + x.ID,
		"locked": x.Locked, "created_at": core.FormatTime(x.CreatedAt), "modified_at": core.FormatTime(x.ModifiedAt),
		"account_id": w.AccountID, "name": x.Name, "description": x.Description,
		"unique_instance_crns": []string{},
	}
	// IAM leaves group_id out for the default group ("If the value is not
	// set, the service ID is bound to the default group").
	if x.GroupID != "" {
		m["group_id"] = x.GroupID
	}
	if history {
		m["history"] = idHistory(x.IAMID, w.AccountID, "CREATE", x.CreatedAt)
	}
	if activity {
		a := map[string]any{"authn_count": 0}
		if x.LastAuthn != nil {
			a["last_authn"], a["authn_count"] = core.FormatIAMMinute(*x.LastAuthn), 1
		}
		m["activity"] = a
	}
	return m
}

func idHistory(iamID, acct, action string, at interface{ Unix() int64 }) []map[string]any {
	return []map[string]any{{
		"timestamp": fmt.Sprint(at.Unix()), "iam_id": iamID, "iam_id_account": acct,
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

// idSet sets *b to v and reports whether that changed it.
func idSet(b *bool, v bool) bool {
	changed := *b != v
	*b = v
	return changed
}
