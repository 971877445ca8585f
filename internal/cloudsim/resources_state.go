package cloudsim

import "math/rand/v2"

// OWNER: resources (Resource Controller, Resource Manager, Search, Tagging).
// Placeholder for the parallel build-out.

// ResourceState holds resource groups, (lazily generated) resource instances,
// tags, reclamations and resource keys.
type ResourceState struct{}

// ResourcesFixture is the resources: section of a fixture file.
type ResourcesFixture struct{}

func (st *ResourceState) generate(w *World, spec Spec, rng *rand.Rand) {}
func (st *ResourceState) apply(w *World, fx ResourcesFixture) error    { return nil }

func (s *Sim) routesResources() {}
