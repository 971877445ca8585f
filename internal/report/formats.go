package report

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Formats are the file formats a run can write, in documentation order.
var Formats = []string{"jsonl", "json", "csv", "markdown"}

// encoder streams one report in one format: begin, a row at a time, end.
// Nothing is buffered beyond the bufio.Writer, so memory does not grow with rows.
type encoder interface {
	begin(w *bufio.Writer, task string, s Schema) error
	row(w *bufio.Writer, r Row) error
	end(w *bufio.Writer, sum Summary) error
}

func newEncoder(format string) (encoder, error) {
	switch format {
	case "jsonl":
		return &jsonlEncoder{}, nil
	case "json":
		return &jsonEncoder{}, nil
	case "csv":
		return &csvEncoder{}, nil
	case "markdown":
		return &markdownEncoder{}, nil
	}
	return nil, fmt.Errorf("unknown report format %q (known: %s)", format, strings.Join(Formats, ", "))
}

// columns are the row's keys in schema order, then any others sorted, so every
// format writes the same, stable order.
func columns(s Schema, r Row) []string {
	cols := make([]string, 0, len(r))
	for _, c := range s.Columns {
		if _, ok := r[c]; ok {
			cols = append(cols, c)
		}
	}
	if len(cols) == len(r) {
		return cols
	}
	var extra []string
	for k := range r {
		if !slices.Contains(s.Columns, k) {
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	return append(cols, extra...)
}

// appendObject encodes r as one JSON object with keys in schema order.
func appendObject(b []byte, s Schema, r Row) ([]byte, error) {
	b = append(b, '{')
	for i, c := range columns(s, r) {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendQuote(b, c)
		b = append(b, ':')
		v, err := json.Marshal(r[c])
		if err != nil {
			return nil, fmt.Errorf("encode column %s: %w", c, err)
		}
		b = append(b, v...)
	}
	return append(b, '}'), nil
}

// text renders one value for csv, markdown and the terminal: strings as they
// are, times in RFC 3339, nil as empty, everything else as JSON.
func text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case time.Time:
		if x.IsZero() {
			return ""
		}
		return x.UTC().Format(time.RFC3339)
	case fmt.Stringer:
		return x.String()
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

type jsonlEncoder struct {
	schema Schema
	buf    []byte
}

func (e *jsonlEncoder) begin(_ *bufio.Writer, _ string, s Schema) error { e.schema = s; return nil }

func (e *jsonlEncoder) row(w *bufio.Writer, r Row) error {
	b, err := appendObject(e.buf[:0], e.schema, r)
	if err != nil {
		return err
	}
	e.buf = append(b, '\n')
	_, err = w.Write(e.buf)
	return err
}

// The summary of a JSONL report lives in run-summary.json: every line of a
// .jsonl file is a row, which is what line-oriented tools expect.
func (e *jsonlEncoder) end(*bufio.Writer, Summary) error { return nil }

// jsonEncoder writes {"task":..., "columns":[...], "rows":[...], "summary":{...}}.
type jsonEncoder struct {
	schema Schema
	n      int64
	buf    []byte
}

func (e *jsonEncoder) begin(w *bufio.Writer, task string, s Schema) error {
	e.schema = s
	t, _ := json.Marshal(task)
	c, _ := json.Marshal(s.Columns)
	_, err := fmt.Fprintf(w, "{\n  \"task\": %s,\n  \"columns\": %s,\n  \"rows\": [", t, c)
	return err
}

func (e *jsonEncoder) row(w *bufio.Writer, r Row) error {
	sep := ",\n    "
	if e.n == 0 {
		sep = "\n    "
	}
	e.n++
	b, err := appendObject(append(e.buf[:0], sep...), e.schema, r)
	if err != nil {
		return err
	}
	e.buf = b
	_, err = w.Write(b)
	return err
}

func (e *jsonEncoder) end(w *bufio.Writer, sum Summary) error {
	s, err := json.MarshalIndent(sum, "  ", "  ")
	if err != nil {
		return fmt.Errorf("encode summary: %w", err)
	}
	closing := "\n  ]"
	if e.n == 0 {
		closing = "]"
	}
	_, err = fmt.Fprintf(w, "%s,\n  \"summary\": %s\n}\n", closing, s)
	return err
}

type csvEncoder struct {
	schema Schema
	cw     *csv.Writer
	rec    []string
}

func (e *csvEncoder) begin(w *bufio.Writer, _ string, s Schema) error {
	e.schema = s
	e.cw = csv.NewWriter(w)
	e.rec = make([]string, len(s.Columns))
	return e.cw.Write(s.Columns)
}

func (e *csvEncoder) row(_ *bufio.Writer, r Row) error {
	for i, c := range e.schema.Columns {
		e.rec[i] = text(r[c])
	}
	if err := e.cw.Write(e.rec); err != nil {
		return err
	}
	e.cw.Flush() // into the bufio.Writer: keeps the csv buffer at one record
	return e.cw.Error()
}

func (e *csvEncoder) end(*bufio.Writer, Summary) error {
	e.cw.Flush()
	return e.cw.Error()
}

type markdownEncoder struct {
	schema Schema
}

func (e *markdownEncoder) begin(w *bufio.Writer, task string, s Schema) error {
	e.schema = s
	fmt.Fprintf(w, "# %s\n\n", mdCell(task))
	w.WriteString("|")
	for _, c := range s.Columns {
		w.WriteString(" " + mdCell(c) + " |")
	}
	w.WriteString("\n|")
	for range s.Columns {
		w.WriteString("---|")
	}
	_, err := w.WriteString("\n")
	return err
}

func (e *markdownEncoder) row(w *bufio.Writer, r Row) error {
	w.WriteString("|")
	for _, c := range e.schema.Columns {
		w.WriteString(" " + mdCell(text(r[c])) + " |")
	}
	_, err := w.WriteString("\n")
	return err
}

func (e *markdownEncoder) end(w *bufio.Writer, sum Summary) error {
	w.WriteString("\n## Summary\n\n| key | value |\n|---|---|\n")
	keys := make([]string, 0, len(sum))
	for k := range sum {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "| %s | %s |\n", mdCell(k), mdCell(text(sum[k])))
	}
	return nil
}

// mdCell escapes what would break a Markdown table cell.
func mdCell(s string) string {
	if !strings.ContainsAny(s, "|\\\n\r<>`*_[]") {
		return s
	}
	var b bytes.Buffer
	for _, r := range s {
		switch r {
		case '|', '\\', '`', '*', '_', '[', ']', '<', '>':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n':
			b.WriteString("<br>")
		case '\r':
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
