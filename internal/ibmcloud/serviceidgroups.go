package ibmcloud

import (
	"context"
	"fmt"
	"net/http"

	"github.com/IBM/go-sdk-core/v5/core"
	"github.com/IBM/platform-services-go-sdk/iamidentityv1"
)

// ServiceIDGroupLister is the IAM Identity call ServiceIDGroups makes.
type ServiceIDGroupLister interface {
	ListServiceIDGroupWithContext(context.Context, *iamidentityv1.ListServiceIDGroupOptions) (*iamidentityv1.ServiceIDGroupList, *core.DetailedResponse, error)
}

// ServiceIDGroups lists the account's service-ID groups for listings that
// must see every service ID. IAM answers ListServiceIds and ListAPIKeys
// without group_id for the default group only ("If this parameter is not
// provided the default group is applied"), so such a listing runs once per
// group. It returns nil when that is not needed: the account has one group
// (the default one), or IAM does not know the endpoint (404). The answer is
// not paged (ServiceIDGroupList has no next link). need names the access the
// call takes, for a 403.
func ServiceIDGroups(ctx context.Context, api ServiceIDGroupLister, account, need string) ([]string, error) {
	const what = "list service-ID groups"
	page, resp, err := api.ListServiceIDGroupWithContext(ctx, &iamidentityv1.ListServiceIDGroupOptions{AccountID: &account})
	switch status := ResponseStatus(resp, err); {
	case err != nil && status == http.StatusNotFound:
		return nil, nil
	case err != nil:
		return nil, WrapNeed(what, need, resp, err)
	case page == nil || page.ServiceidGroups == nil:
		return nil, fmt.Errorf("%s: HTTP %d without a serviceid_groups list", what, status)
	}
	var ids []string
	for _, g := range page.ServiceidGroups {
		if g.ID != nil && *g.ID != "" {
			ids = append(ids, *g.ID)
		}
	}
	if len(ids) < 2 {
		return nil, nil
	}
	return ids, nil
}
