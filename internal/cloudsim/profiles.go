package cloudsim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// IAM Identity v1: trusted profiles, their links and claim rules, and the
// account's identity settings (platform-apis.md §4, iam-crtoken.md §6).

// IAM actions of the profile endpoints.
const (
	ActionProfileGet  = "iam-identity.profile.get"
	ActionProfileLink = "iam-identity.profile.linkToResource"
	ActionAccountGet  = "iam-identity.account.get"
)

// Registered without init() (the Go spec initialises package variables before
// any init function and in dependency order).
var _ = tpRegisterActions(ActionProfileGet, ActionProfileLink, ActionAccountGet)

func tpRegisterActions(actions ...string) bool {
	KnownActions = append(KnownActions, actions...)
	return true
}

func (s *Sim) routesProfiles() {
	for _, rt := range []Route{
		{Pattern: "GET /v1/profiles", Action: ActionProfileGet, Handler: s.listProfiles},
		{Pattern: "GET /v1/profiles/{profile_id}", Action: ActionProfileGet, Handler: s.getProfile},
		{Pattern: "GET /v1/profiles/{profile_id}/links", Action: ActionProfileGet, Handler: s.listLinks},
		{Pattern: "POST /v1/profiles/{profile_id}/links", Action: ActionProfileLink, Handler: s.createLink},
		{Pattern: "GET /v1/profiles/{profile_id}/rules", Action: ActionProfileGet, Handler: s.listRules},
		{Pattern: "POST /v1/profiles/{profile_id}/rules", Action: ActionProfileLink, Handler: s.createRule},
		{Pattern: "GET /v1/accounts/{account_id}/settings/identity", Action: ActionAccountGet, Handler: s.accountSettings},
	} {
		rt.Service = ServiceIAMIdentity
		s.handle(rt)
	}
}

// tpTime formats a timestamp the way IAM Identity does (RFC 3339, ms, Z).
func tpTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func (s *Sim) tpBadRequest(w http.ResponseWriter, r *http.Request, format string, args ...any) {
	s.writeError(w, r, ServiceIAMIdentity, http.StatusBadRequest, "invalid_request", fmt.Sprintf(format, args...))
}

func tpProfileJSON(p *Profile, activity, history bool) map[string]any {
	m := map[string]any{
		"id": p.ID, "entity_tag": p.EntityTag, "crn": p.CRN, "name": p.Name, "description": p.Description,
		"created_at": tpTime(p.CreatedAt), "modified_at": tpTime(p.ModifiedAt),
		"iam_id": p.IAMID, "account_id": p.AccountID,
	}
	if history {
		m["history"] = []any{}
	}
	if activity {
		a := map[string]any{"authn_count": p.AuthnCount}
		if p.LastAuthn != nil {
			a["last_authn"] = tpTime(*p.LastAuthn)
		}
		m["activity"] = a
	}
	return m
}

func tpLinkJSON(l *Link) map[string]any {
	target := map[string]any{"crn": l.CRN}
	for k, v := range map[string]string{"namespace": l.Namespace, "name": l.ServiceAccount,
		"component_type": l.ComponentType, "component_name": l.ComponentName} {
		if v != "" {
			target[k] = v
		}
	}
	m := map[string]any{
		"id": l.ID, "entity_tag": l.EntityTag, "created_at": tpTime(l.CreatedAt), "modified_at": tpTime(l.ModifiedAt),
		"cr_type": l.CRType, "is_cross_account": l.IsCrossAccount, "link": target,
	}
	if l.Name != "" {
		m["name"] = l.Name
	}
	return m
}

func tpRuleJSON(r *Rule) map[string]any {
	conds := make([]map[string]string, 0, len(r.Conditions))
	for _, c := range r.Conditions {
		conds = append(conds, map[string]string{"claim": c.Claim, "operator": c.Operator, "value": c.Value})
	}
	m := map[string]any{
		"id": r.ID, "entity_tag": r.EntityTag, "created_at": tpTime(r.CreatedAt), "modified_at": tpTime(r.ModifiedAt),
		"type": r.Type, "expiration": r.Expiration, "conditions": conds,
	}
	for k, v := range map[string]string{"name": r.Name, "cr_type": r.CRType, "realm_name": r.RealmName} {
		if v != "" {
			m[k] = v
		}
	}
	return m
}

// tpPageParams reads pagesize (1-100, default 20) and pagetoken.
func tpPageParams(q url.Values) (size, offset int, err error) {
	size, err = idIntParam(q, "pagesize", 20, 1, 100)
	if err != nil {
		return 0, 0, err
	}
	if v := q.Get("pagetoken"); v != "" {
		n, ok := idParsePageToken(v)
		if !ok {
			return 0, 0, fmt.Errorf("invalid pagetoken '%s'", crClip(v, 50))
		}
		offset = n
	}
	return size, offset, nil
}

// tpPageLinks returns first, previous and next URLs of a page, keeping the
// request's other query parameters.
func tpPageLinks(r *http.Request, size, offset, total int) (first, prev, next string) {
	link := func(off int, withToken bool) string {
		q := r.URL.Query()
		q.Del("pagetoken")
		q.Set("pagesize", strconv.Itoa(size))
		if withToken {
			q.Set("pagetoken", idPageToken(off))
		}
		return baseURL(r) + r.URL.Path + "?" + q.Encode()
	}
	first = link(0, false)
	if offset > 0 {
		prev = link(max(0, offset-size), offset-size > 0)
	}
	if offset+size < total {
		next = link(offset+size, true)
	}
	return first, prev, next
}

func (s *Sim) listProfiles(w http.ResponseWriter, r *http.Request, c *Caller) {
	q := r.URL.Query()
	account := q.Get("account_id")
	if !s.idCheckAccount(w, r, ServiceIAMIdentity, account, c, true) {
		return
	}
	size, offset, err := tpPageParams(q)
	if err != nil {
		s.tpBadRequest(w, r, "%s", err)
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
	var match []*Profile
	for _, p := range s.world.IAM.Profiles {
		if p.AccountID == account && (name == "" || p.Name == name) && filter(p) {
			match = append(match, p)
		}
	}
	if less != nil {
		slices.SortStableFunc(match, less)
	}
	page := make([]map[string]any, 0, size)
	for i := offset; i < len(match) && i < offset+size; i++ {
		page = append(page, tpProfileJSON(match[i], false, history))
	}
	s.world.RUnlock()

	body := map[string]any{"context": s.idContext(r), "offset": offset, "limit": size, "profiles": page}
	first, prev, next := tpPageLinks(r, size, offset, len(match))
	body["first"] = first
	if prev != "" {
		body["previous"] = prev
	}
	if next != "" {
		body["next"] = next
	}
	writeJSON(w, http.StatusOK, body)
}

func tpProfileOrder(sort, order string) (func(a, b *Profile) int, error) {
	var key func(p *Profile) string
	switch sort {
	case "":
		if order != "" && order != "asc" && order != "desc" {
			return nil, fmt.Errorf("order must be asc or desc, got '%s'", crClip(order, 20))
		}
		return nil, nil
	case "name":
		key = func(p *Profile) string { return strings.ToLower(p.Name) }
	case "description":
		key = func(p *Profile) string { return strings.ToLower(p.Description) }
	case "created_at":
		key = func(p *Profile) string { return tpTime(p.CreatedAt) }
	case "modified_at":
		key = func(p *Profile) string { return tpTime(p.ModifiedAt) }
	default:
		return nil, fmt.Errorf("sort must be one of created_at, description, modified_at, name; got '%s'", crClip(sort, 40))
	}
	sign := 1
	switch order {
	case "", "asc":
	case "desc":
		sign = -1
	default:
		return nil, fmt.Errorf("order must be asc or desc, got '%s'", crClip(order, 20))
	}
	return func(a, b *Profile) int { return sign * strings.Compare(key(a), key(b)) }, nil
}

// tpParseFilter understands the simple SCIM-like filters of the IAM Identity
// API: `<attr> <op> "<value>"` with op eq, ne, co or sw over name,
// description, id, iam_id or crn.
func tpParseFilter(f string) (func(*Profile) bool, error) {
	f = strings.TrimSpace(f)
	if f == "" {
		return func(*Profile) bool { return true }, nil
	}
	attr, rest, ok1 := strings.Cut(f, " ")
	op, val, ok2 := strings.Cut(strings.TrimSpace(rest), " ")
	val = strings.TrimSpace(val)
	uq, err := strconv.Unquote(val)
	if !ok1 || !ok2 || err != nil {
		return nil, fmt.Errorf("unsupported filter '%s': want <attribute> <eq|ne|co|sw> \"<value>\"", crClip(f, 100))
	}
	get := map[string]func(*Profile) string{
		"name": func(p *Profile) string { return p.Name }, "description": func(p *Profile) string { return p.Description },
		"id": func(p *Profile) string { return p.ID }, "iam_id": func(p *Profile) string { return p.IAMID },
		"crn": func(p *Profile) string { return p.CRN },
	}[attr]
	test := map[string]func(a, b string) bool{
		"eq": func(a, b string) bool { return a == b }, "ne": func(a, b string) bool { return a != b },
		"co": strings.Contains, "sw": strings.HasPrefix,
	}[strings.ToLower(op)]
	if get == nil || test == nil {
		return nil, fmt.Errorf("unsupported filter '%s': attributes crn, description, id, iam_id, name; operators co, eq, ne, sw", crClip(f, 100))
	}
	return func(p *Profile) bool { return test(get(p), uq) }, nil
}

// tpProfileFor finds the path's profile in the caller's account, or answers 404.
// The caller holds the world's (read) lock.
func (s *Sim) tpProfileFor(w http.ResponseWriter, r *http.Request, c *Caller) *Profile {
	id := r.PathValue("profile_id")
	for _, p := range s.world.IAM.Profiles {
		if p.ID == id && p.AccountID == c.AccountID {
			return p
		}
	}
	s.writeError(w, r, ServiceIAMIdentity, http.StatusNotFound, "not_found",
		"Trusted profile with id "+crClip(id, 80)+" not found.")
	return nil
}

func (s *Sim) getProfile(w http.ResponseWriter, r *http.Request, c *Caller) {
	q := r.URL.Query()
	s.world.RLock()
	defer s.world.RUnlock()
	p := s.tpProfileFor(w, r, c)
	if p == nil {
		return
	}
	body := tpProfileJSON(p, q.Get("include_activity") == "true", q.Get("include_history") == "true")
	body["context"] = s.idContext(r)
	writeJSON(w, http.StatusOK, body)
}

func (s *Sim) listLinks(w http.ResponseWriter, r *http.Request, c *Caller) {
	s.listTrust(w, r, c, func(p *Profile) map[string]any {
		links := make([]map[string]any, 0, len(p.Links))
		for _, l := range p.Links {
			links = append(links, tpLinkJSON(l))
		}
		return map[string]any{"links": links}
	})
}

func (s *Sim) listRules(w http.ResponseWriter, r *http.Request, c *Caller) {
	s.listTrust(w, r, c, func(p *Profile) map[string]any {
		rules := make([]map[string]any, 0, len(p.Rules))
		for _, ru := range p.Rules {
			rules = append(rules, tpRuleJSON(ru))
		}
		return map[string]any{"context": s.idContext(r), "rules": rules}
	})
}

// listTrust answers with render of the path's profile.
func (s *Sim) listTrust(w http.ResponseWriter, r *http.Request, c *Caller, render func(*Profile) map[string]any) {
	s.world.RLock()
	defer s.world.RUnlock()
	if p := s.tpProfileFor(w, r, c); p != nil {
		writeJSON(w, http.StatusOK, render(p))
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

func (s *Sim) createLink(w http.ResponseWriter, r *http.Request, c *Caller) {
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
	l := &Link{Name: body.Name, CRType: body.CRType, IsCrossAccount: body.IsCrossAccount, CRN: body.Link.CRN,
		Namespace: body.Link.Namespace, ServiceAccount: body.Link.Name,
		ComponentType: body.Link.ComponentType, ComponentName: body.Link.ComponentName}
	s.world.Lock()
	defer s.world.Unlock()
	p := s.tpProfileFor(w, r, c)
	if p == nil {
		return
	}
	if err := tpValidateLink(l, p); err != nil {
		s.tpBadRequest(w, r, "%s", err)
		return
	}
	now := s.Now().UTC()
	p.Links = append(p.Links, s.world.IAM.newLink(l, now))
	writeJSON(w, http.StatusCreated, tpLinkJSON(l))
}

var tpCRTypes = []string{"BMS", "CE", crTypeIKS, "PVS", crTypeROKS, "VSI"}

// tpValidateLink checks a link the way the API does before storing it.
func tpValidateLink(l *Link, p *Profile) error {
	if l.CRType == "" {
		//lint:ignore ST1005 IBM's exact message
		return errors.New("Property 'cr_type' either missing or empty.")
	}
	if !slices.Contains(tpCRTypes, l.CRType) {
		return fmt.Errorf("cr_type '%s' is invalid; valid values: %s", crClip(l.CRType, 40), strings.Join(tpCRTypes, ", "))
	}
	if l.CRN == "" {
		//lint:ignore ST1005 IBM's exact message
		return errors.New("Property 'link.crn' either missing or empty.")
	}
	parts := strings.Split(l.CRN, ":")
	if len(parts) < 8 || parts[0] != "crn" || !strings.HasPrefix(parts[6], "a/") {
		return fmt.Errorf("link.crn '%s' is not a valid CRN", crClip(l.CRN, 200))
	}
	if acct := strings.TrimPrefix(parts[6], "a/"); acct != p.AccountID && !l.IsCrossAccount {
		return fmt.Errorf("link.crn is in account %s but the trusted profile is in %s; set is_cross_account", acct, p.AccountID)
	}
	switch l.CRType {
	case crTypeIKS, crTypeROKS:
		if l.Namespace == "" || l.ServiceAccount == "" {
			return fmt.Errorf("link.namespace and link.name are required for cr_type %s", l.CRType)
		}
	case "CE":
		if l.ComponentType == "" || l.ComponentName == "" {
			return errors.New("link.component_type and link.component_name are required for cr_type CE")
		}
	}
	return nil
}

func (s *Sim) createRule(w http.ResponseWriter, r *http.Request, c *Caller) {
	var body struct {
		Type       string      `json:"type"`
		Name       string      `json:"name"`
		RealmName  string      `json:"realm_name"`
		CRType     string      `json:"cr_type"`
		Expiration int64       `json:"expiration"`
		Conditions []Condition `json:"conditions"`
	}
	if err := tpDecodeBody(r, &body); err != nil {
		s.tpBadRequest(w, r, "%s", err)
		return
	}
	ru := &Rule{Type: body.Type, Name: body.Name, RealmName: body.RealmName, CRType: body.CRType,
		Expiration: body.Expiration, Conditions: body.Conditions}
	if ru.Type == "" {
		s.tpBadRequest(w, r, "Property 'type' either missing or empty.")
		return
	}
	if ru.Type == ruleTypeCR && ru.CRType == "" {
		s.tpBadRequest(w, r, "Property 'cr_type' either missing or empty.")
		return
	}
	if err := tpValidateRule(ru); err != nil {
		s.tpBadRequest(w, r, "%s", err)
		return
	}
	s.world.Lock()
	defer s.world.Unlock()
	p := s.tpProfileFor(w, r, c)
	if p == nil {
		return
	}
	p.Rules = append(p.Rules, s.world.IAM.newRule(ru, s.Now().UTC()))
	writeJSON(w, http.StatusCreated, tpRuleJSON(ru))
}

var (
	tpRuleOperators = []string{"CONTAINS", "EQUALS", "EQUALS_IGNORE_CASE", "IN", "NOT_EQUALS", "NOT_EQUALS_IGNORE_CASE"}
	tpCRClaims      = []string{"location", "name", "namespace", "pod", "resource_group_id", "resource_group_name", "service_instance"}
)

// tpValidateRule checks a claim rule; "" type means Profile-CR and "" cr_type
// IKS_SA (fixture defaults).
func tpValidateRule(ru *Rule) error {
	typ := ru.Type
	if typ == "" {
		typ = ruleTypeCR
	}
	if typ != ruleTypeCR && typ != "Profile-SAML" {
		return fmt.Errorf("type '%s' is invalid; valid values: Profile-CR, Profile-SAML", crClip(typ, 40))
	}
	if ru.CRType != "" && !slices.Contains(tpCRTypes, ru.CRType) {
		return fmt.Errorf("cr_type '%s' is invalid; valid values: %s", crClip(ru.CRType, 40), strings.Join(tpCRTypes, ", "))
	}
	if len(ru.Conditions) == 0 {
		//lint:ignore ST1005 IBM's exact message
		return errors.New("Property 'conditions' either missing or empty.")
	}
	for i, c := range ru.Conditions {
		if c.Claim == "" || c.Operator == "" || c.Value == "" {
			return fmt.Errorf("conditions[%d]: claim, operator and value are required", i)
		}
		if !slices.Contains(tpRuleOperators, c.Operator) {
			return fmt.Errorf("conditions[%d]: operator '%s' is invalid; valid values: %s", i, crClip(c.Operator, 40), strings.Join(tpRuleOperators, ", "))
		}
		crt := ru.CRType
		if (crt == "" || crt == crTypeIKS || crt == crTypeROKS) && typ == ruleTypeCR && !slices.Contains(tpCRClaims, c.Claim) {
			return fmt.Errorf("conditions[%d]: claim '%s' is not a %s attribute; valid claims: %s", i, crClip(c.Claim, 40), crTypeIKS, strings.Join(tpCRClaims, ", "))
		}
	}
	return nil
}

func (s *Sim) accountSettings(w http.ResponseWriter, r *http.Request, c *Caller) {
	account := r.PathValue("account_id")
	if !s.idCheckAccount(w, r, ServiceIAMIdentity, account, c, true) {
		return
	}
	s.world.RLock()
	st := s.world.IAM.Settings
	s.world.RUnlock()
	body := map[string]any{
		"context": s.idContext(r), "account_id": account, "entity_tag": st.EntityTag,
		"restrict_create_service_id": st.RestrictCreateServiceID, "restrict_create_platform_apikey": st.RestrictCreatePlatformAPIKey,
		"allowed_ip_addresses": st.AllowedIPAddresses, "mfa": st.MFA,
		"session_expiration_in_seconds": st.SessionExpirationInSeconds, "session_invalidation_in_seconds": st.SessionInvalidationInSeconds,
		"max_sessions_per_identity":                  st.MaxSessionsPerIdentity,
		"system_access_token_expiration_in_seconds":  st.SystemAccessTokenExpirationInSeconds,
		"system_refresh_token_expiration_in_seconds": st.SystemRefreshTokenExpirationInSeconds,
		"restrict_user_list_visibility":              st.RestrictUserListVisibility,
		"user_mfa":                                   []any{}, "restrict_user_domains": []any{},
	}
	if r.URL.Query().Get("include_history") == "true" {
		body["history"] = []any{}
	}
	writeJSON(w, http.StatusOK, body)
}
