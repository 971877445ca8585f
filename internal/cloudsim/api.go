// Code in this file only re-exports the subpackages' API under the names the
// rest of the repository has always used, so callers need not know the layout.

package cloudsim

import (
	"github.com/trustjob/trustjob/internal/cloudsim/access"
	"github.com/trustjob/trustjob/internal/cloudsim/account"
	"github.com/trustjob/trustjob/internal/cloudsim/core"
	"github.com/trustjob/trustjob/internal/cloudsim/resources"
)

// The shared machinery (package core).
type (
	Caller     = core.Caller
	Entry      = core.Entry
	Fault      = core.Fault
	JWK        = core.JWK
	JWKS       = core.JWKS
	Options    = core.Options
	RequestLog = core.RequestLog
	Route      = core.Route
	SigningKey = core.SigningKey
)

// The emulated account (package account).
type (
	APIKeyFixture      = account.APIKeyFixture
	APIKeyRecord       = account.APIKeyRecord
	AccessGroupFixture = account.AccessGroupFixture
	AccessGroupRecord  = account.AccessGroupRecord
	AccountSettings    = account.AccountSettings
	Cluster            = account.Cluster
	Condition          = account.Condition
	Fixture            = account.Fixture
	GroupMemberRecord  = account.GroupMemberRecord
	IAMFixture         = account.IAMFixture
	IAMState           = account.IAMState
	IdentitiesFixture  = account.IdentitiesFixture
	IdentityState      = account.IdentityState
	Kubelet            = account.Kubelet
	Link               = account.Link
	MintOptions        = account.MintOptions
	PolicyFixture      = account.PolicyFixture
	PolicyRecord       = account.PolicyRecord
	Profile            = account.Profile
	ProfileFixture     = account.ProfileFixture
	ProjectedToken     = account.ProjectedToken
	Rule               = account.Rule
	ServiceIDFixture   = account.ServiceIDFixture
	ServiceIDRecord    = account.ServiceIDRecord
	Spec               = account.Spec
	UserFixture        = account.UserFixture
	UserRecord         = account.UserRecord
	World              = account.World
)

// The resource data (package resources).
type (
	InstanceFixture      = resources.InstanceFixture
	InstanceRecord       = resources.InstanceRecord
	ResourceGroup        = resources.ResourceGroup
	ResourceGroupFixture = resources.GroupFixture
	ResourceState        = resources.State
	ResourcesFixture     = resources.Fixture
)

// Account generation, fixtures and keys.
var (
	DefaultSpec        = account.DefaultSpec
	Generate           = account.Generate
	LoadFixture        = account.LoadFixture
	NewProjectedToken  = account.NewProjectedToken
	GenerateSigningKey = core.GenerateSigningKey
	NewSigningKey      = core.NewSigningKey
	KeySet             = core.KeySet
	ParseJWKS          = core.ParseJWKS
	ParsePublicKeysPEM = core.ParsePublicKeysPEM
)

// Markers and well-known ids.
const (
	ExemptMarker        = account.ExemptMarker
	PublicAccessGroupID = access.PublicAccessGroupID
)

// Service names (core.Service*).
const (
	ServiceIAMToken         = core.ServiceIAMToken
	ServiceIAMIdentity      = core.ServiceIAMIdentity
	ServiceResourceCtl      = core.ServiceResourceCtl
	ServiceResourceMgr      = core.ServiceResourceMgr
	ServiceGlobalSearch     = core.ServiceGlobalSearch
	ServiceGlobalTagging    = core.ServiceGlobalTagging
	ServiceUserManagement   = core.ServiceUserManagement
	ServiceAccessGroups     = core.ServiceAccessGroups
	ServicePolicyManagement = core.ServicePolicyManagement
	ServiceUsageReports     = core.ServiceUsageReports
	ServiceSimControl       = core.ServiceSimControl
	ServiceEnterprise       = core.ServiceEnterprise
	ServiceAccountMgmt      = core.ServiceAccountMgmt
)

// IAM actions the emulated endpoints check (core.Action*).
const (
	ActionProfileGet          = core.ActionProfileGet
	ActionProfileLink         = core.ActionProfileLink
	ActionAccountGet          = core.ActionAccountGet
	ActionReportCreate        = core.ActionReportCreate
	ActionReportGet           = core.ActionReportGet
	ActionAPIKeyList          = core.ActionAPIKeyList
	ActionAPIKeyGet           = core.ActionAPIKeyGet
	ActionAPIKeyLock          = core.ActionAPIKeyLock
	ActionAPIKeyUnlock        = core.ActionAPIKeyUnlock
	ActionAPIKeyDisable       = core.ActionAPIKeyDisable
	ActionAPIKeyEnable        = core.ActionAPIKeyEnable
	ActionServiceIDList       = core.ActionServiceIDList
	ActionServiceIDGet        = core.ActionServiceIDGet
	ActionServiceIDLock       = core.ActionServiceIDLock
	ActionServiceIDUnlock     = core.ActionServiceIDUnlock
	ActionUserRetrieve        = core.ActionUserRetrieve
	ActionGroupsRead          = core.ActionGroupsRead
	ActionGroupMembersRead    = core.ActionGroupMembersRead
	ActionGroupMembersDelete  = core.ActionGroupMembersDelete
	ActionGroupSettingsRead   = core.ActionGroupSettingsRead
	ActionPolicyRead          = core.ActionPolicyRead
	ActionAccountSummaryGet   = core.ActionAccountSummaryGet
	ActionInstanceRetrieve    = core.ActionInstanceRetrieve
	ActionGroupRetrieve       = core.ActionGroupRetrieve
	ActionKeyRetrieve         = core.ActionKeyRetrieve
	ActionReclamationRetrieve = core.ActionReclamationRetrieve
	ActionResourceSearch      = core.ActionResourceSearch
	ActionTagRead             = core.ActionTagRead
	ActionTagAttach           = core.ActionTagAttach
	ActionTagDetach           = core.ActionTagDetach
)

// ServiceIDGroupRecord is a service-ID group besides the account's default one.
type ServiceIDGroupRecord = account.ServiceIDGroupRecord
