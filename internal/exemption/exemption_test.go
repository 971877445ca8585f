package exemption

import "testing"

func TestMatch(t *testing.T) {
	r := Rules{
		IDs:               []ByID{{ID: "ApiKey-1", Reason: "by id"}},
		IAMIDs:            []ByIAMID{{IAMID: "iam-ServiceId-ci", Reason: "by owner"}},
		Names:             []ByName{{Name: "backup-*", Reason: "by name"}},
		DescriptionMarker: DefaultMarker,
	}
	cases := []struct {
		t    Target
		want string
	}{
		{Target{ID: "ApiKey-1"}, "by id"},
		{Target{ID: "x", IAMID: "iam-ServiceId-ci"}, "by owner"},
		{Target{ID: "x", Name: "backup-nightly"}, "by name"},
		{Target{ID: "x", Name: "backup-ops/primary"}, "by name"}, // * spans / (issue 12.1)
		{Target{ID: "x", Description: "break-glass, trustjob:exempt"}, "description contains trustjob:exempt"},
		{Target{ID: "x", IAMID: "iam-Profile-self"}, "the trusted profile trustjob runs as"},
		{Target{ID: "x", Name: "prod"}, ""},
	}
	for _, c := range cases {
		got, ok := r.Match(c.t, "iam-Profile-self")
		if got != c.want || ok != (c.want != "") {
			t.Errorf("Match(%+v) = %q, %t; want %q", c.t, got, ok, c.want)
		}
	}
	r.DescriptionMarker = "none"
	if _, ok := r.Match(Target{Description: "trustjob:exempt"}, ""); ok {
		t.Error(`marker "none" still exempts`)
	}
	bad := Rules{IDs: []ByID{{}}, Names: []ByName{{Name: "[", Reason: "r"}}}
	if errs := bad.Validate("exemptions"); len(errs) != 3 {
		t.Errorf("Validate found %d problems, want 3: %v", len(errs), errs)
	}
}
