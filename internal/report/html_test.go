package report

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

var (
	invSchema = Schema{Columns: []string{"record", "change", "changed_fields", "crn", "guid", "name", "service", "region",
		"resource_group_id", "resource_group_name", "resource_plan_id", "state", "type", "created_at", "created_by",
		"updated_at", "locked", "tags", "service_tags", "access_tags", "reclamation_id", "reclaim_at"}}
	idSchema = Schema{Columns: []string{"record", "kind", "id", "iam_id", "name", "owner", "created_at", "last_authn",
		"never_used", "inactive_days", "locked", "disabled", "exempt", "exempt_reason", "action", "result", "detail",
		"control", "severity", "status"}}
)

func invRow(i int, service, region, group, state string) Row {
	return Row{"record": "instance", "crn": fmt.Sprintf("crn:v1:bluemix:public:%s:%s:a/acc:%04d::", service, region, i),
		"guid": fmt.Sprintf("g-%04d", i), "name": fmt.Sprintf("%s-%04d", service, i), "service": service, "region": region,
		"resource_group_id": "rg-" + group, "resource_group_name": group, "state": state, "type": "service_instance",
		"created_at": testNow.Add(-time.Duration(i) * 24 * time.Hour), "updated_at": testNow, "locked": i%7 == 0,
		"tags": []string{"env:" + group}, "service_tags": []string{}, "access_tags": nil}
}

func inventoryRows() []Row {
	services := []string{"cloud-object-storage", "kms", "databases-for-postgresql", "is", "logdna"}
	regions := []string{"us-south", "eu-de", "global"}
	// The awkward one first: markup in a name from the account.
	evil := invRow(99, "kms", "eu-de", "prod", "active")
	evil["name"] = `<script>alert("x")</script>" onmouseover="x`
	rows := []Row{evil}
	for i := range 30 {
		rows = append(rows, invRow(i, services[i%len(services)], regions[i%len(regions)], []string{"prod", "dev"}[i%2], []string{"active", "active", "removed"}[i%3]))
	}
	created := invRow(30, "kms", "us-south", "dev", "active")
	created["record"], created["change"] = "change", "created"
	changed := invRow(3, "is", "us-south", "prod", "active")
	changed["record"], changed["change"], changed["changed_fields"] = "change", "changed", "name,tags"
	deleted := invRow(77, "logdna", "eu-de", "dev", "active")
	deleted["record"], deleted["change"] = "change", "deleted"
	return append(rows, created, changed, deleted)
}

func identityRows() []Row {
	id := func(kind, name string, days int, never, exempt bool, reason string) Row {
		r := Row{"record": "identity", "kind": kind, "id": kind + "-" + name, "iam_id": "iam-" + name, "name": name,
			"owner": "owner-" + name, "created_at": "2024-01-01T00:00:00Z", "never_used": never, "inactive_days": days,
			"exempt": exempt, "exempt_reason": reason, "locked": false, "disabled": false}
		if !never {
			r["last_authn"] = "2025-01-01T00:00:00Z"
		} else {
			r["last_authn"] = ""
		}
		r["severity"], r["status"] = "low", "fail"
		switch kind {
		case "apikey":
			r["control"], r["severity"] = "CIS-IBM-1.0.0/1.2", "medium"
		case "user":
			r["control"], r["severity"] = "CIS-IBM-1.0.0/1.17", "medium"
		}
		if exempt {
			r["status"] = "pass"
		}
		return r
	}
	act := func(r Row, action, result, detail string) Row {
		a := Row{}
		for k, v := range r {
			a[k] = v
		}
		a["record"], a["action"], a["result"], a["detail"] = "action", action, result, detail
		return a
	}
	k1 := id("apikey", "ci-key", 400, false, false, "")
	k2 := id("apikey", "old-key", 800, true, false, "")
	k3 := id("apikey", "drill-key", 200, false, true, "restore drill key")
	return []Row{
		act(k1, "disable-apikey", "done", "disabled"),
		act(k2, "disable-apikey", "failed", "409 conflict"),
		act(k3, "disable-apikey", "skipped-exempt", "restore drill key"),
		act(id("serviceid", "etl", 120, false, false, ""), "lock-serviceid", "would-do", "dry-run: no request made"),
		act(id("serviceid", "lost", 150, false, false, ""), "lock-serviceid", "unknown", "no answer before the deadline"),
		k1, k2, k3,
		id("user", "alice@example.com", 95, false, false, ""),
		id("user", "bob@example.com", 365, true, false, ""),
		id("serviceid", "etl", 120, false, false, ""),
		id("serviceid", "lost", 150, false, false, ""),
		id("profile", "reader", 600, true, true, `name matches "monitoring-*"`),
	}
}

// writeHTML writes rows as an html report and returns the page.
func writeHTML(t testing.TB, dir, task string, s Schema, rows []Row, sum Summary, complete bool) string {
	t.Helper()
	run, err := NewRun(Options{Dir: dir, Formats: []string{"html"}, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := run.Task(task, s)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if err := tr.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	tr.SetSummary(sum)
	if _, err := tr.Close(complete); err != nil {
		t.Fatal(err)
	}
	name := "latest.html"
	if !complete {
		name = testNow.UTC().Format(StampLayout) + ".incomplete.html"
	}
	b, err := os.ReadFile(filepath.Join(dir, task, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var (
	styleRE  = regexp.MustCompile(`(?s)<style>.*?</style>`)
	scriptRE = regexp.MustCompile(`(?s)<script>.*?</script>`)
	cspRE    = regexp.MustCompile(`script-src 'sha256-[^']+'`)
)

// structure drops the stylesheet, the script and its hash, so the golden
// files pin the page's structure and data, not its look.
func structure(page string) string {
	page = styleRE.ReplaceAllString(page, "<style>…</style>")
	page = scriptRE.ReplaceAllString(page, "<script>…</script>")
	return cspRE.ReplaceAllString(page, "script-src 'sha256-…'")
}

func TestHTMLGolden(t *testing.T) {
	for _, tc := range []struct {
		name     string
		schema   Schema
		rows     []Row
		sum      Summary
		complete bool
	}{
		{"inventory", invSchema, inventoryRows(), Summary{"instances": 31, "baseline": "latest.jsonl of the run before"}, true},
		{"identities", idSchema, identityRows(), Summary{"findings": 6, "actions_taken": 1}, true},
		{"generic", testSchema, awkwardRows(), testSummary(true), true},
		{"incomplete", invSchema, inventoryRows()[:3], Summary{"instances": 3}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			got := structure(writeHTML(t, dir, "task", tc.schema, tc.rows, tc.sum, tc.complete))
			golden := filepath.Join("testdata", "html-"+tc.name+".html.golden")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if got != string(want) {
				t.Errorf("html differs from %s (go test ./internal/report -run TestHTMLGolden -update); got:\n%s", golden, got)
			}
			assertNoSpill(t, filepath.Join(dir, "task"))
		})
	}
}

func assertNoSpill(t *testing.T, dir string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
}

// TestHTMLContent checks what the golden files hold in words: counts, caps,
// escaping, the security policy, and which sections come first.
func TestHTMLContent(t *testing.T) {
	defer setCaps(5, 2)()
	page := writeHTML(t, t.TempDir(), "inv", invSchema, inventoryRows(), Summary{}, true)
	for _, want := range []string{
		`data-rows="5" data-total="31"`,                                         // instance table capped
		`Showing the first <strong>5</strong> of <strong>31</strong> instances`, // and says so
		`data-rows="2" data-total="3"`,                                          // change table capped at its own cap
		`<code>latest.jsonl</code>`,                                             // points at the full report
		`data-label="kms" data-value="7"`,                                       // 6 + the awkward row
		`&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&#34; onmouseover=&#34;x`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if n := strings.Count(page, "<script"); n != 1 {
		t.Errorf("%d script elements, want only trustjob's", n)
	}
	for _, bad := range []string{"http://", "https://", "@import", "url("} {
		if strings.Contains(page, bad) {
			t.Errorf("page refers to the network: %q", bad)
		}
	}
	sum := sha256.Sum256([]byte(htmlJS))
	if !strings.Contains(page, "script-src 'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'") {
		t.Error("CSP does not allow the page's script by hash")
	}
	// Changes come before the charts, the charts before the instance table.
	c, ch, in := strings.Index(page, `id="changes"`), strings.Index(page, `id="chart-service"`), strings.Index(page, `id="instances"`)
	if c < 0 || !(c < ch && ch < in) {
		t.Errorf("section order: changes %d, charts %d, instances %d", c, ch, in)
	}
}

// Typed findings (control, severity, status) are charted: failing only,
// most severe first, and by control.
func TestHTMLFindings(t *testing.T) {
	page := writeHTML(t, t.TempDir(), "ids", idSchema, identityRows(), Summary{}, true)
	for _, want := range []string{
		`data-label="medium" data-value="4"`, `data-label="low" data-value="2"`,
		`data-label="CIS-IBM-1.0.0/1.2" data-value="2"`, `data-label="CIS-IBM-1.0.0/1.17" data-value="2"`,
		`<span class="badge b-ok">pass</span>`, // the exempt identities pass
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if i, j := strings.Index(page, `data-label="medium"`), strings.Index(page, `data-label="low" data-value="2"`); i < 0 || j < i {
		t.Error("severities not ordered most severe first")
	}
}

func setCaps(table, changes int64) func() {
	t0, c0 := HTMLTableRows, HTMLChangeRows
	HTMLTableRows, HTMLChangeRows = table, changes
	return func() { HTMLTableRows, HTMLChangeRows = t0, c0 }
}

func TestHTMLBarChartOthers(t *testing.T) {
	var rows []Row
	for i := range 40 { // 20 services, the first with 21 instances
		rows = append(rows, invRow(i, fmt.Sprintf("svc-%02d", i%20), "eu-de", "prod", "active"))
	}
	page := writeHTML(t, t.TempDir(), "inv", invSchema, rows, Summary{}, true)
	chart := page[strings.Index(page, `id="chart-service"`):]
	chart = chart[:strings.Index(chart, "</figure>")]
	if n := strings.Count(chart, `<rect class="bar"`); n != htmlBars {
		t.Errorf("%d bars, want %d", n, htmlBars)
	}
	if !strings.Contains(chart, `data-label="8 other values" data-value="16"`) {
		t.Errorf("no bar summing the other 8 services:\n%s", chart)
	}
}

func TestHTMLAbortRemovesSpill(t *testing.T) {
	dir := t.TempDir()
	run, err := NewRun(Options{Dir: dir, Formats: []string{"html", "jsonl"}, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := run.Task("inv", invSchema)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range inventoryRows() {
		if err := tr.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	tr.Abort()
	entries, _ := os.ReadDir(filepath.Join(dir, "inv"))
	if len(entries) != 0 {
		t.Errorf("files left after Abort: %v", entries)
	}
}

func TestIndexAndHistory(t *testing.T) {
	dir := t.TempDir()
	summary := func(i int, findings, instances int64) map[string]any {
		return map[string]any{"run_id": fmt.Sprint("run", i), "started": testNow.Add(time.Duration(i) * time.Hour), "status": "findings",
			"tasks": []map[string]any{
				{"findings": 0, "summary": map[string]any{"instances": instances}},
				{"findings": findings},
			}}
	}
	for i := range HistoryKeep + 3 {
		if err := KeepHistory(dir, Stamp(testNow.Add(time.Duration(i)*time.Hour), ""), summary(i, int64(i%5), int64(100+i))); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(dir, HistoryDir, "29991231T000000Z.json"), []byte("{not json"), 0o644)
	files, _ := historyFiles(filepath.Join(dir, HistoryDir))
	if len(files) != HistoryKeep+1 {
		t.Errorf("%d history files, want %d kept plus the bad one", len(files), HistoryKeep)
	}
	pts, err := DirHistory{Dir: dir}.Recent(context.Background(), 4)
	if err != nil {
		t.Fatal(err)
	}
	// The unreadable newest file is skipped, not fatal.
	if len(pts) != 3 || pts[2].RunID != fmt.Sprint("run", HistoryKeep+2) || pts[2].Instances != int64(100+HistoryKeep+2) || !pts[2].HasInstances {
		t.Errorf("recent runs: %+v", pts)
	}

	f := int64(3)
	run := RunIndex{RunID: "r1", Version: "1.2.3", Account: "acc", ProfileName: "trustjob-runner", ProfileID: "Profile-1",
		Started: testNow, Duration: "1.5s", Status: "findings", ExitCode: 3, DryRun: true,
		Tasks: []IndexTask{
			{Name: "inventory", Type: "inventory", Status: "succeeded", Duration: "1s", Rows: 10, Findings: &f,
				Summary: Summary{"changes": map[string]any{"created": 1.0, "deleted": 2.0, "changed": 0.0},
					"findings_by_severity": map[string]any{"low": 1.0, "high": 2.0}}, Report: "inventory/20260310T030000Z.html"},
			{Name: "ids <b>", Type: "inactive-identities", Status: "failed", Error: "permission denied", Duration: "200ms",
				Summary: Summary{"actions_planned": 2, "actions_taken": 1, "actions_failed": 1}},
			{Name: "later", Type: "inventory", Status: "skipped", Reason: "not due"},
		}}
	trend, _ := DirHistory{Dir: dir}.Recent(context.Background(), TrendRuns)
	if err := WriteIndex(dir, run, trend); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, IndexFile))
	if err != nil {
		t.Fatal(err)
	}
	got := structure(string(b))
	golden := filepath.Join("testdata", "html-index.html.golden")
	if *update {
		os.WriteFile(golden, []byte(got), 0o644)
	}
	want, _ := os.ReadFile(golden)
	if got != string(want) {
		t.Errorf("index differs from %s (-update); got:\n%s", golden, got)
	}
	for _, s := range []string{"1 created, 2 deleted, 0 changed", "2 high, 1 low", "1 done, 1 failed", `href="inventory/20260310T030000Z.html"`, "ids &lt;b&gt;", "dry run"} {
		if !strings.Contains(got, s) {
			t.Errorf("index lacks %q", s)
		}
	}
}

// Two runs in one second keep two history files: the stamp carries the run
// ID, as the reports' stamps do.
func TestKeepHistoryStampsRunID(t *testing.T) {
	dir := t.TempDir()
	for _, id := range []string{"run-a", "run-b"} {
		sum := map[string]any{"run_id": id, "started": testNow, "status": "succeeded"}
		if err := KeepHistory(dir, Stamp(testNow, id), sum); err != nil {
			t.Fatal(err)
		}
	}
	pts, err := DirHistory{Dir: dir}.Recent(context.Background(), TrendRuns)
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 2 || pts[0].RunID != "run-a" || pts[1].RunID != "run-b" {
		t.Errorf("two runs in one second kept as %+v, want run-a then run-b", pts)
	}
	if _, err := os.Stat(filepath.Join(dir, HistoryDir, testNow.UTC().Format(StampLayout)+"-run-b.json")); err != nil {
		t.Errorf("history file not named <time>-<run id>.json: %v", err)
	}
}

type fixedHistory struct {
	pts []RunPoint
	err error
}

func (h fixedHistory) Recent(_ context.Context, n int) ([]RunPoint, error) {
	if len(h.pts) > n {
		return h.pts[len(h.pts)-n:], h.err
	}
	return h.pts, h.err
}

// Histories merges the directory's and the bucket's runs: each run once,
// oldest first, the newest n; a failing source costs only its own points.
func TestHistories(t *testing.T) {
	pt := func(id string, h int) RunPoint {
		return RunPoint{RunID: id, Started: testNow.Add(time.Duration(h) * time.Hour)}
	}
	ids := func(pts []RunPoint) string {
		var s []string
		for _, p := range pts {
			s = append(s, p.RunID)
		}
		return strings.Join(s, ",")
	}
	boom := errors.New("list refused")
	for _, tc := range []struct {
		name    string
		hs      Histories
		n       int
		want    string
		wantErr bool
	}{
		{"dir only", Histories{fixedHistory{pts: []RunPoint{pt("a", 1), pt("b", 2)}}, nil}, 30, "a,b", false},
		{"bucket only", Histories{fixedHistory{}, fixedHistory{pts: []RunPoint{pt("a", 1), pt("b", 2)}}}, 30, "a,b", false},
		{"both, deduplicated", Histories{fixedHistory{pts: []RunPoint{pt("b", 2), pt("c", 3)}}, fixedHistory{pts: []RunPoint{pt("a", 1), pt("b", 2), pt("c", 3)}}}, 30, "a,b,c", false},
		{"newest n", Histories{fixedHistory{pts: []RunPoint{pt("c", 3), pt("d", 4)}}, fixedHistory{pts: []RunPoint{pt("a", 1), pt("b", 2)}}}, 3, "b,c,d", false},
		{"one fails", Histories{fixedHistory{pts: []RunPoint{pt("a", 1)}}, fixedHistory{err: boom}}, 30, "a", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pts, err := tc.hs.Recent(context.Background(), tc.n)
			if got := ids(pts); got != tc.want || (err != nil) != tc.wantErr {
				t.Errorf("Recent = %s, %v; want %s (error %v)", got, err, tc.want, tc.wantErr)
			}
		})
	}
}

// BenchmarkHTMLSize writes an inventory of n instances (with 1% changes) as
// html and reports the page's size and the largest live heap seen while
// writing, which stays flat as n grows: the tables are capped and spilled to
// disk, the counters bounded. (B/op counts the benchmark's own rows too.)
//
//	go test ./internal/report -run '^$' -bench HTMLSize -benchtime 1x -benchmem
func BenchmarkHTMLSize(b *testing.B) {
	services := make([]string, 60)
	for i := range services {
		services[i] = fmt.Sprintf("service-%02d", i)
	}
	regions := []string{"us-south", "us-east", "eu-de", "eu-gb", "eu-es", "jp-tok", "jp-osa", "au-syd", "ca-tor", "br-sao", "global"}
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				dir := b.TempDir()
				run, err := NewRun(Options{Dir: dir, Formats: []string{"html"}, Now: testNow})
				if err != nil {
					b.Fatal(err)
				}
				tr, _ := run.Task("inventory", invSchema)
				var maxHeap uint64
				var ms runtime.MemStats
				for i := range n {
					if i%100_000 == 0 {
						runtime.GC() // live heap only: what the writer holds
						runtime.ReadMemStats(&ms)
						maxHeap = max(maxHeap, ms.HeapAlloc)
					}
					r := invRow(i, services[i%len(services)], regions[i%len(regions)], fmt.Sprint("group-", i%40), "active")
					if err := tr.Write(r); err != nil {
						b.Fatal(err)
					}
					if i%100 == 0 {
						r["record"], r["change"], r["changed_fields"] = "change", "changed", "tags"
						tr.Write(r)
					}
				}
				tr.SetSummary(Summary{"instances": n})
				if _, err := tr.Close(true); err != nil {
					b.Fatal(err)
				}
				fi, err := os.Stat(filepath.Join(dir, "inventory", "latest.html"))
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(fi.Size()), "html-bytes")
				b.ReportMetric(float64(maxHeap), "max-live-heap-bytes")
			}
		})
	}
}

// FuzzParseRunPoint: a history file is read back from disk (or a bucket);
// whatever it holds, reading it returns a point or an error, never a panic.
func FuzzParseRunPoint(f *testing.F) {
	f.Add(`{"run_id":"r","started":"2026-03-10T03:00:00Z","status":"findings","tasks":[{"findings":3,"summary":{"instances":7}}]}`)
	f.Add(`{"tasks":[{"summary":{"instances":"12"}},{"findings":null}]}`)
	f.Add(`{"tasks":{}}`)
	f.Add(`[]`)
	f.Add(`{"tasks":[{"findings":9223372036854775807,"summary":{"instances":1e300}},{"findings":9223372036854775807,"summary":{"instances":-4}}]}`)
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseRunPoint(strings.NewReader(s))
		if err == nil && (p.Instances < 0 || p.Findings < 0) {
			t.Errorf("negative count %+v from %q", p, s)
		}
	})
}
