package accounts

import (
	"context"
	"net/http"
	"testing"

	"github.com/IBM/platform-services-go-sdk/accountmanagementv4"
	"github.com/trustjob/trustjob/internal/cloudsim/core"
	"github.com/trustjob/trustjob/internal/cloudsim/iamtoken"
	"github.com/trustjob/trustjob/internal/cloudsim/testenv"
)

func TestContractGetAccount(t *testing.T) {
	env := testenv.New(t, testenv.ContractSpec(), core.Options{}, Mount, iamtoken.Mount)
	am, err := accountmanagementv4.NewAccountManagementV4(&accountmanagementv4.AccountManagementV4Options{URL: env.Srv.URL, Authenticator: env.Authenticator(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	acct := env.World.AccountID
	res, _, err := am.GetAccountWithContext(ctx, am.NewGetAccountOptions(acct))
	if err != nil {
		t.Fatal(err)
	}
	env.World.RLock()
	owner := env.World.Identities.OwnerIAMID
	env.World.RUnlock()
	if owner == "" || *res.OwnerIamid != owner || *res.ID != acct || res.Traits == nil {
		t.Errorf("account %+v, want owner %s", res, owner)
	}
	if _, _, err := am.GetAccountWithContext(ctx, am.NewGetAccountOptions("someone-elses")); testenv.StatusOf(nil, err) != http.StatusForbidden {
		t.Errorf("another account: %v, want 403", err)
	}
	env.World.Revoke(env.Runner.IAMID, core.ActionAccountRead)
	if _, _, err := am.GetAccountWithContext(ctx, am.NewGetAccountOptions(acct)); testenv.StatusOf(nil, err) != http.StatusForbidden {
		t.Errorf("without billing.account.get: %v, want 403", err)
	}
}
