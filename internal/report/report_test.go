package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

var (
	testSchema = Schema{Columns: []string{"name", "count", "ok", "note", "when", "tags", "meta"}}
	testNow    = time.Date(2026, 3, 10, 3, 0, 0, 0, time.UTC)
)

// level is a fmt.Stringer: text formats show its name, JSON its number.
type level int

func (l level) String() string { return [...]string{"info", "notice", "warning"}[l] }

// awkwardRows hold what breaks naive formats: separators, quotes, pipes,
// newlines, markup, unicode, control characters, spreadsheet formulas, nil,
// nested values, numbers, bools, times, Stringers, keys outside the schema.
func awkwardRows() []Row {
	return []Row{
		{"name": "plain", "count": 1, "ok": true, "note": "", "when": testNow, "tags": []string{"a", "b"}},
		{"name": "comma, \"quote\"", "count": 2.5, "ok": false, "note": "pipe | and\nnewline\r\nCRLF",
			"meta": map[string]any{"k": "v", "n": 1, "list": []any{1, "x", nil, map[string]bool{"deep": true}}}},
		{"name": "ünïcødé ✓ 日本", "count": nil, "note": "*stars* _under_ `tick` <b>&amp; [link](x) back\\slash",
			"extra": "not in schema", "wéird \"key\"": 1},
		{"name": "=HYPERLINK(\"http://x\")", "count": -3, "note": "+1 @home -dash",
			"when": time.Date(2026, 3, 10, 4, 30, 0, 5, time.FixedZone("CET", 3600)), "tags": []string{}, "meta": map[string]any{}},
		{"name": "esc \x1b[31mred\x1b[0m\ttab", "count": int64(1) << 62, "note": level(2), "when": time.Time{}, "tags": nil},
		{},
	}
}

func testSummary(complete bool) Summary {
	return Summary{"rows": 6, "by_kind": map[string]int{"x": 3, "y": 3}, "note": "a|b <c>", "complete": complete}
}

func writeAll(t *testing.T, dir string, formats []string, complete bool) Result {
	t.Helper()
	run, err := NewRun(Options{Dir: dir, Formats: formats, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := run.Task("task-a", testSchema)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range awkwardRows() {
		if err := tr.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	tr.SetSummary(testSummary(complete))
	res, err := tr.Close(complete)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestFormatsGolden(t *testing.T) {
	for _, format := range Formats {
		t.Run(format, func(t *testing.T) {
			dir := t.TempDir()
			res := writeAll(t, dir, []string{format}, true)
			stamped := filepath.Join(dir, "task-a", "20260310T030000Z."+Extension[format])
			latest := LatestPath(dir, "task-a", format)
			if res.Rows != 6 || !slices.Equal(res.Files, []string{stamped, latest}) {
				t.Fatalf("result %+v, want 6 rows and files %s, %s", res, stamped, latest)
			}
			got := readFile(t, latest)
			if !bytes.Equal(got, readFile(t, stamped)) {
				t.Error("latest differs from the time-stamped report")
			}
			golden := filepath.Join("testdata", "rows."+Extension[format]+".golden")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if want := readFile(t, golden); !bytes.Equal(got, want) {
				t.Errorf("%s differs from %s (go test ./internal/report -update to accept):\n%s", format, golden, got)
			}
			if format == "json" && !json.Valid(got) {
				t.Error("the json report is not valid JSON")
			}
		})
	}
}

// The terminal table has a golden file too (stdout without files, incomplete).
func TestTableGolden(t *testing.T) {
	var out bytes.Buffer
	run, _ := NewRun(Options{Stdout: &out, Terminal: true, Now: testNow})
	tr, _ := run.Task("task-a", testSchema)
	for _, r := range awkwardRows() {
		_ = tr.Write(r)
	}
	if _, err := tr.Close(false); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "rows.table.golden")
	if *update {
		writeFile(t, golden, out.String())
	}
	if want := readFile(t, golden); !bytes.Equal(out.Bytes(), want) {
		t.Errorf("table differs from %s (go test ./internal/report -update to accept):\n%s", golden, out.Bytes())
	}
}

func TestOptions(t *testing.T) {
	if _, err := NewRun(Options{Formats: []string{"jsonl", "xml"}}); err == nil || !strings.Contains(err.Error(), `"xml"`) {
		t.Errorf("unknown format: error %v", err)
	}
	dir := t.TempDir()
	res := writeAll(t, dir, []string{"csv", "csv"}, true)
	if len(res.Files) != 2 {
		t.Errorf("a format named twice wrote %v", res.Files)
	}
	if got := LatestPath("/r", "t", "markdown"); got != "/r/t/latest.md" {
		t.Errorf("LatestPath = %s", got)
	}
}

func TestJSONLRoundTrip(t *testing.T) {
	dir := t.TempDir()
	writeAll(t, dir, []string{"jsonl"}, true)
	var got []Row
	err := ReadJSONL(LatestPath(dir, "task-a", "jsonl"), func(r Row) error {
		got = append(got, r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := awkwardRows()
	if len(got) != len(want) {
		t.Fatalf("read %d rows, want %d", len(got), len(want))
	}
	for i := range want {
		// What JSON keeps of each value: round trip the wanted row through
		// encoding/json and compare.
		b, _ := json.Marshal(want[i])
		var w Row
		_ = json.Unmarshal(b, &w)
		if fmt.Sprint(got[i]) != fmt.Sprint(w) {
			t.Errorf("row %d: got %v, want %v", i, got[i], w)
		}
	}
}

func TestIncompleteKeepsLatest(t *testing.T) {
	dir := t.TempDir()
	formats := []string{"jsonl", "json", "csv"}
	writeAll(t, dir, formats, true)
	before := snapshot(t, dir)

	run, _ := NewRun(Options{Dir: dir, Formats: formats, Now: testNow.Add(time.Hour)})
	tr, _ := run.Task("task-a", testSchema)
	_ = tr.Write(Row{"name": "partial"})
	tr.SetSummary(Summary{"rows": 1, "complete": true}) // the task's claim; Close(false) wins
	res, err := tr.Close(false)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		filepath.Join(dir, "task-a", "20260310T040000Z.incomplete.jsonl"),
		filepath.Join(dir, "task-a", "20260310T040000Z.incomplete.json"),
		filepath.Join(dir, "task-a", "20260310T040000Z.incomplete.csv"),
	}
	if !slices.Equal(res.Files, want) {
		t.Errorf("files %v, want %v", res.Files, want)
	}
	after := snapshot(t, dir)
	for _, f := range formats {
		p := LatestPath(dir, "task-a", f)
		if after[p] != before[p] {
			t.Errorf("an incomplete report replaced %s", p)
		}
	}
	var doc struct{ Summary Summary }
	if err := json.Unmarshal(readFile(t, want[1]), &doc); err != nil || doc.Summary["complete"] != false {
		t.Errorf("incomplete json summary %v (%v), want complete=false", doc.Summary, err)
	}
	assertNoTemp(t, dir)
}

func TestAbortLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	run, _ := NewRun(Options{Dir: dir, Formats: Formats, Now: testNow})
	tr, _ := run.Task("t", testSchema)
	for range 1000 {
		_ = tr.Write(awkwardRows()[1])
	}
	// Before Close no file has a final name, however much was written.
	for name := range snapshot(t, dir) {
		if !strings.HasPrefix(filepath.Base(name), ".") {
			t.Errorf("%s exists before Close", name)
		}
	}
	tr.Abort()
	if left := snapshot(t, dir); len(left) != 0 {
		t.Errorf("Abort left %v", keys(left))
	}
	if err := tr.Write(Row{}); !errors.Is(err, errClosed) {
		t.Errorf("Write after Abort: %v", err)
	}
}

func TestUnwritableOutput(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string) (outDir, blocked string)
		// task: the failure comes at Run.Task, not NewRun
		task bool
	}{
		{name: "a file where the directory should be", setup: func(t *testing.T, dir string) (string, string) {
			p := filepath.Join(dir, "reports")
			writeFile(t, p, "a file")
			return p, p
		}},
		{name: "a read-only directory", setup: func(t *testing.T, dir string) (string, string) {
			if os.Geteuid() == 0 {
				t.Skip("root ignores permission bits")
			}
			p := filepath.Join(dir, "ro")
			if err := os.Mkdir(p, 0o555); err != nil {
				t.Fatal(err)
			}
			return p, p
		}},
		{name: "a file where the task directory should be", task: true, setup: func(t *testing.T, dir string) (string, string) {
			p := filepath.Join(dir, "t")
			writeFile(t, p, "a file")
			return dir, p
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, blocked := tt.setup(t, t.TempDir())
			run, err := NewRun(Options{Dir: out, Now: testNow})
			if tt.task {
				if err != nil {
					t.Fatal(err)
				}
				_, err = run.Task("t", testSchema)
			}
			if err == nil || !strings.Contains(err.Error(), blocked) {
				t.Fatalf("error %v, want one naming %s", err, blocked)
			}
			assertNoTemp(t, out)
		})
	}
}

// failingWriter fails as a full disk does, after n bytes.
type failingWriter struct{ n int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		return 0, errors.New("no space left on device")
	}
	w.n -= len(p)
	return len(p), nil
}

func TestFullDiskRemovesPartialFiles(t *testing.T) {
	dir := t.TempDir()
	writeAll(t, dir, []string{"jsonl", "csv"}, true)
	before := snapshot(t, dir)

	run, _ := NewRun(Options{Dir: dir, Formats: []string{"jsonl", "csv"}, Now: testNow.Add(time.Hour)})
	tr, _ := run.Task("task-a", testSchema)
	// The csv file's writes fail from the first flush on (the csv encoder
	// writes through the same bufio.Writer, so Reset reaches it).
	tr.files[1].w.Reset(&failingWriter{})
	var err error
	for i := 0; i < 10000 && err == nil; i++ {
		err = tr.Write(Row{"name": strings.Repeat("x", 100)})
	}
	stamped := filepath.Join(dir, "task-a", "20260310T040000Z.csv")
	if err == nil || !strings.Contains(err.Error(), "no space left") || !strings.Contains(err.Error(), stamped) {
		t.Fatalf("write error %v, want the disk error naming %s", err, stamped)
	}
	// The space is given back at once, not at Close.
	if got := snapshot(t, dir); !maps.Equal(got, before) {
		t.Errorf("after the failure the directory holds %v, want %v", keys(got), keys(before))
	}
	if err2 := tr.Write(Row{}); err2 != err {
		t.Errorf("later Write returned %v, want the first error", err2)
	}
	if _, cerr := tr.Close(true); cerr == nil {
		t.Fatal("Close succeeded after a write error")
	}
	if got := snapshot(t, dir); !maps.Equal(got, before) {
		t.Errorf("a failed report changed the directory: %v", keys(got))
	}
}

// A format that cannot be renamed into place fails the whole report: the other
// formats' new files are removed and no latest file changes.
func TestCloseFailureIsAllOrNothing(t *testing.T) {
	dir := t.TempDir()
	formats := []string{"jsonl", "json", "csv"}
	writeAll(t, dir, formats, true)
	// A non-empty directory under the json report's final name.
	blocked := filepath.Join(dir, "task-a", "20260310T040000Z.json")
	writeFile(t, filepath.Join(blocked, "x"), "x")
	before := snapshot(t, dir)

	run, _ := NewRun(Options{Dir: dir, Formats: formats, Now: testNow.Add(time.Hour)})
	tr, _ := run.Task("task-a", testSchema)
	_ = tr.Write(Row{"name": "new"})
	res, err := tr.Close(true)
	if err == nil || !strings.Contains(err.Error(), blocked) {
		t.Fatalf("Close error %v, want one naming %s", err, blocked)
	}
	if len(res.Files) != 0 {
		t.Errorf("files %v after a failed Close", res.Files)
	}
	if got := snapshot(t, dir); !maps.Equal(got, before) {
		t.Errorf("a failed Close changed the directory: %v, before %v", keys(got), keys(before))
	}
}

func TestLatestFailureKeepsStamped(t *testing.T) {
	dir := t.TempDir()
	latest := LatestPath(dir, "t", "jsonl")
	writeFile(t, filepath.Join(latest, "x"), "x")
	run, _ := NewRun(Options{Dir: dir, Now: testNow})
	tr, _ := run.Task("t", testSchema)
	_ = tr.Write(Row{"name": "a"})
	res, err := tr.Close(true)
	if err == nil || !strings.Contains(err.Error(), latest) {
		t.Fatalf("Close error %v, want one naming %s", err, latest)
	}
	stamped := filepath.Join(dir, "t", "20260310T030000Z.jsonl")
	if !slices.Equal(res.Files, []string{stamped}) {
		t.Errorf("files %v, want the whole time-stamped report", res.Files)
	}
	assertNoTemp(t, dir)
}

func TestRefusedRowKeepsReport(t *testing.T) {
	dir := t.TempDir()
	run, _ := NewRun(Options{Dir: dir, Formats: Formats, Now: testNow})
	tr, _ := run.Task("t", testSchema)
	_ = tr.Write(Row{"name": "a"})
	for _, bad := range []any{math.NaN(), make(chan int), func() {}} {
		if err := tr.Write(Row{"name": "bad", "count": bad}); err == nil || !strings.Contains(err.Error(), "count") {
			t.Errorf("Write(%T) error %v, want one naming the column", bad, err)
		}
	}
	_ = tr.Write(Row{"name": "b"})
	res, err := tr.Close(true)
	if err != nil || res.Rows != 2 {
		t.Fatalf("Close: rows %d, err %v", res.Rows, err)
	}
	if got := string(readFile(t, LatestPath(dir, "t", "jsonl"))); got != "{\"name\":\"a\"}\n{\"name\":\"b\"}\n" {
		t.Errorf("jsonl %q", got)
	}
	if !json.Valid(readFile(t, LatestPath(dir, "t", "json"))) {
		t.Error("json report invalid after a refused row")
	}
}

func TestConcurrentWriters(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	run, _ := NewRun(Options{Dir: dir, Formats: Formats, Now: testNow, Stdout: &out, Terminal: true})
	tr, _ := run.Task("t", testSchema)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 100 {
				_ = tr.Write(Row{"name": fmt.Sprintf("%d-%d", g, i), "meta": map[string]int{"g": g}})
				if i == 50 {
					tr.SetSummary(Summary{"g": g})
				}
			}
		})
	}
	wg.Wait()
	res, err := tr.Close(true)
	if err != nil || res.Rows != 800 {
		t.Fatalf("rows %d, err %v", res.Rows, err)
	}
	n := 0
	if err := ReadJSONL(LatestPath(dir, "t", "jsonl"), func(Row) error { n++; return nil }); err != nil || n != 800 {
		t.Errorf("read back %d rows (%v), want 800", n, err)
	}
	if !json.Valid(readFile(t, LatestPath(dir, "t", "json"))) {
		t.Error("json report invalid")
	}
}

// Two tasks writing JSON lines to one stdout at once never split a line.
func TestConcurrentTasksOnStdout(t *testing.T) {
	var out bytes.Buffer
	run, _ := NewRun(Options{Stdout: &out, Now: testNow})
	var wg sync.WaitGroup
	for task := range 4 {
		wg.Go(func() {
			tr, _ := run.Task(fmt.Sprint("t", task), testSchema)
			for i := range 500 {
				_ = tr.Write(Row{"name": strings.Repeat("n", i%300), "count": task})
			}
			_, _ = tr.Close(true)
		})
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 2000 {
		t.Fatalf("%d lines, want 2000", len(lines))
	}
	for i, l := range lines {
		if !json.Valid([]byte(l)) {
			t.Fatalf("line %d is not JSON: %q", i+1, l)
		}
	}
}

func TestStdout(t *testing.T) {
	many := make([]Row, 50)
	for i := range many {
		many[i] = Row{"name": fmt.Sprintf("row-%02d", i), "note": strings.Repeat("long ", 20)}
	}
	tests := []struct {
		name     string
		dir      bool
		terminal bool
		rows     []Row
		want     []string
		notWant  []string
		empty    bool
	}{
		{name: "pipe without files: JSON lines", rows: awkwardRows(),
			want: []string{"{\"name\":\"plain\",\"count\":1,", "\n{}\n"}},
		{name: "pipe with files: nothing", dir: true, rows: awkwardRows(), empty: true},
		{name: "terminal: a table of every row", terminal: true, rows: awkwardRows(),
			want:    []string{"task-a: 6 rows\n", "NAME", "ünïcødé ✓ 日本", "=HYPERLINK", "esc  [31mred", "2026-03-10T03:30:00Z", "warning"},
			notWant: []string{"{\"name\"", "\x1b", "not shown"}},
		{name: "terminal, no files: streams every row", terminal: true, rows: many,
			want:    []string{"row-00", "row-49", "task-a: 50 rows\n", "long long long long long long l…"},
			notWant: []string{"not shown", "long long long long long long long"}},
		{name: "terminal with files: a glance", terminal: true, dir: true, rows: many,
			want:    []string{"row-39", "task-a: 50 rows, 10 not shown; report in "},
			notWant: []string{"row-40"}},
		{name: "terminal, no rows", terminal: true, want: []string{"task-a: 0 rows\n"}, notWant: []string{"NAME"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			o := Options{Stdout: &out, Terminal: tt.terminal, Now: testNow}
			if tt.dir {
				o.Dir = t.TempDir()
			}
			run, err := NewRun(o)
			if err != nil {
				t.Fatal(err)
			}
			tr, _ := run.Task("task-a", testSchema)
			for _, r := range tt.rows {
				if err := tr.Write(r); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := tr.Close(true); err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("stdout lacks %q:\n%s", w, out.String())
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(out.String(), w) {
					t.Errorf("stdout has %q:\n%s", w, out.String())
				}
			}
			if tt.empty && out.Len() != 0 {
				t.Errorf("stdout not empty: %q", out.String())
			}
		})
	}
}

// Without files stdout is the report: a failing stdout fails the task.
func TestStdoutErrorWithoutFiles(t *testing.T) {
	run, _ := NewRun(Options{Stdout: &failingWriter{n: 100}, Now: testNow})
	tr, _ := run.Task("t", testSchema)
	var err error
	for i := 0; i < 1000 && err == nil; i++ {
		err = tr.Write(Row{"name": strings.Repeat("x", 50)})
	}
	if _, cerr := tr.Close(true); err == nil && cerr == nil {
		t.Fatal("a failing stdout went unnoticed")
	}
}

func TestWriteJSONAtomic(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "run-summary.json")
	if err := WriteJSONAtomic(path, map[string]int{"a": 1}); err != nil {
		t.Fatal(err)
	}
	b := readFile(t, path)
	if string(b) != "{\n  \"a\": 1\n}\n" {
		t.Errorf("got %q", b)
	}
	if err := WriteJSONAtomic(path, func() {}); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("encoding a func: error %v, want one naming %s", err, path)
	}
	if !bytes.Equal(b, readFile(t, path)) {
		t.Error("a failed write changed the file")
	}
	if err := WriteFileAtomic(path, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); string(readFile(t, path)) != "x" || fi.Mode().Perm() != 0o600 {
		t.Errorf("WriteFileAtomic: %q, mode %v", readFile(t, path), fi.Mode())
	}
	blocked := filepath.Join(filepath.Dir(path), "dir")
	writeFile(t, filepath.Join(blocked, "x"), "x")
	if err := WriteFileAtomic(blocked, []byte("x"), 0o644); err == nil || !strings.Contains(err.Error(), blocked) {
		t.Errorf("rename over a directory: error %v, want one naming %s", err, blocked)
	}
	assertNoTemp(t, filepath.Dir(path))
}

func TestReadJSONL(t *testing.T) {
	long := `{"k":"` + strings.Repeat("x", 1<<20) + `"}`
	tests := []struct {
		name    string
		data    string
		rows    int
		wantErr string // substring; "" for success
	}{
		{name: "rows and blank lines", data: "{\"a\":1}\n\n  \n{\"b\":[1,{\"c\":null}]}", rows: 2},
		{name: "CRLF", data: "{\"a\":1}\r\n{\"a\":2}\r\n", rows: 2},
		{name: "a line over 1 MiB", data: long + "\n" + long + "\n", rows: 2},
		{name: "not an object", data: "{\"a\":1}\n\n[1,2]\n", wantErr: ":3: "},
		{name: "null", data: "null\n", wantErr: ":1: not a JSON object"},
		{name: "broken JSON", data: "{\"a\":1}\n{\"a\":\n", wantErr: ":2: "},
		{name: "a line over the limit", data: "{}\n" + `{"k":"` + strings.Repeat("x", maxLine) + `"}`, wantErr: ":2: line longer than 16 MiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "r.jsonl")
			writeFile(t, path, tt.data)
			n := 0
			err := ReadJSONL(path, func(Row) error { n++; return nil })
			if tt.wantErr == "" {
				if err != nil || n != tt.rows {
					t.Errorf("read %d rows, err %v; want %d", n, err, tt.rows)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %v, want one naming %s and %q", err, path, tt.wantErr)
			}
		})
	}
	t.Run("missing file", func(t *testing.T) {
		err := ReadJSONL(filepath.Join(t.TempDir(), "none.jsonl"), func(Row) error { return nil })
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("error %v, want fs.ErrNotExist", err)
		}
	})
	t.Run("callback error stops", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "r.jsonl")
		writeFile(t, path, "{}\n{}\n{}\n")
		stop, n := errors.New("stop"), 0
		if err := ReadJSONL(path, func(Row) error { n++; return stop }); !errors.Is(err, stop) || n != 1 {
			t.Errorf("err %v after %d rows", err, n)
		}
	})
}

func FuzzReadJSONL(f *testing.F) {
	f.Add([]byte("{\"a\":1}\n{\"b\":[1,{\"c\":null}]}\n"))
	f.Add([]byte("null\n"))
	f.Add([]byte("\n\n{"))
	f.Add([]byte("{\"a\":1e999}\n"))
	f.Add([]byte("\xef\xbb\xbf{}\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = readJSONL("fuzz", bufio.NewScanner(bytes.NewReader(data)), func(r Row) error {
			if r == nil {
				t.Fatal("nil row")
			}
			// What was read can be written back as a row.
			if _, err := newValues().object(Schema{}, r); err != nil {
				t.Fatalf("a row read back cannot be written: %v", err)
			}
			return nil
		})
	})
}

// BenchmarkWrite shows the cost per row is flat: B/op and allocs/op are per
// row, and retained-KiB (live heap after the last row, after a GC) does not
// grow with b.N. Compare -benchtime=1000x with -benchtime=100000x.
func BenchmarkWrite(b *testing.B) {
	for _, format := range Formats {
		b.Run(format, func(b *testing.B) {
			run, _ := NewRun(Options{Dir: b.TempDir(), Formats: []string{format}, Now: testNow})
			tr, _ := run.Task("bench", testSchema)
			row := awkwardRows()[1]
			b.ReportAllocs()
			before := liveHeap()
			for b.Loop() {
				if err := tr.Write(row); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(liveHeap()-before)/1024, "retained-KiB")
			if _, err := tr.Close(true); err != nil {
				b.Fatal(err)
			}
		})
	}
}

// liveHeap is the heap in use after a collection.
func liveHeap() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

func assertNoTemp(t *testing.T, dir string) {
	t.Helper()
	for p := range snapshot(t, dir) {
		if strings.HasSuffix(p, ".tmp") {
			t.Errorf("temporary file left: %s", p)
		}
	}
}

// snapshot maps every file under dir to its content.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			m[p] = string(b)
		}
		return nil
	})
	return m
}

func keys(m map[string]string) []string {
	var k []string
	for p := range m {
		k = append(k, p)
	}
	slices.Sort(k)
	return k
}

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t *testing.T, p, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}
