package resources

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

// State holds resource groups, (lazily generated) resource instances,
// tags, reclamations and resource keys.
//
// Generated instances are computed from (seed, index) on demand (see
// gen.go); Groups and a small mutation overlay are all that is
// stored. Methods that read or change the state expect the caller to hold the
// World's lock (RLock to read, Lock to change), as handlers do.
type State struct {
	Groups []*ResourceGroup

	n           int // generated instances, numbered 0..n-1
	seed        uint64
	account     string
	hiddenShare float64
	reclaimed   []int // sorted generated instances in pending_reclamation
	creators    []string

	overlay map[int]*InstanceRecord // changed generated instances and created ones
	deleted map[int]bool
	created []int // numbers (≥ n) of created instances, in creation order

	// Behaviour: default states and the caller's partial access (access.go).
	Behaviour Behaviour

	version  uint64 // bumped on every change; invalidates tagCache
	tagCache map[string][]string
	tagVer   uint64
}

// ResourceGroup is one resource group. Generated instances of the group are the
// contiguous numbers [first, first+count).
type ResourceGroup struct {
	ID        string
	Name      string
	CRN       string
	Default   bool
	CreatedAt time.Time

	first, count int
}

// InstanceRecord is one resource instance, materialised.
type InstanceRecord struct {
	Index       int // the instance's number in the account
	GUID        string
	Name        string
	Service     string // CRN service name, e.g. cloud-object-storage
	Region      string
	Plan        string // plan name; the plan ID derives from service and plan
	ResourceID  string // catalog service ID
	GroupID     string
	State       string
	Type        string
	SubType     string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	DeletedAt   time.Time
	CreatedBy   string
	UpdatedBy   string
	Locked      bool
	Tags        []string
	ServiceTags []string
	AccessTags  []string
}

// PlanID is the catalog plan ID of the record's plan.
func (r *InstanceRecord) PlanID() string { return rsPlanID(r.Service, r.Plan) }

// Fixture is the resources: section of a fixture file: extra groups,
// extra instances, and changes to or deletions of generated ones. Instances are
// referred to by GUID, CRN or "#N" (the N-th generated instance).
type Fixture struct {
	Groups    []GroupFixture    `yaml:"groups"`
	Instances []InstanceFixture `yaml:"instances"`
	Update    []InstanceFixture `yaml:"update"`
	Delete    []string          `yaml:"delete"`
}

// GroupFixture is an extra resource group.
type GroupFixture struct {
	ID      string `yaml:"id"`
	Name    string `yaml:"name"`
	Default bool   `yaml:"default"`
}

// InstanceFixture describes an instance to create, or (with ID) the fields to
// change on an existing one. Empty fields keep their value (or default).
type InstanceFixture struct {
	ID          string   `yaml:"id"`
	Name        string   `yaml:"name"`
	Service     string   `yaml:"service"`
	Region      string   `yaml:"region"`
	Plan        string   `yaml:"plan"`
	Group       string   `yaml:"group"` // name or ID
	State       string   `yaml:"state"`
	Type        string   `yaml:"type"`
	CreatedAt   string   `yaml:"createdAt"`
	UpdatedAt   string   `yaml:"updatedAt"`
	CreatedBy   string   `yaml:"createdBy"`
	Locked      *bool    `yaml:"locked"`
	Tags        []string `yaml:"tags"`
	ServiceTags []string `yaml:"serviceTags"`
	AccessTags  []string `yaml:"accessTags"`
}

var rsGroupNames = []string{"Default", "prod", "dev", "staging", "shared-services", "data-platform",
	"security", "networking", "sandbox", "observability", "ml-research", "payments", "web", "mobile",
	"analytics", "backup", "identity", "edge", "legacy", "qa"}

// Sizes is the part of an account's description the resources are generated from.
type Sizes struct {
	Instances, Groups int
	// LargestGroupShare puts this fraction of the instances in the first group.
	LargestGroupShare float64
	// NonDefaultStates is the fraction of instances in states the Resource
	// Controller hides by default.
	NonDefaultStates float64
	Reclamations     int
}

// Generate fills an empty state for accountID from rng. defaultGroupID, when
// set, is the id of the Default resource group (where the runner's cluster
// lives).
func (st *State) Generate(rng *rand.Rand, accountID, defaultGroupID string, spec Sizes) {
	// One draw from the world's generator, whatever the account's size, so the
	// other generators see the same sequence.
	st.seed = rng.Uint64()
	st.account = accountID
	st.n = max(spec.Instances, 0)
	st.hiddenShare = spec.NonDefaultStates
	st.creators = rsCreators(st.seed)
	st.overlay = map[int]*InstanceRecord{}
	st.deleted = map[int]bool{}

	groups := spec.Groups
	if groups < 1 {
		groups = 1
	}
	sizes := rsGroupSizes(st.n, groups, spec.LargestGroupShare)
	first := 0
	for g := 0; g < groups; g++ {
		name := rsGroupNames[g%len(rsGroupNames)]
		if g >= len(rsGroupNames) {
			name = fmt.Sprintf("%s-%d", name, g/len(rsGroupNames)+1)
		}
		id := fmt.Sprintf("%016x%016x", rsMix(st.seed^uint64(g)^0x7267), rsMix(st.seed+uint64(g)))
		if g == 0 && defaultGroupID != "" {
			// The runner's cluster lives in Default, as in a real account.
			id = defaultGroupID
		}
		st.Groups = append(st.Groups, &ResourceGroup{
			ID: id, Name: name, CRN: rsGroupCRN(st.account, id), Default: g == 0,
			CreatedAt: rsEpoch.Add(-time.Duration(1100-g) * 24 * time.Hour),
			first:     first, count: sizes[g],
		})
		first += sizes[g]
	}

	r := min(max(spec.Reclamations, 0), st.n)
	for k := 0; k < r; k++ {
		// Spread evenly, so every group of a generated account has some.
		st.reclaimed = append(st.reclaimed, int((float64(k)+0.5)*float64(st.n)/float64(r)))
	}
}

// rsGroupSizes splits n instances over g groups: the first holds share of them
// (when share > 0), the rest are spread evenly.
func rsGroupSizes(n, g int, share float64) []int {
	sizes := make([]int, g)
	rest, from := n, 0
	if share > 0 && g > 1 {
		sizes[0] = min(n, int(math.Round(share*float64(n))))
		rest, from = n-sizes[0], 1
	}
	k := g - from
	for i := from; i < g; i++ {
		sizes[i] = rest / k
		if i-from < rest%k {
			sizes[i]++
		}
	}
	return sizes
}

func rsGroupCRN(account, id string) string {
	return "crn:v1:bluemix:public:resource-controller::a/" + account + "::resource-group:" + id
}

// Apply adds, changes and deletes what a fixture says.
func (st *State) Apply(fx Fixture) error {
	var errs []error
	for _, g := range fx.Groups {
		if _, err := st.AddGroup(g.ID, g.Name, g.Default); err != nil {
			errs = append(errs, err)
		}
	}
	for k, f := range fx.Instances {
		rec, err := st.fromFixture(InstanceRecord{}, f)
		if err == nil {
			_, err = st.CreateInstance(rec)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("instances[%d]: %w", k, err))
		}
	}
	for k, f := range fx.Update {
		cur, ok := st.Instance(f.ID)
		if !ok {
			errs = append(errs, fmt.Errorf("update[%d]: no instance %q", k, f.ID))
			continue
		}
		rec, err := st.fromFixture(cur, f)
		if err == nil {
			err = st.UpdateInstance(f.ID, func(r *InstanceRecord) { *r = rec })
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("update[%d]: %w", k, err))
		}
	}
	for k, id := range fx.Delete {
		if err := st.DeleteInstance(id); err != nil {
			errs = append(errs, fmt.Errorf("delete[%d]: %w", k, err))
		}
	}
	return errors.Join(errs...)
}

// fromFixture applies f's non-empty fields to base.
func (st *State) fromFixture(base InstanceRecord, f InstanceFixture) (InstanceRecord, error) {
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&base.Name, f.Name)
	set(&base.Service, f.Service)
	set(&base.Region, f.Region)
	set(&base.Plan, f.Plan)
	set(&base.State, f.State)
	set(&base.Type, f.Type)
	set(&base.CreatedBy, f.CreatedBy)
	if f.Group != "" {
		g := st.Group(f.Group)
		if g == nil {
			return base, fmt.Errorf("no resource group %q", f.Group)
		}
		base.GroupID = g.ID
	}
	for _, t := range []struct {
		s   string
		dst *time.Time
	}{{f.CreatedAt, &base.CreatedAt}, {f.UpdatedAt, &base.UpdatedAt}} {
		if t.s == "" {
			continue
		}
		v, err := time.Parse(time.RFC3339, t.s)
		if err != nil {
			return base, fmt.Errorf("bad time %q: use RFC 3339", t.s)
		}
		*t.dst = v.UTC()
	}
	if f.Locked != nil {
		base.Locked = *f.Locked
	}
	if f.Tags != nil {
		base.Tags = f.Tags
	}
	if f.ServiceTags != nil {
		base.ServiceTags = f.ServiceTags
	}
	if f.AccessTags != nil {
		base.AccessTags = f.AccessTags
	}
	return base, nil
}

// Count returns the number of instances in the account, in every state.
func (st *State) Count() int {
	return st.n + len(st.created) - len(st.deleted)
}

// Group finds a group by ID or name.
func (st *State) Group(idOrName string) *ResourceGroup {
	for _, g := range st.Groups {
		if g.ID == idOrName || g.Name == idOrName {
			return g
		}
	}
	return nil
}

// AddGroup adds an empty resource group (an ID is derived from the name when
// empty).
func (st *State) AddGroup(id, name string, isDefault bool) (*ResourceGroup, error) {
	if name == "" {
		return nil, errors.New("resource group: name required")
	}
	if id == "" {
		id = strings.ReplaceAll(rsNameUUID(st.account+"/group/"+name), "-", "")
	}
	if st.Group(id) != nil || st.Group(name) != nil {
		return nil, fmt.Errorf("resource group %q already exists", name)
	}
	g := &ResourceGroup{ID: id, Name: name, CRN: rsGroupCRN(st.account, id), Default: isDefault,
		CreatedAt: rsEpoch.Add(-24 * time.Hour), first: st.n}
	st.Groups = append(st.Groups, g)
	st.version++
	return g, nil
}

func (st *State) maxIndex() int { return st.n + len(st.created) - 1 }

func (st *State) isReclaimed(i int) bool {
	_, ok := slices.BinarySearch(st.reclaimed, i)
	return ok
}

// lookup returns instance i's meta and, for overlay instances, its record.
func (st *State) lookup(i int) (rsMeta, *InstanceRecord, bool) {
	if i < 0 || i > st.maxIndex() || st.deleted[i] {
		return rsMeta{}, nil, false
	}
	if rec, ok := st.overlay[i]; ok {
		return st.recordMeta(rec), rec, true
	}
	if i >= st.n {
		return rsMeta{}, nil, false
	}
	return st.genMeta(i), nil, true
}

// record returns instance i in full.
func (st *State) record(i int) (*InstanceRecord, bool) {
	m, rec, ok := st.lookup(i)
	if !ok {
		return nil, false
	}
	if rec != nil {
		return rec, true
	}
	return st.materialize(i, m), true
}

// indexOf resolves a GUID, an instance CRN or "#N".
func (st *State) indexOf(id string) int {
	if n, ok := strings.CutPrefix(id, "#"); ok {
		i, err := strconv.Atoi(n)
		if err != nil {
			return -1
		}
		return i
	}
	return st.indexOfGUID(rsGUIDFromID(id))
}

// Instance returns a copy of the instance with this GUID, CRN or "#N".
func (st *State) Instance(id string) (InstanceRecord, bool) {
	rec, ok := st.record(st.indexOf(id))
	if !ok {
		return InstanceRecord{}, false
	}
	return rsClone(rec), true
}

// CRN returns an instance's CRN.
func (st *State) CRN(rec InstanceRecord) string { return st.instanceCRN(&rec) }

// EachInstance calls fn for every instance of the account in every state, in
// number order, until fn returns false. It materialises every instance: meant
// for tests and small accounts.
func (st *State) EachInstance(fn func(InstanceRecord) bool) {
	for i := 0; i <= st.maxIndex(); i++ {
		if rec, ok := st.record(i); ok && !fn(rsClone(rec)) {
			return
		}
	}
}

// CreateInstance adds an instance; its number, GUID and unset fields are
// filled in. It returns the stored record.
func (st *State) CreateInstance(rec InstanceRecord) (InstanceRecord, error) {
	if rec.Service == "" {
		rec.Service = rsServices[0].name
	}
	svc := rsServiceByName(rec.Service)
	if rec.GroupID == "" {
		rec.GroupID = st.Groups[0].ID
	} else if st.Group(rec.GroupID) == nil {
		return rec, fmt.Errorf("no resource group %q", rec.GroupID)
	}
	if rec.State == "" {
		rec.State = rsStateActive
	} else if rsStateIndex(rec.State) < 0 {
		return rec, fmt.Errorf("unknown state %q", rec.State)
	}
	if rec.Region == "" {
		rec.Region = "us-south"
		if svc != nil {
			rec.Region = svc.regions[0]
		}
	}
	if rec.Plan == "" {
		rec.Plan = "standard"
		if svc != nil {
			rec.Plan = svc.plans[0]
		}
	}
	if rec.CreatedAt.IsZero() {
		rec.CreatedAt = rsEpoch
	}
	if rec.UpdatedAt.IsZero() {
		rec.UpdatedAt = rec.CreatedAt
	}
	if rec.CreatedBy == "" {
		rec.CreatedBy = st.creators[0]
	}
	if rec.UpdatedBy == "" {
		rec.UpdatedBy = rec.CreatedBy
	}
	if rec.Type == "" && svc == nil {
		rec.Type = "service_instance"
	}
	if rec.ResourceID == "" && svc == nil {
		rec.ResourceID = rsNameUUID(rec.Service)
	}
	st.fillDerived(&rec)
	rec.Index = st.n + len(st.created)
	rec.GUID = st.guid(rec.Index)
	if rec.Name == "" {
		rec.Name = fmt.Sprintf("%s-%05d", rec.Service, rec.Index)
	}
	for _, p := range []*[]string{&rec.Tags, &rec.ServiceTags, &rec.AccessTags} {
		if *p == nil {
			*p = []string{}
		}
	}
	stored := rsClone(&rec)
	st.overlay[rec.Index] = &stored
	st.created = append(st.created, rec.Index)
	st.version++
	return rsClone(&stored), nil
}

// UpdateInstance changes an instance through fn. Unless fn sets UpdatedAt
// itself, the change is stamped with the current time, as the Resource
// Controller does.
func (st *State) UpdateInstance(id string, fn func(*InstanceRecord)) error {
	return st.modify(id, fn, true)
}

// SetTags replaces an instance's tags of one type (user, service or access)
// without touching updated_at: tags live in Global Tagging, not in the
// Resource Controller record.
func (st *State) SetTags(id, tagType string, tags []string) error {
	return st.modify(id, func(r *InstanceRecord) {
		switch tagType {
		case "service":
			r.ServiceTags = tags
		case "access":
			r.AccessTags = tags
		default:
			r.Tags = tags
		}
	}, false)
}

func (st *State) modify(id string, fn func(*InstanceRecord), touch bool) error {
	i := st.indexOf(id)
	cur, ok := st.record(i)
	if !ok {
		return fmt.Errorf("no instance %q", id)
	}
	rec := rsClone(cur)
	before := rec.UpdatedAt
	fn(&rec)
	rec.Index, rec.GUID = i, cur.GUID // identity never changes
	if rsStateIndex(rec.State) < 0 {
		return fmt.Errorf("unknown state %q", rec.State)
	}
	if st.Group(rec.GroupID) == nil {
		return fmt.Errorf("no resource group %q", rec.GroupID)
	}
	if touch && rec.UpdatedAt.Equal(before) {
		rec.UpdatedAt = time.Now().UTC().Truncate(time.Millisecond)
	}
	st.overlay[i] = &rec
	st.version++
	return nil
}

// DeleteInstance removes an instance from the account entirely (as after its
// reclamation).
func (st *State) DeleteInstance(id string) error {
	i := st.indexOf(id)
	if _, ok := st.record(i); !ok {
		return fmt.Errorf("no instance %q", id)
	}
	st.deleted[i] = true
	delete(st.overlay, i)
	st.version++
	return nil
}

func rsClone(r *InstanceRecord) InstanceRecord {
	c := *r
	c.Tags = slices.Clone(r.Tags)
	c.ServiceTags = slices.Clone(r.ServiceTags)
	c.AccessTags = slices.Clone(r.AccessTags)
	return c
}
