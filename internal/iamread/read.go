package iamread

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/IBM/go-sdk-core/v5/core"
	"github.com/IBM/platform-services-go-sdk/accountmanagementv4"
	"github.com/IBM/platform-services-go-sdk/iamaccessgroupsv2"
	"github.com/IBM/platform-services-go-sdk/iamidentityv1"
	"github.com/IBM/platform-services-go-sdk/iampolicymanagementv1"
	"github.com/IBM/platform-services-go-sdk/usermanagementv1"
	"github.com/go-openapi/strfmt"
	"github.com/trustjob/trustjob/internal/ibmcloud"
	"github.com/trustjob/trustjob/internal/progress"
)

// pageSize is the page size of every listing: the largest IAM Identity, User
// Management, Access Groups and Policy Management accept.
const pageSize = 100

// Reader reads one account's IAM configuration. Nil APIs are errors when a
// method needs them. Its methods may run concurrently.
type Reader struct {
	Account  string
	Identity IdentityAPI
	Access   GroupsAPI
	Policy   PolicyAPI
	UserMgmt UsersAPI
	Accounts AccountAPI
	// PollInterval is the first wait between report polls; it grows by half up
	// to PollMax. Defaults 5 s and 30 s.
	PollInterval, PollMax time.Duration
	// Sleep waits between polls (a test seam); nil sleeps.
	Sleep func(context.Context, time.Duration) error
	// Log gets the poller's warnings; nil discards them.
	Log *slog.Logger
	// Progress, when set, counts every listing page and its rows.
	Progress *progress.Tracker

	groupsOnce sync.Once
	groups     []string
	groupsErr  error
}

// ErrNoClient is returned when a method needs an API the Reader lacks.
var ErrNoClient = errors.New("no IBM Cloud client for this call")

// each is ibmcloud.EachPage, counting each page and its rows for progress.
func each[P any](ctx context.Context, r *Reader, what, need string,
	fetch func(tok *string) (*P, *core.DetailedResponse, error), use func(page *P) (rows int, next *string, err error)) error {
	return ibmcloud.EachPage(ctx, what, need, fetch, func(page *P) (*string, error) {
		n, next, err := use(page)
		if r.Progress != nil {
			r.Progress.Add(1, n)
		}
		return next, err
	})
}

// ServiceIDGroups lists the account's service-ID groups once per Reader
// (ibmcloud.ServiceIDGroups): nil when the account has only the default one.
// IAM answers ListServiceIds and ListAPIKeys without group_id for the default
// group only, so with more groups those listings run once per group.
func (r *Reader) ServiceIDGroups(ctx context.Context) ([]string, error) {
	if r.Identity == nil {
		return nil, fmt.Errorf("list service-ID groups: %w", ErrNoClient)
	}
	r.groupsOnce.Do(func() {
		r.groups, r.groupsErr = ibmcloud.ServiceIDGroups(ctx, r.Identity, r.Account, NeedSIDGroups)
	})
	return r.groups, r.groupsErr
}

// APIKeys streams every API key of the account (users' and service IDs').
// Without service-ID groups that is one listing; with them, users' keys once
// (type=user) and service IDs' keys per group (type=serviceid, group_id), so
// no page is fetched twice whichever way IAM treats users' keys under a
// group_id.
func (r *Reader) APIKeys(ctx context.Context, fn func(APIKey) error) error {
	groups, err := r.ServiceIDGroups(ctx)
	if err != nil {
		return err
	}
	list := func(what, typ string, group *string) error {
		return each(ctx, r, what, NeedAPIKeys,
			func(tok *string) (*iamidentityv1.APIKeyList, *core.DetailedResponse, error) {
				o := &iamidentityv1.ListAPIKeysOptions{AccountID: &r.Account, Pagetoken: tok, GroupID: group}
				o.SetScope("account").SetPagesize(pageSize)
				if typ != "" {
					o.SetType(typ)
				}
				return r.Identity.ListAPIKeysWithContext(ctx, o)
			},
			func(page *iamidentityv1.APIKeyList) (int, *string, error) {
				for _, k := range page.Apikeys {
					if err := fn(APIKey{ID: str(k.ID), Name: str(k.Name), Description: str(k.Description), IAMID: str(k.IamID),
						CreatedBy: str(k.CreatedBy), CreatedAt: dt(k.CreatedAt), Locked: boolv(k.Locked), Disabled: boolv(k.Disabled)}); err != nil {
						return 0, nil, err
					}
				}
				next, err := ibmcloud.NextToken(page.Next, "pagetoken")
				return len(page.Apikeys), next, err
			})
	}
	if len(groups) == 0 {
		return list("list API keys", "", nil)
	}
	if err := list("list users' API keys", "user", nil); err != nil {
		return err
	}
	for _, g := range groups {
		if err := list("list API keys of service-ID group "+g, "serviceid", &g); err != nil {
			return err
		}
	}
	return nil
}

// ServiceIDs streams every service ID of the account, group by group when it
// has more than the default group.
func (r *Reader) ServiceIDs(ctx context.Context, fn func(ServiceID) error) error {
	groups, err := r.ServiceIDGroups(ctx)
	if err != nil {
		return err
	}
	list := func(what string, group *string) error {
		return each(ctx, r, what, NeedServiceIDs,
			func(tok *string) (*iamidentityv1.ServiceIDList, *core.DetailedResponse, error) {
				o := &iamidentityv1.ListServiceIdsOptions{AccountID: &r.Account, Pagetoken: tok, GroupID: group}
				o.SetPagesize(pageSize)
				return r.Identity.ListServiceIdsWithContext(ctx, o)
			},
			func(page *iamidentityv1.ServiceIDList) (int, *string, error) {
				for _, s := range page.Serviceids {
					if err := fn(ServiceID{ID: str(s.ID), IAMID: str(s.IamID), Name: str(s.Name), Description: str(s.Description),
						CreatedAt: dt(s.CreatedAt), Locked: boolv(s.Locked)}); err != nil {
						return 0, nil, err
					}
				}
				next, err := ibmcloud.NextToken(page.Next, "pagetoken")
				return len(page.Serviceids), next, err
			})
	}
	if len(groups) == 0 {
		return list("list service IDs", nil)
	}
	for _, g := range groups {
		if err := list("list service IDs of group "+g, &g); err != nil {
			return err
		}
	}
	return nil
}

// Profiles streams every trusted profile of the account.
func (r *Reader) Profiles(ctx context.Context, fn func(Profile) error) error {
	if r.Identity == nil {
		return fmt.Errorf("list trusted profiles: %w", ErrNoClient)
	}
	return each(ctx, r, "list trusted profiles", NeedProfiles,
		func(tok *string) (*iamidentityv1.TrustedProfilesList, *core.DetailedResponse, error) {
			o := &iamidentityv1.ListProfilesOptions{AccountID: &r.Account, Pagetoken: tok}
			o.SetPagesize(pageSize)
			return r.Identity.ListProfilesWithContext(ctx, o)
		},
		func(page *iamidentityv1.TrustedProfilesList) (int, *string, error) {
			for _, p := range page.Profiles {
				if err := fn(Profile{ID: str(p.ID), IAMID: str(p.IamID), Name: str(p.Name), Description: str(p.Description),
					CreatedAt: dt(p.CreatedAt)}); err != nil {
					return 0, nil, err
				}
			}
			next, err := ibmcloud.NextToken(page.Next, "pagetoken")
			return len(page.Profiles), next, err
		})
}

// ProfileIdentities lists who may assume a trusted profile (users, service
// IDs and CRNs allowed to use it).
func (r *Reader) ProfileIdentities(ctx context.Context, profileID string) ([]Member, error) {
	if r.Identity == nil {
		return nil, fmt.Errorf("list identities of profile %s: %w", profileID, ErrNoClient)
	}
	res, resp, err := r.Identity.GetProfileIdentitiesWithContext(ctx, &iamidentityv1.GetProfileIdentitiesOptions{ProfileID: &profileID})
	if err := ibmcloud.Answered("list identities of profile "+profileID, NeedProfiles, res, resp, err); err != nil {
		return nil, err
	}
	var out []Member
	for _, id := range res.Identities {
		out = append(out, Member{IAMID: str(id.IamID), Type: str(id.Type), Name: str(id.Identifier)})
	}
	return out, nil
}

// Users streams every user of the account.
func (r *Reader) Users(ctx context.Context, fn func(User) error) error {
	if r.UserMgmt == nil {
		return fmt.Errorf("list users: %w", ErrNoClient)
	}
	return each(ctx, r, "list users", NeedUsers,
		func(tok *string) (*usermanagementv1.UserList, *core.DetailedResponse, error) {
			o := &usermanagementv1.ListUsersOptions{AccountID: &r.Account, Start: tok}
			o.SetLimit(pageSize)
			return r.UserMgmt.ListUsersWithContext(ctx, o)
		},
		func(page *usermanagementv1.UserList) (int, *string, error) {
			for _, u := range page.Resources {
				added, _ := ParseTime(str(u.AddedOn))
				if err := fn(User{IAMID: str(u.IamID), UserID: str(u.UserID), Email: str(u.Email), State: str(u.State), AddedOn: added}); err != nil {
					return 0, nil, err
				}
			}
			next, err := ibmcloud.NextToken(page.NextURL, "_start")
			return len(page.Resources), next, err
		})
}

// Groups streams every access group, the Public Access group included.
func (r *Reader) Groups(ctx context.Context, fn func(Group) error) error {
	if r.Access == nil {
		return fmt.Errorf("list access groups: %w", ErrNoClient)
	}
	const what = "list access groups"
	return each(ctx, r, what, NeedGroups,
		func(tok *string) (*iamaccessgroupsv2.GroupsList, *core.DetailedResponse, error) {
			o := &iamaccessgroupsv2.ListAccessGroupsOptions{AccountID: &r.Account}
			o.SetLimit(pageSize)
			if err := setOffset(tok, what, o.SetOffset); err != nil {
				return nil, nil, err
			}
			return r.Access.ListAccessGroupsWithContext(ctx, o)
		},
		func(page *iamaccessgroupsv2.GroupsList) (int, *string, error) {
			for _, g := range page.Groups {
				if err := fn(Group{ID: str(g.ID), Name: str(g.Name), Description: str(g.Description), Federated: boolv(g.IsFederated)}); err != nil {
					return 0, nil, err
				}
			}
			next, err := nextHref(page.Next)
			return len(page.Groups), next, err
		})
}

// Members streams the members of an access group, static and dynamic.
func (r *Reader) Members(ctx context.Context, groupID string, fn func(Member) error) error {
	return r.members(ctx, groupID, "all", fn)
}

// StaticMembers streams the members added to an access group (not those a
// dynamic rule lets in): the ones RemoveMemberFromAllAccessGroups removes.
func (r *Reader) StaticMembers(ctx context.Context, groupID string, fn func(Member) error) error {
	return r.members(ctx, groupID, "static", fn)
}

func (r *Reader) members(ctx context.Context, groupID, membership string, fn func(Member) error) error {
	if r.Access == nil {
		return fmt.Errorf("list members of %s: %w", groupID, ErrNoClient)
	}
	what := "list members of access group " + groupID
	return each(ctx, r, what, NeedGroups,
		func(tok *string) (*iamaccessgroupsv2.GroupMembersList, *core.DetailedResponse, error) {
			o := &iamaccessgroupsv2.ListAccessGroupMembersOptions{AccessGroupID: &groupID, MembershipType: &membership}
			o.SetLimit(pageSize)
			if err := setOffset(tok, what, o.SetOffset); err != nil {
				return nil, nil, err
			}
			return r.Access.ListAccessGroupMembersWithContext(ctx, o)
		},
		func(page *iamaccessgroupsv2.GroupMembersList) (int, *string, error) {
			for _, m := range page.Members {
				if err := fn(Member{IAMID: str(m.IamID), Type: str(m.Type), MembershipType: str(m.MembershipType), Name: str(m.Name)}); err != nil {
					return 0, nil, err
				}
			}
			next, err := nextHref(page.Next)
			return len(page.Members), next, err
		})
}

// Rules lists the dynamic rules of an access group (not paged by the API).
func (r *Reader) Rules(ctx context.Context, groupID string) ([]Rule, error) {
	if r.Access == nil {
		return nil, fmt.Errorf("list rules of %s: %w", groupID, ErrNoClient)
	}
	res, resp, err := r.Access.ListAccessGroupRulesWithContext(ctx, &iamaccessgroupsv2.ListAccessGroupRulesOptions{AccessGroupID: &groupID})
	if err := ibmcloud.Answered("list rules of access group "+groupID, NeedGroups, res, resp, err); err != nil {
		return nil, err
	}
	out := make([]Rule, 0, len(res.Rules))
	for _, ru := range res.Rules {
		var conds []string
		for _, c := range ru.Conditions {
			conds = append(conds, str(c.Claim)+" "+str(c.Operator)+" "+str(c.Value))
		}
		var exp int64
		if ru.Expiration != nil {
			exp = *ru.Expiration
		}
		out = append(out, Rule{ID: str(ru.ID), Name: str(ru.Name), RealmName: str(ru.RealmName), Expiration: exp, Conditions: conds})
	}
	return out, nil
}

// PublicAccessEnabled reads the Access Groups account setting.
func (r *Reader) PublicAccessEnabled(ctx context.Context) (bool, error) {
	if r.Access == nil {
		return false, fmt.Errorf("read access groups settings: %w", ErrNoClient)
	}
	res, resp, err := r.Access.GetAccountSettingsWithContext(ctx, &iamaccessgroupsv2.GetAccountSettingsOptions{AccountID: &r.Account})
	if err := ibmcloud.Answered("read access groups settings", NeedGroups, res, resp, err); err != nil {
		return false, err
	}
	return boolv(res.PublicAccessEnabled), nil
}

// PolicyFilter narrows a policy listing.
type PolicyFilter struct {
	IAMID, AccessGroupID, ServiceName, ServiceType string
	// LastPermit asks for last_permit_at and last_permit_frequency.
	LastPermit bool
}

// Policies streams the account's access policies (v2 listing, which also
// returns v1 policies; the v1 listing returns placeholders for v2 ones).
func (r *Reader) Policies(ctx context.Context, f PolicyFilter, fn func(Policy) error) error {
	if r.Policy == nil {
		return fmt.Errorf("list policies: %w", ErrNoClient)
	}
	return each(ctx, r, "list policies", NeedPolicies,
		func(tok *string) (*iampolicymanagementv1.V2PolicyCollection, *core.DetailedResponse, error) {
			o := &iampolicymanagementv1.ListV2PoliciesOptions{AccountID: &r.Account, Type: core.StringPtr("access"), Start: tok}
			o.SetLimit(pageSize)
			if f.IAMID != "" {
				o.SetIamID(f.IAMID)
			}
			if f.AccessGroupID != "" {
				o.SetAccessGroupID(f.AccessGroupID)
			}
			if f.ServiceName != "" {
				o.SetServiceName(f.ServiceName)
			}
			if f.ServiceType != "" {
				o.SetServiceType(f.ServiceType)
			}
			if f.LastPermit {
				o.SetFormat("include_last_permit")
			}
			return r.Policy.ListV2PoliciesWithContext(ctx, o)
		},
		func(page *iampolicymanagementv1.V2PolicyCollection) (int, *string, error) {
			for i := range page.Policies {
				p := FromV2(&page.Policies[i])
				p.LastPermitKnown = f.LastPermit
				if err := fn(p); err != nil {
					return 0, nil, err
				}
			}
			if page.Next == nil || page.Next.Start == nil || *page.Next.Start == "" {
				return len(page.Policies), nil, nil
			}
			return len(page.Policies), page.Next.Start, nil
		})
}

// FromV2 flattens a v2 policy.
func FromV2(v *iampolicymanagementv1.V2PolicyTemplateMetaData) Policy {
	p := Policy{ID: str(v.ID), Type: str(v.Type), State: str(v.State), CreatedBy: str(v.CreatedByID),
		CreatedAt: dt(v.CreatedAt), Template: v.Template != nil, HasConditions: v.Rule != nil, Resource: map[string]string{}}
	if v.Subject != nil {
		for _, a := range v.Subject.Attributes {
			switch str(a.Key) {
			case "iam_id":
				p.SubjectIAMID = fmt.Sprint(a.Value)
			case "access_group_id":
				p.SubjectGroupID = fmt.Sprint(a.Value)
			}
		}
	}
	if v.Resource != nil {
		for _, a := range v.Resource.Attributes {
			val := fmt.Sprint(a.Value)
			if str(a.Operator) == "stringExists" {
				val = "*"
			}
			p.Resource[str(a.Key)] = val
		}
	}
	if c, ok := v.Control.(*iampolicymanagementv1.ControlResponse); ok && c.Grant != nil {
		for _, ro := range c.Grant.Roles {
			p.Roles = append(p.Roles, str(ro.RoleID))
		}
	}
	if v.LastPermitAt != nil {
		if t, ok := ParseTime(*v.LastPermitAt); ok {
			p.LastPermitAt = &t
		}
	}
	if v.LastPermitFrequency != nil {
		p.LastPermitFrequency = *v.LastPermitFrequency
	}
	return p
}

// CustomRole is an account's custom role.
type CustomRole struct {
	ID, Name, DisplayName, ServiceName, CRN string
	Actions                                 []string
}

// CustomRoles lists the account's custom roles (one request; not paged).
func (r *Reader) CustomRoles(ctx context.Context) ([]CustomRole, error) {
	if r.Policy == nil {
		return nil, fmt.Errorf("list roles: %w", ErrNoClient)
	}
	res, resp, err := r.Policy.ListRolesWithContext(ctx, &iampolicymanagementv1.ListRolesOptions{AccountID: &r.Account})
	if err := ibmcloud.Answered("list roles", NeedRoles, res, resp, err); err != nil {
		return nil, err
	}
	out := make([]CustomRole, 0, len(res.CustomRoles))
	for _, c := range res.CustomRoles {
		out = append(out, CustomRole{ID: str(c.ID), Name: str(c.Name), DisplayName: str(c.DisplayName), ServiceName: str(c.ServiceName), CRN: str(c.CRN), Actions: c.Actions})
	}
	return out, nil
}

// Settings reads the IAM Identity account settings in effect: an enterprise
// account settings template can override the account's own, so the effective
// values are what the controls judge.
func (r *Reader) Settings(ctx context.Context) (Settings, error) {
	if r.Identity == nil {
		return Settings{}, fmt.Errorf("read account settings: %w", ErrNoClient)
	}
	res, resp, err := r.Identity.GetEffectiveAccountSettingsWithContext(ctx, &iamidentityv1.GetEffectiveAccountSettingsOptions{AccountID: &r.Account})
	if err := ibmcloud.Answered("read account settings", NeedSettings, res, resp, err); err != nil {
		return Settings{}, err
	}
	e := res.Effective
	if e == nil {
		return Settings{}, errors.New("read account settings: the answer has no effective settings")
	}
	s := Settings{MFA: str(e.Mfa), RestrictCreateServiceID: str(e.RestrictCreateServiceID),
		RestrictCreateAPIKey: str(e.RestrictCreatePlatformApikey), SessionExpirationSeconds: str(e.SessionExpirationInSeconds),
		AllowedIPAddresses: str(e.AllowedIPAddresses)}
	for _, u := range e.UserMfa {
		s.UserMFA = append(s.UserMFA, UserMFA{IAMID: str(u.IamID), MFA: str(u.Mfa), Name: str(u.Name)})
	}
	return s, nil
}

// Owner reads the account owner's iam_id.
func (r *Reader) Owner(ctx context.Context) (string, error) {
	if r.Accounts == nil {
		return "", fmt.Errorf("read the account: %w", ErrNoClient)
	}
	res, resp, err := r.Accounts.GetAccountWithContext(ctx, &accountmanagementv4.GetAccountOptions{AccountID: &r.Account})
	if err := ibmcloud.Answered("read the account (owner)", NeedOwner, res, resp, err); err != nil {
		return "", err
	}
	if str(res.OwnerIamid) == "" {
		return "", errors.New("read the account (owner): the answer names no owner_iamid")
	}
	return *res.OwnerIamid, nil
}

// MFAStatus reads one user's MFA enrollment.
func (r *Reader) MFAStatus(ctx context.Context, iamID string) (MFAUser, error) {
	if r.Identity == nil {
		return MFAUser{}, fmt.Errorf("read MFA status: %w", ErrNoClient)
	}
	res, resp, err := r.Identity.GetMfaStatusWithContext(ctx, &iamidentityv1.GetMfaStatusOptions{AccountID: &r.Account, IamID: &iamID})
	if err := ibmcloud.Answered("read MFA status of "+iamID, NeedMFAReport, res, resp, err); err != nil {
		return MFAUser{}, err
	}
	u := MFAUser{IAMID: str(res.IamID)}
	u.Effective, u.Complies = mfaOf(res.IDBasedMfa, res.AccountBasedMfa)
	return u, nil
}

func mfaOf(id *iamidentityv1.IDBasedMfaEnrollment, acct *iamidentityv1.AccountBasedMfaEnrollment) (string, bool) {
	eff, ok := "", false
	if id != nil {
		eff = str(id.TraitEffective)
		ok = boolv(id.Complies)
	}
	if acct != nil && boolv(acct.Complies) {
		ok = true
	}
	return eff, ok
}

// setOffset applies an offset page token (from a next href) to options.
func setOffset[T any](tok *string, what string, set func(int64) T) error {
	if tok == nil {
		return nil
	}
	n, err := strconv.ParseInt(*tok, 10, 64)
	if err != nil || n < 0 {
		return fmt.Errorf("%s: bad offset %q in the next link", what, *tok)
	}
	set(n)
	return nil
}

func nextHref(h *iamaccessgroupsv2.HrefStruct) (*string, error) {
	if h == nil {
		return nil, nil
	}
	return ibmcloud.NextToken(h.Href, "offset")
}

func str(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func boolv(b *bool) bool { return b != nil && *b }

func dt(t *strfmt.DateTime) time.Time {
	if t == nil {
		return time.Time{}
	}
	return time.Time(*t).UTC()
}

// New is a Reader over a run's clients (nil clients stay nil interfaces, so
// a method that needs one says so instead of crashing).
func New(c *ibmcloud.Clients, account string) *Reader {
	r := &Reader{Account: account}
	if c == nil {
		return r
	}
	if c.IAMIdentity != nil {
		r.Identity = c.IAMIdentity
	}
	if c.AccessGroups != nil {
		r.Access = c.AccessGroups
	}
	if c.PolicyManagement != nil {
		r.Policy = c.PolicyManagement
	}
	if c.UserManagement != nil {
		r.UserMgmt = c.UserManagement
	}
	if c.AccountManagement != nil {
		r.Accounts = c.AccountManagement
	}
	return r
}

// TrackProgress counts the Reader's listing pages and rows and logs a
// progress line every interval (0: none) until stop is called or ctx ends.
func (r *Reader) TrackProgress(ctx context.Context, log *slog.Logger, interval time.Duration) (stop func()) {
	if r.Progress == nil {
		r.Progress = &progress.Tracker{}
	}
	return progress.Start(ctx, log, interval, r.Progress)
}
