package cloudsim

import "math/rand/v2"

// OWNER: identities (reports, API keys, service IDs, users, access groups,
// policies, usage). Placeholder for the parallel build-out.

// IdentityState holds users, service IDs, API keys, their activity, reports,
// access groups, policies and usage.
type IdentityState struct{}

// IdentitiesFixture is the identities: section of a fixture file.
type IdentitiesFixture struct{}

func (st *IdentityState) generate(w *World, spec Spec, rng *rand.Rand) {}
func (st *IdentityState) apply(w *World, fx IdentitiesFixture) error   { return nil }

func (s *Sim) routesIdentity() {}
