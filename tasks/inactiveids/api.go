package inactiveids

import (
	"context"
	"errors"
	"fmt"

	"github.com/IBM/go-sdk-core/v5/core"
	"github.com/IBM/platform-services-go-sdk/iamaccessgroupsv2"
	"github.com/IBM/platform-services-go-sdk/iamidentityv1"
	"github.com/IBM/platform-services-go-sdk/usermanagementv1"
)

// identityAPI is the part of IAM Identity the task calls.
type identityAPI interface {
	CreateReportWithContext(context.Context, *iamidentityv1.CreateReportOptions) (*iamidentityv1.ReportReference, *core.DetailedResponse, error)
	GetReportWithContext(context.Context, *iamidentityv1.GetReportOptions) (*iamidentityv1.Report, *core.DetailedResponse, error)
	ListAPIKeysWithContext(context.Context, *iamidentityv1.ListAPIKeysOptions) (*iamidentityv1.APIKeyList, *core.DetailedResponse, error)
	ListServiceIdsWithContext(context.Context, *iamidentityv1.ListServiceIdsOptions) (*iamidentityv1.ServiceIDList, *core.DetailedResponse, error)
	ListProfilesWithContext(context.Context, *iamidentityv1.ListProfilesOptions) (*iamidentityv1.TrustedProfilesList, *core.DetailedResponse, error)
	DisableAPIKeyWithContext(context.Context, *iamidentityv1.DisableAPIKeyOptions) (*core.DetailedResponse, error)
	LockAPIKeyWithContext(context.Context, *iamidentityv1.LockAPIKeyOptions) (*core.DetailedResponse, error)
	LockServiceIDWithContext(context.Context, *iamidentityv1.LockServiceIDOptions) (*core.DetailedResponse, error)
}

// usersAPI is the part of User Management the task calls.
type usersAPI interface {
	ListUsersWithContext(context.Context, *usermanagementv1.ListUsersOptions) (*usermanagementv1.UserList, *core.DetailedResponse, error)
}

// groupsAPI is the part of IAM Access Groups the task calls.
type groupsAPI interface {
	ListAccessGroupsWithContext(context.Context, *iamaccessgroupsv2.ListAccessGroupsOptions) (*iamaccessgroupsv2.GroupsList, *core.DetailedResponse, error)
	ListAccessGroupMembersWithContext(context.Context, *iamaccessgroupsv2.ListAccessGroupMembersOptions) (*iamaccessgroupsv2.GroupMembersList, *core.DetailedResponse, error)
	RemoveMemberFromAllAccessGroupsWithContext(context.Context, *iamaccessgroupsv2.RemoveMemberFromAllAccessGroupsOptions) (*iamaccessgroupsv2.DeleteFromAllGroupsResponse, *core.DetailedResponse, error)
}

// pageSize is the page size of every listing: the largest IAM Identity, User
// Management and Access Groups accept.
const pageSize = 100

// httpStatus is the HTTP status of an SDK call: from the response when there is
// one, else from the error's HTTP problem; 0 for transport errors.
func httpStatus(resp *core.DetailedResponse, err error) int {
	if resp != nil && resp.StatusCode != 0 {
		return resp.StatusCode
	}
	var p *core.HTTPProblem
	if errors.As(err, &p) && p.Response != nil {
		return p.Response.StatusCode
	}
	return 0
}

// permissionError explains a 403: which access the trusted profile lacks.
type permissionError struct {
	what string // what was being done, e.g. "list API keys"
	need string // the access that allows it
	err  error
}

func (e *permissionError) Error() string {
	return fmt.Sprintf("%s: permission denied (403): %s: %v", e.what, e.need, e.err)
}

func (e *permissionError) Unwrap() error { return e.err }

// HTTPStatus lets callers (doctor) recognise a permission problem.
func (e *permissionError) HTTPStatus() int { return 403 }

// wrapCall wraps an SDK error with what was being done, and a 403 with the
// access needed.
func wrapCall(what, need string, resp *core.DetailedResponse, err error) error {
	if httpStatus(resp, err) == 403 {
		return &permissionError{what: what, need: need, err: err}
	}
	if s := httpStatus(resp, err); s != 0 {
		return fmt.Errorf("%s: HTTP %d: %w", what, s, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// What the trusted profile needs for each call, for 403 explanations.
const (
	needReport   = "the trusted profile needs a role with iam-identity.report.create and iam-identity.report.get on IAM Identity Service (IBM documents Administrator for managing inactive identities)"
	needAPIKeys  = "the trusted profile needs API key reviewer (or a custom role with iam-identity.apikey.list) on IAM Identity Service"
	needSIDs     = "the trusted profile needs Viewer (or a custom role with iam-identity.serviceid.list) on IAM Identity Service"
	needProfiles = "the trusted profile needs Viewer (or a custom role with iam-identity.profile.get) on IAM Identity Service"
	needUsers    = "the trusted profile needs Viewer (or a custom role with user-management.user.retrieve) on User Management"
	needGroups   = "the trusted profile needs Viewer (or a custom role with iam-groups.groups.read and iam-groups.members.read) on IAM Access Groups Service"
)

// actionNeeds is what each action needs, for 403 explanations.
var actionNeeds = map[string]string{
	ActionDisableAPIKey:    "the trusted profile needs Operator (or a custom role with iam-identity.apikey.disable) on IAM Identity Service",
	ActionLockAPIKey:       "the trusted profile needs Operator (or a custom role with iam-identity.apikey.lock) on IAM Identity Service",
	ActionLockServiceID:    "the trusted profile needs Operator (or a custom role with iam-identity.serviceid.lock) on IAM Identity Service",
	ActionRemoveFromGroups: "the trusted profile needs Editor (or a custom role with iam-groups.members.delete) on IAM Access Groups Service",
}
