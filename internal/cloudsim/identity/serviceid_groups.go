package identity

import (
	"fmt"
	"net/http"

	"github.com/trustjob/trustjob/internal/cloudsim/account"
	"github.com/trustjob/trustjob/internal/cloudsim/core"
)

// routesServiceIDGroups serves GET /v1/serviceid_groups: the account's
// service-ID groups, the default one first, in one unpaged answer (the SDK's
// ServiceIDGroupList has no paging). Listing them takes the same access as
// listing service IDs here; IBM documents no separate action for it.
func (s *api) routesServiceIDGroups() {
	s.Handle(core.Route{Pattern: "GET /v1/serviceid_groups", Service: core.ServiceIAMIdentity, Action: core.ActionServiceIDList,
		Handler: func(w http.ResponseWriter, r *http.Request, c *core.Caller) {
			if !s.CheckAccount(w, r, core.ServiceIAMIdentity, r.URL.Query().Get("account_id"), c, false) {
				return
			}
			s.world.RLock()
			defer s.world.RUnlock()
			acct := s.world.AccountID
			def := &account.ServiceIDGroupRecord{ID: account.DefaultServiceIDGroupID(acct), Name: "default",
				Description: "The account's default service ID group", CreatedAt: s.world.Identities.Anchor.AddDate(-3, 0, 0)}
			groups := append([]*account.ServiceIDGroupRecord{def}, s.world.Identities.ServiceIDGroups...)
			items := make([]map[string]any, 0, len(groups))
			for _, g := range groups {
				items = append(items, map[string]any{
					"id": g.ID, "entity_tag": "1-" + g.ID[len(g.ID)-8:], "account_id": acct,
					"crn":  fmt.Sprintf("crn:v1:bluemix:public:iam-identity::a/%s::serviceid-group:%s", acct, g.ID),
					"name": g.Name, "description": g.Description, "created_by": g.CreatedBy,
					"created_at": core.FormatTime(g.CreatedAt), "modified_at": core.FormatTime(g.CreatedAt),
				})
			}
			core.WriteJSON(w, http.StatusOK, map[string]any{"serviceid_groups": items})
		}})
}

// keyWriteRefusal is why IAM refuses a write to key k from caller c, or "".
// Only a user manages the user's own API keys (SDK LockAPIKey/DisableAPIKey:
// "Users can manage user API keys for themself, or service ID API keys for
// service IDs they have access to"), so a trusted profile is refused a user's
// key. A locked key "cannot be changed" (SDK APIKey.Locked), so disabling or
// enabling it is refused unless Options.AllowLockedKeyChanges. The caller
// holds the world's lock.
func (s *api) keyWriteRefusal(k *account.APIKeyRecord, c *core.Caller, changesKey bool) (int, string) {
	if s.world.Identities.ServiceIDByIAMID(k.OwnerIAMID) == nil && (c == nil || c.IAMID != k.OwnerIAMID) {
		return http.StatusForbidden, "Only the user can manage the user's own API keys."
	}
	if changesKey && k.Locked && !s.Options().AllowLockedKeyChanges {
		return http.StatusConflict, fmt.Sprintf("API key %s is locked and cannot be changed; unlock it first.", k.ID)
	}
	return 0, ""
}
