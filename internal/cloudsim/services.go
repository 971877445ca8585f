package cloudsim

import (
	"github.com/trustjob/trustjob/internal/cloudsim/access"
	"github.com/trustjob/trustjob/internal/cloudsim/account"
	"github.com/trustjob/trustjob/internal/cloudsim/accounts"
	"github.com/trustjob/trustjob/internal/cloudsim/core"
	"github.com/trustjob/trustjob/internal/cloudsim/enterprise"
	"github.com/trustjob/trustjob/internal/cloudsim/iamtoken"
	"github.com/trustjob/trustjob/internal/cloudsim/identity"
	"github.com/trustjob/trustjob/internal/cloudsim/resources"
	"github.com/trustjob/trustjob/internal/cloudsim/usage"
	"github.com/trustjob/trustjob/internal/cloudsim/usermgmt"
	"github.com/trustjob/trustjob/internal/cloudsim/vpcmeta"
)

// Service is one emulated IBM Cloud service as New mounts it.
type Service struct {
	// Name says what it is (for people; the request log uses each route's
	// core.Service* name).
	Name string
	// URLVars are the IBM SDK's endpoint variables that point a client at this
	// service; Env sets each to the emulator's URL.
	URLVars []string
	// Mount registers the service's routes on srv, over the account w.
	Mount func(srv *core.Server, w *account.World)
	// URLPath follows the emulator's URL in URLVars when the SDK's default
	// URL carries a path (Enterprise Management: https://enterprise.cloud.ibm.com/v1).
	URLPath string
}

// Services are the emulated services, in mounting order. Adding one is one
// entry here (see the package comment, "Mounting a service").
var Services = []Service{
	{Name: "IAM token (cr-token grant)", Mount: iamtoken.Mount},
	{Name: "IAM Identity", URLVars: []string{"IAM_IDENTITY_URL"}, Mount: identity.Mount},
	{Name: "IAM Access Groups and Policy Management", URLVars: []string{"IAM_ACCESS_GROUPS_URL", "IAM_POLICY_MANAGEMENT_URL"}, Mount: access.Mount},
	{Name: "User Management", URLVars: []string{"USER_MANAGEMENT_URL"}, Mount: usermgmt.Mount},
	{Name: "Usage Reports", URLVars: []string{"USAGE_REPORTS_URL"}, Mount: usage.Mount},
	{Name: "Account Management", URLVars: []string{"ACCOUNT_MANAGEMENT_URL"}, Mount: accounts.Mount},
	{Name: "Resource Controller and Manager, Global Search and Tagging",
		URLVars: []string{"RESOURCE_CONTROLLER_URL", "RESOURCE_MANAGER_URL", "GLOBAL_SEARCH_URL", "GLOBAL_TAGGING_URL"},
		Mount:   func(srv *core.Server, w *account.World) { resources.Mount(srv, &w.RWMutex, &w.Resources) }},
	// Not an IBM Cloud API: the VPC instance metadata service of one emulated
	// instance linked to the runner profile (auth.computeResource: vpc).
	{Name: "VPC instance metadata (identity)", URLVars: []string{"TRUSTJOB_METADATA_URL"}, Mount: vpcmeta.Mount},
	{Name: "Enterprise Management", URLVars: []string{"ENTERPRISE_MANAGEMENT_URL"}, URLPath: "/v1",
		Mount: func(srv *core.Server, w *account.World) { enterprise.Mount(srv, &w.RWMutex, &w.Enterprise) }},
}
