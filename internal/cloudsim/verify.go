package cloudsim

// VerifyToken checks an IAM access token the way every emulated service does
// (signature with the current key, expiry on the emulator's clock) and returns
// its caller. Emulated services that live in their own packages
// (internal/cloudsim/cos, internal/cloudsim/events) authenticate through it.
func (s *Sim) VerifyToken(tok string) (*Caller, error) { return s.verifyAccessToken(tok) }
