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
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/IBM/platform-services-go-sdk/resourcecontrollerv2"

	"github.com/trustjob/trustjob/internal/cloudsim"
	"github.com/trustjob/trustjob/internal/report"
	"github.com/trustjob/trustjob/internal/simtest"
	"github.com/trustjob/trustjob/tasks/inventory"
)

func main() {
	part := flag.String("part", "all", "speed, memory or all")
	instances := flag.Int("instances", 100_000, "instances for the speed part")
	groups := flag.Int("groups", 20, "resource groups")
	skew := flag.Float64("skew", 0.4, "share of the instances in the largest group")
	latency := flag.Duration("latency", 20*time.Millisecond, "emulated latency per request")
	inFlight := flag.Int("in-flight", 8, "requests in flight the emulator accepts (429 beyond); also the task's maxConcurrency")
	big := flag.Int("big", 1_000_000, "instances for the memory part")
	runs := flag.Int("runs", 0, "memory part: runs one after the other, the second with the first's report as its change-report baseline (default 1, 2 with -cos)")
	memLimit := flag.String("memlimit", "", "memory part: GOMEMLIMIT of the trustjob run process only (e.g. 64MiB)")
	withCOS := flag.Bool("cos", false, "memory part: also upload to the emulator's COS bucket and run twice, the second run's change report reading its baseline from the bucket")
	flag.Parse()
	log.SetFlags(0)
	fmt.Printf("machine: %d CPUs, %s\n", runtime.NumCPU(), runtime.Version())
	if *part == "all" || *part == "speed" {
		speed(*instances, *groups, *skew, *latency, *inFlight)
	}
	if *part == "all" || *part == "memory" {
		memory(*big, *groups, *skew, *withCOS, *runs, *memLimit)
	}
}

// speed lists the same account twice: the SDK's pager, one page after another,
// then the inventory task, and compares time, sets and requests.
func speed(n, groups int, skew float64, latency time.Duration, inFlight int) {
	spec := cloudsim.DefaultSpec()
	spec.Instances, spec.Groups, spec.LargestGroupShare, spec.NonDefaultStates, spec.Reclamations = n, groups, skew, 0, 0
	dir, _ := os.MkdirTemp("", "bench-inventory-")
	defer os.RemoveAll(dir)
	l, err := cloudsim.StartLocal(spec, cloudsim.Options{Latency: latency, MaxInFlight: inFlight, RetryAfter: 1}, dir)
	check(err)
	defer l.Close()
	sess, err := simtest.SignIn(context.Background(), l)
	check(err)
	fmt.Printf("\n== speed: %d instances in %d groups (largest %.0f%%), %s per request, %d in flight\n",
		n, groups, skew*100, latency, inFlight)

	rcBefore := l.Sim.Log().Count(cloudsim.ServiceResourceCtl)
	start := time.Now()
	var naive []string
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
	naiveTime := time.Since(start)
	naiveReq := l.Sim.Log().Count(cloudsim.ServiceResourceCtl) - rcBefore
	minPages := (len(naive) + 99) / 100
	fmt.Printf("naive pager:   %8.2fs  %6d instances  %5d requests\n", naiveTime.Seconds(), len(naive), naiveReq)

	typ := inventory.Type()
	opts := typ.NewOptions().(*inventory.Options)
	opts.MaxConcurrency = inFlight
	task, err := typ.New(opts)
	check(err)
	col := &collector{}
	rcBefore = l.Sim.Log().Count(cloudsim.ServiceResourceCtl)
	start = time.Now()
	res, err := task.Run(context.Background(), simtest.Env(sess, "inventory"), col)
	check(err)
	col.summary = res.Summary
	taskTime := time.Since(start)
	taskReq := l.Sim.Log().Count(cloudsim.ServiceResourceCtl) - rcBefore
	fmt.Printf("inventory:     %8.2fs  %6d instances  %5d requests (%d throttled by 429)\n",
		taskTime.Seconds(), len(col.crns), taskReq, col.summary["throttled"])

	slices.Sort(naive)
	slices.Sort(col.crns)
	fmt.Printf("speed-up:      %.1fx (target at least 5x)\n", naiveTime.Seconds()/taskTime.Seconds())
	fmt.Printf("same set:      %v (naive %d, inventory %d)\n", slices.Equal(naive, col.crns), len(naive), len(col.crns))
	fmt.Printf("requests:      %d for %d pages minimum: %+.1f%% (target at most +10%%)\n",
		taskReq, minPages, 100*(float64(taskReq)/float64(minPages)-1))
	fmt.Printf("token exchanges: %d\n", sess.Exchanges())
	fmt.Printf("listing:       %v pages, %v partitions, %v splits, %v pages abandoned by splits\n",
		col.summary["pages"], col.summary["partitions"], col.summary["splits"], col.summary["abandoned_pages"])
}

type collector struct {
	mu      sync.Mutex
	crns    []string
	summary report.Summary
}

func (c *collector) Write(r report.Row) error {
	if r["record"] == "instance" {
		c.mu.Lock()
		c.crns = append(c.crns, r["crn"].(string))
		c.mu.Unlock()
	}
	return nil
}

// memory runs the real trustjob binary against `trustjob sim` (a separate
// process, so the emulator's memory is not counted) on a large account, with
// JSONL output, and reads the binary's peak RSS from the kernel.
func memory(n, groups int, skew float64, withCOS bool, runs int, memLimit string) {
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
	cfg := filepath.Join(dir, "config.yaml")
	check(os.WriteFile(cfg, []byte(`apiVersion: trustjob/v1
kind: Config
auth: {profileName: trustjob-runner}
allowedHosts: [127.0.0.1]
deadline: 30m
`+output+`
tasks:
  - {name: inventory, type: inventory, timeout: 30m}
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
		fmt.Printf("\n== memory: trustjob run, %d instances in %d groups, %s\n", n, groups, what)
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
		fmt.Printf("peak RSS:      %.1f MiB (target at most 80 MiB)%s\n", float64(ru.Maxrss)/1024, map[bool]string{true: ", GOMEMLIMIT=" + memLimit}[memLimit != ""])
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
