package identity

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/trustjob/trustjob/internal/cloudsim/account"
	"github.com/trustjob/trustjob/internal/cloudsim/core"
)

// IAM Identity v1: trusted profiles, their links and claim rules, and the
// account's identity settings (https://cloud.ibm.com/apidocs/iam-identity-token-api,
// https://cloud.ibm.com/docs/containers?topic=containers-pod-iam-identity).

func (s *api) routesProfiles() {
	for _, rt := range []core.Route{
		{Pattern: "GET /v1/profiles", Action: core.ActionProfileGet, Handler: s.listProfiles},
		{Pattern: "GET /v1/profiles/{profile_id}", Action: core.ActionProfileGet, Handler: s.getProfile},
		{Pattern: "GET /v1/profiles/{profile_id}/links", Action: core.ActionProfileGet, Handler: s.listLinks},
		{Pattern: "POST /v1/profiles/{profile_id}/links", Action: core.ActionProfileLink, Handler: s.createLink},
		{Pattern: "GET /v1/profiles/{profile_id}/rules", Action: core.ActionProfileGet, Handler: s.listRules},
		{Pattern: "POST /v1/profiles/{profile_id}/rules", Action: core.ActionProfileLink, Handler: s.createRule},
		{Pattern: "GET /v1/profiles/{profile_id}/identities", Action: core.ActionProfileGet, Handler: s.listProfileIdentities},
		{Pattern: "GET /v1/accounts/{account_id}/settings/identity", Action: core.ActionAccountGet, Handler: s.accountSettings},
		{Pattern: "GET /v1/accounts/{account_id}/effective_settings/identity", Action: core.ActionAccountGet, Handler: s.effectiveSettings},
	} {
		rt.Service = core.ServiceIAMIdentity
		s.Handle(rt)
	}
}

func (s *api) tpBadRequest(w http.ResponseWriter, r *http.Request, format string, args ...any) {
	s.WriteError(w, r, core.ServiceIAMIdentity, http.StatusBadRequest, "invalid_request", fmt.Sprintf(format, args...))
}

func tpProfileJSON(p *account.Profile, activity, history bool) map[string]any {
	m := map[string]any{
		"id": p.ID, "entity_tag": p.EntityTag, "crn": p.CRN, "name": p.Name, "description": p.Description,
		"created_at": core.FormatTime(p.CreatedAt), "modified_at": core.FormatTime(p.ModifiedAt),
		"iam_id": p.IAMID, "account_id": p.AccountID,
	}
	if history {
		m["history"] = []any{}
	}
	if activity {
		a := map[string]any{"authn_count": p.AuthnCount}
		if p.LastAuthn != nil {
			a["last_authn"] = core.FormatTime(*p.LastAuthn)
		}
		m["activity"] = a
	}
	return m
}

func tpLinkJSON(l *account.Link) map[string]any {
	target := map[string]any{"crn": l.CRN}
	for k, v := range map[string]string{"namespace": l.Namespace, "name": l.ServiceAccount,
		"component_type": l.ComponentType, "component_name": l.ComponentName} {
		if v != "" {
			target[k] = v
		}
	}
	m := map[string]any{
		"id": l.ID, "entity_tag": l.EntityTag, "created_at": core.FormatTime(l.CreatedAt), "modified_at": core.FormatTime(l.ModifiedAt),
		"cr_type": l.CRType, "is_cross_account": l.IsCrossAccount, "link": target,
	}
	if l.Name != "" {
		m["name"] = l.Name
	}
	return m
}

func tpRuleJSON(r *account.Rule) map[string]any {
	conds := make([]map[string]string, 0, len(r.Conditions))
	for _, c := range r.Conditions {
		conds = append(conds, map[string]string{"claim": c.Claim, "operator": c.Operator, "value": c.Value})
	}
	m := map[string]any{
		"id": r.ID, "entity_tag": r.EntityTag, "created_at": core.FormatTime(r.CreatedAt), "modified_at": core.FormatTime(r.ModifiedAt),
		"type": r.Type, "expiration": r.Expiration, "conditions": conds,
	}
	for k, v := range map[string]string{"name": r.Name, "cr_type": r.CRType, "realm_name": r.RealmName} {
		if v != "" {
			m[k] = v
		}
	}
	return m
}

func (s *api) listProfiles(w http.ResponseWriter, r *http.Request, c *core.Caller) {
	q := r.URL.Query()
	acct := q.Get("account_id")
	if !s.CheckAccount(w, r, core.ServiceIAMIdentity, acct, c, true) {
		return
	}
	pg, ok := s.readPage(w, r)
	if !ok {
		return
	}
	filter, err := tpParseFilter(q.Get("filter"))
	if err != nil {
		s.tpBadRequest(w, r, "%s", err)
		return
	}
	less, err := tpProfileOrder(q.Get("sort"), q.Get("order"))
	if err != nil {
		s.tpBadRequest(w, r, "%s", err)
		return
	}
	name := q.Get("name")
	history := q.Get("include_history") == "true"

	s.world.RLock()
	var match []*account.Profile
	for _, p := range s.world.IAM.Profiles {
		if p.AccountID == acct && (name == "" || p.Name == name) && filter(p) {
			match = append(match, p)
		}
	}
	if less != nil {
		slices.SortStableFunc(match, less)
	}
	lo, hi := pg.bounds(len(match))
	items := make([]map[string]any, 0, hi-lo)
	for _, p := range match[lo:hi] {
		items = append(items, tpProfileJSON(p, false, history))
	}
	s.world.RUnlock()
	s.writeList(w, r, "profiles", pg, len(match), items)
}

func tpProfileOrder(sort, order string) (func(a, b *account.Profile) int, error) {
	var key func(p *account.Profile) string
	switch sort {
	case "":
		if order != "" && order != "asc" && order != "desc" {
			return nil, fmt.Errorf("order must be asc or desc, got '%s'", core.Clip(order, 20))
		}
		return nil, nil
	case "name":
		key = func(p *account.Profile) string { return strings.ToLower(p.Name) }
	case "description":
		key = func(p *account.Profile) string { return strings.ToLower(p.Description) }
	case "created_at":
		key = func(p *account.Profile) string { return core.FormatTime(p.CreatedAt) }
	case "modified_at":
		key = func(p *account.Profile) string { return core.FormatTime(p.ModifiedAt) }
	default:
		return nil, fmt.Errorf("sort must be one of created_at, description, modified_at, name; got '%s'", core.Clip(sort, 40))
	}
	sign := 1
	switch order {
	case "", "asc":
	case "desc":
		sign = -1
	default:
		return nil, fmt.Errorf("order must be asc or desc, got '%s'", core.Clip(order, 20))
	}
	return func(a, b *account.Profile) int { return sign * strings.Compare(key(a), key(b)) }, nil
}

// tpParseFilter understands the simple SCIM-like filters of the IAM Identity
// API: `<attr> <op> "<value>"` with op eq, ne, co or sw over name,
// description, id, iam_id or crn.
func tpParseFilter(f string) (func(*account.Profile) bool, error) {
	f = strings.TrimSpace(f)
	if f == "" {
		return func(*account.Profile) bool { return true }, nil
	}
	attr, rest, ok1 := strings.Cut(f, " ")
	op, val, ok2 := strings.Cut(strings.TrimSpace(rest), " ")
	val = strings.TrimSpace(val)
	uq, err := strconv.Unquote(val)
	if !ok1 || !ok2 || err != nil {
		return nil, fmt.Errorf("unsupported filter '%s': want <attribute> <eq|ne|co|sw> \"<value>\"", core.Clip(f, 100))
	}
	get := map[string]func(*account.Profile) string{
		"name": func(p *account.Profile) string { return p.Name }, "description": func(p *account.Profile) string { return p.Description },
		"id": func(p *account.Profile) string { return p.ID }, "iam_id": func(p *account.Profile) string { return p.IAMID },
		"crn": func(p *account.Profile) string { return p.CRN },
	}[attr]
	test := map[string]func(a, b string) bool{
		"eq": func(a, b string) bool { return a == b }, "ne": func(a, b string) bool { return a != b },
		"co": strings.Contains, "sw": strings.HasPrefix,
	}[strings.ToLower(op)]
	if get == nil || test == nil {
		return nil, fmt.Errorf("unsupported filter '%s': attributes crn, description, id, iam_id, name; operators co, eq, ne, sw", core.Clip(f, 100))
	}
	return func(p *account.Profile) bool { return test(get(p), uq) }, nil
}

// tpProfileFor finds the path's profile in the caller's account, or answers 404.
// The caller holds the world's (read) lock.
func (s *api) tpProfileFor(w http.ResponseWriter, r *http.Request, c *core.Caller) *account.Profile {
	id := r.PathValue("profile_id")
	for _, p := range s.world.IAM.Profiles {
		if p.ID == id && p.AccountID == c.AccountID {
			return p
		}
	}
	s.WriteError(w, r, core.ServiceIAMIdentity, http.StatusNotFound, "not_found",
		"Trusted profile with id "+core.Clip(id, 80)+" not found.")
	return nil
}

func (s *api) getProfile(w http.ResponseWriter, r *http.Request, c *core.Caller) {
	q := r.URL.Query()
	s.world.RLock()
	defer s.world.RUnlock()
	p := s.tpProfileFor(w, r, c)
	if p == nil {
		return
	}
	body := tpProfileJSON(p, q.Get("include_activity") == "true", q.Get("include_history") == "true")
	body["context"] = s.IdentityContext(r)
	setETag(w, p.EntityTag)
	core.WriteJSON(w, http.StatusOK, body)
}

func (s *api) listLinks(w http.ResponseWriter, r *http.Request, c *core.Caller) {
	s.listTrust(w, r, c, func(p *account.Profile) map[string]any {
		links := make([]map[string]any, 0, len(p.Links))
		for _, l := range p.Links {
			links = append(links, tpLinkJSON(l))
		}
		return map[string]any{"links": links}
	})
}

func (s *api) listRules(w http.ResponseWriter, r *http.Request, c *core.Caller) {
	s.listTrust(w, r, c, func(p *account.Profile) map[string]any {
		rules := make([]map[string]any, 0, len(p.Rules))
		for _, ru := range p.Rules {
			rules = append(rules, tpRuleJSON(ru))
		}
		return map[string]any{"context": s.IdentityContext(r), "rules": rules}
	})
}

// listTrust answers with render of the path's profile.
func (s *api) listTrust(w http.ResponseWriter, r *http.Request, c *core.Caller, render func(*account.Profile) map[string]any) {
	s.world.RLock()
	defer s.world.RUnlock()
	if p := s.tpProfileFor(w, r, c); p != nil {
		core.WriteJSON(w, http.StatusOK, render(p))
	}
}

// tpDecodeBody reads a JSON request body (at most 1 MiB).
func tpDecodeBody(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("request body is not valid JSON: %w", err)
	}
	return nil
}

func (s *api) createLink(w http.ResponseWriter, r *http.Request, c *core.Caller) {
	var body struct {
		Name           string `json:"name"`
		CRType         string `json:"cr_type"`
		IsCrossAccount bool   `json:"is_cross_account"`
		Link           *struct {
			CRN           string `json:"crn"`
			Namespace     string `json:"namespace"`
			Name          string `json:"name"`
			ComponentType string `json:"component_type"`
			ComponentName string `json:"component_name"`
		} `json:"link"`
	}
	if err := tpDecodeBody(r, &body); err != nil {
		s.tpBadRequest(w, r, "%s", err)
		return
	}
	if body.Link == nil {
		s.tpBadRequest(w, r, "Property 'link' either missing or empty.")
		return
	}
	l := &account.Link{Name: body.Name, CRType: body.CRType, IsCrossAccount: body.IsCrossAccount, CRN: body.Link.CRN,
		Namespace: body.Link.Namespace, ServiceAccount: body.Link.Name,
		ComponentType: body.Link.ComponentType, ComponentName: body.Link.ComponentName}
	if err := l.ValidateBody(); err != nil {
		s.tpBadRequest(w, r, "%s", err)
		return
	}
	s.world.Lock()
	defer s.world.Unlock()
	p := s.tpProfileFor(w, r, c)
	if p == nil {
		return
	}
	if err := l.Validate(p); err != nil {
		s.tpBadRequest(w, r, "%s", err)
		return
	}
	now := s.Now().UTC()
	p.Links = append(p.Links, s.world.IAM.NewLink(l, now))
	core.WriteJSON(w, http.StatusCreated, tpLinkJSON(l))
}

func (s *api) createRule(w http.ResponseWriter, r *http.Request, c *core.Caller) {
	var body struct {
		Type       string              `json:"type"`
		Name       string              `json:"name"`
		RealmName  string              `json:"realm_name"`
		CRType     string              `json:"cr_type"`
		Expiration int64               `json:"expiration"`
		Conditions []account.Condition `json:"conditions"`
	}
	if err := tpDecodeBody(r, &body); err != nil {
		s.tpBadRequest(w, r, "%s", err)
		return
	}
	ru := &account.Rule{Type: body.Type, Name: body.Name, RealmName: body.RealmName, CRType: body.CRType,
		Expiration: body.Expiration, Conditions: body.Conditions}
	if ru.Type == "" {
		s.tpBadRequest(w, r, "Property 'type' either missing or empty.")
		return
	}
	if ru.Type == account.RuleTypeCR && ru.CRType == "" {
		s.tpBadRequest(w, r, "Property 'cr_type' either missing or empty.")
		return
	}
	if err := ru.Validate(); err != nil {
		s.tpBadRequest(w, r, "%s", err)
		return
	}
	s.world.Lock()
	defer s.world.Unlock()
	p := s.tpProfileFor(w, r, c)
	if p == nil {
		return
	}
	p.Rules = append(p.Rules, s.world.IAM.NewRule(ru, s.Now().UTC()))
	core.WriteJSON(w, http.StatusCreated, tpRuleJSON(ru))
}

func (s *api) accountSettings(w http.ResponseWriter, r *http.Request, c *core.Caller) {
	acct := r.PathValue("account_id")
	if !s.CheckAccount(w, r, core.ServiceIAMIdentity, acct, c, true) {
		return
	}
	body, tag := s.settingsJSON(r, acct)
	w.Header().Set("ETag", tag)
	core.WriteJSON(w, http.StatusOK, body)
}

// settingsJSON is the AccountSettingsResponse of the account and its entity
// tag.
func (s *api) settingsJSON(r *http.Request, acct string) (map[string]any, string) {
	s.world.RLock()
	st := s.world.IAM.Settings
	s.world.RUnlock()
	body := map[string]any{
		"context": s.IdentityContext(r), "account_id": acct, "entity_tag": st.EntityTag,
		"restrict_create_service_id": st.RestrictCreateServiceID, "restrict_create_platform_apikey": st.RestrictCreatePlatformAPIKey,
		"allowed_ip_addresses": st.AllowedIPAddresses, "mfa": st.MFA,
		"session_expiration_in_seconds": st.SessionExpirationInSeconds, "session_invalidation_in_seconds": st.SessionInvalidationInSeconds,
		"max_sessions_per_identity":                  st.MaxSessionsPerIdentity,
		"system_access_token_expiration_in_seconds":  st.SystemAccessTokenExpirationInSeconds,
		"system_refresh_token_expiration_in_seconds": st.SystemRefreshTokenExpirationInSeconds,
		"restrict_user_list_visibility":              st.RestrictUserListVisibility,
		"user_mfa":                                   userMFAJSON(s.world, st.UserMFA), "restrict_user_domains": []any{},
	}
	if r.URL.Query().Get("include_history") == "true" {
		body["history"] = []any{}
	}
	return body, st.EntityTag
}

// effectiveSettings answers the account's effective settings: with no
// enterprise account settings template modelled, the effective values are
// the account's own, and no template is assigned.
func (s *api) effectiveSettings(w http.ResponseWriter, r *http.Request, c *core.Caller) {
	acct := r.PathValue("account_id")
	if !s.CheckAccount(w, r, core.ServiceIAMIdentity, acct, c, true) {
		return
	}
	account, _ := s.settingsJSON(r, acct)
	effective := map[string]any{}
	for k, v := range account {
		switch k {
		case "context", "account_id", "entity_tag", "history":
		default:
			effective[k] = v
		}
	}
	core.WriteJSON(w, http.StatusOK, map[string]any{"context": s.IdentityContext(r), "account_id": acct,
		"effective": effective, "account": account, "assigned_templates": []any{}})
}
