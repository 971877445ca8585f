package inactiveids

import (
	"context"
	"errors"
	"net/http"

	"github.com/IBM/platform-services-go-sdk/iamidentityv1"
	"github.com/IBM/platform-services-go-sdk/usermanagementv1"

	"github.com/trustjob/trustjob/internal/ibmcloud"
	"github.com/trustjob/trustjob/tasks"
)

// probe makes, once each and at the smallest size, the reads the report needs
// permission for (issue 13, F16): service IDs, API keys account-wide, users,
// and the activity report. The report is read, never created: GET of the
// latest report answers 404 (none yet) or 204 (being generated) to a caller
// that may read reports, 403 to one that may not.
func probe(ctx context.Context, env tasks.Env) error {
	c := env.Clients
	if c == nil || c.IAMIdentity == nil || c.UserManagement == nil {
		return errors.New("probe inactive-identities: missing IBM Cloud clients")
	}
	iam := c.IAMIdentity
	sids := &iamidentityv1.ListServiceIdsOptions{AccountID: &env.Account}
	sids.SetPagesize(1)
	if _, resp, err := iam.ListServiceIdsWithContext(ctx, sids); err != nil {
		return ibmcloud.WrapNeed("probe inactive-identities (list service IDs)", needSIDs, resp, err)
	}
	keys := &iamidentityv1.ListAPIKeysOptions{AccountID: &env.Account}
	keys.SetScope("account").SetPagesize(1)
	if _, resp, err := iam.ListAPIKeysWithContext(ctx, keys); err != nil {
		return ibmcloud.WrapNeed("probe inactive-identities (list API keys, scope account)", needAPIKeys, resp, err)
	}
	users := &usermanagementv1.ListUsersOptions{AccountID: &env.Account}
	users.SetLimit(1)
	if _, resp, err := c.UserManagement.ListUsersWithContext(ctx, users); err != nil {
		return ibmcloud.WrapNeed("probe inactive-identities (list users)", needUsers, resp, err)
	}
	_, resp, err := iam.GetReportWithContext(ctx, iam.NewGetReportOptions(env.Account, "latest"))
	if err != nil && ibmcloud.HTTPStatus(err) != http.StatusNotFound {
		return ibmcloud.WrapNeed("probe inactive-identities (read the latest activity report)", needReport, resp, err)
	}
	return nil
}
