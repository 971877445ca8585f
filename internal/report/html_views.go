package report

import (
	"bufio"
	"strings"
)

const fullReportHint = `this task's <code>latest.jsonl</code> and <code>latest.csv</code> (when configured)`

// findingTally counts the typed finding columns (control, severity,
// status) that tasks append to their rows: failing findings by severity and
// by control. Nil when the schema has no such columns.
type findingTally struct {
	severity, control *counter
	failing           int64
}

func newFindingTally(e *htmlEncoder) *findingTally {
	if !e.findings {
		return nil
	}
	return &findingTally{severity: newCounter(), control: newCounter()}
}

func (f *findingTally) add(r Row) {
	if f == nil || str(r["status"]) != "fail" {
		return
	}
	f.failing++
	f.severity.add(str(r["severity"]), 1)
	if c := str(r["control"]); c != "" {
		f.control.add(c, 1)
	}
}

// charts draws the failing findings by severity (most severe first) and by
// control, inside a charts grid.
func (f *findingTally) charts(w *bufio.Writer) {
	if f == nil || f.failing == 0 {
		return
	}
	barChart(w, "chart-severity", "Failing findings by severity", ordered(f.severity, "critical", "high", "medium", "low", "info"), f.severity.other, "Severity")
	if len(f.control.m) > 0 {
		barChart(w, "chart-control", "Failing findings by control", f.control.sorted(), f.control.other, "Control")
	}
}

// severityCell shows a finding's severity, coloured by weight, with its
// status when it does not fail (an exempt identity passes).
func severityCell(r Row) (string, string) {
	sev, st := str(r["severity"]), str(r["status"])
	if sev == "" {
		return "", ""
	}
	rank := map[string]string{"critical": "5", "high": "4", "medium": "3", "low": "2", "info": "1"}[sev]
	if st != "" && st != "fail" {
		return badge(st, "b-ok"), "0"
	}
	cls := ""
	switch sev {
	case "critical", "high":
		cls = "b-bad"
	case "medium":
		cls = "b-warn"
	}
	return badge(sev, cls), rank
}

// inventoryView: resource instances and the change report against the
// previous complete run.
type inventoryView struct {
	e                                  *htmlEncoder
	v                                  *values
	service, region, group, state, typ *counter
	changes, fields                    *counter
	instances, reclaimable, locked     int64
	changeT, instT                     *capTable
}

func newInventoryView(e *htmlEncoder, v *values) *inventoryView {
	iv := &inventoryView{e: e, v: v, service: newCounter(), region: newCounter(), group: newCounter(),
		state: newCounter(), typ: newCounter(), changes: newCounter(), fields: newCounter()}
	iv.changeT = &capTable{id: "changes", title: "Changes since the last complete run", limit: HTMLChangeRows, enc: e, cols: []tcol{
		{title: "Change", cell: func(r Row) (string, string) {
			c := str(r["change"])
			return badge(c, map[string]string{"created": "b-ok", "deleted": "b-bad", "changed": "b-warn"}[c]), c
		}},
		{title: "Name", cell: textCell(v, "name")},
		{title: "Changed fields", cell: func(r Row) (string, string) {
			var b strings.Builder
			b.WriteString(`<span class="chips">`)
			for f := range strings.SplitSeq(str(r["changed_fields"]), ",") {
				if f != "" {
					b.WriteString(`<code>` + esc(f) + `</code>`)
				}
			}
			b.WriteString(`</span>`)
			return b.String(), str(r["changed_fields"])
		}},
		{title: "Service", cell: textCell(v, "service")},
		{title: "Region", cell: textCell(v, "region")},
		{title: "Resource group", cell: groupCell(v)},
		{title: "State", cell: textCell(v, "state")},
		{title: "CRN", cell: monoCell(v, "crn")},
	}}
	iv.instT = &capTable{id: "instances", title: "Instances", limit: HTMLTableRows, enc: e, cols: []tcol{
		{title: "Name", cell: func(r Row) (string, string) {
			return `<span title="` + esc(v.text(r["crn"])) + `">` + esc(v.text(r["name"])) + `</span>`, ""
		}},
		{title: "Service", cell: textCell(v, "service")},
		{title: "Region", cell: textCell(v, "region")},
		{title: "Resource group", cell: groupCell(v)},
		{title: "State", cell: func(r Row) (string, string) {
			s := str(r["state"])
			cls := "b-warn"
			switch s {
			case "active", "provisioned":
				cls = "b-ok"
			case "removed", "failed", "pending_reclamation":
				cls = "b-bad"
			}
			return badge(s, cls), s
		}},
		{title: "Type", cell: textCell(v, "type")},
		{title: "Created", cell: dateCell(v, "created_at")},
		{title: "Updated", cell: dateCell(v, "updated_at")},
		{title: "Locked", cell: boolCell("locked", "locked")},
		{title: "Reclaim at", cell: dateCell(v, "reclaim_at")},
		{title: "Tags", cell: func(r Row) (string, string) {
			var tags []string
			for _, k := range []string{"tags", "service_tags", "access_tags"} {
				tags = append(tags, stringsOf(r[k])...)
			}
			var b strings.Builder
			b.WriteString(`<span class="chips">`)
			for _, t := range tags {
				b.WriteString(`<span class="badge">` + esc(t) + `</span>`)
			}
			b.WriteString(`</span>`)
			return b.String(), strings.Join(tags, " ")
		}},
	}}
	return iv
}

func groupCell(v *values) func(Row) (string, string) {
	return func(r Row) (string, string) {
		name := v.text(r["resource_group_name"])
		if name == "" {
			name = v.text(r["resource_group_id"])
		}
		return `<span title="` + esc(v.text(r["resource_group_id"])) + `">` + esc(name) + `</span>`, name
	}
}

func stringsOf(x any) []string {
	switch x := x.(type) {
	case []string:
		return x
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			out = append(out, str(e))
		}
		return out
	}
	return nil
}

func (iv *inventoryView) kind() string        { return "Inventory" }
func (iv *inventoryView) tables() []*capTable { return []*capTable{iv.changeT, iv.instT} }

func (iv *inventoryView) row(r Row) error {
	if str(r["record"]) == "change" {
		c := str(r["change"])
		iv.changes.add(c, 1)
		for f := range strings.SplitSeq(str(r["changed_fields"]), ",") {
			if f != "" {
				iv.fields.add(f, 1)
			}
		}
		return iv.changeT.add(r)
	}
	iv.instances++
	iv.service.add(str(r["service"]), 1)
	iv.region.add(str(r["region"]), 1)
	g := str(r["resource_group_name"])
	if g == "" {
		g = str(r["resource_group_id"])
	}
	iv.group.add(g, 1)
	iv.state.add(str(r["state"]), 1)
	iv.typ.add(str(r["type"]), 1)
	if r["reclamation_id"] != nil && str(r["reclamation_id"]) != "" {
		iv.reclaimable++
	}
	if truthy(r["locked"]) {
		iv.locked++
	}
	return iv.instT.add(r)
}

func (iv *inventoryView) body(w *bufio.Writer, sum Summary) error {
	// Without a previous report there is nothing to compare: no change
	// totals rather than zeros that look like "nothing changed".
	note := str(sum["baseline"])
	compared := iv.changeT.n > 0 || (note != "" && !strings.HasPrefix(note, "none"))
	cards := []card{
		{label: "instances", value: iv.instances},
		{label: "services", value: int64(len(iv.service.m))},
		{label: "regions", value: int64(len(iv.region.m))},
		{label: "resource groups", value: int64(len(iv.group.m))},
	}
	if compared {
		cards = append(cards,
			card{label: "created since last run", value: iv.changes.m["created"], class: cls(iv.changes.m["created"], "ok")},
			card{label: "deleted since last run", value: iv.changes.m["deleted"], class: cls(iv.changes.m["deleted"], "bad")},
			card{label: "changed since last run", value: iv.changes.m["changed"], class: cls(iv.changes.m["changed"], "warn")})
	}
	cards = append(cards, card{label: "pending reclamation", value: iv.reclaimable, class: cls(iv.reclaimable, "warn")})
	writeCards(w, "Totals", cards)
	switch {
	case compared && note != "":
		iv.changeT.note = "Compared with: " + esc(shortPath(note)) + "."
	case !compared && note != "":
		iv.changeT.note = "Nothing to compare with: " + esc(note) + ". The next run reports what changed since this one."
	}
	if iv.changeT.n > 0 {
		iv.changeT.intro = func(w *bufio.Writer) {
			w.WriteString(`<div class="charts" style="margin-bottom:14px">`)
			barChart(w, "chart-changes", "Changes by kind", ordered(iv.changes, "created", "deleted", "changed"), 0, "Change")
			if len(iv.fields.m) > 0 {
				barChart(w, "chart-fields", "Changed fields", iv.fields.sorted(), iv.fields.other, "Field")
			}
			w.WriteString("</div>\n")
		}
	}
	if err := iv.changeT.render(w, "changes", fullReportHint); err != nil {
		return err
	}
	w.WriteString(`<section aria-labelledby="s-charts"><h2 id="s-charts">Where the instances are</h2><div class="charts">`)
	barChart(w, "chart-service", "By service", iv.service.sorted(), iv.service.other, "Service")
	barChart(w, "chart-region", "By region", iv.region.sorted(), iv.region.other, "Region")
	barChart(w, "chart-group", "By resource group", iv.group.sorted(), iv.group.other, "Resource group")
	barChart(w, "chart-state", "By state", iv.state.sorted(), iv.state.other, "State")
	w.WriteString("</div></section>\n")
	return iv.instT.render(w, "instances", fullReportHint)
}

// shortPath keeps the last two elements of a path (task/latest.jsonl): the
// page may be read far from the machine that wrote it.
func shortPath(s string) string {
	if strings.ContainsAny(s, " ") || !strings.Contains(s, "/") {
		return s
	}
	parts := strings.Split(s, "/")
	if len(parts) > 2 {
		parts = parts[len(parts)-2:]
	}
	return strings.Join(parts, "/")
}

func cls(n int64, c string) string {
	if n > 0 {
		return c
	}
	return ""
}

// ordered lists the given keys first, in that order, then any others.
func ordered(c *counter, keys ...string) []kv {
	var out []kv
	seen := map[string]bool{}
	for _, k := range keys {
		if n, ok := c.m[k]; ok {
			out = append(out, kv{k, n})
			seen[k] = true
		}
	}
	for _, it := range c.sorted() {
		if !seen[it.k] {
			out = append(out, it)
		}
	}
	return out
}

// identityView: inactive identities, exemptions and the actions' audit trail.
type identityView struct {
	e                       *htmlEncoder
	v                       *values
	kinds, never, ages      *counter
	results, actionsByKind  *counter
	identities, exempt      int64
	neverUsed               int64
	actT, exT, neverT, allT *capTable
	findings                *findingTally
}

// ageBuckets are the histogram's bins of days since last use (or since
// creation for identities never used).
var ageBuckets = []struct {
	label string
	upTo  int64 // exclusive; 0 is open-ended
}{
	{"under 90 days", 90}, {"90–179 days", 180}, {"180–364 days", 365}, {"1–2 years", 730}, {"2 years or more", 0},
}

func ageBucket(days int64) string {
	for _, b := range ageBuckets {
		if b.upTo == 0 || days < b.upTo {
			return b.label
		}
	}
	return ageBuckets[len(ageBuckets)-1].label
}

func newIdentityView(e *htmlEncoder, v *values) *identityView {
	iv := &identityView{e: e, v: v, kinds: newCounter(), never: newCounter(), ages: newCounter(),
		results: newCounter(), actionsByKind: newCounter(), findings: newFindingTally(e)}
	kindCol := tcol{title: "Kind", cell: textCell(v, "kind")}
	nameCol := tcol{title: "Name", cell: textCell(v, "name")}
	idCol := tcol{title: "ID", cell: monoCell(v, "id")}
	ownerCol := tcol{title: "Owner", cell: textCell(v, "owner")}
	daysCol := tcol{title: "Days unused", num: true, cell: numCell(v, "inactive_days")}
	lastCol := tcol{title: "Last used", cell: func(r Row) (string, string) {
		if truthy(r["never_used"]) {
			return badge("never", "b-warn"), ""
		}
		return dateCell(v, "last_authn")(r)
	}}
	iv.actT = &capTable{id: "actions", title: "Actions (audit trail)", limit: HTMLChangeRows, enc: e, cols: []tcol{
		{title: "Result", cell: func(r Row) (string, string) {
			s := str(r["result"])
			return badge(s, resultClass(s)), s
		}},
		{title: "Action", cell: monoCell(v, "action")}, kindCol, nameCol, ownerCol, daysCol,
		{title: "Detail", cell: func(r Row) (string, string) { return `<span class="wrap">` + esc(v.text(r["detail"])) + `</span>`, "" }},
		idCol,
	}}
	iv.exT = &capTable{id: "exempt", title: "Exemptions", limit: HTMLTableRows, enc: e,
		note: "Inactive identities that trustjob reports but never acts on, and why.",
		cols: []tcol{kindCol, nameCol, idCol, ownerCol, daysCol, lastCol,
			{title: "Reason", cell: func(r Row) (string, string) {
				return `<span class="wrap">` + esc(v.text(r["exempt_reason"])) + `</span>`, ""
			}}}}
	iv.neverT = &capTable{id: "never", title: "Never used", limit: HTMLTableRows, enc: e,
		note: "No recorded authentication since they were created; days count from creation.",
		cols: []tcol{kindCol, nameCol, idCol, ownerCol, {title: "Created", cell: dateCell(v, "created_at")}, daysCol,
			{title: "Exempt", cell: boolCell("exempt", "exempt")}}}
	allCols := []tcol{kindCol, nameCol, idCol, ownerCol, lastCol, daysCol}
	if e.findings {
		allCols = append(allCols, tcol{title: "Severity", cell: severityCell},
			tcol{title: "Control", cell: monoCell(v, "control")})
	}
	iv.allT = &capTable{id: "identities", title: "All inactive identities", limit: HTMLTableRows, enc: e,
		cols: append(allCols,
			tcol{title: "Exempt", cell: boolCell("exempt", "exempt")},
			tcol{title: "State", cell: func(r Row) (string, string) {
				var parts []string
				if truthy(r["disabled"]) {
					parts = append(parts, badge("disabled", "b-info"))
				}
				if truthy(r["locked"]) {
					parts = append(parts, badge("locked", "b-info"))
				}
				return strings.Join(parts, " "), ""
			}})}
	return iv
}

// resultClass colours an action result: taken (green), would be taken
// (blue), failed or unknown (red), held back by a cap (amber).
func resultClass(s string) string {
	switch s {
	case "done":
		return "b-ok"
	case "would-do":
		return "b-info"
	case "failed", "unknown":
		return "b-bad"
	case "blocked":
		return "b-warn"
	}
	return ""
}

func (iv *identityView) kind() string { return "Inactive identities" }
func (iv *identityView) tables() []*capTable {
	return []*capTable{iv.actT, iv.exT, iv.neverT, iv.allT}
}

func (iv *identityView) row(r Row) error {
	if str(r["record"]) == "action" {
		iv.results.add(str(r["result"]), 1)
		iv.actionsByKind.add(str(r["action"]), 1)
		return iv.actT.add(r)
	}
	iv.identities++
	iv.findings.add(r)
	kind := str(r["kind"])
	iv.kinds.add(kind, 1)
	if d, ok := intOf(r["inactive_days"]); ok {
		iv.ages.add(ageBucket(d), 1)
	}
	if truthy(r["never_used"]) {
		iv.neverUsed++
		iv.never.add(kind, 1)
		if err := iv.neverT.add(r); err != nil {
			return err
		}
	}
	if truthy(r["exempt"]) {
		iv.exempt++
		if err := iv.exT.add(r); err != nil {
			return err
		}
	}
	return iv.allT.add(r)
}

func (iv *identityView) body(w *bufio.Writer, _ Summary) error {
	res := iv.results.m
	// The typed findings say what fails; without them, every identity that
	// is not exempt is a finding.
	failing := iv.identities - iv.exempt
	if iv.findings != nil {
		failing = iv.findings.failing
	}
	writeCards(w, "Totals", []card{
		{label: "inactive identities", value: iv.identities},
		{label: "failing findings", value: failing, class: cls(failing, "bad")},
		{label: "exempt", value: iv.exempt},
		{label: "never used", value: iv.neverUsed, class: cls(iv.neverUsed, "warn")},
		{label: "actions done", value: res["done"], class: cls(res["done"], "ok")},
		{label: "actions that would run", value: res["would-do"]},
		{label: "actions failed", value: res["failed"], class: cls(res["failed"], "bad")},
		{label: "actions unknown", value: res["unknown"], class: cls(res["unknown"], "bad")},
	})
	w.WriteString(`<section aria-labelledby="s-charts"><h2 id="s-charts">Who is inactive, and for how long</h2><div class="charts">`)
	barChart(w, "chart-kind", "Inactive identities by kind", iv.kinds.sorted(), iv.kinds.other, "Kind")
	var ages []kv
	for _, b := range ageBuckets {
		ages = append(ages, kv{b.label, iv.ages.m[b.label]})
	}
	barChart(w, "chart-age", "How long unused", ages, 0, "Unused for")
	barChart(w, "chart-never", "Never used, by kind", iv.never.sorted(), iv.never.other, "Kind")
	iv.findings.charts(w)
	if iv.actT.n > 0 {
		barChart(w, "chart-results", "Actions by result", ordered(iv.results, "done", "would-do", "failed", "unknown", "blocked"), iv.results.other, "Result")
	} else {
		iv.actT.note = "No action was planned: none is configured (options.actions) or none qualified. The identities are reported only."
	}
	w.WriteString("</div></section>\n")
	for _, t := range iv.tables() {
		what := "rows"
		if t == iv.actT {
			what = "actions"
		}
		if err := t.render(w, what, fullReportHint); err != nil {
			return err
		}
	}
	return nil
}

// genericView: any other task, one table of its Schema's columns.
type genericView struct {
	records  *counter
	t        *capTable
	findings *findingTally
}

func newGenericView(e *htmlEncoder, v *values, s Schema) *genericView {
	g := &genericView{records: newCounter(), findings: newFindingTally(e)}
	var cols []tcol
	for _, c := range s.Columns {
		cols = append(cols, tcol{title: c, cell: textCell(v, c)})
	}
	g.t = &capTable{id: "rows", title: "Rows", limit: HTMLTableRows, enc: e, cols: cols}
	return g
}

func (g *genericView) kind() string        { return "Report" }
func (g *genericView) tables() []*capTable { return []*capTable{g.t} }
func (g *genericView) row(r Row) error {
	if rec, ok := r["record"]; ok {
		g.records.add(str(rec), 1)
	}
	g.findings.add(r)
	return g.t.add(r)
}

func (g *genericView) body(w *bufio.Writer, _ Summary) error {
	if len(g.records.m) > 1 || (g.findings != nil && g.findings.failing > 0) {
		w.WriteString(`<div class="charts">`)
		if len(g.records.m) > 1 {
			barChart(w, "chart-record", "Rows by record", g.records.sorted(), g.records.other, "Record")
		}
		g.findings.charts(w)
		w.WriteString("</div>\n")
	}
	return g.t.render(w, "rows", fullReportHint)
}
