// Package cloudsim is trustjob's emulator of the IBM Cloud APIs it calls: the
// IAM token endpoint (cr-token grant), IAM Identity, Resource Controller and
// Manager, Global Search and Tagging, User Management, IAM Access Groups, IAM
// Policy Management and Usage Reports. It is the test double for every test and
// benchmark and the account behind `trustjob demo` and `trustjob sim`. The
// release build (`-tags release`, the Dockerfile's) leaves it out.
//
// Fidelity is the point: paths, parameters, paging, status codes and error
// bodies follow IBM's documentation and the platform-services-go-sdk models, and
// every endpoint is exercised through the official SDK clients in contract
// tests. One listener serves every service (their paths do not collide); point
// each SDK client at it with the *_URL variables that Env returns.
//
// # Layout
//
// This package is the facade the rest of the repository uses (New, StartLocal,
// Options, Spec, Fault, World, fixtures, the request log). Behind it:
//
//	core/       the request chain every route runs behind (request log, latency,
//	            limits, faults, access-token authentication, IAM-action grants),
//	            error bodies, signing keys, the IAM actions, paging helpers
//	account/    the emulated account (World): generation from a Spec, fixtures,
//	            grants, IAM (clusters, trusted profiles, links, rules) and
//	            identities (users, service IDs, API keys, groups, policies),
//	            service-account token minting
//	iamtoken/   IAM token endpoint (cr-token grant), JWKS, OpenID configuration
//	identity/   IAM Identity: trusted profiles, API keys, service IDs, reports
//	access/     IAM Access Groups and IAM Policy Management
//	usermgmt/   User Management
//	usage/      Usage Reports
//	resources/  Resource Controller and Manager, Global Search and Tagging
//	            (with the lazily generated resource data they share)
//	testenv/    the harness of these packages' own tests
//
// # Mounting a service
//
// A service is a package (internal/cloudsim/cos, say) with a mount function
// that registers its routes on the shared server. Each route names its service
// (for the request log, Fault.Service and the error body) and the IAM action
// it needs ("" for none); the chain does the rest, and the handler gets the
// verified caller:
//
//	func Mount(srv *core.Server, w *account.World) {
//		srv.Handle(core.Route{Pattern: "GET /v1/things", Service: "things",
//			Action: "things.thing.read", Handler: list})
//	}
//
// Then:
//
//   - add one entry to Services (services.go), with the IBM SDK's URL
//     variable(s) for the service, so Env and `trustjob sim` point clients at it;
//   - add the service name and its actions to core/services.go (Service*,
//     Action*, KnownActions), so grants and Revoke know them;
//   - write its contract tests through the official SDK client with testenv
//     (testenv.New(t, spec, opts, Mount, iamtoken.Mount) signs in as trustjob).
//
// A service that already is an http.Handler mounts it with
// core.Route{..., Handler: core.Adapt(h)} (core.CallerFrom gives the caller);
// one whose errors are not JSON (COS answers S3's XML) sets its body with
// srv.SetErrorWriter, so refusals and injected faults look like the service's.
// State the service alone keeps lives in its package, created in Mount. State
// that fixtures and tests reach goes on account.World as a field of the
// service package's type, mounted like resources: the entry's Mount is
// func(srv, w) { cos.Mount(srv, &w.RWMutex, &w.COS) }.
//
// A request that no route matches gets an explicit 501 in the error shape of
// the service its path belongs to, after the token check, marked NotEmulated
// in the request log (core/notemulated.go): no test passes by hitting a route
// that does not exist. test/ibmsdk runs IBM's own integration tests against
// the emulator.
package cloudsim

import (
	"net/url"

	"github.com/trustjob/trustjob/internal/cloudsim/core"
)

// Sim is a running (or ready to run) emulator: the shared server with every
// service in Services mounted over one World.
type Sim struct {
	*core.Server
	world *World
}

// New builds an emulator over world with the given knobs. Call Start to serve it
// on a loopback port, or use Handler with an httptest.Server.
func New(world *World, opts Options) *Sim {
	s := &Sim{Server: core.NewServer(world, opts), world: world}
	for _, svc := range Services {
		svc.Mount(s.Server, world)
	}
	return s
}

// World returns the emulated account data. Tests may change it between requests
// under its own lock (World.Lock).
func (s *Sim) World() *World { return s.world }

// ServiceURLVars are the IBM SDK's own endpoint variables, one per service
// trustjob uses (from Services).
var ServiceURLVars = func() []string {
	var vars []string
	for _, svc := range Services {
		vars = append(vars, svc.URLVars...)
	}
	return vars
}()

// Env returns the environment that points trustjob (and any IBM SDK program) at
// this emulator: every service URL and the IAM URL.
func (s *Sim) Env(base string) map[string]string {
	if base == "" {
		base = s.URL()
	}
	env := map[string]string{"TRUSTJOB_IAM_URL": base}
	// The emulator's host must be allowed to receive the access token; the
	// variable allows it where the URLs are set, without editing the config.
	if u, err := url.Parse(base); err == nil && u.Hostname() != "" {
		env["TRUSTJOB_ALLOWED_HOSTS"] = u.Hostname()
	}
	for _, svc := range Services {
		for _, v := range svc.URLVars {
			env[v] = base + svc.URLPath
		}
	}
	return env
}
