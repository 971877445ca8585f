// Package accounts emulates the one Account Management v4 call trustjob
// makes: reading the account, for its owner (GET /v4/accounts/{account_id}).
//
// IBM's reference: the accountmanagementv4 models of
// github.com/IBM/platform-services-go-sdk (AccountResponse). The IAM action
// name billing.account.get is this emulator's choice.
package accounts

import (
	"net/http"

	"github.com/trustjob/trustjob/internal/cloudsim/account"
	"github.com/trustjob/trustjob/internal/cloudsim/core"
)

type api struct {
	*core.Server
	world *account.World
}

// Mount registers the Account Management endpoint.
func Mount(srv *core.Server, w *account.World) {
	s := &api{Server: srv, world: w}
	s.Handle(core.Route{Pattern: "GET /v4/accounts/{account_id}", Service: core.ServiceAccountMgmt,
		Action: core.ActionAccountRead, Handler: s.getAccount})
}

// getAccount answers with the account and its owner; another account's id is
// 403 like every cross-account read, an unknown one 404.
func (s *api) getAccount(w http.ResponseWriter, r *http.Request, c *core.Caller) {
	acct := r.PathValue("account_id")
	if !s.CheckAccount(w, r, core.ServiceAccountMgmt, acct, c, true) {
		return
	}
	s.world.RLock()
	defer s.world.RUnlock()
	st := &s.world.Identities
	owner, email := st.OwnerIAMID, ""
	if u := st.UserByIAMID(owner); u != nil {
		email = u.Email
	}
	core.WriteJSON(w, http.StatusOK, map[string]any{
		"name": "cloudsim account", "id": s.world.AccountID, "owner": email, "owner_userid": email, "owner_iamid": owner,
		"type": "PAYG", "status": "ACTIVE", "linked_softlayer_account": "", "team_directory_enabled": false,
		"traits": map[string]any{"eu_supported": false, "poc": false, "hippa": false},
	})
}
