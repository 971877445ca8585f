package account

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestIdentityGenerateDeterministicAndSpread(t *testing.T) {
	spec := Spec{Seed: 42, Users: 300, ServiceIDs: 80, APIKeys: 500, Profiles: 4, InactiveShare: 0.4, AccessGroups: 6}
	a, b := Generate(spec), Generate(spec)
	ia, ib := &a.Identities, &b.Identities
	if len(ia.Users) != 300 || len(ia.ServiceIDs) != 80 || len(ia.APIKeys) != 500 || len(ia.AccessGroups) != 6 {
		t.Fatalf("sizes: %d users %d service IDs %d keys %d groups", len(ia.Users), len(ia.ServiceIDs), len(ia.APIKeys), len(ia.AccessGroups))
	}
	for i := range ia.APIKeys {
		ka, kb := ia.APIKeys[i], ib.APIKeys[i]
		if ka.ID != kb.ID || ka.OwnerIAMID != kb.OwnerIAMID || !ka.CreatedAt.Equal(kb.CreatedAt) || (ka.LastAuthn == nil) != (kb.LastAuthn == nil) {
			t.Fatalf("key %d differs between two generations of the same spec", i)
		}
	}

	var never, recent, old, mid, exempt, locked, disabled int
	for _, k := range ia.APIKeys {
		if ia.UserByIAMID(k.OwnerIAMID) == nil && ia.ServiceIDByIAMID(k.OwnerIAMID) == nil {
			t.Fatalf("key %s has no owner", k.ID)
		}
		if k.LastAuthn != nil && k.CreatedAt.After(*k.LastAuthn) {
			t.Fatalf("key %s used before it was created", k.ID)
		}
		switch age := ia.Anchor.Sub(derefTime(k.LastAuthn)); {
		case k.LastAuthn == nil:
			never++
		case age < 30*24*time.Hour:
			recent++
		case age > 90*24*time.Hour:
			old++
		default:
			mid++
		}
		if strings.Contains(k.Description, ExemptMarker) {
			exempt++
		}
		if k.Locked {
			locked++
		}
		if k.Disabled {
			disabled++
		}
	}
	for name, n := range map[string]int{"never used": never, "recent": recent, "over 90 days": old, "31-90 days": mid,
		"exempt": exempt, "locked": locked, "disabled": disabled} {
		if n == 0 {
			t.Errorf("no API key is %s: the spread should cover it", name)
		}
	}
	if share := float64(never+old) / 500; share < 0.3 || share > 0.5 {
		t.Errorf("inactive share %.2f, want about 0.4", share)
	}
	// A service ID's activity is that of its newest key.
	for _, s := range ia.ServiceIDs {
		var newest *time.Time
		for _, k := range ia.APIKeys {
			if k.OwnerIAMID == s.IAMID && k.LastAuthn != nil && (newest == nil || k.LastAuthn.After(*newest)) {
				newest = k.LastAuthn
			}
		}
		if (newest == nil) != (s.LastAuthn == nil) || (newest != nil && !newest.Equal(*s.LastAuthn)) {
			t.Fatalf("service ID %s last_authn %v, its newest key %v", s.ID, s.LastAuthn, newest)
		}
	}
}

func derefTime(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

func TestIdentityFixture(t *testing.T) {
	dir := t.TempDir()
	write := func(body string) string {
		p := filepath.Join(dir, "fx.yaml")
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	w, err := LoadFixture(write(`
generate: {seed: 3}
identities:
  anchor: "2026-03-01T00:00:00Z"
  users:
    - {iamID: IBMid-100000AAAA, email: ana@example.com, firstname: Ana, lastname: Ng, lastAuthn: now-200d}
  serviceIDs:
    - {id: ServiceId-batch, name: batch, description: "trustjob:exempt yearly", lastAuthn: never}
  apiKeys:
    - {id: ApiKey-one, name: ana-key, owner: IBMid-100000AAAA, lastAuthn: "2025-01-02T03:04:05Z", disabled: true}
    - {id: ApiKey-two, name: batch-key, owner: iam-ServiceId-batch, createdAt: now-400d}
  accessGroups:
    - {id: AccessGroupId-ops, name: ops, members: [IBMid-100000AAAA, iam-ServiceId-batch]}
  policies:
    - {iamID: IBMid-100000AAAA, role: Editor, service: kms, lastPermitAt: now-100d}
`))
	if err != nil {
		t.Fatal(err)
	}
	st := &w.Identities
	u := st.UserByIAMID("IBMid-100000AAAA")
	if u == nil || !u.LastAuthn.Equal(time.Date(2025, 8, 13, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("user = %+v", u)
	}
	if k := st.APIKeyByID("ApiKey-one"); k == nil || !k.Disabled || k.LastAuthn.Year() != 2025 {
		t.Errorf("key one = %+v", k)
	}
	if k := st.APIKeyByID("ApiKey-two"); k == nil || k.LastAuthn != nil || !k.CreatedAt.Equal(time.Date(2025, 1, 25, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("key two = %+v", k)
	}
	if g := st.AccessGroupByID("AccessGroupId-ops"); g == nil || len(g.Members) != 2 {
		t.Errorf("group = %+v", g)
	}
	if len(st.Policies) != 1 || st.Policies[0].LastPermitAt == nil {
		t.Errorf("policies = %+v", st.Policies)
	}

	for body, want := range map[string]string{
		"identities: {apiKeys: [{owner: IBMid-nobody}]}":                       "neither a user's nor a service ID's",
		"identities: {users: [{lastAuthn: yesterday}]}":                        "use RFC 3339",
		"identities: {serviceIDs: [{id: Batch}]}":                              "must start with ServiceId-",
		"identities: {policies: [{role: Viewer}]}":                             "exactly one of iamID and accessGroupID",
		"identities: {users: [{iamID: IBMid-X}, {iamID: IBMid-X}]}":            "duplicate user",
		"identities: {users: [{iamID: IBMid-X, lastAuthn: now-1x}]}":           "now-1x",
		"identities: {unknownKey: 1}":                                          "unknownKey",
		"identities: {apiKeys: [{owner: IBMid-X}], users: [{iamID: IBMid-Y}]}": "IBMid-X",
	} {
		if _, err := LoadFixture(write(body)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("fixture %q: err = %v, want it to mention %q", body, err, want)
		}
	}
}

func BenchmarkIdentityGenerate(b *testing.B) {
	spec := Spec{Seed: 1, Users: 5000, ServiceIDs: 2000, APIKeys: 10000, Profiles: 20, InactiveShare: 0.3, AccessGroups: 20}
	for b.Loop() {
		Generate(spec)
	}
}
