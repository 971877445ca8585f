package account

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// applyFixture adds a fixture's identities to the generated base. Missing ids
// are generated deterministically from the world's seed.
func (st *IdentityState) applyFixture(w *World, fx IdentitiesFixture) error {
	rng := rand.New(rand.NewPCG(w.Seed, 0x6669787475726573)) //nolint:gosec // deterministic test data
	st.reindex()
	if fx.PublicAccess != nil {
		st.PublicAccessEnabled = *fx.PublicAccess
	}
	if fx.MonthlyCost != nil {
		st.MonthlyCost = *fx.MonthlyCost
	}
	if fx.Owner != "" {
		st.OwnerIAMID = fx.Owner
	}
	for _, c := range fx.CustomRoles {
		if c.Name == "" || c.ServiceName == "" || len(c.Actions) == 0 {
			return fmt.Errorf("customRoles: name, serviceName and actions are required")
		}
		dn := c.DisplayName
		if dn == "" {
			dn = c.Name
		}
		st.CustomRoles = append(st.CustomRoles, &CustomRoleRecord{ID: uuid(rng), Name: c.Name, DisplayName: dn,
			ServiceName: c.ServiceName, Actions: c.Actions, CreatedAt: st.Anchor.AddDate(0, -3, 0)})
	}
	for i, f := range fx.Users {
		if err := st.fixtureUser(rng, f); err != nil {
			return fmt.Errorf("users[%d]: %w", i, err)
		}
	}
	if err := st.fixtureServiceIDGroups(w, fx.ServiceIDGroups); err != nil {
		return err
	}
	for i, f := range fx.ServiceIDs {
		if err := st.fixtureServiceID(rng, f); err != nil {
			return fmt.Errorf("serviceIDs[%d]: %w", i, err)
		}
	}
	for i, f := range fx.APIKeys {
		if err := st.fixtureAPIKey(rng, f); err != nil {
			return fmt.Errorf("apiKeys[%d]: %w", i, err)
		}
	}
	for i, f := range fx.AccessGroups {
		if err := st.fixtureGroup(rng, f); err != nil {
			return fmt.Errorf("accessGroups[%d]: %w", i, err)
		}
	}
	for i, f := range fx.Policies {
		if err := st.fixturePolicy(rng, f); err != nil {
			return fmt.Errorf("policies[%d]: %w", i, err)
		}
	}
	return nil
}

// fixtureTime reads a fixture time: "" or "never" (nil), "now", "now-45d",
// "now-36h", "now+10d", or RFC 3339.
func (st *IdentityState) fixtureTime(s string) (*time.Time, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "" || s == "never":
		return nil, nil
	case s == "now":
		t := st.Anchor
		return &t, nil
	case strings.HasPrefix(s, "now-") || strings.HasPrefix(s, "now+"):
		d, err := idFixtureDuration(s[4:])
		if err != nil {
			return nil, fmt.Errorf("time %q: %w", s, err)
		}
		if s[3] == '-' {
			d = -d
		}
		t := st.Anchor.Add(d)
		return &t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return nil, fmt.Errorf("time %q: use RFC 3339, now, now-45d or never", s)
	}
	t = t.UTC()
	return &t, nil
}

func idFixtureDuration(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		var n int
		if _, err := fmt.Sscanf(days, "%d", &n); err != nil || n < 0 || fmt.Sprint(n) != days {
			return 0, fmt.Errorf("bad day count %q", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}

// fixtureCreated reads a creation time, defaulting to a day before last (or a
// year before the anchor).
func (st *IdentityState) fixtureCreated(s string, last *time.Time) (time.Time, error) {
	t, err := st.fixtureTime(s)
	if err != nil {
		return time.Time{}, err
	}
	if t != nil {
		return *t, nil
	}
	if last != nil {
		return last.Add(-24 * time.Hour), nil
	}
	return st.Anchor.AddDate(-1, 0, 0), nil
}

func (st *IdentityState) fixtureUser(rng *rand.Rand, f UserFixture) error {
	last, err := st.fixtureTime(f.LastAuthn)
	if err != nil {
		return err
	}
	added, err := st.fixtureCreated(f.AddedOn, last)
	if err != nil {
		return err
	}
	u := &UserRecord{
		ID: hexID(rng, 32), IAMID: f.IAMID, Realm: f.Realm, UserID: f.Email, Email: f.Email,
		Firstname: f.Firstname, Lastname: f.Lastname, State: f.State, AddedOn: added, LastAuthn: last, MFA: f.MFA,
	}
	if u.IAMID == "" {
		u.IAMID = "IBMid-" + strings.ToUpper(hexID(rng, 10))
	}
	if st.userByIAMID[u.IAMID] != nil {
		return fmt.Errorf("duplicate user %s", u.IAMID)
	}
	if u.Realm == "" {
		u.Realm = "IBMid"
	}
	if u.State == "" {
		u.State = "ACTIVE"
	}
	if u.MFA == "" {
		u.MFA = "NONE"
	}
	if u.Email == "" {
		u.Email = strings.ToLower(u.IAMID) + "@example.com"
		u.UserID = u.Email
	}
	st.Users = append(st.Users, u)
	st.userByIAMID[u.IAMID] = u
	return nil
}

func (st *IdentityState) fixtureServiceID(rng *rand.Rand, f ServiceIDFixture) error {
	last, err := st.fixtureTime(f.LastAuthn)
	if err != nil {
		return err
	}
	created, err := st.fixtureCreated(f.CreatedAt, last)
	if err != nil {
		return err
	}
	id := f.ID
	if id == "" {
		id = "ServiceId-" + uuid(rng)
	}
	if !strings.HasPrefix(id, "ServiceId-") {
		return fmt.Errorf("service ID id %q must start with ServiceId-", id)
	}
	if st.sidByID[id] != nil {
		return fmt.Errorf("duplicate service ID %s", id)
	}
	s := &ServiceIDRecord{
		ID: id, IAMID: "iam-" + id, Name: f.Name, Description: f.Description, Locked: f.Locked,
		CreatedAt: created, ModifiedAt: created, LastAuthn: last, Version: 1, GroupID: f.Group,
	}
	if f.Group != "" && st.ServiceIDGroupByID(f.Group) == nil {
		return fmt.Errorf("group %q is not in serviceIDGroups", f.Group)
	}
	if s.Name == "" {
		s.Name = strings.ToLower(id)
	}
	st.ServiceIDs = append(st.ServiceIDs, s)
	st.sidByID[s.ID], st.sidByIAMID[s.IAMID] = s, s
	return nil
}

func (st *IdentityState) fixtureAPIKey(rng *rand.Rand, f APIKeyFixture) error {
	if st.userByIAMID[f.Owner] == nil && st.sidByIAMID[f.Owner] == nil {
		return fmt.Errorf("owner %q is neither a user's nor a service ID's iam_id", f.Owner)
	}
	last, err := st.fixtureTime(f.LastAuthn)
	if err != nil {
		return err
	}
	created, err := st.fixtureCreated(f.CreatedAt, last)
	if err != nil {
		return err
	}
	exp, err := st.fixtureTime(f.ExpiresAt)
	if err != nil {
		return err
	}
	id := f.ID
	if id == "" {
		id = "ApiKey-" + uuid(rng)
	}
	if st.keyByID[id] != nil {
		return fmt.Errorf("duplicate API key %s", id)
	}
	k := &APIKeyRecord{
		ID: id, Name: f.Name, Description: f.Description, OwnerIAMID: f.Owner, CreatedBy: f.Owner,
		Locked: f.Locked, Disabled: f.Disabled, CreatedAt: created, ModifiedAt: created,
		ExpiresAt: exp, LastAuthn: last, Version: 1,
	}
	if last != nil {
		k.AuthnCount = 1
	}
	if k.Name == "" {
		k.Name = strings.ToLower(id)
	}
	st.APIKeys = append(st.APIKeys, k)
	st.keyByID[k.ID] = k
	return nil
}

func (st *IdentityState) fixtureGroup(rng *rand.Rand, f AccessGroupFixture) error {
	id := f.ID
	if id == "" {
		id = "AccessGroupId-" + uuid(rng)
	}
	if st.groupByID[id] != nil {
		return fmt.Errorf("duplicate access group %s", id)
	}
	g := &AccessGroupRecord{ID: id, Name: f.Name, Description: f.Description, CreatedAt: st.Anchor.AddDate(-1, 0, 0)}
	if g.Name == "" {
		g.Name = id
	}
	for _, m := range f.Members {
		g.Members = append(g.Members, GroupMemberRecord{IAMID: m, AddedAt: g.CreatedAt})
	}
	for _, m := range f.DynamicMembers {
		g.Members = append(g.Members, GroupMemberRecord{IAMID: m, AddedAt: st.Anchor.AddDate(0, 0, -1), Dynamic: true})
	}
	for _, r := range f.Rules {
		if r.RealmName == "" || len(r.Conditions) == 0 {
			return fmt.Errorf("rule %q: realmName and conditions are required", r.Name)
		}
		exp := r.Expiration
		if exp == 0 {
			exp = 12
		}
		g.Rules = append(g.Rules, GroupRuleRecord{ID: "ClaimRule-" + uuid(rng), Name: r.Name, RealmName: r.RealmName,
			Expiration: exp, Conditions: r.Conditions, CreatedAt: g.CreatedAt, CreatedBy: g.CreatedBy})
	}
	st.AccessGroups = append(st.AccessGroups, g)
	st.groupByID[id] = g
	return nil
}

func (st *IdentityState) fixturePolicy(rng *rand.Rand, f PolicyFixture) error {
	if (f.IAMID == "") == (f.AccessGroup == "") {
		return fmt.Errorf("set exactly one of iamID and accessGroupID")
	}
	last, err := st.fixtureTime(f.LastPermitAt)
	if err != nil {
		return err
	}
	created := st.Anchor.AddDate(-1, 0, 0)
	if f.CreatedAt != "" {
		t, err := st.fixtureTime(f.CreatedAt)
		if err != nil || t == nil {
			return fmt.Errorf("createdAt %q: use RFC 3339 or now-400d", f.CreatedAt)
		}
		created = *t
	}
	p := &PolicyRecord{
		ID: f.ID, SubjectIAMID: f.IAMID, SubjectGroupID: f.AccessGroup, Role: f.Role, Roles: f.Roles, ServiceName: f.Service,
		Resource: f.Resource, Template: f.Template, CreatedAt: created, LastPermitAt: last,
	}
	if p.ID == "" {
		p.ID = uuid(rng)
	}
	if p.Role == "" {
		p.Role = "Viewer"
	}
	if last != nil {
		p.LastPermitFrequency = max(f.LastPermitFrequency, 1)
	}
	st.Policies = append(st.Policies, p)
	return nil
}
