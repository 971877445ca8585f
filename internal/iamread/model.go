package iamread

import (
	"slices"
	"sort"
	"strings"
	"time"
)

// Identity kinds, from the iam_id prefix IBM documents.
const (
	KindUser      = "user"
	KindServiceID = "serviceid"
	KindProfile   = "profile"
	KindGroup     = "accessgroup"
	KindOther     = "other"
)

// KindOf says what an iam_id names: IBMid-... (and other realms' users) are
// users, iam-ServiceId-... service IDs, iam-Profile-... trusted profiles.
func KindOf(iamID string) string {
	switch {
	case strings.HasPrefix(iamID, "iam-ServiceId-"):
		return KindServiceID
	case strings.HasPrefix(iamID, "iam-Profile-"):
		return KindProfile
	case strings.HasPrefix(iamID, "AccessGroupId-"):
		return KindGroup
	case strings.HasPrefix(iamID, "IBMid-"), strings.Contains(iamID, "-") && !strings.HasPrefix(iamID, "iam-") && !strings.HasPrefix(iamID, "crn-"):
		return KindUser
	}
	return KindOther
}

// APIKey is one API key, as listed.
type APIKey struct {
	ID, Name, Description string
	// IAMID is who the key authenticates as (user or service ID).
	IAMID     string
	CreatedBy string
	CreatedAt time.Time
	Locked    bool
	Disabled  bool
}

// Kind is user or serviceid.
func (k APIKey) Kind() string {
	if KindOf(k.IAMID) == KindServiceID {
		return KindServiceID
	}
	return KindUser
}

// ServiceID is one service ID.
type ServiceID struct {
	ID, IAMID, Name, Description string
	CreatedAt                    time.Time
	Locked                       bool
}

// Profile is one trusted profile.
type Profile struct {
	ID, IAMID, Name, Description string
	CreatedAt                    time.Time
}

// User is one user of the account.
type User struct {
	IAMID, UserID, Email, State string
	AddedOn                     time.Time
}

// Group is one access group.
type Group struct {
	ID, Name, Description string
	Federated             bool
}

// PublicAccessGroupID is the id of the account's Public Access group.
const PublicAccessGroupID = "AccessGroupId-PublicAccess"

// Member is one member of an access group.
type Member struct {
	IAMID, Type, MembershipType, Name string
}

// Rule is one dynamic rule of an access group.
type Rule struct {
	ID, Name, RealmName string
	// Expiration is how many hours a membership lasts after a login.
	Expiration int64
	Conditions []string // "claim operator value"
}

// Policy is one access policy, flattened from the v2 shape.
type Policy struct {
	ID, Type, State string
	// Exactly one of SubjectIAMID and SubjectGroupID is usually set.
	SubjectIAMID   string
	SubjectGroupID string
	// Roles are role CRNs (crn:v1:bluemix:public:iam::::role:Administrator).
	Roles []string
	// Resource holds the resource attributes key=value (operator stringEquals
	// or stringMatch; a stringExists attribute maps to "*").
	Resource map[string]string
	// HasConditions is true for a policy with a rule (time or attribute
	// conditions): its reach depends on when and from where.
	HasConditions bool
	Template      bool // assigned from an enterprise policy template
	CreatedAt     time.Time
	CreatedBy     string
	// LastPermitAt is when the policy last allowed a request (nil: never or
	// not requested); LastPermitFrequency how often in the last period.
	LastPermitAt        *time.Time
	LastPermitFrequency int64
	LastPermitKnown     bool // the listing asked for last-permit data
}

// Subject is the policy's subject id and its kind.
func (p Policy) Subject() (string, string) {
	if p.SubjectGroupID != "" {
		return p.SubjectGroupID, KindGroup
	}
	return p.SubjectIAMID, KindOf(p.SubjectIAMID)
}

// RoleNames are the roles' short names (Administrator, Manager, a custom
// role's name).
func (p Policy) RoleNames() []string {
	out := make([]string, 0, len(p.Roles))
	for _, r := range p.Roles {
		out = append(out, RoleName(r))
	}
	return out
}

// RoleName is the last part of a role CRN.
func RoleName(crn string) string {
	if i := strings.LastIndexByte(crn, ':'); i >= 0 {
		return crn[i+1:]
	}
	return crn
}

// HasRole reports whether the policy grants role (short name).
func (p Policy) HasRole(name string) bool {
	for _, r := range p.Roles {
		if RoleName(r) == name {
			return true
		}
	}
	return false
}

// ResourceText describes the resource in one line: "serviceName=support,
// resourceGroupId=..."; "all account resources" for an account-wide policy.
func (p Policy) ResourceText() string {
	var parts, other []string
	for _, k := range resourceKeyOrder {
		if v, ok := p.Resource[k]; ok {
			parts = append(parts, k+"="+v)
		}
	}
	for k, v := range p.Resource {
		if !slices.Contains(resourceKeyOrder, k) && k != "accountId" {
			other = append(other, k+"="+v)
		}
	}
	sort.Strings(other)
	parts = append(parts, other...)
	if len(parts) == 0 {
		return "all account resources"
	}
	return strings.Join(parts, ", ")
}

var resourceKeyOrder = []string{"serviceType", "service_group_id", "serviceName", "serviceInstance", "region", "resourceGroupId", "resourceType", "resource"}

// Settings are the IAM Identity account settings the controls read.
type Settings struct {
	MFA                      string
	RestrictCreateServiceID  string
	RestrictCreateAPIKey     string
	UserMFA                  []UserMFA
	SessionExpirationSeconds string
	AllowedIPAddresses       string
}

// UserMFA is a user-specific MFA setting.
type UserMFA struct{ IAMID, MFA, Name string }

// MFAUser is one user's line of the MFA enrollment report (or status).
type MFAUser struct {
	IAMID, Username, Email string
	// Effective is the effective MFA trait (NONE, TOTP, LEVEL1, ...); empty when
	// the account-based MFA applies.
	Effective string
	Complies  bool
}

// MFAReport is IAM Identity's MFA enrollment report.
type MFAReport struct {
	Reference, ReportTime string
	Users                 []MFAUser
	Polls                 int
}

// Activity is one line of the inactive-identities report.
type Activity struct {
	Kind      string // user, apikey, serviceid, profile
	ID, IAMID string // id (API key, service ID, profile) or the user's iam_id
	Name      string
	LastAuthn *time.Time // nil: never used, or unknown when LastAuthnRaw is set
	// LastAuthnRaw is IAM's last_authn when it is no timestamp ParseTime
	// reads: the last use is unknown.
	LastAuthnRaw string
}

// ActivityReport is IAM Identity's inactive-identities report.
type ActivityReport struct {
	Reference string
	Duration  time.Duration
	Items     []Activity
	Polls     int
}
