// Package ibmcloud builds the IBM Cloud SDK clients trustjob uses: one shared
// trusted-profile authenticator, endpoints (public, private, per-service
// overrides), retries, deadlines, request counting, the allow-list of hosts
// the IAM access token may be sent to, and the refusal of writes in a dry run
// (dryrun.go). It also holds what every task shares when calling them: the one
// API error type and its classifier (errors.go) and the paging loop
// (pages.go).
package ibmcloud

import (
	"github.com/IBM/go-sdk-core/v5/core"
	"github.com/IBM/platform-services-go-sdk/accountmanagementv4"
	"github.com/IBM/platform-services-go-sdk/enterprisemanagementv1"
	"github.com/IBM/platform-services-go-sdk/globalsearchv2"
	"github.com/IBM/platform-services-go-sdk/globaltaggingv1"
	"github.com/IBM/platform-services-go-sdk/iamaccessgroupsv2"
	"github.com/IBM/platform-services-go-sdk/iamidentityv1"
	"github.com/IBM/platform-services-go-sdk/iampolicymanagementv1"
	"github.com/IBM/platform-services-go-sdk/resourcecontrollerv2"
	"github.com/IBM/platform-services-go-sdk/resourcemanagerv2"
	"github.com/IBM/platform-services-go-sdk/usagereportsv4"
	"github.com/IBM/platform-services-go-sdk/usermanagementv1"
)

// Clients holds one client per IBM Cloud service, all sharing Authenticator, so a
// run makes one token exchange however many tasks and services it uses. Tasks
// declare narrow interfaces over the methods they call and take these fields as
// those interfaces.
type Clients struct {
	Authenticator core.Authenticator

	ResourceController *resourcecontrollerv2.ResourceControllerV2
	ResourceManager    *resourcemanagerv2.ResourceManagerV2
	IAMIdentity        *iamidentityv1.IamIdentityV1
	GlobalSearch       *globalsearchv2.GlobalSearchV2
	GlobalTagging      *globaltaggingv1.GlobalTaggingV1
	AccessGroups       *iamaccessgroupsv2.IamAccessGroupsV2
	PolicyManagement   *iampolicymanagementv1.IamPolicyManagementV1
	UsageReports       *usagereportsv4.UsageReportsV4
	UserManagement     *usermanagementv1.UserManagementV1
	AccountManagement  *accountmanagementv4.AccountManagementV4
	Enterprise         *enterprisemanagementv1.EnterpriseManagementV1

	// Requests counts HTTP requests per service (and token exchanges), for
	// run-summary.json and benchmarks.
	Requests *RequestCounter
}
