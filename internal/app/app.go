// Package app is trustjob's command line: subcommands and their flags, wiring
// configuration, sign-in, the runner and reports together, and the exit code.
// cmd/trustjob only hands it os.Args.
package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/trustjob/trustjob/internal/config"
	"github.com/trustjob/trustjob/internal/exitcode"
	"github.com/trustjob/trustjob/tasks"
	"github.com/trustjob/trustjob/tasks/builtin"

	// Schedules are read in the configured time zone even in an image
	// without /usr/share/zoneinfo.
	_ "time/tzdata"
)

// DefaultConfigPath is where the configuration is read from without --config
// or TRUSTJOB_CONFIG (the ConfigMap's mount in the manifests).
const DefaultConfigPath = "/etc/trustjob/config.yaml"

// EnvConfig names the variable that replaces DefaultConfigPath.
const EnvConfig = "TRUSTJOB_CONFIG"

var _ config.TaskTypes = (*tasks.Registry)(nil)

// command is one subcommand and its help. To add one, write its
// func(*app, ctx, args) int in its own file (parse args with a.flagSet(name),
// which adds the common flags and takes the help from here; declare its own
// flags in a function named in flags) and add its entry to commands.
type command struct {
	name    string
	summary string // one line for `trustjob help`
	usage   string // the synopsis after "trustjob", for errors and -h
	about   string // what the command does, for `trustjob help NAME` and -h
	// flags declares the command's own flags, the same function its run
	// calls, so `trustjob help NAME` lists them without running the command.
	flags func(*cmdFlags)
	// emulator marks demo and sim: absent from the release build.
	emulator bool
	run      func(a *app, ctx context.Context, args []string) int
}

// available reports whether this build has the command.
func (c command) available() bool { return !c.emulator || emulatorBuilt }

// commands is the dispatch table, in the order `trustjob help` lists them.
func commands() []command {
	return []command{
		{name: "run", summary: "run the tasks that are due, or those named with --task",
			usage: "run [flags]",
			about: "Signs in as the configured trusted profile and runs the tasks that are due (see\n" +
				"`trustjob schedule`), or the tasks named with --task, one after the other.",
			flags: func(f *cmdFlags) { declareRunFlags(f) },
			run:   (*app).run},
		{name: "validate", summary: "check configuration files offline and print every problem",
			usage: "validate [flags] [FILE...]",
			about: "Checks configuration files offline (no network) and prints every problem with its\n" +
				"file, line, column, field path and a fix. Without FILE it checks --config.\n" +
				"The environment is checked too (TRUSTJOB_* overrides, refused API-key variables).\n" +
				"Exit 0 when every file is valid, 78 otherwise.",
			run: (*app).validate},
		{name: "tasks", summary: "list the task types, their options and the IAM access they need",
			usage: "tasks [flags] [TYPE...]",
			about: "Lists the task types this binary knows, each with a one-line description, its\n" +
				"options with their defaults (as YAML to paste under a task's options:), and the\n" +
				"IAM access the trusted profile needs for it. With TYPE, only those types.",
			run: (*app).tasks},
		{name: "schedule", summary: "show which tasks are due now and their next fire times",
			usage: "schedule [flags]",
			about: "Prints, for every configured task, whether `trustjob run` would run it now and\n" +
				"its next fire times. A task is due when one of its fire times lies in this run's\n" +
				"window (the top-level schedule's fire time before the current one, now].",
			flags: func(f *cmdFlags) { declareScheduleFlags(f) },
			run:   (*app).schedule},
		{name: "doctor", summary: "diagnose the token file, sign-in and each task's permissions",
			usage: "doctor [--json] [--target ACCOUNT] [flags]",
			about: "Walks the sign-in chain and says at each step what is wrong and how to fix it:\n" +
				"the token file, its claims (audience, lifetime, expiry, clock skew, workload),\n" +
				"the IAM endpoint (DNS, TCP, TLS, proxy), the token exchange, the access token,\n" +
				"and one cheap authorised read per configured task. It never prints a token.\n" +
				"With targets (docs/enterprise.md) it walks each target's chain, or --target's.\n" +
				"Exit 0 when every check passes; 77 for a setup problem; 75 when IAM or a\n" +
				"service is unreachable; 78 for an invalid configuration.",
			flags: func(f *cmdFlags) { declareDoctorFlags(f) },
			run:   (*app).doctor},
		{name: "rollup", summary: "merge per-account run summaries into an enterprise view",
			usage: "rollup [--output-dir DIR] [--format F] [--fail] DIR...",
			about: "Reads DIR/account=<id>/run-summary.json in every DIR (the folders of a run with\n" +
				"targets, or of each index of an Indexed Job) and writes rollup.json and rollup.html:\n" +
				"each account's status (with the fix for one that could not be signed in to),\n" +
				"findings by severity, inventory totals, changes and actions, and the totals.\n" +
				"Exit 0 when written; --fail exits with the aggregated code of the accounts.",
			flags: func(f *cmdFlags) { declareRollupFlags(f) },
			run:   (*app).rollup},
		{name: "demo", summary: "run config/demo.yaml against the built-in IBM Cloud emulator",
			usage: "demo [flags]",
			about: "Starts the built-in IBM Cloud emulator on a loopback port with a generated demo\n" +
				"account, mints a projected service-account token for it, and runs the demo\n" +
				"configuration (config/demo.yaml, built in; --config replaces it) exactly as\n" +
				"`trustjob run` would. Then prints a line per task and the path of the\n" +
				"reports (index.html with the html format).\n" +
				"Nothing leaves the machine.",
			flags: demoFlags, emulator: true,
			run: (*app).demo},
		{name: "sim", summary: "serve the IBM Cloud emulator",
			usage: "sim [--listen ADDR] [--fixture FILE | --generate K=V,...] [flags]",
			about: "Serves the built-in IBM Cloud emulator (IAM token endpoint, IAM Identity, Resource\n" +
				"Controller and Manager, Global Search and Tagging, User Management, Access Groups,\n" +
				"Policy Management, Usage Reports) and keeps a projected service-account token\n" +
				"for the trusted workload fresh in --token-dir. Prints the environment that\n" +
				"points trustjob at it. GET /_sim/requests lists the requests served.",
			flags: simFlagsHelp, emulator: true,
			run: (*app).sim},
		{name: "version", summary: "print the version",
			usage: "version",
			about: "Prints trustjob's version, then the Go version and platform.",
			run:   (*app).version},
		{name: "help", summary: "show help for a command",
			usage: "help [COMMAND]",
			about: "Shows the commands, or one command's usage and flags (without running it).",
			run:   (*app).help},
	}
}

func lookup(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// app holds the process's surroundings, injectable in tests.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	environ        func() []string
	clock          func() time.Time
	registry       *tasks.Registry
	signer         signer      // internal/auth
	reports        reportStore // internal/report
	// global holds common flags given before the subcommand.
	global commonFlags
}

// Main runs trustjob with args (without the program name) and returns the exit
// code. SIGTERM and SIGINT cancel the command's context.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	reg := tasks.NewRegistry()
	builtin.Register(reg)
	a := &app{
		stdin: stdin, stdout: stdout, stderr: stderr,
		getenv: os.Getenv, environ: os.Environ, clock: time.Now,
		registry: reg, signer: authSigner{}, reports: fileReports{},
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	return a.main(ctx, args)
}

func (a *app) main(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("trustjob", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	a.global = commonFlags{config: a.defaultConfig(), logLevel: "info"}
	a.global.register(fs, nil)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			a.usage(a.stdout)
			return exitcode.OK
		}
		return a.usageError("%v", err)
	}
	if fs.NArg() == 0 {
		return a.usageError("no command given")
	}
	name := fs.Arg(0)
	cmd, ok := lookup(name)
	if !ok {
		return a.usageError("unknown command %q", name)
	}
	return cmd.run(a, ctx, fs.Args()[1:])
}

func (a *app) defaultConfig() string {
	if p := a.getenv(EnvConfig); p != "" {
		return p
	}
	return DefaultConfigPath
}

func (a *app) usage(w io.Writer) {
	fmt.Fprint(w, `trustjob runs IBM Cloud administration tasks from a YAML file, signed in as an
IAM trusted profile with the pod's projected service-account token (no API key).

Usage: trustjob [common flags] COMMAND [flags] [args]

Commands:
`)
	for _, c := range commands() {
		if !c.available() {
			fmt.Fprintf(w, "  %-9s not in this build (release builds leave the IBM Cloud emulator out)\n", c.name)
			continue
		}
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, `
Common flags (before or after COMMAND):
  --config PATH       configuration file (default $%s or %s)
  --log-format F      json or text (default: text with colour on a terminal, JSON otherwise)
  --log-level L       debug, info, warn or error (default info)

Run 'trustjob help COMMAND' for a command's flags.
Exit codes: 0 ok, 1 a task failed, 2 usage, 3 findings over failOn, 75 temporary
failure before any task ran, 77 sign-in or permission setup, 78 invalid configuration.
`, EnvConfig, DefaultConfigPath)
}

// usageError reports a command-line mistake: exit 2 with a short usage.
func (a *app) usageError(format string, args ...any) int {
	fmt.Fprintf(a.stderr, "trustjob: %s\n", fmt.Sprintf(format, args...))
	fmt.Fprintln(a.stderr, "Usage: trustjob [common flags] COMMAND [flags]; commands: "+strings.Join(commandNames(), ", "))
	fmt.Fprintln(a.stderr, "Run 'trustjob help' for details.")
	return exitcode.Usage
}

func commandNames() []string {
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
	}
	return names
}

func (a *app) help(_ context.Context, args []string) int {
	switch len(args) {
	case 0:
		a.usage(a.stdout)
		return exitcode.OK
	case 1:
		if args[0] == "help" {
			a.usage(a.stdout)
			return exitcode.OK
		}
		cmd, ok := lookup(args[0])
		if !ok {
			return a.usageError("unknown command %q", args[0])
		}
		a.commandHelp(a.stdout, cmd)
		return exitcode.OK
	}
	return a.usageError("help takes at most one command")
}

// commandHelp prints cmd's usage, what it does and its flags, all from the
// command table: the command itself does not run.
func (a *app) commandHelp(w io.Writer, cmd command) {
	f := a.flagSet(cmd.name)
	if !cmd.available() {
		fmt.Fprintf(w, "Usage: trustjob %s\n\n%s\n\nNot in this build: release builds leave the IBM Cloud emulator out.\n"+
			"Use a development build (go run ./cmd/trustjob %s, from a checkout of the source).\n", f.usage, f.about, cmd.name)
		return
	}
	if cmd.flags != nil {
		cmd.flags(f)
	}
	f.printUsage(w)
}
