package unusedpolicies

import (
	"context"
	"strings"
	"testing"

	"github.com/trustjob/trustjob/internal/action"
	"github.com/trustjob/trustjob/internal/cloudsim"
	"github.com/trustjob/trustjob/internal/exemption"
	"github.com/trustjob/trustjob/internal/simtest"
	"github.com/trustjob/trustjob/tasks"
)

func start(t *testing.T) (*cloudsim.World, tasks.Env) {
	t.Helper()
	w, err := cloudsim.LoadFixture("testdata/account.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, s := simtest.StartWorld(t, w, cloudsim.Options{})
	env := simtest.Env(s, TypeName)
	env.StateDir = t.TempDir()
	return w, env
}

func options() *Options {
	o := NewOptions()
	o.Exemptions.IDs = []exemption.ByID{{ID: "pol-exempt", Reason: "billing read-only for audits"}}
	return o
}

func run(t *testing.T, env tasks.Env, o *Options) (*simtest.Rows, tasks.Result, error) {
	t.Helper()
	env.Actions = action.New(action.Config{DryRun: o.DryRun})
	out := &simtest.Rows{}
	res, err := (&task{opts: o}).Run(context.Background(), env, out)
	return out, res, err
}

func exists(w *cloudsim.World, id string) bool {
	w.RLock()
	defer w.RUnlock()
	for _, p := range w.Identities.Policies {
		if p.ID == id {
			return true
		}
	}
	return false
}

func TestReportAndActions(t *testing.T) {
	w, env := start(t)
	o := options()
	out, res, err := run(t, env, o)
	if err != nil {
		t.Fatal(err)
	}
	pols := out.ByID(colRecord, recordPolicy)
	for _, id := range []string{"pol-user-stale", "pol-sid-never", "pol-group-stale", "pol-template", "pol-exempt"} {
		if pols[id] == nil {
			t.Errorf("%s not reported", id)
		}
	}
	for _, id := range []string{"pol-sid-used", "pol-sid-new"} {
		if pols[id] != nil {
			t.Errorf("%s reported: used or too new", id)
		}
	}
	if pols["pol-sid-never"][colNever] != true || pols["pol-group-stale"][colKind] != "accessgroup" || pols["pol-template"][colRemovable] != false {
		t.Errorf("rows: %v / %v / %v", pols["pol-sid-never"], pols["pol-group-stale"], pols["pol-template"])
	}
	if n := res.Findings.Failing(); n != 4 {
		t.Errorf("%d failing findings, want 4 (the exempt one passes)", n)
	}

	// Dry run: would-do for the direct user and service-ID policies only.
	o.Actions, o.Grace = []string{ActionRemove}, 0
	out, _, err = run(t, env, o)
	if err != nil {
		t.Fatal(err)
	}
	acts := out.ByID(colRecord, recordAction)
	if len(acts) != 3 || acts["pol-user-stale"][colResult] != string(action.WouldDo) || acts["pol-exempt"][colResult] != string(action.SkippedExempt) {
		t.Fatalf("dry-run actions: %v", acts)
	}
	if acts["pol-group-stale"] != nil || acts["pol-template"] != nil {
		t.Error("a group's or a template's policy was planned for removal")
	}
	if !exists(w, "pol-user-stale") {
		t.Fatal("a dry run removed a policy")
	}

	// For real.
	o.DryRun = false
	out, _, err = run(t, env, o)
	if err != nil {
		t.Fatal(err)
	}
	acts = out.ByID(colRecord, recordAction)
	if acts["pol-sid-never"][colResult] != string(action.Done) || exists(w, "pol-sid-never") || exists(w, "pol-user-stale") {
		t.Errorf("real run: %v", acts)
	}
	if !exists(w, "pol-group-stale") || !exists(w, "pol-template") || !exists(w, "pol-exempt") {
		t.Error("a policy outside remove-policy's scope was removed")
	}
}

// A refused delete fails the step and the task, with the access needed.
func TestRemoveRefused(t *testing.T) {
	w, env := start(t)
	w.Revoke(w.IAM.RunnerIAMID(), "iam.policy.delete")
	o := options()
	o.Actions, o.Grace, o.DryRun = []string{ActionRemove}, 0, false
	out, _, err := run(t, env, o)
	if err == nil || !strings.Contains(err.Error(), "Administrator on IAM Access Management") {
		t.Fatalf("error %v", err)
	}
	for id, a := range out.ByID(colRecord, recordAction) {
		if a[colResult] == string(action.Done) {
			t.Errorf("%s removed without permission", id)
		}
	}
}
