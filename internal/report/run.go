package report

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"
)

// Options configure one run's reports.
type Options struct {
	// Dir receives DIR/<task>/<stamp>.<ext> and latest.<ext>; "" writes no files.
	Dir string
	// Formats are the file formats (Formats); empty means jsonl.
	Formats []string
	// Stdout receives the rows as JSON lines when there are no files and it is
	// not a terminal, and as a table when it is one (every row without files,
	// the first maxTableRows with them). Nil writes nothing.
	Stdout   io.Writer
	Terminal bool
	// Now stamps the file names (UTC); zero means time.Now.
	Now time.Time
	// RunID, when set, follows the time in the stamp
	// (20260310T030000Z-<run id>.jsonl), so two runs started in the same
	// second never write the same file.
	RunID string
	// Keep prunes each task's older stamped reports after its report is
	// closed; the zero value keeps them all.
	Keep Retention
}

// Run opens task reports that share one time stamp.
type Run struct {
	opts  Options
	stamp string
	out   *stdout // nil without Stdout
}

// stdout is shared by a run's tasks: one lock, so lines from two reports never
// interleave mid-line.
type stdout struct {
	mu sync.Mutex
	w  *bufio.Writer
}

func (s *stdout) write(b []byte, flush bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.w.Write(b); err != nil {
		return err
	}
	if flush {
		return s.w.Flush()
	}
	return nil
}

func (s *stdout) flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Flush()
}

// StampLayout is the UTC time stamp in report file names.
const StampLayout = "20060102T150405Z"

// Stamp is the stamp of a run's file and object names: the UTC time, then
// the run ID when there is one, so two runs in one second never overwrite
// each other's reports. Stamps sort by time.
func Stamp(now time.Time, runID string) string {
	s := now.UTC().Format(StampLayout)
	if runID != "" {
		s += "-" + runID
	}
	return s
}

// NewRun checks the options and that Dir can be written, so an unwritable
// output directory fails the run before any task starts.
func NewRun(o Options) (*Run, error) {
	if len(o.Formats) == 0 {
		o.Formats = []string{"jsonl"}
	}
	var formats []string
	for _, f := range o.Formats {
		if _, err := newEncoder(f); err != nil {
			return nil, err
		}
		if !slices.Contains(formats, f) { // one file per format, however often named
			formats = append(formats, f)
		}
	}
	o.Formats = formats
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
	r := &Run{opts: o, stamp: Stamp(o.Now, o.RunID)}
	if o.Stdout != nil {
		r.out = &stdout{w: bufio.NewWriter(o.Stdout)}
	}
	return r, nil
}

// fileOut is one format's temporary file while a task writes.
type fileOut struct {
	format string
	enc    encoder
	tmp    *os.File
	w      *bufio.Writer
	// stamped is the final name of a complete report, used in errors.
	stamped string
}

// TaskReport is one task's report while it is written. It implements Writer
// and is safe for concurrent use.
type TaskReport struct {
	run    *Run
	task   string
	schema Schema
	dir    string // DIR/<task>, "" without files

	mu      sync.Mutex
	files   []*fileOut
	v       *values
	lines   bool   // rows go to stdout as JSON lines
	table   *table // rows go to stdout as a table
	rows    int64
	summary Summary
	err     error // the first write error; later writes return it
	done    bool
}

// Task opens the report of one task: a temporary file per format in
// DIR/<task>/, renamed into place by Close.
func (r *Run) Task(name string, schema Schema) (*TaskReport, error) {
	t := &TaskReport{run: r, task: name, schema: schema, v: newValues()}
	if r.opts.Dir != "" {
		t.dir = filepath.Join(r.opts.Dir, name)
		if err := os.MkdirAll(t.dir, 0o755); err != nil {
			return nil, fmt.Errorf("create report directory: %w", err)
		}
		for _, f := range r.opts.Formats {
			if err := t.open(f); err != nil {
				t.Abort()
				return nil, err
			}
		}
	}
	switch {
	case r.out == nil:
	case r.opts.Terminal:
		var limit int64
		if t.dir != "" {
			limit = maxTableRows
		}
		t.table = newTable(r.out, name, schema, limit)
	case t.dir == "":
		t.lines = true
	}
	return t, nil
}

func (t *TaskReport) open(format string) error {
	enc, _ := newEncoder(format)
	if h, ok := enc.(*htmlEncoder); ok {
		h.dir, h.now = t.dir, t.run.opts.Now
	}
	if o, ok := enc.(*ocsfEncoder); ok {
		o.now = t.run.opts.Now // one event time per run, and stable goldens
	}
	stamped := filepath.Join(t.dir, t.run.stamp+"."+Extension[format])
	tmp, err := os.CreateTemp(t.dir, "."+t.run.stamp+"-"+format+"-*.tmp")
	if err != nil {
		return fmt.Errorf("open report %s: %w", stamped, err)
	}
	f := &fileOut{format: format, enc: enc, tmp: tmp, w: bufio.NewWriterSize(tmp, 64<<10), stamped: stamped}
	t.files = append(t.files, f)
	if err := enc.begin(f.w, t.task, t.schema); err != nil {
		return fmt.Errorf("write report %s: %w", stamped, err)
	}
	return nil
}

// errClosed is returned by Write after Close or Abort.
var errClosed = errors.New("write to a closed report")

// Write appends row to every format. A row that cannot be encoded (a NaN, a
// channel) is refused with an error and nothing of it is written, so the report
// stays whole. A failed file write (a full disk) is final: the temporary files
// are removed at once to give the space back, and this and every later Write,
// and Close, return the error.
func (t *TaskReport) Write(row Row) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done {
		return errClosed
	}
	if t.err != nil {
		return t.err
	}
	obj, err := t.v.object(t.schema, row)
	if err != nil {
		return fmt.Errorf("report %s: row %d refused: %w", t.task, t.rows+1, err)
	}
	for _, f := range t.files {
		if err := f.enc.row(f.w, row, obj); err != nil {
			return t.fail(fmt.Errorf("write report %s: %w", f.stamped, err))
		}
	}
	// Without files stdout is the report, so its errors count; with them it is
	// a glance and a closed terminal must not fail the task.
	var outErr error
	switch {
	case t.lines:
		outErr = t.run.out.write(append(obj, '\n'), false)
	case t.table != nil:
		outErr = t.table.add(row)
	}
	if outErr != nil && t.dir == "" {
		return t.fail(fmt.Errorf("write rows to stdout: %w", outErr))
	}
	t.rows++
	return nil
}

func (t *TaskReport) fail(err error) error {
	t.err = err
	t.discardFiles()
	return err
}

// SetSummary records the task's summary; the last call wins.
func (t *TaskReport) SetSummary(s Summary) {
	t.mu.Lock()
	t.summary = s
	t.mu.Unlock()
}

// Result is what a closed report holds.
type Result struct {
	Rows int64
	// Files are the paths written: each format's time-stamped report, then
	// each latest.<ext> replaced.
	Files   []string
	Summary Summary
}

// Close finishes the report.
//
// Complete reports become DIR/<task>/<stamp>.<ext> and then replace
// latest.<ext>. Incomplete ones (complete=false: the task failed, ran out of
// time or was cancelled) become <stamp>.incomplete.<ext> and leave latest.<ext>
// alone, so the next change report compares against the last complete run; the
// summary in the json and markdown files says "complete": false.
//
// Every file is renamed into place only after it was written, flushed and
// synced whole. If any format fails, the time-stamped files of this report are
// removed again and latest.<ext> is not touched. Only a failure while replacing
// latest.<ext> (after every format was written) keeps the time-stamped files,
// which are whole; the error names the path that failed.
func (t *TaskReport) Close(complete bool) (Result, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done {
		return Result{}, errors.New("report " + t.task + " closed twice")
	}
	t.done = true
	res := Result{Rows: t.rows, Summary: t.summary}
	err := t.err
	if err == nil {
		res.Files, err = t.finishFiles(complete)
	}
	if out := t.run.out; out != nil {
		var outErr error
		switch {
		case t.table != nil:
			outErr = t.table.finish(t.rows, complete, t.dir)
		case t.lines:
			outErr = out.flush()
		}
		if outErr != nil && t.dir == "" && err == nil {
			err = fmt.Errorf("write rows to stdout: %w", outErr)
		}
	}
	return res, err
}

func (t *TaskReport) finishFiles(complete bool) ([]string, error) {
	sum := fileSummary(t.summary, complete)
	var written, formats []string
	for i, f := range t.files {
		final := f.stamped
		if !complete {
			final = filepath.Join(t.dir, t.run.stamp+".incomplete."+Extension[f.format])
		}
		if err := finishFile(f, final, sum); err != nil {
			for _, g := range t.files[i+1:] {
				discard(g)
			}
			for _, p := range written {
				os.Remove(p)
			}
			t.files = nil
			return nil, err
		}
		written, formats = append(written, final), append(formats, f.format)
	}
	t.files = nil
	defer func() { _, _ = Prune(t.dir, t.run.opts.Keep, time.Now()) }()
	if !complete {
		return written, nil
	}
	files := written
	for i, final := range written {
		latest := LatestPath(t.run.opts.Dir, t.task, formats[i])
		if err := replaceWith(latest, final); err != nil {
			return files, err
		}
		files = append(files, latest)
	}
	return files, nil
}

// fileSummary is the summary written into the json and markdown files: the
// task's own, with "complete" false when the report is incomplete (and true
// when the task did not say).
func fileSummary(s Summary, complete bool) Summary {
	if _, said := s["complete"]; said && complete {
		return s
	}
	out := make(Summary, len(s)+1)
	maps.Copy(out, s)
	out["complete"] = complete
	return out
}

func finishFile(f *fileOut, final string, sum Summary) error {
	err := f.enc.end(f.w, sum)
	if err == nil {
		err = f.w.Flush()
	}
	if err != nil {
		discard(f)
		return fmt.Errorf("write report %s: %w", final, err)
	}
	if err := finish(f.tmp, final, 0o644); err != nil {
		discard(f)
		return err
	}
	return nil
}

// Abort drops the report: temporary files are removed, nothing is renamed.
// Rows already shown on stdout stay; their buffered lines are flushed so
// stdout never ends in half a line.
func (t *TaskReport) Abort() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.done = true
	t.discardFiles()
	if t.lines {
		_ = t.run.out.flush()
	}
}

func (t *TaskReport) discardFiles() {
	for _, f := range t.files {
		discard(f)
	}
	t.files = nil
}

func discard(f *fileOut) {
	if h, ok := f.enc.(*htmlEncoder); ok {
		h.cleanup()
	}
	f.tmp.Close()
	os.Remove(f.tmp.Name())
}
