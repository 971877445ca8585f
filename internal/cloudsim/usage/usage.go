package usage

import (
	"hash/fnv"
	"math"
	"net/http"
	"time"

	"github.com/trustjob/trustjob/internal/cloudsim/core"
)

// routesUsageReports serves Usage Reports v4's account summary: minimal, but
// shaped like AccountSummary (every required field present).
func (s *api) routesUsageReports() {
	s.Handle(core.Route{Pattern: "GET /v4/accounts/{account_id}/summary/{billingmonth}", Service: core.ServiceUsageReports,
		Action: core.ActionAccountSummaryGet, Handler: s.getAccountSummary})
}

func (s *api) getAccountSummary(w http.ResponseWriter, r *http.Request, c *core.Caller) {
	account, month := r.PathValue("account_id"), r.PathValue("billingmonth")
	if !s.CheckAccount(w, r, core.ServiceUsageReports, account, c, true) {
		return
	}
	m, err := time.Parse("2006-01", month)
	if err != nil {
		s.WriteError(w, r, core.ServiceUsageReports, http.StatusBadRequest, "invalid_billing_month",
			"Billing month "+month+" is not in the format YYYY-MM.")
		return
	}
	if m.After(s.Now()) {
		s.WriteError(w, r, core.ServiceUsageReports, http.StatusNotFound, "not_found",
			"No usage summary for "+month+": the month has not started.")
		return
	}
	s.world.RLock()
	base := s.world.Identities.MonthlyCost
	s.world.RUnlock()
	h := fnv.New32a()
	_, _ = h.Write([]byte(account + month))
	// ±20 % per month, rounded to cents.
	billable := math.Round(base*(0.8+0.4*float64(h.Sum32()%1000)/1000)*100) / 100
	core.WriteJSON(w, http.StatusOK, map[string]any{
		"account_id": account, "month": month, "billing_country_code": "USA", "billing_currency_code": "USD",
		"resources":    map[string]any{"billable_cost": billable, "non_billable_cost": math.Round(billable*15) / 100},
		"offers":       []any{},
		"support":      []map[string]any{{"cost": 0, "type": "BASIC", "overage": 0}},
		"subscription": map[string]any{"overage": 0, "subscriptions": []any{}},
	})
}
