//go:build !release

package app

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/trustjob/trustjob/internal/cloudsim"
	"github.com/trustjob/trustjob/internal/exitcode"
	"github.com/trustjob/trustjob/internal/ibmcloud"
)

// simFlagsHelp is sim's entry in the command table's flags.
func simFlagsHelp(f *cmdFlags) { declareSimFlags(f) }

// simFlags are sim's own flags, declared once for the command and its help.
type simFlags struct {
	listen, fixture, generate, tokenDir *string
	latency, reportDelay                *time.Duration
	inFlight                            *int
	allowRemote                         *bool
	enterprise                          *int
}

func declareSimFlags(f *cmdFlags) simFlags {
	return simFlags{
		listen:      f.String("listen", "127.0.0.1:8080", "serve on `ADDR` (host:port; port 0 picks a free one)"),
		fixture:     f.String("fixture", "", "load the account from the YAML fixture `FILE`"),
		generate:    f.String("generate", "", "generate the account: comma-separated `K=V` (e.g. resources=100000,groups=20); keys: "+strings.Join(generateKeys(), ", ")),
		tokenDir:    f.String("token-dir", "", "write the projected token under `DIR` (default: a new temporary directory)"),
		latency:     f.Duration("latency", 0, "add this much latency to every request"),
		inFlight:    f.Int("max-in-flight", 0, "answer 429 beyond this many requests at once (0: no limit)"),
		reportDelay: f.Duration("report-delay", 2*time.Second, "how long IAM Identity reports stay in generation (GET answers 204)"),
		allowRemote: f.Bool("allow-remote", false, "allow --listen on an address other hosts can reach (the emulator mints tokens for anyone)"),
		enterprise:  f.Int("enterprise", 0, "serve an enterprise of `N` child accounts behind the one URL instead of one account (docs/enterprise.md)"),
	}
}

// sim serves the emulator as a process until SIGTERM/SIGINT, so trustjob (or
// anything using the IBM SDKs) can be pointed at it from another shell.
func (a *app) sim(ctx context.Context, args []string) int {
	f := a.flagSet("sim")
	fl := declareSimFlags(f)
	listen, fixture, generate, tokenDir := fl.listen, fl.fixture, fl.generate, fl.tokenDir
	latency, inFlight, reportDelay, allowRemote := fl.latency, fl.inFlight, fl.reportDelay, fl.allowRemote
	if code, done := f.parseNoArgs(args); done {
		return code
	}
	host, _, err := net.SplitHostPort(*listen)
	if err != nil {
		return f.fail("--listen %q: want HOST:PORT, e.g. 127.0.0.1:8080", *listen)
	}
	if !ibmcloud.IsLoopback(host) && !*allowRemote {
		return f.fail("--listen %s is reachable from other hosts and the emulator answers anyone; use 127.0.0.1:PORT, or add --allow-remote", *listen)
	}
	if *fixture != "" && *generate != "" {
		return f.fail("--fixture and --generate exclude each other")
	}
	spec, err := parseGenerate(*generate)
	if err != nil {
		return f.fail("--generate: %v", err)
	}
	world := (*cloudsim.World)(nil)
	if *fixture != "" {
		if world, err = cloudsim.LoadFixture(*fixture); err != nil {
			fmt.Fprintf(a.stderr, "sim: %v\n", err)
			return exitcode.Config
		}
	} else {
		world = cloudsim.Generate(spec)
	}
	dir := *tokenDir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "trustjob-sim-"); err != nil {
			fmt.Fprintf(a.stderr, "sim: %v\n", err)
			return exitcode.TaskFailed
		}
		defer os.RemoveAll(dir)
	}
	opts := cloudsim.Options{Latency: *latency, MaxInFlight: *inFlight, RetryAfter: 1, ReportDelay: *reportDelay}
	if *fl.enterprise > 0 {
		return a.simEnterprise(ctx, *fl.enterprise, *listen, opts, filepath.Clean(dir)) // sim_enterprise.go
	}
	l, err := cloudsim.StartLocalAt(world, spec, opts, filepath.Clean(dir), *listen)
	if err != nil {
		fmt.Fprintf(a.stderr, "sim: %v\n", err)
		return exitcode.TaskFailed
	}
	defer l.Close()
	ds, err := startDeliverySim(l)
	if err != nil {
		fmt.Fprintf(a.stderr, "sim: %v\n", err)
		return exitcode.TaskFailed
	}
	defer ds.Close()
	for k, v := range ds.Env() {
		l.Env[k] = v
	}

	env := exportEnv(l, host)
	fmt.Fprintf(a.stdout, "# IBM Cloud emulator on %s (listening on %s; account %s, trusted profile %q).\n", env["TRUSTJOB_IAM_URL"], *listen, world.AccountID, l.ProfileName)
	if !ibmcloud.IsLoopback(host) {
		fmt.Fprintln(a.stdout, "# Listening beyond loopback (--allow-remote). trustjob on another host refuses plain http: it needs an https proxy in front.")
	}
	fmt.Fprintln(a.stdout, "# Point trustjob at it from another shell (paste these lines, then run trustjob run or doctor):")
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(a.stdout, "export %s=%s\n", k, env[k])
	}
	fmt.Fprintf(a.stdout, "# COS bucket %s and Event Notifications instance %s (API source %s) on %s.\n",
		SimBucket, SimENInstance, SimENSource, ds.URL)
	fmt.Fprintln(a.stdout, "# Stop with Ctrl-C.")

	if err := l.RunKubelet(ctx); err != nil && ctx.Err() == nil {
		fmt.Fprintf(a.stderr, "sim: token refresh: %v\n", err)
		return exitcode.TaskFailed
	}
	return exitcode.OK
}

// exportEnv is the environment to print: the emulator's, with an unspecified
// listen address (0.0.0.0, [::]) replaced by loopback, which a shell on this
// machine can reach (http://[::]:P is not a URL a client can use).
func exportEnv(l *cloudsim.Local, listenHost string) map[string]string {
	u, err := url.Parse(l.Sim.URL())
	if err != nil {
		return l.Env
	}
	ip := net.ParseIP(u.Hostname())
	if ip == nil || !ip.IsUnspecified() {
		return l.Env
	}
	loop := "127.0.0.1"
	if h := net.ParseIP(listenHost); h != nil && h.To4() == nil {
		loop = "::1" // asked for [::]
	}
	u.Host = net.JoinHostPort(loop, u.Port())
	env := l.Sim.Env(u.String())
	for k, v := range l.Env {
		if _, ok := env[k]; !ok {
			env[k] = v
		}
	}
	return env
}

// generators are the --generate keys and the Spec field each sets.
var generators = map[string]func(s *cloudsim.Spec, v string) error{
	"seed":         func(s *cloudsim.Spec, v string) error { return setUint(&s.Seed, v) },
	"resources":    func(s *cloudsim.Spec, v string) error { return setInt(&s.Instances, v) },
	"groups":       func(s *cloudsim.Spec, v string) error { return setInt(&s.Groups, v) },
	"skew":         func(s *cloudsim.Spec, v string) error { return setFraction(&s.LargestGroupShare, v) },
	"reclamations": func(s *cloudsim.Spec, v string) error { return setInt(&s.Reclamations, v) },
	"users":        func(s *cloudsim.Spec, v string) error { return setInt(&s.Users, v) },
	"serviceids":   func(s *cloudsim.Spec, v string) error { return setInt(&s.ServiceIDs, v) },
	"apikeys":      func(s *cloudsim.Spec, v string) error { return setInt(&s.APIKeys, v) },
	"profiles":     func(s *cloudsim.Spec, v string) error { return setInt(&s.Profiles, v) },
	"inactive":     func(s *cloudsim.Spec, v string) error { return setFraction(&s.InactiveShare, v) },
	"accessgroups": func(s *cloudsim.Spec, v string) error { return setInt(&s.AccessGroups, v) },
	"namespace":    func(s *cloudsim.Spec, v string) error { s.Namespace = v; return nil },
	"serviceaccount": func(s *cloudsim.Spec, v string) error {
		s.ServiceAccount = v
		return nil
	},
}

func generateKeys() []string {
	keys := make([]string, 0, len(generators))
	for k := range generators {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// parseGenerate reads "resources=1000,groups=5" over the default demo account.
func parseGenerate(s string) (cloudsim.Spec, error) {
	spec := cloudsim.DefaultSpec()
	if strings.TrimSpace(s) == "" {
		return spec, nil
	}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		set, known := generators[strings.ToLower(k)]
		switch {
		case !ok:
			return spec, fmt.Errorf("%q: want KEY=VALUE", kv)
		case !known:
			return spec, fmt.Errorf("unknown key %q; known: %s", k, strings.Join(generateKeys(), ", "))
		}
		if err := set(&spec, v); err != nil {
			return spec, fmt.Errorf("%s: %v", k, err)
		}
	}
	return spec, nil
}

func setInt(p *int, v string) error {
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return fmt.Errorf("%q is not a count", v)
	}
	*p = n
	return nil
}

func setUint(p *uint64, v string) error {
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return fmt.Errorf("%q is not a seed", v)
	}
	*p = n
	return nil
}

func setFraction(p *float64, v string) error {
	x, err := strconv.ParseFloat(v, 64)
	if err != nil || x < 0 || x > 1 {
		return fmt.Errorf("%q is not a fraction between 0 and 1", v)
	}
	*p = x
	return nil
}
