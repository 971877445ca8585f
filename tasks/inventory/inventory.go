// Package inventory is the `inventory` task type: every resource instance of
// the account in one report, with what changed since the previous run, however
// large the account.
//
// How it is fast: the Resource Controller listing is split into partitions
// listed side by side (resource groups, then time windows for a group that
// holds most instances; see partition.go), pages are decoded from the raw body
// into lean structs, and requests in flight are capped by an adaptive limiter
// that backs off on 429 (limiter.go). How it stays lean: rows stream to the
// writer as pages arrive; tags and the previous run are held as compact hash
// indexes (tags.go, baseline.go).
package inventory

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/trustjob/trustjob/internal/ibmcloud"
	"github.com/trustjob/trustjob/internal/progress"
	"github.com/trustjob/trustjob/internal/report"
	"github.com/trustjob/trustjob/tasks"
)

// Name is the task type's `type:` value.
const Name = "inventory"

// permissionHint is what a 403 means for this task.
const permissionHint = "the trusted profile lacks Viewer on the resource groups and Viewer on the Resource Controller " +
	"(All Identity and Access enabled services); `trustjob tasks` lists the policies the inventory needs"

// Type describes the inventory task type for the registry.
func Type() tasks.Type {
	return tasks.Define(tasks.Spec[Options]{
		Name:        Name,
		Description: "Every resource instance of the account, with tags, reclamations and the changes since the previous run",
		Columns:     columns,
		Defaults:    NewOptions,
		New:         func(o *Options) tasks.Task { return &Task{opts: *o} },
		Permissions: []tasks.Permission{
			{Service: "Resource groups (all)", Role: "Viewer",
				Why: "list the resource groups (Resource Manager) to partition the listing and name each instance's group"},
			{Service: "All Identity and Access enabled services", Role: "Viewer",
				Why: "list resource instances and reclamations (Resource Controller) and read tags (Global Search)"},
		},
		Probe: Probe,
	})
}

// Task is one configured inventory.
type Task struct {
	opts Options

	// minSplitPages overrides the partition split floor (tests make splits
	// happen on small accounts with it).
	minSplitPages int
}

// Run lists the inventory to out. See the package comment.
func (t *Task) Run(ctx context.Context, env tasks.Env, out tasks.Output) (tasks.Result, error) {
	r := &run{task: t, env: env, out: out, start: env.Now()}
	err := r.do(ctx)
	res := r.result(err == nil)
	r.em.release()
	if err == nil {
		return res, nil
	}
	if ctx.Err() != nil {
		return res, fmt.Errorf("inventory incomplete after %d instances, the report is partial: %w", r.em.counts.instances, err)
	}
	if ibmcloud.IsPermission(err) {
		return res, fmt.Errorf("inventory: %w (%s)", err, permissionHint)
	}
	return res, fmt.Errorf("inventory: %w", err)
}

// run is the state of one Run.
type run struct {
	task  *Task
	env   tasks.Env
	out   tasks.Output
	start time.Time

	c      *caller
	rc, rm *service
	gs     *service
	ls     *lister
	em     *emitter

	progress     progress.Tracker
	baselineNote string
	groups       []rmGroup
	tagRequests  int
	reclaims     int
	credentials  int
	elapsed      time.Duration
}

func (r *run) do(ctx context.Context) error {
	o := r.task.opts
	env := r.env
	r.c = newCaller(env.Logger)
	rcLim := newLimiter(o.MaxConcurrency)
	r.rc = newService("resource-controller", env.Clients.ResourceController.Service, rcLim)
	// Resource Manager is served from the Resource Controller's host.
	r.rm = newService("resource-manager", env.Clients.ResourceManager.Service, rcLim)
	r.gs = newService("global-search", env.Clients.GlobalSearch.Service, newLimiter(o.MaxConcurrency))
	r.em = &emitter{out: r.out, services: setOf(o.Services), regions: setOf(o.Regions), types: setOf(o.Types),
		includeTags: o.IncludeTags, late: map[uint64]bool{}, counts: newTally()}
	defer func() { r.elapsed = time.Since(r.start) }()

	selected, err := r.resolveGroups(ctx)
	if err != nil {
		return err
	}
	r.loadBaseline(ctx)
	if r.em.base != nil {
		r.progress.Expect(int64(r.em.base.size()))
	}
	stop := progress.Start(ctx, env.Logger, time.Duration(o.ProgressInterval), &r.progress)
	defer stop()
	if o.IncludeReclamations {
		if err := r.loadReclamations(ctx); err != nil {
			return err
		}
	}
	passes := o.passes()
	r.em.sources = map[string]bool{}
	if o.Sources != SourceSearch {
		r.em.sources[SourceResourceController] = true
	}
	if o.Sources != SourceResourceController {
		r.em.sources[SourceSearch] = true
	}
	if o.Sources != SourceSearch {
		if err := r.listRC(ctx, selected, passes); err != nil {
			return err
		}
	}
	r.warnHidden()
	if o.IncludeCredentials {
		if err := r.listCredentials(ctx, r.selectedGroups()); err != nil {
			return err
		}
	}
	var searchErr error
	if o.Sources != SourceResourceController {
		if err := r.listSearch(ctx, passes, o.Sources == SourceBoth); err != nil {
			if o.Sources == SourceSearch || ctx.Err() != nil {
				return err
			}
			// A Search failure never costs the Resource Controller rows:
			// they are written; the report is kept as incomplete.
			searchErr = err
			env.Logger.Warn("Global Search failed; the report has every Resource Controller instance but not the resources only Search knows", "err", err)
		}
	}
	if err := r.em.writeDeleted(); err != nil {
		return err
	}
	if err := r.shrinkGuard(); err != nil {
		return err
	}
	if searchErr != nil {
		return fmt.Errorf("global search failed, so resources only Search knows are missing (every Resource Controller instance is in the report, which is kept as incomplete): %w", searchErr)
	}
	return nil
}

// listRC lists the Resource Controller instances in the groups and state
// passes: tags first (includeTags), then the partitions, then the catch-up.
func (r *run) listRC(ctx context.Context, selected, passes []string) error {
	o := r.task.opts
	env := r.env
	if o.IncludeTags {
		deleted := slices.Contains(passes, "removed")
		reclaimed := slices.Contains(passes, "pending_reclamation")
		ti, err := fetchTags(ctx, r.c, r.gs, selected, deleted, reclaimed)
		if ti != nil {
			r.tagRequests = ti.requests
		}
		if err != nil {
			return err
		}
		r.em.tags = ti
	}

	split := r.task.minSplitPages
	r.ls = newLister(r.c, r.rc, o.PageSize, runningPerSlot*o.MaxConcurrency, r.start.Add(-deferMargin), r.em.sink)
	r.ls.progress = &r.progress
	if split > 0 {
		r.ls.minSplitPages, r.ls.alwaysSplit = split, true
	}
	// The main state is listed per group; the other states (usually few
	// instances) account-wide, filtered on the client, unless resourceGroups
	// names the groups. Groups Resource Manager did not list are found on the
	// way (groups.go) and listed too.
	mainState, minor := passes[0], passes[1:]
	if len(o.ResourceGroups) == 0 {
		r.em.hidden = map[string]int{}
		r.em.discover = func(g string) { r.ls.add(mainState, g) }
		var extra []string
		for _, rc := range r.em.reclaims {
			if _, ok := r.em.groupNames[rc.ResourceGroupID]; !ok && rc.ResourceGroupID != "" && !slices.Contains(extra, rc.ResourceGroupID) {
				extra = append(extra, rc.ResourceGroupID)
			}
		}
		for _, g := range extra {
			r.em.hidden[g] = 0
			r.em.selected[g] = true
			selected = append(selected, g)
		}
	}
	var roots []*partition
	if len(o.ResourceGroups) == 0 {
		// One unpartitioned page of the main state, read alongside the
		// listing, for groups Resource Manager did not list (groups.go).
		probe := r.ls.newPartition(mainState, "", allTime, false, nil)
		probe.probe = true
		r.ls.probe = r.em.probeGroups
		roots = append(roots, probe)
	}
	// Account-wide passes first: they cannot be divided by group, so they
	// start at once and have priority for requests (partition.go).
	for _, state := range minor {
		if len(o.ResourceGroups) == 0 {
			roots = append(roots, r.ls.newPartition(state, "", allTime, false, nil))
		}
	}
	for _, g := range selected {
		roots = append(roots, r.ls.newPartition(mainState, g, allTime, false, nil))
	}
	for _, state := range minor {
		if len(o.ResourceGroups) > 0 {
			for _, g := range selected {
				roots = append(roots, r.ls.newPartition(state, g, allTime, false, nil))
			}
		}
	}
	r.applyPlan(roots, mainState)
	env.Logger.Debug("listing resource instances", "partitions", len(roots), "groups", len(selected), "passes", len(passes))
	if err := r.ls.run(ctx, roots); err != nil {
		return err
	}

	// Catch-up: instances updated since the run began, listed once more now
	// that every partition is done (see partition.go).
	r.em.freeze()
	var late []*partition
	for _, state := range passes {
		if len(o.ResourceGroups) > 0 {
			for _, g := range selected {
				late = append(late, r.ls.newPartition(state, g, allTime, true, nil))
			}
		} else {
			late = append(late, r.ls.newPartition(state, "", allTime, true, nil))
		}
	}
	if err := r.ls.run(ctx, late); err != nil {
		return err
	}
	return nil
}

// applyPlan marks the group partitions the previous run found large for a
// split after their first page (plan.go), and lets the plan go.
func (r *run) applyPlan(roots []*partition, mainState string) {
	if r.em.base == nil || r.em.base.plan == nil {
		return
	}
	pl := r.em.base.plan
	r.em.base.plan = nil
	slots := r.rc.lim.Slots()
	for _, p := range roots {
		if p.group == "" || p.state != mainState {
			continue
		}
		ways, sample := pl.windows(p.group, p.state, slots, r.task.opts.PageSize)
		if ways == 0 {
			continue
		}
		r.ls.plan(p, ways, sample)
		r.env.Logger.Debug("planned a split from the previous run", "group", p.group, "ways", ways)
	}
}

// resolveGroups lists the resource groups and returns the IDs to list.
func (r *run) resolveGroups(ctx context.Context) ([]string, error) {
	q := url.Values{}
	if r.env.Account != "" {
		q.Set("account_id", r.env.Account)
	}
	err := r.c.call(ctx, r.rm, request{op: "list resource groups", method: "GET", path: "/v2/resource_groups",
		query: q, decode: decodeResources(&r.groups)})
	if err != nil {
		return nil, err
	}
	names := make(map[string]string, len(r.groups))
	for _, g := range r.groups {
		names[g.ID] = g.Name
	}
	r.em.groupNames = names
	var ids []string
	if len(r.task.opts.ResourceGroups) == 0 {
		for _, g := range r.groups {
			ids = append(ids, g.ID)
		}
	} else {
		var unknown []string
		for _, want := range r.task.opts.ResourceGroups {
			k := slices.IndexFunc(r.groups, func(g rmGroup) bool { return g.ID == want || g.Name == want })
			if k < 0 {
				unknown = append(unknown, want)
				continue
			}
			ids = append(ids, r.groups[k].ID)
		}
		if len(unknown) > 0 {
			known := make([]string, 0, len(r.groups))
			for _, g := range r.groups {
				known = append(known, g.Name)
			}
			return nil, fmt.Errorf("resource group %s not found; the account has: %s",
				strings.Join(unknown, ", "), strings.Join(known, ", "))
		}
	}
	r.em.selected = setOf(ids)
	if r.em.selected == nil {
		r.em.selected = map[string]bool{}
	}
	return ids, nil
}

// loadBaseline reads the previous run's latest.jsonl, if any. A report that
// cannot be read costs the change report, not the inventory.
func (r *run) loadBaseline(ctx context.Context) {
	var src baselineSource
	switch {
	case r.env.Previous != nil:
		src = previousSource(ctx, r.env.Previous, r.env.TaskName)
	case r.env.StateDir != "":
		src = fileSource(filepath.Join(r.env.StateDir, "latest.jsonl"))
	default:
		r.baselineNote = "none (no output directory)"
		return
	}
	path := src.name
	b, err := loadBaseline(src)
	switch {
	case errors.Is(err, report.ErrOtherAccount):
		r.env.Logger.Warn("previous inventory is another account's; reporting without changes", "path", path, "err", err)
		r.baselineNote = "none (previous report is another account's)"
	case err != nil:
		r.env.Logger.Warn("previous inventory unreadable; reporting without changes", "path", path, "err", err)
		r.baselineNote = "none (previous report unreadable)"
	case b == nil:
		r.baselineNote = "none (first run, or no jsonl output)"
	default:
		r.em.base = b
		r.baselineNote = path
	}
}

func (r *run) loadReclamations(ctx context.Context) error {
	q := url.Values{}
	if r.env.Account != "" {
		q.Set("account_id", r.env.Account)
	}
	var recl []reclamation
	err := r.c.call(ctx, r.rc, request{op: "list reclamations", method: "GET", path: "/v1/reclamations",
		query: q, decode: decodeResources(&recl)})
	if err != nil {
		return err
	}
	r.em.reclaims = make(map[string]*reclamation, 2*len(recl))
	for k := range recl {
		rc := &recl[k]
		for _, key := range []string{rc.ResourceInstanceID, rc.EntityCRN} {
			if key != "" {
				r.em.reclaims[key] = rc
			}
		}
	}
	r.reclaims = len(recl)
	return nil
}

// result is the task's findings and summary, whether or not Run succeeded.
// Each change since the previous run is a finding (see changeFinding).
func (r *run) result(complete bool) tasks.Result {
	c := r.em.counts
	var f tasks.Findings
	f.AddN(changeFinding, c.created+c.deleted+c.changed)
	return tasks.Result{Findings: f, Summary: r.summary(complete)}
}

// summary is the task's summary; it is written whether or not Run succeeded.
func (r *run) summary(complete bool) report.Summary {
	c := r.em.counts
	s := report.Summary{
		"complete":           complete,
		"instances":          c.instances,
		"by_service":         c.byService,
		"by_region":          c.byRegion,
		"by_resource_group":  c.byGroup,
		"by_state":           c.byState,
		"by_type":            c.byType,
		"by_family":          c.byFamily,
		"sources":            r.task.opts.Sources,
		"resource_groups":    len(r.groups),
		"tags_fetched":       r.task.opts.IncludeTags && r.em.tags != nil,
		"reclamations":       r.reclaims,
		"baseline":           r.baselineNote,
		"requests":           map[string]int64{"resource-controller": r.rc.requests.Load(), "resource-manager": r.rm.requests.Load(), "global-search": r.gs.requests.Load()},
		"retries":            r.c.retries.Load(),
		"skipped_by_filters": c.skippedFilter,
	}
	if r.task.opts.IncludeTags {
		s["tagged"] = c.tagged
	}
	if r.task.opts.IncludeCredentials {
		s["credentials"] = r.credentials
	}
	if r.task.opts.IncludeReclamations {
		s["with_reclamation"] = c.reclaimable
	}
	if r.em.base != nil {
		s["changes"] = map[string]int{"created": c.created, "deleted": c.deleted, "changed": c.changed}
		if !complete {
			// Without a complete listing, unseen instances are not known to be
			// deleted; the deleted count is not computed.
			s["changes"] = map[string]int{"created": c.created, "changed": c.changed}
		}
	}
	throttled, lowest := r.rc.lim.stats()
	if h := r.em.hiddenGroups(); len(h) > 0 {
		s["groups_not_in_resource_manager"] = h
	}
	s["throttled"] = throttled
	if throttled > 0 {
		s["lowest_concurrency"] = lowest
	}
	if r.ls != nil {
		r.ls.mu.Lock()
		s["partitions"], s["splits"], s["pages"] = r.ls.partitions, r.ls.splits, r.ls.pages
		s["abandoned_pages"] = r.ls.abandonedPages
		if r.ls.planned > 0 {
			s["planned_splits"] = r.ls.planned
		}
		s["overlap_rows"] = r.ls.overlapRows
		r.ls.mu.Unlock()
	}
	return s
}

// selectedGroups are the groups listed, those found outside Resource
// Manager's list included.
func (r *run) selectedGroups() []string {
	r.em.mu.Lock()
	defer r.em.mu.Unlock()
	out := make([]string, 0, len(r.em.selected))
	for g := range r.em.selected {
		out = append(out, g)
	}
	slices.Sort(out)
	return out
}
