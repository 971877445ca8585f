// Command enterprise measures runs with targets against the emulated
// enterprise, as BENCHMARKS.md reports: wall time, token exchanges and
// requests as the targets grow (one pod), and wall time as the same targets
// are spread over more indexes of an Indexed Job (one process per index, run
// at once, as the Job's pods would).
//
//	go run ./test/bench/enterprise                      # both parts
//	go run ./test/bench/enterprise -part targets -targets 1,10,50
//	go run ./test/bench/enterprise -part indexes -indexed 48 -indexes 1,2,3
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/trustjob/trustjob/internal/cloudsim"
	"github.com/trustjob/trustjob/internal/rollup"
)

func main() {
	part := flag.String("part", "all", "targets, indexes or all")
	targets := flag.String("targets", "1,10,50", "target counts for the targets part")
	indexed := flag.Int("indexed", 48, "targets for the indexes part")
	indexes := flag.String("indexes", "1,2,3", "index counts for the indexes part")
	parallel := flag.Int("parallel", 4, "parallelTargets in each pod")
	latency := flag.Duration("latency", 20*time.Millisecond, "emulated latency per request")
	instances := flag.Int("instances", 300, "resource instances per account")
	flag.Parse()
	log.SetFlags(0)
	fmt.Printf("machine: %d CPUs, %s; %s per request; %d instances per account; parallelTargets %d\n",
		runtime.NumCPU(), runtime.Version(), *latency, *instances, *parallel)

	work, err := os.MkdirTemp("", "bench-enterprise-")
	check(err)
	defer os.RemoveAll(work)
	bin := filepath.Join(work, "trustjob")
	build := exec.Command("go", "build", "-o", bin, "./cmd/trustjob")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	check(build.Run())

	if *part == "all" || *part == "targets" {
		fmt.Printf("\n== targets: one pod\n%8s %10s %10s %10s %12s %10s\n", "targets", "wall", "per target", "exchanges", "requests", "exit")
		for _, n := range ints(*targets) {
			r := run(bin, work, n, 1, *parallel, *latency, *instances)
			fmt.Printf("%8d %10s %10s %10d %12d %10s\n", n, r.wall.Round(10*time.Millisecond),
				(r.wall / time.Duration(n)).Round(time.Millisecond), r.exchanges, r.requests, r.codes)
		}
	}
	if *part == "all" || *part == "indexes" {
		fmt.Printf("\n== indexes: %d targets over an Indexed Job (pods at once)\n%8s %10s %10s %10s %10s\n",
			*indexed, "indexes", "wall", "speed-up", "exchanges", "exits")
		var first time.Duration
		for _, k := range ints(*indexes) {
			r := run(bin, work, *indexed, k, *parallel, *latency, *instances)
			if first == 0 {
				first = r.wall
			}
			fmt.Printf("%8d %10s %9.2fx %10d %10s\n", k, r.wall.Round(10*time.Millisecond),
				float64(first)/float64(r.wall), r.exchanges, r.codes)
		}
	}
}

type result struct {
	wall                time.Duration
	exchanges, requests int64
	codes               string
}

// run serves an enterprise of n children, runs k trustjob processes at once
// (index i of k), and returns the wall time until the last exits.
func run(bin, work string, n, k, parallel int, latency time.Duration, instances int) result {
	spec := cloudsim.DefaultEnterpriseSpec()
	spec.Accounts, spec.Suspended = n, 0
	spec.Child.Instances, spec.Child.Groups = instances, 3
	dir, err := os.MkdirTemp(work, "run-")
	check(err)
	l, err := cloudsim.StartEnterpriseLocal(spec, cloudsim.Options{Latency: latency}, filepath.Join(dir, "tokens"))
	check(err)
	defer l.Close()
	var cfg strings.Builder
	fmt.Fprintf(&cfg, `apiVersion: trustjob/v1
kind: Config
auth: {crTokenFile: %q}
allowedHosts: [127.0.0.1]
parallelTargets: %d
output: {formats: [jsonl]}
tasks:
  - {name: inventory, type: inventory}
  - name: inactive-identities
    type: inactive-identities
    options: {inactiveFor: 90d, dryRun: true, pollInterval: 20ms, pollMaxInterval: 100ms}
targets:
`, l.TokenFile, parallel)
	for _, c := range l.Children {
		fmt.Fprintf(&cfg, "  - {account: %s, profileID: %s}\n", c.ID, c.ProfileID)
	}
	cfgPath := filepath.Join(dir, "config.yaml")
	check(os.WriteFile(cfgPath, []byte(cfg.String()), 0o600))

	codes := make([]int, k)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range k {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out := filepath.Join(dir, "index-"+strconv.Itoa(i))
			cmd := exec.Command(bin, "run", "--config", cfgPath, "--output-dir", out, "--log-format", "json", "--log-level", "warn")
			cmd.Env = append(os.Environ(), "JOB_COMPLETION_INDEX="+strconv.Itoa(i), "TRUSTJOB_SHARDS="+strconv.Itoa(k))
			for key, v := range l.Env {
				cmd.Env = append(cmd.Env, key+"="+v)
			}
			logs, err := cmd.CombinedOutput()
			if ee, ok := err.(*exec.ExitError); ok {
				codes[i] = ee.ExitCode()
				fmt.Fprintf(os.Stderr, "index %d exited %d:\n%s\n", i, codes[i], tailOf(string(logs)))
			} else {
				check(err)
			}
		}()
	}
	wg.Wait()
	r := result{wall: time.Since(start), exchanges: l.Count(cloudsim.ServiceIAMToken)}
	for _, s := range l.Sims() {
		for _, c := range s.Log().Counts() {
			r.requests += int64(c)
		}
	}
	var cs []string
	for i, c := range codes {
		cs = append(cs, strconv.Itoa(c))
		// Each index's roll-up names its share.
		b, err := os.ReadFile(filepath.Join(dir, "index-"+strconv.Itoa(i), rollup.JSONFile))
		check(err)
		var v rollup.View
		check(json.Unmarshal(b, &v))
		if v.Totals.ByStatus["succeeded"] != v.Totals.Accounts {
			log.Fatalf("index %d: %+v", i, v.Totals)
		}
	}
	r.codes = strings.Join(cs, ",")
	return r
}

func ints(s string) []int {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		check(err)
		out = append(out, n)
	}
	return out
}

func tailOf(s string) string {
	if len(s) > 2000 {
		return s[len(s)-2000:]
	}
	return s
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
