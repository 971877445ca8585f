// Package identity emulates the IAM Identity API (v1): trusted profiles with
// their links and claim rules, the account's identity settings, API keys and
// service IDs (listing, reading, lock/unlock, disable/enable), and the
// inactive-identities and MFA enrollment reports. Every list answers with IAM
// Identity's paging (one pager, pager.go).
//
// IBM's reference: https://cloud.ibm.com/apidocs/iam-identity-token-api and the
// iamidentityv1 models of github.com/IBM/platform-services-go-sdk.
package identity

import (
	"github.com/trustjob/trustjob/internal/cloudsim/account"
	"github.com/trustjob/trustjob/internal/cloudsim/core"
)

// api serves IAM Identity over one account. The report slots are this
// service's own state; like the account, they are guarded by the World's lock.
type api struct {
	*core.Server
	world *account.World

	activity identityReportSlot // the latest inactive-identities report
	mfa      identityReportSlot // the latest MFA enrollment report
	refSeq   int64
}

// Mount registers the IAM Identity endpoints.
func Mount(srv *core.Server, w *account.World) {
	s := &api{Server: srv, world: w}
	s.routesProfiles()
	s.routesIdentityReports()
	s.routesIdentityKeys()
	s.routesPosture()
	s.routesServiceIDGroups()
}
