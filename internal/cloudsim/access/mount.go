// Package access emulates IAM Access Groups v2 (groups, members, removing a
// member from every group, account settings) and IAM Policy Management
// (access policies, v1 and v2 listings).
//
// IBM's references: https://cloud.ibm.com/apidocs/iam-access-groups,
// https://cloud.ibm.com/apidocs/iam-policy-management and the
// iamaccessgroupsv2 and iampolicymanagementv1 models of
// github.com/IBM/platform-services-go-sdk.
package access

import (
	"github.com/trustjob/trustjob/internal/cloudsim/account"
	"github.com/trustjob/trustjob/internal/cloudsim/core"
)

// api serves access groups and policies over one account.
type api struct {
	*core.Server
	world *account.World
}

// Mount registers the Access Groups and Policy Management endpoints.
func Mount(srv *core.Server, w *account.World) {
	s := &api{Server: srv, world: w}
	s.routesAccessGroups()
	s.routesPolicyManagement()
}
