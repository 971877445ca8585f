package inventory

import (
	"context"

	"github.com/IBM/platform-services-go-sdk/resourcemanagerv2"

	"github.com/trustjob/trustjob/internal/ibmcloud"
	"github.com/trustjob/trustjob/tasks"
)

// Probe makes, once each and at the smallest size, the reads the inventory
// needs permission for (issue 13, F16): the resource groups (Resource
// Manager), one instance (Resource Controller) and one search result (Global
// Search). Listing the groups alone proved nothing about the other two.
func Probe(ctx context.Context, env tasks.Env) error {
	rm := env.Clients.ResourceManager
	opts := &resourcemanagerv2.ListResourceGroupsOptions{}
	if env.Account != "" {
		opts.AccountID = &env.Account
	}
	if _, resp, err := rm.ListResourceGroupsWithContext(ctx, opts); err != nil {
		return ibmcloud.Wrap("list resource groups", resp, err)
	}
	rc := env.Clients.ResourceController
	if _, resp, err := rc.ListResourceInstancesWithContext(ctx, rc.NewListResourceInstancesOptions().SetLimit(1)); err != nil {
		return ibmcloud.Wrap("list resource instances (limit 1)", resp, err)
	}
	gs := env.Clients.GlobalSearch
	so := gs.NewSearchOptions().SetQuery("*").SetFields([]string{"crn"}).SetLimit(1)
	if _, resp, err := gs.SearchWithContext(ctx, so); err != nil {
		return ibmcloud.Wrap("search resources (limit 1)", resp, err)
	}
	return nil
}
