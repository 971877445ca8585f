package account

import "time"

// IdentityProfile is what the identity side needs of a trusted profile (owned
// by the IAM part of the emulator): the activity report's profiles section and
// access-group membership.
type IdentityProfile struct {
	ID, IAMID, Name string
	CreatedAt       time.Time
	LastAuthn       *time.Time
}

// IdentityProfiles lists the world's trusted profiles. The caller holds the
// world's lock.
func (w *World) IdentityProfiles() []IdentityProfile {
	out := make([]IdentityProfile, 0, len(w.IAM.Profiles))
	for _, p := range w.IAM.Profiles {
		out = append(out, IdentityProfile{ID: p.ID, IAMID: p.IAMID, Name: p.Name, CreatedAt: p.CreatedAt, LastAuthn: p.LastAuthn})
	}
	return out
}
