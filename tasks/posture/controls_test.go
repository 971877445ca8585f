package posture

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trustjob/trustjob/internal/iamread"
)

var now = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

func ago(d int) time.Time { return now.AddDate(0, 0, -d) }

func tp(t time.Time) *time.Time { return &t }

const owner = "IBMid-OWNER"

// goodAccount passes every automated control.
func goodAccount() *Facts {
	return &Facts{
		Now:      now,
		Owner:    owner,
		Settings: iamread.Settings{MFA: "TOTP4ALL", RestrictCreateServiceID: "RESTRICTED", RestrictCreateAPIKey: "RESTRICTED"},
		MFA:      iamread.MFAReport{Reference: "ref-1", Users: []iamread.MFAUser{{IAMID: "IBMid-A", Username: "a@example.com", Effective: "TOTP", Complies: true}}},
		OwnerMFA: iamread.MFAUser{IAMID: owner, Effective: "TOTP", Complies: true},
		Inactive: map[string]*time.Time{},
		Keys: []iamread.APIKey{
			{ID: "ApiKey-fresh", Name: "ci", IAMID: "iam-ServiceId-ci", CreatedAt: ago(10)},
		},
		Users: []iamread.User{{IAMID: "IBMid-A", UserID: "a@example.com", State: "ACTIVE", AddedOn: ago(400)}},
		Groups: map[string]iamread.Group{
			"AccessGroupId-admins":  {ID: "AccessGroupId-admins", Name: "admins"},
			"AccessGroupId-support": {ID: "AccessGroupId-support", Name: "support"},
		},
		MemberOf: map[string][]string{"IBMid-A": {"AccessGroupId-admins", "AccessGroupId-support"}},
		Policies: []iamread.Policy{
			{ID: "pol-admin", SubjectGroupID: "AccessGroupId-admins", Roles: []string{"crn:v1:bluemix:public:iam::::role:Administrator"}, Resource: map[string]string{"serviceType": "platform_service"}},
			{ID: "pol-support", SubjectGroupID: "AccessGroupId-support", Roles: []string{"crn:v1:bluemix:public:iam::::role:Editor"}, Resource: map[string]string{"serviceName": "support"}},
		},
		PublicAccess: false,
	}
}

func TestControlsPassAndFail(t *testing.T) {
	cases := []struct {
		control string
		breakIt func(f *Facts)
		want    string // an evidence id (or text in the reason) of the failure
	}{
		{"1.2", func(f *Facts) {
			f.Keys = append(f.Keys, iamread.APIKey{ID: "ApiKey-stale", IAMID: "iam-ServiceId-x", CreatedAt: ago(400)})
			f.Inactive["ApiKey-stale"] = tp(ago(200))
		}, "ApiKey-stale"},
		{"1.3", func(f *Facts) {
			f.Keys = append(f.Keys, iamread.APIKey{ID: "ApiKey-old", IAMID: "iam-ServiceId-x", CreatedAt: ago(120)})
		}, "ApiKey-old"},
		{"1.4", func(f *Facts) { f.Settings.RestrictCreateAPIKey = "NOT_SET" }, "user API key creation"},
		{"1.5", func(f *Facts) {
			f.Keys = append(f.Keys, iamread.APIKey{ID: "ApiKey-owner", IAMID: owner, CreatedAt: ago(1)})
		}, "ApiKey-owner"},
		{"1.7", func(f *Facts) {
			f.MFA.Users = append(f.MFA.Users, iamread.MFAUser{IAMID: "IBMid-B", Effective: "NONE", Complies: false})
		}, "IBMid-B"},
		{"1.7", func(f *Facts) { f.Settings.UserMFA = []iamread.UserMFA{{IAMID: "IBMid-C", MFA: "NONE"}} }, "IBMid-C"},
		{"1.8", func(f *Facts) { f.OwnerMFA = iamread.MFAUser{IAMID: owner, Effective: "NONE", Complies: false} }, owner},
		{"1.9", func(f *Facts) { f.Settings.MFA = "NONE_NO_ROPC" }, "NONE_NO_ROPC"},
		{"1.12", func(f *Facts) {
			f.Users = append(f.Users, iamread.User{IAMID: "IBMid-lonely", UserID: "lonely@example.com", State: "ACTIVE"})
		}, "IBMid-lonely"},
		{"1.12", func(f *Facts) {
			f.Policies = append(f.Policies, iamread.Policy{ID: "pol-direct", SubjectIAMID: "iam-ServiceId-x", Roles: []string{"crn:v1:bluemix:public:iam::::role:Viewer"}, Resource: map[string]string{"serviceName": "kms"}})
		}, "pol-direct"},
		{"1.13", func(f *Facts) { f.Policies = f.Policies[:1] }, "no access group has a policy on the Support Center"},
		{"1.14", func(f *Facts) {
			for _, id := range []string{"IBMid-B", "IBMid-C", "IBMid-D"} {
				f.MemberOf[id] = []string{"AccessGroupId-admins"}
			}
		}, "IBMid-D"},
		{"1.15", func(f *Facts) {
			for _, id := range []string{"iam-ServiceId-1", "iam-ServiceId-2"} {
				f.MemberOf[id] = []string{"AccessGroupId-admins"}
			}
			f.Policies = append(f.Policies, iamread.Policy{ID: "pol-sid-admin", SubjectIAMID: "iam-ServiceId-3", Roles: []string{"crn:v1:bluemix:public:iam::::role:Administrator"}, Resource: map[string]string{}})
		}, "iam-ServiceId-3"},
		{"1.16", func(f *Facts) {
			f.PublicAccess = true
			f.Policies = append(f.Policies, iamread.Policy{ID: "pol-public", SubjectGroupID: iamread.PublicAccessGroupID, Roles: []string{"crn:v1:bluemix:public:iam::::serviceRole:Reader"}, Resource: map[string]string{"serviceName": "cloud-object-storage"}})
		}, "pol-public"},
		{"1.17", func(f *Facts) {
			f.Users = append(f.Users, iamread.User{IAMID: "IBMid-gone", UserID: "gone@example.com", State: "ACTIVE", AddedOn: ago(500)})
			f.MemberOf["IBMid-gone"] = []string{"AccessGroupId-support"}
			f.Inactive["IBMid-gone"] = tp(ago(200))
		}, "IBMid-gone"},
	}
	o := NewOptions()
	for _, c := range Controls {
		if c.Eval == nil {
			continue
		}
		if v := Evaluate(c, goodAccount(), o); v.Status != Pass {
			t.Errorf("%s on the good account: %s (%s), want pass", c.ID, v.Status, v.Reason)
		}
	}
	for _, tc := range cases {
		t.Run(tc.control, func(t *testing.T) {
			c, _ := ControlByID(tc.control)
			f := goodAccount()
			tc.breakIt(f)
			v := Evaluate(c, f, o)
			if v.Status != Fail {
				t.Fatalf("status %s (%s), want fail", v.Status, v.Reason)
			}
			if !mentions(v, tc.want) {
				t.Errorf("verdict %+v does not mention %q", v, tc.want)
			}
			// The other controls are unaffected unless they share the fact.
		})
	}
}

func mentions(v Verdict, s string) bool {
	if strings.Contains(v.Reason, s) {
		return true
	}
	for _, e := range v.Evidence {
		if e.ID == s || strings.Contains(e.Detail, s) {
			return true
		}
	}
	return false
}

// 1.3 skips keys 1.2 already reports; disabled keys pass both.
func TestKeyControlsDoNotDoubleCount(t *testing.T) {
	f := goodAccount()
	f.Keys = append(f.Keys,
		iamread.APIKey{ID: "ApiKey-stale", IAMID: "iam-ServiceId-x", CreatedAt: ago(400)},
		iamread.APIKey{ID: "ApiKey-never", IAMID: "iam-ServiceId-x", CreatedAt: ago(300)},
		iamread.APIKey{ID: "ApiKey-off", IAMID: "iam-ServiceId-x", CreatedAt: ago(300), Disabled: true})
	f.Inactive["ApiKey-stale"] = tp(ago(200))
	f.Inactive["ApiKey-never"] = nil
	f.Inactive["ApiKey-off"] = nil
	o := NewOptions()
	c12, _ := ControlByID("1.2")
	c13, _ := ControlByID("1.3")
	v12, v13 := Evaluate(c12, f, o), Evaluate(c13, f, o)
	if v12.Status != Fail || len(v12.Evidence) != 2 {
		t.Errorf("1.2 = %+v, want the stale and never-used keys", v12)
	}
	if v13.Status != Pass {
		t.Errorf("1.3 = %+v, want pass (both old keys are 1.2's)", v13)
	}
}

func TestManualControls(t *testing.T) {
	o := NewOptions()
	for _, id := range []string{"1.1", "1.6", "1.10", "1.11", "1.18", "1.19"} {
		c, _ := ControlByID(id)
		v := Evaluate(c, goodAccount(), o)
		if v.Status != Manual || !strings.Contains(v.Reason, c.Check) || c.Check == "" {
			t.Errorf("%s = %+v, want manual with what to check", id, v)
		}
	}
}

func TestWaiver(t *testing.T) {
	o := NewOptions()
	o.Waivers = []Waiver{
		{Control: "1.13", Reason: "support handled by the enterprise account"},
		{Control: "CIS-IBM-1.0.0/1.9", Reason: "migration", Until: "2026-01-01"}, // expired
	}
	f := goodAccount()
	f.Policies = f.Policies[:1] // 1.13 would fail
	f.Settings.MFA = "NONE"     // 1.9 fails: its waiver expired
	byID := map[string]Assessment{}
	for _, a := range Assess(f, o) {
		byID[a.Control.ID] = a
	}
	if a := byID["1.13"]; a.Verdict.Status != Manual || a.Waiver == "" || !strings.Contains(a.Verdict.Reason, "support handled") {
		t.Errorf("1.13 = %+v, want waived", a)
	}
	if a := byID["1.9"]; a.Verdict.Status != Fail || !strings.Contains(a.Verdict.Reason, "waiver expired on 2026-01-01") {
		t.Errorf("1.9 = %+v, want fail noting the expired waiver", a)
	}
	if n := needed(o, now); n[factPolicies] != true {
		t.Errorf("policies still needed by 1.12-1.16")
	}
	o.Waivers = []Waiver{{Control: "1.7", Reason: "x"}}
	if n := needed(o, now); n[factMFAReport] {
		t.Errorf("the MFA report is read although 1.7 is waived")
	}
}

func TestMissingFactIsError(t *testing.T) {
	f := goodAccount()
	f.Errs[factMFAReport] = errors.New("permission denied (403)")
	c, _ := ControlByID("1.7")
	if v := Evaluate(c, f, NewOptions()); v.Status != Error || !strings.Contains(v.Reason, "MFA report") {
		t.Errorf("1.7 = %+v, want error naming the MFA report", v)
	}
	c9, _ := ControlByID("1.9")
	if v := Evaluate(c9, f, NewOptions()); v.Status != Pass {
		t.Errorf("1.9 = %+v: the MFA report's failure must not touch it", v)
	}
}

func TestPublicAccessReadings(t *testing.T) {
	f := goodAccount()
	f.PublicAccess = true
	c, _ := ControlByID("1.16")
	o := NewOptions()
	if v := Evaluate(c, f, o); v.Status != Fail {
		t.Errorf("strict: %+v, want fail when public access is enabled", v)
	}
	o.PublicAccess = PublicAccessCOS
	if v := Evaluate(c, f, o); v.Status != Pass {
		t.Errorf("cos-only without a COS policy: %+v, want pass", v)
	}
}

func TestAdminLevel(t *testing.T) {
	admin := []string{"crn:v1:bluemix:public:iam::::role:Administrator"}
	cases := []struct {
		res  map[string]string
		role []string
		want bool
	}{
		{map[string]string{"serviceType": "service"}, admin, true},
		{map[string]string{"serviceType": "platform_service"}, admin, true},
		{map[string]string{"service_group_id": "IAM"}, admin, true},
		{map[string]string{"accountId": "a"}, admin, true},
		{map[string]string{"serviceName": "kms"}, admin, false},
		{map[string]string{"serviceType": "service", "resourceGroupId": "rg"}, admin, false},
		{map[string]string{"serviceType": "service"}, []string{"crn:v1:bluemix:public:iam::::role:Viewer"}, false},
	}
	for _, c := range cases {
		if got := AdminLevel(iamread.Policy{Roles: c.role, Resource: c.res}); got != c.want {
			t.Errorf("AdminLevel(%v, %v) = %t", c.role, c.res, got)
		}
	}
}

func TestOptionsValidate(t *testing.T) {
	o := NewOptions()
	if errs := o.Validate(); len(errs) != 0 {
		t.Fatalf("defaults: %v", errs)
	}
	o.Waivers = []Waiver{{Control: "1.99"}, {Control: "1.2", Reason: "r", Until: "soon"}, {Control: "1.2", Reason: "r"}}
	o.PublicAccess = "maybe"
	o.EvidenceLimit = 0
	paths := map[string]bool{}
	for _, e := range o.Validate() {
		paths[e.Path] = true
	}
	for _, p := range []string{"waivers[0].control", "waivers[0].reason", "waivers[1].until", "waivers[2].control", "publicAccess", "evidenceLimit"} {
		if !paths[p] {
			t.Errorf("no error at %s (got %v)", p, paths)
		}
	}
}

// Every control can be waived: its row is manual with the reason, and a fact
// only it needs is no longer read.
func TestEveryControlCanBeWaived(t *testing.T) {
	for _, c := range Controls {
		o := NewOptions()
		o.Waivers = []Waiver{{Control: c.ID, Reason: "reason " + c.ID}}
		f := goodAccount()
		f.Settings.MFA = "NONE" // some controls would fail; the waived one must not
		for _, a := range Assess(f, o) {
			if a.Control.ID != c.ID {
				continue
			}
			if a.Verdict.Status != Manual || a.Waiver != "reason "+c.ID || !strings.Contains(a.Verdict.Reason, "waived: reason "+c.ID) {
				t.Errorf("%s waived: %+v", c.ID, a)
			}
		}
		need := needed(o, now)
		for _, fact := range c.Needs {
			others := false
			for _, d := range Controls {
				if d.ID != c.ID && d.Eval != nil && slices.Contains(d.Needs, fact) {
					others = true
				}
			}
			if !others && need[fact] {
				t.Errorf("%s waived, but %s is still read", c.ID, factNames[fact])
			}
		}
	}
}
