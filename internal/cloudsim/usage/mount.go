// Package usage emulates the one Usage Reports v4 call trustjob makes: the
// account summary.
//
// IBM's reference: https://cloud.ibm.com/apidocs/metering-reporting and the
// usagereportsv4 models of github.com/IBM/platform-services-go-sdk.
package usage

import (
	"github.com/trustjob/trustjob/internal/cloudsim/account"
	"github.com/trustjob/trustjob/internal/cloudsim/core"
)

// api serves Usage Reports over one account.
type api struct {
	*core.Server
	world *account.World
}

// Mount registers the Usage Reports endpoint.
func Mount(srv *core.Server, w *account.World) {
	s := &api{Server: srv, world: w}
	s.routesUsageReports()
}
