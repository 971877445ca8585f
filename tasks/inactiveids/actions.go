package inactiveids

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/IBM/go-sdk-core/v5/core"
	"github.com/IBM/platform-services-go-sdk/iamaccessgroupsv2"
	"github.com/IBM/platform-services-go-sdk/iamidentityv1"
)

// Action results, as in the report's `result` column.
const (
	ResultDone           = "done"
	ResultWouldDo        = "would-do"        // dry-run
	ResultSkippedAlready = "skipped-already" // already in the target state
	ResultSkippedExempt  = "skipped-exempt"
	ResultBlocked        = "blocked" // not taken: more actions qualified than maxActions
	ResultFailed         = "failed"
)

// step is one action on one identity: planned, then taken or skipped. Every
// step becomes a row, so the report is the audit trail.
type step struct {
	action string
	id     *identity
	result string // "" while pending
	detail string
}

// actor plans and takes the configured actions.
type actor struct {
	opts    *Options
	iam     identityAPI
	groups  groupsAPI
	account string
	dryRun  bool
	now     time.Time
	window  time.Duration
	log     *slog.Logger
}

// outcome is what acting produced.
type outcome struct {
	steps     []*step
	qualified int  // steps that would act (pending after skips)
	overCap   bool // qualified > maxActions
	err       error
}

// plan lists, per configured action in order, every identity of a kind it
// applies to that has been inactive at least olderThan, and decides the skips:
// exempt (including the runner's own profile), or already in the target state.
func (a *actor) plan(ctx context.Context, ids []*identity) []*step {
	var steps []*step
	var needGroups []*step
	for _, cfg := range a.opts.Actions {
		kinds := map[string]bool{}
		for _, k := range actionKinds[cfg.Action] {
			kinds[k] = true
		}
		for _, id := range ids {
			if !kinds[id.kind] || id.inactiveFor(a.now, a.window) < cfg.OlderThan.D() {
				continue
			}
			s := &step{action: cfg.Action, id: id}
			steps = append(steps, s)
			switch {
			case id.exempt:
				s.result, s.detail = ResultSkippedExempt, id.exemptReason
			case !id.listed && id.kind != KindUser:
				s.result, s.detail = ResultSkippedAlready, "no longer in the account's listing (deleted since the report)"
			case cfg.Action == ActionDisableAPIKey && id.disabled != nil && *id.disabled:
				s.result, s.detail = ResultSkippedAlready, "already disabled"
			case (cfg.Action == ActionLockAPIKey || cfg.Action == ActionLockServiceID) && id.locked != nil && *id.locked:
				s.result, s.detail = ResultSkippedAlready, "already locked"
			case cfg.Action == ActionRemoveFromGroups:
				needGroups = append(needGroups, s)
			}
		}
	}
	if len(needGroups) > 0 {
		a.checkMemberships(ctx, needGroups)
	}
	return steps
}

// checkMemberships skips identities that are members of no access group. It
// lists groups and their members only when remove-from-access-groups has
// candidates: ⌈G/100⌉ + Σ⌈members/100⌉ requests, independent of how many
// identities are inactive.
func (a *actor) checkMemberships(ctx context.Context, steps []*step) {
	members, err := a.listMembers(ctx)
	for _, s := range steps {
		switch {
		case err != nil:
			s.result, s.detail = ResultFailed, "cannot tell whether it is in any access group: "+err.Error()
		case !members[s.id.iamID]:
			s.result, s.detail = ResultSkippedAlready, "not a member of any access group"
		}
	}
}

func (a *actor) listMembers(ctx context.Context) (map[string]bool, error) {
	members := map[string]bool{}
	var groupIDs []string
	const what = "list access groups"
	err := pages(ctx, what, func(tok *string) (*string, error) {
		opts := &iamaccessgroupsv2.ListAccessGroupsOptions{AccountID: &a.account}
		opts.SetLimit(pageSize).SetHidePublicAccess(true)
		if err := setOffset(tok, what, opts.SetOffset); err != nil {
			return nil, err
		}
		page, resp, err := a.groups.ListAccessGroupsWithContext(ctx, opts)
		if err != nil {
			return nil, wrapCall(what, needGroups, resp, err)
		}
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
		err := pages(ctx, what, func(tok *string) (*string, error) {
			opts := &iamaccessgroupsv2.ListAccessGroupMembersOptions{AccessGroupID: &gid}
			opts.SetLimit(pageSize)
			if err := setOffset(tok, what, opts.SetOffset); err != nil {
				return nil, err
			}
			page, resp, err := a.groups.ListAccessGroupMembersWithContext(ctx, opts)
			if err != nil {
				return nil, wrapCall(what, needGroups, resp, err)
			}
			for _, m := range page.Members {
				members[str(m.IamID)] = true
			}
			return nextHref(page.Next)
		})
		if err != nil {
			return nil, err
		}
	}
	return members, nil
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
	if h == nil || h.Href == nil {
		return nil, nil
	}
	return nextParam(h.Href, "offset")
}

// run takes the planned steps: none when more qualify than maxActions (the
// blast-radius cap; in dry-run they are listed as would-do with a warning), all
// as would-do in dry-run, else one request each.
func (a *actor) run(ctx context.Context, steps []*step) outcome {
	out := outcome{steps: steps}
	var pending []*step
	for _, s := range steps {
		if s.result == "" {
			pending = append(pending, s)
		}
	}
	out.qualified = len(pending)
	if len(pending) > a.opts.MaxActions {
		out.overCap = true
		msg := fmt.Sprintf("%d actions qualify, more than maxActions (%d)", len(pending), a.opts.MaxActions)
		for _, s := range pending {
			if a.dryRun {
				s.result, s.detail = ResultWouldDo, msg+": a real run would take none of them"
			} else {
				s.result, s.detail = ResultBlocked, msg+": none was taken"
			}
		}
		if !a.dryRun {
			out.err = fmt.Errorf("blast-radius cap: %s, so no action was taken; review the report, then raise maxActions or narrow olderThan/exemptions", msg)
		} else {
			a.log.Warn("dry-run: more actions qualify than maxActions; a real run would take none", "qualified", len(pending), "maxActions", a.opts.MaxActions)
		}
		return out
	}
	if a.dryRun {
		for _, s := range pending {
			s.result, s.detail = ResultWouldDo, "dry-run: no request made"
		}
		return out
	}
	denied := map[string]error{}
	failed := 0
	for _, s := range pending {
		if err := ctx.Err(); err != nil {
			s.result, s.detail = ResultFailed, "not attempted: "+err.Error()
			failed++
			continue
		}
		if err, ok := denied[s.action]; ok {
			// One 403 answers for every identity: don't repeat the request.
			s.result, s.detail = ResultFailed, err.Error()
			failed++
			continue
		}
		status, err := a.take(ctx, s)
		switch {
		case err == nil:
			s.result, s.detail = ResultDone, doneDetail(s.action)
			a.log.Info("action taken", "action", s.action, "kind", s.id.kind, "id", s.id.id)
		case s.action == ActionRemoveFromGroups && status == http.StatusNotFound:
			s.result, s.detail = ResultSkippedAlready, "not a member of any access group"
		default:
			s.result, s.detail = ResultFailed, err.Error()
			failed++
			var pe *permissionError
			if errors.As(err, &pe) {
				denied[s.action] = err
			}
			a.log.Error("action failed", "action", s.action, "kind", s.id.kind, "id", s.id.id, "err", err)
		}
	}
	if failed > 0 {
		out.err = fmt.Errorf("%d of %d actions failed; see the rows with result %q", failed, len(pending), ResultFailed)
		for _, err := range denied {
			out.err = fmt.Errorf("%w (%v)", out.err, err)
			break
		}
	}
	return out
}

func doneDetail(action string) string {
	switch action {
	case ActionDisableAPIKey:
		return "disabled (undo: EnableAPIKey, DELETE /v1/apikeys/{id}/disable)"
	case ActionLockAPIKey:
		return "locked (undo: UnlockAPIKey)"
	case ActionLockServiceID:
		return "locked (undo: UnlockServiceID)"
	default:
		return "removed from every access group"
	}
}

// take makes the one write request of a step; it returns the HTTP status.
func (a *actor) take(ctx context.Context, s *step) (int, error) {
	what := fmt.Sprintf("%s %s", s.action, s.id.id)
	need := actionNeeds[s.action]
	id := s.id.id
	switch s.action {
	case ActionDisableAPIKey:
		resp, err := a.iam.DisableAPIKeyWithContext(ctx, &iamidentityv1.DisableAPIKeyOptions{ID: &id})
		return httpStatus(resp, err), callErr(what, need, resp, err)
	case ActionLockAPIKey:
		resp, err := a.iam.LockAPIKeyWithContext(ctx, &iamidentityv1.LockAPIKeyOptions{ID: &id})
		return httpStatus(resp, err), callErr(what, need, resp, err)
	case ActionLockServiceID:
		resp, err := a.iam.LockServiceIDWithContext(ctx, &iamidentityv1.LockServiceIDOptions{ID: &id})
		return httpStatus(resp, err), callErr(what, need, resp, err)
	case ActionRemoveFromGroups:
		iamID := s.id.iamID
		_, resp, err := a.groups.RemoveMemberFromAllAccessGroupsWithContext(ctx,
			&iamaccessgroupsv2.RemoveMemberFromAllAccessGroupsOptions{AccountID: &a.account, IamID: &iamID})
		if err == nil && httpStatus(resp, nil) == http.StatusMultiStatus {
			return http.StatusMultiStatus, fmt.Errorf("%s: removed from some access groups only (207)", what)
		}
		return httpStatus(resp, err), callErr(what, need, resp, err)
	}
	return 0, fmt.Errorf("%s: unknown action", what)
}

func callErr(what, need string, resp *core.DetailedResponse, err error) error {
	if err == nil {
		return nil
	}
	return wrapCall(what, need, resp, err)
}
