package iamtoken

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trustjob/trustjob/internal/cloudsim/testenv"

	"github.com/trustjob/trustjob/internal/cloudsim/account"
	"github.com/trustjob/trustjob/internal/cloudsim/core"
)

func TestIAMFixture(t *testing.T) {
	w, err := account.LoadFixture(filepath.Join("testdata", "iam-fixture.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	staging := w.IAM.Cluster("staging")
	if staging == nil || staging.Location != "eu-de" || !strings.Contains(staging.CRN, ":eu-de:a/"+w.AccountID+":") || !staging.Keys[0].CanSign() {
		t.Fatalf("staging cluster = %+v", staging)
	}
	if w.IAM.Settings.MFA != "TOTP" || w.IAM.Settings.RestrictCreateServiceID != "NOT_SET" {
		t.Errorf("settings = %+v", w.IAM.Settings)
	}
	runner := w.IAM.Runner()
	if len(runner.Links) != 0 || len(runner.Rules) != 1 {
		t.Fatalf("runner trust: %d links, %d rules", len(runner.Links), len(runner.Rules))
	}
	if got := runner.Rules[0].Conditions[0].Value; got != `["jobs","trustjob"]` {
		t.Errorf("list value = %s", got)
	}
	if got := runner.Rules[0].Conditions[1].Value; got != `"eu-de"` {
		t.Errorf("bare value = %s", got)
	}
	reader := w.IAM.FindProfile("", "staging-reader")
	if reader == nil || reader.LastAuthn != nil || reader.Links[0].CRN != staging.CRN || reader.Description != "Reads staging" {
		t.Fatalf("staging-reader = %+v", reader)
	}
	old := w.IAM.FindProfile("", "old-exporter")
	if old == nil || !old.LastAuthn.Equal(time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)) || old.Rules[0].Type != account.RuleTypeCR || old.Rules[0].CRType != account.CRTypeROKS {
		t.Fatalf("old-exporter = %+v", old)
	}

	// The rule trusts the runner's workload on staging only.
	s := testenv.NewServer(w, core.Options{}, Mount)
	for _, tc := range []struct {
		cluster string
		status  int
	}{{"staging", 200}, {"", 400}} {
		tok, err := w.MintSAToken(account.MintOptions{Cluster: tc.cluster, Namespace: "jobs", ServiceAccount: "trustjob"})
		if err != nil {
			t.Fatal(err)
		}
		if code := postTokenForm(s, testenv.CRForm(tok, "profile_name", "trustjob-runner").Encode()); code != tc.status {
			t.Errorf("cluster %q: status %d, want %d", tc.cluster, code, tc.status)
		}
	}
}

func TestIAMFixtureErrors(t *testing.T) {
	for name, body := range map[string]string{
		"unknown key":       "iam:\n  clusters:\n    - name: x\n      colour: red\n",
		"bad operator":      "iam:\n  profiles:\n    - name: p\n      rules:\n        - conditions: [{claim: namespace, operator: LIKE, value: x}]\n",
		"bad claim":         "iam:\n  profiles:\n    - name: p\n      rules:\n        - conditions: [{claim: colour, operator: EQUALS, value: x}]\n",
		"unknown cond key":  "iam:\n  profiles:\n    - name: p\n      rules:\n        - conditions: [{claim: namespace, op: EQUALS, value: x}]\n",
		"link without sa":   "iam:\n  profiles:\n    - name: p\n      links: [{namespace: jobs}]\n",
		"link bad cluster":  "iam:\n  profiles:\n    - name: p\n      links: [{cluster: nope, namespace: a, serviceAccount: b}]\n",
		"duplicate cluster": "iam:\n  clusters: [{name: a}, {name: a}]\n",
		"nameless profile":  "iam:\n  profiles: [{description: x}]\n",
		"bad jwks":          "iam:\n  clusters: [{name: a, jwks: '{'}]\n",
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "f.yaml")
			if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := account.LoadFixture(path); err == nil {
				t.Error("fixture accepted")
			}
		})
	}
}
