// Package usermgmt emulates User Management v2: the account's users (listing
// with an opaque _start token, single reads).
//
// IBM's reference: https://cloud.ibm.com/apidocs/user-management and the
// usermanagementv1 models of github.com/IBM/platform-services-go-sdk.
package usermgmt

import (
	"github.com/trustjob/trustjob/internal/cloudsim/account"
	"github.com/trustjob/trustjob/internal/cloudsim/core"
)

// api serves User Management over one account.
type api struct {
	*core.Server
	world *account.World
}

// Mount registers the User Management endpoints.
func Mount(srv *core.Server, w *account.World) {
	s := &api{Server: srv, world: w}
	s.routesUserManagement()
}
