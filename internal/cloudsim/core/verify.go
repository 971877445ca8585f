package core

// VerifyToken checks an IAM access token the way every route's chain does
// (signature with the current key, expiry on the emulator's clock) and returns
// its caller. Emulated services with their own listener and access model
// (internal/cloudsim/cos, internal/cloudsim/events) authenticate through it.
func (s *Server) VerifyToken(tok string) (*Caller, error) { return s.verifyAccessToken(tok) }
