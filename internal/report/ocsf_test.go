package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

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

// validateOCSF checks one event against the required fields and enums.
func validateOCSF(ev map[string]any) []string {
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
	if v, _ := lookup(ev, "metadata.version"); !regexp.MustCompile(`^1\.\d+\.\d+$`).MatchString(fmt.Sprint(v)) {
		errs = append(errs, fmt.Sprintf("metadata.version %v is not an OCSF 1.x version", v))
	}
	if s, _ := lookup(ev, "compliance.standards"); len(s.([]any)) == 0 {
		errs = append(errs, "compliance.standards is empty")
	}
	return errs
}

func encodeOCSF(t *testing.T, rows []Row) []map[string]any {
	t.Helper()
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	e := &ocsfEncoder{now: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)}
	if err := e.begin(w, "posture", Schema{}); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if err := e.row(w, r, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.end(w, Summary{}); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	var out []map[string]any
	for i, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if line == "" {
			continue
		}
		var ev map[string]any
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("line %d is not a JSON object: %v\n%s", i+1, err, line)
		}
		out = append(out, ev)
	}
	return out
}

func TestOCSFComplianceFindings(t *testing.T) {
	rows := []Row{
		{"record": "control", "control": "CIS-IBM-1.0.0/1.5", "title": "Ensure no owner account API key exists", "status": "fail", "severity": "high", "reason": "the owner has 1 API key"},
		{"record": "evidence", "control": "CIS-IBM-1.0.0/1.5", "kind": "apikey", "id": "ApiKey-1", "name": "old", "detail": "owned by the account owner"},
		{"record": "control", "control": "CIS-IBM-1.0.0/1.13", "title": "support group", "status": "manual", "severity": "low", "reason": "waived: x", "waiver": "x"},
		{"record": "control", "control": "CIS-IBM-1.0.0/1.9", "title": "MFA", "status": "pass", "severity": "high"},
		{"record": "action", "action": "disable-apikey", "result": "would-do"}, // not a finding
		{"kind": "apikey", "id": "ApiKey-2", "status": "fail", "severity": "medium", "control": "", "detail": "older than 90 days"},
	}
	evs := encodeOCSF(t, rows)
	if len(evs) != 4 {
		t.Fatalf("%d events, want 4 (one per finding row)", len(evs))
	}
	for i, ev := range evs {
		if errs := validateOCSF(ev); len(errs) > 0 {
			t.Errorf("event %d invalid: %v", i, errs)
		}
	}
	first := evs[0]
	if v, _ := lookup(first, "compliance.status_id"); v != 3.0 {
		t.Errorf("fail maps to compliance.status_id %v, want 3", v)
	}
	if v, _ := lookup(first, "severity_id"); v != 4.0 {
		t.Errorf("high maps to severity_id %v, want 4", v)
	}
	if res, _ := lookup(first, "resources"); len(res.([]any)) != 1 {
		t.Errorf("the evidence row is not the finding's resource: %v", res)
	}
	if v, _ := lookup(first, "compliance.standards"); fmt.Sprint(v) != "[CIS IBM Cloud Foundations Benchmark v1.0.0]" {
		t.Errorf("standards %v", v)
	}
	if v, _ := lookup(evs[1], "status_id"); v != 3.0 {
		t.Errorf("a waived control's status_id %v, want 3 (Suppressed)", v)
	}
	if v, _ := lookup(evs[2], "status_id"); v != 4.0 {
		t.Errorf("a passing control's status_id %v, want 4 (Resolved)", v)
	}
	if v, _ := lookup(evs[3], "finding_info.uid"); v != "trustjob/posture/ApiKey-2" {
		t.Errorf("uid %v", v)
	}
}

// The validator itself catches what it should.
func TestValidateOCSFCatchesMissingFields(t *testing.T) {
	evs := encodeOCSF(t, []Row{{"status": "fail", "severity": "bogus"}})
	ev := evs[0]
	delete(ev["metadata"].(map[string]any), "version")
	ev["class_uid"] = 1.0
	errs := strings.Join(validateOCSF(ev), "; ")
	for _, want := range []string{"missing metadata.version", "class_uid", "type_uid"} {
		if !strings.Contains(errs, want) {
			t.Errorf("validator missed %q: %s", want, errs)
		}
	}
}
