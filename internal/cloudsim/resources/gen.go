package resources

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"
)

// Resource instances are never stored: instance i of the account is computed
// from (seed, i) whenever it is needed, so a million-instance account costs a
// few kilobytes. Only the mutation overlay (created, changed and deleted
// instances) is kept in memory.
//
// Instances are numbered group by group (group g owns the contiguous range
// [first, first+count)), so a resource_group_id filter seeks to its range
// instead of scanning the account. Filtering works on rsMeta, a small
// allocation-free summary; strings are only built for the rows of a page.

// rsEpoch is the generator's "now": every generated timestamp lies in the three
// years before it. A fixed date keeps generated accounts (and golden files built
// on them) identical from one day to the next.
var rsEpoch = time.Date(2026, time.September, 1, 0, 0, 0, 0, time.UTC)

const rsSpanMillis = int64(3 * 365 * 24 * time.Hour / time.Millisecond)

// rsService is one catalog service that instances are generated from.
type rsService struct {
	name       string // CRN service name
	prefix     string // for generated instance names
	weight     int
	resourceID string
	plans      []string // plan names; IDs are derived from service+plan
	regions    []string
	typ        string
	subType    string
}

var rsRegions = []string{"us-south", "us-east", "eu-de", "eu-gb", "eu-es", "jp-tok", "jp-osa", "au-syd", "ca-tor", "br-sao"}

// rsServices are the services generated instances belong to, weighted roughly
// like a real enterprise account (object storage and databases dominate).
var rsServices = []rsService{
	{name: "cloud-object-storage", prefix: "cos", weight: 20, resourceID: "dff97f5c-bc5e-4455-b470-411c3edbe49c", plans: []string{"standard", "lite"}, regions: []string{"global"}, typ: "service_instance"},
	{name: "databases-for-postgresql", prefix: "pg", weight: 9, plans: []string{"standard", "enterprise"}, regions: rsRegions, typ: "service_instance"},
	{name: "databases-for-redis", prefix: "redis", weight: 5, plans: []string{"standard"}, regions: rsRegions, typ: "service_instance"},
	{name: "databases-for-mongodb", prefix: "mongo", weight: 4, plans: []string{"standard", "enterprise"}, regions: rsRegions, typ: "service_instance"},
	{name: "kms", prefix: "kp", weight: 6, plans: []string{"tiered-pricing"}, regions: rsRegions, typ: "service_instance", subType: "kms"},
	{name: "hs-crypto", prefix: "hpcs", weight: 1, plans: []string{"standard"}, regions: []string{"us-south", "us-east", "eu-de", "eu-gb"}, typ: "service_instance", subType: "hpcs"},
	{name: "secrets-manager", prefix: "sm", weight: 5, plans: []string{"standard", "trial"}, regions: rsRegions, typ: "service_instance"},
	{name: "logdna", prefix: "logs", weight: 6, plans: []string{"7-day", "30-day", "lite"}, regions: rsRegions, typ: "service_instance"},
	{name: "logdnaat", prefix: "atracker", weight: 2, plans: []string{"7-day", "lite"}, regions: rsRegions, typ: "service_instance"},
	{name: "sysdig-monitor", prefix: "monitor", weight: 5, plans: []string{"graduated-tier", "lite"}, regions: rsRegions, typ: "service_instance"},
	{name: "sysdig-secure", prefix: "scc-wp", weight: 2, plans: []string{"graduated-tier"}, regions: rsRegions, typ: "service_instance"},
	{name: "containers-kubernetes", prefix: "iks", weight: 5, plans: []string{"standard"}, regions: rsRegions, typ: "container_instance"},
	{name: "codeengine", prefix: "ce", weight: 4, plans: []string{"standard"}, regions: rsRegions, typ: "service_instance"},
	{name: "messagehub", prefix: "es", weight: 3, plans: []string{"standard", "enterprise-3nodes-2tb", "lite"}, regions: rsRegions, typ: "service_instance"},
	{name: "cloudantnosqldb", prefix: "cloudant", weight: 3, plans: []string{"standard", "lite"}, regions: rsRegions, typ: "service_instance"},
	{name: "appid", prefix: "appid", weight: 3, plans: []string{"graduated-tier", "lite"}, regions: rsRegions, typ: "service_instance"},
	{name: "continuous-delivery", prefix: "cd", weight: 3, plans: []string{"professional", "lite"}, regions: rsRegions, typ: "service_instance"},
	{name: "toolchain", prefix: "toolchain", weight: 2, plans: []string{"toolchain"}, regions: rsRegions, typ: "composite_instance"},
	{name: "is", prefix: "vpc", weight: 8, plans: []string{"vpc"}, regions: rsRegions, typ: "service_instance", subType: "vpc"},
}

// Tag vocabularies. A generated instance's tags are a bit set over these, so
// filtering and counting never allocate.
var (
	rsUserTags = []string{
		"env:prod", "env:dev", "env:staging", "team:payments", "team:platform", "team:data",
		"owner:alice", "owner:bob", "owner:chen", "cost-center:1001", "cost-center:2002",
		"app:checkout", "app:search", "compliance:pci", "backup:daily",
	}
	rsServiceTags = []string{"schematics:managed", "ibm:autoscale"}
	rsAccessTags  = []string{"project:alpha", "project:beta", "env:restricted"}
)

// Instance states. The Resource Controller lists only active and provisioning
// instances unless a state is asked for.
const (
	rsStateActive             = "active"
	rsStateProvisioning       = "provisioning"
	rsStateInactive           = "inactive"
	rsStateFailed             = "failed"
	rsStatePendingReclamation = "pending_reclamation"
	rsStatePreProvisioning    = "pre_provisioning"
	rsStateRemoved            = "removed"
)

// rsStates lists every state, indexed by rsMeta.state.
var rsStates = []string{rsStateActive, rsStateProvisioning, rsStateInactive, rsStateFailed,
	rsStatePendingReclamation, rsStatePreProvisioning, rsStateRemoved}

func rsStateIndex(s string) int {
	for i, v := range rsStates {
		if v == s {
			return i
		}
	}
	return -1
}

// rsMeta is what filters look at: no strings, no allocation.
type rsMeta struct {
	service, region, plan, state int
	group                        int
	created, updated             int64 // unix milliseconds
	locked                       bool
	userTags, serviceTags        uint32 // bit sets over the vocabularies
	accessTags                   uint32
	h                            uint64 // the instance's hash, for further derivations
}

// splitmix64 is a tiny, good 64-bit mixer (Steele, Lea, Flood 2014).
func rsMix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// rsHash derives the k-th pseudo-random word of instance i.
func (st *State) rsHash(i int, k uint64) uint64 {
	return rsMix(st.seed ^ rsMix(uint64(i)*0x9e3779b97f4a7c15+k))
}

func rsUnit(h uint64) float64 { return float64(h>>11) / (1 << 53) }

// rsGUID is a bijection between instance numbers and GUID-shaped strings: the
// last 48 bits are an invertible affine map of i, so a GUID (or a CRN holding
// it) leads back to its instance without a table.
const (
	rsGUIDMul  = 0x5DEECE66D1 // odd, so invertible modulo 2^48
	rsGUIDMask = 1<<48 - 1
)

// rsGUIDMulInv is rsGUIDMul's inverse modulo 2^48 (Newton's iteration doubles
// the correct low bits each step).
var rsGUIDMulInv = func() uint64 {
	inv := uint64(rsGUIDMul)
	for k := 0; k < 6; k++ {
		inv *= 2 - rsGUIDMul*inv
	}
	return inv & rsGUIDMask
}()

func (st *State) guid(i int) string { return rsGUIDWith(st.seed, i) }

// keyGUID is the GUID of resource key j (a separate sequence from instances).
func (st *State) keyGUID(j int) string { return rsGUIDWith(st.seed^0x6b6579, j) }

func rsGUIDWith(seed uint64, i int) string {
	low := (uint64(i)*rsGUIDMul + seed) & rsGUIDMask
	h := rsMix(seed ^ rsMix(uint64(i)*0x9e3779b97f4a7c15+0x6775))
	var b [36]byte
	const hexd = "0123456789abcdef"
	put := func(off int, v uint64, n int) {
		for k := n - 1; k >= 0; k-- {
			b[off+k] = hexd[v&15]
			v >>= 4
		}
	}
	put(0, h>>32, 8)
	b[8] = '-'
	put(9, h>>16, 4)
	b[13] = '-'
	b[14] = '4'
	put(15, h>>4, 3)
	b[18] = '-'
	b[19] = 'a'
	put(20, h>>40, 3)
	b[23] = '-'
	put(24, low, 12)
	return string(b[:])
}

// rsIndexOfGUID inverts rsGUIDWith for numbers up to max, or returns -1.
func rsIndexOfGUID(seed uint64, g string, max int) int {
	if len(g) != 36 {
		return -1
	}
	low, err := strconv.ParseUint(g[24:], 16, 64)
	if err != nil {
		return -1
	}
	i := ((low - seed) * rsGUIDMulInv) & rsGUIDMask
	if i > uint64(max) || rsGUIDWith(seed, int(i)) != g {
		return -1
	}
	return int(i)
}

// indexOfGUID returns the instance number a GUID encodes, or -1.
func (st *State) indexOfGUID(g string) int { return rsIndexOfGUID(st.seed, g, st.maxIndex()) }

// rsCatalog caches each service's catalog and plan IDs, which filters compare
// against for every scanned instance.
var rsCatalog = func() [][]string {
	out := make([][]string, len(rsServices))
	for k := range rsServices {
		s := &rsServices[k]
		ids := []string{rsCatalogID(s)}
		for _, p := range s.plans {
			ids = append(ids, rsPlanID(s.name, p))
		}
		out[k] = ids
	}
	return out
}()

// rsPlanID and rsCatalogID derive stable catalog IDs for services without a
// well-known one.
func rsPlanID(service, plan string) string { return rsNameUUID(service + "/plan/" + plan) }

func rsCatalogID(s *rsService) string {
	if s.resourceID != "" {
		return s.resourceID
	}
	return rsNameUUID(s.name)
}

func rsNameUUID(name string) string {
	h := fnv.New128a()
	_, _ = h.Write([]byte(name))
	sum := h.Sum(nil)
	var b [16]byte
	copy(b[:], sum)
	hi, lo := binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])
	return fmt.Sprintf("%08x-%04x-4%03x-a%03x-%012x", hi>>32, hi>>16&0xffff, hi&0xfff, lo>>48&0xfff, lo&rsGUIDMask)
}

// rsPickService picks a service by weight.
func rsPickService(h uint64) int {
	total := 0
	for _, s := range rsServices {
		total += s.weight
	}
	n := int(h % uint64(total))
	for i, s := range rsServices {
		if n < s.weight {
			return i
		}
		n -= s.weight
	}
	return 0
}

// genMeta computes generated instance i's filterable summary. Callers know i
// is a generated index (< st.n).
func (st *State) genMeta(i int) rsMeta {
	h1 := st.rsHash(i, 1)
	h2 := st.rsHash(i, 2)
	h3 := st.rsHash(i, 3)
	m := rsMeta{h: h1, group: st.groupOf(i)}
	m.service = rsPickService(h1)
	svc := &rsServices[m.service]
	m.region = int((h1 >> 20) % uint64(len(svc.regions)))
	m.plan = int((h1 >> 28) % uint64(len(svc.plans)))
	m.created = rsEpoch.UnixMilli() - int64(rsUnit(h2)*float64(rsSpanMillis))
	// Updates cluster towards the recent past, as they do in real accounts.
	age := rsEpoch.UnixMilli() - m.created
	u := rsUnit(rsMix(h2))
	m.updated = m.created + int64((1-u*u)*float64(age))
	switch {
	case st.isReclaimed(i):
		m.state = 4 // pending_reclamation
	case rsUnit(h3) < st.hiddenShare:
		m.state = []int{2, 3, 6}[h3>>8%3] // inactive, failed, removed
	case (h3>>16)%100 < 4:
		m.state = 1 // provisioning
	case (h3>>16)%1000 == 999:
		m.state = 5 // pre_provisioning
	}
	m.locked = (h3>>24)%100 < 3
	if (h3>>32)%100 < 35 {
		// One to three user tags.
		n := 1 + int(h3>>40%3)
		for k := 0; k < n; k++ {
			m.userTags |= 1 << (rsMix(h3+uint64(k)) % uint64(len(rsUserTags)))
		}
	}
	if (h3>>48)%100 < 5 {
		m.serviceTags = 1 << (h3 >> 56 % uint64(len(rsServiceTags)))
	}
	if (h2>>8)%100 < 8 {
		m.accessTags = 1 << (h2 >> 16 % uint64(len(rsAccessTags)))
	}
	return m
}

// groupOf returns the group holding generated instance i.
func (st *State) groupOf(i int) int {
	lo, hi := 0, len(st.Groups)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if st.Groups[mid].first <= i {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}

func rsTagList(bits uint32, vocab []string) []string {
	if bits == 0 {
		return []string{}
	}
	out := make([]string, 0, 3)
	for k, t := range vocab {
		if bits&(1<<k) != 0 {
			out = append(out, t)
		}
	}
	return out
}

// materialize builds the full record of generated instance i from its meta.
func (st *State) materialize(i int, m rsMeta) *InstanceRecord {
	svc := &rsServices[m.service]
	h := rsMix(m.h ^ 0x6e616d65)
	envs := []string{"prod", "dev", "staging", "test"}
	words := []string{"billing", "orders", "search", "ledger", "events", "media", "auth", "reports", "etl", "ml", "web", "mobile"}
	g := st.Groups[m.group]
	rec := &InstanceRecord{
		Index:       i,
		GUID:        st.guid(i),
		Name:        fmt.Sprintf("%s-%s-%s-%05d", svc.prefix, envs[h%4], words[(h>>8)%uint64(len(words))], i),
		Service:     svc.name,
		Region:      svc.regions[m.region],
		Plan:        svc.plans[m.plan],
		GroupID:     g.ID,
		State:       rsStates[m.state],
		CreatedAt:   time.UnixMilli(m.created).UTC(),
		UpdatedAt:   time.UnixMilli(m.updated).UTC(),
		CreatedBy:   st.creators[(h>>16)%uint64(len(st.creators))],
		Locked:      m.locked,
		Tags:        rsTagList(m.userTags, rsUserTags),
		ServiceTags: rsTagList(m.serviceTags, rsServiceTags),
		AccessTags:  rsTagList(m.accessTags, rsAccessTags),
	}
	rec.UpdatedBy = st.creators[(h>>24)%uint64(len(st.creators))]
	st.fillDerived(rec)
	if m.state == 4 || m.state == 6 {
		rec.DeletedAt = rec.UpdatedAt
	}
	return rec
}

// fillDerived sets the fields that follow from the service name.
func (st *State) fillDerived(rec *InstanceRecord) {
	svc := rsServiceByName(rec.Service)
	if svc == nil {
		return
	}
	if rec.Type == "" {
		rec.Type = svc.typ
	}
	if rec.SubType == "" {
		rec.SubType = svc.subType
	}
	if rec.ResourceID == "" {
		rec.ResourceID = rsCatalogID(svc)
	}
}

func rsServiceByName(name string) *rsService {
	for k := range rsServices {
		if rsServices[k].name == name {
			return &rsServices[k]
		}
	}
	return nil
}

// recordMeta summarises an overlay record for the filters.
func (st *State) recordMeta(rec *InstanceRecord) rsMeta {
	m := rsMeta{state: rsStateIndex(rec.State), group: -1, service: -1,
		created: rec.CreatedAt.UnixMilli(), updated: rec.UpdatedAt.UnixMilli(), locked: rec.Locked}
	for k, g := range st.Groups {
		if g.ID == rec.GroupID {
			m.group = k
		}
	}
	return m
}

// rsCreators derives a pool of creator IAM IDs from the seed: users and
// service IDs, as created_by holds in real accounts.
func rsCreators(seed uint64) []string {
	out := make([]string, 0, 16)
	for k := uint64(0); k < 16; k++ {
		h := rsMix(seed ^ (k + 0x63726561))
		if k%4 == 3 {
			out = append(out, fmt.Sprintf("iam-ServiceId-%08x-%04x-4%03x-a%03x-%012x", h>>32, h>>16&0xffff, h&0xfff, h>>20&0xfff, rsMix(h)&rsGUIDMask))
		} else {
			out = append(out, fmt.Sprintf("IBMid-%d%09d", 1+h%9, rsMix(h)%1_000_000_000))
		}
	}
	return out
}

// CRN returns the instance's CRN.
func (st *State) instanceCRN(rec *InstanceRecord) string {
	return "crn:v1:bluemix:public:" + rec.Service + ":" + rec.Region + ":a/" + st.account + ":" + rec.GUID + "::"
}

// rsGUIDFromID accepts a GUID or an instance CRN and returns the GUID part.
func rsGUIDFromID(id string) string {
	if !strings.HasPrefix(id, "crn:") {
		return id
	}
	parts := strings.Split(id, ":")
	if len(parts) < 8 {
		return ""
	}
	return parts[7]
}
