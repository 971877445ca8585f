package iamread

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/IBM/go-sdk-core/v5/core"
	"github.com/IBM/platform-services-go-sdk/accountmanagementv4"
	"github.com/IBM/platform-services-go-sdk/iamaccessgroupsv2"
	"github.com/IBM/platform-services-go-sdk/iamidentityv1"
	"github.com/IBM/platform-services-go-sdk/iampolicymanagementv1"
	"github.com/IBM/platform-services-go-sdk/usermanagementv1"
	"github.com/go-openapi/strfmt"
	"github.com/trustjob/trustjob/internal/ibmcloud"
	"github.com/trustjob/trustjob/internal/wait"
)

// pageSize is the page size of every listing: the largest IAM Identity, User
// Management, Access Groups and Policy Management accept.
const pageSize = 100

// Reader reads one account's IAM configuration. Nil APIs are errors when a
// method needs them.
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
}

// ErrNoClient is returned when a method needs an API the Reader lacks.
var ErrNoClient = errors.New("no IBM Cloud client for this call")

// APIKeys streams every API key of the account (users' and service IDs').
func (r *Reader) APIKeys(ctx context.Context, fn func(APIKey) error) error {
	if r.Identity == nil {
		return fmt.Errorf("list API keys: %w", ErrNoClient)
	}
	return ibmcloud.Pages(ctx, "list API keys", func(tok *string) (*string, error) {
		o := &iamidentityv1.ListAPIKeysOptions{AccountID: &r.Account, Scope: core.StringPtr("account"), Pagetoken: tok}
		o.SetPagesize(pageSize)
		res, resp, err := r.Identity.ListAPIKeysWithContext(ctx, o)
		if err != nil {
			return nil, ibmcloud.WrapNeed("list API keys", NeedAPIKeys, resp, err)
		}
		for _, k := range res.Apikeys {
			if err := fn(APIKey{ID: str(k.ID), Name: str(k.Name), Description: str(k.Description), IAMID: str(k.IamID),
				CreatedBy: str(k.CreatedBy), CreatedAt: dt(k.CreatedAt), Locked: boolv(k.Locked), Disabled: boolv(k.Disabled)}); err != nil {
				return nil, err
			}
		}
		return ibmcloud.NextToken(res.Next, "pagetoken")
	})
}

// ServiceIDs streams every service ID of the account.
func (r *Reader) ServiceIDs(ctx context.Context, fn func(ServiceID) error) error {
	if r.Identity == nil {
		return fmt.Errorf("list service IDs: %w", ErrNoClient)
	}
	return ibmcloud.Pages(ctx, "list service IDs", func(tok *string) (*string, error) {
		o := &iamidentityv1.ListServiceIdsOptions{AccountID: &r.Account, Pagetoken: tok}
		o.SetPagesize(pageSize)
		res, resp, err := r.Identity.ListServiceIdsWithContext(ctx, o)
		if err != nil {
			return nil, ibmcloud.WrapNeed("list service IDs", NeedServiceIDs, resp, err)
		}
		for _, s := range res.Serviceids {
			if err := fn(ServiceID{ID: str(s.ID), IAMID: str(s.IamID), Name: str(s.Name), Description: str(s.Description), Locked: boolv(s.Locked)}); err != nil {
				return nil, err
			}
		}
		return ibmcloud.NextToken(res.Next, "pagetoken")
	})
}

// Profiles streams every trusted profile of the account.
func (r *Reader) Profiles(ctx context.Context, fn func(Profile) error) error {
	if r.Identity == nil {
		return fmt.Errorf("list trusted profiles: %w", ErrNoClient)
	}
	return ibmcloud.Pages(ctx, "list trusted profiles", func(tok *string) (*string, error) {
		o := &iamidentityv1.ListProfilesOptions{AccountID: &r.Account, Pagetoken: tok}
		o.SetPagesize(pageSize)
		res, resp, err := r.Identity.ListProfilesWithContext(ctx, o)
		if err != nil {
			return nil, ibmcloud.WrapNeed("list trusted profiles", NeedProfiles, resp, err)
		}
		for _, p := range res.Profiles {
			if err := fn(Profile{ID: str(p.ID), IAMID: str(p.IamID), Name: str(p.Name), Description: str(p.Description)}); err != nil {
				return nil, err
			}
		}
		return ibmcloud.NextToken(res.Next, "pagetoken")
	})
}

// ProfileIdentities lists who may assume a trusted profile (users, service
// IDs and CRNs allowed to use it).
func (r *Reader) ProfileIdentities(ctx context.Context, profileID string) ([]Member, error) {
	if r.Identity == nil {
		return nil, fmt.Errorf("list identities of profile %s: %w", profileID, ErrNoClient)
	}
	res, resp, err := r.Identity.GetProfileIdentitiesWithContext(ctx, &iamidentityv1.GetProfileIdentitiesOptions{ProfileID: &profileID})
	if err != nil {
		return nil, ibmcloud.WrapNeed("list identities of profile "+profileID, NeedProfiles, resp, err)
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
	return ibmcloud.Pages(ctx, "list users", func(tok *string) (*string, error) {
		o := &usermanagementv1.ListUsersOptions{AccountID: &r.Account, Start: tok}
		o.SetLimit(pageSize)
		res, resp, err := r.UserMgmt.ListUsersWithContext(ctx, o)
		if err != nil {
			return nil, ibmcloud.WrapNeed("list users", NeedUsers, resp, err)
		}
		for _, u := range res.Resources {
			added, _ := ParseTime(str(u.AddedOn))
			if err := fn(User{IAMID: str(u.IamID), UserID: str(u.UserID), Email: str(u.Email), State: str(u.State), AddedOn: added}); err != nil {
				return nil, err
			}
		}
		return ibmcloud.NextToken(res.NextURL, "_start")
	})
}

// Groups streams every access group, the Public Access group included.
func (r *Reader) Groups(ctx context.Context, fn func(Group) error) error {
	if r.Access == nil {
		return fmt.Errorf("list access groups: %w", ErrNoClient)
	}
	return ibmcloud.Pages(ctx, "list access groups", func(tok *string) (*string, error) {
		o := &iamaccessgroupsv2.ListAccessGroupsOptions{AccountID: &r.Account}
		o.SetLimit(pageSize)
		if err := setOffset(tok, func(n int64) { o.SetOffset(n) }); err != nil {
			return nil, err
		}
		res, resp, err := r.Access.ListAccessGroupsWithContext(ctx, o)
		if err != nil {
			return nil, ibmcloud.WrapNeed("list access groups", NeedGroups, resp, err)
		}
		for _, g := range res.Groups {
			if err := fn(Group{ID: str(g.ID), Name: str(g.Name), Description: str(g.Description), Federated: boolv(g.IsFederated)}); err != nil {
				return nil, err
			}
		}
		return nextHref(res.Next)
	})
}

// Members streams the members of an access group, static and dynamic.
func (r *Reader) Members(ctx context.Context, groupID string, fn func(Member) error) error {
	if r.Access == nil {
		return fmt.Errorf("list members of %s: %w", groupID, ErrNoClient)
	}
	what := "list members of access group " + groupID
	return ibmcloud.Pages(ctx, what, func(tok *string) (*string, error) {
		o := &iamaccessgroupsv2.ListAccessGroupMembersOptions{AccessGroupID: &groupID, MembershipType: core.StringPtr("all")}
		o.SetLimit(pageSize)
		if err := setOffset(tok, func(n int64) { o.SetOffset(n) }); err != nil {
			return nil, err
		}
		res, resp, err := r.Access.ListAccessGroupMembersWithContext(ctx, o)
		if err != nil {
			return nil, ibmcloud.WrapNeed(what, NeedGroups, resp, err)
		}
		for _, m := range res.Members {
			if err := fn(Member{IAMID: str(m.IamID), Type: str(m.Type), MembershipType: str(m.MembershipType), Name: str(m.Name)}); err != nil {
				return nil, err
			}
		}
		return nextHref(res.Next)
	})
}

// Rules lists the dynamic rules of an access group (not paged by the API).
func (r *Reader) Rules(ctx context.Context, groupID string) ([]Rule, error) {
	if r.Access == nil {
		return nil, fmt.Errorf("list rules of %s: %w", groupID, ErrNoClient)
	}
	res, resp, err := r.Access.ListAccessGroupRulesWithContext(ctx, &iamaccessgroupsv2.ListAccessGroupRulesOptions{AccessGroupID: &groupID})
	if err != nil {
		return nil, ibmcloud.WrapNeed("list rules of access group "+groupID, NeedGroups, resp, err)
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
	if err != nil {
		return false, ibmcloud.WrapNeed("read access groups settings", NeedGroups, resp, err)
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
	return ibmcloud.Pages(ctx, "list policies", func(tok *string) (*string, error) {
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
		res, resp, err := r.Policy.ListV2PoliciesWithContext(ctx, o)
		if err != nil {
			return nil, ibmcloud.WrapNeed("list policies", NeedPolicies, resp, err)
		}
		for i := range res.Policies {
			p := FromV2(&res.Policies[i])
			p.LastPermitKnown = f.LastPermit
			if err := fn(p); err != nil {
				return nil, err
			}
		}
		if res.Next == nil || res.Next.Start == nil || *res.Next.Start == "" {
			return nil, nil
		}
		return res.Next.Start, nil
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
	if err != nil {
		return nil, ibmcloud.WrapNeed("list roles", NeedRoles, resp, err)
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
	if err != nil {
		return Settings{}, ibmcloud.WrapNeed("read account settings", NeedSettings, resp, err)
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
	if err != nil {
		return "", ibmcloud.WrapNeed("read the account (owner)", NeedOwner, resp, err)
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
	if err != nil {
		return MFAUser{}, ibmcloud.WrapNeed("read MFA status of "+iamID, NeedMFAReport, resp, err)
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

// MFAReport creates the MFA enrollment report and polls until it is ready.
func (r *Reader) MFAReport(ctx context.Context) (MFAReport, error) {
	if r.Identity == nil {
		return MFAReport{}, fmt.Errorf("MFA report: %w", ErrNoClient)
	}
	var rep MFAReport
	create := func() (string, error) {
		res, resp, err := r.Identity.CreateMfaReportWithContext(ctx, &iamidentityv1.CreateMfaReportOptions{AccountID: &r.Account, Type: core.StringPtr("mfa_status")})
		if err != nil {
			return "", ibmcloud.WrapNeed("create the MFA report", NeedMFAReport, resp, err)
		}
		return str(res.Reference), nil
	}
	get := func(ref string) (bool, int, error) {
		res, resp, err := r.Identity.GetMfaReportWithContext(ctx, &iamidentityv1.GetMfaReportOptions{AccountID: &r.Account, Reference: &ref})
		if err != nil {
			return false, ibmcloud.ResponseStatus(resp, err), ibmcloud.WrapNeed("read the MFA report", NeedMFAReport, resp, err)
		}
		if resp.StatusCode == http.StatusNoContent || res == nil {
			return false, resp.StatusCode, nil
		}
		rep.Reference, rep.ReportTime = str(res.Reference), str(res.ReportTime)
		for _, u := range res.Users {
			m := MFAUser{IAMID: str(u.IamID), Username: str(u.Username), Email: str(u.Email)}
			m.Effective, m.Complies = mfaOf(u.IDBasedMfa, u.AccountBasedMfa)
			rep.Users = append(rep.Users, m)
		}
		return true, resp.StatusCode, nil
	}
	polls, err := r.poll(ctx, "MFA report", create, get)
	rep.Polls = polls
	return rep, err
}

// ActivityReport creates the inactive-identities report for duration and
// polls until it is ready.
func (r *Reader) ActivityReport(ctx context.Context, duration time.Duration) (ActivityReport, error) {
	if r.Identity == nil {
		return ActivityReport{}, fmt.Errorf("activity report: %w", ErrNoClient)
	}
	rep := ActivityReport{Duration: duration}
	hours := strconv.Itoa(int(duration / time.Hour))
	create := func() (string, error) {
		res, resp, err := r.Identity.CreateReportWithContext(ctx, &iamidentityv1.CreateReportOptions{AccountID: &r.Account, Type: core.StringPtr("inactive"), Duration: &hours})
		if err != nil {
			return "", ibmcloud.WrapNeed("create the inactive-identities report", NeedReport, resp, err)
		}
		return str(res.Reference), nil
	}
	get := func(ref string) (bool, int, error) {
		res, resp, err := r.Identity.GetReportWithContext(ctx, &iamidentityv1.GetReportOptions{AccountID: &r.Account, Reference: &ref})
		if err != nil {
			return false, ibmcloud.ResponseStatus(resp, err), ibmcloud.WrapNeed("read the inactive-identities report", NeedReport, resp, err)
		}
		if resp.StatusCode == http.StatusNoContent || res == nil {
			return false, resp.StatusCode, nil
		}
		rep.Reference = str(res.Reference)
		for _, u := range res.Users {
			rep.Items = append(rep.Items, Activity{Kind: KindUser, ID: str(u.IamID), IAMID: str(u.IamID), Name: str(u.Username), LastAuthn: timePtr(u.LastAuthn)})
		}
		for _, k := range res.Apikeys {
			a := Activity{Kind: "apikey", ID: str(k.ID), Name: str(k.Name), LastAuthn: timePtr(k.LastAuthn)}
			if k.Serviceid != nil {
				a.IAMID = "iam-" + str(k.Serviceid.ID)
			} else if k.User != nil {
				a.IAMID = str(k.User.IamID)
			}
			rep.Items = append(rep.Items, a)
		}
		for _, s := range res.Serviceids {
			rep.Items = append(rep.Items, Activity{Kind: KindServiceID, ID: str(s.ID), IAMID: "iam-" + str(s.ID), Name: str(s.Name), LastAuthn: timePtr(s.LastAuthn)})
		}
		for _, p := range res.Profiles {
			rep.Items = append(rep.Items, Activity{Kind: KindProfile, ID: str(p.ID), IAMID: "iam-" + str(p.ID), Name: str(p.Name), LastAuthn: timePtr(p.LastAuthn)})
		}
		return true, resp.StatusCode, nil
	}
	polls, err := r.poll(ctx, "inactive-identities report", create, get)
	rep.Polls = polls
	return rep, err
}

// poll creates a report and reads it until ready: 204 means not yet; a 404
// means a newer report replaced it (IAM keeps only the latest), so it is
// created once more.
func (r *Reader) poll(ctx context.Context, what string, create func() (string, error), get func(ref string) (bool, int, error)) (int, error) {
	interval, maxInterval := r.PollInterval, r.PollMax
	if interval <= 0 {
		interval = 5 * time.Second
	}
	if maxInterval < interval {
		maxInterval = max(interval, 30*time.Second)
	}
	sleep := r.Sleep
	if sleep == nil {
		sleep = wait.Sleep
	}
	ref, err := create()
	if err != nil {
		return 0, err
	}
	polls, recreated := 0, false
	for {
		ready, code, err := get(ref)
		polls++
		switch {
		case err != nil && code == http.StatusNotFound && !recreated:
			recreated = true
			if ref, err = create(); err != nil {
				return polls, err
			}
			continue
		case err != nil:
			return polls, err
		case ready:
			return polls, nil
		}
		if err := sleep(ctx, interval); err != nil {
			return polls, fmt.Errorf("wait for the %s (reference %s, %d polls): %w", what, ref, polls, err)
		}
		interval = min(interval+interval/2, maxInterval)
	}
}

func setOffset(tok *string, set func(int64)) error {
	if tok == nil {
		return nil
	}
	n, err := strconv.ParseInt(*tok, 10, 64)
	if err != nil || n < 0 {
		return fmt.Errorf("invalid offset %q in the next link", *tok)
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

func timePtr(s *string) *time.Time {
	if s == nil {
		return nil
	}
	if t, ok := ParseTime(*s); ok {
		return &t
	}
	return nil
}

// ParseTime reads the date forms IAM writes (RFC 3339 with or without
// fractions, "+0000" zones, minutes-only expires_at) leniently.
func ParseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.000Z0700", "2006-01-02T15:04:05Z0700", "2006-01-02T15:04Z0700", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}
