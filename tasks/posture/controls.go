package posture

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/trustjob/trustjob/internal/iamread"
)

// Benchmark is the prefix of every control id: CIS IBM Cloud Foundations
// Benchmark v1.0.0 (v1.1.0 keeps the same section 1 titles).
const Benchmark = "CIS-IBM-1.0.0"

// Verdicts of a control, as written in the status column.
const (
	Pass   = "pass"
	Fail   = "fail"
	Manual = "manual"
	Error  = "error"
)

// Control is one recommendation of the benchmark's IAM section.
type Control struct {
	// ID is the recommendation number, e.g. "1.5".
	ID    string
	Title string
	// Severity is how much a failure matters (info, low, medium, high,
	// critical): trustjob's rating; CIS rates every item Level 1.
	Severity string
	// Needs lists the facts Eval reads, so a run gathers only what the
	// controls that are not waived need.
	Needs []fact
	// Eval decides the verdict; nil for a control no API answers.
	Eval func(f *Facts, o *Options) Verdict
	// Check is what a person should check, for manual controls (and the
	// manual part of automated ones).
	Check string
}

// Key is the control's full id, e.g. CIS-IBM-1.0.0/1.5.
func (c Control) Key() string { return Benchmark + "/" + c.ID }

// Verdict is a control's outcome.
type Verdict struct {
	Status string
	Reason string
	// Evidence lists each failing identity or setting (and, for passing
	// controls, what the pass rests on when that is short).
	Evidence []Evidence
}

// Evidence is one identity, policy or setting behind a verdict.
type Evidence struct {
	Kind   string // apikey, user, serviceid, policy, setting, accessgroup
	ID     string
	Name   string
	Detail string
}

// fact is something the controls read from the account.
type fact int

const (
	factOwner fact = iota
	factSettings
	factMFAReport
	factOwnerMFA
	factActivity
	factKeys
	factUsers
	factGroups // groups and their members
	factPolicies
	factPublicAccess
	numFacts
)

var factNames = [numFacts]string{"account owner", "account settings", "MFA report", "owner's MFA status", "activity report",
	"API keys", "users", "access groups", "policies", "public access setting"}

// Facts is what a run read from the account. Each list holds only what the
// controls need; an Err field says why a fact is missing, and the controls
// that need it report `error` with that reason.
type Facts struct {
	Now time.Time

	Owner    string
	Settings iamread.Settings
	MFA      iamread.MFAReport
	OwnerMFA iamread.MFAUser
	// Inactive maps an inactive identity's id (API key id, user iam_id) to its
	// last authentication (nil: never) from the activity report.
	Inactive       map[string]*time.Time
	ActivityWindow time.Duration
	Keys           []iamread.APIKey
	Users          []iamread.User
	Groups         map[string]iamread.Group
	// MemberOf maps an iam_id to the access groups it belongs to.
	MemberOf map[string][]string
	// Policies are the policies some control looks at: direct ones (subject
	// iam_id), administrator ones, support ones and the Public Access group's.
	Policies     []iamread.Policy
	PublicAccess bool

	Errs [numFacts]error
}

// missing is the first unavailable fact among needs, as a verdict.
func (f *Facts) missing(needs []fact) (Verdict, bool) {
	for _, n := range needs {
		if err := f.Errs[n]; err != nil {
			return Verdict{Status: Error, Reason: fmt.Sprintf("could not read the %s: %v", factNames[n], err)}, true
		}
	}
	return Verdict{}, false
}

// Evaluate decides one control: manual when no API answers it, error when
// a fact it needs could not be read, else its rule.
func Evaluate(c Control, f *Facts, o *Options) Verdict {
	if c.Eval == nil {
		return Verdict{Status: Manual, Reason: "not answerable through the APIs; check by hand: " + c.Check}
	}
	if v, ok := f.missing(c.Needs); ok {
		return v
	}
	return c.Eval(f, o)
}

// Controls are section 1 of the benchmark, in order.
var Controls = []Control{
	{ID: "1.1", Title: "Monitor account owner for frequent, unexpected, or unauthorized logins", Severity: "medium",
		Check: "route IAM login events (Activity Tracker Event Routing / Cloud Logs) to a target and alert on the account owner's logins (action iam-identity.user-apikey.login / iam-identity.user.login with the owner's iam_id)"},
	{ID: "1.2", Title: "Ensure API keys unused for 180 days are detected and optionally disabled", Severity: "medium",
		Needs: []fact{factActivity, factKeys}, Eval: evalUnusedKeys},
	{ID: "1.3", Title: "Ensure API keys are rotated every 90 days", Severity: "medium",
		Needs: []fact{factActivity, factKeys}, Eval: evalKeyAge},
	{ID: "1.4", Title: "Restrict user API key creation and service ID creation in the account via IAM roles", Severity: "medium",
		Needs: []fact{factSettings}, Eval: evalRestrictCreation},
	{ID: "1.5", Title: "Ensure no owner account API key exists", Severity: "high",
		Needs: []fact{factOwner, factKeys}, Eval: evalOwnerKeys},
	{ID: "1.6", Title: "Ensure compliance with IBM Cloud password requirements", Severity: "medium",
		Check: "IBMid enforces IBM's password rules; for federated users confirm the corporate IdP's password policy meets yours"},
	{ID: "1.7", Title: "Ensure multi-factor authentication (MFA) is enabled for all users in account", Severity: "high",
		Needs: []fact{factSettings, factMFAReport}, Eval: evalMFAUsers},
	{ID: "1.8", Title: "Ensure multi-factor authentication (MFA) is enabled for the account owner", Severity: "critical",
		Needs: []fact{factOwner, factOwnerMFA}, Eval: evalOwnerMFA},
	{ID: "1.9", Title: "Ensure multi-factor authentication (MFA) is enabled at the account level", Severity: "high",
		Needs: []fact{factSettings}, Eval: evalAccountMFA},
	{ID: "1.10", Title: "Ensure contact email is valid", Severity: "low",
		Check: "in Manage > Account > Account settings, confirm the account's contact e-mail reaches a monitored mailbox"},
	{ID: "1.11", Title: "Ensure contact phone number is valid", Severity: "low",
		Check: "in Manage > Account > Account settings, confirm the contact phone number reaches the people responsible for the account"},
	{ID: "1.12", Title: "Ensure IAM users are members of access groups and IAM policies are assigned only to access groups", Severity: "low",
		Needs: []fact{factUsers, factGroups, factPolicies}, Eval: evalGroupsOnly},
	{ID: "1.13", Title: "Ensure a support access group has been created to manage incidents with IBM Support", Severity: "low",
		Needs: []fact{factGroups, factPolicies}, Eval: evalSupportGroup},
	{ID: "1.14", Title: "Minimize the number of users with admin privileges in the account", Severity: "high",
		Needs: []fact{factGroups, factPolicies}, Eval: evalAdminUsers},
	{ID: "1.15", Title: "Minimize the number of Service IDs with admin privileges in the account", Severity: "high",
		Needs: []fact{factGroups, factPolicies}, Eval: evalAdminServiceIDs},
	{ID: "1.16", Title: "Ensure IAM does not allow public access to Cloud Object Storage", Severity: "high",
		Needs: []fact{factPublicAccess, factPolicies}, Eval: evalPublicAccess},
	{ID: "1.17", Title: "Ensure inactive user accounts are suspended", Severity: "medium",
		Needs: []fact{factActivity, factUsers}, Eval: evalInactiveUsers},
	{ID: "1.18", Title: "Enable audit logging for IBM Cloud Identity and Access Management", Severity: "high",
		Check: "in Activity Tracker Event Routing, confirm a route whose rule covers the `global` location sends IAM events to a target you retain (GET /api/v2/routes)"},
	{ID: "1.19", Title: "Ensure identity federation is set up with a corporate IdP", Severity: "medium",
		Check: "in Manage > Access (IAM) > Identity providers, confirm an active App ID / IBMid federation with the corporate IdP (IBMid federation set up through IBM support is not visible in the API)"},
}

// ControlByID finds a control by its number ("1.5") or full id.
func ControlByID(id string) (Control, bool) {
	id = strings.TrimPrefix(id, Benchmark+"/")
	for _, c := range Controls {
		if c.ID == id {
			return c, true
		}
	}
	return Control{}, false
}

// count says "1 key" or "2 keys".
func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func days(d time.Duration) int { return int(d / (24 * time.Hour)) }

func fmtTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// unusedSince is when an inactive key's window starts: its last use, else
// (never used) its creation.
func unusedSince(k iamread.APIKey, last *time.Time) time.Time {
	if last != nil {
		return *last
	}
	return k.CreatedAt
}

// staleKey reports whether an enabled key has gone unused for o.UnusedFor:
// listed in the activity report and its last use (or, never used, its
// creation) older than the window.
func staleKey(f *Facts, o *Options, k iamread.APIKey) (time.Time, bool) {
	last, inactive := f.Inactive[k.ID]
	if !inactive || k.Disabled {
		return time.Time{}, false
	}
	since := unusedSince(k, last)
	return since, !since.IsZero() && f.Now.Sub(since) >= o.UnusedFor.D()
}

func evalUnusedKeys(f *Facts, o *Options) Verdict {
	var ev []Evidence
	for _, k := range f.Keys {
		since, stale := staleKey(f, o, k)
		if !stale {
			continue
		}
		detail := fmt.Sprintf("owner %s; last used %s (%d days ago)", k.IAMID, fmtTime(since), days(f.Now.Sub(since)))
		if f.Inactive[k.ID] == nil {
			detail = fmt.Sprintf("owner %s; never used, created %s (%d days ago)", k.IAMID, fmtTime(since), days(f.Now.Sub(since)))
		}
		ev = append(ev, Evidence{Kind: "apikey", ID: k.ID, Name: k.Name, Detail: detail})
	}
	if len(ev) > 0 {
		return Verdict{Status: Fail, Evidence: ev,
			Reason: fmt.Sprintf("%s unused for %d days or more; disable them (inactive-identities or apikey-rotation can)", count(len(ev), "enabled API key", "enabled API keys"), days(o.UnusedFor.D()))}
	}
	return Verdict{Status: Pass, Reason: fmt.Sprintf("no enabled API key unused for %d days among %d keys", days(o.UnusedFor.D()), len(f.Keys))}
}

func evalKeyAge(f *Facts, o *Options) Verdict {
	var ev []Evidence
	for _, k := range f.Keys {
		if k.Disabled || k.CreatedAt.IsZero() {
			continue
		}
		if _, stale := staleKey(f, o, k); stale {
			continue // reported under 1.2
		}
		if age := f.Now.Sub(k.CreatedAt); age > o.KeyMaxAge.D() {
			ev = append(ev, Evidence{Kind: "apikey", ID: k.ID, Name: k.Name,
				Detail: fmt.Sprintf("owner %s; created %s (%d days ago)", k.IAMID, fmtTime(k.CreatedAt), days(age))})
		}
	}
	if len(ev) > 0 {
		return Verdict{Status: Fail, Evidence: ev,
			Reason: fmt.Sprintf("%s older than %d days (keys unused for %d days are under 1.2); rotate them", count(len(ev), "enabled API key", "enabled API keys"), days(o.KeyMaxAge.D()), days(o.UnusedFor.D()))}
	}
	return Verdict{Status: Pass, Reason: fmt.Sprintf("every enabled API key is younger than %d days (%d keys)", days(o.KeyMaxAge.D()), len(f.Keys))}
}

func restricted(v string) bool { return v == "RESTRICTED" }

func evalRestrictCreation(f *Facts, _ *Options) Verdict {
	s := f.Settings
	ev := []Evidence{
		{Kind: "setting", ID: "restrict_create_service_id", Detail: s.RestrictCreateServiceID},
		{Kind: "setting", ID: "restrict_create_platform_apikey", Detail: s.RestrictCreateAPIKey},
	}
	var open []string
	if !restricted(s.RestrictCreateServiceID) {
		open = append(open, "service ID creation")
	}
	if !restricted(s.RestrictCreateAPIKey) {
		open = append(open, "user API key creation")
	}
	if len(open) > 0 {
		return Verdict{Status: Fail, Evidence: ev, Reason: strings.Join(open, " and ") + " not restricted in the IAM account settings; set it to RESTRICTED and grant the Service ID creator / User API key creator roles where needed"}
	}
	return Verdict{Status: Pass, Evidence: ev, Reason: "service ID and user API key creation are RESTRICTED to holders of the creator roles"}
}

func evalOwnerKeys(f *Facts, _ *Options) Verdict {
	var ev []Evidence
	for _, k := range f.Keys {
		if k.IAMID == f.Owner {
			state := "enabled"
			if k.Disabled {
				state = "disabled"
			}
			ev = append(ev, Evidence{Kind: "apikey", ID: k.ID, Name: k.Name, Detail: fmt.Sprintf("owned by the account owner %s; %s; created %s", f.Owner, state, fmtTime(k.CreatedAt))})
		}
	}
	if len(ev) > 0 {
		return Verdict{Status: Fail, Evidence: ev, Reason: fmt.Sprintf("the account owner has %s; delete them and automate with service IDs or trusted profiles", count(len(ev), "API key", "API keys"))}
	}
	return Verdict{Status: Pass, Reason: fmt.Sprintf("the account owner (%s) has no API key", f.Owner)}
}

// weakMFA says whether an MFA setting leaves password-only login possible.
func weakMFA(v string) bool {
	return v == "" || v == "NONE" || v == "NONE_NO_ROPC" || v == "NONE_NORPC"
}

func evalAccountMFA(f *Facts, _ *Options) Verdict {
	ev := []Evidence{{Kind: "setting", ID: "mfa", Detail: f.Settings.MFA}}
	switch m := f.Settings.MFA; {
	case weakMFA(m):
		return Verdict{Status: Fail, Evidence: ev, Reason: fmt.Sprintf("account MFA is %q; require MFA for all users (TOTP4ALL or LEVEL1-3)", m)}
	case m == "TOTP":
		return Verdict{Status: Pass, Evidence: ev, Reason: "account MFA is TOTP, which covers non-federated IBMid users only; federated users rely on the IdP's MFA"}
	default:
		return Verdict{Status: Pass, Evidence: ev, Reason: fmt.Sprintf("account MFA is %s", m)}
	}
}

func evalMFAUsers(f *Facts, _ *Options) Verdict {
	var ev []Evidence
	if weakMFA(f.Settings.MFA) {
		ev = append(ev, Evidence{Kind: "setting", ID: "mfa", Detail: fmt.Sprintf("account default %q lets users sign in without MFA", f.Settings.MFA)})
	}
	for _, u := range f.Settings.UserMFA {
		if weakMFA(u.MFA) {
			ev = append(ev, Evidence{Kind: "user", ID: u.IAMID, Name: u.Name, Detail: fmt.Sprintf("user-specific MFA setting %q overrides the account's", u.MFA)})
		}
	}
	noncompliant := 0
	for _, u := range f.MFA.Users {
		if !u.Complies {
			noncompliant++
			detail := "not enrolled in the required MFA"
			if u.Effective != "" {
				detail = fmt.Sprintf("effective MFA %s; not compliant", u.Effective)
			}
			ev = append(ev, Evidence{Kind: "user", ID: u.IAMID, Name: u.Username, Detail: detail})
		}
	}
	if len(ev) > 0 {
		return Verdict{Status: Fail, Evidence: ev, Reason: fmt.Sprintf("%d of %d users in the MFA report do not comply, account MFA %q", noncompliant, len(f.MFA.Users), f.Settings.MFA)}
	}
	return Verdict{Status: Pass, Reason: fmt.Sprintf("all %d users in the MFA report comply; account MFA %s", len(f.MFA.Users), f.Settings.MFA)}
}

func evalOwnerMFA(f *Facts, _ *Options) Verdict {
	u := f.OwnerMFA
	ev := []Evidence{{Kind: "user", ID: f.Owner, Detail: fmt.Sprintf("effective MFA %q, complies %t", u.Effective, u.Complies)}}
	if !u.Complies || (u.Effective != "" && weakMFA(u.Effective)) {
		return Verdict{Status: Fail, Evidence: ev, Reason: "the account owner can sign in without MFA; enrol the owner in TOTP or a security key"}
	}
	return Verdict{Status: Pass, Evidence: ev, Reason: "the account owner signs in with MFA"}
}

func evalGroupsOnly(f *Facts, _ *Options) Verdict {
	var ev []Evidence
	outside := 0
	for _, u := range f.Users {
		if len(f.MemberOf[u.IAMID]) == 0 && u.IAMID != f.Owner {
			outside++
			ev = append(ev, Evidence{Kind: "user", ID: u.IAMID, Name: u.UserID, Detail: "member of no access group"})
		}
	}
	direct := 0
	for _, p := range f.Policies {
		id, kind := p.Subject()
		if kind != iamread.KindUser && kind != iamread.KindServiceID {
			continue
		}
		direct++
		ev = append(ev, Evidence{Kind: "policy", ID: p.ID, Name: id,
			Detail: fmt.Sprintf("assigned directly to %s %s: %s on %s", kind, id, strings.Join(p.RoleNames(), "+"), p.ResourceText())})
	}
	if len(ev) > 0 {
		return Verdict{Status: Fail, Evidence: ev, Reason: fmt.Sprintf("%s in no access group and %s assigned directly to users or service IDs; grant access through access groups", count(outside, "user", "users"), count(direct, "policy", "policies"))}
	}
	return Verdict{Status: Pass, Reason: fmt.Sprintf("all %d users are in access groups and no policy is assigned directly to a user or service ID", len(f.Users))}
}

func evalSupportGroup(f *Facts, _ *Options) Verdict {
	var ev []Evidence
	for _, p := range f.Policies {
		if p.Resource["serviceName"] != "support" || p.SubjectGroupID == "" || p.SubjectGroupID == iamread.PublicAccessGroupID {
			continue
		}
		g := f.Groups[p.SubjectGroupID]
		ev = append(ev, Evidence{Kind: "accessgroup", ID: p.SubjectGroupID, Name: g.Name,
			Detail: fmt.Sprintf("policy %s grants %s on the Support Center; %d members", p.ID, strings.Join(p.RoleNames(), "+"), countMembers(f, p.SubjectGroupID))})
	}
	if len(ev) == 0 {
		return Verdict{Status: Fail, Reason: "no access group has a policy on the Support Center (serviceName=support); create one (Editor to open cases, Viewer to read them) for the people who work with IBM Support"}
	}
	return Verdict{Status: Pass, Evidence: ev, Reason: fmt.Sprintf("%s Support Center access", count(len(ev), "access group holds", "access groups hold"))}
}

func countMembers(f *Facts, groupID string) int {
	n := 0
	for _, gs := range f.MemberOf {
		if slices.Contains(gs, groupID) {
			n++
		}
	}
	return n
}

// AdminLevel reports whether a policy gives account administration:
// Administrator on all Identity and Access enabled services (serviceType
// service), all Account Management services (platform_service), all IAM
// Account Management services (service_group_id IAM), or every resource of
// the account.
func AdminLevel(p iamread.Policy) bool {
	if !p.HasRole("Administrator") {
		return false
	}
	r := p.Resource
	switch {
	case r["serviceType"] == "service" || r["serviceType"] == "platform_service" || r["serviceType"] == "platform-service":
		return narrowless(r, "serviceType")
	case r["service_group_id"] == "IAM":
		return narrowless(r, "service_group_id")
	}
	return narrowless(r)
}

// narrowless: no attribute narrows the policy beyond the given keys.
func narrowless(r map[string]string, allowed ...string) bool {
	for k := range r {
		if k == "accountId" || slices.Contains(allowed, k) {
			continue
		}
		return false
	}
	return true
}

// admins lists the identities of kind holding admin-level access, directly or
// through an access group, with how.
func admins(f *Facts, kind string) map[string][]string {
	out := map[string][]string{}
	groupAdmin := map[string][]string{}
	for _, p := range f.Policies {
		if !AdminLevel(p) {
			continue
		}
		how := fmt.Sprintf("policy %s (%s on %s)", p.ID, strings.Join(p.RoleNames(), "+"), p.ResourceText())
		if p.SubjectGroupID != "" {
			groupAdmin[p.SubjectGroupID] = append(groupAdmin[p.SubjectGroupID], how)
			continue
		}
		if iamread.KindOf(p.SubjectIAMID) == kind {
			out[p.SubjectIAMID] = append(out[p.SubjectIAMID], "direct "+how)
		}
	}
	for id, groups := range f.MemberOf {
		if iamread.KindOf(id) != kind {
			continue
		}
		for _, g := range groups {
			for _, how := range groupAdmin[g] {
				name := f.Groups[g].Name
				out[id] = append(out[id], fmt.Sprintf("via access group %s (%s): %s", name, g, how))
			}
		}
	}
	return out
}

func evalAdmins(f *Facts, kind, noun string, maxN int) Verdict {
	a := admins(f, kind)
	ids := make([]string, 0, len(a))
	for id := range a {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	ev := make([]Evidence, 0, len(ids))
	for _, id := range ids {
		ev = append(ev, Evidence{Kind: kind, ID: id, Detail: strings.Join(a[id], "; ")})
	}
	if len(ids) > maxN {
		return Verdict{Status: Fail, Evidence: ev, Reason: fmt.Sprintf("%d %s hold account administrator access, more than the allowed %d", len(ids), noun, maxN)}
	}
	return Verdict{Status: Pass, Evidence: ev, Reason: fmt.Sprintf("%d %s hold account administrator access (allowed: %d)", len(ids), noun, maxN)}
}

func evalAdminUsers(f *Facts, o *Options) Verdict {
	return evalAdmins(f, iamread.KindUser, "users", o.MaxAdminUsers)
}

func evalAdminServiceIDs(f *Facts, o *Options) Verdict {
	return evalAdmins(f, iamread.KindServiceID, "service IDs", o.MaxAdminServiceIDs)
}

func evalPublicAccess(f *Facts, o *Options) Verdict {
	ev := []Evidence{{Kind: "setting", ID: "public_access_enabled", Detail: fmt.Sprint(f.PublicAccess)}}
	if !f.PublicAccess {
		return Verdict{Status: Pass, Evidence: ev, Reason: "public access is disabled in the access groups settings"}
	}
	cos := 0
	for _, p := range f.Policies {
		if p.SubjectGroupID != iamread.PublicAccessGroupID {
			continue
		}
		onCOS := p.Resource["serviceName"] == "cloud-object-storage" || narrowless(p.Resource)
		if onCOS {
			cos++
		}
		ev = append(ev, Evidence{Kind: "policy", ID: p.ID, Name: "Public Access",
			Detail: fmt.Sprintf("%s on %s (reaches Cloud Object Storage: %t)", strings.Join(p.RoleNames(), "+"), p.ResourceText(), onCOS)})
	}
	if cos > 0 || o.PublicAccess == PublicAccessStrict {
		return Verdict{Status: Fail, Evidence: ev, Reason: fmt.Sprintf("public access is enabled and the Public Access group has %s reaching Cloud Object Storage; disable public access (this deletes the group's policies)", count(cos, "policy", "policies"))}
	}
	return Verdict{Status: Pass, Evidence: ev, Reason: "public access is enabled, but the Public Access group has no policy on Cloud Object Storage"}
}

func evalInactiveUsers(f *Facts, o *Options) Verdict {
	var ev []Evidence
	inactive := 0
	for _, u := range f.Users {
		last, ok := f.Inactive[u.IAMID]
		if !ok {
			continue
		}
		since := u.AddedOn
		if last != nil {
			since = *last
		}
		if since.IsZero() || f.Now.Sub(since) < o.InactiveUserFor.D() {
			continue
		}
		inactive++
		if slices.Contains(o.SuspendedStates, u.State) {
			continue
		}
		detail := fmt.Sprintf("state %s; no login since %s (%d days)", u.State, fmtTime(since), days(f.Now.Sub(since)))
		if last == nil {
			detail = fmt.Sprintf("state %s; never logged in, added %s (%d days ago)", u.State, fmtTime(since), days(f.Now.Sub(since)))
		}
		ev = append(ev, Evidence{Kind: "user", ID: u.IAMID, Name: u.UserID, Detail: detail})
	}
	if len(ev) > 0 {
		return Verdict{Status: Fail, Evidence: ev, Reason: fmt.Sprintf("%s inactive for %d days or more not suspended (%s); suspend or remove them", count(len(ev), "user", "users"), days(o.InactiveUserFor.D()), strings.Join(o.SuspendedStates, ", "))}
	}
	return Verdict{Status: Pass, Reason: fmt.Sprintf("every user inactive for %d days is suspended (%d inactive, %d users)", days(o.InactiveUserFor.D()), inactive, len(f.Users))}
}

// Assessment is one control's row: its verdict, or the waiver that switched
// it off.
type Assessment struct {
	Control Control
	Verdict Verdict
	// Waiver is the reason of the waiver in force ("" when none).
	Waiver string
}

// Assess decides every control in order. A waived control is not evaluated:
// it reads `manual` with the waiver's reason. An expired waiver is noted in
// the reason of the control it no longer covers.
func Assess(f *Facts, o *Options) []Assessment {
	out := make([]Assessment, 0, len(Controls))
	for _, c := range Controls {
		w, active, expired := o.waiver(c.ID, f.Now)
		if active {
			reason := "waived: " + w.Reason
			if w.Until != "" {
				reason += " (until " + w.Until + ")"
			}
			out = append(out, Assessment{Control: c, Waiver: w.Reason, Verdict: Verdict{Status: Manual, Reason: reason}})
			continue
		}
		v := Evaluate(c, f, o)
		if expired != "" {
			v.Reason = expired + "; " + v.Reason
		}
		out = append(out, Assessment{Control: c, Verdict: v})
	}
	return out
}
