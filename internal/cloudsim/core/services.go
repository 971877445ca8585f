package core

// Service names: used in the request log, for counters, in Fault.Service, and to
// choose the error body shape. They match trustjob's own service names in
// run-summary.json (internal/ibmcloud's Service* constants).
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
	ServiceAccountMgmt      = "account-management"
	ServiceEnterprise       = "enterprise-management"
	ServiceSimControl       = "cloudsim"
)

// IAM actions the emulated endpoints check (Route.Action). IBM's names where
// they are documented: iam-identity.*, iam-groups.*, iam.policy.read,
// user-management.user.retrieve, billing.account-summary.get and
// resource-controller.*; the search and tagging names follow IBM's
// <service>.<resource>.<verb> pattern and are this emulator's choice.
const (
	// IAM Identity: trusted profiles and account settings.
	ActionProfileGet  = "iam-identity.profile.get"
	ActionProfileLink = "iam-identity.profile.linkToResource"
	ActionAccountGet  = "iam-identity.account.get"
	// IAM Identity: reports, API keys, service IDs.
	ActionReportCreate    = "iam-identity.report.create"
	ActionReportGet       = "iam-identity.report.get"
	ActionAPIKeyList      = "iam-identity.apikey.list"
	ActionAPIKeyGet       = "iam-identity.apikey.get"
	ActionAPIKeyLock      = "iam-identity.apikey.lock"
	ActionAPIKeyUnlock    = "iam-identity.apikey.unlock"
	ActionAPIKeyDisable   = "iam-identity.apikey.disable"
	ActionAPIKeyEnable    = "iam-identity.apikey.enable"
	ActionServiceIDList   = "iam-identity.serviceid.list"
	ActionServiceIDGet    = "iam-identity.serviceid.get"
	ActionServiceIDLock   = "iam-identity.serviceid.lock"
	ActionServiceIDUnlock = "iam-identity.serviceid.unlock"
	// User Management, Access Groups, Policy Management, Usage Reports.
	ActionUserRetrieve       = "user-management.user.retrieve"
	ActionGroupsRead         = "iam-groups.groups.read"
	ActionGroupMembersRead   = "iam-groups.members.read"
	ActionGroupMembersDelete = "iam-groups.members.delete"
	ActionGroupSettingsRead  = "iam-groups.settings.read"
	ActionPolicyRead         = "iam.policy.read"
	ActionPolicyDelete       = "iam.policy.delete"
	ActionRoleRead           = "iam.role.read"
	ActionGroupRulesRead     = "iam-groups.rules.read"
	ActionMFAStatusGet       = "iam-identity.mfa-status.get"
	ActionAccountRead        = "billing.account.get"
	ActionAccountSummaryGet  = "billing.account-summary.get"
	// Resource Controller and Manager, Global Search, Global Tagging.
	ActionInstanceRetrieve    = "resource-controller.instance.retrieve"
	ActionGroupRetrieve       = "resource-controller.group.retrieve"
	ActionKeyRetrieve         = "resource-controller.key.retrieve"
	ActionReclamationRetrieve = "resource-controller.reclamation.retrieve"
	ActionResourceSearch      = "global-search-tagging.resource.read"
	ActionTagRead             = "global-tagging.tag.read"
	ActionTagAttach           = "global-tagging.tag.attach"
	ActionTagDetach           = "global-tagging.tag.detach"
	// Enterprise Management (Viewer on the Enterprise service; the action
	// names follow IBM's pattern and are this emulator's choice).
	ActionEnterpriseRetrieve        = "enterprise.enterprise.retrieve"
	ActionEnterpriseGroupRetrieve   = "enterprise.account-group.retrieve"
	ActionEnterpriseAccountRetrieve = "enterprise.account.retrieve"
)

// KnownActions lists every action above, so tests can revoke one at a time
// (World.Revoke expands a "*" grant into this list). A service that checks a new
// action adds it here, next to its constant.
var KnownActions = []string{
	ActionProfileGet, ActionProfileLink, ActionAccountGet,
	ActionReportCreate, ActionReportGet,
	ActionAPIKeyList, ActionAPIKeyGet, ActionAPIKeyLock, ActionAPIKeyUnlock,
	ActionAPIKeyDisable, ActionAPIKeyEnable,
	ActionServiceIDList, ActionServiceIDGet, ActionServiceIDLock, ActionServiceIDUnlock,
	ActionUserRetrieve,
	ActionGroupsRead, ActionGroupMembersRead, ActionGroupMembersDelete, ActionGroupSettingsRead,
	ActionPolicyRead, ActionAccountSummaryGet,
	ActionPolicyDelete, ActionRoleRead, ActionGroupRulesRead, ActionMFAStatusGet, ActionAccountRead,
	ActionInstanceRetrieve, ActionGroupRetrieve, ActionKeyRetrieve, ActionReclamationRetrieve,
	ActionResourceSearch, ActionTagRead, ActionTagAttach, ActionTagDetach,
	ActionEnterpriseRetrieve, ActionEnterpriseGroupRetrieve, ActionEnterpriseAccountRetrieve,
}
