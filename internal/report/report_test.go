package report

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
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

// awkwardRows hold what breaks naive formats: separators, quotes, newlines,
// unicode, nil, nested values, numbers, bools and times.
func awkwardRows() []Row {
	return []Row{
		{"name": "plain", "count": 1, "ok": true, "note": "", "when": testNow, "tags": []string{"a", "b"}},
		{"name": "comma, \"quote\"", "count": 2.5, "ok": false, "note": "pipe | and\nnewline", "meta": map[string]any{"k": "v", "n": 1}},
		{"name": "ünïcødé ✓", "count": nil, "note": "*stars* _under_ `tick` <b>", "extra": "not in schema"},
		{},
	}
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
	tr.SetSummary(Summary{"rows": 4, "by_kind": map[string]int{"x": 3, "y": 1}, "complete": complete})
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
			if res.Rows != 4 || len(res.Files) != 2 {
				t.Fatalf("result %+v, want 4 rows and 2 files", res)
			}
			got, err := os.ReadFile(LatestPath(dir, "task-a", format))
			if err != nil {
				t.Fatal(err)
			}
			stamped, _ := os.ReadFile(filepath.Join(dir, "task-a", "20260310T030000Z."+Extension[format]))
			if !bytes.Equal(got, stamped) {
				t.Error("latest differs from the time-stamped report")
			}
			golden := filepath.Join("testdata", "rows."+Extension[format]+".golden")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from %s (go test ./internal/report -update to accept):\n%s", format, golden, got)
			}
		})
	}
}

func TestJSONLRoundTrip(t *testing.T) {
	dir := t.TempDir()
	writeAll(t, dir, []string{"jsonl"}, true)
	var names []string
	err := ReadJSONL(LatestPath(dir, "task-a", "jsonl"), func(r Row) error {
		names = append(names, fmt.Sprint(r["name"]))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := "plain|comma, \"quote\"|ünïcødé ✓|<nil>"; strings.Join(names, "|") != want {
		t.Errorf("names %q, want %q", strings.Join(names, "|"), want)
	}
}

func TestIncompleteKeepsLatest(t *testing.T) {
	dir := t.TempDir()
	writeAll(t, dir, []string{"jsonl", "csv"}, true)
	latest := LatestPath(dir, "task-a", "jsonl")
	before, _ := os.ReadFile(latest)

	run, _ := NewRun(Options{Dir: dir, Formats: []string{"jsonl", "csv"}, Now: testNow.Add(time.Hour)})
	tr, _ := run.Task("task-a", testSchema)
	_ = tr.Write(Row{"name": "partial"})
	res, err := tr.Close(false)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		filepath.Join(dir, "task-a", "20260310T040000Z.incomplete.jsonl"),
		filepath.Join(dir, "task-a", "20260310T040000Z.incomplete.csv"),
	}
	if fmt.Sprint(res.Files) != fmt.Sprint(want) {
		t.Errorf("files %v, want %v", res.Files, want)
	}
	after, _ := os.ReadFile(latest)
	if !bytes.Equal(before, after) {
		t.Error("an incomplete report replaced latest.jsonl")
	}
	assertNoTemp(t, dir)
}

func TestAbortLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	run, _ := NewRun(Options{Dir: dir, Formats: Formats, Now: testNow})
	tr, _ := run.Task("t", testSchema)
	_ = tr.Write(Row{"name": "x"})
	// Before Close, no file has a final name.
	entries, _ := os.ReadDir(filepath.Join(dir, "t"))
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), ".") {
			t.Errorf("%s exists before Close", e.Name())
		}
	}
	tr.Abort()
	entries, _ = os.ReadDir(filepath.Join(dir, "t"))
	if len(entries) != 0 {
		t.Errorf("Abort left %d files", len(entries))
	}
}

func TestUnwritableDir(t *testing.T) {
	// A file where the directory should be fails for every user (root
	// ignores permission bits, so a read-only directory would not).
	dir := t.TempDir()
	blocked := filepath.Join(dir, "reports")
	if err := os.WriteFile(blocked, []byte("a file, not a directory"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := NewRun(Options{Dir: blocked, Now: testNow})
	if err == nil || !strings.Contains(err.Error(), blocked) {
		t.Fatalf("error %v, want one naming %s", err, blocked)
	}
}

// The encoder's writes fail as on a full disk.
func TestWriteErrorRemovesPartialFiles(t *testing.T) {
	dir := t.TempDir()
	run, _ := NewRun(Options{Dir: dir, Formats: []string{"jsonl"}, Now: testNow})
	tr, _ := run.Task("t", testSchema)
	tr.files[0].w = bufio.NewWriterSize(errWriter{}, 16)
	var err error
	for i := 0; i < 10 && err == nil; i++ {
		err = tr.Write(Row{"name": strings.Repeat("x", 100)})
	}
	if err == nil || !strings.Contains(err.Error(), "no space left") {
		t.Fatalf("write error %v, want the disk error", err)
	}
	if _, cerr := tr.Close(true); cerr == nil {
		t.Fatal("Close succeeded after a write error")
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "t"))
	if len(entries) != 0 {
		t.Errorf("a failed report left %v", entries)
	}
}

type errWriter struct{}

func (errWriter) Write([]byte) (int, error) { return 0, errors.New("no space left on device") }

func TestConcurrentWriters(t *testing.T) {
	dir := t.TempDir()
	run, _ := NewRun(Options{Dir: dir, Formats: Formats, Now: testNow})
	tr, _ := run.Task("t", testSchema)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 100 {
				_ = tr.Write(Row{"name": fmt.Sprintf("%d-%d", g, i)})
			}
		}()
	}
	wg.Wait()
	res, err := tr.Close(true)
	if err != nil || res.Rows != 800 {
		t.Fatalf("rows %d, err %v", res.Rows, err)
	}
	n := 0
	_ = ReadJSONL(LatestPath(dir, "t", "jsonl"), func(Row) error { n++; return nil })
	if n != 800 {
		t.Errorf("read back %d rows, want 800", n)
	}
}

func TestStdout(t *testing.T) {
	tests := []struct {
		name     string
		dir      bool
		terminal bool
		want     []string
		notWant  []string
	}{
		{name: "pipe without files: JSON lines", want: []string{`{"name":"plain","count":1,`}},
		{name: "terminal: a table", terminal: true, dir: true, want: []string{"task-a: 4 rows", "NAME", "ünïcødé ✓"}, notWant: []string{`{"name"`}},
		{name: "pipe with files: nothing", dir: true},
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
			for _, r := range awkwardRows() {
				_ = tr.Write(r)
			}
			_, _ = tr.Close(true)
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("stdout lacks %q:\n%s", w, out.String())
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(out.String(), w) {
					t.Errorf("stdout has %q", w)
				}
			}
			if len(tt.want) == 0 && out.Len() != 0 {
				t.Errorf("stdout not empty: %q", out.String())
			}
		})
	}
}

func TestWriteJSONAtomic(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "run-summary.json")
	if err := WriteJSONAtomic(path, map[string]int{"a": 1}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if string(b) != "{\n  \"a\": 1\n}\n" {
		t.Errorf("got %q", b)
	}
	if err := WriteJSONAtomic(path, func() {}); err == nil {
		t.Error("encoding a func succeeded")
	}
	b2, _ := os.ReadFile(path)
	if !bytes.Equal(b, b2) {
		t.Error("a failed write changed the file")
	}
	assertNoTemp(t, filepath.Dir(path))
}

func TestReadJSONLErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.jsonl")
	_ = os.WriteFile(path, []byte("{\"a\":1}\n\n[1,2]\n"), 0o644)
	err := ReadJSONL(path, func(Row) error { return nil })
	if err == nil || !strings.Contains(err.Error(), path+":3") {
		t.Errorf("error %v, want one naming %s:3", err, path)
	}
}

func FuzzReadJSONL(f *testing.F) {
	f.Add([]byte("{\"a\":1}\n{\"b\":[1,{\"c\":null}]}\n"))
	f.Add([]byte("null\n"))
	f.Add([]byte("\n\n{"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = readJSONL("fuzz", bufio.NewScanner(bytes.NewReader(data)), func(r Row) error {
			if r == nil {
				t.Fatal("nil row")
			}
			return nil
		})
	})
}

// BenchmarkJSONL shows the cost per row stays flat: memory does not grow with
// the number of rows (allocs/op and B/op are per row).
func BenchmarkJSONL(b *testing.B) {
	run, _ := NewRun(Options{Dir: b.TempDir(), Now: testNow})
	tr, _ := run.Task("bench", testSchema)
	row := awkwardRows()[0]
	b.ReportAllocs()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	for b.Loop() {
		_ = tr.Write(row)
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.HeapInuse)/(1<<20), "heap-MiB")
	_, _ = tr.Close(true)
}

func assertNoTemp(t *testing.T, dir string) {
	t.Helper()
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, _ error) error {
		if strings.HasSuffix(p, ".tmp") {
			t.Errorf("temporary file left: %s", p)
		}
		return nil
	})
}
