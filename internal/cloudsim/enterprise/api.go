package enterprise

import (
	"net/http"
	"net/url"
	"strconv"
	"sync"

	"github.com/trustjob/trustjob/internal/cloudsim/core"
)

// api serves one enterprise.
type api struct {
	*core.Server
	mu *sync.RWMutex
	st *State
}

// Mount registers the Enterprise Management read endpoints over st, which
// mu guards (the world's lock).
func Mount(srv *core.Server, mu *sync.RWMutex, st *State) {
	s := &api{Server: srv, mu: mu, st: st}
	for _, rt := range []core.Route{
		{Pattern: "GET /v1/enterprises", Action: core.ActionEnterpriseRetrieve, Handler: s.listEnterprises},
		{Pattern: "GET /v1/enterprises/{enterprise_id}", Action: core.ActionEnterpriseRetrieve, Handler: s.getEnterprise},
		{Pattern: "GET /v1/account-groups", Action: core.ActionEnterpriseGroupRetrieve, Handler: s.listGroups},
		{Pattern: "GET /v1/account-groups/{account_group_id}", Action: core.ActionEnterpriseGroupRetrieve, Handler: s.getGroup},
		{Pattern: "GET /v1/accounts", Action: core.ActionEnterpriseAccountRetrieve, Handler: s.listAccounts},
		{Pattern: "GET /v1/accounts/{account_id}", Action: core.ActionEnterpriseAccountRetrieve, Handler: s.getAccount},
	} {
		rt.Service = core.ServiceEnterprise
		srv.Handle(rt)
	}
}

// allowed answers 403 unless the caller belongs to the enterprise account:
// Enterprise-service access is granted there and nowhere else, and
// membership of a child account gives none (enterprise-access.md).
func (s *api) allowed(w http.ResponseWriter, r *http.Request, c *core.Caller) bool {
	if s.st.Enterprise == nil || c == nil || c.AccountID != s.st.Enterprise.AccountID {
		s.WriteError(w, r, core.ServiceEnterprise, http.StatusForbidden, "forbidden",
			"You are not authorized to view this enterprise: Enterprise-service access is granted in the enterprise account.")
		return false
	}
	return true
}

func (s *api) notFound(w http.ResponseWriter, r *http.Request, what, id string) {
	s.WriteError(w, r, core.ServiceEnterprise, http.StatusNotFound, "not_found", what+" "+id+" was not found.")
}

// page writes {rows_count, next_url, resources} with next_docid paging
// (limit 1-100, default 100); rows_count is the rows on this page.
func (s *api) page(w http.ResponseWriter, r *http.Request, n int, item func(i int) map[string]any, keep url.Values) {
	q := r.URL.Query()
	limit, err := core.IntParam(q, "limit", 100, 1, 100)
	if err != nil {
		s.BadRequest(w, r, core.ServiceEnterprise, err)
		return
	}
	off := 0
	if tok := q.Get("next_docid"); tok != "" {
		var ok bool
		if off, ok = core.ParsePageToken(tok); !ok {
			s.WriteError(w, r, core.ServiceEnterprise, http.StatusBadRequest, "bad_request", "Invalid next_docid "+tok+".")
			return
		}
	}
	lo, hi := core.PageBounds(n, off, limit)
	items := make([]map[string]any, 0, hi-lo)
	for i := lo; i < hi; i++ {
		items = append(items, item(i))
	}
	body := map[string]any{"rows_count": len(items), "resources": items}
	if hi < n {
		next := core.CloneQuery(keep)
		next.Set("limit", strconv.Itoa(limit))
		next.Set("next_docid", core.PageToken(hi))
		body["next_url"] = core.SelfLink(r, false, next)
	} else {
		body["next_url"] = nil
	}
	core.WriteJSON(w, http.StatusOK, body)
}

func keepParams(q url.Values, names ...string) url.Values {
	out := url.Values{}
	for _, n := range names {
		if v := q.Get(n); v != "" {
			out.Set(n, v)
		}
	}
	return out
}

func (s *api) listEnterprises(w http.ResponseWriter, r *http.Request, c *core.Caller) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if !s.allowed(w, r, c) {
		return
	}
	q := r.URL.Query()
	e := s.st.Enterprise
	match := (q.Get("enterprise_account_id") == "" || q.Get("enterprise_account_id") == e.AccountID) &&
		(q.Get("name") == "" || q.Get("name") == e.Name) &&
		(q.Get("account_id") == "" || s.st.Account(q.Get("account_id")) != nil) &&
		(q.Get("account_group_id") == "" || s.st.Group(q.Get("account_group_id")) != nil)
	n := 0
	if match {
		n = 1
	}
	s.page(w, r, n, func(int) map[string]any { return s.enterpriseJSON(r) },
		keepParams(q, "enterprise_account_id", "account_group_id", "account_id", "name"))
}

func (s *api) getEnterprise(w http.ResponseWriter, r *http.Request, c *core.Caller) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if !s.allowed(w, r, c) {
		return
	}
	if id := r.PathValue("enterprise_id"); id != s.st.Enterprise.ID {
		s.notFound(w, r, "Enterprise", id)
		return
	}
	core.WriteJSON(w, http.StatusOK, s.enterpriseJSON(r))
}

func (s *api) listGroups(w http.ResponseWriter, r *http.Request, c *core.Caller) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if !s.allowed(w, r, c) {
		return
	}
	q := r.URL.Query()
	if id := q.Get("enterprise_id"); id != "" && id != s.st.Enterprise.ID {
		s.page(w, r, 0, nil, q)
		return
	}
	var sel []*Group
	for _, g := range s.st.Groups {
		switch {
		case q.Get("parent_account_group_id") != "" && g.Parent != s.st.GroupCRN(q.Get("parent_account_group_id")):
		case q.Get("parent") != "" && g.Parent != q.Get("parent"):
		case q.Get("name") != "" && g.Name != q.Get("name"):
		case g.State == StateDeleted && q.Get("include_deleted") != "true":
		default:
			sel = append(sel, g)
		}
	}
	s.page(w, r, len(sel), func(i int) map[string]any { return s.groupJSON(r, sel[i]) },
		keepParams(q, "enterprise_id", "parent_account_group_id", "parent", "name", "include_deleted"))
}

func (s *api) getGroup(w http.ResponseWriter, r *http.Request, c *core.Caller) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if !s.allowed(w, r, c) {
		return
	}
	g := s.st.Group(r.PathValue("account_group_id"))
	if g == nil {
		s.notFound(w, r, "Account group", r.PathValue("account_group_id"))
		return
	}
	core.WriteJSON(w, http.StatusOK, s.groupJSON(r, g))
}

// listAccounts: enterprise_id lists the whole hierarchy, account_group_id the
// accounts below that group at any depth, parent the immediate children of
// that CRN.
func (s *api) listAccounts(w http.ResponseWriter, r *http.Request, c *core.Caller) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if !s.allowed(w, r, c) {
		return
	}
	q := r.URL.Query()
	if id := q.Get("enterprise_id"); id != "" && id != s.st.Enterprise.ID {
		s.page(w, r, 0, nil, q)
		return
	}
	var sel []*Account
	for _, a := range s.st.Accounts {
		switch {
		case q.Get("account_group_id") != "" && !s.st.under(a.Parent, s.st.GroupCRN(q.Get("account_group_id"))):
		case q.Get("parent") != "" && a.Parent != q.Get("parent"):
		case q.Get("name") != "" && a.Name != q.Get("name"):
		case a.State == StateDeleted && q.Get("include_deleted") != "true":
		default:
			sel = append(sel, a)
		}
	}
	s.page(w, r, len(sel), func(i int) map[string]any { return s.accountJSON(r, sel[i]) },
		keepParams(q, "enterprise_id", "account_group_id", "parent", "name", "include_deleted"))
}

func (s *api) getAccount(w http.ResponseWriter, r *http.Request, c *core.Caller) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if !s.allowed(w, r, c) {
		return
	}
	a := s.st.Account(r.PathValue("account_id"))
	if a == nil {
		s.notFound(w, r, "Account", r.PathValue("account_id"))
		return
	}
	core.WriteJSON(w, http.StatusOK, s.accountJSON(r, a))
}

func (s *api) enterpriseJSON(r *http.Request) map[string]any {
	e := s.st.Enterprise
	return map[string]any{
		"url": "/v1/enterprises/" + e.ID, "id": e.ID, "enterprise_account_id": e.AccountID, "crn": s.st.CRN(),
		"name": e.Name, "domain": e.Domain, "state": e.State,
		"primary_contact_iam_id": e.PrimaryContactIAMID, "primary_contact_email": e.PrimaryContactEmail,
		"source_account_id": e.AccountID,
		"created_at":        core.FormatTime(e.CreatedAt), "created_by": e.PrimaryContactIAMID,
		"updated_at": core.FormatTime(e.CreatedAt), "updated_by": e.PrimaryContactIAMID,
	}
}

func (s *api) groupJSON(r *http.Request, g *Group) map[string]any {
	e := s.st.Enterprise
	return map[string]any{
		"url": "/v1/account-groups/" + g.ID, "id": g.ID, "crn": s.st.GroupCRN(g.ID), "parent": g.Parent,
		"enterprise_account_id": e.AccountID, "enterprise_id": e.ID, "enterprise_path": s.st.path(g.Parent) + "/account-group:" + g.ID,
		"name": g.Name, "state": g.State,
		"primary_contact_iam_id": g.PrimaryContactIAMID, "primary_contact_email": g.PrimaryContactEmail,
		"created_at": core.FormatTime(g.CreatedAt), "created_by": g.PrimaryContactIAMID,
		"updated_at": core.FormatTime(g.CreatedAt), "updated_by": g.PrimaryContactIAMID,
	}
}

func (s *api) accountJSON(r *http.Request, a *Account) map[string]any {
	e := s.st.Enterprise
	return map[string]any{
		"url": "/v1/accounts/" + a.ID, "id": a.ID, "crn": s.st.AccountCRN(a.ID), "parent": a.Parent,
		"enterprise_account_id": e.AccountID, "enterprise_id": e.ID, "enterprise_path": s.st.path(a.Parent) + "/account:" + a.ID,
		"name": a.Name, "state": a.State, "owner_iam_id": a.OwnerIAMID, "paid": a.Paid, "owner_email": a.OwnerEmail,
		"is_enterprise_account": a.IsEnterpriseAccount,
		"created_at":            core.FormatTime(a.CreatedAt), "created_by": a.OwnerIAMID,
		"updated_at": core.FormatTime(a.CreatedAt), "updated_by": a.OwnerIAMID,
	}
}
