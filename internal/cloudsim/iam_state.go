package cloudsim

import (
	"math/rand/v2"
	"net/http"
)

// OWNER: IAM token + trusted profiles. Placeholder for the parallel build-out.

// IAMState holds clusters (issuer, signing keys, CRN, account, location, resource
// group), trusted profiles, links, claim rules, and the emulator's own token
// signing key.
type IAMState struct{}

// IAMFixture is the iam: section of a fixture file.
type IAMFixture struct{}

func (st *IAMState) generate(w *World, spec Spec, rng *rand.Rand) {}
func (st *IAMState) apply(w *World, fx IAMFixture) error          { return nil }

// RunnerIAMID is the iam_id of the profile the runner signs in as.
func (st *IAMState) RunnerIAMID() string { return "" }

func (s *Sim) routesIAMToken() {}
func (s *Sim) routesProfiles() {}

// authenticate verifies the request's bearer token; on failure it writes the 401
// and returns false.
func (s *Sim) authenticate(w http.ResponseWriter, r *http.Request, service string) (*Caller, bool) {
	s.writeError(w, r, service, http.StatusUnauthorized, "unauthorized", "not implemented")
	return nil, false
}
