// Package resources emulates the IBM Cloud APIs over an account's resources:
// Resource Controller v2 (instances, keys, reclamations), Resource Manager v2
// (resource groups), Global Search v3 and Global Tagging v3. It owns the
// resource data (State): groups, a lazily generated instance set that costs
// little memory at a million instances, and a small overlay of changes.
//
// IBM's references: https://cloud.ibm.com/apidocs/resource-controller/resource-controller,
// https://cloud.ibm.com/apidocs/resource-controller/resource-manager,
// https://cloud.ibm.com/apidocs/search and https://cloud.ibm.com/apidocs/tagging,
// and the models of github.com/IBM/platform-services-go-sdk (resourcecontrollerv2,
// resourcemanagerv2, globalsearchv2, globaltaggingv1).
package resources

import (
	"sync"

	"github.com/trustjob/trustjob/internal/cloudsim/core"
)

// api serves the resource endpoints over one State, under the account's lock.
type api struct {
	*core.Server
	mu *sync.RWMutex // the account's lock (account.World's)
	st *State
	// accessTags are access tags as objects (tagobjects.go), under mu.
	accessTags map[string]bool
}

// Mount registers the Resource Controller, Resource Manager, Global Search and
// Global Tagging endpoints on srv. mu is the lock that guards st (the World's):
// handlers read under RLock and change under Lock.
func Mount(srv *core.Server, mu *sync.RWMutex, st *State) {
	s := &api{Server: srv, mu: mu, st: st}
	for _, svc := range []string{core.ServiceResourceCtl, core.ServiceResourceMgr} {
		srv.SetErrorWriter(svc, s.writeRCError)
	}
	s.routesResources()
}
