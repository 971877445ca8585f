package app

// realServices joins app to the packages that reach outside the process:
// sign-in (wiring_auth.go, internal/auth) and report files (wiring_report.go,
// internal/report). Tests build services with fakes instead.
func realServices() services {
	s := authServices()
	r := reportServices()
	s.newOutput, s.writeJSON = r.newOutput, r.writeJSON
	s.prepareOutput, s.claimAccount = r.prepareOutput, r.claimAccount
	return s
}
