package report

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
	"unicode/utf8"
)

// Options configure one run's reports.
type Options struct {
	// Dir receives DIR/<task>/<stamp>.<ext> and latest.<ext>; "" writes no files.
	Dir string
	// Formats are the file formats (Formats); empty means jsonl.
	Formats []string
	// Stdout receives rows when there are no files (JSON lines) or a short
	// table when it is a terminal. Nil writes nothing.
	Stdout   io.Writer
	Terminal bool
	// Now stamps the file names (UTC).
	Now time.Time
}

// Run opens task reports that share one time stamp.
type Run struct {
	opts  Options
	stamp string
	outMu sync.Mutex // one task at a time on stdout
}

// NewRun checks the options and that Dir can be written.
func NewRun(o Options) (*Run, error) {
	if len(o.Formats) == 0 {
		o.Formats = []string{"jsonl"}
	}
	for _, f := range o.Formats {
		if _, err := newEncoder(f); err != nil {
			return nil, err
		}
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	if o.Dir != "" {
		if err := os.MkdirAll(o.Dir, 0o755); err != nil {
			return nil, fmt.Errorf("create output directory: %w", err)
		}
		probe, err := os.CreateTemp(o.Dir, ".trustjob-probe-*")
		if err != nil {
			return nil, fmt.Errorf("output directory %s is not writable: %w", o.Dir, err)
		}
		probe.Close()
		os.Remove(probe.Name())
	}
	return &Run{opts: o, stamp: o.Now.UTC().Format("20060102T150405Z")}, nil
}

// fileOut is one format's temporary file while a task writes.
type fileOut struct {
	format string
	enc    encoder
	tmp    *os.File
	w      *bufio.Writer
}

// TaskReport is one task's report while it is written. It implements Writer.
type TaskReport struct {
	run    *Run
	task   string
	schema Schema
	dir    string

	mu      sync.Mutex
	files   []*fileOut
	stdout  encoder       // JSON lines on stdout when there are no files
	table   *tableBuilder // a short table on a terminal
	bw      *bufio.Writer
	rows    int64
	summary Summary
	err     error // the first write error; later writes return it
	done    bool
}

// Task opens the report of one task: a temporary file per format in
// DIR/<task>/, renamed into place by Close.
func (r *Run) Task(name string, schema Schema) (*TaskReport, error) {
	t := &TaskReport{run: r, task: name, schema: schema}
	if r.opts.Dir != "" {
		t.dir = filepath.Join(r.opts.Dir, name)
		if err := os.MkdirAll(t.dir, 0o755); err != nil {
			return nil, fmt.Errorf("create report directory: %w", err)
		}
		for _, f := range r.opts.Formats {
			enc, _ := newEncoder(f)
			tmp, err := os.CreateTemp(t.dir, "."+r.stamp+"-"+f+"-*.tmp")
			if err != nil {
				t.Abort()
				return nil, fmt.Errorf("open report %s: %w", t.dir, err)
			}
			fo := &fileOut{format: f, enc: enc, tmp: tmp, w: bufio.NewWriterSize(tmp, 64<<10)}
			t.files = append(t.files, fo)
			if err := enc.begin(fo.w, name, schema); err != nil {
				t.Abort()
				return nil, fmt.Errorf("write %s: %w", tmp.Name(), err)
			}
		}
	}
	if out := r.opts.Stdout; out != nil {
		switch {
		case r.opts.Terminal:
			t.table = newTableBuilder(schema)
		case r.opts.Dir == "":
			t.bw = bufio.NewWriter(out)
			t.stdout = &jsonlEncoder{schema: schema}
		}
	}
	return t, nil
}

// Write appends row to every format.
func (t *TaskReport) Write(row Row) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.err != nil {
		return t.err
	}
	if t.done {
		return errors.New("write to a closed report")
	}
	for _, f := range t.files {
		if err := f.enc.row(f.w, row); err != nil {
			t.err = fmt.Errorf("write report %s (%s): %w", t.dir, f.format, err)
			return t.err
		}
	}
	if t.stdout != nil {
		if err := t.stdout.row(t.bw, row); err != nil {
			t.err = fmt.Errorf("write rows to stdout: %w", err)
			return t.err
		}
	}
	if t.table != nil {
		t.table.add(row)
	}
	t.rows++
	return nil
}

// SetSummary records the task's summary; the last call wins.
func (t *TaskReport) SetSummary(s Summary) {
	t.mu.Lock()
	t.summary = s
	t.mu.Unlock()
}

// Result is what a closed report holds.
type Result struct {
	Rows    int64
	Files   []string
	Summary Summary
}

// Close finishes the report. Complete reports become DIR/<task>/<stamp>.<ext>
// and replace latest.<ext>; incomplete ones (complete=false: the task failed or
// ran out of time) become <stamp>.incomplete.<ext> and leave latest alone, so
// the next change report compares against the last complete run.
func (t *TaskReport) Close(complete bool) (Result, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done {
		return Result{}, errors.New("report closed twice")
	}
	t.done = true
	res := Result{Rows: t.rows, Summary: t.summary}
	err := t.err
	for _, f := range t.files {
		if err != nil {
			discard(f)
			continue
		}
		name := t.run.stamp
		if !complete {
			name += ".incomplete"
		}
		final := filepath.Join(t.dir, name+"."+Extension[f.format])
		if err = t.finishFile(f, final); err != nil {
			continue
		}
		res.Files = append(res.Files, final)
		if complete {
			latest := LatestPath(t.run.opts.Dir, t.task, f.format)
			if err = replaceWith(latest, final); err == nil {
				res.Files = append(res.Files, latest)
			}
		}
	}
	if err != nil {
		// A report that could not be written whole is not left behind in part.
		for _, p := range res.Files {
			if !strings.Contains(filepath.Base(p), "latest.") {
				os.Remove(p)
			}
		}
		res.Files = nil
	}
	t.flushStdout(complete)
	return res, err
}

func (t *TaskReport) finishFile(f *fileOut, final string) error {
	if err := f.enc.end(f.w, t.summary); err != nil {
		discard(f)
		return fmt.Errorf("write %s: %w", final, err)
	}
	if err := f.w.Flush(); err != nil {
		discard(f)
		return fmt.Errorf("write %s: %w", final, err)
	}
	if err := finish(f.tmp, final, 0o644); err != nil {
		discard(f)
		return err
	}
	return nil
}

func (t *TaskReport) flushStdout(complete bool) {
	out := t.run.opts.Stdout
	if t.bw != nil {
		_ = t.bw.Flush()
	}
	if t.table != nil && out != nil {
		t.run.outMu.Lock()
		t.table.print(out, t.task, t.rows, complete)
		t.run.outMu.Unlock()
	}
}

// Abort drops the report: temporary files are removed, nothing is renamed.
func (t *TaskReport) Abort() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.done = true
	for _, f := range t.files {
		discard(f)
	}
}

func discard(f *fileOut) {
	f.tmp.Close()
	os.Remove(f.tmp.Name())
}

// maxTableRows bounds the rows a terminal table holds: the table is for a
// glance, the files hold everything.
const (
	maxTableRows  = 40
	maxCellLength = 32
)

// tableBuilder keeps the first rows for a readable terminal table.
type tableBuilder struct {
	schema Schema
	rows   [][]string
}

func newTableBuilder(s Schema) *tableBuilder { return &tableBuilder{schema: s} }

func (b *tableBuilder) add(r Row) {
	if len(b.rows) >= maxTableRows {
		return
	}
	rec := make([]string, len(b.schema.Columns))
	for i, c := range b.schema.Columns {
		rec[i] = cell(text(r[c]))
	}
	b.rows = append(b.rows, rec)
}

func (b *tableBuilder) print(w io.Writer, task string, total int64, complete bool) {
	state := ""
	if !complete {
		state = " (incomplete)"
	}
	fmt.Fprintf(w, "\n%s: %d rows%s\n", task, total, state)
	if len(b.rows) == 0 {
		return
	}
	// Only columns that hold something in the rows shown.
	var used []int
	for i := range b.schema.Columns {
		for _, r := range b.rows {
			if r[i] != "" {
				used = append(used, i)
				break
			}
		}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for n, i := range used {
		if n > 0 {
			fmt.Fprint(tw, "\t")
		}
		fmt.Fprint(tw, strings.ToUpper(b.schema.Columns[i]))
	}
	fmt.Fprintln(tw)
	for _, r := range b.rows {
		for n, i := range used {
			if n > 0 {
				fmt.Fprint(tw, "\t")
			}
			fmt.Fprint(tw, r[i])
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
	if total > int64(len(b.rows)) {
		fmt.Fprintf(w, "... %d more rows in the report files\n", total-int64(len(b.rows)))
	}
}

// cell shortens a value for the terminal and keeps it on one line.
func cell(s string) string {
	s = strings.NewReplacer("\n", " ", "\r", " ", "\t", " ").Replace(s)
	if utf8.RuneCountInString(s) <= maxCellLength {
		return s
	}
	r := []rune(s)
	return string(r[:maxCellLength-1]) + "…"
}
