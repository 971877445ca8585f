package cloudsim

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// IAM actions checked by the identity-side endpoints. IBM's names where they are
// documented (iam-identity.*, iam-groups.*, iam.policy.read,
// user-management.user.retrieve, billing.account-summary.get).
const (
	ActionReportCreate       = "iam-identity.report.create"
	ActionReportGet          = "iam-identity.report.get"
	ActionAPIKeyList         = "iam-identity.apikey.list"
	ActionAPIKeyGet          = "iam-identity.apikey.get"
	ActionAPIKeyLock         = "iam-identity.apikey.lock"
	ActionAPIKeyUnlock       = "iam-identity.apikey.unlock"
	ActionAPIKeyDisable      = "iam-identity.apikey.disable"
	ActionAPIKeyEnable       = "iam-identity.apikey.enable"
	ActionServiceIDList      = "iam-identity.serviceid.list"
	ActionServiceIDGet       = "iam-identity.serviceid.get"
	ActionServiceIDLock      = "iam-identity.serviceid.lock"
	ActionServiceIDUnlock    = "iam-identity.serviceid.unlock"
	ActionUserRetrieve       = "user-management.user.retrieve"
	ActionGroupsRead         = "iam-groups.groups.read"
	ActionGroupMembersRead   = "iam-groups.members.read"
	ActionGroupMembersDelete = "iam-groups.members.delete"
	ActionGroupSettingsRead  = "iam-groups.settings.read"
	ActionPolicyRead         = "iam.policy.read"
	ActionAccountSummaryGet  = "billing.account-summary.get"
)

// The identity-side actions join KnownActions once, at package initialisation
// (appending per Sim would race between parallel tests).
func init() {
	KnownActions = append(KnownActions,
		ActionReportCreate, ActionReportGet,
		ActionAPIKeyList, ActionAPIKeyGet, ActionAPIKeyLock, ActionAPIKeyUnlock,
		ActionAPIKeyDisable, ActionAPIKeyEnable,
		ActionServiceIDList, ActionServiceIDGet, ActionServiceIDLock, ActionServiceIDUnlock,
		ActionUserRetrieve,
		ActionGroupsRead, ActionGroupMembersRead, ActionGroupMembersDelete, ActionGroupSettingsRead,
		ActionPolicyRead, ActionAccountSummaryGet)
}

// Time formats. Resource timestamps use RFC 3339 with milliseconds; IAM's
// activity and expiry strings use its own minute-precision form, which clients
// must parse leniently.
const (
	idTimeFormat    = "2006-01-02T15:04:05.000Z"
	iamMinuteFormat = "2006-01-02T15:04-0700"
)

func idTime(t time.Time) string { return t.UTC().Format(idTimeFormat) }

// iamTime writes t as IAM writes last_authn and expires_at ("…T12:00+0000").
func iamTime(t time.Time) string {
	return strings.Replace(t.UTC().Format(iamMinuteFormat), "+00:00", "+0000", 1)
}

// reindex rebuilds the lookup maps after records were added or loaded.
func (st *IdentityState) reindex() {
	st.userByIAMID = make(map[string]*UserRecord, len(st.Users))
	for _, u := range st.Users {
		st.userByIAMID[u.IAMID] = u
	}
	st.sidByID = make(map[string]*ServiceIDRecord, len(st.ServiceIDs))
	st.sidByIAMID = make(map[string]*ServiceIDRecord, len(st.ServiceIDs))
	for _, s := range st.ServiceIDs {
		st.sidByID[s.ID] = s
		st.sidByIAMID[s.IAMID] = s
	}
	st.keyByID = make(map[string]*APIKeyRecord, len(st.APIKeys))
	for _, k := range st.APIKeys {
		st.keyByID[k.ID] = k
	}
	st.groupByID = make(map[string]*AccessGroupRecord, len(st.AccessGroups))
	for _, g := range st.AccessGroups {
		st.groupByID[g.ID] = g
	}
}

// Reindex rebuilds the lookup maps; call it (under World.Lock) after a test
// added or removed records directly.
func (st *IdentityState) Reindex() { st.reindex() }

// UserByIAMID, ServiceIDByID, ServiceIDByIAMID and APIKeyByID look records up;
// callers hold the World's lock.
func (st *IdentityState) UserByIAMID(id string) *UserRecord { return st.userByIAMID[id] }

// ServiceIDByID looks a service ID up by its id.
func (st *IdentityState) ServiceIDByID(id string) *ServiceIDRecord { return st.sidByID[id] }

// ServiceIDByIAMID looks a service ID up by its iam_id.
func (st *IdentityState) ServiceIDByIAMID(id string) *ServiceIDRecord { return st.sidByIAMID[id] }

// APIKeyByID looks an API key up by its id.
func (st *IdentityState) APIKeyByID(id string) *APIKeyRecord { return st.keyByID[id] }

// AccessGroupByID looks an access group up by its id.
func (st *IdentityState) AccessGroupByID(id string) *AccessGroupRecord { return st.groupByID[id] }

// --- request helpers shared by the identity-side handlers -------------------

// idIntParam reads an optional integer query parameter within [min, max]; def
// when absent. The error message names the parameter for a 400.
func idIntParam(q url.Values, name string, def, min, max int) (int, error) {
	v := q.Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < min || n > max {
		return 0, fmt.Errorf("invalid value %q for query parameter %s: must be an integer from %d to %d", v, name, min, max)
	}
	return n, nil
}

// idPageToken makes an opaque page token for an offset; idParsePageToken reads
// it back. IAM's tokens are opaque, so clients must take them from the next link.
func idPageToken(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("o=" + strconv.Itoa(offset)))
}

func idParsePageToken(tok string) (int, bool) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, false
	}
	s, ok := strings.CutPrefix(string(b), "o=")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// idPage returns the bounds of the page [off, off+size) of n items.
func idPage(n, off, size int) (int, int) {
	if off > n {
		off = n
	}
	end := off + size
	if end > n {
		end = n
	}
	return off, end
}

// idLink builds a link to the request's own path with the given query.
func idLink(r *http.Request, absolute bool, q url.Values) string {
	p := r.URL.EscapedPath()
	if absolute {
		p = baseURL(r) + p
	}
	if len(q) == 0 {
		return p
	}
	return p + "?" + q.Encode()
}

// idCheckAccount answers 403 when the account in the request is not the
// caller's (and 400 when a required one is missing); it reports whether to go on.
func (s *Sim) idCheckAccount(w http.ResponseWriter, r *http.Request, service, account string, c *Caller, required bool) bool {
	if account == "" {
		if required {
			s.writeError(w, r, service, http.StatusBadRequest, "missing_account_id", "The account_id parameter is required.")
			return false
		}
		return true
	}
	if account != s.world.AccountID || (c != nil && c.AccountID != "" && c.AccountID != account) {
		s.writeError(w, r, service, http.StatusForbidden, "forbidden",
			"You are not authorized to access account "+account+".")
		return false
	}
	return true
}

func idBadRequest(s *Sim, w http.ResponseWriter, r *http.Request, service string, err error) {
	s.writeError(w, r, service, http.StatusBadRequest, "bad_request", err.Error())
}

// idContext is IAM Identity's response context block.
func (s *Sim) idContext(r *http.Request) map[string]any {
	now := s.Now().UTC().Format(time.RFC3339)
	return map[string]any{
		"transaction_id": s.traceID(), "operation": r.Method + " " + r.URL.Path,
		"user_agent": r.UserAgent(), "url": baseURL(r), "instance_id": "cloudsim",
		"host": "cloudsim", "start_time": now, "end_time": now, "elapsed_time": "1",
		"cluster_name": "cloudsim",
	}
}

// idSet sets *b to v and reports whether that changed it.
func idSet(b *bool, v bool) bool {
	changed := *b != v
	*b = v
	return changed
}

func idCloneQuery(q url.Values) url.Values {
	out := make(url.Values, len(q))
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	return out
}
