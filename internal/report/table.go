package report

import (
	"bytes"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

const (
	// tableSample rows set the terminal table's columns and widths; after them
	// the table streams, one line per row, so it never holds more than these.
	tableSample = 20
	// maxTableRows bounds the rows shown when report files hold everything:
	// the table is for a glance. Without files every row is shown.
	maxTableRows = 40
	// maxCellWidth caps a column; longer values are cut with "…".
	maxCellWidth = 32
	columnGap    = "  "
)

// table writes rows to a terminal as aligned text. Memory is bounded by
// tableSample rows whatever the number of rows.
type table struct {
	out    *stdout
	task   string
	schema Schema
	limit  int64 // rows shown at most; 0 shows every row
	v      *values

	sample  [][]string // rows seen before the widths are known
	used    []int      // columns shown: those with a value in the sample
	widths  []int      // per used column
	started bool
	shown   int64
	rec     []string
	line    []byte
}

func newTable(out *stdout, task string, s Schema, limit int64) *table {
	return &table{out: out, task: task, schema: s, limit: limit, v: newValues()}
}

func (t *table) add(r Row) error {
	if t.limit > 0 && t.shown+int64(len(t.sample)) >= t.limit {
		return nil
	}
	rec := t.rec
	if !t.started {
		rec = make([]string, len(t.schema.Columns))
	}
	for i, c := range t.schema.Columns {
		rec[i] = terminalText(t.v.text(r[c]))
	}
	if t.started {
		return t.print(rec)
	}
	t.sample = append(t.sample, rec)
	if len(t.sample) < tableSample {
		return nil
	}
	return t.start()
}

// start fixes the columns and widths from the sample and prints it.
func (t *table) start() error {
	t.started = true
	t.rec = make([]string, len(t.schema.Columns))
	header := make([]string, len(t.schema.Columns))
	for i, c := range t.schema.Columns {
		header[i] = strings.ToUpper(terminalText(c))
		for _, r := range t.sample {
			if r[i] != "" {
				t.used = append(t.used, i)
				break
			}
		}
	}
	if len(t.used) == 0 && len(header) > 0 {
		t.used = []int{0}
	}
	for _, i := range t.used {
		w := utf8.RuneCountInString(header[i])
		for _, r := range t.sample {
			w = max(w, utf8.RuneCountInString(r[i]))
		}
		t.widths = append(t.widths, min(w, maxCellWidth))
	}
	if err := t.out.write([]byte("\n"+terminalText(t.task)+"\n"), false); err != nil {
		return err
	}
	if err := t.printLine(header, false); err != nil {
		return err
	}
	sample := t.sample
	t.sample = nil
	for _, r := range sample {
		if err := t.print(r); err != nil {
			return err
		}
	}
	return nil
}

func (t *table) print(rec []string) error {
	t.shown++
	return t.printLine(rec, true)
}

func (t *table) printLine(rec []string, flush bool) error {
	b := t.line[:0]
	for n, i := range t.used {
		if n > 0 {
			b = append(b, columnGap...)
		}
		s, w := fit(rec[i], t.widths[n])
		b = append(b, s...)
		for ; w < t.widths[n]; w++ {
			b = append(b, ' ')
		}
	}
	// Widths count runes: wide (CJK) characters shift a line, nothing worse.
	t.line = append(bytes.TrimRight(b, " "), '\n')
	return t.out.write(t.line, flush)
}

// finish prints the sample if the table never filled it, and a closing line
// with the total. where names the report files, if any.
func (t *table) finish(total int64, complete bool, where string) error {
	if !t.started && len(t.sample) > 0 {
		if err := t.start(); err != nil {
			return err
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d rows", terminalText(t.task), total)
	if !complete {
		b.WriteString(" (incomplete)")
	}
	if total > t.shown {
		fmt.Fprintf(&b, ", %d not shown", total-t.shown)
	}
	if where != "" {
		fmt.Fprintf(&b, "; report in %s", terminalText(where))
	}
	b.WriteString("\n")
	return t.out.write([]byte(b.String()), true)
}

// fit cuts s to width runes, ending a cut value with "…", and returns the
// result with its width in runes.
func fit(s string, width int) (string, int) {
	n := utf8.RuneCountInString(s)
	if n <= width {
		return s, n
	}
	r := []rune(s)
	return string(r[:width-1]) + "…", width
}

// terminalText keeps a value on one line and takes out control characters:
// names come from the cloud account, and an escape sequence in one must not
// drive the user's terminal.
func terminalText(s string) string {
	if !strings.ContainsFunc(s, unicode.IsControl) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}
