package report

import (
	"bufio"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"
)

// RollupAccount is one account's line on rollup.html (internal/rollup fills
// it; that package imports this one, so its types cannot be used here).
type RollupAccount struct {
	Account, Name, Status, Error, Hint string
	ExitCode                           int
	Tasks, TasksFailed                 int
	Findings                           int64
	BySeverity                         map[string]int64
	Instances                          int64
	HasInventory                       bool
	Changes, Actions                   map[string]int64
	DurationMS                         int64
	// Folder holds the account's reports, relative to the page; its
	// index.html is linked when the html format wrote one.
	Folder string
}

// RollupPage is what rollup.html shows: the accounts of an enterprise run.
type RollupPage struct {
	Generated time.Time
	Status    string
	ExitCode  int
	Accounts  []RollupAccount
}

var rollupSeverities = []string{"critical", "high", "medium", "low", "info"}

// WriteRollup writes the enterprise view to path atomically: totals, then one
// sortable row per account with its status (and the fix, for an account that
// could not be signed in to), findings by severity, inventory, changes and
// actions.
func WriteRollup(path string, p RollupPage) error {
	return writeAtomic(path, 0o644, func(out io.Writer) error {
		w := bufio.NewWriter(out)
		writeRollup(w, filepath.Dir(path), p)
		return w.Flush()
	})
}

func writeRollup(w *bufio.Writer, dir string, p RollupPage) {
	title := "trustjob enterprise roll-up " + p.Generated.UTC().Format("2006-01-02 15:04 UTC")
	writeHead(w, title)
	w.WriteString(`<header class="top"><h1>` + esc(title) + ` ` + badge(p.Status, statusClass(p.Status)) + `</h1><dl class="meta">`)
	meta(w, "Accounts", fmtInt(int64(len(p.Accounts))))
	meta(w, "Exit code", fmt.Sprint(p.ExitCode))
	w.WriteString("</dl></header>\n<main>\n")

	var failed, findings, instances int64
	sev := map[string]int64{}
	for _, a := range p.Accounts {
		if a.ExitCode != 0 && a.ExitCode != 3 {
			failed++
		}
		findings += a.Findings
		instances += a.Instances
		for k, n := range a.BySeverity {
			sev[k] += n
		}
	}
	cards := []card{
		{label: "accounts", value: int64(len(p.Accounts))},
		{label: "accounts failed", value: failed, class: cls(failed, "bad")},
		{label: "findings", value: findings, class: cls(findings, "warn")},
		{label: "instances", value: instances},
	}
	for _, s := range rollupSeverities {
		if sev[s] > 0 {
			cards = append(cards, card{label: s, value: sev[s], class: "warn"})
		}
	}
	writeCards(w, "Enterprise totals", cards)

	w.WriteString(`<section aria-labelledby="s-accounts"><h2 id="s-accounts">Accounts</h2><div class="scroll" role="region" tabindex="0" aria-labelledby="s-accounts"><table id="accounts" class="sortable"><thead><tr>`)
	for _, h := range []struct {
		t   string
		num bool
	}{{"Account", false}, {"Status", false}, {"Tasks", true}, {"Findings", true}, {"Instances", true}, {"Changes", false}, {"Actions", false}, {"Duration", true}, {"Reports", false}} {
		c := ""
		if h.num {
			c = ` class="num"`
		}
		w.WriteString(`<th scope="col"` + c + `><button type="button">` + h.t + `</button></th>`)
	}
	w.WriteString("</tr></thead>\n<tbody>\n")
	accts := slices.Clone(p.Accounts)
	sort.SliceStable(accts, func(i, j int) bool { return accts[i].Account < accts[j].Account })
	for _, a := range accts {
		w.WriteString(`<tr><th scope="row"><code>` + esc(a.Account) + `</code>`)
		if a.Name != "" {
			w.WriteString(`<br><span class="muted">` + esc(a.Name) + `</span>`)
		}
		w.WriteString(`</th>`)
		st := badge(a.Status, statusClass(a.Status))
		if a.Error != "" {
			st += `<span class="muted wrap">` + esc(a.Error) + `</span>`
		}
		if a.Hint != "" {
			st += `<span class="wrap"><strong>Fix:</strong> ` + esc(a.Hint) + `</span>`
		}
		w.WriteString(`<td data-v="` + esc(a.Status) + `">` + st + `</td>`)
		tasks := fmtInt(int64(a.Tasks))
		if a.TasksFailed > 0 {
			tasks += fmt.Sprintf(` <span class="muted">(%d failed)</span>`, a.TasksFailed)
		}
		fmt.Fprintf(w, `<td class="num" data-v="%d">%s</td>`, a.Tasks, tasks)
		fmt.Fprintf(w, `<td class="num" data-v="%d">%s%s</td>`, a.Findings, fmtInt(a.Findings), sevText(a.BySeverity))
		if a.HasInventory {
			fmt.Fprintf(w, `<td class="num" data-v="%d">%s</td>`, a.Instances, fmtInt(a.Instances))
		} else {
			w.WriteString(`<td class="num" data-v="-1"></td>`)
		}
		w.WriteString("<td>" + esc(orDash(countsText(a.Changes, []string{"created", "deleted", "changed"}))) + "</td>")
		w.WriteString("<td>" + esc(orDash(countsText(a.Actions, []string{"taken", "would_do", "failed", "unknown", "blocked", "skipped"}))) + "</td>")
		fmt.Fprintf(w, `<td class="num" data-v="%d">%s</td>`, a.DurationMS, esc((time.Duration(a.DurationMS) * time.Millisecond).String()))
		link := ""
		if a.Folder != "" {
			rel := a.Folder
			if filepath.IsAbs(rel) {
				if r, err := filepath.Rel(dir, rel); err == nil {
					rel = r
				}
			}
			link = `<a href="` + esc(filepath.ToSlash(filepath.Join(rel, IndexFile))) + `">Open<span class="sr"> the reports of ` + esc(a.Account) + `</span></a>`
		}
		w.WriteString("<td>" + orEmpty(link) + "</td></tr>\n")
	}
	w.WriteString("</tbody></table></div></section>\n</main>\n")
	writeFoot(w)
}

func sevText(m map[string]int64) string {
	var parts []string
	for _, s := range rollupSeverities {
		if m[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", m[s], s))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return `<br><span class="muted">` + esc(strings.Join(parts, ", ")) + `</span>`
}

func countsText(m map[string]int64, order []string) string {
	var parts []string
	for _, k := range order {
		if m[k] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", m[k], strings.ReplaceAll(k, "_", " ")))
		}
	}
	return strings.Join(parts, ", ")
}

func orEmpty(s string) string {
	if s == "" {
		return `<span class="empty">none</span>`
	}
	return s
}
