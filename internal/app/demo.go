//go:build !release

package app

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	democonfig "github.com/trustjob/trustjob/config"
	"github.com/trustjob/trustjob/internal/cloudsim"
	"github.com/trustjob/trustjob/internal/exitcode"
)

// demo runs the demo configuration against the emulator started in-process,
// through exactly the code path of `trustjob run`: real HTTP on loopback, the
// real SDK clients and the real trusted-profile authenticator.
func (a *app) demo(ctx context.Context, args []string) int {
	f := a.flagSet("demo")
	outDir := f.String("output-dir", "", "write reports to `DIR` (default "+DemoOutputDir+", whatever output.dir the configuration names)")
	if code, done := f.parse(args); done {
		return code
	}
	if f.NArg() > 0 {
		return f.fail("unexpected argument %q", f.Arg(0))
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
	counts := sim.Sim.Log().Counts()
	var total int64
	for _, n := range counts {
		total += n
	}
	fmt.Fprintf(a.stdout, "\ntrustjob demo: exit code %d; %d requests to the emulator (%s)\n",
		code, total, formatCounts(counts))
	fmt.Fprintf(a.stdout, "trustjob demo: COS bucket %s holds %d objects (%s); %d notifications sent to Event Notifications\n",
		SimBucket, len(ds.COS.Keys(SimBucket)), formatCounts(ds.COS.Counts()), len(ds.Events.Sent()))
	return code
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
