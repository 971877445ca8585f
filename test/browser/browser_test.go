package browser

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

var updateShots = flag.Bool("update-screenshots", false, "write the screenshots to docs/ (the README shows them)")

// root is the repository root.
func root(t *testing.T) string {
	t.Helper()
	r, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// chromium finds the browser: $CHROMIUM, else chromium on PATH. Outside CI a
// missing browser skips the test; in CI (CI set) it fails it, since .ci/run
// installs one.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no chromium on PATH; .ci/run installs Debian's chromium (apt-get install -y chromium)")
	}
	t.Skip("no chromium on PATH (apt-get install -y chromium); skipped outside CI")
	return ""
}

// demoRun is the demo configuration run twice against one emulator that
// stays up for the test (`trustjob sim`, as a user would serve it), so the
// bucket the reports were delivered to can be read afterwards.
type demoRun struct {
	out    string // the output directory
	bucket string // the emulated bucket's prefix as a URL: http://127.0.0.1:P/trustjob-reports/trustjob/
	token  string // an IAM access token of the trusted profile, for COS
}

// demo builds trustjob, serves the emulator with `trustjob sim`, and runs
// config/demo.yaml (what `trustjob demo` runs, through the same code) twice
// into one directory and the emulated bucket, editing the first run's
// inventory in the bucket in between (two instances dropped, three altered,
// two added) so the second run has a change report, read from the bucket's
// latest.jsonl as across Jobs, and the index a trend.
func demo(t *testing.T) *demoRun {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "trustjob")
	build := exec.Command("go", "build", "-o", bin, "./cmd/trustjob")
	build.Dir = root(t)
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	env := startSim(t, bin)
	d := &demoRun{out: filepath.Join(t.TempDir(), "demo")}
	d.bucket = strings.TrimSuffix(env["TRUSTJOB_COS_ENDPOINT"], "/") + "/trustjob-reports/trustjob/"
	d.token = accessToken(t, env)
	run := func() {
		cmd := exec.Command(bin, "run", "--config", filepath.Join(root(t), "config", "demo.yaml"), "--output-dir", d.out)
		cmd.Dir = t.TempDir()
		cmd.Env = os.Environ()
		for k, v := range env {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("trustjob run (the demo configuration): %v\n%s", err, b)
		}
	}
	run()
	d.editBaseline(t, "inventory/latest.jsonl")
	run()
	return d
}

// startSim starts `trustjob sim` on a free loopback port and returns the
// environment it prints (export K=V lines). It is stopped when the test ends.
func startSim(t *testing.T, bin string) map[string]string {
	t.Helper()
	cmd := exec.Command(bin, "sim", "--listen", "127.0.0.1:0", "--report-delay", "300ms", "--token-dir", t.TempDir())
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start trustjob sim: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	env := map[string]string{}
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		if kv, ok := strings.CutPrefix(lines.Text(), "export "); ok {
			k, v, _ := strings.Cut(kv, "=")
			env[k] = v
		}
		if strings.HasPrefix(lines.Text(), "# Stop with") {
			break
		}
	}
	go io.Copy(io.Discard, stdout)
	if env["TRUSTJOB_COS_ENDPOINT"] == "" || env["TRUSTJOB_CR_TOKEN_FILE"] == "" {
		t.Fatalf("trustjob sim printed no COS endpoint or token file: %v\n%s", env, stderr.String())
	}
	return env
}

// accessToken exchanges the emulator's projected token for an IAM access
// token of the demo's trusted profile, as trustjob does.
func accessToken(t *testing.T, env map[string]string) string {
	t.Helper()
	cr, err := os.ReadFile(env["TRUSTJOB_CR_TOKEN_FILE"])
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{"grant_type": {"urn:ibm:params:oauth:grant-type:cr-token"},
		"cr_token": {strings.TrimSpace(string(cr))}, "profile_name": {"trustjob-runner"}}
	resp, err := http.PostForm(strings.TrimSuffix(env["TRUSTJOB_IAM_URL"], "/")+"/identity/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || resp.StatusCode != http.StatusOK || tok.AccessToken == "" {
		t.Fatalf("token exchange: HTTP %d, %v", resp.StatusCode, err)
	}
	return tok.AccessToken
}

// get reads an object of the emulated bucket (key below the prefix).
func (d *demoRun) get(t *testing.T, key string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, d.bucket+key, nil)
	req.Header.Set("Authorization", "Bearer "+d.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", key, err)
	}
	return resp
}

// editBaseline rewrites the previous inventory in the bucket (the baseline
// of the next run) as if the account had changed since: instances 0 and 1
// were not there (created now), 2 and 3 had another name and 4 another state
// (changed), and two more existed (deleted now). The object keeps its
// metadata (the account it belongs to).
func (d *demoRun) editBaseline(t *testing.T, key string) {
	t.Helper()
	resp := d.get(t, key)
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: HTTP %d", key, resp.StatusCode)
	}
	var kept []map[string]any
	i := 0
	for _, r := range decodeJSONL(t, resp.Body) {
		if r["record"] != "instance" {
			continue
		}
		switch i {
		case 0, 1:
			i++
			continue
		case 2, 3:
			r["name"] = fmt.Sprint(r["name"], "-old")
		case 4:
			r["state"] = "inactive"
		case 5, 6:
			gone := map[string]any{}
			for k, v := range r {
				gone[k] = v
			}
			gone["crn"] = strings.Replace(r["crn"].(string), "::", fmt.Sprintf("-gone%d::", i), 1)
			gone["guid"], gone["name"] = fmt.Sprint(r["guid"], "-gone"), fmt.Sprint(r["name"], "-retired")
			kept = append(kept, gone)
		}
		i++
		kept = append(kept, r)
	}
	var b strings.Builder
	for _, r := range kept {
		line, _ := json.Marshal(r)
		b.Write(line)
		b.WriteByte('\n')
	}
	req, _ := http.NewRequest(http.MethodPut, d.bucket+key, strings.NewReader(b.String()))
	req.Header.Set("Authorization", "Bearer "+d.token)
	for k, v := range resp.Header {
		if strings.HasPrefix(k, "X-Amz-Meta-") || k == "Content-Type" {
			req.Header[k] = v
		}
	}
	put, err := http.DefaultClient.Do(req)
	if err != nil || put.StatusCode != http.StatusOK {
		t.Fatalf("PUT %s: %v %v", key, err, put)
	}
	put.Body.Close()
}

// browser is headless Chromium with the flags this environment needs (as
// root: no sandbox), a fresh profile, and the page's console: errors and
// warnings, uncaught exceptions and browser log entries (a CSP violation, a
// failed load) are collected while a page is open.
type browser struct {
	ctx    context.Context
	mu     sync.Mutex
	errors []string
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelC(); cancelA() })
	// The first call starts the browser; it must not carry a timeout.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	b := &browser{ctx: ctx}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			switch m.Type {
			case chromedp.ConsoleError, chromedp.ConsoleWarning, chromedp.ConsoleException:
				b.mu.Lock()
				b.errors = append(b.errors, m.String()+" "+m.URL)
				b.mu.Unlock()
			}
		}
	}()
	return b
}

func (b *browser) open(t *testing.T, path string) {
	t.Helper()
	b.openURL(t, "file://"+path)
}

func (b *browser) openURL(t *testing.T, url string) {
	t.Helper()
	path := url
	b.mu.Lock()
	b.errors = nil
	b.mu.Unlock()
	b.do(t, "open "+path, chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS("footer")))
	// Give late messages (a script throwing on load) a moment to arrive.
	time.Sleep(300 * time.Millisecond)
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range b.errors {
		t.Errorf("%s: %s", filepath.Base(path), e)
	}
}

func (b *browser) do(t *testing.T, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func eval[T any](t *testing.T, b *browser, js string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

func (b *browser) media(t *testing.T, media string, features ...*emulation.MediaFeature) {
	t.Helper()
	if _, err := chromedp.Call(b.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: media, Features: features}); err != nil {
		t.Fatalf("emulate media: %v", err)
	}
}

// screenshot saves a full-page PNG under $SCREENSHOT_DIR (default a
// temporary directory), and under docs/ with -update-screenshots.
func (b *browser) screenshot(t *testing.T, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	eval[bool](t, b, `window.scrollTo(0, 0), true`) // a reload keeps the scroll position
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil || len(png) < 1000 {
		t.Fatalf("screenshot %s: %d bytes, %v", name, len(png), err)
	}
	dir := os.Getenv("SCREENSHOT_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	os.MkdirAll(dir, 0o755)
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s (%d bytes)", filepath.Join(dir, name), len(png))
	if *updateShots {
		// The README shows the top of the page: header, totals, charts and
		// the start of the tables, at a laptop's width.
		top, err := chromedp.Run(ctx, func(ctx context.Context, tg *chromedp.Target) ([]byte, error) {
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 1500)); err != nil {
				return nil, err
			}
			defer chromedp.Do(ctx, chromedp.EmulateReset())
			return chromedp.CaptureScreenshot()(ctx, tg)
		})
		if err != nil {
			t.Fatalf("screenshot for docs: %v", err)
		}
		if err := os.WriteFile(filepath.Join(root(t), "docs", name), top, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// lowContrast lists text whose contrast with its background is below WCAG
// AA's 4.5:1, computed from the rendered colours (each element's nearest
// opaque background, text over SVG charts against the chart's card).
const lowContrast = `(() => {
  const rgb = s => (s.match(/[\d.]+/g) || []).map(Number);
  const lum = c => { const [r, g, b] = c.slice(0, 3).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const bg = el => { for (; el; el = el.parentElement) { const c = rgb(getComputedStyle(el).backgroundColor); if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c; } return [255, 255, 255]; };
  const bad = [];
  for (const el of document.querySelectorAll('body *')) {
    if (!el.offsetParent && el.tagName !== 'text') continue;
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const st = getComputedStyle(el);
    const fg = rgb(el.tagName === 'text' ? st.fill : st.color);
    const l1 = lum(fg), l2 = lum(bg(el)), ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    if (ratio < 4.5) bad.push(el.tagName.toLowerCase() + '.' + (el.className.baseVal ?? el.className) + ' "' + el.textContent.trim().slice(0, 30) + '" ' + ratio.toFixed(2));
  }
  return bad;
})()`

func checkContrast(t *testing.T, b *browser, page string) {
	t.Helper()
	for _, scheme := range []string{"light", "dark"} {
		b.media(t, "", &emulation.MediaFeature{Name: "prefers-color-scheme", Value: scheme})
		if bad := eval[[]string](t, b, lowContrast); len(bad) > 0 {
			t.Errorf("%s, %s: text below 4.5:1 contrast: %v", page, scheme, bad)
		}
	}
	b.media(t, "")
}

// rendering is what a reader gets from a page: its text, the rows of each
// table, each chart's bars and the trend's points.
type rendering struct {
	Text   string   `json:"text"`
	Tables []string `json:"tables"`
	Bars   []string `json:"bars"`
	Dots   int      `json:"dots"`
}

const renderingJS = `({
  text: document.body.innerText,
  tables: [...document.querySelectorAll('table')].map((t, i) => (t.id || i) + ': ' + [...t.tBodies].reduce((n, b) => n + b.rows.length, 0)),
  bars: [...document.querySelectorAll('rect.bar')].map(r => (r.closest('[id]')?.id ?? '') + ' ' + r.dataset.label + '=' + r.dataset.value),
  dots: document.querySelectorAll('circle.dot').length,
})`

// headers makes the browser send h with every request (none: h empty).
func (b *browser) headers(t *testing.T, h network.Headers) {
	t.Helper()
	if _, err := chromedp.Call(b.ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: h}); err != nil {
		t.Fatalf("set extra HTTP headers: %v", err)
	}
}

func readJSONL(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return decodeJSONL(t, f)
}

func decodeJSONL(t *testing.T, r io.Reader) []map[string]any {
	t.Helper()
	var rows []map[string]any
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var r map[string]any
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, r)
	}
	return rows
}

type bar struct {
	Label string `json:"label"`
	Value int    `json:"value"`
}

func (b *browser) bars(t *testing.T, chart string) []bar {
	t.Helper()
	return eval[[]bar](t, b, fmt.Sprintf(`[...document.querySelectorAll('#%s rect.bar')].map(r => ({label: r.dataset.label, value: +r.dataset.value}))`, chart))
}

// wantBars is the chart a reader should see for counts: the largest first
// (ties by name), 12 bars, the rest summed into one.
func wantBars(counts map[string]int) []bar {
	var all []bar
	for k, v := range counts {
		all = append(all, bar{k, v})
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].Value != all[j].Value {
			return all[i].Value > all[j].Value
		}
		return all[i].Label < all[j].Label
	})
	if len(all) <= 12 {
		return all
	}
	rest := bar{Value: 0}
	for _, b := range all[12:] {
		rest.Value += b.Value
	}
	if n := len(all) - 12; n == 1 {
		rest.Label = "1 other value"
	} else {
		rest.Label = fmt.Sprintf("%d other values", n)
	}
	return append(all[:12:12], rest)
}

func visibleRows(t *testing.T, b *browser, table string) int {
	return eval[int](t, b, fmt.Sprintf(`[...document.querySelectorAll('#%s tbody tr')].filter(r => !r.hidden).length`, table))
}

// column returns the sort values (data-v, else text) of a table column.
func column(t *testing.T, b *browser, table string, col int) []string {
	return eval[[]string](t, b, fmt.Sprintf(`[...document.querySelectorAll('#%s tbody tr')].map(r => { const c = r.cells[%d]; return c.dataset.v ?? c.textContent.trim(); })`, table, col))
}

func attr(t *testing.T, b *browser, sel, name string) string {
	return eval[string](t, b, fmt.Sprintf(`document.querySelector(%q).getAttribute(%q) ?? ""`, sel, name))
}

func TestReportsInBrowser(t *testing.T) {
	b := newBrowser(t)
	d := demo(t)
	out := d.out

	t.Run("index", func(t *testing.T) {
		var sum struct {
			Account string `json:"account"`
			Tasks   []struct {
				Name string `json:"name"`
			} `json:"tasks"`
		}
		raw, err := os.ReadFile(filepath.Join(out, "run-summary.json"))
		if err != nil {
			t.Fatal(err)
		}
		json.Unmarshal(raw, &sum)
		b.open(t, filepath.Join(out, "index.html"))
		if n := visibleRows(t, b, "tasks"); n != len(sum.Tasks) {
			t.Errorf("index lists %d tasks, run summary %d", n, len(sum.Tasks))
		}
		text := eval[string](t, b, `document.querySelector('header').textContent`)
		if !strings.Contains(text, sum.Account) || !strings.Contains(text, "trustjob-runner") {
			t.Errorf("index header lacks account or profile: %q", text)
		}
		// Every link opens a report of this run.
		links := eval[[]string](t, b, `[...document.querySelectorAll('#tasks a')].map(a => a.href)`)
		if len(links) != len(sum.Tasks) {
			t.Errorf("%d report links, want %d", len(links), len(sum.Tasks))
		}
		for _, l := range links {
			p := strings.TrimPrefix(l, "file://")
			if _, err := os.Stat(p); err != nil {
				t.Errorf("link %s: %v", l, err)
			}
		}
		if n := eval[int](t, b, `document.querySelectorAll('#trend-findings circle.dot').length`); n != 2 {
			t.Errorf("trend shows %d runs, want 2", n)
		}
		checkContrast(t, b, "index.html")
		b.screenshot(t, "report-index.png")
	})

	t.Run("inventory", func(t *testing.T) {
		rows := readJSONL(t, filepath.Join(out, "inventory", "latest.jsonl"))
		byService, byRegion, byState := map[string]int{}, map[string]int{}, map[string]int{}
		instances := 0
		for _, r := range rows {
			if r["record"] != "instance" {
				continue
			}
			instances++
			byService[r["service"].(string)]++
			byRegion[r["region"].(string)]++
			byState[r["state"].(string)]++
		}
		changes := map[string]int{}
		for _, r := range rows {
			if r["record"] == "change" {
				changes[r["change"].(string)]++
			}
		}
		if want := map[string]int{"created": 2, "changed": 3, "deleted": 2}; !maps.Equal(changes, want) {
			t.Errorf("demo's change report %v, want %v (editBaseline)", changes, want)
		}
		b.open(t, filepath.Join(out, "inventory", "latest.html"))
		if n := visibleRows(t, b, "changes"); n != 7 {
			t.Errorf("change table has %d rows, want 7", n)
		}
		if got := b.bars(t, "chart-changes"); !slices.Equal(got, []bar{{"created", 2}, {"deleted", 2}, {"changed", 3}}) {
			t.Errorf("change bars %v", got)
		}
		if n := visibleRows(t, b, "instances"); n != instances {
			t.Errorf("instance table has %d rows, the report %d", n, instances)
		}
		for chart, counts := range map[string]map[string]int{"chart-service": byService, "chart-region": byRegion, "chart-state": byState} {
			if got, want := b.bars(t, chart), wantBars(counts); !slices.Equal(got, want) {
				t.Errorf("%s bars %v, want %v", chart, got, want)
			}
		}

		// Sorting by keyboard: focus the Created header's button, press Enter.
		created := `#instances thead th:nth-child(7) button`
		b.do(t, "sort by created", chromedp.Focus(chromedp.CSS(created)), chromedp.KeyEvent(kb.Enter))
		if s := attr(t, b, "#instances thead th:nth-child(7)", "aria-sort"); s != "ascending" {
			t.Errorf("aria-sort %q after one press, want ascending", s)
		}
		col := column(t, b, "instances", 6)
		if !slices.IsSorted(col) {
			t.Errorf("created column not ascending: %v", col)
		}
		b.do(t, "sort again", chromedp.Click(chromedp.CSS(created)))
		col = column(t, b, "instances", 6)
		if s := attr(t, b, "#instances thead th:nth-child(7)", "aria-sort"); s != "descending" || !slices.IsSortedFunc(col, func(a, b string) int { return strings.Compare(b, a) }) {
			t.Errorf("after a second click: aria-sort %q, column %v", s, col)
		}

		// Filtering: a service name leaves that service's instances.
		svc := wantBars(byService)[0]
		b.do(t, "filter", chromedp.SendKeys(chromedp.CSS("#instances-q"), svc.Label))
		if n := visibleRows(t, b, "instances"); n != svc.Value {
			t.Errorf("filter %q shows %d rows, want %d", svc.Label, n, svc.Value)
		}
		count := eval[string](t, b, `document.getElementById('instances-count').textContent`)
		if want := fmt.Sprintf("%d of %d rows shown", svc.Value, instances); count != want {
			t.Errorf("filter count %q, want %q", count, want)
		}
		b.do(t, "clear filter", chromedp.SetValue(chromedp.CSS("#instances-q"), "x"), chromedp.SendKeys(chromedp.CSS("#instances-q"), kb.Backspace))
		if n := visibleRows(t, b, "instances"); n != instances {
			t.Errorf("after clearing the filter %d rows, want %d", n, instances)
		}
		b.do(t, "reload", chromedp.Reload())
		checkContrast(t, b, "inventory")
		b.screenshot(t, "report-inventory.png")
		// Dark mode renders too (prefers-color-scheme).
		b.media(t, "", &emulation.MediaFeature{Name: "prefers-color-scheme", Value: "dark"})
		bg := eval[string](t, b, `getComputedStyle(document.body).backgroundColor`)
		if bg != "rgb(18, 20, 23)" {
			t.Errorf("dark background %q", bg)
		}
		b.screenshot(t, "report-inventory-dark.png")
		b.media(t, "", &emulation.MediaFeature{Name: "prefers-color-scheme", Value: "light"})
	})

	t.Run("identities", func(t *testing.T) {
		rows := readJSONL(t, filepath.Join(out, "inactive-identities", "latest.jsonl"))
		byKind, results := map[string]int{}, map[string]int{}
		identities, actions, exempt, never := 0, 0, 0, 0
		for _, r := range rows {
			switch r["record"] {
			case "identity":
				identities++
				byKind[r["kind"].(string)]++
				if r["exempt"] == true {
					exempt++
				}
				if r["never_used"] == true {
					never++
				}
			case "action":
				actions++
				results[r["result"].(string)]++
			}
		}
		b.open(t, filepath.Join(out, "inactive-identities", "latest.html"))
		for table, want := range map[string]int{"identities": identities, "actions": actions, "exempt": exempt, "never": never} {
			if n := visibleRows(t, b, table); n != want {
				t.Errorf("table %s has %d rows, the report %d", table, n, want)
			}
		}
		if got, want := b.bars(t, "chart-kind"), wantBars(byKind); !slices.Equal(got, want) {
			t.Errorf("kind bars %v, want %v", got, want)
		}
		failing := map[string]int{}
		for _, r := range rows {
			if r["record"] == "identity" && r["status"] == "fail" {
				failing[r["severity"].(string)]++
			}
		}
		var sev []bar
		for _, name := range []string{"critical", "high", "medium", "low", "info"} {
			if failing[name] > 0 {
				sev = append(sev, bar{name, failing[name]})
			}
		}
		if got := b.bars(t, "chart-severity"); !slices.Equal(got, sev) {
			t.Errorf("severity bars %v, want %v", got, sev)
		}
		total := 0
		for _, br := range b.bars(t, "chart-age") {
			total += br.Value
		}
		if total != identities {
			t.Errorf("age histogram sums to %d, want %d identities", total, identities)
		}
		// Numeric sort on "Days unused" (7th column of the identity table).
		days := `#identities thead th:nth-child(6) button`
		b.do(t, "sort days", chromedp.Click(chromedp.CSS(days)), chromedp.Click(chromedp.CSS(days)))
		col := column(t, b, "identities", 5)
		var prev = 1 << 30
		for _, c := range col {
			var n int
			fmt.Sscan(c, &n)
			if n > prev {
				t.Errorf("days unused not descending: %v", col)
				break
			}
			prev = n
		}
		b.do(t, "reload", chromedp.Reload())
		checkContrast(t, b, "identities")
		b.screenshot(t, "report-identities.png")
	})

	// Served over HTTP (as from a bucket's website or a presigned URL) the
	// pages read the same as from the file: same text, same links working,
	// no console error. The COS delivery test can point base at the
	// emulated bucket instead.
	t.Run("served over http", func(t *testing.T) {
		srv := httptest.NewServer(http.FileServer(http.Dir(out)))
		defer srv.Close()
		for _, page := range []string{"index.html", "inventory/latest.html", "inactive-identities/latest.html"} {
			b.open(t, filepath.Join(out, page))
			local := eval[string](t, b, `document.body.innerText`)
			if len(local) < 100 {
				t.Fatalf("%s: no text read (%q)", page, local)
			}
			b.openURL(t, srv.URL+"/"+page)
			if served := eval[string](t, b, `document.body.innerText`); served != local {
				t.Errorf("%s reads differently over http (%d bytes of text, %d from the file)", page, len(served), len(local))
			}
		}
		b.openURL(t, srv.URL+"/index.html")
		for _, l := range eval[[]string](t, b, `[...document.querySelectorAll('#tasks a')].map(a => a.href)`) {
			resp, err := http.Get(l)
			if err != nil || resp.StatusCode != http.StatusOK {
				t.Errorf("link %s: %v %v", l, err, resp)
			}
			if resp != nil {
				resp.Body.Close()
			}
		}
	})

	// Delivered to the (emulated) COS bucket, the pages render as they do
	// from the local files: read over HTTP with the Content-Type the bucket
	// stores, the same text, table rows, chart bars and trend points, no
	// console error, and the relative links between index.html and the task
	// pages work in the bucket's layout (<prefix>index.html,
	// <prefix><task>/<stamp>.html and latest.html).
	t.Run("from the COS bucket", func(t *testing.T) {
		for _, key := range []string{"index.html", "inventory/latest.html"} {
			resp := d.get(t, key)
			resp.Body.Close()
			if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || ct != "text/html; charset=utf-8" {
				t.Errorf("GET %s: HTTP %d, Content-Type %q; want 200, text/html; charset=utf-8", key, resp.StatusCode, ct)
			}
		}
		// The browser sends the profile's IAM token, as any reader of the
		// bucket must (COS takes bearer tokens).
		b.headers(t, network.Headers{"Authorization": "Bearer " + d.token})
		defer b.headers(t, network.Headers{})

		b.openURL(t, d.bucket+"index.html")
		pages := []string{"index.html", "inventory/latest.html", "inactive-identities/latest.html"}
		links := eval[[]string](t, b, `[...document.querySelectorAll('#tasks a')].map(a => a.href)`)
		if len(links) < 6 {
			t.Errorf("index.html in the bucket links %d reports: %v", len(links), links)
		}
		for _, l := range links {
			rel, ok := strings.CutPrefix(l, d.bucket)
			if !ok {
				t.Errorf("link %s leaves the bucket's prefix %s", l, d.bucket)
				continue
			}
			pages = append(pages, rel)
		}
		for _, page := range pages {
			b.open(t, filepath.Join(out, filepath.FromSlash(page)))
			local := eval[rendering](t, b, renderingJS)
			if len(local.Text) < 100 || len(local.Tables) == 0 {
				t.Fatalf("%s: nothing read from the file (%+v)", page, local)
			}
			b.openURL(t, d.bucket+page)
			if ct := eval[string](t, b, `document.contentType + '; ' + document.characterSet`); ct != "text/html; UTF-8" {
				t.Errorf("%s from the bucket is read as %q", page, ct)
			}
			if got := eval[rendering](t, b, renderingJS); !reflect.DeepEqual(got, local) {
				t.Errorf("%s renders differently from the bucket:\n bucket tables %v bars %d dots %d text %d bytes\n file   tables %v bars %d dots %d text %d bytes",
					page, got.Tables, len(got.Bars), got.Dots, len(got.Text), local.Tables, len(local.Bars), local.Dots, len(local.Text))
			}
		}
		// Following the links in the browser: index -> a task's page of
		// this run -> back to the run.
		b.openURL(t, d.bucket+"index.html")
		b.do(t, "follow the first report link", chromedp.Click(chromedp.CSS("#tasks a")), chromedp.WaitReady(chromedp.CSS("header .eyebrow a")))
		if loc := eval[string](t, b, `location.href`); loc != links[0] {
			t.Errorf("the first report link led to %s, want %s", loc, links[0])
		}
		b.do(t, "follow the link back to the run", chromedp.Click(chromedp.CSS("header .eyebrow a")), chromedp.WaitReady(chromedp.CSS("#tasks")))
		if loc := eval[string](t, b, `location.href`); loc != d.bucket+"index.html" {
			t.Errorf("the link back to the run led to %s, want %sindex.html", loc, d.bucket)
		}
	})

	t.Run("print", func(t *testing.T) {
		b.open(t, filepath.Join(out, "inventory", "latest.html"))
		b.media(t, "print")
		display := eval[string](t, b, `getComputedStyle(document.querySelector('.tools')).display`)
		if display != "none" {
			t.Errorf("print stylesheet keeps the filter box: display %q", display)
		}
		b.media(t, "")
	})
}
