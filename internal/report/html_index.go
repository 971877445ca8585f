package report

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// IndexFile is the run's overview page in the output directory.
const IndexFile = "index.html"

// RunIndex is what index.html shows about one run. app fills it from the run
// summary (internal/runner imports this package, so the summary type cannot
// be used here).
type RunIndex struct {
	RunID, Version, Account string
	ProfileName, ProfileID  string
	Started                 time.Time
	Duration                string
	Status                  string // succeeded, findings, failed, permission-denied
	ExitCode                int
	DryRun                  bool
	Tasks                   []IndexTask
}

// IndexTask is one task's line in index.html.
type IndexTask struct {
	Name, Type, Status, Reason, Error string
	Duration                          string
	Rows                              int64
	Findings                          *int64
	// Summary is the task's summary; changes and actions are read from it.
	Summary Summary
	// Report is the task's html report, relative to the output directory; ""
	// when the task wrote none.
	Report string
}

// RunPoint is one earlier run in the trend chart.
type RunPoint struct {
	RunID     string
	Started   time.Time
	Status    string
	Findings  int64
	Instances int64
	// HasInstances is false when no inventory ran.
	HasInstances bool
}

// History yields earlier run summaries for the trend chart. DirHistory reads
// them from the output directory; internal/deliver/cos reads the bucket's
// run-summary/ objects, so the trend works across Jobs without a volume.
type History interface {
	// Recent returns at most n runs, oldest first.
	Recent(ctx context.Context, n int) ([]RunPoint, error)
}

// Histories reads several sources (the output directory and the bucket) as
// one: the newest n runs of all of them, each run once (by run ID and start), oldest
// first. A source that fails costs its points, not the others'; its error is
// returned alongside.
type Histories []History

// Recent implements History.
func (hs Histories) Recent(ctx context.Context, n int) ([]RunPoint, error) {
	var all []RunPoint
	var errs []error
	seen := map[string]bool{}
	for _, h := range hs {
		if h == nil {
			continue
		}
		pts, err := h.Recent(ctx, n)
		if err != nil {
			errs = append(errs, err)
		}
		for _, p := range pts {
			// A run ID given from outside may repeat; with the start time
			// it names one run.
			id := p.RunID + " " + p.Started.UTC().Format(time.RFC3339Nano)
			if !seen[id] {
				seen[id] = true
				all = append(all, p)
			}
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].Started.Before(all[j].Started) })
	if len(all) > n {
		all = all[len(all)-n:]
	}
	return all, errors.Join(errs...)
}

// HistoryDir is where each run's summary is kept for the trend, below the
// output directory; HistoryKeep is how many are kept.
const (
	HistoryDir  = "history"
	HistoryKeep = 60
	// TrendRuns is how many runs the trend chart shows.
	TrendRuns = 30
	// MaxRunSummary caps one run summary read back for the trend (a file
	// of the history directory or an object of the bucket).
	MaxRunSummary = 8 << 20
)

// DirHistory reads run summaries from DIR/history/<stamp>.json.
type DirHistory struct{ Dir string }

// Recent implements History. A file that cannot be read or parsed is
// skipped: the trend is a picture, not a record, and one bad file must not
// cost the page.
func (h DirHistory) Recent(ctx context.Context, n int) ([]RunPoint, error) {
	names, err := historyFiles(filepath.Join(h.Dir, HistoryDir))
	if err != nil {
		return nil, err
	}
	if len(names) > n {
		names = names[len(names)-n:]
	}
	var out []RunPoint
	for _, name := range names {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		f, err := os.Open(name)
		if err != nil {
			continue
		}
		p, err := ParseRunPoint(io.LimitReader(f, MaxRunSummary))
		f.Close()
		if err == nil {
			out = append(out, p)
		}
	}
	return out, nil
}

// historyFiles lists the summaries kept, oldest first (stamps sort by time).
func historyFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read run history: %w", err)
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".json") && !strings.HasPrefix(e.Name(), ".") {
			names = append(names, filepath.Join(dir, e.Name()))
		}
	}
	sort.Strings(names)
	return names, nil
}

// ParseRunPoint reads the trend's numbers from a run-summary.json: the sum
// of the tasks' findings and the inventory's instances.
func ParseRunPoint(r io.Reader) (RunPoint, error) {
	var s struct {
		RunID   string    `json:"run_id"`
		Started time.Time `json:"started"`
		Status  string    `json:"status"`
		Tasks   []struct {
			Findings *int64         `json:"findings"`
			Summary  map[string]any `json:"summary"`
		} `json:"tasks"`
	}
	if err := json.NewDecoder(r).Decode(&s); err != nil {
		return RunPoint{}, fmt.Errorf("read run summary: %w", err)
	}
	p := RunPoint{RunID: s.RunID, Started: s.Started, Status: s.Status}
	// Counts below zero are nonsense and are left out; sums saturate
	// rather than wrap.
	add := func(sum *int64, n int64) {
		if n > 0 {
			*sum = min(*sum+min(n, math.MaxInt64-*sum), math.MaxInt64)
		}
	}
	for _, t := range s.Tasks {
		if t.Findings != nil {
			add(&p.Findings, *t.Findings)
		}
		if n, ok := intOf(t.Summary["instances"]); ok {
			add(&p.Instances, n)
			p.HasInstances = true
		}
	}
	return p, nil
}

// KeepHistory stores this run's summary as DIR/history/<stamp>.json and
// removes all but the newest HistoryKeep. stamp is the run's report stamp
// (Stamp: time, then run ID), so two runs in one second keep two files.
func KeepHistory(dir, stamp string, summary any) error {
	hdir := filepath.Join(dir, HistoryDir)
	path := filepath.Join(hdir, stamp+".json")
	if err := WriteJSONAtomic(path, summary); err != nil {
		return err
	}
	names, err := historyFiles(hdir)
	if err != nil {
		return err
	}
	for len(names) > HistoryKeep {
		os.Remove(names[0])
		names = names[1:]
	}
	return nil
}

// WriteIndex writes DIR/index.html atomically: the run's identity, each
// task with its status and a link to its report, and the trend of earlier
// runs (points, oldest first, the current run included).
func WriteIndex(dir string, run RunIndex, trend []RunPoint) error {
	return writeAtomic(filepath.Join(dir, IndexFile), 0o644, func(out io.Writer) error {
		w := bufio.NewWriter(out)
		writeIndex(w, run, trend)
		return w.Flush()
	})
}

func writeIndex(w *bufio.Writer, run RunIndex, trend []RunPoint) {
	title := "trustjob run " + run.Started.UTC().Format("2006-01-02 15:04 UTC")
	writeHead(w, title)
	w.WriteString(`<header class="top"><h1>` + esc(title) + ` ` + badge(run.Status, statusClass(run.Status)) + `</h1><dl class="meta">`)
	meta(w, "Account", "<code>"+esc(orDash(run.Account))+"</code>")
	prof := run.ProfileName
	if run.ProfileID != "" {
		prof = strings.TrimSpace(prof + " (" + run.ProfileID + ")")
	}
	meta(w, "Trusted profile", esc(orDash(prof)))
	meta(w, "Version", esc(orDash(run.Version)))
	meta(w, "Started", `<time datetime="`+run.Started.UTC().Format(time.RFC3339)+`">`+run.Started.UTC().Format("2006-01-02 15:04:05 UTC")+`</time>`)
	meta(w, "Duration", esc(orDash(run.Duration)))
	meta(w, "Exit code", fmt.Sprint(run.ExitCode))
	if run.DryRun {
		meta(w, "Mode", badge("dry run", "b-info"))
	}
	meta(w, "Run ID", "<code>"+esc(orDash(run.RunID))+"</code>")
	w.WriteString("</dl></header>\n<main>\n")

	var findings, failed int64
	for _, t := range run.Tasks {
		if t.Findings != nil {
			findings += *t.Findings
		}
		if t.Status == "failed" || t.Status == "incomplete" {
			failed++
		}
	}
	writeCards(w, "Run totals", []card{
		{label: "tasks", value: int64(len(run.Tasks))},
		{label: "failed or incomplete", value: failed, class: cls(failed, "bad")},
		{label: "findings", value: findings, class: cls(findings, "warn")},
	})

	w.WriteString(`<section aria-labelledby="s-tasks"><h2 id="s-tasks">Tasks</h2><div class="scroll" role="region" tabindex="0" aria-labelledby="s-tasks"><table id="tasks" class="sortable"><thead><tr>`)
	for _, h := range []struct {
		t   string
		num bool
	}{{"Task", false}, {"Status", false}, {"Duration", true}, {"Rows", true}, {"Findings", true}, {"Changes", false}, {"Actions", false}, {"Report", false}} {
		c := ""
		if h.num {
			c = ` class="num"`
		}
		w.WriteString(`<th scope="col"` + c + `><button type="button">` + h.t + `</button></th>`)
	}
	w.WriteString("</tr></thead>\n<tbody>\n")
	for _, t := range run.Tasks {
		w.WriteString(`<tr><th scope="row">` + esc(t.Name))
		if t.Type != t.Name {
			w.WriteString(`<br><span class="muted">` + esc(t.Type) + `</span>`)
		}
		w.WriteString(`</th>`)
		st := badge(t.Status, statusClass(t.Status))
		if t.Error != "" || t.Reason != "" {
			st += `<span class="muted wrap">` + esc(t.Error+t.Reason) + `</span>`
		}
		w.WriteString(`<td data-v="` + esc(t.Status) + `">` + st + `</td>`)
		ms := durationMS(t.Duration)
		fmt.Fprintf(w, `<td class="num" data-v="%d">%s</td>`, ms, esc(t.Duration))
		fmt.Fprintf(w, `<td class="num" data-v="%d">%s</td>`, t.Rows, fmtInt(t.Rows))
		if t.Findings != nil {
			fmt.Fprintf(w, `<td class="num" data-v="%d">%s%s</td>`, *t.Findings, fmtInt(*t.Findings), bySeverity(t.Summary))
		} else {
			w.WriteString(`<td class="num" data-v="-1"></td>`)
		}
		w.WriteString("<td>" + esc(orDash(changesText(t.Summary))) + "</td><td>" + esc(orDash(actionsText(t.Summary))) + "</td>")
		if t.Report != "" {
			w.WriteString(`<td><a href="` + esc(filepath.ToSlash(t.Report)) + `">Open<span class="sr"> the report of ` + esc(t.Name) + `</span></a></td>`)
		} else {
			w.WriteString(`<td class="empty">none</td>`)
		}
		w.WriteString("</tr>\n")
	}
	w.WriteString("</tbody></table></div></section>\n")

	w.WriteString(`<section aria-labelledby="s-trend"><h2 id="s-trend">Trend</h2>`)
	if len(trend) < 2 {
		w.WriteString(`<p class="empty">The trend appears once there are two or more runs to compare.</p>`)
	} else {
		w.WriteString(`<div class="charts">`)
		lineChart(w, "trend-findings", "Findings per run", trend, func(p RunPoint) (int64, bool) { return p.Findings, true }, "")
		lineChart(w, "trend-instances", "Instances per run", trend, func(p RunPoint) (int64, bool) { return p.Instances, p.HasInstances }, "alt")
		w.WriteString(`</div>`)
	}
	w.WriteString("</section>\n</main>\n")
	writeFoot(w)
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

func durationMS(s string) int64 {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0
	}
	return d.Milliseconds()
}

func statusClass(s string) string {
	switch s {
	case "succeeded":
		return "b-ok"
	case "findings", "skipped", "incomplete":
		return "b-warn"
	case "failed", "permission-denied":
		return "b-bad"
	}
	return ""
}

// changesText reads an inventory-style "changes" map from a task summary.
func changesText(s Summary) string {
	m, ok := s["changes"].(map[string]any)
	if !ok {
		if mi, ok2 := s["changes"].(map[string]int); ok2 {
			m = map[string]any{}
			for k, v := range mi {
				m[k] = v
			}
		} else {
			return ""
		}
	}
	var parts []string
	for _, k := range []string{"created", "deleted", "changed"} {
		if n, ok := intOf(m[k]); ok {
			parts = append(parts, fmt.Sprintf("%d %s", n, k))
		}
	}
	return strings.Join(parts, ", ")
}

// bySeverity renders a summary's findings_by_severity, most severe first.
func bySeverity(s Summary) string {
	m, ok := s["findings_by_severity"].(map[string]any)
	if !ok {
		if mi, ok2 := s["findings_by_severity"].(map[string]int); ok2 {
			m = map[string]any{}
			for k, v := range mi {
				m[k] = v
			}
		}
	}
	var parts []string
	for _, sev := range []string{"critical", "high", "medium", "low", "info"} {
		if n, ok := intOf(m[sev]); ok && n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, sev))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return `<br><span class="muted">` + esc(strings.Join(parts, ", ")) + `</span>`
}

// actionsText reads the actions_* totals of a task summary.
func actionsText(s Summary) string {
	var parts []string
	for _, k := range []struct{ key, word string }{
		{"actions_taken", "done"}, {"actions_would_do", "would do"}, {"actions_failed", "failed"},
		{"actions_unknown", "unknown"}, {"actions_blocked", "blocked"}, {"actions_skipped", "skipped"},
	} {
		if n, ok := intOf(s[k.key]); ok && n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, k.word))
		}
	}
	if len(parts) == 0 {
		if _, ok := s["actions_planned"]; ok {
			return "none"
		}
	}
	return strings.Join(parts, ", ")
}

// lineChart draws one series over the runs, with a data table.
func lineChart(w *bufio.Writer, id, title string, pts []RunPoint, val func(RunPoint) (int64, bool), class string) {
	type pt struct {
		p RunPoint
		v int64
	}
	var ps []pt
	for _, p := range pts {
		if v, ok := val(p); ok {
			ps = append(ps, pt{p, v})
		}
	}
	w.WriteString(`<figure class="chart" id="` + id + `"><figcaption id="` + id + `-t">` + esc(title) + `</figcaption>`)
	if len(ps) < 2 {
		w.WriteString(`<p class="empty">Not enough runs with this number yet.</p></figure>`)
		return
	}
	const width, height, padL, padR, padT, padB = 560, 180, 56, 16, 12, 28
	var hi int64 = 1
	for _, p := range ps {
		hi = max(hi, p.v)
	}
	x := func(i int) float64 { return padL + float64(i)*float64(width-padL-padR)/float64(len(ps)-1) }
	y := func(v int64) float64 { return padT + float64(height-padT-padB)*(1-float64(v)/float64(hi)) }
	fmt.Fprintf(w, `<svg viewBox="0 0 %d %d" role="img" aria-labelledby="%s-t">`, width, height, id)
	fmt.Fprintf(w, `<line class="axis" x1="%d" y1="%d" x2="%d" y2="%d"></line>`, padL, height-padB, width-padR, height-padB)
	fmt.Fprintf(w, `<text class="val" x="%d" y="%.1f" text-anchor="end">%s</text><text class="val" x="%d" y="%.1f" text-anchor="end">0</text>`,
		padL-6, y(hi)+4, fmtInt(hi), padL-6, y(0)+4)
	var path strings.Builder
	for i, p := range ps {
		if i == 0 {
			path.WriteString("M")
		} else {
			path.WriteString(" L")
		}
		fmt.Fprintf(&path, "%.1f %.1f", x(i), y(p.v))
	}
	fmt.Fprintf(w, `<path class="line %s" d="%s"></path>`, class, path.String())
	for i, p := range ps {
		fmt.Fprintf(w, `<circle class="dot %s" cx="%.1f" cy="%.1f" r="3.5" data-value="%d"><title>%s: %s</title></circle>`,
			class, x(i), y(p.v), p.v, esc(p.p.Started.UTC().Format("2006-01-02 15:04")), fmtInt(p.v))
	}
	first, last := ps[0].p.Started.UTC().Format("Jan 2 15:04"), ps[len(ps)-1].p.Started.UTC().Format("Jan 2 15:04")
	fmt.Fprintf(w, `<text class="val" x="%d" y="%d">%s</text><text class="val" x="%d" y="%d" text-anchor="end">%s</text>`,
		padL, height-8, esc(first), width-padR, height-8, esc(last))
	w.WriteString(`</svg><details class="data"><summary>Data</summary><table><thead><tr><th scope="col">Run started</th><th scope="col">Status</th><th scope="col" class="num">Value</th></tr></thead><tbody>`)
	for _, p := range ps {
		w.WriteString("<tr><td>" + esc(p.p.Started.UTC().Format("2006-01-02 15:04:05")) + "</td><td>" + esc(p.p.Status) + `</td><td class="num">` + fmtInt(p.v) + "</td></tr>")
	}
	w.WriteString("</tbody></table></details></figure>")
}
