package report

import (
	"bufio"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The html format is one self-contained page per task and run: inline CSS,
// inline SVG charts and one small inline script, nothing fetched from the
// network, so it opens from a COS bucket, a mail attachment or an air-gapped
// laptop alike. Its Content-Security-Policy allows only that script (by hash)
// and inline styles, so a name in the account that slipped past escaping
// still could not run code or load anything.
//
// Memory stays bounded however many rows a task writes: charts come from
// counters with a capped number of keys, and each table keeps at most its cap
// of rows, spilled to a temporary file next to the report until the page is
// assembled at the end (summary and charts first, then the tables).

var (
	//go:embed htmlassets/style.css
	htmlCSS string
	//go:embed htmlassets/script.js
	htmlJS string

	htmlCSP = func() string {
		sum := sha256.Sum256([]byte(htmlJS))
		return "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; " +
			"script-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	}()
)

// HTML page limits. Variables so tests and benchmarks can shrink them.
var (
	// HTMLTableRows caps the rows of a main table (instances, identities);
	// the page says so and points at the JSONL/CSV report for the rest.
	HTMLTableRows int64 = 1000
	// HTMLChangeRows caps the change and action (audit trail) tables, which
	// are usually short and matter most; their counts are always in full.
	HTMLChangeRows int64 = 20000
	// htmlMaxKeys caps the distinct values a chart counts; more fall into
	// "other values".
	htmlMaxKeys = 2000
	// htmlBars is how many bars a chart draws before summing the rest.
	htmlBars = 12
)

// htmlView lays out one kind of report: it sees every row and writes the
// page's sections at the end.
type htmlView interface {
	kind() string
	row(r Row) error
	tables() []*capTable
	body(w *bufio.Writer, sum Summary) error
}

// htmlEncoder writes the html format. dir (the report's directory) receives
// the temporary spill files; now stamps the page.
type htmlEncoder struct {
	dir  string
	now  time.Time
	task string
	view htmlView
	rows int64
	// findings: the rows carry the typed finding columns (severity, status).
	findings bool
}

func (e *htmlEncoder) begin(_ *bufio.Writer, task string, s Schema) error {
	e.task = task
	e.findings = hasColumns(s, "severity", "status")
	v := newValues()
	switch {
	case hasColumns(s, "record", "crn", "service", "region", "state"):
		e.view = newInventoryView(e, v)
	case hasColumns(s, "record", "kind", "inactive_days", "action", "result"):
		e.view = newIdentityView(e, v)
	default:
		e.view = newGenericView(e, v, s)
	}
	return nil
}

func hasColumns(s Schema, cols ...string) bool {
	have := map[string]bool{}
	for _, c := range s.Columns {
		have[c] = true
	}
	for _, c := range cols {
		if !have[c] {
			return false
		}
	}
	return true
}

func (e *htmlEncoder) row(_ *bufio.Writer, r Row, _ []byte) error {
	e.rows++
	return e.view.row(r)
}

func (e *htmlEncoder) end(w *bufio.Writer, sum Summary) error {
	defer e.cleanup()
	complete, _ := sum["complete"].(bool)
	writeHead(w, e.task+" · "+e.view.kind()+" · trustjob")
	w.WriteString(`<header class="top"><p class="eyebrow"><a href="../` + IndexFile + `">trustjob run</a> › ` + esc(e.task) + `</p><h1>` + esc(e.view.kind()) + `</h1><dl class="meta">`)
	meta(w, "Task", esc(e.task))
	meta(w, "Generated", `<time datetime="`+e.now.UTC().Format(time.RFC3339)+`">`+e.now.UTC().Format("2006-01-02 15:04 UTC")+`</time>`)
	meta(w, "Rows", fmtInt(e.rows))
	if complete {
		meta(w, "Report", badge("complete", "b-ok"))
	} else {
		meta(w, "Report", badge("incomplete", "b-bad"))
	}
	w.WriteString("</dl></header>\n<main>\n")
	if !complete {
		w.WriteString(`<p class="cap" role="status">This report is <strong>incomplete</strong>: the task failed or was cut short, so the counts below cover only what was listed before it stopped.</p>` + "\n")
	}
	if err := e.view.body(w, sum); err != nil {
		return err
	}
	summaryDetails(w, sum)
	w.WriteString("</main>\n")
	return writeFoot(w)
}

// cleanup removes the spill files; called after end and when a report is
// discarded.
func (e *htmlEncoder) cleanup() {
	if e.view == nil {
		return
	}
	for _, t := range e.view.tables() {
		t.close()
	}
}

func writeHead(w *bufio.Writer, title string) {
	w.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n" +
		`<meta name="viewport" content="width=device-width, initial-scale=1">` + "\n" +
		`<meta http-equiv="Content-Security-Policy" content="` + htmlCSP + `">` + "\n" +
		`<meta name="color-scheme" content="light dark">` + "\n" +
		`<meta name="generator" content="trustjob">` + "\n" +
		"<title>" + esc(title) + "</title>\n<style>\n")
	w.WriteString(htmlCSS)
	w.WriteString("</style>\n</head>\n<body>\n")
}

func writeFoot(w *bufio.Writer) error {
	w.WriteString(`<footer>Written by trustjob. Self-contained: this page loads nothing from the network.</footer>` + "\n<script>")
	w.WriteString(htmlJS)
	_, err := w.WriteString("</script>\n</body>\n</html>\n")
	return err
}

func meta(w *bufio.Writer, k, vHTML string) {
	w.WriteString("<div><dt>" + esc(k) + "</dt><dd>" + vHTML + "</dd></div>")
}

func esc(s string) string { return html.EscapeString(s) }

func badge(text, class string) string {
	return `<span class="badge ` + class + `">` + esc(text) + `</span>`
}

// fmtInt writes n with thousands separators.
func fmtInt(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

type card struct {
	label string
	value int64
	class string // "", "bad", "warn", "ok"
}

func writeCards(w *bufio.Writer, label string, cards []card) {
	w.WriteString(`<ul class="cards" aria-label="` + esc(label) + `">`)
	for _, c := range cards {
		w.WriteString(`<li class="card ` + c.class + `"><span class="v">` + fmtInt(c.value) + `</span><span class="k">` + esc(c.label) + `</span></li>`)
	}
	w.WriteString("</ul>\n")
}

// summaryDetails lists the task's summary, collapsed: every total the task
// reported, for whoever wants more than the charts.
func summaryDetails(w *bufio.Writer, sum Summary) {
	keys := make([]string, 0, len(sum))
	for k := range sum {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	v := newValues()
	w.WriteString(`<section aria-labelledby="s-summary"><details class="panel"><summary><h2 id="s-summary" style="display:inline">Task summary</h2></summary><dl class="kv">`)
	for _, k := range keys {
		w.WriteString("<dt>" + esc(k) + "</dt><dd><code>" + esc(v.text(sum[k])) + "</code></dd>")
	}
	w.WriteString("</dl></details></section>\n")
}

// counter counts values of one dimension, holding at most limit keys.
type counter struct {
	m      map[string]int64
	limit  int
	other  int64 // counts of keys beyond the limit
	others int   // how many such additions
}

func newCounter() *counter { return &counter{m: map[string]int64{}, limit: htmlMaxKeys} }

func (c *counter) add(k string, n int64) {
	if _, ok := c.m[k]; ok || len(c.m) < c.limit {
		c.m[k] += n
		return
	}
	c.other += n
	c.others++
}

type kv struct {
	k string
	v int64
}

// sorted returns the counts, largest first, ties by name.
func (c *counter) sorted() []kv {
	out := make([]kv, 0, len(c.m))
	for k, v := range c.m {
		out = append(out, kv{k, v})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].v != out[j].v {
			return out[i].v > out[j].v
		}
		return out[i].k < out[j].k
	})
	return out
}

// barChart draws a horizontal bar chart of items in the given order: the
// first htmlBars bars, then one bar summing the rest. The same numbers follow
// in a data table (for screen readers, copying and the browser test).
func barChart(w *bufio.Writer, id, title string, items []kv, extra int64, keyTitle string) {
	var bars []kv
	var rest int64
	restN := 0
	for i, it := range items {
		if i < htmlBars {
			bars = append(bars, it)
		} else {
			rest += it.v
			restN++
		}
	}
	rest += extra
	var maxV int64 = 1
	for _, b := range bars {
		maxV = max(maxV, b.v)
	}
	maxV = max(maxV, rest)
	n := len(bars)
	if rest > 0 {
		n++
	}
	const width, labelW, valueW, rowH = 430, 160, 56, 22
	barW := width - labelW - valueW
	height := max(n*rowH+4, 28)
	w.WriteString(`<figure class="chart" id="` + id + `"><figcaption id="` + id + `-t">` + esc(title) + `</figcaption>`)
	if n == 0 {
		w.WriteString(`<p class="empty">Nothing to chart.</p></figure>` + "\n")
		return
	}
	fmt.Fprintf(w, `<svg viewBox="0 0 %d %d" role="img" aria-labelledby="%s-t" preserveAspectRatio="xMinYMin meet">`, width, height, id)
	draw := func(i int, label string, v int64, class string) {
		y := i*rowH + 2
		bw := max(int(float64(barW)*float64(v)/float64(maxV)), 1)
		if v == 0 {
			bw = 0
		}
		shown := label
		if r := []rune(shown); len(r) > 21 {
			shown = string(r[:20]) + "…"
		}
		fmt.Fprintf(w, `<g><title>%s: %s</title><text x="%d" y="%d" text-anchor="end">%s</text>`+
			`<rect class="%s" data-label="%s" data-value="%d" x="%d" y="%d" width="%d" height="%d" rx="3"></rect>`+
			`<text class="val" x="%d" y="%d">%s</text></g>`,
			esc(label), fmtInt(v), labelW-8, y+16, esc(shown),
			class, esc(label), v, labelW, y+3, bw, rowH-6,
			labelW+bw+6, y+16, fmtInt(v))
	}
	for i, b := range bars {
		draw(i, b.k, b.v, "bar")
	}
	restLabel := ""
	if rest > 0 {
		switch {
		case restN == 1:
			restLabel = "1 other value"
		case restN > 1:
			restLabel = fmt.Sprintf("%d other values", restN)
		default:
			restLabel = "other values"
		}
		draw(len(bars), restLabel, rest, "bar other")
	}
	w.WriteString("</svg>")
	w.WriteString(`<details class="data"><summary>Data</summary><table><thead><tr><th scope="col">` + esc(keyTitle) + `</th><th scope="col" class="num">Count</th></tr></thead><tbody>`)
	for _, b := range bars {
		w.WriteString("<tr><td>" + esc(labelOr(b.k)) + `</td><td class="num">` + fmtInt(b.v) + "</td></tr>")
	}
	if rest > 0 {
		w.WriteString("<tr><td>" + esc(restLabel) + `</td><td class="num">` + fmtInt(rest) + "</td></tr>")
	}
	w.WriteString("</tbody></table></details></figure>\n")
}

func labelOr(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// tcol is one column of a capTable: a title, and the cell's inner HTML
// (escaped) with an optional sort value.
type tcol struct {
	title string
	num   bool
	cell  func(r Row) (html string, sortValue string)
}

// capTable is a table whose rows are rendered as they arrive into a spill
// file, at most limit of them; n counts every row offered.
type capTable struct {
	id, title, note string
	// intro writes what goes between the heading and the table (charts).
	intro func(w *bufio.Writer)
	cols  []tcol
	limit int64
	n     int64
	enc   *htmlEncoder
	f     *os.File
	w     *bufio.Writer
	err   error
}

func (t *capTable) add(r Row) error {
	t.n++
	if t.n > t.limit || t.err != nil {
		return t.err
	}
	if t.f == nil {
		dir := t.enc.dir
		if dir == "" {
			dir = os.TempDir()
		}
		f, err := os.CreateTemp(dir, ".html-"+t.id+"-*.tmp")
		if err != nil {
			t.err = fmt.Errorf("html report: spill file: %w", err)
			return t.err
		}
		t.f, t.w = f, bufio.NewWriterSize(f, 32<<10)
	}
	t.w.WriteString("<tr>")
	for _, c := range t.cols {
		h, sv := c.cell(r)
		t.w.WriteString("<td")
		if c.num {
			t.w.WriteString(` class="num"`)
		}
		if sv != "" {
			t.w.WriteString(` data-v="` + esc(sv) + `"`)
		}
		t.w.WriteString(">" + h + "</td>")
	}
	_, err := t.w.WriteString("</tr>\n")
	if err != nil {
		t.err = err
	}
	return err
}

func (t *capTable) close() {
	if t.f != nil {
		t.f.Close()
		os.Remove(t.f.Name())
		t.f, t.w = nil, nil
	}
}

// render writes the table section: heading, the cap when it was reached,
// the filter box and the table with sort buttons.
func (t *capTable) render(w *bufio.Writer, what, fullReport string) error {
	if t.err != nil {
		return t.err
	}
	w.WriteString(`<section aria-labelledby="` + t.id + `-h"><h2 id="` + t.id + `-h">` + esc(t.title) + ` <span class="badge">` + fmtInt(t.n) + `</span></h2>`)
	if t.note != "" {
		w.WriteString(`<p class="note">` + t.note + `</p>`)
	}
	if t.intro != nil {
		t.intro(w)
	}
	if t.n == 0 {
		w.WriteString(`<p class="empty">None.</p></section>` + "\n")
		return nil
	}
	shown := min(t.n, t.limit)
	if t.n > t.limit {
		fmt.Fprintf(w, `<p class="cap" id="%s-cap">Showing the first <strong>%s</strong> of <strong>%s</strong> %s, in listing order (this page keeps at most %s so it stays small). Every row is in %s.</p>`,
			t.id, fmtInt(shown), fmtInt(t.n), esc(what), fmtInt(t.limit), fullReport)
	}
	fmt.Fprintf(w, `<div class="tools"><label for="%[1]s-q">Filter</label><input id="%[1]s-q" type="search" data-filter="%[1]s" placeholder="Type to filter rows" autocomplete="off"><output id="%[1]s-count" aria-live="polite">%[2]s rows</output><span id="%[1]s-status" class="sr" aria-live="polite"></span></div>`,
		t.id, fmtInt(shown))
	fmt.Fprintf(w, `<div class="scroll" tabindex="0" role="region" aria-labelledby="%[1]s-h"><table id="%[1]s" class="sortable" data-rows="%[2]d" data-total="%[3]d"><thead><tr>`, t.id, shown, t.n)
	for _, c := range t.cols {
		cls := ""
		if c.num {
			cls = ` class="num"`
		}
		w.WriteString(`<th scope="col"` + cls + `><button type="button">` + esc(c.title) + `</button></th>`)
	}
	w.WriteString("</tr></thead>\n<tbody>\n")
	if t.f != nil {
		if err := t.w.Flush(); err != nil {
			return fmt.Errorf("html report: spill file: %w", err)
		}
		if _, err := t.f.Seek(0, io.SeekStart); err != nil {
			return fmt.Errorf("html report: spill file: %w", err)
		}
		if _, err := io.Copy(w, t.f); err != nil {
			return fmt.Errorf("html report: spill file: %w", err)
		}
	}
	_, err := w.WriteString("</tbody></table></div></section>\n")
	return err
}

// Cell helpers.

func textCell(v *values, key string) func(Row) (string, string) {
	return func(r Row) (string, string) { return esc(v.text(r[key])), "" }
}

func monoCell(v *values, key string) func(Row) (string, string) {
	return func(r Row) (string, string) { return `<code>` + esc(v.text(r[key])) + `</code>`, "" }
}

// dateCell shows the day and keeps the full time for sorting and hovering.
func dateCell(v *values, key string) func(Row) (string, string) {
	return func(r Row) (string, string) {
		s := v.text(r[key])
		if len(s) < 10 {
			return esc(s), s
		}
		return `<time datetime="` + esc(s) + `" title="` + esc(s) + `">` + esc(s[:10]) + `</time>`, s
	}
}

func numCell(v *values, key string) func(Row) (string, string) {
	return func(r Row) (string, string) {
		s := v.text(r[key])
		return esc(s), s
	}
}

func boolCell(key, yes string) func(Row) (string, string) {
	return func(r Row) (string, string) {
		if truthy(r[key]) {
			return badge(yes, "b-warn"), "1"
		}
		return "", "0"
	}
}

func truthy(x any) bool {
	switch x := x.(type) {
	case bool:
		return x
	case string:
		return x == "true"
	}
	return false
}

func str(x any) string {
	if s, ok := x.(string); ok {
		return s
	}
	if x == nil {
		return ""
	}
	return fmt.Sprint(x)
}

// intOf reads a whole number from a row value (int, float64 after a JSON
// round trip, json.Number, string).
func intOf(x any) (int64, bool) {
	switch x := x.(type) {
	case int:
		return int64(x), true
	case int64:
		return x, true
	case float64:
		// Only whole numbers int64 holds: a history file may say anything.
		if x != math.Trunc(x) || x < -(1<<62) || x > 1<<62 {
			return 0, false
		}
		return int64(x), true
	case interface{ Int64() (int64, error) }:
		n, err := x.Int64()
		return n, err == nil
	case string:
		n, err := strconv.ParseInt(x, 10, 64)
		return n, err == nil
	}
	return 0, false
}
