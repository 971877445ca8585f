// Package iamtoken emulates IAM's token service for trusted profiles: the
// token endpoint (POST /identity/token) with the compute-resource grant
// (urn:ibm:params:oauth:grant-type:cr-token), which verifies a Kubernetes
// service-account token against the account's clusters, resolves the trusted
// profile (by id, name or CRN) through its links and claim rules, and mints an
// IAM access token; plus IAM's JWKS (/identity/keys) and OpenID configuration.
// Access tokens it mints are the ones core's request chain accepts.
//
// IBM's references: https://cloud.ibm.com/apidocs/iam-identity-token-api (the
// token API), https://cloud.ibm.com/docs/containers?topic=containers-pod-iam-identity
// (trusted profiles for pods), and go-sdk-core's ContainerAuthenticator
// (core/container_authenticator.go), the client trustjob signs in with.
package iamtoken

import (
	"github.com/trustjob/trustjob/internal/cloudsim/account"
	"github.com/trustjob/trustjob/internal/cloudsim/core"
)

// api serves the token endpoints over one account.
type api struct {
	*core.Server
	world *account.World
}

// Mount registers the token endpoint, the JWKS and the OpenID configuration.
func Mount(srv *core.Server, w *account.World) {
	s := &api{Server: srv, world: w}
	s.routesIAMToken()
}
