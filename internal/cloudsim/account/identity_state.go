package account

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// IdentityState holds the account's users, service IDs, API keys and their
// activity, the IAM Identity reports, access groups, access policies and usage.
// Handlers read it under the World's read lock and change it under its write
// lock; tests that edit it while the emulator serves take World.Lock too.
//
// Times are absolute. Generated times count back from Anchor (midnight UTC of
// the day the world was generated), so a generated account always looks the
// same relative to "now": some identities used last week, some a year ago,
// some never.
type IdentityState struct {
	Anchor time.Time

	// ServiceIDGroups are the service-ID groups besides the default one,
	// which every account has (see serviceid_groups.go).
	ServiceIDGroups []*ServiceIDGroupRecord

	Users        []*UserRecord
	ServiceIDs   []*ServiceIDRecord
	APIKeys      []*APIKeyRecord
	AccessGroups []*AccessGroupRecord
	Policies     []*PolicyRecord
	// PublicAccessEnabled is the Access Groups account setting.
	PublicAccessEnabled bool
	// OwnerIAMID is the account owner (Account Management's owner_iamid).
	OwnerIAMID string
	// CustomRoles are the account's custom roles (Policy Management).
	CustomRoles []*CustomRoleRecord
	// Usage is the monthly billable cost the usage summary reports, before the
	// per-month variation.
	MonthlyCost float64

	// Indexes, rebuilt by reindex after generation and fixture loading.
	userByIAMID map[string]*UserRecord
	sidByID     map[string]*ServiceIDRecord
	sidByIAMID  map[string]*ServiceIDRecord
	keyByID     map[string]*APIKeyRecord
	groupByID   map[string]*AccessGroupRecord
}

// UserRecord is a user of the account (User Management and IAM Identity).
type UserRecord struct {
	ID        string // User Management's own user id
	IAMID     string // IBMid-...
	Realm     string // IBMid or SL
	UserID    string // the login, an e-mail-like name
	Firstname string
	Lastname  string
	Email     string
	Phone     string
	State     string // ACTIVE, PENDING, ...
	AddedOn   time.Time
	// LastAuthn is the last login; nil when the user never logged in.
	LastAuthn *time.Time
	// MFA is the user's effective MFA trait for the MFA report (NONE, TOTP, ...).
	MFA string
}

// ServiceIDRecord is a service ID.
type ServiceIDRecord struct {
	ID          string // ServiceId-...
	IAMID       string // iam-ServiceId-...
	Name        string
	Description string
	Locked      bool
	CreatedAt   time.Time
	ModifiedAt  time.Time
	LastAuthn   *time.Time
	Version     int // entity_tag counter, bumped on every change
	// GroupID is the service-ID group; "" is the account's default group.
	GroupID string
}

// APIKeyRecord is an API key of a user or a service ID.
type APIKeyRecord struct {
	ID          string // ApiKey-...
	Name        string
	Description string
	// OwnerIAMID is the user (IBMid-...) or service ID (iam-ServiceId-...) the
	// key authenticates as; the API calls it iam_id.
	OwnerIAMID string
	CreatedBy  string
	Locked     bool
	Disabled   bool
	CreatedAt  time.Time
	ModifiedAt time.Time
	ExpiresAt  *time.Time
	LastAuthn  *time.Time
	AuthnCount int64
	Version    int
}

// AccessGroupRecord is an IAM access group and its static members.
type AccessGroupRecord struct {
	ID          string // AccessGroupId-...
	Name        string
	Description string
	CreatedAt   time.Time
	CreatedBy   string
	Members     []GroupMemberRecord
	Rules       []GroupRuleRecord
}

// GroupMemberRecord is one member of an access group: static, or dynamic
// (added by a rule when a federated user logs in).
type GroupMemberRecord struct {
	IAMID     string
	AddedAt   time.Time
	AddedByID string
	Dynamic   bool
}

// GroupRuleRecord is a dynamic rule of an access group: users of an IdP realm
// whose claims match join the group for Expiration hours.
type GroupRuleRecord struct {
	ID, Name, RealmName string
	Expiration          int64
	Conditions          []Condition
	CreatedAt           time.Time
	CreatedBy           string
}

// CustomRoleRecord is an account's custom role.
type CustomRoleRecord struct {
	ID, Name, DisplayName, Description, ServiceName string
	Actions                                         []string
	CreatedAt                                       time.Time
	CreatedBy                                       string
}

// PolicyRecord is an IAM access policy. Exactly one of SubjectIAMID and
// SubjectGroupID is set.
type PolicyRecord struct {
	ID             string
	SubjectIAMID   string
	SubjectGroupID string
	Role           string // display name, e.g. Viewer
	// Roles are further roles the policy grants (display names, or role CRNs
	// of custom roles).
	Roles       []string
	ServiceName string // resource attribute serviceName; "" = all account resources
	// Resource holds further resource attributes (serviceType, service_group_id,
	// resourceGroupId, ...), all stringEquals.
	Resource map[string]string
	// Template marks a policy assigned from an enterprise policy template.
	Template bool
	// Version counts changes, for the ETag.
	Version   int
	CreatedAt time.Time
	CreatedBy string
	// LastPermitAt is when the policy last allowed a request; nil when never.
	LastPermitAt        *time.Time
	LastPermitFrequency int64
}

// IdentitiesFixture is the identities: section of a fixture file. Records are
// added to whatever the generate: part produced. Times are RFC 3339, or
// "now-45d" (relative to the world's anchor), or empty / "never".
type IdentitiesFixture struct {
	// ServiceIDGroups are service-ID groups besides the default one.
	ServiceIDGroups []ServiceIDGroupFixture `yaml:"serviceIDGroups"`

	// Anchor replaces the generation day as the origin of relative times.
	Anchor       string               `yaml:"anchor"`
	Users        []UserFixture        `yaml:"users"`
	ServiceIDs   []ServiceIDFixture   `yaml:"serviceIDs"`
	APIKeys      []APIKeyFixture      `yaml:"apiKeys"`
	AccessGroups []AccessGroupFixture `yaml:"accessGroups"`
	Policies     []PolicyFixture      `yaml:"policies"`
	PublicAccess *bool                `yaml:"publicAccessEnabled"`
	// Owner is the account owner's iam_id (default: the first user).
	Owner       string              `yaml:"owner"`
	CustomRoles []CustomRoleFixture `yaml:"customRoles"`
	MonthlyCost *float64            `yaml:"monthlyCost"`
}

// UserFixture is one user in a fixture.
type UserFixture struct {
	IAMID     string `yaml:"iamID"`
	Email     string `yaml:"email"`
	Firstname string `yaml:"firstname"`
	Lastname  string `yaml:"lastname"`
	Realm     string `yaml:"realm"`
	State     string `yaml:"state"`
	AddedOn   string `yaml:"addedOn"`
	LastAuthn string `yaml:"lastAuthn"`
	MFA       string `yaml:"mfa"`
}

// ServiceIDFixture is one service ID in a fixture.
type ServiceIDFixture struct {
	ID string `yaml:"id"`
	// Group is a serviceIDGroups id; empty: the default group.
	Group       string `yaml:"group"`
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	Locked      bool   `yaml:"locked"`
	CreatedAt   string `yaml:"createdAt"`
	LastAuthn   string `yaml:"lastAuthn"`
}

// APIKeyFixture is one API key in a fixture. Owner is the iam_id of a user or
// service ID (of the fixture or the generated base).
type APIKeyFixture struct {
	ID          string `yaml:"id"`
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	Owner       string `yaml:"owner"`
	Locked      bool   `yaml:"locked"`
	Disabled    bool   `yaml:"disabled"`
	CreatedAt   string `yaml:"createdAt"`
	ExpiresAt   string `yaml:"expiresAt"`
	LastAuthn   string `yaml:"lastAuthn"`
}

// AccessGroupFixture is one access group in a fixture; Members and
// DynamicMembers are iam_ids.
type AccessGroupFixture struct {
	ID             string        `yaml:"id"`
	Name           string        `yaml:"name"`
	Description    string        `yaml:"description"`
	Members        []string      `yaml:"members"`
	DynamicMembers []string      `yaml:"dynamicMembers"`
	Rules          []RuleFixture `yaml:"rules"`
}

// RuleFixture is a dynamic rule of an access group in a fixture.
type RuleFixture struct {
	Name       string      `yaml:"name"`
	RealmName  string      `yaml:"realmName"`
	Expiration int64       `yaml:"expiration"`
	Conditions []Condition `yaml:"conditions"`
}

// CustomRoleFixture is a custom role in a fixture.
type CustomRoleFixture struct {
	Name        string   `yaml:"name"`
	DisplayName string   `yaml:"displayName"`
	ServiceName string   `yaml:"serviceName"`
	Actions     []string `yaml:"actions"`
}

// PolicyFixture is one access policy in a fixture.
type PolicyFixture struct {
	ID          string `yaml:"id"`
	IAMID       string `yaml:"iamID"`
	AccessGroup string `yaml:"accessGroupID"`
	Role        string `yaml:"role"`
	// Roles are further roles (display names or custom role names).
	Roles   []string `yaml:"roles"`
	Service string   `yaml:"service"`
	// Resource holds further resource attributes, e.g. serviceType: service.
	Resource     map[string]string `yaml:"resource"`
	Template     bool              `yaml:"template"`
	LastPermitAt string            `yaml:"lastPermitAt"`
	// LastPermitFrequency defaults to 1 when LastPermitAt is set.
	LastPermitFrequency int64  `yaml:"lastPermitFrequency"`
	CreatedAt           string `yaml:"createdAt"`
}

func (st *IdentityState) generate(w *World, spec Spec, rng *rand.Rand) {
	st.Anchor = time.Now().UTC().Truncate(24 * time.Hour)
	g := identityGen{w: w, st: st, rng: rng, spec: spec}
	g.run()
	st.reindex()
}

func (st *IdentityState) apply(w *World, fx IdentitiesFixture) error {
	if fx.Anchor != "" {
		t, err := time.Parse(time.RFC3339, fx.Anchor)
		if err != nil {
			return fmt.Errorf("anchor: %w", err)
		}
		st.Anchor = t.UTC()
	}
	if err := st.applyFixture(w, fx); err != nil {
		return err
	}
	st.reindex()
	return nil
}
