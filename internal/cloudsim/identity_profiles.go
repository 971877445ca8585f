package cloudsim

import "time"

// identityProfile is what the identity side needs of a trusted profile (owned
// by the IAM part of the emulator): the activity report's profiles section and
// access-group membership.
type identityProfile struct {
	ID, IAMID, Name string
	CreatedAt       time.Time
	LastAuthn       *time.Time
}

// identityProfiles lists the world's trusted profiles. The caller holds the
// world's lock.
func (w *World) identityProfiles() []identityProfile {
	out := make([]identityProfile, 0, len(w.IAM.Profiles))
	for _, p := range w.IAM.Profiles {
		out = append(out, identityProfile{ID: p.ID, IAMID: p.IAMID, Name: p.Name, CreatedAt: p.CreatedAt, LastAuthn: p.LastAuthn})
	}
	return out
}
