//go:build !release

package app

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	democonfig "github.com/trustjob/trustjob/config"
	"github.com/trustjob/trustjob/internal/cloudsim"
	"github.com/trustjob/trustjob/internal/exitcode"
	"github.com/trustjob/trustjob/internal/report"
)

// emulatorBuilt: this build has demo and sim (not a release build).
const emulatorBuilt = true

// demoFlags is demo's entry in the command table's flags.
func demoFlags(f *cmdFlags) { declareDemoFlags(f) }

// declareDemoFlags declares demo's flags, for the command and its help.
func declareDemoFlags(f *cmdFlags) (outDir, compute *string) {
	return f.String("output-dir", "", "write reports to `DIR` (default "+DemoOutputDir+", whatever output.dir the configuration names)"),
		f.String("compute-resource", "", "sign in as on `RUNTIME`: kubernetes, code-engine or vpc (the emulator's metadata service)")
}

// demo runs the demo configuration against the emulator started in-process,
// through exactly the code path of `trustjob run`: real HTTP on loopback, the
// real SDK clients and the real trusted-profile authenticator.
func (a *app) demo(ctx context.Context, args []string) int {
	f := a.flagSet("demo")
	outDir, compute := declareDemoFlags(f)
	if code, done := f.parseNoArgs(args); done {
		return code
	}
	log, id := f.logger()

	work, err := os.MkdirTemp("", "trustjob-demo-")
	if err != nil {
		fmt.Fprintf(a.stderr, "demo: create a temporary directory: %v\n", err)
		return exitcode.TaskFailed
	}
	defer os.RemoveAll(work)

	cfgPath := f.common.config
	if !a.configGiven(f) {
		cfgPath = filepath.Join(work, "demo.yaml")
		if err := os.WriteFile(cfgPath, democonfig.Demo, 0o600); err != nil {
			fmt.Fprintf(a.stderr, "demo: write the demo configuration: %v\n", err)
			return exitcode.TaskFailed
		}
	}

	sim, err := cloudsim.StartLocal(cloudsim.DefaultSpec(), cloudsim.Options{ReportDelay: 300 * time.Millisecond}, filepath.Join(work, "tokens"))
	if err != nil {
		fmt.Fprintf(a.stderr, "demo: %v\n", err)
		return exitcode.TaskFailed
	}
	defer sim.Close()
	ds, err := startDeliverySim(sim)
	if err != nil {
		fmt.Fprintf(a.stderr, "demo: %v\n", err)
		return exitcode.TaskFailed
	}
	defer ds.Close()
	// The emulator's address reaches the run the way it reaches a real one:
	// through trustjob's and the IBM SDK's environment variables.
	if err := demoRuntime(sim.Env, *compute, sim.ProfileID); err != nil {
		return f.fail("%v", err)
	}
	restore := setenv(sim.Env)
	defer restore()
	restoreDelivery := setenv(ds.Env())
	defer restoreDelivery()

	// The demo writes only to its own directory: a configuration given with
	// --config may name a production output.dir, whose latest.* must never
	// become emulator data (issue 12 item 23).
	dir := *outDir
	if dir == "" {
		dir = DemoOutputDir
	}
	fmt.Fprintf(a.stdout, "trustjob demo: IBM Cloud emulator on %s, trusted profile %q, reports in %s\n\n",
		sim.Sim.URL(), sim.ProfileName, dir)

	quiet := *a
	quiet.stdout = io.Discard // the reports are printed below, once
	code := quiet.runWith(ctx, runOptions{configPath: cfgPath, outputDir: dir, now: a.clock(), log: log, runID: id})
	if dir != "" {
		a.printDemoReports(dir)
	}
	fmt.Fprintln(a.stdout)
	for _, line := range demoClosing(code, sim.Sim.Log().Counts(), ds.COS.Keys(SimBucket), ds.COS.Counts(), len(ds.Events.Sent())) {
		fmt.Fprintln(a.stdout, "trustjob demo: "+line)
	}
	return code
}

// demoClosing is the demo's last lines: the exit code and the requests to
// the emulated IBM Cloud APIs, what the emulated bucket holds (and where the
// run's page is in it), and the notifications sent.
func demoClosing(code int, api map[string]int64, keys []string, cosRequests map[string]int64, sent int) []string {
	bucket := fmt.Sprintf("COS bucket %s holds %s", SimBucket, plural(int64(len(keys)), "object", "objects"))
	if n := sumCounts(cosRequests); n > 0 {
		bucket += fmt.Sprintf(" (%s: %s)", plural(n, "request", "requests"), formatCounts(cosRequests))
	}
	for _, k := range keys {
		if path.Base(k) == report.IndexFile {
			bucket += "; the run's page is cos://" + SimBucket + "/" + k
			break
		}
	}
	return []string{
		fmt.Sprintf("exit code %d; %s to the emulated IBM Cloud APIs (%s)", code, plural(sumCounts(api), "request", "requests"), formatCounts(api)),
		bucket,
		plural(int64(sent), "notification", "notifications") + " sent to Event Notifications",
	}
}

// plural is "1 object", "2 objects", "0 objects".
func plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func sumCounts(m map[string]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

// DemoOutputDir is where the demo writes without --output-dir.
const DemoOutputDir = "out/demo"

// configGiven reports whether --config was set on the command line, before or
// after the command name. TRUSTJOB_CONFIG does not count: it names the cluster
// configuration, not a demo.
func (a *app) configGiven(f *cmdFlags) bool {
	given := a.global.config != a.defaultConfig()
	f.Visit(func(fl *flag.Flag) {
		if fl.Name == "config" {
			given = true
		}
	})
	return given
}

// setenv sets every variable of env and returns a func that restores the
// previous values.
func setenv(env map[string]string) (restore func()) {
	type prev struct {
		v  string
		ok bool
	}
	old := map[string]prev{}
	for k, v := range env {
		ov, ok := os.LookupEnv(k)
		old[k] = prev{ov, ok}
		os.Setenv(k, v)
	}
	return func() {
		for k, p := range old {
			if p.ok {
				os.Setenv(k, p.v)
			} else {
				os.Unsetenv(k)
			}
		}
	}
}

// formatCounts renders per-endpoint counts as "a 3, b 1", sorted by name.
func formatCounts[N int | int64](m map[string]N) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}
