package usage

import (
	"context"
	"testing"

	"github.com/IBM/platform-services-go-sdk/usagereportsv4"
	"github.com/trustjob/trustjob/internal/cloudsim/core"
	"github.com/trustjob/trustjob/internal/cloudsim/iamtoken"
	"github.com/trustjob/trustjob/internal/cloudsim/testenv"
)

// sdk is an emulator serving Usage Reports (and the token endpoint) over
// testenv.ContractSpec, with the official SDK client signed in as trustjob signs in
// (ContainerAuthenticator, retries off, so error statuses surface as they are).
type sdk struct {
	env     *testenv.Env
	ur      *usagereportsv4.UsageReportsV4
	account string
	runner  string
}

func startSDK(t *testing.T, opts core.Options) *sdk {
	t.Helper()
	env := testenv.New(t, testenv.ContractSpec(), opts, Mount, iamtoken.Mount)
	auth := env.Authenticator(t)
	c := &sdk{env: env, account: env.World.AccountID, runner: env.Runner.IAMID}
	var err error
	c.ur, err = usagereportsv4.NewUsageReportsV4(&usagereportsv4.UsageReportsV4Options{URL: env.Srv.URL, Authenticator: auth})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestContractUsageSummary(t *testing.T) {
	c := startSDK(t, core.Options{})
	ctx := context.Background()
	month := c.env.Server.Now().UTC().Format("2006-01")
	sum, _, err := c.ur.GetAccountSummaryWithContext(ctx, c.ur.NewGetAccountSummaryOptions(c.account, month))
	if err != nil {
		t.Fatal(err)
	}
	if *sum.Month != month || *sum.BillingCurrencyCode != "USD" || sum.Resources == nil || *sum.Resources.BillableCost <= 0 ||
		sum.Offers == nil || sum.Support == nil || sum.Subscription == nil {
		t.Errorf("summary = %+v", sum)
	}
	if _, resp, err := c.ur.GetAccountSummaryWithContext(ctx, c.ur.NewGetAccountSummaryOptions(c.account, "2024-13")); testenv.StatusOf(resp, err) != 400 {
		t.Errorf("bad month = %d; want 400", testenv.StatusOf(resp, err))
	}
}
