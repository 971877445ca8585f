package inactiveids

import (
	"context"
	"fmt"
	"net/http"
	"sync"

	"github.com/IBM/go-sdk-core/v5/core"
	"github.com/IBM/platform-services-go-sdk/iamaccessgroupsv2"
	"github.com/IBM/platform-services-go-sdk/iamidentityv1"

	"github.com/trustjob/trustjob/internal/action"
	"github.com/trustjob/trustjob/internal/iamread"
	"github.com/trustjob/trustjob/internal/ibmcloud"
)

// The calls the task makes: the inactive-identities report (create, poll),
// the four listings that enrich it and the access-group memberships, all
// through internal/iamread (the one implementation the posture tasks share),
// and the four writes the executor may ask for.

// writesAPI is the part of IAM Identity the task writes with.
type writesAPI interface {
	DisableAPIKeyWithContext(context.Context, *iamidentityv1.DisableAPIKeyOptions) (*core.DetailedResponse, error)
	LockAPIKeyWithContext(context.Context, *iamidentityv1.LockAPIKeyOptions) (*core.DetailedResponse, error)
	LockServiceIDWithContext(context.Context, *iamidentityv1.LockServiceIDOptions) (*core.DetailedResponse, error)
}

// groupsAPI is the write the task makes on IAM Access Groups.
type groupsAPI interface {
	RemoveMemberFromAllAccessGroupsWithContext(context.Context, *iamaccessgroupsv2.RemoveMemberFromAllAccessGroupsOptions) (*iamaccessgroupsv2.DeleteFromAllGroupsResponse, *core.DetailedResponse, error)
}

// What the probe's reads need (probe.go): the same access as the task's reads.
const (
	needSIDs    = iamread.NeedServiceIDs
	needAPIKeys = iamread.NeedAPIKeys
	needUsers   = iamread.NeedUsers
	needReport  = iamread.NeedReport
)

// actionNeeds is what each action needs, for 403 explanations.
var actionNeeds = map[string]string{
	ActionDisableAPIKey:    "the trusted profile needs Administrator (IBM's role for managing inactive identities; a custom role needs iam-identity.apikey.disable) on IAM Identity Service, and a user's own key can be disabled only by that user",
	ActionLockAPIKey:       "the trusted profile needs Administrator (IBM's role for managing inactive identities; a custom role needs iam-identity.apikey.lock) on IAM Identity Service, and a user's own key can be locked only by that user",
	ActionLockServiceID:    "the trusted profile needs Administrator (IBM's role for managing inactive identities; a custom role needs iam-identity.serviceid.lock) on IAM Identity Service",
	ActionRemoveFromGroups: "the trusted profile needs Editor (or a custom role with iam-groups.members.delete) on IAM Access Groups Service",
}

// ---- The listings ----
//
// The report names identities; the listings add what it lacks (creation time,
// lock and disable state, descriptions for the exemption marker, owners'
// iam_ids, user state). Each listing is paged at 100 (service IDs and their
// keys group by group, iamread.Reader.ServiceIDGroups) and joined in memory, so
// the request count grows with the account's identities / 100, never with the
// number of inactive ones.

// catalog is the joined listings.
type catalog struct {
	keys     map[string]iamread.APIKey    // by API key id
	sids     map[string]iamread.ServiceID // by service ID id
	profiles map[string]iamread.Profile   // by profile id
	users    map[string]iamread.User      // by iam_id
}

// listAll lists the service-ID groups, then runs the four listings
// concurrently (each sequential in its pages) and returns the first error. A
// panic in a listing is that listing's error, not the process's end.
func listAll(ctx context.Context, r *iamread.Reader) (*catalog, error) {
	c := &catalog{keys: map[string]iamread.APIKey{}, sids: map[string]iamread.ServiceID{},
		profiles: map[string]iamread.Profile{}, users: map[string]iamread.User{}}
	if _, err := r.ServiceIDGroups(ctx); err != nil {
		return nil, err
	}
	fns := []func() error{
		func() error { return r.APIKeys(ctx, func(k iamread.APIKey) error { c.keys[k.ID] = k; return nil }) },
		func() error {
			return r.ServiceIDs(ctx, func(s iamread.ServiceID) error { c.sids[s.ID] = s; return nil })
		},
		func() error {
			return r.Profiles(ctx, func(p iamread.Profile) error { c.profiles[p.ID] = p; return nil })
		},
		func() error { return r.Users(ctx, func(u iamread.User) error { c.users[u.IAMID] = u; return nil }) },
	}
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
			errs[i] = fn()
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

// ---- Access-group memberships ----

// members lists every access group's static members (the ones
// RemoveMemberFromAllAccessGroups removes), the Public Access group aside:
// ⌈G/100⌉ + Σ⌈members/100⌉ requests, independent of how many identities are
// inactive.
func members(ctx context.Context, r *iamread.Reader) (map[string]bool, error) {
	in := map[string]bool{}
	var groupIDs []string
	err := r.Groups(ctx, func(g iamread.Group) error {
		if g.ID != iamread.PublicAccessGroupID {
			groupIDs = append(groupIDs, g.ID)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, gid := range groupIDs {
		if err := r.StaticMembers(ctx, gid, func(m iamread.Member) error { in[m.IAMID] = true; return nil }); err != nil {
			return nil, err
		}
	}
	return in, nil
}

// ---- The writes ----

// writer makes the one write request of a step, for the action executor.
type writer struct {
	iam     writesAPI
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

func str(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
