package inventory

import (
	"slices"
	"strings"
)

// Resource Manager filters its group list by the caller's access: a group the
// trusted profile may not view is simply absent, although the Resource
// Controller may still list its instances (safety issue case 6, fidelity audit
// F10). Partitioning by the listed groups alone would then leave those
// instances out, report "complete", and call them deleted in the next change
// report. So the inventory cross-checks what Resource Manager said against
// listings that are not partitioned by group:
//
//   - one unpartitioned page of the main state pass before the listing starts,
//   - the reclamations (which name each instance's group),
//   - the other state passes and the catch-up pass, which list the whole
//     account and filter groups on the client.
//
// A group first seen there is listed like the others (its own partition, in
// the main state), reported in the summary as groups_not_in_resource_manager
// and in a warning naming the missing role. Whatever still slips past all of
// these shows as a large shrink against the previous run (shrinkGuard).

// unlistedGroup records an instance in a group Resource Manager did not list.
// It returns true the first time the group is seen: the caller then lists it.
// Called with e.mu held.
func (e *emitter) unlistedGroup(group string) bool {
	if group == "" || e.discover == nil {
		return false
	}
	if _, ok := e.groupNames[group]; ok {
		return false
	}
	group = keep(group)
	n := e.hidden[group]
	e.hidden[group] = n + 1
	if n > 0 || e.selected[group] {
		return false
	}
	e.selected[group] = true
	return true
}

// hiddenGroups lists the unlisted groups seen, sorted, with instance counts.
func (e *emitter) hiddenGroups() map[string]int {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.hidden) == 0 {
		return nil
	}
	out := make(map[string]int, len(e.hidden))
	for g, n := range e.hidden {
		out[g] = n
	}
	return out
}

// probeGroups lists the groups of one unpartitioned page that Resource
// Manager did not list (the lister's probe partition reads that page).
func (e *emitter) probeGroups(rows []rcInstance) {
	for k := range rows {
		g := rows[k].ResourceGroupID
		e.mu.Lock()
		found := e.unlistedGroup(g)
		e.mu.Unlock()
		if found {
			e.discover(g)
		}
	}
}

// warnHidden logs the groups found outside Resource Manager's list.
func (r *run) warnHidden() {
	h := r.em.hiddenGroups()
	if len(h) == 0 {
		return
	}
	ids := make([]string, 0, len(h))
	for g := range h {
		ids = append(ids, g)
	}
	slices.Sort(ids)
	r.env.Logger.Warn("instances in resource groups that Resource Manager did not list; they were listed by ID, without group names or tags",
		"groups", strings.Join(ids, ","),
		"fix", "give the trusted profile Viewer on every resource group (`trustjob tasks` lists the policies)")
}
