package usermgmt

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/IBM/platform-services-go-sdk/usermanagementv1"
	"github.com/trustjob/trustjob/internal/cloudsim/core"
	"github.com/trustjob/trustjob/internal/cloudsim/iamtoken"
	"github.com/trustjob/trustjob/internal/cloudsim/testenv"
)

// sdk is an emulator serving User Management (and the token endpoint) over
// testenv.ContractSpec, with the official SDK client signed in as trustjob signs in
// (ContainerAuthenticator, retries off, so error statuses surface as they are).
type sdk struct {
	env     *testenv.Env
	um      *usermanagementv1.UserManagementV1
	account string
	runner  string
}

func startSDK(t *testing.T, opts core.Options) *sdk {
	t.Helper()
	env := testenv.New(t, testenv.ContractSpec(), opts, Mount, iamtoken.Mount)
	auth := env.Authenticator(t)
	c := &sdk{env: env, account: env.World.AccountID, runner: env.Runner.IAMID}
	var err error
	c.um, err = usermanagementv1.NewUserManagementV1(&usermanagementv1.UserManagementV1Options{URL: env.Srv.URL, Authenticator: auth})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestContractUsersPaging(t *testing.T) {
	c := startSDK(t, core.Options{})
	ctx := context.Background()
	for _, limit := range []int64{1, 5, 100} {
		users, err := idAllUsers(ctx, c, limit)
		if err != nil {
			t.Fatalf("limit %d: %v", limit, err)
		}
		seen := map[string]bool{}
		for _, u := range users {
			if seen[*u.IamID] || !strings.HasPrefix(*u.IamID, "IBMid-") || u.Email == nil || u.State == nil || *u.AccountID != c.account {
				t.Fatalf("limit %d: bad or repeated user %+v", limit, u)
			}
			seen[*u.IamID] = true
		}
		if len(seen) != testenv.ContractSpec().Users {
			t.Errorf("limit %d: %d users, want %d", limit, len(seen), testenv.ContractSpec().Users)
		}
	}
	list, _, err := c.um.ListUsersWithContext(ctx, c.um.NewListUsersOptions(c.account).SetLimit(5))
	if err != nil || *list.TotalResults != int64(testenv.ContractSpec().Users) || list.NextURL == nil || !strings.HasPrefix(*list.NextURL, "/v2/accounts/") {
		t.Errorf("first page: %v total %v next %v; want a relative next_url", err, list.TotalResults, list.NextURL)
	}
	u, _, err := c.um.GetUserProfileWithContext(ctx, c.um.NewGetUserProfileOptions(c.account, *list.Resources[0].IamID))
	if err != nil || *u.IamID != *list.Resources[0].IamID {
		t.Errorf("GetUserProfile: %v", err)
	}
	_, resp, err := c.um.GetUserProfileWithContext(ctx, c.um.NewGetUserProfileOptions(c.account, "IBMid-nobody"))
	if testenv.StatusOf(resp, err) != http.StatusNotFound {
		t.Errorf("GetUserProfile(unknown) = %d", testenv.StatusOf(resp, err))
	}
	if _, resp, err := c.um.ListUsersWithContext(ctx, c.um.NewListUsersOptions(c.account).SetLimit(500)); testenv.StatusOf(resp, err) != 400 {
		t.Errorf("limit 500 = %d; want 400", testenv.StatusOf(resp, err))
	}
}

func idAllUsers(ctx context.Context, c *sdk, limit int64) ([]usermanagementv1.UserProfile, error) {
	pager, err := c.um.NewUsersPager(c.um.NewListUsersOptions(c.account).SetLimit(limit))
	if err != nil {
		return nil, err
	}
	return pager.GetAllWithContext(ctx)
}
