package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/trustjob/trustjob/internal/auth"
	"github.com/trustjob/trustjob/internal/config"
	"github.com/trustjob/trustjob/internal/exitcode"
	"github.com/trustjob/trustjob/internal/logging"
	"github.com/trustjob/trustjob/internal/report"
	"github.com/trustjob/trustjob/internal/runner"
	"gopkg.in/yaml.v3"
)

// signer is what a run needs from internal/auth: the offline check of the
// token file and the sign-in. authSigner is the real one; tests use a fake,
// or the real one against the emulator.
type signer interface {
	Preflight(s auth.Settings, now time.Time) error
	SignIn(ctx context.Context, s auth.Settings, log *slog.Logger) (*auth.Session, error)
}

type authSigner struct{}

func (authSigner) Preflight(s auth.Settings, now time.Time) error { return auth.Preflight(s, now) }

func (authSigner) SignIn(ctx context.Context, s auth.Settings, log *slog.Logger) (*auth.Session, error) {
	return auth.SignIn(ctx, s, log)
}

// reportStore is what a run needs from internal/report: the run's reports
// and its summary file. fileReports is the real one.
type reportStore interface {
	NewRun(o report.Options) (*report.Run, error)
	WriteSummary(path string, s runner.Summary) error
}

type fileReports struct{}

func (fileReports) NewRun(o report.Options) (*report.Run, error) { return report.NewRun(o) }

func (fileReports) WriteSummary(path string, s runner.Summary) error {
	return report.WriteJSONAtomic(path, s)
}

// outputKeeper is what a run needs to keep its output directory safe: the
// directory's lock (with the sweep of what a killed run left) and the account
// the directory belongs to. fileReports has it; a store without it (a test's
// fake) skips both.
type outputKeeper interface {
	Prepare(dir, runID string, wait time.Duration, log *slog.Logger) (release func(), err error)
	ClaimAccount(dir, account string) error
}

// Prepare takes dir's advisory lock, waiting up to wait, then sweeps the
// temporary files a killed run left behind (no live run can own one now).
func (fileReports) Prepare(dir, runID string, wait time.Duration, log *slog.Logger) (func(), error) {
	lock, err := report.LockDir(dir, runID, wait)
	if err != nil {
		return nil, err
	}
	if swept := report.SweepTemp(dir); len(swept) > 0 {
		log.Info("removed temporary files a previous run left behind", "dir", dir, "files", len(swept))
	}
	return lock.Unlock, nil
}

// ClaimAccount binds dir to account (report.ClaimAccount).
func (fileReports) ClaimAccount(dir, account string) error { return report.ClaimAccount(dir, account) }

// retention turns output.keep into the report package's retention.
func retention(k config.Keep) report.Retention {
	k = k.Effective()
	if k.All {
		return report.Retention{}
	}
	return report.Retention{Count: k.Count, Age: k.Age}
}

// runOptions is one `trustjob run`. demo and tests build it directly.
type runOptions struct {
	configPath string
	tasks      []string // --task: run these now whatever their schedule
	dryRun     bool
	outputDir  string    // overrides output.dir
	now        time.Time // the clock the schedules and tasks see
	fixedNow   bool      // now comes from --now
	log        *slog.Logger
	runID      string
	// lockWait is how long to wait for another run holding the output
	// directory (default defaultLockWait).
	lockWait time.Duration
}

// defaultLockWait is how long a run waits for an overlapping one to release
// the output directory before it exits 75 (a later run can succeed).
const defaultLockWait = 10 * time.Second

// runFlags are run's own flags, declared once for the command and its help.
type runFlags struct {
	names       *multiFlag
	dryRun      *bool
	outDir, now *string
	lockWait    *time.Duration
}

func declareRunFlags(f *cmdFlags) runFlags {
	names := new(multiFlag)
	f.Var(names, "task", "run the task `NAME` now, whatever its schedule (repeatable)")
	return runFlags{
		names:    names,
		dryRun:   f.Bool("dry-run", false, "make every task read-only: actions are reported, not taken"),
		outDir:   f.String("output-dir", "", "write reports to `DIR` (overrides output.dir)"),
		now:      f.String("now", "", "evaluate schedules at this RFC3339 `time` instead of the clock"),
		lockWait: f.Duration("lock-wait", defaultLockWait, "wait this `long` for another run to release the output directory, then exit 75"),
	}
}

func (a *app) run(ctx context.Context, args []string) int {
	f := a.flagSet("run")
	fl := declareRunFlags(f)
	names, dryRun, outDir, nowFlag, lockWait := fl.names, fl.dryRun, fl.outDir, fl.now, fl.lockWait
	if code, done := f.parseNoArgs(args); done {
		return code
	}
	now, fixed, err := parseNow(*nowFlag, a.clock)
	if err != nil {
		return f.fail("%v", err)
	}
	log, id := f.logger()
	return a.runWith(ctx, runOptions{
		configPath: f.common.config, tasks: *names, dryRun: *dryRun, outputDir: *outDir,
		now: now, fixedNow: fixed, log: log, runID: id, lockWait: *lockWait,
	})
}

// runWith is a run after flag parsing: configuration (78 before any network),
// task selection, the output directory's lock, then the account's run
// (runAccount), or every target's (runTargets).
func (a *app) runWith(ctx context.Context, o runOptions) int {
	log := o.log
	started := time.Now()
	cfg, ok := a.loadForRun(o.configPath, log)
	if !ok {
		a.configFailureSummary(o, started, "invalid configuration "+o.configPath+" (problems in the log; trustjob validate shows them)")
		return exitcode.Config
	}
	selected, skipped, err := selectTasks(cfg, o.tasks, o.now)
	if err != nil {
		log.Error("invalid --task", "err", err)
		a.configFailureSummary(o, started, "invalid --task: "+err.Error())
		return exitcode.Config
	}
	for _, s := range skipped {
		log.Debug("task not due", "task", s.Name, "type", s.Type, "reason", s.Reason)
	}
	if len(selected) == 0 {
		log.Info("no task is due", "tasks", len(cfg.Tasks), "schedule", cfg.Schedule, "now", o.now.Format(time.RFC3339))
		return exitcode.OK
	}

	// The run deadline covers sign-in too: a hung IAM must not eat the Job's
	// activeDeadlineSeconds.
	ctx, cancel := context.WithTimeoutCause(ctx, cfg.Deadline.D(), fmt.Errorf("run deadline %s reached", cfg.Deadline))
	defer cancel()
	logging.BridgeSDK(log)

	dir := cfg.Output.Dir
	if o.outputDir != "" {
		dir = o.outputDir
	}
	// The output directory is taken before any network call: an unwritable
	// or busy directory fails the run before it costs a token exchange.
	keeper, _ := a.reports.(outputKeeper)
	if dir != "" && keeper != nil {
		wait := o.lockWait
		if wait == 0 {
			wait = defaultLockWait
		}
		release, err := keeper.Prepare(dir, o.runID, wait, log)
		if errors.Is(err, report.ErrLocked) {
			log.Error("another run holds the output directory", "dir", dir, "err", err, "waited", wait.String(),
				"hint", "runs overlap: make the CronJob's concurrencyPolicy Forbid, or give each configuration its own output.dir",
				"exit_code", exitcode.TempFail)
			return exitcode.TempFail
		}
		if err != nil {
			log.Error("cannot open the output directory", "dir", dir, "err", err)
			return exitcode.TaskFailed
		}
		defer release()
	}
	if cfg.HasTargets() {
		return a.runTargets(ctx, o, cfg, dir, selected, skipped) // targets.go
	}
	return a.runAccount(ctx, o, cfg, accountRun{
		profileID: cfg.Auth.ProfileID, profileName: cfg.Auth.ProfileName, dir: dir, stdout: a.stdout, started: started,
	}, selected, skipped).code
}

// accountRun is one account's share of a run: the profile to sign in as, the
// account the access token must name ("" for any), where its reports go.
type accountRun struct {
	profileID, profileName string
	// account is a target's: the token must name it, its folder is claimed
	// for it, and its COS objects go under account=<id>/.
	account string
	dir     string
	stdout  io.Writer // nil: rows only to files
	log     *slog.Logger
	started time.Time
	// deliverAs, when set, is the session reports and notifications are
	// delivered with (a target's profile cannot reach a bucket in another
	// account; auth's profile, in the bucket's account, can).
	deliverAs *auth.Session
}

// authSettings signs in as the profile id (or name) with cfg's token file,
// IAM URL, endpoints and allowed hosts. The IBM SDK's per-service URL
// variables are read from the environment, as the SDK itself would.
func (a *app) authSettings(cfg *config.Config, profileID, profileName string) auth.Settings {
	s := auth.Settings{
		ProfileID: profileID, ProfileName: profileName,
		CRTokenFile: cfg.Auth.CRTokenFile, IAMURL: cfg.Auth.IAMURL,
		Network: cfg.Network(), AllowedHosts: cfg.AllowedHosts, Getenv: a.getenv,
		ComputeResource: cfg.Auth.ComputeResource, MetadataURL: cfg.Auth.MetadataURL,
	}
	// auth.profileCRN names auth's profile only, never a target's.
	if profileID == cfg.Auth.ProfileID && profileName == cfg.Auth.ProfileName {
		s.ProfileCRN = cfg.Auth.ProfileCRN
	}
	return s
}

// accountResult is how one account's run ended: the exit code, and either
// the run summary (the tasks ran) or the sign-in error (they did not).
type accountResult struct {
	code int
	sum  *runner.Summary
	err  error
}

// runAccount signs in to one account and runs the selected tasks there:
// preflight (77), sign-in (77/75), the tasks, the run summary. A plain run
// calls it once; a run with targets once per target (targets.go).
func (a *app) runAccount(ctx context.Context, o runOptions, cfg *config.Config, t accountRun, selected []config.Task, skipped []runner.Skip) accountResult {
	log := o.log
	if t.log != nil {
		log = t.log
	}
	dir, started := t.dir, t.started
	// A target's failure summary is written by runTarget, with the fix;
	// metrics are the single-account run's (a target's would overwrite
	// another's in the Pushgateway group).
	failed := func(code int, err error) {
		if t.account == "" {
			a.writeFailureSummary(dir, o, started, code, err, selected, skipped)
			publishMetrics(ctx, cfg, dir, nil, failedRunSummary(o, started, code), log)
		}
	}
	// The IBM SDK's per-service URL variables are read from the environment,
	// as the SDK itself would.
	settings := a.authSettings(cfg, t.profileID, t.profileName)
	if err := a.signer.Preflight(settings, time.Now()); err != nil {
		code := signInFailed(log, "preflight failed", err)
		failed(code, err)
		return accountResult{code: code, err: err}
	}
	sess, err := a.signer.SignIn(ctx, settings, log)
	if err != nil {
		code := signInFailed(log, "sign-in failed", err)
		failed(code, err)
		return accountResult{code: code, err: err}
	}
	log.Info("signed in", "account", sess.Account, "profile_name", sess.ProfileName,
		"profile_id", sess.ProfileID, "profile_iam_id", sess.ProfileIAMID, "endpoints", cfg.Endpoints)
	if t.account != "" && sess.Account != t.account {
		err := &auth.SignInError{Message: fmt.Sprintf("trusted profile %s belongs to account %s, not to the target account %s",
			t.profileID, sess.Account, t.account)}
		err.SetHint("correct the target's account or profileID: the profile must live in the target account")
		return accountResult{code: signInFailed(log, "sign-in reached another account", err), err: err}
	}

	delSess := sess
	if t.deliverAs != nil {
		delSess = t.deliverAs
	}
	del, err := a.newDelivery(targetDelivery(cfg, t.account), delSess, o.runID, o.now, log)
	if err != nil {
		log.Error("cannot set up report delivery", "err", err)
		return accountResult{code: exitcode.Config, err: fmt.Errorf("report delivery: %w", err)}
	}
	keeper, _ := a.reports.(outputKeeper)
	if dir != "" && keeper != nil {
		err := os.MkdirAll(dir, 0o755)
		if err == nil {
			err = keeper.ClaimAccount(dir, sess.Account)
		}
		if err != nil {
			// No summary either: this directory is another account's.
			log.Error("the output directory belongs to another account", "dir", dir, "err", err,
				"hint", "give each account its own output.dir (or --output-dir); its reports are the baseline of change reports",
				"exit_code", exitcode.Config)
			return accountResult{code: exitcode.Config, err: err}
		}
	}
	if dir == "" && cfg.Output.COS.Enabled() {
		// Reports for COS are written whole to scratch space first, then
		// streamed from there (docs/delivery.md).
		scratch, err := os.MkdirTemp("", "trustjob-reports-")
		if err != nil {
			log.Error("cannot create scratch space for the COS reports", "err", err)
			return accountResult{code: exitcode.TaskFailed, err: err}
		}
		defer os.RemoveAll(scratch)
		dir = scratch
	}
	out, err := a.reports.NewRun(report.Options{
		Dir: dir, Formats: cfg.Output.Formats, Stdout: t.stdout, Terminal: logging.IsTerminal(t.stdout), Now: o.now,
		RunID: o.runID, Keep: retention(cfg.Output.Keep),
	})
	if err != nil {
		log.Error("cannot open the output directory", "dir", dir, "err", err)
		return accountResult{code: exitcode.TaskFailed, err: err}
	}
	taskNow := time.Now
	if o.fixedNow {
		taskNow = func() time.Time { return o.now }
	}
	sum := runner.Run(ctx, runner.Plan{
		RunID: o.runID, Version: Version(), Tasks: selected, Skipped: skipped, Types: a.registry,
		OpenReport: del.open(ctx, func(task string, s report.Schema) (runner.TaskOutput, error) { return out.Task(task, s) }),
		OutputDir:  dir, Previous: del.previous(),
		Clients: sess.Clients,
		Identity: runner.Identity{Account: sess.Account, ProfileIAMID: sess.ProfileIAMID,
			ProfileName: sess.ProfileName, ProfileID: sess.ProfileID},
		TokenExchanges: sess.Exchanges,
		Logger:         log, DryRun: o.dryRun, Now: taskNow,
	})
	del.finish(ctx, &sum, delSess.Clients)
	if dir != "" {
		path := filepath.Join(dir, runner.SummaryFile)
		if err := a.reports.WriteSummary(path, sum); err != nil {
			log.Error("cannot write the run summary", "path", path, "err", err)
			if sum.ExitCode == exitcode.OK {
				sum.ExitCode = exitcode.TaskFailed
			}
		}
	}
	writeRunPages(ctx, dir, cfg.Output.Formats, report.Stamp(o.now, o.runID), sum, del.history(), log)
	sum.ExitCode = del.publishIndex(ctx, dir, sum.ExitCode)
	if t.account == "" {
		publishMetrics(ctx, cfg, dir, del, sum, log)
	}
	return accountResult{code: sum.ExitCode, sum: &sum}
}

// loadForRun loads the configuration and logs every problem, one line each.
func (a *app) loadForRun(path string, log *slog.Logger) (*config.Config, bool) {
	cfg, err := config.LoadEnv(path, a.registry, a.environ())
	if err == nil {
		return cfg, true
	}
	var probs config.Problems
	if !errors.As(err, &probs) {
		probs = config.Problems{{File: path, Message: err.Error()}}
	}
	for _, p := range probs {
		log.Error("invalid configuration", "file", p.File, "line", p.Line, "column", p.Column,
			"path", p.Path, "problem", p.Message, "fix", p.Fix)
	}
	log.Error("nothing was run: fix the configuration", "problems", len(probs), "hint", "trustjob validate "+path)
	return nil, false
}

// writeFailureSummary replaces run-summary.json with this run's, when no task
// could run: a monitor reading the file must never see the previous run's
// "succeeded" after this one failed.
func (a *app) writeFailureSummary(dir string, o runOptions, started time.Time, code int, cause error, selected []config.Task, skipped []runner.Skip) {
	if dir == "" {
		return
	}
	sum := failureSummary(o, started, code, cause, selected, skipped)
	path := filepath.Join(dir, runner.SummaryFile)
	if err := a.reports.WriteSummary(path, sum); err != nil {
		o.log.Error("cannot write the run summary", "path", path, "err", err)
	}
}

// failureSummary is the summary of a run whose tasks never started.
func failureSummary(o runOptions, started time.Time, code int, cause error, selected []config.Task, skipped []runner.Skip) runner.Summary {
	finished := time.Now()
	d := finished.Sub(started)
	sum := runner.Summary{
		RunID: o.runID, Version: Version(), Started: started.UTC(), Finished: finished.UTC(),
		Duration: d.Round(time.Millisecond).String(), DurationMS: d.Milliseconds(), DryRun: o.dryRun,
		Status: "failed", ExitCode: code, Statuses: map[runner.Status]int{}, Tasks: []runner.TaskResult{},
		Requests: map[string]int64{}, Error: logging.RedactString(cause.Error()),
	}
	if code == exitcode.NoPerm {
		sum.Status = "permission-denied"
	}
	for _, t := range selected {
		sum.Tasks = append(sum.Tasks, runner.TaskResult{Name: t.Name, Type: t.Type, Status: runner.Skipped, Reason: "not started: no task ran"})
	}
	for _, s := range skipped {
		sum.Tasks = append(sum.Tasks, runner.TaskResult{Name: s.Name, Type: s.Type, Status: runner.Skipped, Reason: s.Reason})
	}
	sum.Statuses[runner.Skipped] = len(sum.Tasks)
	return sum
}

// configFailureSummary writes the summary of a run stopped by its
// configuration, into the output directory the configuration or
// --output-dir names, only if that directory exists (nothing is created from
// a configuration that was refused) and no other run holds it.
func (a *app) configFailureSummary(o runOptions, started time.Time, why string) {
	dir := o.outputDir
	if dir == "" {
		dir = a.outputDirOf(o.configPath)
	}
	if dir == "" {
		return
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return
	}
	if keeper, ok := a.reports.(outputKeeper); ok {
		release, err := keeper.Prepare(dir, o.runID, 0, o.log)
		if err != nil {
			return
		}
		defer release()
	}
	a.writeFailureSummary(dir, o, started, exitcode.Config, errors.New(why), nil, nil)
}

// signInFailed logs a preflight or sign-in error and returns its exit code.
func signInFailed(log *slog.Logger, msg string, err error) int {
	code, hint := auth.ExitCode(err)
	log.Error(msg, "err", err, "hint", hint, "exit_code", code)
	return code
}

// selectTasks picks the tasks to run: those named (any unknown name is a
// configuration error), or those due at now. The others are returned as
// skipped, with why.
func selectTasks(cfg *config.Config, names []string, now time.Time) ([]config.Task, []runner.Skip, error) {
	var run []config.Task
	var skip []runner.Skip
	if len(names) > 0 {
		want := map[string]bool{}
		var unknown []string
		for _, n := range names {
			if _, ok := cfg.TaskByName(n); !ok {
				unknown = append(unknown, fmt.Sprintf("%q", n))
			}
			want[n] = true
		}
		if len(unknown) > 0 {
			return nil, nil, fmt.Errorf("unknown task %s; configured tasks: %s",
				strings.Join(unknown, ", "), strings.Join(cfg.TaskNames(), ", "))
		}
		for _, t := range cfg.Tasks {
			if want[t.Name] {
				run = append(run, t)
			} else {
				skip = append(skip, runner.Skip{Name: t.Name, Type: t.Type, Reason: "not named with --task"})
			}
		}
		return run, skip, nil
	}
	for i, d := range runner.Due(cfg, now) {
		t := cfg.Tasks[i]
		if d.Due {
			run = append(run, t)
		} else {
			skip = append(skip, runner.Skip{Name: t.Name, Type: t.Type, Reason: "not due: " + d.Reason})
		}
	}
	return run, skip, nil
}

// outputDirOf reads output.dir from the configuration without validating it
// (runWith validates and reports problems).
func (a *app) outputDirOf(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	var cfg struct {
		Output struct {
			Dir string `yaml:"dir"`
		} `yaml:"output"`
	}
	_ = yaml.Unmarshal(b, &cfg) // a broken file is reported by runWith
	return cfg.Output.Dir
}
