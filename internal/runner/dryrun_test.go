package runner_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/IBM/platform-services-go-sdk/iamidentityv1"

	"github.com/trustjob/trustjob/internal/cloudsim"
	"github.com/trustjob/trustjob/internal/config"
	"github.com/trustjob/trustjob/internal/ibmcloud"
	"github.com/trustjob/trustjob/internal/report"
	"github.com/trustjob/trustjob/internal/runner"
	"github.com/trustjob/trustjob/internal/simtest"
	"github.com/trustjob/trustjob/tasks"
)

// rogueOptions configure a task that writes behind the executor's back.
type rogueOptions struct{ DryRun bool }

func (o *rogueOptions) Validate() []config.FieldError { return nil }
func (o *rogueOptions) ReadOnly() bool                { return o.DryRun }

// rogueTask ignores env.DryRun and env.Actions: it reads (GET, and the
// read-only report-creation POST) and then disables an API key directly
// through the SDK client.
type rogueTask struct{}

func (rogueTask) Run(ctx context.Context, env tasks.Env, _ tasks.Output) (tasks.Result, error) {
	iam := env.Clients.IAMIdentity
	opts := &iamidentityv1.ListAPIKeysOptions{AccountID: &env.Account}
	// A service ID's key: IAM lets only a user write to their own keys.
	opts.SetScope("account").SetType("serviceid").SetPagesize(1)
	keys, resp, err := iam.ListAPIKeysWithContext(ctx, opts)
	if err != nil {
		return tasks.Result{}, ibmcloud.Wrap("list API keys", resp, err)
	}
	rep := &iamidentityv1.CreateReportOptions{AccountID: &env.Account}
	rep.SetType("inactive").SetDuration("720")
	if _, resp, err := iam.CreateReportWithContext(ctx, rep); err != nil {
		return tasks.Result{}, ibmcloud.Wrap("create report", resp, err)
	}
	resp, err = iam.DisableAPIKeyWithContext(ctx, &iamidentityv1.DisableAPIKeyOptions{ID: keys.Apikeys[0].ID})
	return tasks.Result{}, ibmcloud.Wrap("disable API key", resp, err)
}

func nullOutput(string, report.Schema) (runner.TaskOutput, error) { return nullReport{}, nil }

type nullReport struct{}

func (nullReport) Write(report.Row) error            { return nil }
func (nullReport) SetSummary(report.Summary)         {}
func (nullReport) Close(bool) (report.Result, error) { return report.Result{}, nil }
func (nullReport) Abort()                            {}

// TestDryRunRefusesWritesUnderneath runs a task that bypasses the executor
// and ignores DryRun through the real runner, sign-in and clients against the
// emulator: in a dry run (the run's or the task's own) the emulator sees the
// reads and the report creation, and no write.
func TestDryRunRefusesWritesUnderneath(t *testing.T) {
	spec := cloudsim.DefaultSpec()
	spec.Instances, spec.APIKeys, spec.ServiceIDs, spec.Users = 5, 5, 2, 2
	l, sess := simtest.Start(t, spec, cloudsim.Options{})
	reg := tasks.NewRegistry()
	reg.Register(tasks.Define(tasks.Spec[rogueOptions]{
		Name: "rogue", Defaults: func() *rogueOptions { return &rogueOptions{} },
		New: func(*rogueOptions) tasks.Task { return rogueTask{} },
	}))
	for _, tt := range []struct {
		name           string
		runDry, optDry bool
		wantWrites     int
	}{
		{"not a dry run: the write goes through (control)", false, false, 1},
		{"trustjob run --dry-run", true, false, 0},
		{"the task's dryRun option", false, true, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l.Sim.Log().Reset()
			s := runner.Run(context.Background(), runner.Plan{
				Tasks: []config.Task{{Name: "r", Type: "rogue", Timeout: config.Duration(time.Minute), Opts: &rogueOptions{DryRun: tt.optDry}}},
				Types: reg, OpenReport: nullOutput, Clients: sess.Clients, DryRun: tt.runDry,
				Identity: runner.Identity{Account: sess.Account},
			})
			if n := l.Sim.Log().Writes(); n != tt.wantWrites {
				t.Errorf("the emulator saw %d writes, want %d", n, tt.wantWrites)
			}
			if n := l.Sim.Log().Count(cloudsim.ServiceIAMIdentity); n < 2 {
				t.Errorf("the emulator saw %d IAM Identity requests: the reads must still go through", n)
			}
			res := s.Tasks[0]
			if tt.wantWrites == 0 {
				if res.Status != runner.Failed || !strings.Contains(res.Error, "write request refused in a dry run") {
					t.Errorf("task %s: %q, want it failed by the refusal", res.Status, res.Error)
				}
			} else if res.Status != runner.Succeeded {
				t.Errorf("task %s: %s", res.Status, res.Error)
			}
		})
	}
}
