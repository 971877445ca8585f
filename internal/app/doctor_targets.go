package app

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"

	"github.com/trustjob/trustjob/internal/config"
	"github.com/trustjob/trustjob/internal/doctor"
	"github.com/trustjob/trustjob/internal/rollup"
)

// targetDoctor is one target's walk of the chain.
type targetDoctor struct {
	Account   string        `json:"account"`
	Name      string        `json:"name,omitempty"`
	ProfileID string        `json:"profile_id,omitempty"`
	Report    doctor.Report `json:"report"`
}

// doctorTargets walks the chain once per target (those named with --target,
// else all, discovered ones included): the same token file, the target's
// profile, a cross-account exchange, the account the token names, one read
// per task the target runs. The exit code aggregates them like a run's.
func (a *app) doctorTargets(ctx context.Context, cfg *config.Config, names []string, asJSON bool, log *slog.Logger) int {
	all, err := a.resolveTargets(ctx, cfg, log)
	if err != nil {
		code := signInFailed(log, "enterprise discovery failed", err)
		return a.printDoctor(doctor.Report{ExitCode: code, Checks: []doctor.Check{{
			Name: "discovery", Status: doctor.Fail, Detail: err.Error(),
			Fix: "auth's profile needs Viewer on the Enterprise service in the enterprise account (docs/enterprise.md)"}}}, asJSON)
	}
	var picked []target
	for _, n := range names {
		i := slices.IndexFunc(all, func(t target) bool { return t.Account == n || (t.Name != "" && t.Name == n) })
		if i < 0 {
			return a.printDoctor(doctor.Report{ExitCode: 78, Checks: []doctor.Check{{
				Name: "target", Status: doctor.Fail, Detail: fmt.Sprintf("no target %q in the configuration or the enterprise", n),
				Fix: "name a target's account ID or name (targets:, or an ACTIVE account discovery maps to a profile)"}}}, asJSON)
		}
		picked = append(picked, all[i])
	}
	if len(names) == 0 {
		picked = all
	}
	var out []targetDoctor
	var codes []int
	for _, t := range picked {
		tc := *cfg
		tc.Auth.ProfileID, tc.Auth.ProfileName, tc.Auth.ProfileCRN = t.ProfileID, "", ""
		tc.Tasks = t.filterTasks(cfg.Tasks)
		rep := doctor.Run(ctx, doctor.Input{
			Config: &tc, Types: a.registry, Getenv: a.getenv, Now: a.clock(), Logger: log.With("target", t.Account),
			Account: t.Account, ExplainSignIn: func(err error) string { return targetHint(err, t, cfg) },
		})
		if t.ProfileID == "" {
			rep = doctor.Report{ExitCode: 77, Checks: []doctor.Check{{Name: "target profile", Status: doctor.Fail,
				Detail: "no trusted profile is mapped to account " + t.Account,
				Fix:    "set the account up (docs/enterprise.md) and add it under enterprise.profiles"}}}
		}
		out = append(out, targetDoctor{Account: t.Account, Name: t.Name, ProfileID: t.ProfileID, Report: rep})
		codes = append(codes, rep.ExitCode)
	}
	code := rollup.ExitCode(codes)
	if asJSON {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(map[string]any{"targets": out, "exit_code": code, "ok": code == 0})
		return code
	}
	failed := 0
	for _, t := range out {
		fmt.Fprintf(a.stdout, "== target %s", t.Account)
		if t.Name != "" {
			fmt.Fprintf(a.stdout, " (%s)", t.Name)
		}
		fmt.Fprintf(a.stdout, ", profile %s\n", orNone(t.ProfileID))
		for _, c := range t.Report.Checks {
			fmt.Fprintf(a.stdout, "%s %-16s %s\n", doctorMarks[c.Status], c.Name, c.Detail)
			if c.Fix != "" && c.Status != doctor.OK {
				fmt.Fprintf(a.stdout, "  %-16s fix: %s\n", "", c.Fix)
			}
		}
		if t.Report.ExitCode != 0 {
			failed++
		}
		fmt.Fprintln(a.stdout)
	}
	if failed == 0 {
		fmt.Fprintf(a.stdout, "All %d targets are set up.\n", len(out))
	} else {
		fmt.Fprintf(a.stdout, "%d of %d targets need a fix: the first failing step of each says what (exit %d).\n", failed, len(out), code)
	}
	return code
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
