package report

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Formats are the file formats a run can write, in documentation order.
//
//   - jsonl: one JSON object per row and nothing else, so line tools (jq, wc -l,
//     ReadJSONL) see only rows; the summary is in run-summary.json.
//   - json: {"task", "columns", "rows": [...], "summary": {...}}, streamed.
//   - csv: RFC 4180 quoting (encoding/csv, LF line ends so values round-trip)
//     with a header from the Schema; nested values as JSON, times in RFC 3339
//     UTC; text starting with = + - @ gets a leading ' (see csvCell).
//   - markdown: a table (pipes, markup and line breaks escaped) and a summary
//     section.
//   - ocsf: OCSF Compliance Finding events, one per line, for the rows that
//     are findings (ocsf.go).
//
// csv and markdown hold the Schema's columns only; jsonl and json also keep
// keys a row has outside the Schema. json and markdown end with the summary,
// whose "complete" is false in an incomplete report.
var Formats = []string{"jsonl", "json", "csv", "markdown", "ocsf"}

// HTML is the page format (html.go): a self-contained page with charts and
// sortable tables that holds every total but caps its tables, so it is not
// one of Formats, whose golden files pin every row; its structure has golden
// files of its own. AllFormats lists both kinds.
const HTML = "html"

// AllFormats are every format output.formats accepts.
var AllFormats = append(slices.Clip(Formats), HTML)

// encoder streams one report in one format: begin, a row at a time, end.
// Nothing is buffered beyond the bufio.Writer and one row, so memory does not
// grow with rows. row receives both the row and obj, the row already encoded as
// one JSON object (see values.object), so JSON is encoded once per row however
// many formats are written.
type encoder interface {
	begin(w *bufio.Writer, task string, s Schema) error
	row(w *bufio.Writer, r Row, obj []byte) error
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
	case HTML:
		return &htmlEncoder{}, nil
	case "ocsf":
		return &ocsfEncoder{}, nil
	}
	return nil, fmt.Errorf("unknown report format %q (known: %s)", format, strings.Join(AllFormats, ", "))
}

// values encodes row values. It reuses its buffers, so it is not safe for
// concurrent use and what it returns is valid until the next call.
type values struct {
	buf   bytes.Buffer
	enc   *json.Encoder
	obj   []byte
	extra []string
}

func newValues() *values {
	v := &values{}
	v.enc = json.NewEncoder(&v.buf)
	// Reports are read by people too: keep <, > and & as they are.
	v.enc.SetEscapeHTML(false)
	return v
}

// json encodes one value.
func (v *values) json(x any) ([]byte, error) {
	v.buf.Reset()
	if err := v.enc.Encode(x); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(v.buf.Bytes(), []byte{'\n'}), nil
}

// object encodes r as one JSON object: the Schema's columns present in r in
// Schema order, then any other keys sorted, so every run writes the same bytes.
// A value JSON cannot encode (NaN, a channel) is an error naming its column.
func (v *values) object(s Schema, r Row) ([]byte, error) {
	b := append(v.obj[:0], '{')
	first := true
	add := func(k string, x any) error {
		if !first {
			b = append(b, ',')
		}
		first = false
		var err error
		if b, err = v.appendKey(b, k); err != nil {
			return err
		}
		b = append(b, ':')
		val, err := v.json(x)
		if err != nil {
			return fmt.Errorf("encode column %s: %w", k, err)
		}
		b = append(b, val...)
		return nil
	}
	n := 0
	for _, c := range s.Columns {
		if x, ok := r[c]; ok {
			n++
			if err := add(c, x); err != nil {
				return nil, err
			}
		}
	}
	if n < len(r) {
		v.extra = v.extra[:0]
		for k := range r {
			if !slices.Contains(s.Columns, k) {
				v.extra = append(v.extra, k)
			}
		}
		sort.Strings(v.extra)
		for _, k := range v.extra {
			if err := add(k, r[k]); err != nil {
				return nil, err
			}
		}
	}
	v.obj = append(b, '}')
	return v.obj, nil
}

// appendKey appends k as a JSON string: directly when it is plain ASCII, which
// column names are, and through the encoder otherwise.
func (v *values) appendKey(b []byte, k string) ([]byte, error) {
	for i := 0; i < len(k); i++ {
		if c := k[i]; c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' {
			q, err := v.json(k)
			if err != nil {
				return nil, err
			}
			return append(b, q...), nil
		}
	}
	b = append(b, '"')
	b = append(b, k...)
	return append(b, '"'), nil
}

// text renders one value for csv, markdown and the terminal: strings as they
// are, times in RFC 3339 UTC, nil as empty, everything else as JSON.
func (v *values) text(x any) string {
	switch x := x.(type) {
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
	b, err := v.json(x)
	if err != nil {
		return fmt.Sprint(x)
	}
	return string(b)
}

type jsonlEncoder struct{}

func (jsonlEncoder) begin(*bufio.Writer, string, Schema) error { return nil }

func (jsonlEncoder) row(w *bufio.Writer, _ Row, obj []byte) error {
	w.Write(obj)
	return w.WriteByte('\n')
}

// The summary of a JSONL report lives in run-summary.json: every line of a
// .jsonl file is a row, which is what line-oriented tools expect.
func (jsonlEncoder) end(*bufio.Writer, Summary) error { return nil }

// jsonEncoder writes {"task":..., "columns":[...], "rows":[...], "summary":{...}}
// with one row per line, so a large report stays readable and diffable.
type jsonEncoder struct {
	n int64
}

func (e *jsonEncoder) begin(w *bufio.Writer, task string, s Schema) error {
	t, _ := json.Marshal(task)
	c, _ := json.Marshal(s.Columns)
	_, err := fmt.Fprintf(w, "{\n  \"task\": %s,\n  \"columns\": %s,\n  \"rows\": [", t, c)
	return err
}

func (e *jsonEncoder) row(w *bufio.Writer, _ Row, obj []byte) error {
	if e.n > 0 {
		w.WriteByte(',')
	}
	e.n++
	w.WriteString("\n    ")
	_, err := w.Write(obj)
	return err
}

func (e *jsonEncoder) end(w *bufio.Writer, sum Summary) error {
	var s bytes.Buffer
	enc := json.NewEncoder(&s)
	enc.SetEscapeHTML(false)
	enc.SetIndent("  ", "  ")
	if err := enc.Encode(sum); err != nil {
		return fmt.Errorf("encode summary: %w", err)
	}
	closing := "\n  ]"
	if e.n == 0 {
		closing = "]"
	}
	_, err := fmt.Fprintf(w, "%s,\n  \"summary\": %s\n}\n", closing, bytes.TrimSuffix(s.Bytes(), []byte{'\n'}))
	return err
}

type csvEncoder struct {
	schema Schema
	cw     *csv.Writer
	rec    []string
	v      *values
}

func (e *csvEncoder) begin(w *bufio.Writer, _ string, s Schema) error {
	e.schema, e.v = s, newValues()
	e.cw = csv.NewWriter(w)
	e.rec = make([]string, len(s.Columns))
	return e.cw.Write(s.Columns)
}

func (e *csvEncoder) row(_ *bufio.Writer, r Row, _ []byte) error {
	for i, c := range e.schema.Columns {
		e.rec[i] = csvCell(r[c], e.v.text(r[c]))
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

// csvCell guards against formula injection: resource and identity names are
// chosen by anyone who can create them, and a spreadsheet runs a cell such as
// =HYPERLINK(...) as a formula. A text value starting with = + - @ or a control
// character gets a leading ' (OWASP's advice); numbers are left alone, and the
// JSON formats keep every value unchanged.
func csvCell(x any, s string) string {
	switch x.(type) {
	case json.Number:
		return s
	case string, fmt.Stringer:
	default:
		return s
	}
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

type markdownEncoder struct {
	schema Schema
	v      *values
}

func (e *markdownEncoder) begin(w *bufio.Writer, task string, s Schema) error {
	e.schema, e.v = s, newValues()
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

func (e *markdownEncoder) row(w *bufio.Writer, r Row, _ []byte) error {
	w.WriteString("|")
	for _, c := range e.schema.Columns {
		w.WriteString(" " + mdCell(e.v.text(r[c])) + " |")
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
		fmt.Fprintf(w, "| %s | %s |\n", mdCell(k), mdCell(e.v.text(sum[k])))
	}
	return nil
}

// mdCell escapes what would break a Markdown table cell or be read as markup:
// pipes and markup characters get a backslash, a line break becomes <br>,
// other control characters a space.
func mdCell(s string) string {
	if !strings.ContainsAny(s, "|\\<>&`*_[]") && !strings.ContainsFunc(s, unicode.IsControl) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '|', '\\', '`', '*', '_', '[', ']', '<', '>', '&':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n':
			b.WriteString("<br>")
		case '\r':
		default:
			if unicode.IsControl(r) {
				r = ' '
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}
