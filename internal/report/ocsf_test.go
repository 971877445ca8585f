package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

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
		if errs := ValidateOCSF(ev); len(errs) > 0 {
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
	errs := strings.Join(ValidateOCSF(ev), "; ")
	for _, want := range []string{"missing metadata.version", "class_uid", "type_uid"} {
		if !strings.Contains(errs, want) {
			t.Errorf("validator missed %q: %s", want, errs)
		}
	}
}

// Whatever a task puts in its finding columns, an event is either left out
// or valid.
func FuzzOCSFEvent(f *testing.F) {
	f.Add("fail", "high", "CIS-IBM-1.0.0/1.5", "ApiKey-1", "title", "evidence")
	f.Add("pass", "bogus", "", "", "", "")
	f.Add("manual", "critical", "CIS-IBM-/", "x", "", "control")
	f.Fuzz(func(t *testing.T, status, severity, control, id, title, record string) {
		row := Row{"status": status, "severity": severity, "control": control, "id": id, "title": title, "record": record}
		var buf bytes.Buffer
		w := bufio.NewWriter(&buf)
		e := &ocsfEncoder{now: time.Unix(1, 0)}
		_ = e.begin(w, "task", Schema{})
		_ = e.row(w, Row{"status": "fail", "control": "CIS-IBM-1.0.0/1.1"}, nil) // a finding before an evidence row
		if err := e.row(w, row, nil); err != nil {
			t.Fatal(err)
		}
		if err := e.end(w, Summary{}); err != nil {
			t.Fatal(err)
		}
		w.Flush()
		for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
			var ev map[string]any
			if err := json.Unmarshal([]byte(line), &ev); err != nil {
				t.Fatalf("not JSON: %v: %s", err, line)
			}
			if errs := ValidateOCSF(ev); len(errs) > 0 {
				t.Fatalf("invalid event for %q: %v", row, errs)
			}
		}
	})
}
