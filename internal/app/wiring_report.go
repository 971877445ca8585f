package app

import (
	"log/slog"
	"time"

	"github.com/trustjob/trustjob/internal/report"
	"github.com/trustjob/trustjob/internal/runner"
)

// reportServices wires report files and stdout (internal/report) into app.
func reportServices() services {
	return services{
		newOutput: func(o outputOptions) (runner.Output, error) {
			keep := o.Keep.Effective()
			ret := report.Retention{Count: keep.Count, Age: keep.Age}
			if keep.All {
				ret = report.Retention{}
			}
			run, err := report.NewRun(report.Options{
				Dir: o.Dir, Formats: o.Formats, Stdout: o.Stdout, Terminal: o.Terminal, Now: o.Now,
				RunID: o.RunID, Keep: ret,
			})
			if err != nil {
				return nil, err
			}
			return reportOutput{run}, nil
		},
		writeJSON: report.WriteJSONAtomic,
		prepareOutput: func(dir, runID string, wait time.Duration, log *slog.Logger) (func(), error) {
			lock, err := report.LockDir(dir, runID, wait)
			if err != nil {
				return nil, err
			}
			if swept := report.SweepTemp(dir); len(swept) > 0 {
				log.Info("removed temporary files a previous run left behind", "dir", dir, "files", len(swept))
			}
			return lock.Unlock, nil
		},
		claimAccount: report.ClaimAccount,
	}
}

// reportOutput adapts *report.Run to the runner's Output.
type reportOutput struct{ run *report.Run }

var _ runner.Output = reportOutput{}

func (o reportOutput) Task(name string, schema report.Schema) (runner.TaskOutput, error) {
	t, err := o.run.Task(name, schema)
	if err != nil {
		return nil, err
	}
	return taskOutput{t}, nil
}

// taskOutput is a *report.TaskReport (Write, SetSummary, Abort) whose Close
// returns the runner's Written.
type taskOutput struct{ *report.TaskReport }

func (t taskOutput) Close(complete bool) (runner.Written, error) {
	r, err := t.TaskReport.Close(complete)
	return runner.Written{Rows: r.Rows, Files: r.Files, Summary: r.Summary}, err
}
