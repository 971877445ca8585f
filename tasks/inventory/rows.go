package inventory

import (
	"fmt"
	"maps"
	"strings"
	"sync"

	"github.com/trustjob/trustjob/internal/report"
	"github.com/trustjob/trustjob/tasks"
)

// Columns, declared once: rows are built and read with these names only.
// "record" says whether a row is an instance or a change; change rows carry
// "change" (created, deleted, changed) and, for changed, "changed_fields".
const (
	colRecord            = "record"
	colChange            = "change"
	colChangedFields     = "changed_fields"
	colCRN               = "crn"
	colGUID              = "guid"
	colName              = "name"
	colService           = "service"
	colRegion            = "region"
	colResourceGroupID   = "resource_group_id"
	colResourceGroupName = "resource_group_name"
	colResourcePlanID    = "resource_plan_id"
	colState             = "state"
	colType              = "type"
	colCreatedAt         = "created_at"
	colCreatedBy         = "created_by"
	colUpdatedAt         = "updated_at"
	colLocked            = "locked"
	colTags              = "tags"
	colServiceTags       = "service_tags"
	colAccessTags        = "access_tags"
	colReclamationID     = "reclamation_id"
	colReclaimAt         = "reclaim_at"
	colSource            = "source" // resource-controller or search (search.go)
	colFamily            = "family"
	colInstanceCRN       = "instance_crn" // credential rows (credentials.go)
	colRole              = "role"
	colServiceID         = "service_id"
	colAgeDays           = "age_days"
)

// Record kinds, in the "record" column.
const (
	recordInstance = "instance"
	recordChange   = "change"
)

// columns is the report's schema, in output order. Change rows also carry the
// finding columns (control, severity, status).
var columns = append([]string{
	colRecord, colChange, colChangedFields, colSource, colFamily,
	colCRN, colGUID, colName, colService, colRegion, colResourceGroupID, colResourceGroupName,
	colResourcePlanID, colState, colType, colCreatedAt, colCreatedBy, colUpdatedAt, colLocked,
	colTags, colServiceTags, colAccessTags, colReclamationID, colReclaimAt,
	colInstanceCRN, colRole, colServiceID, colAgeDays, // credential rows (credentials.go)
}, tasks.FindingColumns...)

// changeFinding is what a change since the previous run is: the account
// drifted from its last reviewed state. Informational; failOn can still make
// any change fail the run.
var changeFinding = tasks.Finding{Severity: tasks.SeverityInfo, Status: tasks.StatusFail}

// emitter turns kept instances into rows: local filters, tags, reclamations,
// change tracking, counts, and the writes.
type emitter struct {
	out        tasks.Output
	groupNames map[string]string
	selected   map[string]bool // group IDs listed; guarded by mu
	// discover lists a group found on an instance but missing from Resource
	// Manager's list (groups.go); nil when resourceGroups names the groups.
	discover    func(group string)
	services    map[string]bool // nil: all
	regions     map[string]bool
	types       map[string]bool
	tags        *tagIndex // nil without includeTags
	reclaims    map[string]*reclamation
	base        *baseline // nil without a previous report
	includeTags bool

	mu     sync.Mutex
	extra  hashSet         // CRN hashes emitted that the baseline does not hold
	frozen bool            // extra is sorted (catch-up phase)
	late   map[uint64]bool // emitted during catch-up
	hidden map[string]int  // instances seen per group Resource Manager did not list
	// sources this run lists; a previous row of another source is not
	// reported deleted.
	sources map[string]bool
	counts  tally
}

type tally struct {
	instances, tagged, reclaimable  int
	created, deleted, changed       int
	byService, byRegion, byGroup    map[string]int
	byState, byType, byFamily       map[string]int
	skippedFilter, skippedDuplicate int
}

func newTally() tally {
	return tally{byService: map[string]int{}, byRegion: map[string]int{}, byGroup: map[string]int{}, byState: map[string]int{}, byType: map[string]int{}, byFamily: map[string]int{}}
}

func setOf(list []string) map[string]bool {
	if len(list) == 0 {
		return nil
	}
	m := make(map[string]bool, len(list))
	for _, v := range list {
		m[v] = true
	}
	return m
}

// serviceOf is the service name field of a CRN
// (crn:v1:bluemix:public:<service>:<location>:a/<account>:<instance>::).
func serviceOf(crn string) string { return crnField(crn, 4) }

func crnField(crn string, n int) string {
	for k := 0; k < n; k++ {
		i := strings.IndexByte(crn, ':')
		if i < 0 {
			return ""
		}
		crn = crn[i+1:]
	}
	if i := strings.IndexByte(crn, ':'); i >= 0 {
		return crn[:i]
	}
	return crn
}

func regionOf(ins *rcInstance) string {
	if ins.RegionID != "" {
		return ins.RegionID
	}
	return crnField(ins.CRN, 5)
}

func (e *emitter) keep(ins *rcInstance, service, region string) bool {
	return (e.services == nil || e.services[service]) &&
		(e.regions == nil || e.regions[region]) &&
		(e.types == nil || e.types[ins.Type])
}

func (e *emitter) row(ins *rcInstance, h uint64, service, region string) report.Row {
	r := report.Row{
		colRecord: recordInstance, colSource: SourceResourceController, colFamily: "resource_controller",
		colCRN: ins.CRN, colGUID: ins.GUID, colName: ins.Name,
		colService: service, colRegion: region,
		colResourceGroupID: ins.ResourceGroupID, colResourceGroupName: e.groupNames[ins.ResourceGroupID],
		colResourcePlanID: ins.ResourcePlanID, colState: ins.State, colType: ins.Type,
		colCreatedAt: ins.CreatedAt, colCreatedBy: ins.CreatedBy, colUpdatedAt: ins.UpdatedAt,
		colLocked: ins.Locked,
	}
	if e.tags != nil {
		ts := e.tags.lookup(h)
		r[colTags], r[colServiceTags], r[colAccessTags] = ts.user, ts.service, ts.access
	}
	if rc := e.reclaims[ins.GUID]; rc != nil {
		r[colReclamationID], r[colReclaimAt] = rc.ID, rc.TargetTime
	} else if rc := e.reclaims[ins.CRN]; rc != nil {
		r[colReclamationID], r[colReclaimAt] = rc.ID, rc.TargetTime
	}
	return r
}

// sink is the lister's sink.
func (e *emitter) sink(p *partition, rows []*rcInstance, hashes []uint64) error {
	for k, ins := range rows {
		service, region := serviceOf(ins.CRN), regionOf(ins)
		if p.group == "" {
			// An account-wide partition: keep the selected groups only, and
			// list any group Resource Manager did not return.
			e.mu.Lock()
			found := e.unlistedGroup(ins.ResourceGroupID)
			selected := e.selected[ins.ResourceGroupID]
			e.mu.Unlock()
			if found {
				e.discover(ins.ResourceGroupID)
			}
			if !selected {
				e.mu.Lock()
				e.counts.skippedFilter++
				e.mu.Unlock()
				continue
			}
		}
		if !e.keep(ins, service, region) {
			e.mu.Lock()
			e.counts.skippedFilter++
			e.mu.Unlock()
			continue
		}
		h := hashes[k]
		if err := e.emitRow(e.row(ins, h, service, region), h, p.catchUp); err != nil {
			return err
		}
	}
	return nil
}

// emitRow writes one instance row and its change row, unless late (catch-up,
// or after the main listing) and already written.
func (e *emitter) emitRow(row report.Row, h uint64, late bool) error {
	e.mu.Lock()
	late = late || e.frozen
	if late && e.emitted(h) {
		e.counts.skippedDuplicate++
		e.mu.Unlock()
		return nil
	}
	change, fields := e.track(h, row, late)
	e.count(row)
	e.mu.Unlock()
	if err := e.out.Write(row); err != nil {
		return fmt.Errorf("write inventory row: %w", err)
	}
	if change != "" {
		if err := e.out.Write(changeRow(row, change, fields)); err != nil {
			return fmt.Errorf("write change row: %w", err)
		}
	}
	return nil
}

// emitted reports whether h was already written. Only called in the catch-up
// phase, when extra is sorted. Called with mu held.
func (e *emitter) emitted(h uint64) bool {
	if e.late[h] {
		return true
	}
	if e.base != nil {
		if k := e.base.find(h); k >= 0 {
			return e.base.isSeen(k)
		}
	}
	return e.extra.has(h)
}

// track records that h was written and classifies it against the baseline.
// Called with mu held.
func (e *emitter) track(h uint64, row report.Row, late bool) (change string, fields []string) {
	k := -1
	if e.base != nil {
		k = e.base.find(h)
	}
	switch {
	case late:
		e.late[h] = true
		if k >= 0 {
			e.base.markSeen(k)
		}
	case k >= 0:
		e.base.markSeen(k)
	default:
		e.extra.add(h)
	}
	if e.base == nil {
		return "", nil
	}
	src := str(row["source"])
	if k < 0 {
		if !e.base.listed(src) {
			// The previous run did not list this source (sources
			// switched): not new, just newly seen.
			return "", nil
		}
		e.counts.created++
		return "created", nil
	}
	if fields = e.base.compare(k, currentFields(row), e.includeTags || src == SourceSearch, src == SourceSearch); len(fields) > 0 {
		e.counts.changed++
		return "changed", fields
	}
	return "", nil
}

// release returns the memory mapped for the baseline index and the set of
// hashes written, once the run's result is built.
func (e *emitter) release() {
	if e == nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.extra.release()
	if e.base != nil {
		e.base.release()
	}
}

// freeze ends the main listing: extra is sorted for the catch-up's lookups.
func (e *emitter) freeze() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.extra.freeze()
	e.frozen = true
}

func (e *emitter) count(row report.Row) {
	c := &e.counts
	c.instances++
	inc(c.byService, str(row[colService]))
	inc(c.byRegion, str(row[colRegion]))
	group := str(row[colResourceGroupName])
	if group == "" {
		group = str(row[colResourceGroupID])
	}
	inc(c.byGroup, group)
	inc(c.byState, str(row[colState]))
	inc(c.byType, str(row[colType]))
	inc(c.byFamily, str(row[colFamily]))
	if len(stringList(row[colTags]))+len(stringList(row[colServiceTags]))+len(stringList(row[colAccessTags])) > 0 {
		c.tagged++
	}
	if row[colReclamationID] != nil {
		c.reclaimable++
	}
}

func changeRow(row report.Row, change string, fields []string) report.Row {
	c := maps.Clone(row)
	c[colRecord], c[colChange] = recordChange, change
	if len(fields) > 0 {
		c[colChangedFields] = strings.Join(fields, ",")
	}
	changeFinding.Fill(c)
	return c
}

// writeDeleted writes a change row for every previous instance not seen.
func (e *emitter) writeDeleted() error {
	if e.base == nil {
		return nil
	}
	return e.base.unseen(func(prev report.Row) error {
		if !e.sources[sourceOf(prev)] {
			return nil // this run did not list that source: not deleted
		}
		row := report.Row{}
		for _, col := range columns {
			if v, ok := prev[col]; ok && v != nil {
				row[col] = v
			}
		}
		e.mu.Lock()
		e.counts.deleted++
		e.mu.Unlock()
		return e.out.Write(changeRow(row, "deleted", nil))
	})
}

// sourceOf is a row's source; rows of reports before sources existed are
// Resource Controller's.
func sourceOf(r report.Row) string {
	if s := str(r["source"]); s != "" {
		return s
	}
	return SourceResourceController
}
