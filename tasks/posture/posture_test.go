package posture

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/trustjob/trustjob/internal/action"
	"github.com/trustjob/trustjob/internal/cloudsim"
	"github.com/trustjob/trustjob/internal/config"
	"github.com/trustjob/trustjob/internal/ibmcloud"
	"github.com/trustjob/trustjob/internal/report"
	"github.com/trustjob/trustjob/internal/simtest"
	"github.com/trustjob/trustjob/tasks"
)

func fastOptions() *Options {
	o := NewOptions()
	o.PollInterval, o.PollMaxInterval = config.Duration(10*time.Millisecond), config.Duration(50*time.Millisecond)
	return o
}

// run runs iam-posture against w through the real SDK clients.
func run(t *testing.T, w *cloudsim.World, o *Options) (map[string]report.Row, map[string][]report.Row, tasks.Result, error) {
	t.Helper()
	rows, res, err := runRows(t, w, o)
	controls, evidence := map[string]report.Row{}, map[string][]report.Row{}
	for _, r := range rows {
		c := r[tasks.ColControl].(string)
		if r[colRecord] == recordControl {
			controls[c] = r
		} else {
			evidence[c] = append(evidence[c], r)
		}
	}
	return controls, evidence, res, err
}

// runRows runs iam-posture against w and returns its rows in order.
func runRows(t *testing.T, w *cloudsim.World, o *Options) ([]report.Row, tasks.Result, error) {
	t.Helper()
	// The fixtures' times are relative to their anchor, goldenNow: pin the
	// emulator's clock and the task's there. The generated account's anchor
	// is today.
	opts := cloudsim.Options{ReportDelay: 30 * time.Millisecond}
	w.RLock()
	pinned := w.Identities.Anchor.Equal(goldenNow)
	w.RUnlock()
	if pinned {
		opts.ClockOffset = time.Until(goldenNow)
		opts.TokenTTL = -opts.ClockOffset + time.Hour
	}
	_, s := simtest.StartWorld(t, w, opts)
	env := simtest.Env(s, TypeName)
	if pinned {
		env.Now = func() time.Time { return goldenNow }
	}
	env.Actions = action.New(action.Config{})
	out := &simtest.Rows{}
	res, err := (&task{opts: o}).Run(context.Background(), env, out)
	return out.All, res, err
}

func load(t *testing.T, path string) *cloudsim.World {
	t.Helper()
	w, err := cloudsim.LoadFixture(path)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

var manualIDs = []string{"1.1", "1.6", "1.10", "1.11", "1.18", "1.19"}

func TestPostureEmulatorPassingAccount(t *testing.T) {
	controls, _, res, err := run(t, load(t, "testdata/passing.yaml"), fastOptions())
	if err != nil {
		t.Fatal(err)
	}
	if len(controls) != len(Controls) {
		t.Fatalf("%d control rows, want %d", len(controls), len(Controls))
	}
	for _, c := range Controls {
		want := Pass
		if c.Eval == nil {
			want = Manual
		}
		if got := controls[c.Key()][tasks.ColStatus]; got != want {
			t.Errorf("%s: %v (%v), want %s", c.ID, got, controls[c.Key()][colReason], want)
		}
	}
	if n := res.Findings.Failing(); n != 0 {
		t.Errorf("%d failing findings on the passing account", n)
	}
	if n := res.Findings.Count(tasks.StatusManual, tasks.SeverityInfo); n != len(manualIDs) {
		t.Errorf("%d manual findings, want %d", n, len(manualIDs))
	}
}

func TestPostureEmulatorFailingAccount(t *testing.T) {
	controls, evidence, res, err := run(t, load(t, "testdata/failing.yaml"), fastOptions())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{ // control -> evidence ids that must be listed
		"1.2":  {"ApiKey-stale"},
		"1.3":  {"ApiKey-old"},
		"1.4":  {"restrict_create_service_id"},
		"1.5":  {"ApiKey-owner"},
		"1.7":  {"IBMid-DEV0000001"},
		"1.8":  {"IBMid-OWNER00001"},
		"1.9":  {"mfa"},
		"1.12": {"IBMid-LONELY0001"},
		"1.13": nil,
		"1.14": {"IBMid-ADMIN00001", "IBMid-DEV0000001"},
		"1.15": {"iam-ServiceId-ci", "iam-ServiceId-etl"},
		"1.16": {"public_access_enabled"},
		"1.17": {"IBMid-GONE000001"},
	}
	for id, ids := range want {
		key := Benchmark + "/" + id
		if got := controls[key][tasks.ColStatus]; got != Fail {
			t.Errorf("%s: %v (%v), want fail", id, got, controls[key][colReason])
			continue
		}
		listed := map[string]bool{}
		for _, e := range evidence[key] {
			listed[e[colID].(string)] = true
		}
		for _, e := range ids {
			if !listed[e] {
				t.Errorf("%s: evidence lacks %s (has %v)", id, e, listed)
			}
		}
	}
	// 1.3 leaves the key 1.2 reports to 1.2.
	for _, e := range evidence[Benchmark+"/1.3"] {
		if e[colID] == "ApiKey-stale" {
			t.Error("1.3 lists ApiKey-stale, which 1.2 reports")
		}
	}
	if n := res.Findings.Failing(); n != len(want) {
		t.Errorf("%d failing findings, want %d", n, len(want))
	}
	if n := res.Findings.Count(tasks.StatusFail, tasks.SeverityHigh); n < 6 {
		t.Errorf("%d high or critical failures, want at least 6 (1.5, 1.7, 1.8, 1.9, 1.14-1.16)", n)
	}
	for _, id := range manualIDs {
		if controls[Benchmark+"/"+id][tasks.ColStatus] != Manual || controls[Benchmark+"/"+id][colCheck] == "" {
			t.Errorf("%s is not manual with what to check: %v", id, controls[Benchmark+"/"+id])
		}
	}
}

// A waived control makes none of its calls and reports the waiver; a missing
// permission turns only the controls that need it into errors.
func TestPostureEmulatorWaiverAndRefusal(t *testing.T) {
	w := load(t, "testdata/failing.yaml")
	w.Revoke(w.IAM.RunnerIAMID(), "iam-identity.mfa-status.get")
	o := fastOptions()
	o.Waivers = []Waiver{{Control: "1.13", Reason: "IBM Support is reached through the enterprise account"}}
	controls, _, _, err := run(t, w, o)
	if err == nil || !strings.Contains(err.Error(), "1 controls could not be evaluated") {
		t.Errorf("error %v, want one control not evaluated", err)
	}
	c13 := controls[Benchmark+"/1.13"]
	if c13[tasks.ColStatus] != Manual || c13[colWaiver] != "IBM Support is reached through the enterprise account" {
		t.Errorf("1.13 = %v, want waived", c13)
	}
	c18 := controls[Benchmark+"/1.8"]
	if c18[tasks.ColStatus] != Error || !strings.Contains(c18[colReason].(string), "owner's MFA status") {
		t.Errorf("1.8 = %v, want error naming the owner's MFA status", c18)
	}
	if controls[Benchmark+"/1.9"][tasks.ColStatus] != Fail {
		t.Errorf("1.9 = %v: the refusal must not touch it", controls[Benchmark+"/1.9"])
	}
}

// The demo's generated account: every control has a status, none is error.
func TestPostureEmulatorGeneratedAccount(t *testing.T) {
	controls, evidence, _, err := run(t, cloudsim.Generate(cloudsim.DefaultSpec()), fastOptions())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range Controls {
		r := controls[c.Key()]
		if r == nil || r[tasks.ColStatus] == Error || r[colReason] == "" {
			t.Errorf("%s: %v", c.ID, r)
		}
		if r[tasks.ColStatus] == Fail && len(evidence[c.Key()]) == 0 && c.ID != "1.13" {
			t.Errorf("%s fails without evidence", c.ID)
		}
	}
}

// The posture report in the ocsf format: one Compliance Finding per control,
// each valid against OCSF's required fields, evidence as resources.
func TestPostureOCSF(t *testing.T) {
	controls, evidence, _, err := run(t, load(t, "testdata/failing.yaml"), fastOptions())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	rr, err := report.NewRun(report.Options{Dir: dir, Formats: []string{"ocsf"}, Now: time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := rr.Task(TypeName, report.Schema{Columns: columns})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range Controls {
		if err := tr.Write(controls[c.Key()]); err != nil {
			t.Fatal(err)
		}
		for _, e := range evidence[c.Key()] {
			if err := tr.Write(e); err != nil {
				t.Fatal(err)
			}
		}
	}
	res, err := tr.Close(true)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(res.Files[0])
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != len(Controls) {
		t.Fatalf("%d OCSF events, want one per control (%d)", len(lines), len(Controls))
	}
	for i, line := range lines {
		var ev map[string]any
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		if errs := report.ValidateOCSF(ev); len(errs) > 0 {
			t.Errorf("event %d (%v) invalid: %v", i, ev["finding_info"], errs)
		}
	}
	var c15 map[string]any
	_ = json.Unmarshal([]byte(lines[4]), &c15)
	if res, _ := c15["resources"].([]any); len(res) != 1 || c15["severity_id"] != 4.0 {
		t.Errorf("1.5's event: resources %v severity %v", c15["resources"], c15["severity_id"])
	}
}

// Under `trustjob run --dry-run` the transport refuses writes; iam-posture
// only reads (and creates the two reports, which the transport allows).
func TestPostureUnderDryRun(t *testing.T) {
	w := load(t, "testdata/passing.yaml")
	opts := cloudsim.Options{ReportDelay: 30 * time.Millisecond, ClockOffset: time.Until(goldenNow)}
	opts.TokenTTL = -opts.ClockOffset + time.Hour
	_, s := simtest.StartWorld(t, w, opts)
	env := simtest.Env(s, TypeName)
	env.Now = func() time.Time { return goldenNow }
	env.Actions, env.DryRun = action.New(action.Config{DryRun: true}), true
	ctx := ibmcloud.WithDryRun(context.Background())
	res, err := (&task{opts: fastOptions()}).Run(ctx, env, &simtest.Rows{})
	if err != nil {
		t.Fatal(err)
	}
	if n := res.Findings.Count(tasks.StatusPass, tasks.SeverityInfo); n != len(Controls)-len(manualIDs) {
		t.Errorf("%d passing controls under dry run, want %d", n, len(Controls)-len(manualIDs))
	}
}
