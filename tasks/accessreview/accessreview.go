// Package accessreview is the access-review task: who can do what. Every
// identity (users, service IDs, trusted profiles) is flattened through its
// access groups to the policies, roles and resources it holds, one row per
// path, with account-administration access marked: the evidence an access
// recertification needs.
package accessreview

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/IBM/platform-services-go-sdk/iamaccessgroupsv2"
	"github.com/trustjob/trustjob/internal/iamread"
	"github.com/trustjob/trustjob/internal/ibmcloud"
	"github.com/trustjob/trustjob/internal/report"
	"github.com/trustjob/trustjob/tasks"
	"github.com/trustjob/trustjob/tasks/posture"
)

// TypeName is the task type's `type:` value.
const TypeName = "access-review"

// Type is the access-review task type, for tasks/builtin.
func Type() tasks.Type {
	return tasks.Define(tasks.Spec[Options]{
		Name: TypeName,
		Description: "Who can do what: every user, service ID and trusted profile through its access groups to " +
			"policies, roles and resources, flattened, with account-administration access marked",
		Columns:     columns,
		Defaults:    NewOptions,
		New:         func(o *Options) tasks.Task { return &task{opts: o} },
		Permissions: permissions,
		Probe:       probe,
	})
}

var permissions = []tasks.Permission{
	{Service: "iam-access-management", Role: "Viewer", Why: "list every access policy (policies the caller cannot read are left out of listings)"},
	{Service: "iam-groups", Role: "Viewer", Why: "list access groups, their members (static and dynamic) and the public access setting"},
	{Service: "user-management", Role: "Viewer", Why: "list users and their states"},
	{Service: "iam-identity", Role: "Viewer", Why: "list service-ID groups, service IDs (per group) and trusted profiles, and who may assume each profile"},
}

func probe(ctx context.Context, env tasks.Env) error {
	if env.Clients == nil || env.Clients.AccessGroups == nil {
		return errors.New("probe access-review: no Access Groups client")
	}
	o := &iamaccessgroupsv2.ListAccessGroupsOptions{AccountID: &env.Account}
	o.SetLimit(1)
	_, resp, err := env.Clients.AccessGroups.ListAccessGroupsWithContext(ctx, o)
	return ibmcloud.WrapNeed("probe access-review (list access groups)", iamread.NeedGroups, resp, err)
}

type task struct {
	opts   *Options
	reader *iamread.Reader // tests
}

// grant is a policy, compact: what a row needs of it.
type grant struct {
	id, roles, resource string
	admin, conditions   bool
	template            bool
}

// state is what the review joins identities against. Policies are held
// compactly per subject; identities are streamed.
type state struct {
	groups    map[string]iamread.Group
	memberOf  map[string][]membership
	bySubject map[string][]grant // iam_id or access group id
	publicOn  bool
	grants    int
	admins    map[string]bool
	rows      int
	byKind    map[string]int
}

type ruleOf struct {
	group string
	rule  iamread.Rule
}

type membership struct {
	group, kind string // kind: static or dynamic
}

func (t *task) Run(ctx context.Context, env tasks.Env, out tasks.Output) (tasks.Result, error) {
	log := env.Log()
	r := t.reader
	if r == nil {
		r = posture.NewReader(env, 0, 0)
	}
	// Progress lines for long listings (pages, rows, rate) while it reads.
	defer r.TrackProgress(ctx, log, t.opts.ProgressInterval.D())()
	var res tasks.Result
	s := &state{groups: map[string]iamread.Group{}, memberOf: map[string][]membership{}, bySubject: map[string][]grant{},
		admins: map[string]bool{}, byKind: map[string]int{}}
	res.Summary = report.Summary{"complete": false}
	fail := func(err error) (tasks.Result, error) { return res, fmt.Errorf("access-review: %w", err) }

	// Policies first: every identity row needs them.
	err := r.Policies(ctx, iamread.PolicyFilter{}, func(p iamread.Policy) error {
		subject, _ := p.Subject()
		s.bySubject[subject] = append(s.bySubject[subject], grant{id: p.ID, roles: strings.Join(p.RoleNames(), ", "),
			resource: p.ResourceText(), admin: posture.AdminLevel(p), conditions: p.HasConditions, template: p.Template})
		s.grants++
		return nil
	})
	if err != nil {
		return fail(err)
	}
	var groupIDs []string
	if err := r.Groups(ctx, func(g iamread.Group) error {
		s.groups[g.ID] = g
		groupIDs = append(groupIDs, g.ID)
		return nil
	}); err != nil {
		return fail(err)
	}
	var ruled []ruleOf
	for _, id := range groupIDs {
		if id == iamread.PublicAccessGroupID {
			continue
		}
		if t.opts.DynamicRules {
			rules, err := r.Rules(ctx, id)
			if err != nil {
				return fail(err)
			}
			for _, ru := range rules {
				ruled = append(ruled, ruleOf{group: id, rule: ru})
			}
		}
		if err := r.Members(ctx, id, func(m iamread.Member) error {
			kind := m.MembershipType
			if kind == "" {
				kind = "static"
			}
			s.memberOf[m.IAMID] = append(s.memberOf[m.IAMID], membership{group: id, kind: kind})
			return nil
		}); err != nil {
			return fail(err)
		}
	}
	if s.publicOn, err = r.PublicAccessEnabled(ctx); err != nil {
		return fail(err)
	}

	write := func(kind, iamID, name, state, detail string) error {
		return t.identity(s, out, &res, kind, iamID, name, state, detail)
	}
	if slices.Contains(t.opts.Identities, iamread.KindUser) {
		if err := r.Users(ctx, func(u iamread.User) error { return write(iamread.KindUser, u.IAMID, u.UserID, u.State, "") }); err != nil {
			return fail(err)
		}
	}
	if slices.Contains(t.opts.Identities, iamread.KindServiceID) {
		if err := r.ServiceIDs(ctx, func(sid iamread.ServiceID) error {
			st := "active"
			if sid.Locked {
				st = "locked"
			}
			return write(iamread.KindServiceID, sid.IAMID, sid.Name, st, "")
		}); err != nil {
			return fail(err)
		}
	}
	if slices.Contains(t.opts.Identities, iamread.KindProfile) {
		var profiles []iamread.Profile
		if err := r.Profiles(ctx, func(p iamread.Profile) error { profiles = append(profiles, p); return nil }); err != nil {
			return fail(err)
		}
		for _, p := range profiles {
			detail := ""
			if t.opts.ProfileTrust {
				ids, err := r.ProfileIdentities(ctx, p.ID)
				if err != nil {
					return fail(err)
				}
				detail = assumedBy(ids)
			}
			if err := write(iamread.KindProfile, p.IAMID, p.Name, "", detail); err != nil {
				return fail(err)
			}
		}
	}
	// A dynamic rule gives its group's access to every federated user whose
	// claims match, signed in now or later: the review lists it as a subject.
	for _, x := range ruled {
		detail := fmt.Sprintf("federated users of %s with %s (membership for %dh after login)", x.rule.RealmName, strings.Join(x.rule.Conditions, " and "), x.rule.Expiration)
		for _, g := range s.bySubject[x.group] {
			if row := t.row(s, "dynamic-rule", x.rule.ID, x.rule.Name, "", "access group", x.group, "dynamic", g, detail); row != nil {
				if err := out.Write(row); err != nil {
					return fail(err)
				}
			}
		}
	}
	// Public access reaches everyone, signed in or not.
	if s.publicOn && len(s.bySubject[iamread.PublicAccessGroupID]) > 0 {
		for _, g := range s.bySubject[iamread.PublicAccessGroupID] {
			row := t.row(s, "public", "*", "everyone (Public Access group)", "", "public access", iamread.PublicAccessGroupID, "", g, "")
			if row != nil {
				if err := out.Write(row); err != nil {
					return fail(err)
				}
			}
		}
	}
	res.Summary = report.Summary{"complete": true, "policies": s.grants, "access_groups": len(s.groups), "rows": s.rows,
		"admins": len(s.admins), "public_access_enabled": s.publicOn, "dynamic_rules": len(ruled),
		"users": s.byKind[iamread.KindUser], "service_ids": s.byKind[iamread.KindServiceID], "profiles": s.byKind[iamread.KindProfile]}
	log.Info("access-review done", "rows", s.rows, "admins", len(s.admins))
	return res, nil
}

func assumedBy(ids []iamread.Member) string {
	if len(ids) == 0 {
		return "assumable by: no identity (compute resources and links only)"
	}
	parts := make([]string, 0, len(ids))
	for _, m := range ids {
		parts = append(parts, m.Type+" "+m.Name)
	}
	return "assumable by: " + strings.Join(parts, ", ")
}

// identity writes one identity's rows: its direct policies, then each access
// group's; an identity without any gets one "no access" row.
func (t *task) identity(s *state, out tasks.Output, res *tasks.Result, kind, iamID, name, st, detail string) error {
	s.byKind[kind]++
	n := 0
	emit := func(via, groupID, membership string, g grant) error {
		row := t.row(s, kind, iamID, name, st, via, groupID, membership, g, detail)
		if row == nil {
			return nil
		}
		n++
		if g.admin {
			s.admins[iamID] = true
			res.Findings.Add(adminFinding(kind))
		}
		return out.Write(row)
	}
	for _, g := range s.bySubject[iamID] {
		if err := emit("direct", "", "", g); err != nil {
			return err
		}
	}
	for _, m := range s.memberOf[iamID] {
		for _, g := range s.bySubject[m.group] {
			if err := emit("access group", m.group, m.kind, g); err != nil {
				return err
			}
		}
	}
	if n == 0 && t.opts.IncludeNoAccess && !t.opts.AdminOnly {
		groups := make([]string, 0, len(s.memberOf[iamID]))
		for _, m := range s.memberOf[iamID] {
			groups = append(groups, s.groups[m.group].Name)
		}
		d := "no access policy"
		if len(groups) > 0 {
			d = "no access policy (member of " + strings.Join(groups, ", ") + ", which grant none)"
		}
		if detail != "" {
			d += "; " + detail
		}
		s.rows++
		return out.Write(report.Row{colKind: kind, colIdentity: iamID, colName: name, colState: st, colVia: "none", colDetail: d, colAdmin: false})
	}
	return nil
}

func (t *task) row(s *state, kind, iamID, name, st, via, groupID, membership string, g grant, detail string) report.Row {
	if t.opts.AdminOnly && !g.admin {
		return nil
	}
	s.rows++
	r := report.Row{colKind: kind, colIdentity: iamID, colName: name, colState: st, colVia: via, colGroupID: groupID,
		colGroup: s.groups[groupID].Name, colMembership: membership, colPolicyID: g.id, colRoles: g.roles,
		colResource: g.resource, colAdmin: g.admin, colConditions: g.conditions, colTemplate: g.template, colDetail: detail}
	if g.admin {
		adminFinding(kind).Fill(r)
	}
	return r
}
