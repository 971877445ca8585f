package account

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// ExemptMarker is the description marker the generator puts on a few API keys
// and service IDs, matching the inactive-identities task's default.
const ExemptMarker = "trustjob:exempt"

// identityGen generates users, service IDs, API keys, access groups and
// policies from a Spec. Everything is drawn from the world's seeded generator,
// so the same Spec gives the same account (relative to its anchor day). It runs
// in linear time: 10,000 keys, 2,000 service IDs and 5,000 users take
// milliseconds.
type identityGen struct {
	w    *World
	st   *IdentityState
	rng  *rand.Rand
	spec Spec
}

var (
	idFirstNames = []string{"Ada", "Ben", "Chloe", "Dev", "Elif", "Femi", "Grace", "Hiro", "Ines", "Jonas",
		"Kavya", "Liam", "Mei", "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tara", "Umar", "Vera", "Wen", "Yusuf"}
	idLastNames = []string{"Adams", "Bauer", "Chen", "Diaz", "Eriksen", "Fischer", "Garcia", "Haddad", "Ito", "Jensen",
		"Kowalski", "Lopez", "Moreau", "Nakamura", "Okafor", "Patel", "Rossi", "Schmidt", "Tanaka", "Varga"}
	idWords = []string{"billing", "ci", "deploy", "backup", "etl", "metrics", "logging", "cos-sync", "dns",
		"scanner", "terraform", "reporting", "ingest", "k8s", "registry", "secrets", "vpn", "search"}
	idRoles    = []string{"Viewer", "Operator", "Editor", "Administrator", "Reader", "Writer", "Manager"}
	idServices = []string{"", "cloud-object-storage", "kms", "containers-kubernetes", "is", "databases-for-postgresql",
		"secrets-manager", "logdna", "iam-identity", "resource-controller"}
	idGroupNames = []string{"admins", "developers", "auditors", "operators", "finance", "support", "data-team", "platform"}
)

func (g *identityGen) run() {
	g.users()
	g.serviceIDs()
	g.serviceIDGroups()
	g.apiKeys()
	g.groups()
	g.policies()
	g.st.PublicAccessEnabled = true
	g.st.MonthlyCost = 100 + float64(g.rng.IntN(500_000))/100
	g.more()
}

// more adds what later features read, after every draw the older ones make,
// so accounts generated before stay the same: the owner, and policies up to
// Spec.Policies.
func (g *identityGen) more() {
	st := g.st
	if len(st.Users) > 0 {
		st.OwnerIAMID = st.Users[0].IAMID
	}
	// The admins group administers the account, as in most accounts.
	for _, grp := range st.AccessGroups {
		if grp.Name == "admins" {
			st.Policies = append(st.Policies, &PolicyRecord{ID: uuid(g.rng), SubjectGroupID: grp.ID, Role: "Administrator",
				Resource: map[string]string{"serviceType": "platform_service"}, CreatedAt: g.daysAgo(600)})
			break
		}
	}
	for i := 0; len(st.Policies) < g.spec.Policies && len(st.AccessGroups) > 0; i++ {
		grp := st.AccessGroups[i%len(st.AccessGroups)]
		p := &PolicyRecord{ID: uuid(g.rng), SubjectGroupID: grp.ID, Role: idRoles[g.rng.IntN(len(idRoles))],
			ServiceName: idServices[g.rng.IntN(len(idServices))], CreatedAt: g.daysAgo(30 + g.rng.Float64()*700),
			Resource: map[string]string{"resourceGroupId": fmt.Sprintf("rg-%04d", i)}}
		if g.rng.IntN(3) > 0 {
			t := g.daysAgo(g.rng.Float64() * 200)
			p.LastPermitAt, p.LastPermitFrequency = &t, 1+int64(g.rng.IntN(100))
		}
		st.Policies = append(st.Policies, p)
	}
}

func (g *identityGen) daysAgo(days float64) time.Time {
	return g.st.Anchor.Add(-time.Duration(days * float64(24*time.Hour))).Truncate(time.Millisecond)
}

// lastAuthn draws a last authentication: a share of InactiveShare is older than
// 90 days or missing (a third of those never authenticated); the rest mostly
// authenticated in the last 25 days, and one in five between 31 and 89 days ago
// (inactive for a 30-day report, not for a 90-day one).
func (g *identityGen) lastAuthn() *time.Time {
	var d float64
	switch {
	case g.rng.Float64() < g.spec.InactiveShare:
		if g.rng.IntN(3) == 0 {
			return nil
		}
		d = 91 + g.rng.Float64()*309
	case g.rng.IntN(5) == 0:
		d = 31 + g.rng.Float64()*58
	default:
		d = g.rng.Float64() * 25
	}
	t := g.daysAgo(d)
	return &t
}

// createdBefore draws a creation time before last (or, when the identity never
// authenticated, 5 to 700 days ago).
func (g *identityGen) createdBefore(last *time.Time) time.Time {
	if last == nil {
		return g.daysAgo(5 + g.rng.Float64()*695)
	}
	return last.Add(-time.Duration((1 + g.rng.Float64()*400) * float64(24*time.Hour))).Truncate(time.Millisecond)
}

func (g *identityGen) ibmID() string {
	const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, 4)
	for i := range b {
		b[i] = alnum[g.rng.IntN(len(alnum))]
	}
	return fmt.Sprintf("IBMid-%06d%s", 100000+g.rng.IntN(900000), b)
}

func (g *identityGen) users() {
	st := g.st
	st.Users = make([]*UserRecord, 0, g.spec.Users)
	for i := 0; i < g.spec.Users; i++ {
		first := idFirstNames[g.rng.IntN(len(idFirstNames))]
		last := idLastNames[g.rng.IntN(len(idLastNames))]
		email := fmt.Sprintf("%s.%s%d@example.com", strings.ToLower(first), strings.ToLower(last), i)
		u := &UserRecord{
			ID: hexID(g.rng, 32), IAMID: g.ibmID(), Realm: "IBMid", UserID: email,
			Firstname: first, Lastname: last, Email: email,
			Phone: fmt.Sprintf("+1 555 %04d", g.rng.IntN(10000)), State: "ACTIVE", MFA: "NONE",
		}
		if g.rng.IntN(20) == 0 {
			u.Realm = "SL"
		}
		switch r := g.rng.IntN(100); {
		case r < 5:
			u.State = "PENDING"
		case r < 7:
			u.State = "VPN_ONLY"
		}
		if g.rng.IntN(3) == 0 {
			u.MFA = "TOTP"
		}
		if u.State != "PENDING" {
			u.LastAuthn = g.lastAuthn()
		}
		u.AddedOn = g.createdBefore(u.LastAuthn)
		st.Users = append(st.Users, u)
	}
}

func (g *identityGen) serviceIDs() {
	st := g.st
	n := g.spec.ServiceIDs
	if n == 0 && g.spec.APIKeys > 0 && g.spec.Users == 0 {
		n = 1 // API keys need an owner
	}
	st.ServiceIDs = make([]*ServiceIDRecord, 0, n)
	for i := 0; i < n; i++ {
		id := uuid(g.rng)
		word := idWords[g.rng.IntN(len(idWords))]
		s := &ServiceIDRecord{
			ID: "ServiceId-" + id, IAMID: "iam-ServiceId-" + id,
			Name:        fmt.Sprintf("%s-svc-%d", word, i),
			Description: "Service ID for " + word,
			Locked:      g.rng.IntN(25) == 0,
			Version:     1,
		}
		if g.rng.IntN(33) == 0 {
			s.Description = ExemptMarker + ": used by the quarterly " + word + " run"
		}
		// A service ID authenticates through its API keys; apiKeys raises this.
		s.CreatedAt = g.daysAgo(30 + g.rng.Float64()*900)
		s.ModifiedAt = s.CreatedAt
		st.ServiceIDs = append(st.ServiceIDs, s)
	}
}

func (g *identityGen) apiKeys() {
	st := g.st
	st.APIKeys = make([]*APIKeyRecord, 0, g.spec.APIKeys)
	if len(st.Users) == 0 && len(st.ServiceIDs) == 0 {
		return
	}
	sidLast := make([]*time.Time, len(st.ServiceIDs))
	for i := 0; i < g.spec.APIKeys; i++ {
		k := &APIKeyRecord{ID: "ApiKey-" + uuid(g.rng), Version: 1}
		useSID := len(st.Users) == 0 || (len(st.ServiceIDs) > 0 && g.rng.IntN(100) < 65)
		word := idWords[g.rng.IntN(len(idWords))]
		if useSID {
			j := g.rng.IntN(len(st.ServiceIDs))
			s := st.ServiceIDs[j]
			k.OwnerIAMID = s.IAMID
			k.Name = fmt.Sprintf("%s-key-%d", s.Name, i)
			k.CreatedBy = s.IAMID
			if len(st.Users) > 0 {
				k.CreatedBy = st.Users[g.rng.IntN(len(st.Users))].IAMID
			}
			k.LastAuthn = g.lastAuthn()
			if k.LastAuthn != nil && (sidLast[j] == nil || k.LastAuthn.After(*sidLast[j])) {
				sidLast[j] = k.LastAuthn
			}
		} else {
			u := st.Users[g.rng.IntN(len(st.Users))]
			k.OwnerIAMID = u.IAMID
			k.CreatedBy = u.IAMID
			k.Name = fmt.Sprintf("%s-%s-key-%d", strings.ToLower(u.Firstname), word, i)
			k.LastAuthn = g.lastAuthn()
		}
		k.Description = "API key for " + word
		if g.rng.IntN(33) == 0 {
			k.Description = "break-glass key, " + ExemptMarker
		}
		k.Locked = g.rng.IntN(20) == 0
		k.Disabled = g.rng.IntN(25) == 0
		k.CreatedAt = g.createdBefore(k.LastAuthn)
		k.ModifiedAt = k.CreatedAt
		if k.LastAuthn != nil {
			k.AuthnCount = 1 + int64(g.rng.IntN(5000))
		}
		if g.rng.IntN(10) < 3 {
			t := g.daysAgo(-365 + g.rng.Float64()*465).Truncate(time.Minute)
			k.ExpiresAt = &t
		}
		st.APIKeys = append(st.APIKeys, k)
	}
	for j, s := range st.ServiceIDs {
		s.LastAuthn = sidLast[j]
		if s.LastAuthn != nil && s.LastAuthn.Before(s.CreatedAt) {
			s.CreatedAt = s.LastAuthn.Add(-24 * time.Hour)
			s.ModifiedAt = s.CreatedAt
		}
	}
}

func (g *identityGen) groups() {
	st := g.st
	st.AccessGroups = make([]*AccessGroupRecord, 0, g.spec.AccessGroups)
	pool := len(st.Users) + len(st.ServiceIDs)
	for i := 0; i < g.spec.AccessGroups; i++ {
		name := idGroupNames[i%len(idGroupNames)]
		if i >= len(idGroupNames) {
			name = fmt.Sprintf("%s-%d", name, i/len(idGroupNames))
		}
		grp := &AccessGroupRecord{
			ID: "AccessGroupId-" + uuid(g.rng), Name: name, Description: "Members of " + name,
			CreatedAt: g.daysAgo(100 + g.rng.Float64()*800),
		}
		if len(st.Users) > 0 {
			grp.CreatedBy = st.Users[g.rng.IntN(len(st.Users))].IAMID
		}
		want := 0
		if pool > 0 {
			want = 1 + g.rng.IntN(min(pool, 25))
		}
		seen := map[string]bool{}
		for len(grp.Members) < want {
			var iamID string
			if j := g.rng.IntN(pool); j < len(st.Users) {
				iamID = st.Users[j].IAMID
			} else {
				iamID = st.ServiceIDs[j-len(st.Users)].IAMID
			}
			if seen[iamID] {
				continue
			}
			seen[iamID] = true
			grp.Members = append(grp.Members, GroupMemberRecord{
				IAMID: iamID, AddedAt: grp.CreatedAt.Add(time.Duration(g.rng.IntN(90*24)) * time.Hour), AddedByID: grp.CreatedBy,
			})
		}
		st.AccessGroups = append(st.AccessGroups, grp)
	}
}

func (g *identityGen) policies() {
	st := g.st
	add := func(subjectIAMID, subjectGroup string) {
		p := &PolicyRecord{
			ID: uuid(g.rng), SubjectIAMID: subjectIAMID, SubjectGroupID: subjectGroup,
			Role: idRoles[g.rng.IntN(len(idRoles))], ServiceName: idServices[g.rng.IntN(len(idServices))],
			CreatedAt: g.daysAgo(30 + g.rng.Float64()*700),
		}
		if len(st.Users) > 0 {
			p.CreatedBy = st.Users[g.rng.IntN(len(st.Users))].IAMID
		}
		switch r := g.rng.IntN(100); {
		case r < 60:
			t := g.daysAgo(g.rng.Float64() * 30)
			p.LastPermitAt, p.LastPermitFrequency = &t, 1+int64(g.rng.IntN(10000))
		case r < 85:
			t := g.daysAgo(90 + g.rng.Float64()*300)
			p.LastPermitAt, p.LastPermitFrequency = &t, 1+int64(g.rng.IntN(50))
		}
		st.Policies = append(st.Policies, p)
	}
	for _, grp := range st.AccessGroups {
		for n := 1 + g.rng.IntN(3); n > 0; n-- {
			add("", grp.ID)
		}
	}
	direct := min(len(st.Users)/20+1, 200)
	for i := 0; i < direct && len(st.Users) > 0; i++ {
		add(st.Users[g.rng.IntN(len(st.Users))].IAMID, "")
	}
	for i := 0; i < min(len(st.ServiceIDs), 50); i++ {
		add(st.ServiceIDs[i].IAMID, "")
	}
}
