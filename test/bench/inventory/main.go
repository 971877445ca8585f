// Command inventory measures the inventory task against the emulator, as
// BENCHMARKS.md reports: wall time, completeness and request count against the
// naive sequential pager, and the trustjob process's peak RSS on a large account.
//
//	go run ./test/bench/inventory                 # both parts, the sizes
//	go run ./test/bench/inventory -part speed -instances 20000
//	go run ./test/bench/inventory -part memory -big 1000000
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/IBM/platform-services-go-sdk/resourcecontrollerv2"

	"github.com/trustjob/trustjob/internal/auth"
	"github.com/trustjob/trustjob/internal/cloudsim"
	"github.com/trustjob/trustjob/internal/report"
	"github.com/trustjob/trustjob/internal/simtest"
	"github.com/trustjob/trustjob/tasks/inventory"
)

func main() {
	part := flag.String("part", "all", "speed, memory or all")
	instances := flag.Int("instances", 100_000, "instances for the speed part")
	shapes := flag.String("shapes", "skew40", "comma-separated account shapes for the speed part: "+strings.Join(shapeNames(), ", "))
	repeat := flag.Int("repeat", 1, "runs of each shape (the medians are printed)")
	naive := flag.Bool("naive", true, "also list each shape with the SDK's sequential pager, for the speed-up")
	latency := flag.Duration("latency", 20*time.Millisecond, "emulated latency per request")
	inFlight := flag.Int("in-flight", 8, "requests in flight the emulator accepts (429 beyond); also the task's maxConcurrency")
	big := flag.Int("big", 1_000_000, "instances for the memory part")
	groups := flag.Int("groups", 20, "resource groups (memory part)")
	sources := flag.String("sources", "resource-controller", "the inventory's sources option (memory part): resource-controller, search or both")
	skew := flag.Float64("skew", 0.4, "share of the instances in the largest group (memory part)")
	planned := flag.Bool("planned", false, "speed part: list each shape once unmeasured and hand its report to the measured runs as the previous run's (what a scheduled inventory has from its second run on: partitions planned from the previous report)")
	simProcess := flag.Bool("sim-process", false, "speed part: run the emulator as its own process (trustjob sim --latency --max-in-flight), so its CPU does not slow the client's round trips in this process")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the speed part to this file")
	runs := flag.Int("runs", 0, "memory part: runs one after the other, the second with the first's report as its change-report baseline (default 1, 2 with -cos)")
	memLimit := flag.String("memlimit", "", "memory part: GOMEMLIMIT of the trustjob run process only (e.g. 64MiB)")
	withCOS := flag.Bool("cos", false, "memory part: also upload to the emulator's COS bucket and run twice, the second run's change report reading its baseline from the bucket")
	flag.Parse()
	log.SetFlags(0)
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		check(err)
		check(pprof.StartCPUProfile(f))
		defer pprof.StopCPUProfile()
	}
	fmt.Printf("machine: %d CPUs, %s\n", runtime.NumCPU(), runtime.Version())
	if *part == "all" || *part == "speed" {
		http.DefaultTransport = tracer // before sign-in: every client is built on it
		for _, name := range strings.Split(*shapes, ",") {
			sh, ok := shapeByName[name]
			if !ok {
				log.Fatalf("unknown shape %q (have %s)", name, strings.Join(shapeNames(), ", "))
			}
			speed(sh, *instances, *latency, *inFlight, *repeat, *naive, *simProcess, *planned)
		}
	}
	if *part == "all" || *part == "memory" {
		memory(*big, *groups, *skew, *sources, *withCOS, *runs, *memLimit)
	}
}

// shape is how the instances are spread over resource groups.
type shape struct {
	name   string
	groups int
	skew   float64 // share of the largest group; 0 spreads evenly
}

var shapeByName = map[string]shape{
	"skew40":  {"skew40", 20, 0.4}, // the original benchmark: 20 groups, one with 40%
	"skew90":  {"skew90", 20, 0.9}, // one group with 90%
	"flat200": {"flat200", 200, 0}, // 200 groups of equal size (500 each at 100,000)
}

func shapeNames() []string {
	var out []string
	for k := range shapeByName {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// result is one run of the inventory task on a shape.
type result struct {
	wall              time.Duration
	requests, minimum int
	cpu               time.Duration // process CPU (the emulator runs in this process too)
	pages             int
	trace             traceStats
}

// speed lists the same account with the SDK's pager, one page after another
// (optional), then with the inventory task, repeat times, and compares time,
// sets and requests with the bound P / maxConcurrency * r.
func speed(sh shape, n int, latency time.Duration, inFlight, repeat int, naivePager, simProcess, planned bool) {
	var (
		l     *cloudsim.Local // nil with -sim-process
		sess  *auth.Session
		count func() int // Resource Controller and Manager requests served so far
	)
	if simProcess {
		var stop func()
		sess, count, stop = startSimProcess(sh, n, latency, inFlight)
		defer stop()
		naivePager = false
	} else {
		spec := cloudsim.DefaultSpec()
		spec.Instances, spec.Groups, spec.LargestGroupShare, spec.NonDefaultStates, spec.Reclamations = n, sh.groups, sh.skew, 0, 0
		dir, _ := os.MkdirTemp("", "bench-inventory-")
		defer os.RemoveAll(dir)
		var err error
		l, err = cloudsim.StartLocal(spec, cloudsim.Options{Latency: latency, MaxInFlight: inFlight, RetryAfter: 1}, dir)
		check(err)
		defer l.Close()
		sess, err = simtest.SignIn(context.Background(), l)
		check(err)
		count = func() int {
			return int(l.Sim.Log().Count(cloudsim.ServiceResourceCtl) + l.Sim.Log().Count(cloudsim.ServiceResourceMgr))
		}
	}
	where := "in this process"
	if simProcess {
		where = "in its own process"
	}
	fmt.Printf("\n== speed, shape %s: %d instances in %d groups (largest %.0f%%), %s per request, %d in flight, emulator %s\n",
		sh.name, n, sh.groups, largestShare(sh)*100, latency, inFlight, where)

	var naive []string
	if naivePager {
		rcBefore := l.Sim.Log().Count(cloudsim.ServiceResourceCtl)
		start := time.Now()
		o := &resourcecontrollerv2.ListResourceInstancesOptions{}
		o.SetLimit(100)
		pager, err := sess.Clients.ResourceController.NewResourceInstancesPager(o)
		check(err)
		for pager.HasNext() {
			page, err := pager.GetNext()
			check(err)
			for _, r := range page {
				naive = append(naive, *r.CRN)
			}
		}
		fmt.Printf("naive pager:   %8.2fs  %6d instances  %5d requests\n", time.Since(start).Seconds(), len(naive),
			l.Sim.Log().Count(cloudsim.ServiceResourceCtl)-rcBefore)
		slices.Sort(naive)
	}

	stateDir := ""
	if planned {
		// The previous run's report, as the task's own JSONL.
		dir, err := os.MkdirTemp("", "bench-inventory-plan-")
		check(err)
		defer os.RemoveAll(dir)
		f, err := os.Create(filepath.Join(dir, "latest.jsonl"))
		check(err)
		w := bufio.NewWriter(f)
		task, err := inventory.Type().New(benchOptions(inFlight))
		check(err)
		_, err = task.Run(context.Background(), simtest.Env(sess, "inventory"), &collector{jsonl: json.NewEncoder(w)})
		check(err)
		check(w.Flush())
		check(f.Close())
		stateDir = dir
		fmt.Println("previous run listed; the measured runs plan from its report")
	}

	var runs []result
	for k := 0; k < repeat; k++ {
		task, err := inventory.Type().New(benchOptions(inFlight))
		check(err)
		col := &collector{}
		before := count()
		runtime.GC()
		cpu0 := processCPU()
		tracer.begin()
		start := time.Now()
		env := simtest.Env(sess, "inventory")
		env.StateDir = stateDir
		if os.Getenv("BENCH_DEBUG") != "" {
			env.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
		}
		out, err := task.Run(context.Background(), env, col)
		check(err)
		col.summary = out.Summary
		wall := time.Since(start)
		ts := tracer.end(inFlight)
		cpu := processCPU() - cpu0
		req := count() - before
		minimum := (len(col.crns) + 99) / 100
		pages, _ := col.summary["pages"].(int)
		res := result{wall: wall, requests: req, minimum: minimum, cpu: cpu, pages: pages, trace: ts}
		runs = append(runs, res)
		bound := boundOf(minimum, inFlight, latency)
		fmt.Printf("run %d: %6.2fs = %.2fx the bound %.2fs; %d requests for %d pages minimum (%+.1f%%); CPU %.2fs = %.2f s per 1,000 pages; %v partitions, %v splits, %v pages abandoned, %v rows fetched outside their window; %d throttled\n",
			k+1, wall.Seconds(), wall.Seconds()/bound.Seconds(), bound.Seconds(), req, minimum,
			100*(float64(req)/float64(minimum)-1), cpu.Seconds(), 1000*cpu.Seconds()/float64(max(pages, 1)),
			col.summary["partitions"], col.summary["splits"], col.summary["abandoned_pages"], col.summary["overlap_rows"], col.summary["throttled"])
		fmt.Printf("       in flight, mean of each 100 ms: %s\n", ts.line)
		if l != nil {
			fmt.Printf("       requests by kind: %s\n", requestKinds(l.Sim.Log().Entries(), start))
		}
		if os.Getenv("BENCH_TAIL") != "" && l != nil {
			es := l.Sim.Log().Entries()
			for _, e := range es[max(0, len(es)-40):] {
				fmt.Printf("         %6.3fs %s %s\n", e.Time.Sub(start).Seconds(), e.Path, e.RawQuery)
			}
		}
		fmt.Printf("       measured round trip %.1f ms (emulated %s): bound at the measured round trip %.2fs, wall = %.2fx that\n",
			float64(ts.meanRequest)/1e6, latency, boundOf(minimum, inFlight, ts.meanRequest).Seconds(),
			wall.Seconds()/boundOf(minimum, inFlight, ts.meanRequest).Seconds())
		if l != nil && stateDir != "" {
			// A second run reads the previous report before it lists and
			// compares after: the listing's own time is from the first
			// instance request to the last answer.
			var a, z time.Time
			for _, e := range l.Sim.Log().Entries() {
				if e.Time.After(start) && e.Path == "/v2/resource_instances" {
					if a.IsZero() {
						a = e.Time
					}
					z = e.Time
				}
			}
			listing := z.Sub(a) + ts.meanRequest
			fmt.Printf("       listing (first instance request to last answer) %.2fs = %.2fx the bound; the rest (%.2fs) reads the previous report and writes the change report\n",
				listing.Seconds(), listing.Seconds()/bound.Seconds(), (wall - listing).Seconds())
		}
		fmt.Printf("       slots used %.0f%% of the run; full (>= %d) after %s; last full at %s of %s (tail %s)\n",
			100*ts.utilisation, inFlight, ts.rampUp.Round(time.Millisecond), ts.lastFull.Round(time.Millisecond),
			wall.Round(time.Millisecond), (wall - ts.lastFull).Round(time.Millisecond))
		if naivePager {
			slices.Sort(col.crns)
			fmt.Printf("       same set as the naive pager: %v (naive %d, inventory %d)\n", slices.Equal(naive, col.crns), len(naive), len(col.crns))
		}
	}
	med := func(f func(result) float64) float64 {
		v := make([]float64, len(runs))
		for k, r := range runs {
			v[k] = f(r)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	minimum := runs[0].minimum
	bound := boundOf(minimum, inFlight, latency)
	wall := med(func(r result) float64 { return r.wall.Seconds() })
	fmt.Printf("median of %d: %.2fs = %.2fx the bound %.2fs (target at most 1.2x); requests %+.1f%% over the %d-page minimum (target at most +5%%); CPU %.2f s per 1,000 pages\n",
		len(runs), wall, wall/bound.Seconds(), bound.Seconds(),
		med(func(r result) float64 { return 100 * (float64(r.requests)/float64(r.minimum) - 1) }), minimum,
		med(func(r result) float64 { return 1000 * r.cpu.Seconds() / float64(max(r.pages, 1)) }))
}

// startSimProcess serves the shape from `trustjob sim` in its own process
// and signs in to it; count reads the emulator's request counters.
func startSimProcess(sh shape, n int, latency time.Duration, inFlight int) (*auth.Session, func() int, func()) {
	dir, err := os.MkdirTemp("", "bench-inventory-sim-")
	check(err)
	bin := filepath.Join(dir, "trustjob")
	build := exec.Command("go", "build", "-o", bin, "./cmd/trustjob")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	check(build.Run())
	sim := exec.Command(bin, "sim", "--listen", "127.0.0.1:0", "--token-dir", filepath.Join(dir, "tokens"),
		"--latency", latency.String(), "--max-in-flight", strconv.Itoa(inFlight),
		"--generate", fmt.Sprintf("resources=%d,groups=%d,skew=%g,reclamations=0", n, sh.groups, sh.skew))
	out, err := sim.StdoutPipe()
	check(err)
	sim.Stderr = os.Stderr
	check(sim.Start())
	env := map[string]string{}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if kv, ok := strings.CutPrefix(sc.Text(), "export "); ok {
			k, v, _ := strings.Cut(kv, "=")
			env[k] = v
		}
		if strings.HasPrefix(sc.Text(), "# Stop") {
			break
		}
	}
	go func() { _, _ = bufio.NewReader(out).WriteTo(discard{}) }()
	stop := func() { _ = sim.Process.Signal(syscall.SIGTERM); _ = sim.Wait(); os.RemoveAll(dir) }
	sess, err := auth.SignIn(context.Background(), auth.Settings{
		ProfileName: env["TRUSTJOB_PROFILE_NAME"], CRTokenFile: env["TRUSTJOB_CR_TOKEN_FILE"], IAMURL: env["TRUSTJOB_IAM_URL"],
		AllowedHosts: []string{"127.0.0.1"}, Getenv: func(k string) string { return env[k] },
	}, nil)
	if err != nil {
		stop()
		check(err)
	}
	base := env["RESOURCE_CONTROLLER_URL"]
	count := func() int {
		// Not through the traced transport: the counters are not a request of
		// the listing.
		resp, err := (&http.Client{Transport: &http.Transport{}}).Get(base + "/_sim/requests")
		check(err)
		defer resp.Body.Close()
		var v struct{ Counts map[string]int64 }
		check(json.NewDecoder(resp.Body).Decode(&v))
		return int(v.Counts[string(cloudsim.ServiceResourceCtl)] + v.Counts[string(cloudsim.ServiceResourceMgr)])
	}
	return sess, count, stop
}

func largestShare(sh shape) float64 {
	if sh.skew == 0 {
		return 1 / float64(sh.groups)
	}
	return sh.skew
}

// boundOf is the least time P pages can take with c requests in flight and a
// round trip of r.
func boundOf(pages, c int, r time.Duration) time.Duration {
	return time.Duration(float64(pages) / float64(c) * float64(r))
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	check(syscall.Getrusage(syscall.RUSAGE_SELF, &ru))
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// inFlightTracer counts HTTP requests in flight (from the request to the
// response body's close) and samples the count every millisecond while a run
// is traced: the trace shows idle request slots at the start, around splits
// and in the tail.
type inFlightTracer struct {
	base    http.RoundTripper
	now     atomic.Int64
	stop    chan struct{}
	done    chan struct{}
	samples []sample
	began   time.Time
	reqs    atomic.Int64
}

type sample struct {
	at time.Duration
	n  int64
}

var tracer = &inFlightTracer{base: http.DefaultTransport}

func (t *inFlightTracer) RoundTrip(r *http.Request) (*http.Response, error) {
	t.now.Add(1)
	t.reqs.Add(1)
	resp, err := t.base.RoundTrip(r)
	if err != nil {
		t.now.Add(-1)
		return resp, err
	}
	resp.Body = &tracedBody{ReadCloser: resp.Body, t: t}
	return resp, nil
}

type tracedBody struct {
	io.ReadCloser
	t    *inFlightTracer
	once sync.Once
}

func (b *tracedBody) Close() error {
	b.once.Do(func() { b.t.now.Add(-1) })
	return b.ReadCloser.Close()
}

const traceStep = time.Millisecond

func (t *inFlightTracer) begin() {
	t.samples = t.samples[:0]
	t.reqs.Store(0)
	t.began = time.Now()
	t.stop, t.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(t.done)
		tk := time.NewTicker(traceStep)
		defer tk.Stop()
		for {
			select {
			case <-t.stop:
				return
			case <-tk.C:
				t.samples = append(t.samples, sample{time.Since(t.began), t.now.Load()})
			}
		}
	}()
}

type traceStats struct {
	line             string
	utilisation      float64
	rampUp, lastFull time.Duration
	meanRequest      time.Duration // measured round trip, request to body closed
}

func (t *inFlightTracer) end(slots int) traceStats {
	close(t.stop)
	<-t.done
	var st traceStats
	// Each sample holds until the next one (ticks are dropped under load).
	var busy, total time.Duration
	first, last := time.Duration(-1), time.Duration(0)
	bins := map[int][2]float64{}
	for k, s := range t.samples {
		next := time.Since(t.began)
		if k+1 < len(t.samples) {
			next = t.samples[k+1].at
		}
		d := next - s.at
		busy += time.Duration(s.n) * d
		total += d
		if s.n >= int64(slots) {
			if first < 0 {
				first = s.at
			}
			last = next
		}
		b := int(s.at / (100 * time.Millisecond))
		v := bins[b]
		bins[b] = [2]float64{v[0] + float64(s.n)*d.Seconds(), v[1] + d.Seconds()}
	}
	if total > 0 {
		st.utilisation = float64(busy) / float64(total*time.Duration(slots))
	}
	if n := t.reqs.Load(); n > 0 {
		st.meanRequest = busy / time.Duration(n)
	}
	st.rampUp, st.lastFull = first, last
	var b strings.Builder
	for k := 0; k <= int(total/(100*time.Millisecond)); k++ {
		v := bins[k]
		if v[1] > 0 {
			fmt.Fprintf(&b, "%.0f ", v[0]/v[1])
		} else {
			b.WriteString("? ")
		}
	}
	st.line = strings.TrimSpace(b.String())
	return st
}

type collector struct {
	mu      sync.Mutex
	crns    []string
	summary report.Summary
	jsonl   *json.Encoder // also writes the instance rows, when set
}

func (c *collector) Write(r report.Row) error {
	if r["record"] == "instance" {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.crns = append(c.crns, r["crn"].(string))
		if c.jsonl != nil {
			return c.jsonl.Encode(r)
		}
	}
	return nil
}

// benchOptions are the inventory's defaults with inFlight requests at once
// and no progress lines.
func benchOptions(inFlight int) *inventory.Options {
	opts := inventory.Type().NewOptions().(*inventory.Options)
	opts.MaxConcurrency = inFlight
	opts.ProgressInterval = 0
	return opts
}

// memory runs the real trustjob binary against `trustjob sim` (a separate
// process, so the emulator's memory is not counted) on a large account, with
// JSONL output, and reads the binary's peak RSS from the kernel.
func memory(n, groups int, skew float64, sources string, withCOS bool, runs int, memLimit string) {
	dir, err := os.MkdirTemp("", "bench-inventory-mem-")
	check(err)
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "trustjob")
	build := exec.Command("go", "build", "-o", bin, "./cmd/trustjob")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	check(build.Run())

	sim := exec.Command(bin, "sim", "--listen", "127.0.0.1:0", "--token-dir", filepath.Join(dir, "tokens"),
		"--generate", fmt.Sprintf("resources=%d,groups=%d,skew=%g,reclamations=0", n, groups, skew))
	out, err := sim.StdoutPipe()
	check(err)
	sim.Stderr = os.Stderr
	check(sim.Start())
	defer func() { _ = sim.Process.Signal(syscall.SIGTERM); _ = sim.Wait() }()
	env := os.Environ()
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		if kv, ok := strings.CutPrefix(line, "export "); ok {
			env = append(env, kv)
		}
		if strings.HasPrefix(line, "# Stop") {
			break
		}
	}
	go func() { _, _ = bufio.NewReader(out).WriteTo(discard{}) }()

	output := "output: {formats: [jsonl]}"
	if withCOS {
		// The sim serves the bucket and points TRUSTJOB_COS_ENDPOINT at it.
		output = "output: {formats: [jsonl], cos: {bucket: trustjob-reports, endpoint: us-south}}"
		if runs == 0 {
			runs = 2
		}
	}
	if runs == 0 {
		runs = 1
	}
	if memLimit != "" {
		env = append(env, "GOMEMLIMIT="+memLimit)
	}
	if os.Getenv("BENCH_GCTRACE") != "" {
		// The run process's collector, not the emulator's.
		env = append(env, "GODEBUG=gctrace=1")
	}
	cfg := filepath.Join(dir, "config.yaml")
	check(os.WriteFile(cfg, []byte(`apiVersion: trustjob/v1
kind: Config
auth: {profileName: trustjob-runner}
allowedHosts: [127.0.0.1]
deadline: 30m
`+output+`
tasks:
  - {name: inventory, type: inventory, timeout: 30m, options: {sources: `+sources+`}}
`), 0o644))
	for i := 1; i <= runs; i++ {
		// Without COS every run writes to the same directory: the second
		// reads the first's latest.jsonl as its baseline.
		out := filepath.Join(dir, "out")
		if withCOS {
			out = filepath.Join(dir, fmt.Sprintf("out%d", i))
		}
		run := exec.Command(bin, "run", "--config", cfg, "--output-dir", out, "--log-format", "json")
		run.Env = env
		run.Stderr = os.Stderr
		what := fmt.Sprintf("JSONL output, run %d of %d", i, runs)
		if withCOS {
			what = fmt.Sprintf("JSONL output uploaded to COS, run %d of 2 (baseline: %s)", i, map[int]string{1: "none", 2: "the bucket's latest.jsonl"}[i])
		}
		fmt.Printf("\n== memory: trustjob run, %d instances in %d groups, sources %s, %s\n", n, groups, sources, what)
		start := time.Now()
		check(run.Run())
		ru := run.ProcessState.SysUsage().(*syscall.Rusage)
		fi, err := os.Stat(filepath.Join(out, "inventory", "latest.jsonl"))
		check(err)
		fmt.Printf("wall time:     %.1fs\n", time.Since(start).Seconds())
		fmt.Printf("report:        %.0f MiB of JSONL\n", float64(fi.Size())/(1<<20))
		if withCOS || runs > 1 {
			b, err := os.ReadFile(filepath.Join(out, "run-summary.json"))
			check(err)
			fmt.Printf("summary:       %s\n", summaryLine(b))
		}
		cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		fmt.Printf("CPU:           %.1fs, %.2f s per 1,000 pages of 100 instances\n", cpu.Seconds(), 1000*cpu.Seconds()/float64(n/100))
		fmt.Printf("peak RSS:      %.1f MiB (target at most 64 MiB)%s\n", float64(ru.Maxrss)/1024, map[bool]string{true: ", GOMEMLIMIT=" + memLimit}[memLimit != ""])
	}
}

// summaryLine picks what the COS benchmark reports from run-summary.json.
func summaryLine(b []byte) string {
	var s struct {
		Requests map[string]int64 `json:"requests"`
		Tasks    []struct {
			Summary map[string]any `json:"summary"`
		} `json:"tasks"`
		Delivery struct {
			COS struct {
				Objects []string `json:"objects"`
				Failed  bool     `json:"failed"`
			} `json:"cos"`
		} `json:"delivery"`
		TokenExchanges int64 `json:"token_exchanges"`
	}
	if err := json.Unmarshal(b, &s); err != nil || len(s.Tasks) == 0 {
		return "unreadable"
	}
	return fmt.Sprintf("%d COS requests, %d objects, delivery failed %v, %d token exchange(s), baseline %v, changes %v",
		s.Requests["cloud-object-storage"], len(s.Delivery.COS.Objects), s.Delivery.COS.Failed, s.TokenExchanges,
		s.Tasks[0].Summary["baseline"], s.Tasks[0].Summary["changes"])
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

// requestKinds sorts the run's requests (those logged since start) by what
// they were for: continuation pages, first pages of a group, of a time window,
// of an account-wide pass, date checks, others. Pages that were not full are
// counted apart: each partition pays one.
func requestKinds(es []cloudsim.Entry, start time.Time) string {
	kinds := map[string]int{}
	for _, e := range es {
		if e.Time.Before(start) {
			continue
		}
		q, _ := url.ParseQuery(e.RawQuery)
		k := "other"
		switch {
		case e.Path != "/v2/resource_instances":
			k = "other " + e.Path
		case q.Get("start") != "":
			k = "next"
		case q.Get("guid") != "":
			k = "date-check"
		case q.Get("updated_from") != "" || q.Get("updated_to") != "":
			k = "first-window"
		case q.Get("resource_group_id") != "":
			k = "first-group"
		default:
			k = "first-account"
		}
		kinds[k]++
	}
	keys := slices.Sorted(maps.Keys(kinds))
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s %d  ", k, kinds[k])
	}
	return strings.TrimSpace(b.String())
}
