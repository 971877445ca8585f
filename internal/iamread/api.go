// Package iamread reads one account's IAM configuration for the posture
// tasks (iam-posture, apikey-rotation, unused-policies, access-review): API
// keys, service IDs, trusted profiles, users, access groups and their members
// and rules, access policies (v2, with last-permit data), custom roles, account
// settings, the MFA and activity reports and the account owner. Every listing
// is paged at the largest page size the API allows and streamed to a callback,
// so a task holds only what it keeps; every call is wrapped with what was being
// done and, for a refusal, the access that allows it.
package iamread

import (
	"context"

	"github.com/IBM/go-sdk-core/v5/core"
	"github.com/IBM/platform-services-go-sdk/accountmanagementv4"
	"github.com/IBM/platform-services-go-sdk/iamaccessgroupsv2"
	"github.com/IBM/platform-services-go-sdk/iamidentityv1"
	"github.com/IBM/platform-services-go-sdk/iampolicymanagementv1"
	"github.com/IBM/platform-services-go-sdk/usermanagementv1"
)

// IdentityAPI is the part of IAM Identity the posture tasks call.
type IdentityAPI interface {
	ListAPIKeysWithContext(context.Context, *iamidentityv1.ListAPIKeysOptions) (*iamidentityv1.APIKeyList, *core.DetailedResponse, error)
	ListServiceIdsWithContext(context.Context, *iamidentityv1.ListServiceIdsOptions) (*iamidentityv1.ServiceIDList, *core.DetailedResponse, error)
	ListServiceIDGroupWithContext(context.Context, *iamidentityv1.ListServiceIDGroupOptions) (*iamidentityv1.ServiceIDGroupList, *core.DetailedResponse, error)
	ListProfilesWithContext(context.Context, *iamidentityv1.ListProfilesOptions) (*iamidentityv1.TrustedProfilesList, *core.DetailedResponse, error)
	GetProfileIdentitiesWithContext(context.Context, *iamidentityv1.GetProfileIdentitiesOptions) (*iamidentityv1.ProfileIdentitiesResponse, *core.DetailedResponse, error)
	GetEffectiveAccountSettingsWithContext(context.Context, *iamidentityv1.GetEffectiveAccountSettingsOptions) (*iamidentityv1.EffectiveAccountSettingsResponse, *core.DetailedResponse, error)
	CreateMfaReportWithContext(context.Context, *iamidentityv1.CreateMfaReportOptions) (*iamidentityv1.ReportReference, *core.DetailedResponse, error)
	GetMfaReportWithContext(context.Context, *iamidentityv1.GetMfaReportOptions) (*iamidentityv1.ReportMfaEnrollmentStatus, *core.DetailedResponse, error)
	GetMfaStatusWithContext(context.Context, *iamidentityv1.GetMfaStatusOptions) (*iamidentityv1.UserMfaEnrollments, *core.DetailedResponse, error)
	CreateReportWithContext(context.Context, *iamidentityv1.CreateReportOptions) (*iamidentityv1.ReportReference, *core.DetailedResponse, error)
	GetReportWithContext(context.Context, *iamidentityv1.GetReportOptions) (*iamidentityv1.Report, *core.DetailedResponse, error)
}

// GroupsAPI is the part of IAM Access Groups the posture tasks call.
type GroupsAPI interface {
	ListAccessGroupsWithContext(context.Context, *iamaccessgroupsv2.ListAccessGroupsOptions) (*iamaccessgroupsv2.GroupsList, *core.DetailedResponse, error)
	ListAccessGroupMembersWithContext(context.Context, *iamaccessgroupsv2.ListAccessGroupMembersOptions) (*iamaccessgroupsv2.GroupMembersList, *core.DetailedResponse, error)
	ListAccessGroupRulesWithContext(context.Context, *iamaccessgroupsv2.ListAccessGroupRulesOptions) (*iamaccessgroupsv2.RulesList, *core.DetailedResponse, error)
	GetAccountSettingsWithContext(context.Context, *iamaccessgroupsv2.GetAccountSettingsOptions) (*iamaccessgroupsv2.AccountSettings, *core.DetailedResponse, error)
}

// PolicyAPI is the part of IAM Policy Management the posture tasks call.
type PolicyAPI interface {
	ListV2PoliciesWithContext(context.Context, *iampolicymanagementv1.ListV2PoliciesOptions) (*iampolicymanagementv1.V2PolicyCollection, *core.DetailedResponse, error)
	ListRolesWithContext(context.Context, *iampolicymanagementv1.ListRolesOptions) (*iampolicymanagementv1.RoleCollection, *core.DetailedResponse, error)
}

// UsersAPI is the part of User Management the posture tasks call.
type UsersAPI interface {
	ListUsersWithContext(context.Context, *usermanagementv1.ListUsersOptions) (*usermanagementv1.UserList, *core.DetailedResponse, error)
}

// AccountAPI reads the account record (its owner).
type AccountAPI interface {
	GetAccountWithContext(context.Context, *accountmanagementv4.GetAccountOptions) (*accountmanagementv4.AccountResponse, *core.DetailedResponse, error)
}

// What the trusted profile needs for each call, for 403 explanations.
const (
	NeedAPIKeys    = "the trusted profile needs Administrator on IAM Identity Service to list every user's API keys (ListAPIKeys scope=account; API key reviewer is enough for service-ID keys)"
	NeedServiceIDs = "the trusted profile needs Viewer (or a custom role with iam-identity.serviceid.list) on IAM Identity Service"
	NeedSIDGroups  = "the trusted profile needs Viewer on IAM Identity Service to list the service-ID groups (each group is listed on its own)"
	NeedProfiles   = "the trusted profile needs Viewer (or a custom role with iam-identity.profile.get) on IAM Identity Service"
	NeedSettings   = "the trusted profile needs Viewer (iam-identity.account.get) on IAM Identity Service"
	NeedMFAReport  = "the trusted profile needs Administrator on IAM Identity Service (iam-identity.report.create and iam-identity.mfa-status.get)"
	NeedReport     = "the trusted profile needs Administrator on IAM Identity Service (IBM documents it for managing inactive identities; a custom role needs iam-identity.report.create and iam-identity.report.get)"
	NeedUsers      = "the trusted profile needs Viewer (or a custom role with user-management.user.retrieve) on User Management"
	NeedGroups     = "the trusted profile needs Viewer (or a custom role with iam-groups.groups.read, iam-groups.members.read and iam-groups.rules.read) on IAM Access Groups Service"
	NeedPolicies   = "the trusted profile needs Viewer on IAM Access Management (All IAM Account Management services) to read every policy; policy lists return only the policies the caller may read"
	NeedRoles      = "the trusted profile needs Viewer on IAM Access Management to list custom roles"
	NeedOwner      = "the trusted profile needs Viewer on Billing (Account Management) to read the account's owner (GetAccount)"
)
