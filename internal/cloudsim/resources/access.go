package resources

import (
	"hash/fnv"
	"slices"
)

// Behaviour holds the knobs of the resource APIs where IBM's sources disagree,
// and the caller's partial access that real list APIs apply row by row
// (fidelity audit F3, F4, F8, F10). The zero value is the emulator's historic
// behaviour: the SDK's default states, everything visible.
type Behaviour struct {
	// DefaultStates are the instance states Resource Controller lists when
	// the request names none. nil: the Go SDK's "active and provisioning";
	// SpecDefaultStates: the newer published spec's set.
	DefaultStates []string
	// HiddenGroups are resource group IDs the caller may not view: Resource
	// Manager leaves them out of its list and answers 403 for them, while
	// Resource Controller still lists their instances (the caller has
	// service access), as IAM filters Resource Manager's list.
	HiddenGroups map[string]bool
	// InvisibleEvery > 0 makes one instance in n (by GUID hash) invisible to
	// the caller: Resource Controller cuts each page first and then drops the
	// rows the caller may not see, so pages are short, or empty with a
	// next_url ("the number of items returned may be less than the specified
	// limit if the caller lacks sufficient access").
	InvisibleEvery int
	// InvisibleGroup makes every instance of this group ID invisible to
	// Resource Controller (long runs of empty pages with a cursor).
	InvisibleGroup string
	// KeyCredentials makes resource keys carry their credentials (as for a
	// caller with the Manager role): an API key that looks like a secret, the
	// role and the service ID. Otherwise they are REDACTED.
	KeyCredentials bool
	// SearchOnlyDocs adds this many Global Search documents that are not
	// Resource Controller instances (VPC resources, clusters, buckets;
	// search_docs.go).
	SearchOnlyDocs int
	// DeletedAdminOnly: Global Search answers 403 to is_deleted (documented
	// "for administrators only") for this non-administrator caller.
	DeletedAdminOnly bool
}

// SpecDefaultStates is the default state set of the newer Resource
// Controller spec ("active, inactive, failed, provisioning and
// pre_provisioning").
var SpecDefaultStates = []string{"active", "inactive", "failed", "provisioning", "pre_provisioning"}

// defaultState: listed when the request names no state.
func (st *State) defaultState(state int) bool {
	if state < 0 {
		return false
	}
	if st.Behaviour.DefaultStates == nil {
		return state == 0 || state == 1 // active, provisioning
	}
	return slices.Contains(st.Behaviour.DefaultStates, rsStates[state])
}

// visible: whether the caller may see this instance in Resource Controller.
func (st *State) visible(rec *InstanceRecord) bool {
	b := &st.Behaviour
	if b.InvisibleGroup != "" && rec.GroupID == b.InvisibleGroup {
		return false
	}
	if b.InvisibleEvery > 0 {
		h := fnv.New32a()
		_, _ = h.Write([]byte(rec.GUID))
		return h.Sum32()%uint32(b.InvisibleEvery) != 0
	}
	return true
}

// visibleRows drops, after the page was cut, the rows the caller may not see.
func (st *State) visibleRows(recs []*InstanceRecord) []*InstanceRecord {
	if st.Behaviour.InvisibleEvery == 0 && st.Behaviour.InvisibleGroup == "" {
		return recs
	}
	out := recs[:0]
	for _, r := range recs {
		if st.visible(r) {
			out = append(out, r)
		}
	}
	return out
}

// searchType is Global Search's type and family for an instance of service:
// the type is the CRN's resource type or one the owning service chooses
// (k8-cluster for containers-kubernetes, fidelity audit F9).
func searchType(service string) (typ, family string) {
	switch service {
	case "containers-kubernetes":
		return "k8-cluster", "containers"
	}
	return "resource-instance", "resource_controller"
}

// KeySecretPrefix starts every emulated resource key's API key, so tests can
// look for it anywhere it must never appear.
const KeySecretPrefix = "SECRET-apikey-do-not-log-"

// keyCredentials is a resource key's credentials object.
func (st *State) keyCredentials(keyGUID string) map[string]any {
	if !st.Behaviour.KeyCredentials {
		return map[string]any{"REDACTED": "REDACTED"}
	}
	return map[string]any{
		"apikey":                 KeySecretPrefix + keyGUID,
		"iam_apikey_description": "Auto-generated for key " + keyGUID,
		"iam_apikey_name":        "key-" + keyGUID,
		"iam_role_crn":           "crn:v1:bluemix:public:iam::::serviceRole:Writer",
		"iam_serviceid_crn":      "crn:v1:bluemix:public:iam-identity::a/" + st.account + "::serviceid:ServiceId-" + keyGUID,
	}
}
