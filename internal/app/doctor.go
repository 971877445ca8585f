package app

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/trustjob/trustjob/internal/doctor"
	"github.com/trustjob/trustjob/internal/exitcode"
	"github.com/trustjob/trustjob/internal/logging"
)

// declareDoctorFlags declares --json and --target, for the command and its
// help.
func declareDoctorFlags(f *cmdFlags) (asJSON *bool, targets *multiFlag) {
	asJSON = f.Bool("json", false, "print the checks as JSON")
	targets = &multiFlag{}
	f.Var(targets, "target", "walk the chain of target `ACCOUNT` (an account ID or a target's name; repeatable); with targets configured and no --target, every target's")
	return asJSON, targets
}

func (a *app) doctor(ctx context.Context, args []string) int {
	f := a.flagSet("doctor")
	asJSON, targets := declareDoctorFlags(f)
	if code, done := f.parseNoArgs(args); done {
		return code
	}
	log, _ := f.logger()
	cfg, ok := a.loadForRun(f.common.config, log)
	if !ok {
		return a.printDoctor(doctor.Report{ExitCode: exitcode.Config, Checks: []doctor.Check{{
			Name: "configuration", Status: doctor.Fail, Detail: f.common.config + " is invalid (problems logged above)",
			Fix: "trustjob validate " + f.common.config,
		}}}, *asJSON)
	}
	logging.BridgeSDK(log)
	if len(*targets) > 0 || cfg.HasTargets() {
		return a.doctorTargets(ctx, cfg, *targets, *asJSON, log) // doctor_targets.go
	}
	rep := doctor.Run(ctx, doctor.Input{
		Config: cfg, Types: a.registry, Getenv: a.getenv, Now: a.clock(), Logger: log,
	})
	rep.Checks = append([]doctor.Check{{Name: "configuration", Status: doctor.OK,
		Detail: fmt.Sprintf("%s: %d tasks", f.common.config, len(cfg.Tasks))}}, rep.Checks...)
	return a.printDoctor(rep, *asJSON)
}

var doctorMarks = map[string]string{doctor.OK: "✓", doctor.Warn: "!", doctor.Fail: "✗", doctor.Skip: "-"}

func (a *app) printDoctor(rep doctor.Report, asJSON bool) int {
	if asJSON {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rep)
		return rep.ExitCode
	}
	for _, c := range rep.Checks {
		fmt.Fprintf(a.stdout, "%s %-16s %s\n", doctorMarks[c.Status], c.Name, c.Detail)
		if c.Fix != "" && c.Status != doctor.OK {
			fmt.Fprintf(a.stdout, "  %-16s fix: %s\n", "", c.Fix)
		}
	}
	if rep.ExitCode == exitcode.OK {
		fmt.Fprintln(a.stdout, "\nEverything trustjob needs is in place.")
	} else {
		fmt.Fprintf(a.stdout, "\nThe first failing step above is what to fix (exit %d).\n", rep.ExitCode)
	}
	return rep.ExitCode
}
