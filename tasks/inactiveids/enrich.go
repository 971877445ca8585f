package inactiveids

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/IBM/go-sdk-core/v5/core"
	"github.com/IBM/platform-services-go-sdk/iamidentityv1"
	"github.com/IBM/platform-services-go-sdk/usermanagementv1"
	"github.com/go-openapi/strfmt"
)

// The report names identities; the listings add what it lacks (creation time,
// lock and disable state, descriptions for the exemption marker, owners'
// iam_ids, user state). Each listing is paged at 100 and joined in memory, so
// the request count grows with the account's identities / 100, never with the
// number of inactive ones.

type keyInfo struct {
	name, description, iamID string
	created                  time.Time
	locked, disabled         bool
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
}

// lister pages through the listings.
type lister struct {
	iam     identityAPI
	users   usersAPI
	account string
}

// listAll runs the four listings concurrently (each sequential in its pages)
// and returns the first error.
func (l *lister) listAll(ctx context.Context) (*catalog, error) {
	c := &catalog{}
	fns := []func(context.Context, *catalog) error{l.listAPIKeys, l.listServiceIDs, l.listProfiles, l.listUsers}
	errs := make([]error, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Add(1)
		go func() {
			defer wg.Done()
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

// pages calls fetch with each page token until it returns no next token. A
// token seen twice (a listing that never ends) is an error.
func pages(ctx context.Context, what string, fetch func(tok *string) (*string, error)) error {
	seen := map[string]bool{}
	var tok *string
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		next, err := fetch(tok)
		if err != nil || next == nil {
			return err
		}
		if seen[*next] {
			return fmt.Errorf("%s: the service returned page token %q twice; stopping instead of looping", what, *next)
		}
		seen[*next] = true
		tok = next
	}
}

// nextParam reads a paging parameter from a next link (absolute or relative);
// nil at the end.
func nextParam(link *string, param string) (*string, error) {
	v, err := core.GetQueryParam(link, param)
	if err != nil {
		return nil, fmt.Errorf("read %s from next link %q: %w", param, *link, err)
	}
	return v, nil
}

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

func (l *lister) listAPIKeys(ctx context.Context, c *catalog) error {
	keys := map[string]keyInfo{}
	const what = "list API keys"
	err := pages(ctx, what, func(tok *string) (*string, error) {
		opts := &iamidentityv1.ListAPIKeysOptions{AccountID: &l.account, Pagetoken: tok}
		opts.SetScope("account").SetPagesize(pageSize)
		page, resp, err := l.iam.ListAPIKeysWithContext(ctx, opts)
		if err != nil {
			return nil, wrapCall(what, needAPIKeys, resp, err)
		}
		for _, k := range page.Apikeys {
			keys[str(k.ID)] = keyInfo{name: str(k.Name), description: str(k.Description), iamID: str(k.IamID),
				created: dt(k.CreatedAt), locked: boolv(k.Locked), disabled: boolv(k.Disabled)}
		}
		return nextParam(page.Next, "pagetoken")
	})
	c.keys = keys
	return err
}

func (l *lister) listServiceIDs(ctx context.Context, c *catalog) error {
	sids := map[string]entityInfo{}
	const what = "list service IDs"
	err := pages(ctx, what, func(tok *string) (*string, error) {
		opts := &iamidentityv1.ListServiceIdsOptions{AccountID: &l.account, Pagetoken: tok}
		opts.SetPagesize(pageSize)
		page, resp, err := l.iam.ListServiceIdsWithContext(ctx, opts)
		if err != nil {
			return nil, wrapCall(what, needSIDs, resp, err)
		}
		for _, s := range page.Serviceids {
			sids[str(s.ID)] = entityInfo{id: str(s.ID), iamID: str(s.IamID), name: str(s.Name),
				description: str(s.Description), created: dt(s.CreatedAt), locked: boolv(s.Locked)}
		}
		return nextParam(page.Next, "pagetoken")
	})
	c.sids = sids
	return err
}

func (l *lister) listProfiles(ctx context.Context, c *catalog) error {
	profiles := map[string]entityInfo{}
	const what = "list trusted profiles"
	err := pages(ctx, what, func(tok *string) (*string, error) {
		opts := &iamidentityv1.ListProfilesOptions{AccountID: &l.account, Pagetoken: tok}
		opts.SetPagesize(pageSize)
		page, resp, err := l.iam.ListProfilesWithContext(ctx, opts)
		if err != nil {
			return nil, wrapCall(what, needProfiles, resp, err)
		}
		for _, p := range page.Profiles {
			profiles[str(p.ID)] = entityInfo{id: str(p.ID), iamID: str(p.IamID), name: str(p.Name),
				description: str(p.Description), created: dt(p.CreatedAt)}
		}
		return nextParam(page.Next, "pagetoken")
	})
	c.profiles = profiles
	return err
}

func (l *lister) listUsers(ctx context.Context, c *catalog) error {
	users := map[string]userInfo{}
	const what = "list users"
	err := pages(ctx, what, func(tok *string) (*string, error) {
		opts := &usermanagementv1.ListUsersOptions{AccountID: &l.account, Start: tok}
		opts.SetLimit(pageSize)
		page, resp, err := l.users.ListUsersWithContext(ctx, opts)
		if err != nil {
			return nil, wrapCall(what, needUsers, resp, err)
		}
		for _, u := range page.Resources {
			added, _ := parseTime(str(u.AddedOn))
			users[str(u.IamID)] = userInfo{iamID: str(u.IamID), state: str(u.State), added: added}
		}
		return nextParam(page.NextURL, "_start")
	})
	c.users = users
	return err
}

// timeLayouts are the forms IBM writes timestamps in: RFC 3339 (with or
// without fractions), IAM's minute precision with a numeric zone
// ("2024-01-01T12:00+0000"), and a bare date.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04Z0700",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04:05",
	"2006-01-02",
}

// parseTime reads an IBM timestamp leniently; ok is false for "" or garbage.
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
	return time.Time{}, false
}
