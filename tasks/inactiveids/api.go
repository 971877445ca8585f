package inactiveids

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/IBM/go-sdk-core/v5/core"
	"github.com/IBM/platform-services-go-sdk/iamaccessgroupsv2"
	"github.com/IBM/platform-services-go-sdk/iamidentityv1"
	"github.com/IBM/platform-services-go-sdk/usermanagementv1"
	"github.com/go-openapi/strfmt"

	"github.com/trustjob/trustjob/internal/action"
	"github.com/trustjob/trustjob/internal/ibmcloud"
	"github.com/trustjob/trustjob/internal/wait"
)

// The calls the task makes: the inactive-identities report (create, poll),
// the four listings that enrich it, the access-group memberships, and the
// four writes the executor may ask for.

// identityAPI is the part of IAM Identity the task calls.
type identityAPI interface {
	CreateReportWithContext(context.Context, *iamidentityv1.CreateReportOptions) (*iamidentityv1.ReportReference, *core.DetailedResponse, error)
	GetReportWithContext(context.Context, *iamidentityv1.GetReportOptions) (*iamidentityv1.Report, *core.DetailedResponse, error)
	ListAPIKeysWithContext(context.Context, *iamidentityv1.ListAPIKeysOptions) (*iamidentityv1.APIKeyList, *core.DetailedResponse, error)
	ListServiceIdsWithContext(context.Context, *iamidentityv1.ListServiceIdsOptions) (*iamidentityv1.ServiceIDList, *core.DetailedResponse, error)
	ListServiceIDGroupWithContext(context.Context, *iamidentityv1.ListServiceIDGroupOptions) (*iamidentityv1.ServiceIDGroupList, *core.DetailedResponse, error)
	ListProfilesWithContext(context.Context, *iamidentityv1.ListProfilesOptions) (*iamidentityv1.TrustedProfilesList, *core.DetailedResponse, error)
	DisableAPIKeyWithContext(context.Context, *iamidentityv1.DisableAPIKeyOptions) (*core.DetailedResponse, error)
	LockAPIKeyWithContext(context.Context, *iamidentityv1.LockAPIKeyOptions) (*core.DetailedResponse, error)
	LockServiceIDWithContext(context.Context, *iamidentityv1.LockServiceIDOptions) (*core.DetailedResponse, error)
}

// usersAPI is the part of User Management the task calls.
type usersAPI interface {
	ListUsersWithContext(context.Context, *usermanagementv1.ListUsersOptions) (*usermanagementv1.UserList, *core.DetailedResponse, error)
}

// groupsAPI is the part of IAM Access Groups the task calls.
type groupsAPI interface {
	ListAccessGroupsWithContext(context.Context, *iamaccessgroupsv2.ListAccessGroupsOptions) (*iamaccessgroupsv2.GroupsList, *core.DetailedResponse, error)
	ListAccessGroupMembersWithContext(context.Context, *iamaccessgroupsv2.ListAccessGroupMembersOptions) (*iamaccessgroupsv2.GroupMembersList, *core.DetailedResponse, error)
	RemoveMemberFromAllAccessGroupsWithContext(context.Context, *iamaccessgroupsv2.RemoveMemberFromAllAccessGroupsOptions) (*iamaccessgroupsv2.DeleteFromAllGroupsResponse, *core.DetailedResponse, error)
}

// pageSize is the page size of every listing: the largest IAM Identity, User
// Management and Access Groups accept.
const pageSize = 100

// What the trusted profile needs for each call, for 403 explanations.
const (
	needReport    = "the trusted profile needs Administrator on IAM Identity Service (IBM documents it for managing inactive identities; a custom role needs iam-identity.report.create and iam-identity.report.get)"
	needAPIKeys   = "the trusted profile needs API key reviewer (or a custom role with iam-identity.apikey.list) on IAM Identity Service"
	needSIDs      = "the trusted profile needs Viewer (or a custom role with iam-identity.serviceid.list) on IAM Identity Service"
	needSIDGroups = "the trusted profile needs Viewer on IAM Identity Service to list the service-ID groups (each group is listed on its own)"
	needProfiles  = "the trusted profile needs Viewer (or a custom role with iam-identity.profile.get) on IAM Identity Service"
	needUsers     = "the trusted profile needs Viewer (or a custom role with user-management.user.retrieve) on User Management"
	needGroups    = "the trusted profile needs Viewer (or a custom role with iam-groups.groups.read and iam-groups.members.read) on IAM Access Groups Service"
)

// actionNeeds is what each action needs, for 403 explanations.
var actionNeeds = map[string]string{
	ActionDisableAPIKey:    "the trusted profile needs Administrator (IBM's role for managing inactive identities; a custom role needs iam-identity.apikey.disable) on IAM Identity Service, and a user's own key can be disabled only by that user",
	ActionLockAPIKey:       "the trusted profile needs Administrator (IBM's role for managing inactive identities; a custom role needs iam-identity.apikey.lock) on IAM Identity Service, and a user's own key can be locked only by that user",
	ActionLockServiceID:    "the trusted profile needs Administrator (IBM's role for managing inactive identities; a custom role needs iam-identity.serviceid.lock) on IAM Identity Service",
	ActionRemoveFromGroups: "the trusted profile needs Editor (or a custom role with iam-groups.members.delete) on IAM Access Groups Service",
}

// ---- The inactive-identities report ----

// reportResult is a fetched activity report and how it was obtained.
type reportResult struct {
	report    *iamidentityv1.Report
	reference string
	polls     int  // GETs answered 204 (not ready yet)
	recreated bool // the first reference was replaced (404) and a new report created
}

// poller fetches the inactive-identities report: create, then poll until 200.
// 204 means "still generating" (the SDK returns no result and no error, so the
// status code decides); 404 means the report was replaced by a newer one, and
// is answered by creating it again, once. Waits grow by half from interval up
// to maxInterval, until ctx's deadline.
type poller struct {
	api         identityAPI
	account     string
	hours       int
	interval    time.Duration
	maxInterval time.Duration
	log         *slog.Logger
}

func (p *poller) create(ctx context.Context) (string, error) {
	opts := &iamidentityv1.CreateReportOptions{AccountID: &p.account}
	opts.SetType("inactive").SetDuration(strconv.Itoa(p.hours))
	ref, resp, err := p.api.CreateReportWithContext(ctx, opts)
	if err != nil {
		return "", ibmcloud.WrapNeed("create the inactive-identities report", needReport, resp, err)
	}
	if ref == nil || ref.Reference == nil || *ref.Reference == "" {
		return "", fmt.Errorf("create the inactive-identities report: HTTP %d without a reference", ibmcloud.ResponseStatus(resp, nil))
	}
	return *ref.Reference, nil
}

func (p *poller) fetch(ctx context.Context) (reportResult, error) {
	var res reportResult
	ref, err := p.create(ctx)
	if err != nil {
		return res, err
	}
	res.reference = ref
	delay := p.interval
	for {
		rep, resp, err := p.api.GetReportWithContext(ctx, &iamidentityv1.GetReportOptions{AccountID: &p.account, Reference: &res.reference})
		status := ibmcloud.ResponseStatus(resp, err)
		switch {
		case err != nil && status == http.StatusNotFound && !res.recreated:
			// Only the newest report exists: someone (another run, the
			// console) replaced ours. Ask for a fresh one, once.
			p.log.Warn("inactive-identities report was replaced; creating it again", "reference", res.reference)
			res.recreated = true
			if res.reference, err = p.create(ctx); err != nil {
				return res, err
			}
			delay = p.interval
			continue
		case err != nil:
			if ctx.Err() != nil {
				return res, fmt.Errorf("inactive-identities report %s not ready after %d polls: %w", res.reference, res.polls, ctx.Err())
			}
			return res, ibmcloud.WrapNeed("get the inactive-identities report "+res.reference, needReport, resp, err)
		case status == http.StatusOK && rep != nil:
			res.report = rep
			return res, nil
		case status != http.StatusNoContent:
			// A 200 without a body (or `null`) is not "still generating":
			// polling on would only hide a broken answer until the deadline.
			return res, fmt.Errorf("get the inactive-identities report %s: HTTP %d without a report", res.reference, status)
		}
		// 204: not generated yet.
		res.polls++
		if err := wait.Sleep(ctx, untilDeadline(ctx, delay)); err != nil {
			return res, fmt.Errorf("inactive-identities report %s not ready after %d polls: %w", res.reference, res.polls, ctx.Err())
		}
		delay = min(delay+delay/2, p.maxInterval)
	}
}

// untilDeadline shortens a wait that would overrun ctx's deadline, so that the
// last poll happens just before it rather than never.
func untilDeadline(ctx context.Context, d time.Duration) time.Duration {
	dl, ok := ctx.Deadline()
	if !ok {
		return d
	}
	// Past the last chance, wait the full d: ctx ends during it.
	if rem := time.Until(dl) - 250*time.Millisecond; rem > 0 && rem < d {
		return rem
	}
	return d
}

// ---- The listings ----
//
// The report names identities; the listings add what it lacks (creation time,
// lock and disable state, descriptions for the exemption marker, owners'
// iam_ids, user state). Each listing is paged at 100 and joined in memory, so
// the request count grows with the account's identities / 100, never with the
// number of inactive ones.

type keyInfo struct {
	name, description string
	iamID             string // the owner's iam_id (the key authenticates as it)
	created           time.Time
	locked, disabled  bool
}

type entityInfo struct { // service IDs and trusted profiles
	id, iamID, name, description string
	created                      time.Time
	locked                       bool
}

type userInfo struct {
	iamID, state string
	added        time.Time
}

// catalog is the joined listings.
type catalog struct {
	keys     map[string]keyInfo    // by API key id
	sids     map[string]entityInfo // by service ID id
	profiles map[string]entityInfo // by profile id
	users    map[string]userInfo   // by iam_id
	// groups are the service-ID groups listed one by one (nil: the account
	// answered none, so the listings without group_id cover it).
	groups []string
}

// lister pages through the listings.
type lister struct {
	iam     identityAPI
	users   usersAPI
	account string
}

// listAll lists the service-ID groups, then runs the four listings
// concurrently (each sequential in its pages) and returns the first error. A
// panic in a listing is that listing's error, not the process's end.
func (l *lister) listAll(ctx context.Context) (*catalog, error) {
	c := &catalog{}
	if err := l.listGroups(ctx, c); err != nil {
		return nil, err
	}
	fns := []func(context.Context, *catalog) error{l.listAPIKeys, l.listServiceIDs, l.listProfiles, l.listUsers}
	errs := make([]error, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if r := recover(); r != nil {
					errs[i] = fmt.Errorf("listing failed unexpectedly (a bug; please report it): %v", r)
				}
			}()
			errs[i] = fn(ctx, c)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return c, nil
}

// listGroups lists the service-ID groups (ibmcloud.ServiceIDGroups).
func (l *lister) listGroups(ctx context.Context, c *catalog) (err error) {
	c.groups, err = ibmcloud.ServiceIDGroups(ctx, l.iam, l.account, needSIDGroups)
	return err
}

// listAPIKeys lists every API key: without groups in one listing; with
// groups, users' keys once (type=user) and service IDs' keys per group
// (type=serviceid, group_id), so no page is fetched twice whichever way IAM
// treats users' keys under a group_id.
func (l *lister) listAPIKeys(ctx context.Context, c *catalog) error {
	c.keys = map[string]keyInfo{}
	list := func(what, typ string, group *string) error {
		return ibmcloud.EachPage(ctx, what, needAPIKeys,
			func(tok *string) (*iamidentityv1.APIKeyList, *core.DetailedResponse, error) {
				opts := &iamidentityv1.ListAPIKeysOptions{AccountID: &l.account, Pagetoken: tok, GroupID: group}
				opts.SetScope("account").SetPagesize(pageSize)
				if typ != "" {
					opts.SetType(typ)
				}
				return l.iam.ListAPIKeysWithContext(ctx, opts)
			},
			func(page *iamidentityv1.APIKeyList) (*string, error) {
				for _, k := range page.Apikeys {
					c.keys[str(k.ID)] = keyInfo{name: str(k.Name), description: str(k.Description), iamID: str(k.IamID),
						created: dt(k.CreatedAt), locked: boolv(k.Locked), disabled: boolv(k.Disabled)}
				}
				return ibmcloud.NextToken(page.Next, "pagetoken")
			})
	}
	if len(c.groups) == 0 {
		return list("list API keys", "", nil)
	}
	if err := list("list users' API keys", "user", nil); err != nil {
		return err
	}
	for _, g := range c.groups {
		if err := list("list API keys of service-ID group "+g, "serviceid", &g); err != nil {
			return err
		}
	}
	return nil
}

// listServiceIDs lists the service IDs of every group (or, without groups,
// the one listing).
func (l *lister) listServiceIDs(ctx context.Context, c *catalog) error {
	c.sids = map[string]entityInfo{}
	list := func(what string, group *string) error {
		return ibmcloud.EachPage(ctx, what, needSIDs,
			func(tok *string) (*iamidentityv1.ServiceIDList, *core.DetailedResponse, error) {
				opts := &iamidentityv1.ListServiceIdsOptions{AccountID: &l.account, Pagetoken: tok, GroupID: group}
				opts.SetPagesize(pageSize)
				return l.iam.ListServiceIdsWithContext(ctx, opts)
			},
			func(page *iamidentityv1.ServiceIDList) (*string, error) {
				for _, s := range page.Serviceids {
					c.sids[str(s.ID)] = entityInfo{id: str(s.ID), iamID: str(s.IamID), name: str(s.Name),
						description: str(s.Description), created: dt(s.CreatedAt), locked: boolv(s.Locked)}
				}
				return ibmcloud.NextToken(page.Next, "pagetoken")
			})
	}
	if len(c.groups) == 0 {
		return list("list service IDs", nil)
	}
	for _, g := range c.groups {
		if err := list("list service IDs of group "+g, &g); err != nil {
			return err
		}
	}
	return nil
}

func (l *lister) listProfiles(ctx context.Context, c *catalog) error {
	c.profiles = map[string]entityInfo{}
	return ibmcloud.EachPage(ctx, "list trusted profiles", needProfiles,
		func(tok *string) (*iamidentityv1.TrustedProfilesList, *core.DetailedResponse, error) {
			opts := &iamidentityv1.ListProfilesOptions{AccountID: &l.account, Pagetoken: tok}
			opts.SetPagesize(pageSize)
			return l.iam.ListProfilesWithContext(ctx, opts)
		},
		func(page *iamidentityv1.TrustedProfilesList) (*string, error) {
			for _, p := range page.Profiles {
				c.profiles[str(p.ID)] = entityInfo{id: str(p.ID), iamID: str(p.IamID), name: str(p.Name),
					description: str(p.Description), created: dt(p.CreatedAt)}
			}
			return ibmcloud.NextToken(page.Next, "pagetoken")
		})
}

func (l *lister) listUsers(ctx context.Context, c *catalog) error {
	c.users = map[string]userInfo{}
	return ibmcloud.EachPage(ctx, "list users", needUsers,
		func(tok *string) (*usermanagementv1.UserList, *core.DetailedResponse, error) {
			opts := &usermanagementv1.ListUsersOptions{AccountID: &l.account, Start: tok}
			opts.SetLimit(pageSize)
			return l.users.ListUsersWithContext(ctx, opts)
		},
		func(page *usermanagementv1.UserList) (*string, error) {
			for _, u := range page.Resources {
				added, _ := parseTime(str(u.AddedOn))
				c.users[str(u.IamID)] = userInfo{iamID: str(u.IamID), state: str(u.State), added: added}
			}
			return ibmcloud.NextToken(page.NextURL, "_start")
		})
}

// ---- Access-group memberships ----

// members lists every access group's members: ⌈G/100⌉ + Σ⌈members/100⌉
// requests, independent of how many identities are inactive.
func members(ctx context.Context, groups groupsAPI, account string) (map[string]bool, error) {
	in := map[string]bool{}
	var groupIDs []string
	const what = "list access groups"
	err := ibmcloud.EachPage(ctx, what, needGroups,
		func(tok *string) (*iamaccessgroupsv2.GroupsList, *core.DetailedResponse, error) {
			opts := &iamaccessgroupsv2.ListAccessGroupsOptions{AccountID: &account}
			opts.SetLimit(pageSize).SetHidePublicAccess(true)
			if err := setOffset(tok, what, opts.SetOffset); err != nil {
				return nil, nil, err
			}
			return groups.ListAccessGroupsWithContext(ctx, opts)
		},
		func(page *iamaccessgroupsv2.GroupsList) (*string, error) {
			for _, g := range page.Groups {
				groupIDs = append(groupIDs, str(g.ID))
			}
			return nextHref(page.Next)
		})
	if err != nil {
		return nil, err
	}
	for _, gid := range groupIDs {
		what := "list members of access group " + gid
		err := ibmcloud.EachPage(ctx, what, needGroups,
			func(tok *string) (*iamaccessgroupsv2.GroupMembersList, *core.DetailedResponse, error) {
				opts := &iamaccessgroupsv2.ListAccessGroupMembersOptions{AccessGroupID: &gid}
				opts.SetLimit(pageSize)
				if err := setOffset(tok, what, opts.SetOffset); err != nil {
					return nil, nil, err
				}
				return groups.ListAccessGroupMembersWithContext(ctx, opts)
			},
			func(page *iamaccessgroupsv2.GroupMembersList) (*string, error) {
				for _, m := range page.Members {
					in[str(m.IamID)] = true
				}
				return nextHref(page.Next)
			})
		if err != nil {
			return nil, err
		}
	}
	return in, nil
}

// setOffset applies an offset page token (from a next href) to options.
func setOffset[T any](tok *string, what string, set func(int64) T) error {
	if tok == nil {
		return nil
	}
	off, err := strconv.ParseInt(*tok, 10, 64)
	if err != nil {
		return fmt.Errorf("%s: bad offset %q in the next link", what, *tok)
	}
	set(off)
	return nil
}

func nextHref(h *iamaccessgroupsv2.HrefStruct) (*string, error) {
	if h == nil {
		return nil, nil
	}
	return ibmcloud.NextToken(h.Href, "offset")
}

// ---- The writes ----

// writer makes the one write request of a step, for the action executor.
type writer struct {
	iam     identityAPI
	groups  groupsAPI
	account string
}

func (w *writer) do(ctx context.Context, s *action.Step) error {
	id := s.Ref.(*identity)
	what := fmt.Sprintf("%s %s", s.Action, id.id)
	need := actionNeeds[s.Action]
	switch s.Action {
	case ActionDisableAPIKey:
		resp, err := w.iam.DisableAPIKeyWithContext(ctx, &iamidentityv1.DisableAPIKeyOptions{ID: &id.id})
		return ibmcloud.WrapNeed(what, need, resp, err)
	case ActionLockAPIKey:
		resp, err := w.iam.LockAPIKeyWithContext(ctx, &iamidentityv1.LockAPIKeyOptions{ID: &id.id})
		return ibmcloud.WrapNeed(what, need, resp, err)
	case ActionLockServiceID:
		resp, err := w.iam.LockServiceIDWithContext(ctx, &iamidentityv1.LockServiceIDOptions{ID: &id.id})
		return ibmcloud.WrapNeed(what, need, resp, err)
	case ActionRemoveFromGroups:
		_, resp, err := w.groups.RemoveMemberFromAllAccessGroupsWithContext(ctx,
			&iamaccessgroupsv2.RemoveMemberFromAllAccessGroupsOptions{AccountID: &w.account, IamID: &id.iamID})
		switch status := ibmcloud.ResponseStatus(resp, err); {
		case err != nil && status == http.StatusNotFound:
			return action.AlreadyDone("not a member of any access group")
		case err == nil && status == http.StatusMultiStatus:
			return &ibmcloud.CallError{Op: what, Status: status, Err: fmt.Errorf("removed from some access groups only")}
		}
		return ibmcloud.WrapNeed(what, need, resp, err)
	}
	return fmt.Errorf("%s: unknown action", what)
}

// doneDetail is the report's detail of an action taken: what it did and how
// to undo it.
func doneDetail(name string) string {
	switch name {
	case ActionDisableAPIKey:
		return "disabled (undo: EnableAPIKey, DELETE /v1/apikeys/{id}/disable)"
	case ActionLockAPIKey:
		return "locked: it can no longer be changed or deleted, but it still authenticates (disable-apikey stops that; undo: UnlockAPIKey)"
	case ActionLockServiceID:
		return "locked: it can no longer be changed or deleted, but it and its keys still authenticate (undo: UnlockServiceID)"
	default:
		return "removed from every access group"
	}
}

// ---- Wire values ----

func dt(t *strfmt.DateTime) time.Time {
	if t == nil {
		return time.Time{}
	}
	return time.Time(*t).UTC()
}

func str(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func boolv(b *bool) bool { return b != nil && *b }

// timeLayouts are the forms IAM writes timestamps in: RFC 3339 (with or
// without fractions), IAM's minute precision with a numeric zone
// ("2024-01-01T12:00+0000", the activity report's last_authn), seconds with a
// numeric zone, a zoneless form (read as UTC), and a bare date.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04Z0700",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04",
	"2006-01-02",
}

// parseTime reads an IBM timestamp leniently: the layouts above, or epoch
// seconds (10 digits) or milliseconds (13 digits) as IAM's history records
// carry them. ok is false for "" or anything else: the caller must treat the
// value as unknown, never as absent.
func parseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), true
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
		switch len(s) {
		case 10:
			return time.Unix(n, 0).UTC(), true
		case 13:
			return time.UnixMilli(n).UTC(), true
		}
	}
	return time.Time{}, false
}
