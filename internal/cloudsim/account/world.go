package account

import (
	"fmt"
	"math/rand/v2"
	"os"
	"sync"

	"github.com/trustjob/trustjob/internal/cloudsim/core"
	"github.com/trustjob/trustjob/internal/cloudsim/enterprise"
	"github.com/trustjob/trustjob/internal/cloudsim/resources"

	"gopkg.in/yaml.v3"
)

// World is one emulated IBM Cloud account: its IAM setup (clusters, trusted
// profiles, links, rules, signing keys), its resources and its identities, and
// the access policies that decide what each caller may do.
//
// The IAM and identity records live in this package, the resource data in
// package resources (which serves it). Handlers take the world's lock; tests
// that change the world while the emulator serves take it too (Lock/Unlock).
type World struct {
	sync.RWMutex

	Seed      uint64
	AccountID string

	// Grants maps a caller's iam_id to the IAM actions it may perform. The action
	// "*" allows everything. A request for an action not granted answers 403,
	// which is how permission failures are tested.
	Grants map[string]map[string]bool

	IAM        IAMState        // iam_state.go: clusters, trusted profiles, keys
	Resources  resources.State // package resources
	Identities IdentityState   // identity_state.go: users, service IDs, keys, groups, policies
	// Enterprise is the enterprise this account heads (package enterprise);
	// the zero value: none, and the Enterprise Management API answers 403.
	Enterprise enterprise.State
}

// Spec describes an account to generate. The same Spec (and seed) always gives
// the same account.
type Spec struct {
	Seed      uint64 `yaml:"seed"`
	AccountID string `yaml:"accountID"`
	// KeySeed, when set, seeds IAM's signing key and the cluster's instead of
	// Seed: accounts generated with the same KeySeed share IAM's key (one IAM
	// signs for every account) and skip generating RSA keys of their own.
	KeySeed uint64 `yaml:"keySeed"`

	// The workload that signs in: cluster namespace and service account that
	// the runner profile trusts, and the profile's name.
	Namespace      string `yaml:"namespace"`
	ServiceAccount string `yaml:"serviceAccount"`
	ProfileName    string `yaml:"profileName"`

	// Resources.
	Instances int `yaml:"instances"`
	Groups    int `yaml:"groups"`
	// LargestGroupShare puts this fraction of the instances in the first group
	// (a skewed account); 0 spreads them evenly.
	LargestGroupShare float64 `yaml:"largestGroupShare"`
	// NonDefaultStates is the fraction of instances in states the Resource
	// Controller hides by default (inactive, failed, pending_reclamation, removed).
	NonDefaultStates float64 `yaml:"nonDefaultStates"`
	Reclamations     int     `yaml:"reclamations"`

	// Identities.
	Users      int `yaml:"users"`
	ServiceIDs int `yaml:"serviceIDs"`
	APIKeys    int `yaml:"apiKeys"`
	Profiles   int `yaml:"profiles"`
	// InactiveShare is the fraction of identities whose last authentication is
	// older than 90 days or missing.
	InactiveShare float64 `yaml:"inactiveShare"`
	AccessGroups  int     `yaml:"accessGroups"`
	// Policies, when larger than what the groups and identities get, adds
	// access-group policies up to this many (a large account's policy count).
	Policies int `yaml:"policies"`
	// ServiceIDGroups is how many service-ID groups the account has besides
	// the default one; generated service IDs are spread over all of them.
	ServiceIDGroups int `yaml:"serviceIDGroups"`
}

// DefaultSpec is a small account for demos and quick tests.
func DefaultSpec() Spec {
	return Spec{
		Seed: 1, Namespace: "trustjob", ServiceAccount: "trustjob", ProfileName: "trustjob-runner",
		Instances: 60, Groups: 4, LargestGroupShare: 0.4, NonDefaultStates: 0.1, Reclamations: 3,
		Users: 12, ServiceIDs: 6, APIKeys: 15, Profiles: 3, InactiveShare: 0.4, AccessGroups: 3,
		ServiceIDGroups: 1,
	}
}

// Generate builds the account Spec describes. Large listings (resource
// instances) are generated lazily from the seed, so a million-instance account
// costs little memory.
func Generate(spec Spec) *World {
	def := DefaultSpec()
	if spec.Namespace == "" {
		spec.Namespace = def.Namespace
	}
	if spec.ServiceAccount == "" {
		spec.ServiceAccount = def.ServiceAccount
	}
	if spec.ProfileName == "" {
		spec.ProfileName = def.ProfileName
	}
	rng := rand.New(rand.NewPCG(spec.Seed, 0x7275737473696d)) //nolint:gosec // deterministic test data
	w := &World{Seed: spec.Seed, AccountID: spec.AccountID, Grants: map[string]map[string]bool{}}
	if w.AccountID == "" {
		w.AccountID = hexID(rng, 32)
	}
	w.IAM.generate(w, spec, rng)
	defaultGroup := ""
	if len(w.IAM.Clusters) > 0 {
		defaultGroup = w.IAM.Clusters[0].ResourceGroupID
	}
	w.Resources.Generate(rng, w.AccountID, defaultGroup, resources.Sizes{
		Instances: spec.Instances, Groups: spec.Groups, LargestGroupShare: spec.LargestGroupShare,
		NonDefaultStates: spec.NonDefaultStates, Reclamations: spec.Reclamations,
	})
	w.Identities.generate(w, spec, rng)
	return w
}

// Fixture is a hand-written scenario: a generated base plus explicit records.
type Fixture struct {
	Generate   Spec              `yaml:"generate"`
	IAM        IAMFixture        `yaml:"iam"`
	Resources  resources.Fixture `yaml:"resources"`
	Identities IdentitiesFixture `yaml:"identities"`
	// Grants replaces the runner profile's granted actions when set.
	Grants []string `yaml:"grants"`
}

// LoadFixture reads a fixture file (strictly: unknown keys are errors).
func LoadFixture(path string) (*World, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open fixture: %w", err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	dec.KnownFields(true)
	var fx Fixture
	if err := dec.Decode(&fx); err != nil {
		return nil, fmt.Errorf("fixture %s: %w", path, err)
	}
	w := Generate(fx.Generate)
	if err := w.IAM.apply(w, fx.IAM); err != nil {
		return nil, fmt.Errorf("fixture %s: iam: %w", path, err)
	}
	if err := w.Resources.Apply(fx.Resources); err != nil {
		return nil, fmt.Errorf("fixture %s: resources: %w", path, err)
	}
	if err := w.Identities.apply(w, fx.Identities); err != nil {
		return nil, fmt.Errorf("fixture %s: identities: %w", path, err)
	}
	if fx.Grants != nil {
		w.SetGrants(w.IAM.RunnerIAMID(), fx.Grants...)
	}
	return w, nil
}

// ID returns the account's id (core.Account).
func (w *World) ID() string { return w.AccountID }

// AccessTokenKey returns IAM's current signing key (core.Account).
func (w *World) AccessTokenKey() *core.SigningKey {
	w.RLock()
	defer w.RUnlock()
	return w.IAM.Key
}

// Allowed reports whether iamID may perform action.
func (w *World) Allowed(iamID, action string) bool {
	w.RLock()
	defer w.RUnlock()
	g := w.Grants[iamID]
	return g["*"] || g[action]
}

// SetGrants replaces what iamID may do.
func (w *World) SetGrants(iamID string, actions ...string) {
	w.Lock()
	defer w.Unlock()
	g := map[string]bool{}
	for _, a := range actions {
		g[a] = true
	}
	w.Grants[iamID] = g
}

// Revoke removes one action from iamID (turning a "*" grant into the explicit
// list of every action the emulator knows, minus this one).
func (w *World) Revoke(iamID, action string) {
	w.Lock()
	defer w.Unlock()
	g := w.Grants[iamID]
	if g == nil {
		return
	}
	if g["*"] {
		delete(g, "*")
		for _, a := range core.KnownActions {
			g[a] = true
		}
	}
	delete(g, action)
}

func hexID(rng *rand.Rand, n int) string {
	const hexdigits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = hexdigits[rng.IntN(16)]
	}
	return string(b)
}

// uuid returns a deterministic RFC 4122-shaped id from rng.
func uuid(rng *rand.Rand) string {
	h := hexID(rng, 32)
	return h[0:8] + "-" + h[8:12] + "-4" + h[13:16] + "-a" + h[17:20] + "-" + h[20:32]
}
