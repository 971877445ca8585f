package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// The ocsf format writes a task's findings as OCSF Compliance Finding events
// (class 2003), one JSON object per line, for SIEMs and security lakes.
//
// A row is a finding when it has a "status" column (pass, fail, manual,
// error): the columns every task's typed findings fill, with "control" and
// "severity". Rows whose "record" is "evidence" are the identities and
// settings behind the finding before them and become its resources. Other
// rows (inventory rows, action rows) are not findings and are left out.
//
// OCSFVersion is the schema version the events follow; the fields the schema
// requires are checked by ValidateOCSF.
const OCSFVersion = "1.3.0"

// OCSF class and enum values (schema.ocsf.io, events/findings/compliance_finding).
const (
	ocsfCategoryFindings = 2
	ocsfClassCompliance  = 2003
	ocsfActivityCreate   = 1
	ocsfTypeCreate       = ocsfClassCompliance*100 + ocsfActivityCreate
)

type ocsfEncoder struct {
	task    string
	now     time.Time
	pending map[string]any
	res     []map[string]any
}

func (e *ocsfEncoder) begin(_ *bufio.Writer, task string, _ Schema) error {
	e.task = task
	if e.now.IsZero() {
		e.now = time.Now()
	}
	return nil
}

func (e *ocsfEncoder) row(w *bufio.Writer, r Row, _ []byte) error {
	status, _ := r["status"].(string)
	if rec, _ := r["record"].(string); rec == "evidence" {
		if e.pending != nil {
			e.res = append(e.res, ocsfResource(r))
		}
		return nil
	}
	if status == "" {
		return nil
	}
	if err := e.flush(w); err != nil {
		return err
	}
	e.pending = e.event(r, status)
	if id, _ := r["id"].(string); id != "" {
		e.res = append(e.res, ocsfResource(r))
	}
	return nil
}

func (e *ocsfEncoder) end(w *bufio.Writer, _ Summary) error { return e.flush(w) }

func (e *ocsfEncoder) flush(w *bufio.Writer) error {
	if e.pending == nil {
		return nil
	}
	if len(e.res) > 0 {
		e.pending["resources"] = e.res
	}
	b, err := json.Marshal(e.pending)
	e.pending, e.res = nil, nil
	if err != nil {
		return fmt.Errorf("encode OCSF event: %w", err)
	}
	w.Write(b)
	return w.WriteByte('\n')
}

var ocsfSeverity = map[string]int{"info": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}

var ocsfSeverityName = map[int]string{0: "Unknown", 1: "Informational", 2: "Low", 3: "Medium", 4: "High", 5: "Critical"}

// ocsfCompliance maps a status to compliance.status_id: Pass 1, Warning 2
// (no result: manual or error), Fail 3.
var ocsfCompliance = map[string]struct {
	id   int
	name string
}{"pass": {1, "Pass"}, "fail": {3, "Fail"}, "manual": {2, "Warning"}, "error": {2, "Warning"}}

// event builds the Compliance Finding of one finding row.
func (e *ocsfEncoder) event(r Row, status string) map[string]any {
	str := func(k string) string { s, _ := r[k].(string); return s }
	control := str("control")
	sev := ocsfSeverity[str("severity")]
	title := str("title")
	if title == "" {
		title = strings.TrimSpace(control + " " + str("name"))
	}
	if title == "" {
		title = e.task
	}
	reason := str("reason")
	if reason == "" {
		reason = str("detail")
	}
	uid := "trustjob/" + e.task
	if control != "" {
		uid += "/" + control
	}
	if id := str("id"); id != "" {
		uid += "/" + id
	}
	cs, ok := ocsfCompliance[status]
	if !ok {
		cs.id, cs.name = 99, status
	}
	comp := map[string]any{"standards": ocsfStandards(control, e.task), "status_id": cs.id, "status": cs.name}
	if control != "" {
		comp["control"] = control
	}
	if reason != "" {
		comp["status_detail"] = reason
	}
	// Finding lifecycle: a pass is resolved, a waived control suppressed,
	// everything else new.
	lifeID, life := 1, "New"
	switch {
	case str("waiver") != "":
		lifeID, life = 3, "Suppressed"
	case status == "pass":
		lifeID, life = 4, "Resolved"
	}
	ms := e.now.UnixMilli()
	ev := map[string]any{
		"activity_id": ocsfActivityCreate, "activity_name": "Create",
		"category_uid": ocsfCategoryFindings, "category_name": "Findings",
		"class_uid": ocsfClassCompliance, "class_name": "Compliance Finding",
		"type_uid": ocsfTypeCreate, "type_name": "Compliance Finding: Create",
		"severity_id": sev, "severity": ocsfSeverityName[sev],
		"status_id": lifeID, "status": life,
		"time": ms,
		"metadata": map[string]any{
			"version":  OCSFVersion,
			"product":  map[string]any{"name": "trustjob", "vendor_name": "trustjob"},
			"log_name": e.task,
		},
		"finding_info": map[string]any{"uid": uid, "title": title, "created_time": ms},
		"compliance":   comp,
		"cloud":        map[string]any{"provider": "IBM"},
		"unmapped":     map[string]any(r),
	}
	if reason != "" {
		ev["message"] = reason
		ev["finding_info"].(map[string]any)["desc"] = reason
	}
	return ev
}

// ocsfStandards names the standard of a control id such as
// CIS-IBM-1.0.0/1.5; other findings are trustjob's own checks.
func ocsfStandards(control, task string) []string {
	if v, ok := strings.CutPrefix(control, "CIS-IBM-"); ok {
		if ver, _, ok := strings.Cut(v, "/"); ok {
			return []string{"CIS IBM Cloud Foundations Benchmark v" + ver}
		}
	}
	return []string{"trustjob " + task}
}

// ocsfResource is an evidence row (or a finding row's own subject) as an
// OCSF resource_details object.
func ocsfResource(r Row) map[string]any {
	str := func(k string) string { s, _ := r[k].(string); return s }
	res := map[string]any{"uid": str("id"), "type": str("kind")}
	if n := str("name"); n != "" {
		res["name"] = n
	}
	if d := str("detail"); d != "" {
		res["data"] = map[string]any{"detail": d}
	}
	return res
}

// ocsfRequired is what OCSF 1.x requires of a Compliance Finding (class
// 2003), as the schema's JSON files state it (github.com/ocsf/ocsf-schema:
// events/base_event.json, events/findings/finding.json,
// events/findings/compliance_finding.json, objects/metadata.json,
// objects/product.json, objects/finding_info.json, objects/compliance.json,
// objects/cloud.json): every path must be present with a value of the given
// JSON kind. product.vendor_name is required in some 1.x releases and name in
// others, so both are required here.
var ocsfRequired = map[string]string{
	"activity_id":                  "number",
	"category_uid":                 "number",
	"class_uid":                    "number",
	"type_uid":                     "number",
	"severity_id":                  "number",
	"time":                         "number",
	"metadata":                     "object",
	"metadata.version":             "string",
	"metadata.product":             "object",
	"metadata.product.name":        "string",
	"metadata.product.vendor_name": "string",
	"finding_info":                 "object",
	"finding_info.uid":             "string",
	"finding_info.title":           "string",
	"compliance":                   "object",
	"compliance.standards":         "array",
	"cloud.provider":               "string",
}

// ocsfEnums are the enum values the schema defines for the fields we set.
var ocsfEnums = map[string][]float64{
	"activity_id":          {0, 1, 2, 3, 99},
	"category_uid":         {2},
	"class_uid":            {2003},
	"severity_id":          {0, 1, 2, 3, 4, 5, 6, 99},
	"status_id":            {0, 1, 2, 3, 4, 5, 6, 99},
	"compliance.status_id": {0, 1, 2, 3, 99},
}

func lookup(ev map[string]any, path string) (any, bool) {
	var cur any = ev
	for _, p := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[p]; !ok {
			return nil, false
		}
	}
	return cur, true
}

func kind(v any) string {
	switch v.(type) {
	case float64:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	case bool:
		return "bool"
	}
	return "null"
}

// ValidateOCSF checks one event (decoded JSON) against the fields OCSF 1.x
// requires of a Compliance Finding and the enums it defines; it returns
// every problem. Tests of the tasks that report findings use it.
func ValidateOCSF(ev map[string]any) []string {
	var errs []string
	for path, want := range ocsfRequired {
		v, ok := lookup(ev, path)
		if !ok {
			errs = append(errs, "missing "+path)
			continue
		}
		if k := kind(v); k != want {
			errs = append(errs, fmt.Sprintf("%s is %s, want %s", path, k, want))
		}
		if s, ok := v.(string); ok && s == "" {
			errs = append(errs, path+" is empty")
		}
	}
	for path, vals := range ocsfEnums {
		v, ok := lookup(ev, path)
		if !ok {
			continue
		}
		f, _ := v.(float64)
		found := false
		for _, x := range vals {
			found = found || f == x
		}
		if !found {
			errs = append(errs, fmt.Sprintf("%s = %v, not in the schema's enum %v", path, v, vals))
		}
	}
	cls, _ := lookup(ev, "class_uid")
	act, _ := lookup(ev, "activity_id")
	typ, _ := lookup(ev, "type_uid")
	if c, a, t := cls.(float64), act.(float64), typ.(float64); t != c*100+a {
		errs = append(errs, fmt.Sprintf("type_uid %v != class_uid*100+activity_id", t))
	}
	if v, _ := lookup(ev, "metadata.version"); !ocsfVersionRE.MatchString(fmt.Sprint(v)) {
		errs = append(errs, fmt.Sprintf("metadata.version %v is not an OCSF 1.x version", v))
	}
	if s, _ := lookup(ev, "compliance.standards"); len(s.([]any)) == 0 {
		errs = append(errs, "compliance.standards is empty")
	}
	return errs
}

var ocsfVersionRE = regexp.MustCompile(`^1\.\d+\.\d+$`)
