package accessreview

import (
	"context"
	"strings"
	"testing"

	"github.com/trustjob/trustjob/internal/action"
	"github.com/trustjob/trustjob/internal/cloudsim"
	"github.com/trustjob/trustjob/internal/report"
	"github.com/trustjob/trustjob/internal/simtest"
	"github.com/trustjob/trustjob/tasks"
)

func review(t *testing.T, o *Options) ([]report.Row, tasks.Result) {
	t.Helper()
	w, err := cloudsim.LoadFixture("testdata/account.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, s := simtest.StartWorld(t, w, cloudsim.Options{})
	env := simtest.Env(s, TypeName)
	env.Actions = action.New(action.Config{})
	out := &simtest.Rows{}
	res, err := (&task{opts: o}).Run(context.Background(), env, out)
	if err != nil {
		t.Fatal(err)
	}
	return out.All, res
}

func paths(rs []report.Row, iamID string) []string {
	var out []string
	for _, r := range rs {
		if r[colIdentity] == iamID {
			out = append(out, r[colVia].(string)+":"+str(r[colGroup])+":"+str(r[colPolicyID]))
		}
	}
	return out
}

func str(v any) string { s, _ := v.(string); return s }

func TestReview(t *testing.T) {
	rs, res := review(t, NewOptions())
	cases := map[string][]string{
		"IBMid-ALICE00001": {"access group:admins:pol-admin", "access group:developers:pol-devs"},
		"IBMid-BOB0000001": {"access group:developers:pol-devs"},
		"IBMid-NOBODY0001": {"none::"},
		"iam-ServiceId-ci": {"direct::pol-ci", "access group:developers:pol-devs"},
		"*":                {"public access:Public Access:pol-public"},
	}
	for id, want := range cases {
		if got := paths(rs, id); strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("%s: paths %v, want %v", id, got, want)
		}
	}
	for _, r := range rs {
		switch r[colPolicyID] {
		case "pol-admin":
			if r[colAdmin] != true || r[tasks.ColControl] != "CIS-IBM-1.0.0/1.14" {
				t.Errorf("admin row %v", r)
			}
		case "pol-ci":
			if r[colAdmin] != false {
				t.Errorf("Administrator on one service is not account administration: %v", r)
			}
		case "pol-devs":
			if r[colRoles] != "Editor, Writer" {
				t.Errorf("roles %v", r[colRoles])
			}
			if r[colIdentity] == "IBMid-BOB0000001" && r[colMembership] != "dynamic" {
				t.Errorf("bob's membership %v", r[colMembership])
			}
		}
		if r[colName] == "deployer" && !strings.Contains(str(r[colDetail]), "assumable by: serviceid ServiceId-ci") {
			t.Errorf("profile row %v lacks who may assume it", r)
		}
	}
	var rule []report.Row
	for _, r := range rs {
		if r[colKind] == "dynamic-rule" {
			rule = append(rule, r)
		}
	}
	if len(rule) != 1 || rule[0][colPolicyID] != "pol-devs" || !strings.Contains(str(rule[0][colDetail]), `https://idp.example.com with groups CONTAINS "eng"`) {
		t.Errorf("dynamic rule rows %v", rule)
	}
	if got := paths(rs, "iam-Profile-aaaaaaaa-0001-4a00-a000-000000000001"); len(got) != 1 {
		t.Errorf("deployer profile rows %v", got)
	}
	if n := res.Findings.Count(tasks.StatusManual, tasks.SeverityHigh); n != 1 {
		t.Errorf("%d admin findings to recertify, want 1", n)
	}
	if res.Summary["admins"] != 1 {
		t.Errorf("summary %v", res.Summary)
	}
}

func TestAdminOnly(t *testing.T) {
	o := NewOptions()
	o.AdminOnly = true
	rs, _ := review(t, o)
	if len(rs) != 1 || rs[0][colPolicyID] != "pol-admin" {
		t.Errorf("admin-only rows %v", rs)
	}
}
