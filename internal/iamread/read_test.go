package iamread_test

import (
	"context"
	"strings"
	"testing"

	"github.com/trustjob/trustjob/internal/cloudsim"
	"github.com/trustjob/trustjob/internal/iamread"
	"github.com/trustjob/trustjob/internal/simtest"
)

// TestListsEveryServiceIDGroup (issue 13 F2): IAM answers ListServiceIds and
// ListAPIKeys without group_id for the default service-ID group only, so the
// Reader lists the groups and pages each. On an account whose service IDs are
// spread over the default group and three others, every service ID and every
// key (users' and service IDs') is listed once, through the SDK clients.
func TestListsEveryServiceIDGroup(t *testing.T) {
	for _, groups := range []int{0, 3} {
		t.Run(map[int]string{0: "default group only", 3: "three more groups"}[groups], func(t *testing.T) {
			spec := cloudsim.DefaultSpec()
			spec.ServiceIDs, spec.APIKeys, spec.Users, spec.ServiceIDGroups = 230, 420, 30, groups
			w := cloudsim.Generate(spec)
			l, s := simtest.StartWorld(t, w, cloudsim.Options{})
			r := iamread.New(s.Clients, s.Account)
			ctx := context.Background()

			wantSIDs, wantKeys := map[string]bool{}, map[string]bool{}
			w.RLock()
			inOther := 0
			for _, sid := range w.Identities.ServiceIDs {
				wantSIDs[sid.ID] = true
				if sid.GroupID != "" {
					inOther++
				}
			}
			for _, k := range w.Identities.APIKeys {
				wantKeys[k.ID] = true
			}
			w.RUnlock()
			if groups > 0 && inOther == 0 {
				t.Fatal("the emulator put no service ID in another group; the test proves nothing")
			}

			gotSIDs := map[string]int{}
			if err := r.ServiceIDs(ctx, func(s iamread.ServiceID) error { gotSIDs[s.ID]++; return nil }); err != nil {
				t.Fatal(err)
			}
			gotKeys := map[string]int{}
			if err := r.APIKeys(ctx, func(k iamread.APIKey) error { gotKeys[k.ID]++; return nil }); err != nil {
				t.Fatal(err)
			}
			check := func(what string, want map[string]bool, got map[string]int) {
				t.Helper()
				missing := 0
				for id := range want {
					if got[id] != 1 {
						missing++
					}
				}
				if missing > 0 || len(got) != len(want) {
					t.Errorf("%s: %d listed, %d in the account, %d missing or listed twice", what, len(got), len(want), missing)
				}
			}
			check("service IDs", wantSIDs, gotSIDs)
			check("API keys", wantKeys, gotKeys)
			if n := simtest.Requests(l, nil)[cloudsim.ServiceIAMIdentity]; n == 0 {
				t.Error("no IAM Identity requests counted")
			}
			if groups > 0 && l.Sim.Log().Counts()[cloudsim.ServiceIAMIdentity] < int64(1+2*(groups+1)) {
				t.Errorf("too few IAM Identity requests for %d groups: %v", groups+1, l.Sim.Log().Counts())
			}
		})
	}
}

// TestSingleReadsWithoutABody: a 204, or a 200 with an empty or null body
// (which the SDK decodes to nil), on each single read fails with "without a
// body" instead of a nil dereference.
func TestSingleReadsWithoutABody(t *testing.T) {
	reads := []struct {
		name, service, path string
		call                func(context.Context, *iamread.Reader) error
	}{
		{"profile identities", cloudsim.ServiceIAMIdentity, "/v1/profiles/", func(ctx context.Context, r *iamread.Reader) error {
			_, err := r.ProfileIdentities(ctx, "Profile-x")
			return err
		}},
		{"access group rules", cloudsim.ServiceAccessGroups, "/v2/groups/AccessGroup-x/rules", func(ctx context.Context, r *iamread.Reader) error {
			_, err := r.Rules(ctx, "AccessGroup-x")
			return err
		}},
		{"access groups settings", cloudsim.ServiceAccessGroups, "/v2/groups/settings", func(ctx context.Context, r *iamread.Reader) error {
			_, err := r.PublicAccessEnabled(ctx)
			return err
		}},
		{"roles", cloudsim.ServicePolicyManagement, "/v2/roles", func(ctx context.Context, r *iamread.Reader) error {
			_, err := r.CustomRoles(ctx)
			return err
		}},
		{"effective settings", cloudsim.ServiceIAMIdentity, "/v1/accounts/", func(ctx context.Context, r *iamread.Reader) error {
			_, err := r.Settings(ctx)
			return err
		}},
		{"account owner", cloudsim.ServiceAccountMgmt, "/v4/accounts/", func(ctx context.Context, r *iamread.Reader) error {
			_, err := r.Owner(ctx)
			return err
		}},
		{"MFA status", cloudsim.ServiceIAMIdentity, "/v1/mfa/accounts/", func(ctx context.Context, r *iamread.Reader) error {
			_, err := r.MFAStatus(ctx, "IBMid-x")
			return err
		}},
	}
	answers := []struct {
		name   string
		status int
		body   string
	}{{"200 empty", 200, ""}, {"200 null", 200, "null"}, {"204", 204, ""}}
	l, s := simtest.StartWorld(t, cloudsim.Generate(cloudsim.DefaultSpec()), cloudsim.Options{})
	r := iamread.New(s.Clients, s.Account)
	for _, rd := range reads {
		for _, a := range answers {
			t.Run(rd.name+" "+a.name, func(t *testing.T) {
				l.Sim.ClearFaults()
				l.Sim.AddFault(&cloudsim.Fault{Service: rd.service, PathPrefix: rd.path, Status: a.status, Body: a.body, NoBody: a.body == ""})
				err := rd.call(context.Background(), r)
				if err == nil || !strings.Contains(err.Error(), "without a body") {
					t.Errorf("err %v, want one saying the answer had no body", err)
				}
			})
		}
	}
	l.Sim.ClearFaults()
}
