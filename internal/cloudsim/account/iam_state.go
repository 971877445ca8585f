package account

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/trustjob/trustjob/internal/cloudsim/core"

	"gopkg.in/yaml.v3"
)

// IAMState holds clusters (issuer, signing keys, CRN, account, location, resource
// group), trusted profiles with their links and claim rules, the account's
// identity settings, and the emulator's own access-token signing key.
//
// Handlers read it under the world's read lock and change it under its lock.
type IAMState struct {
	// Clusters are the compute resources whose service-account tokens IAM
	// accepts. Clusters[0] is the generated one.
	Clusters []*Cluster
	// Profiles are the account's trusted profiles, in creation order.
	// Profiles[0] is the runner's.
	Profiles []*Profile
	// Settings are the account's identity settings.
	Settings AccountSettings
	// Key signs the access tokens the emulator issues.
	Key *core.SigningKey

	rng *rand.Rand // ids of links, rules and profiles created later
}

// Cluster is an IKS or Red Hat OpenShift cluster, as IAM knows it.
type Cluster struct {
	ID                string `yaml:"id"`   // service_instance, e.g. c0pigdctkkc07fs7pm06
	Name              string `yaml:"name"` // first field of the token identifier in BXNIM0398E details
	CRN               string `yaml:"crn"`
	AccountID         string `yaml:"accountID"`
	Location          string `yaml:"location"`
	ResourceGroupID   string `yaml:"resourceGroupID"`
	ResourceGroupName string `yaml:"resourceGroupName"`
	// Issuer is the iss of the cluster's service-account tokens.
	Issuer string `yaml:"issuer"`
	// CRType is IKS_SA (default) or ROKS_SA: which links and rules apply.
	CRType string `yaml:"crType"`
	// JWKS or PEM give the public keys of a cluster whose signing key lives
	// elsewhere (a real kube-apiserver). Without either, the cluster gets a
	// generated key so MintSAToken can sign for it.
	JWKS string `yaml:"jwks"`
	PEM  string `yaml:"pem"`
	// Keys are the cluster's service-account token keys.
	Keys []*core.SigningKey `yaml:"-"`
}

// Profile is a trusted profile.
type Profile struct {
	ID          string `yaml:"id"` // Profile-<uuid>
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	AccountID   string `yaml:"accountID"`
	// LastAuthn is the last sign-in as this profile; nil means never. A
	// successful token exchange updates it.
	LastAuthn  *time.Time `yaml:"lastAuthn"`
	AuthnCount int64      `yaml:"authnCount"`
	CreatedAt  time.Time  `yaml:"createdAt"`
	ModifiedAt time.Time  `yaml:"modifiedAt"`
	Links      []*Link    `yaml:"links"`
	Rules      []*Rule    `yaml:"rules"`
	// Identities are the users, service IDs and CRNs allowed to assume the
	// profile (GET /v1/profiles/{id}/identities).
	Identities []ProfileIdentity `yaml:"identities"`

	IAMID     string `yaml:"-"` // iam-Profile-<uuid>
	CRN       string `yaml:"-"`
	EntityTag string `yaml:"-"`
}

// Link trusts one compute resource: for IKS_SA/ROKS_SA a cluster CRN, a
// namespace and a service account.
type Link struct {
	ID             string `yaml:"id"`
	Name           string `yaml:"name"`
	CRType         string `yaml:"crType"`
	IsCrossAccount bool   `yaml:"isCrossAccount"`
	// CRN of the cluster. In a fixture, Cluster (an id or name) may stand
	// for it, and neither means the generated cluster.
	CRN       string `yaml:"crn"`
	Cluster   string `yaml:"cluster"`
	Namespace string `yaml:"namespace"`
	// ServiceAccount is link.name in the API (the service-account name).
	ServiceAccount string    `yaml:"serviceAccount"`
	ComponentType  string    `yaml:"componentType"`
	ComponentName  string    `yaml:"componentName"`
	CreatedAt      time.Time `yaml:"-"`
	ModifiedAt     time.Time `yaml:"-"`
	EntityTag      string    `yaml:"-"`
}

// Rule is a claim rule; type Profile-CR rules trust compute resources whose
// attributes satisfy every condition.
type Rule struct {
	ID         string      `yaml:"id"`
	Name       string      `yaml:"name"`
	Type       string      `yaml:"type"`   // Profile-CR (default) or Profile-SAML
	CRType     string      `yaml:"crType"` // IKS_SA (default for Profile-CR), ROKS_SA, VSI, ...
	RealmName  string      `yaml:"realmName"`
	Expiration int64       `yaml:"expiration"`
	Conditions []Condition `yaml:"conditions"`
	CreatedAt  time.Time   `yaml:"-"`
	ModifiedAt time.Time   `yaml:"-"`
	EntityTag  string      `yaml:"-"`
}

// Condition is one claim test of a rule. Value is a stringified JSON value, as
// in the API ("\"jobs\"", "[\"a\",\"b\"]"); a bare string also works.
type Condition struct {
	Claim    string `yaml:"claim" json:"claim"`
	Operator string `yaml:"operator" json:"operator"`
	Value    string `yaml:"value" json:"value"`
}

// AccountSettings are the account's IAM identity settings (the string-typed
// fields of AccountSettingsResponse).
type AccountSettings struct {
	RestrictCreateServiceID               string `yaml:"restrictCreateServiceID"`
	RestrictCreatePlatformAPIKey          string `yaml:"restrictCreatePlatformAPIKey"`
	AllowedIPAddresses                    string `yaml:"allowedIPAddresses"`
	MFA                                   string `yaml:"mfa"`
	SessionExpirationInSeconds            string `yaml:"sessionExpirationInSeconds"`
	SessionInvalidationInSeconds          string `yaml:"sessionInvalidationInSeconds"`
	MaxSessionsPerIdentity                string `yaml:"maxSessionsPerIdentity"`
	SystemAccessTokenExpirationInSeconds  string `yaml:"systemAccessTokenExpirationInSeconds"`
	SystemRefreshTokenExpirationInSeconds string `yaml:"systemRefreshTokenExpirationInSeconds"`
	RestrictUserListVisibility            string `yaml:"restrictUserListVisibility"`
	// UserMFA are user-specific MFA settings that differ from the account's.
	UserMFA   []UserMFASetting `yaml:"userMFA"`
	EntityTag string           `yaml:"-"`
}

// UserMFASetting is one user's MFA setting (AccountSettingsUserMfaResponse).
type UserMFASetting struct {
	IAMID string `yaml:"iamID"`
	MFA   string `yaml:"mfa"`
}

// ProfileIdentity is one identity allowed to assume a trusted profile
// (ProfileIdentityResponse): type user, serviceid or crn.
type ProfileIdentity struct {
	IAMID       string   `yaml:"iamID"`
	Identifier  string   `yaml:"identifier"`
	Type        string   `yaml:"type"`
	Accounts    []string `yaml:"accounts"`
	Description string   `yaml:"description"`
}

// IAMFixture is the iam: section of a fixture file: extra clusters, extra
// profiles, and links and rules added to existing profiles (matched by name or
// id, e.g. the runner's).
type IAMFixture struct {
	Clusters []Cluster `yaml:"clusters"`
	// Profiles are created, or merged into the existing profile of that name
	// or id (links and rules appended; ReplaceTrust drops the old ones first).
	Profiles []ProfileFixture `yaml:"profiles"`
	Settings *AccountSettings `yaml:"settings"`
}

// ProfileFixture is a profile in a fixture.
type ProfileFixture struct {
	Profile      `yaml:",inline"`
	ReplaceTrust bool `yaml:"replaceTrust"`
	// NeverAuthenticated clears LastAuthn of a merged profile.
	NeverAuthenticated bool `yaml:"neverAuthenticated"`
}

// Compute-resource types of the clusters the emulator models, and the claim
// rule type for compute resources.
const (
	CRTypeIKS  = "IKS_SA"
	CRTypeROKS = "ROKS_SA"
	RuleTypeCR = "Profile-CR"
)

// Names of the generated account's other profiles, cycled.
var tpGeneratedNames = []string{
	"monitoring-reader", "backup-operator", "ci-deployer", "legacy-migration",
	"audit-exporter", "log-shipper", "cost-reporter", "dr-failover",
}

func (st *IAMState) generate(w *World, spec Spec, rng *rand.Rand) {
	// Children of rng take a fixed number of draws, so the other generators
	// see the same sequence whatever IAM does with its own.
	st.rng = rand.New(rand.NewPCG(rng.Uint64(), rng.Uint64())) //nolint:gosec // test data
	keySeed := rng.Uint64()
	if spec.KeySeed != 0 {
		keySeed = spec.KeySeed
	}
	now := time.Now().UTC().Truncate(time.Second)

	st.Key = core.GenerateSigningKey(keySeed, fmt.Sprintf("2025%02d%02d", 1+keySeed%12, 1+keySeed/12%28))
	c := &Cluster{
		ID:        iksClusterID(st.rng),
		Name:      "trustjob-cluster",
		AccountID: w.AccountID,
		Location:  "us-south",
		// The resource generator may reuse this group for the cluster's
		// resources; "Default" exists in every account.
		ResourceGroupID:   hexID(st.rng, 32),
		ResourceGroupName: "Default",
		CRType:            CRTypeIKS,
		Keys:              []*core.SigningKey{core.GenerateSigningKey(keySeed+1, "")},
	}
	c.fillDefaults()
	st.Clusters = []*Cluster{c}

	st.Settings = tpDefaultSettings()
	runner := st.newProfile(w.AccountID, spec.ProfileName, "Runs trustjob tasks from a Kubernetes CronJob", now.Add(-200*24*time.Hour))
	runner.Links = []*Link{st.NewLink(&Link{
		Name: spec.ServiceAccount, CRType: CRTypeIKS, CRN: c.CRN,
		Namespace: spec.Namespace, ServiceAccount: spec.ServiceAccount,
	}, runner.CreatedAt)}
	last := now.Add(-time.Hour)
	runner.LastAuthn, runner.AuthnCount = &last, 900
	st.Profiles = []*Profile{runner}
	w.Grants[runner.IAMID] = map[string]bool{"*": true}

	for i := 1; i < spec.Profiles; i++ {
		name := tpGeneratedNames[(i-1)%len(tpGeneratedNames)]
		if i > len(tpGeneratedNames) {
			name = fmt.Sprintf("%s-%d", name, (i-1)/len(tpGeneratedNames)+1)
		}
		created := now.Add(-time.Duration(30+st.rng.IntN(700)) * 24 * time.Hour)
		p := st.newProfile(w.AccountID, name, "Generated profile", created)
		p.LastAuthn, p.AuthnCount = tpGeneratedActivity(st.rng, i, spec.InactiveShare, created, now)
		// Some trust: half by a link in another namespace, half by a rule.
		ns := strings.SplitN(name, "-", 2)[0]
		if i%2 == 1 {
			p.Links = []*Link{st.NewLink(&Link{Name: name, CRType: CRTypeIKS, CRN: c.CRN, Namespace: ns, ServiceAccount: name}, created)}
		} else {
			p.Rules = []*Rule{st.NewRule(&Rule{Name: ns + "-namespace", Conditions: []Condition{
				{Claim: "service_instance", Operator: "EQUALS", Value: QuoteCondition(c.ID)},
				{Claim: "namespace", Operator: "EQUALS", Value: QuoteCondition(ns)},
			}}, created)}
		}
		st.Profiles = append(st.Profiles, p)
	}
}

// tpGeneratedActivity spreads last_authn: about share of the profiles are
// inactive (never, or 91-700 days ago); the first two generated profiles are
// always one never-used and one long-unused when share > 0, so small accounts
// still show both cases.
func tpGeneratedActivity(rng *rand.Rand, i int, share float64, created, now time.Time) (*time.Time, int64) {
	inactive := rng.Float64() < share
	never := rng.IntN(2) == 0
	if share > 0 && i <= 2 {
		inactive, never = true, i == 1
	}
	switch {
	case inactive && never:
		return nil, 0
	case inactive:
		t := now.Add(-time.Duration(91+rng.IntN(610)) * 24 * time.Hour)
		if t.Before(created) {
			t = created.Add(time.Hour)
		}
		return &t, int64(1 + rng.IntN(50))
	default:
		t := now.Add(-time.Duration(rng.IntN(30*24)) * time.Hour)
		return &t, int64(10 + rng.IntN(5000))
	}
}

func tpDefaultSettings() AccountSettings {
	return AccountSettings{
		RestrictCreateServiceID: "NOT_SET", RestrictCreatePlatformAPIKey: "NOT_SET",
		MFA: "NONE", SessionExpirationInSeconds: "NOT_SET", SessionInvalidationInSeconds: "NOT_SET",
		MaxSessionsPerIdentity: "NOT_SET", SystemAccessTokenExpirationInSeconds: "NOT_SET",
		SystemRefreshTokenExpirationInSeconds: "NOT_SET", RestrictUserListVisibility: "NOT_RESTRICTED",
		EntityTag: "1-0c5a1d0bd4c4d9a0f0e1",
	}
}

func iksClusterID(rng *rand.Rand) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := []byte("c")
	for range 19 {
		b = append(b, alphabet[rng.IntN(len(alphabet))])
	}
	return string(b)
}

func (st *IAMState) newProfile(account, name, description string, created time.Time) *Profile {
	p := &Profile{Name: name, Description: description, AccountID: account, CreatedAt: created, ModifiedAt: created}
	st.FillProfile(p)
	return p
}

// FillProfile completes the derived fields of p (id, iam_id, CRN, entity tag).
func (st *IAMState) FillProfile(p *Profile) {
	if p.ID == "" {
		p.ID = "Profile-" + uuid(st.rng)
	}
	p.IAMID = "iam-" + p.ID
	p.CRN = tpProfileCRN(p.AccountID, p.ID)
	if p.EntityTag == "" {
		p.EntityTag = "1-" + hexID(st.rng, 32)
	}
	if p.ModifiedAt.IsZero() {
		p.ModifiedAt = p.CreatedAt
	}
}

func tpProfileCRN(account, id string) string {
	return "crn:v1:bluemix:public:iam-identity::a/" + account + "::profile:" + id
}

// NewLink gives l an id and creation time and returns it, ready to append to a
// profile's Links; the caller holds the World's lock.
func (st *IAMState) NewLink(l *Link, created time.Time) *Link {
	if l.ID == "" {
		l.ID = "ProfileLink-" + uuid(st.rng)
	}
	if l.CRType == "" {
		l.CRType = CRTypeIKS
	}
	l.CreatedAt, l.ModifiedAt = created, created
	l.EntityTag = "1-" + hexID(st.rng, 32)
	return l
}

// NewRule gives r an id, creation time and defaults (type Profile-CR, cr_type
// IKS_SA) and returns it; the caller holds the World's lock.
func (st *IAMState) NewRule(r *Rule, created time.Time) *Rule {
	if r.ID == "" {
		r.ID = "ClaimRule-" + uuid(st.rng)
	}
	if r.Type == "" {
		r.Type = RuleTypeCR
	}
	if r.Type == RuleTypeCR && r.CRType == "" {
		r.CRType = CRTypeIKS
	}
	if r.Expiration == 0 {
		r.Expiration = 43200
	}
	r.CreatedAt, r.ModifiedAt = created, created
	r.EntityTag = "1-" + hexID(st.rng, 32)
	return r
}

// QuoteCondition writes a claim rule's value as IAM stores it: a JSON string.
func QuoteCondition(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// fillDefaults completes a cluster record: CRN from account, location and id;
// issuer; keys from JWKS or PEM.
func (c *Cluster) fillDefaults() {
	if c.CRType == "" {
		c.CRType = CRTypeIKS
	}
	if c.Name == "" {
		c.Name = c.ID
	}
	if c.Location == "" {
		c.Location = "us-south"
	}
	if c.CRN == "" {
		// Red Hat OpenShift clusters share the containers-kubernetes service name.
		c.CRN = fmt.Sprintf("crn:v1:bluemix:public:containers-kubernetes:%s:a/%s:%s::", c.Location, c.AccountID, c.ID)
	}
	if c.Issuer == "" {
		// The real issuer of IKS projected tokens is not public; a
		// per-cluster URL keeps clusters apart by iss.
		c.Issuer = "https://" + c.ID + "." + c.Location + ".containers.cloud.ibm.com"
	}
}

// loadKeys parses JWKS and PEM into Keys.
func (c *Cluster) loadKeys() error {
	if c.JWKS != "" {
		keys, err := core.ParseJWKS([]byte(c.JWKS))
		if err != nil {
			return fmt.Errorf("cluster %s: %w", c.ID, err)
		}
		c.Keys = append(c.Keys, keys...)
	}
	if c.PEM != "" {
		keys, err := core.ParsePublicKeysPEM([]byte(c.PEM))
		if err != nil {
			return fmt.Errorf("cluster %s: %w", c.ID, err)
		}
		c.Keys = append(c.Keys, keys...)
	}
	return nil
}

// AddCluster registers another cluster with IAM (a second cluster for
// wrong-cluster tests, or a real kube-apiserver whose JWKS or PEM public keys
// are given). Missing fields get defaults: ID from the name, the world's
// account, us-south, a CRN and issuer; a cluster with no keys gets a generated
// signing key. It returns the stored record.
func (w *World) AddCluster(c Cluster) (*Cluster, error) {
	w.Lock()
	defer w.Unlock()
	return w.IAM.addCluster(w, c)
}

func (st *IAMState) addCluster(w *World, c Cluster) (*Cluster, error) {
	if c.ID == "" {
		if c.Name == "" {
			return nil, errors.New("add cluster: id or name required")
		}
		h := fnv.New64a()
		_, _ = h.Write([]byte(c.Name))
		c.ID = iksClusterID(rand.New(rand.NewPCG(h.Sum64(), w.Seed))) //nolint:gosec // test data
	}
	for _, o := range st.Clusters {
		if o.ID == c.ID {
			return nil, fmt.Errorf("add cluster: %s already exists", c.ID)
		}
	}
	if c.AccountID == "" {
		c.AccountID = w.AccountID
	}
	if c.CRType != "" && c.CRType != CRTypeIKS && c.CRType != CRTypeROKS {
		return nil, fmt.Errorf("add cluster %s: crType %q: want %s or %s", c.ID, c.CRType, CRTypeIKS, CRTypeROKS)
	}
	c.fillDefaults()
	if err := c.loadKeys(); err != nil {
		return nil, fmt.Errorf("add cluster: %w", err)
	}
	if len(c.Keys) == 0 {
		h := fnv.New64a()
		_, _ = h.Write([]byte(c.ID))
		c.Keys = []*core.SigningKey{core.GenerateSigningKey(h.Sum64()^w.Seed, "")}
	}
	cp := c
	st.Clusters = append(st.Clusters, &cp)
	return &cp, nil
}

func (st *IAMState) apply(w *World, fx IAMFixture) error {
	var errs []error
	for _, c := range fx.Clusters {
		if _, err := st.addCluster(w, c); err != nil {
			errs = append(errs, err)
		}
	}
	if fx.Settings != nil {
		st.Settings.merge(*fx.Settings)
	}
	now := time.Now().UTC().Truncate(time.Second)
	for i, pf := range fx.Profiles {
		if err := st.applyProfile(w, pf, now); err != nil {
			errs = append(errs, fmt.Errorf("profiles[%d]: %w", i, err))
		}
	}
	return errors.Join(errs...)
}

func (st *IAMState) applyProfile(w *World, pf ProfileFixture, now time.Time) error {
	p := st.FindProfile(pf.ID, pf.Name)
	if p == nil {
		if pf.Name == "" {
			return errors.New("name required for a new profile")
		}
		p = &Profile{ID: pf.ID, Name: pf.Name, AccountID: pf.AccountID, CreatedAt: pf.CreatedAt}
		if p.AccountID == "" {
			p.AccountID = w.AccountID
		}
		if p.CreatedAt.IsZero() {
			p.CreatedAt = now.Add(-90 * 24 * time.Hour)
		}
		st.FillProfile(p)
		st.Profiles = append(st.Profiles, p)
	}
	if pf.Description != "" {
		p.Description = pf.Description
	}
	if pf.LastAuthn != nil {
		t := pf.LastAuthn.UTC()
		p.LastAuthn = &t
	}
	if pf.NeverAuthenticated {
		p.LastAuthn, p.AuthnCount = nil, 0
	}
	if pf.AuthnCount != 0 {
		p.AuthnCount = pf.AuthnCount
	}
	if !pf.ModifiedAt.IsZero() {
		p.ModifiedAt = pf.ModifiedAt
	}
	if pf.ReplaceTrust {
		p.Links, p.Rules, p.Identities = nil, nil, nil
	}
	p.Identities = append(p.Identities, pf.Identities...)
	for _, l := range pf.Links {
		l := *l
		if l.CRN == "" {
			c := st.Cluster(l.Cluster)
			if c == nil {
				return fmt.Errorf("link %q: no cluster %q", l.Name, l.Cluster)
			}
			l.CRN = c.CRN
			if l.CRType == "" {
				l.CRType = c.CRType
			}
		}
		if l.CRType == "" {
			l.CRType = CRTypeIKS
		}
		if err := l.Validate(p); err != nil {
			return err
		}
		p.Links = append(p.Links, st.NewLink(&l, p.CreatedAt))
	}
	for _, r := range pf.Rules {
		r := *r
		if err := r.Validate(); err != nil {
			return err
		}
		p.Rules = append(p.Rules, st.NewRule(&r, p.CreatedAt))
	}
	return nil
}

// FindProfile finds a profile by id, else by name (any account).
func (st *IAMState) FindProfile(id, name string) *Profile {
	for _, p := range st.Profiles {
		if (id != "" && p.ID == id) || (id == "" && name != "" && p.Name == name) {
			return p
		}
	}
	return nil
}

// Runner is the profile the runner signs in as (nil before generation).
func (st *IAMState) Runner() *Profile {
	if len(st.Profiles) == 0 {
		return nil
	}
	return st.Profiles[0]
}

// RunnerIAMID is the iam_id of the profile the runner signs in as.
func (st *IAMState) RunnerIAMID() string {
	if p := st.Runner(); p != nil {
		return p.IAMID
	}
	return ""
}

// Cluster finds a cluster by id or name; "" is the generated cluster.
func (st *IAMState) Cluster(idOrName string) *Cluster {
	for _, c := range st.Clusters {
		if idOrName == "" || c.ID == idOrName || c.Name == idOrName {
			return c
		}
	}
	return nil
}

// UnmarshalYAML lets a fixture write a condition's value as plain YAML (a
// string, number, bool or list) as well as the API's stringified JSON
// ("\"jobs\""); unknown keys are errors, as everywhere in a fixture.
func (c *Condition) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: condition must be a mapping", n.Line)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch k.Value {
		case "claim":
			c.Claim = v.Value
		case "operator":
			c.Operator = v.Value
		case "value":
			val, err := conditionValueYAML(v)
			if err != nil {
				return err
			}
			c.Value = val
		default:
			return fmt.Errorf("line %d: field %s not found in type cloudsim.Condition", k.Line, k.Value)
		}
	}
	return nil
}

func conditionValueYAML(v *yaml.Node) (string, error) {
	switch v.Kind {
	case yaml.ScalarNode:
		s := v.Value
		if v.Tag != "!!str" || strings.HasPrefix(s, `"`) || strings.HasPrefix(s, "[") {
			return s, nil // a number, bool or already stringified JSON
		}
		return QuoteCondition(s), nil
	case yaml.SequenceNode:
		var list []string
		if err := v.Decode(&list); err != nil {
			return "", fmt.Errorf("line %d: condition value: %w", v.Line, err)
		}
		b, err := json.Marshal(list)
		if err != nil {
			return "", fmt.Errorf("line %d: condition value: %w", v.Line, err)
		}
		return string(b), nil
	}
	return "", fmt.Errorf("line %d: condition value must be a scalar or a list", v.Line)
}

// merge overrides the settings o sets.
func (a *AccountSettings) merge(o AccountSettings) {
	for _, f := range []struct {
		dst *string
		src string
	}{
		{&a.RestrictCreateServiceID, o.RestrictCreateServiceID},
		{&a.RestrictCreatePlatformAPIKey, o.RestrictCreatePlatformAPIKey},
		{&a.AllowedIPAddresses, o.AllowedIPAddresses},
		{&a.MFA, o.MFA},
		{&a.SessionExpirationInSeconds, o.SessionExpirationInSeconds},
		{&a.SessionInvalidationInSeconds, o.SessionInvalidationInSeconds},
		{&a.MaxSessionsPerIdentity, o.MaxSessionsPerIdentity},
		{&a.SystemAccessTokenExpirationInSeconds, o.SystemAccessTokenExpirationInSeconds},
		{&a.SystemRefreshTokenExpirationInSeconds, o.SystemRefreshTokenExpirationInSeconds},
		{&a.RestrictUserListVisibility, o.RestrictUserListVisibility},
	} {
		if f.src != "" {
			*f.dst = f.src
		}
	}
	if o.UserMFA != nil {
		a.UserMFA = o.UserMFA
	}
}
