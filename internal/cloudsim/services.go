package cloudsim

// Service names: used in the request log, for counters, and to choose the error
// body shape. They match trustjob's own service names in run-summary.json.
const (
	ServiceIAMToken         = "iam-token"
	ServiceIAMIdentity      = "iam-identity"
	ServiceResourceCtl      = "resource-controller"
	ServiceResourceMgr      = "resource-manager"
	ServiceGlobalSearch     = "global-search"
	ServiceGlobalTagging    = "global-tagging"
	ServiceUserManagement   = "user-management"
	ServiceAccessGroups     = "iam-access-groups"
	ServicePolicyManagement = "iam-policy-management"
	ServiceUsageReports     = "usage-reports"
	ServiceSimControl       = "cloudsim"
)

// routes registers every emulated endpoint. Each service family registers its
// own routes in its own file.
func (s *Sim) routes() {
	s.routesIAMToken()  // iamtoken.go: /identity/token, keys, openid config
	s.routesProfiles()  // profiles.go: trusted profiles, links, rules, account settings
	s.routesResources() // resources.go: Resource Controller, Resource Manager, Search, Tagging
	s.routesIdentity()  // identity.go: reports, API keys, service IDs, users, groups, policies
	s.routesControl()   // control.go: /_sim/ introspection for `trustjob sim` users
}
