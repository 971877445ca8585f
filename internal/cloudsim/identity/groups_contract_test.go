package identity

import (
	"context"
	"net/http"
	"testing"

	sdkcore "github.com/IBM/go-sdk-core/v5/core"
	"github.com/IBM/platform-services-go-sdk/iamidentityv1"
	"github.com/trustjob/trustjob/internal/cloudsim/account"
	"github.com/trustjob/trustjob/internal/cloudsim/core"
	"github.com/trustjob/trustjob/internal/cloudsim/iamtoken"
	"github.com/trustjob/trustjob/internal/cloudsim/testenv"
)

// groupedSpec is the contract account with two service-ID groups besides the
// default one.
func groupedSpec() account.Spec {
	s := testenv.ContractSpec()
	s.ServiceIDGroups = 2
	return s
}

func startGrouped(t *testing.T, opts core.Options) *sdk {
	t.Helper()
	env := testenv.New(t, groupedSpec(), opts, Mount, iamtoken.Mount)
	c := &sdk{env: env, account: env.World.AccountID, runner: env.Runner.IAMID}
	var err error
	if c.iam, err = iamidentityv1.NewIamIdentityV1(&iamidentityv1.IamIdentityV1Options{URL: env.Srv.URL, Authenticator: env.Authenticator(t)}); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestContractServiceIDGroups: ListServiceIDGroup lists the default group and
// the others; ListServiceIds and ListAPIKeys without group_id answer for the
// default group only (service-ID keys; users' keys belong to no group), and
// with group_id for that group (issue 13 F2).
func TestContractServiceIDGroups(t *testing.T) {
	c := startGrouped(t, core.Options{})
	ctx := context.Background()
	groups, _, err := c.iam.ListServiceIDGroupWithContext(ctx, &iamidentityv1.ListServiceIDGroupOptions{AccountID: &c.account})
	if err != nil || len(groups.ServiceidGroups) != 3 || *groups.ServiceidGroups[0].ID != account.DefaultServiceIDGroupID(c.account) {
		t.Fatalf("groups = %v, %v; want the default and two more", groups, err)
	}
	sids := func(group *string) map[string]bool {
		out := map[string]bool{}
		opts := &iamidentityv1.ListServiceIdsOptions{AccountID: &c.account, GroupID: group}
		opts.SetPagesize(100)
		page, _, err := c.iam.ListServiceIdsWithContext(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range page.Serviceids {
			out[*s.ID] = true
			if (group == nil || *group == account.DefaultServiceIDGroupID(c.account)) != (s.GroupID == nil) {
				t.Errorf("service ID %s in group %v lists group_id %v", *s.ID, group, s.GroupID)
			}
		}
		return out
	}
	keys := func(group *string) (user, sid int) {
		opts := &iamidentityv1.ListAPIKeysOptions{AccountID: &c.account, GroupID: group}
		opts.SetScope("account").SetPagesize(100)
		page, _, err := c.iam.ListAPIKeysWithContext(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range page.Apikeys {
			if c.env.World.Identities.ServiceIDByIAMID(*k.IamID) != nil {
				sid++
			} else {
				user++
			}
		}
		return user, sid
	}
	all, total := map[string]bool{}, 0
	defaultIDs := sids(nil)
	if len(defaultIDs) == 0 || len(defaultIDs) == groupedSpec().ServiceIDs {
		t.Fatalf("default listing has %d of %d service IDs; want only the default group's", len(defaultIDs), groupedSpec().ServiceIDs)
	}
	usersNoGroup, sidKeysNoGroup := keys(nil)
	sidKeys := 0
	for _, g := range groups.ServiceidGroups {
		ids := sids(g.ID)
		for id := range ids {
			if all[id] {
				t.Errorf("service ID %s in two groups", id)
			}
			all[id] = true
		}
		total += len(ids)
		_, n := keys(g.ID)
		sidKeys += n
	}
	if total != groupedSpec().ServiceIDs {
		t.Errorf("groups hold %d service IDs, want %d", total, groupedSpec().ServiceIDs)
	}
	if len(sids(groups.ServiceidGroups[0].ID)) != len(defaultIDs) {
		t.Error("the default group's id lists other service IDs than no group_id")
	}
	c.env.World.RLock()
	wantSIDKeys := 0
	for _, k := range c.env.World.Identities.APIKeys {
		if c.env.World.Identities.ServiceIDByIAMID(k.OwnerIAMID) != nil {
			wantSIDKeys++
		}
	}
	c.env.World.RUnlock()
	if sidKeys != wantSIDKeys || sidKeysNoGroup >= wantSIDKeys || usersNoGroup == 0 {
		t.Errorf("service-ID keys: %d over the groups, %d without group_id, want %d in all; %d user keys", sidKeys, sidKeysNoGroup, wantSIDKeys, usersNoGroup)
	}
}

// TestContractKeyWriteRefusals: a trusted profile may not write to a user's
// API key (only the user manages their own keys, 13 F5), and a locked key
// cannot be disabled (13 F6) unless AllowLockedKeyChanges.
func TestContractKeyWriteRefusals(t *testing.T) {
	for _, allow := range []bool{false, true} {
		c := startSDK(t, core.Options{AllowLockedKeyChanges: allow})
		ctx := context.Background()
		w := c.env.World
		w.Lock()
		var userKey, sidKey *account.APIKeyRecord
		for _, k := range w.Identities.APIKeys {
			switch isSID := w.Identities.ServiceIDByIAMID(k.OwnerIAMID) != nil; {
			case isSID && sidKey == nil && !k.Disabled:
				sidKey = k
			case !isSID && userKey == nil:
				userKey = k
			}
		}
		sidKey.Locked = true
		w.Unlock()
		for _, call := range []func() (*sdkcore.DetailedResponse, error){
			func() (*sdkcore.DetailedResponse, error) {
				return c.iam.DisableAPIKeyWithContext(ctx, c.iam.NewDisableAPIKeyOptions(userKey.ID))
			},
			func() (*sdkcore.DetailedResponse, error) {
				return c.iam.LockAPIKeyWithContext(ctx, c.iam.NewLockAPIKeyOptions(userKey.ID))
			},
		} {
			if resp, err := call(); testenv.StatusOf(resp, err) != http.StatusForbidden {
				t.Errorf("a profile's write to user key %s = %d, want 403", userKey.ID, testenv.StatusOf(resp, err))
			}
		}
		resp, err := c.iam.DisableAPIKeyWithContext(ctx, c.iam.NewDisableAPIKeyOptions(sidKey.ID))
		want := http.StatusConflict
		if allow {
			want = http.StatusNoContent
		}
		if testenv.StatusOf(resp, err) != want {
			t.Errorf("allow %t: disable locked key = %d, want %d", allow, testenv.StatusOf(resp, err), want)
		}
		// Locking a locked key again is still fine.
		if resp, err := c.iam.LockAPIKeyWithContext(ctx, c.iam.NewLockAPIKeyOptions(sidKey.ID)); testenv.StatusOf(resp, err) != http.StatusNoContent {
			t.Errorf("lock a locked key = %d", testenv.StatusOf(resp, err))
		}
	}
}
