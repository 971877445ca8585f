package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/trustjob/trustjob/internal/auth"
	"github.com/trustjob/trustjob/internal/config"
	"github.com/trustjob/trustjob/internal/exitcode"
	"github.com/trustjob/trustjob/internal/report"
	"github.com/trustjob/trustjob/internal/rollup"
	"github.com/trustjob/trustjob/internal/runner"
)

// The Indexed Job's variables: Kubernetes sets JOB_COMPLETION_INDEX in each
// pod of a Job with completionMode Indexed; the number of indexes is not
// passed to the pod, so the manifest sets TRUSTJOB_SHARDS to spec.completions.
const (
	EnvCompletionIndex = "JOB_COMPLETION_INDEX"
	EnvShards          = "TRUSTJOB_SHARDS"
)

// target is one account of a run with targets.
type target struct {
	config.Target
	tasks []config.Task // the selected tasks this target runs
}

// runTargets runs the selected tasks in every target of this pod's share, at
// most cfg.ParallelTargets at a time. Each target signs in on its own (its
// own authenticator, token exchange, clients and request counts) and writes
// to DIR/account=<id>/; one target's failure never stops the others. The
// pod's exit code aggregates the targets' (rollup.ExitCode), and
// DIR/rollup.json (and rollup.html with the html format) is the view over
// them.
func (a *app) runTargets(ctx context.Context, o runOptions, cfg *config.Config, dir string, selected []config.Task, skipped []runner.Skip) int {
	log := o.log
	if dir == "" && cfg.Output.COS.Enabled() {
		// Reports for COS are written whole to scratch space first, then
		// streamed from there, each account under account=<id>/.
		scratch, err := os.MkdirTemp("", "trustjob-reports-")
		if err != nil {
			log.Error("cannot create scratch space for the COS reports", "err", err)
			return exitcode.TaskFailed
		}
		defer os.RemoveAll(scratch)
		dir = scratch
	}
	if dir == "" {
		log.Error("a run with targets needs an output directory",
			"hint", "set output.dir or --output-dir (or output.cos): each account's reports go to DIR/account=<id>/")
		return exitcode.Config
	}
	shard, shards, err := shardFromEnv(a.getenv)
	if err != nil {
		log.Error("invalid Indexed Job settings", "err", err,
			"hint", "set "+EnvShards+" to the Job's spec.completions; Kubernetes sets "+EnvCompletionIndex)
		return exitcode.Config
	}
	all, err := a.resolveTargets(ctx, cfg, log)
	if err != nil {
		return signInFailed(log, "enterprise discovery failed", err)
	}
	deliverAs, code := a.deliverySession(ctx, cfg, log)
	if code != exitcode.OK {
		return code
	}
	mine := shareOf(all, shard, shards)
	log.Info("targets", "configured", len(all), "this_pod", len(mine), "index", shard, "indexes", shards,
		"parallel", cfg.ParallelTargets)

	results := make([]rollup.Account, len(mine))
	sem := make(chan struct{}, max(1, cfg.ParallelTargets))
	var wg sync.WaitGroup
	for i, t := range mine {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
			case <-ctx.Done():
			}
			results[i] = a.runTarget(ctx, o, cfg, dir, t, selected, skipped, deliverAs)
		}()
	}
	wg.Wait()

	view := rollup.Build(results, time.Now())
	for _, r := range view.Accounts {
		if r.ExitCode != exitcode.OK && r.ExitCode != exitcode.Findings {
			log.Error("target failed", "target", r.Account, "target_name", r.Name, "status", r.Status,
				"exit_code", r.ExitCode, "err", r.Error, "hint", r.Hint)
		}
	}
	if err := writeRollup(dir, cfg.Output.Formats, view); err != nil {
		log.Error("cannot write the roll-up", "dir", dir, "err", err)
	}
	log.Info("targets finished", "status", view.Status, "exit_code", view.ExitCode, "accounts", view.Totals.Accounts,
		"by_status", view.Totals.ByStatus, "findings", view.Totals.Findings, "token_exchanges", view.Totals.TokenExchanges)
	return view.ExitCode
}

// runTarget is one target: the single-account run (runAccount) in its own
// folder, with its own log attributes. A target whose tasks never ran gets a
// run summary anyway, naming the failure and its fix, for the roll-up.
func (a *app) runTarget(ctx context.Context, o runOptions, cfg *config.Config, dir string, t target, selected []config.Task, skipped []runner.Skip, deliverAs *auth.Session) rollup.Account {
	log := o.log.With("target", t.Account)
	if t.Name != "" {
		log = log.With("target_name", t.Name)
	}
	folder := filepath.Join(dir, rollup.AccountPrefix+t.Account)
	tasks, skip := t.filterTasks(selected), slices.Clone(skipped)
	for _, s := range selected {
		if !slices.ContainsFunc(tasks, func(x config.Task) bool { return x.Name == s.Name }) {
			skip = append(skip, runner.Skip{Name: s.Name, Type: s.Type, Reason: "not in this target's tasks"})
		}
	}
	started := time.Now()
	if err := context.Cause(ctx); err != nil {
		return a.targetFailed(folder, o, t, started, exitcode.TempFail, fmt.Errorf("not started: %w", err),
			"raise deadline, or spread the targets over more indexes (docs/enterprise.md)", tasks, skip, log)
	}
	if t.ProfileID == "" {
		return a.targetFailed(folder, o, t, started, exitcode.NoPerm,
			fmt.Errorf("no trusted profile is mapped to account %s", t.Account),
			"set the account up (a trusted profile linked to this cluster, docs/enterprise.md) and add it under enterprise.profiles", tasks, skip, log)
	}
	if len(tasks) == 0 {
		acct := rollup.Account{Account: t.Account, Name: t.Name, ProfileID: t.ProfileID, Status: "succeeded",
			BySeverity: map[string]int64{}, Changes: map[string]int64{}, Actions: map[string]int64{}}
		return acct
	}
	res := a.runAccount(ctx, o, cfg, accountRun{
		profileID: t.ProfileID, account: t.Account, dir: folder, log: log, started: started, deliverAs: deliverAs,
	}, tasks, skip)
	if res.sum == nil {
		err := res.err
		if err == nil {
			err = errors.New("the run ended before its tasks")
		}
		return a.targetFailed(folder, o, t, started, res.code, err, targetHint(err, t, cfg), tasks, skip, log)
	}
	acct := rollup.FromSummary(*res.sum)
	acct.Name, acct.ExitCode, acct.Folder = t.Name, res.code, rollup.AccountPrefix+t.Account
	if acct.Account == "" {
		acct.Account = t.Account
	}
	return acct
}

// targetFailed writes the run summary of a target whose tasks did not run
// (failureSummary, with the account, the profile and the fix) and returns
// its line in the roll-up.
func (a *app) targetFailed(folder string, o runOptions, t target, started time.Time, code int, err error, hint string,
	tasks []config.Task, skipped []runner.Skip, log *slog.Logger) rollup.Account {
	sum := failureSummary(o, started, code, err, tasks, skipped)
	sum.Account, sum.Profile, sum.Status, sum.Hint = t.Account, runner.Profile{ID: t.ProfileID}, rollup.StatusWord(code), hint
	if err := a.reports.WriteSummary(filepath.Join(folder, runner.SummaryFile), sum); err != nil {
		log.Error("cannot write the target's run summary", "dir", folder, "err", err)
	}
	acct := rollup.FromSummary(sum)
	acct.Name, acct.Folder = t.Name, rollup.AccountPrefix+t.Account
	return acct
}

// targetHint explains a target's sign-in failure in terms of its setup: the
// profile in the target account and its cross-account link to this cluster.
func targetHint(err error, t target, cfg *config.Config) string {
	code, hint := auth.ExitCode(err)
	var se *auth.SignInError
	if errors.As(err, &se) && se.Code == auth.CodeNotEligible {
		who := "this cluster's namespace and service account"
		if se.Workload != "" {
			who = se.Workload
		}
		return fmt.Sprintf("trusted profile %s in account %s does not trust this workload: it needs a link with "+
			"cr_type IKS_SA (or ROKS_SA), is_cross_account true, and the CRN, namespace and service account of %s "+
			"(a link without is_cross_account only works in the cluster's own account); "+
			"check with `trustjob doctor --target %s` (docs/enterprise.md)", t.ProfileID, t.Account, who, t.Account)
	}
	if code == exitcode.TempFail {
		return hint
	}
	return hint + "; check with `trustjob doctor --target " + t.Account + "`"
}

// writeRollup writes DIR/rollup.json, and DIR/rollup.html with the html
// format.
func writeRollup(dir string, formats []string, v rollup.View) error {
	if err := report.WriteJSONAtomic(filepath.Join(dir, rollup.JSONFile), v); err != nil {
		return err
	}
	if slices.Contains(formats, report.HTML) {
		return rollup.WriteHTML(filepath.Join(dir, rollup.HTMLFile), v)
	}
	return nil
}

// resolveTargets lists the run's targets, each with the selected tasks it
// runs: targets: as configured, then the accounts discovery finds.
func (a *app) resolveTargets(ctx context.Context, cfg *config.Config, log *slog.Logger) ([]target, error) {
	var out []target
	seen := map[string]bool{}
	add := func(t config.Target) {
		if seen[t.Account] {
			return
		}
		seen[t.Account] = true
		tt := target{Target: t}
		if len(t.Tasks) > 0 {
			for _, n := range t.Tasks {
				if task, ok := cfg.TaskByName(n); ok {
					tt.tasks = append(tt.tasks, *task)
				}
			}
		}
		out = append(out, tt)
	}
	for _, t := range cfg.Targets {
		add(t)
	}
	if cfg.Enterprise != nil && cfg.Enterprise.Discover {
		found, err := a.discover(ctx, cfg, log)
		if err != nil {
			return nil, err
		}
		for _, t := range found {
			add(t)
		}
	}
	return out, nil
}

// filterTasks keeps the tasks of sel that the target runs (nil: all of sel).
func (t target) filterTasks(sel []config.Task) []config.Task {
	if t.tasks == nil {
		return sel
	}
	var out []config.Task
	for _, s := range sel {
		if slices.ContainsFunc(t.tasks, func(x config.Task) bool { return x.Name == s.Name }) {
			out = append(out, s)
		}
	}
	return out
}

// shardFromEnv reads this pod's index and the number of indexes (0 and 1
// outside an Indexed Job).
func shardFromEnv(getenv func(string) string) (index, count int, err error) {
	idx, n := strings.TrimSpace(getenv(EnvCompletionIndex)), strings.TrimSpace(getenv(EnvShards))
	if n == "" {
		if idx != "" && idx != "0" {
			return 0, 0, fmt.Errorf("%s is %s but %s is not set: every index would run every target", EnvCompletionIndex, idx, EnvShards)
		}
		return 0, 1, nil
	}
	count, err = strconv.Atoi(n)
	if err != nil || count < 1 {
		return 0, 0, fmt.Errorf("%s=%q: want a whole number of at least 1", EnvShards, n)
	}
	if idx == "" {
		return 0, 0, fmt.Errorf("%s=%d but %s is not set: run as an Indexed Job (completionMode: Indexed)", EnvShards, count, EnvCompletionIndex)
	}
	index, err = strconv.Atoi(idx)
	if err != nil || index < 0 || index >= count {
		return 0, 0, fmt.Errorf("%s=%q: want 0 to %d (%s=%d)", EnvCompletionIndex, idx, count-1, EnvShards, count)
	}
	return index, count, nil
}

// shareOf is index's share of the targets: every count-th one, starting at
// index, in the order listed. Each target lands in exactly one index, and the
// shares differ in size by at most one.
func shareOf(all []target, index, count int) []target {
	if count <= 1 {
		return all
	}
	var out []target
	for i := index; i < len(all); i += count {
		out = append(out, all[i])
	}
	return out
}

// targetDelivery is the configuration a target's delivery sees: its COS
// objects go under <prefix>account=<id>/, as its files go to
// DIR/account=<id>/.
func targetDelivery(cfg *config.Config, account string) *config.Config {
	if account == "" || !cfg.Output.COS.Enabled() {
		return cfg
	}
	c := *cfg
	cos := *cfg.Output.COS
	if cos.Prefix == "" {
		cos.Prefix = config.DefaultCOSPrefix
	}
	cos.Prefix += rollup.AccountPrefix + account + "/"
	c.Output.COS = &cos
	return &c
}

// deliverySession signs in once as auth's profile when reports go to COS or
// notifications are sent: the bucket and the Event Notifications instance
// live in one account, which the targets' profiles cannot reach (IBM
// documents cross-account policies for users and service IDs, not for
// trusted profiles). nil without delivery.
func (a *app) deliverySession(ctx context.Context, cfg *config.Config, log *slog.Logger) (*auth.Session, int) {
	if !cfg.Output.COS.Enabled() && cfg.Notify.EventNotifications == nil {
		return nil, exitcode.OK
	}
	sess, err := a.signInAs(ctx, cfg, cfg.Auth.ProfileID, cfg.Auth.ProfileName, log.With("for", "delivery"))
	if err != nil {
		return nil, signInFailed(log, "sign-in for report delivery failed", err)
	}
	log.Info("reports and notifications are delivered as auth's profile", "account", sess.Account, "profile_iam_id", sess.ProfileIAMID)
	return sess, exitcode.OK
}

// signInAs checks the token file and signs in as one profile (discovery,
// delivery): the preflight error or the sign-in error.
func (a *app) signInAs(ctx context.Context, cfg *config.Config, profileID, profileName string, log *slog.Logger) (*auth.Session, error) {
	s := a.authSettings(cfg, profileID, profileName)
	if err := a.signer.Preflight(s, time.Now()); err != nil {
		return nil, err
	}
	return a.signer.SignIn(ctx, s, log)
}
