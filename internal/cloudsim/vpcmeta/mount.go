package vpcmeta

import (
	"context"
	"errors"
	"net/http"

	"github.com/trustjob/trustjob/internal/cloudsim/account"
	"github.com/trustjob/trustjob/internal/cloudsim/core"
)

// ServiceName names the metadata service in the emulator's request log.
const ServiceName = "vpc-metadata"

// Mount serves the metadata service of one emulated instance, linked to the
// account's runner profile (its default trusted profile), next to the IBM
// Cloud APIs: point auth.metadataURL (TRUSTJOB_METADATA_URL) at the
// emulator's URL. In IBM Cloud it is a separate, link-local host; the paths
// do not collide with any emulated API. Its IAM tokens come from the
// emulator's own IAM token endpoint, with a token of the runner's workload.
func Mount(srv *core.Server, w *account.World) {
	w.RLock()
	runner := w.IAM.Runner()
	w.RUnlock()
	if runner == nil {
		return
	}
	ns, sa := "trustjob", "trustjob"
	for _, l := range runner.Links {
		if l.Namespace != "" && l.ServiceAccount != "" {
			ns, sa = l.Namespace, l.ServiceAccount
			break
		}
	}
	ref := ProfileRef{ID: runner.ID}
	meta := New(Instance{
		ID: "0717_e7a1c0de-5e2d-4c4e-9a51-000000000001", Name: "trustjob-vsi",
		CRN:    "crn:v1:bluemix:public:is:us-south-1:a/" + runner.AccountID + "::instance:0717_e7a1c0de-5e2d-4c4e-9a51-000000000001",
		Region: "us-south", Zone: "us-south-1", AccountID: runner.AccountID,
		DefaultProfile: &ref, Linked: []ProfileRef{ref},
	}, selfIssuer{srv: srv, world: w, namespace: ns, serviceAccount: sa})
	for _, p := range []string{"/instance_identity/", "/identity/v1/"} {
		srv.Handle(core.Route{Pattern: p, Service: ServiceName,
			Handler: func(rw http.ResponseWriter, r *http.Request, _ *core.Caller) { meta.ServeHTTP(rw, r) }})
	}
}

// selfIssuer gets IAM tokens from the emulator's own token endpoint.
type selfIssuer struct {
	srv                       *core.Server
	world                     *account.World
	namespace, serviceAccount string
}

func (s selfIssuer) IAMToken(ctx context.Context, inst Instance, p ProfileRef) (string, int64, error) {
	if s.srv.URL() == "" {
		return "", 0, errors.New("the emulator is not started")
	}
	tok, err := s.world.MintSAToken(account.MintOptions{Namespace: s.namespace, ServiceAccount: s.serviceAccount})
	if err != nil {
		return "", 0, err
	}
	return ExchangeIssuer{IAMURL: s.srv.URL(), CRTokenFile: "minted",
		ReadFile: func(string) ([]byte, error) { return []byte(tok), nil }}.IAMToken(ctx, inst, p)
}
