package inventory

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/trustjob/trustjob/internal/report"
)

// Global Search as a source (`sources: search` or `both`): every resource the
// account's search index holds, Resource Controller's instances and what it
// does not list (VPC infrastructure, Kubernetes clusters, COS buckets), read
// with one cursor listing of 1,000 documents a page (POST /v3/resources/search;
// with a cursor, the API ignores the rest of the body; stop on a short page
// or a missing cursor).
//
// With both sources, Resource Controller is listed first and Search adds only
// the CRNs it did not write, so an instance both list is one row (Resource
// Controller's, which has plan, state and dates) and the report is their union.
// The filters apply to Search rows too: resource groups and services and
// regions in the query and again on the client, types on the client, and
// states on documents that carry one (documents of other families have no
// state and are kept).

// searchDoc is what the inventory reads of a Search document.
type searchDoc struct {
	CRN             string   `json:"crn"`
	Name            string   `json:"name"`
	Family          string   `json:"family"`
	Type            string   `json:"type"`
	Region          string   `json:"region"`
	ResourceGroupID string   `json:"resource_group_id"`
	ServiceName     string   `json:"service_name"`
	State           string   `json:"state"`
	CreationDate    string   `json:"creation_date"`
	Tags            []string `json:"tags"`
	ServiceTags     []string `json:"service_tags"`
	AccessTags      []string `json:"access_tags"`
}

type docPage struct {
	SearchCursor string      `json:"search_cursor"`
	Items        []searchDoc `json:"items"`
}

var searchSourceFields = []string{"crn", "name", "family", "type", "region", "resource_group_id", "service_name",
	"state", "creation_date", "tags", "service_tags", "access_tags"}

// searchQuery is the Lucene query for the configured filters.
func (r *run) searchQuery() string {
	o := r.task.opts
	var parts []string
	any := func(field string, values []string) {
		if len(values) == 0 {
			return
		}
		var or []string
		for _, v := range values {
			or = append(or, field+`:"`+strings.ReplaceAll(v, `"`, `\"`)+`"`)
		}
		parts = append(parts, "("+strings.Join(or, " OR ")+")")
	}
	if len(o.ResourceGroups) > 0 {
		any("resource_group_id", r.selectedGroups())
	}
	any("service_name", o.Services)
	any("region", o.Regions)
	if len(parts) == 0 {
		return "*"
	}
	return strings.Join(parts, " AND ")
}

// listSearch writes a row for every Search document that passes the filters
// and, with dedupe (both sources), that Resource Controller did not list.
func (r *run) listSearch(ctx context.Context, passes []string, dedupe bool) error {
	body := map[string]any{"query": r.searchQuery(), "fields": searchSourceFields}
	q := url.Values{"limit": {strconv.Itoa(searchPageSize)}}
	seen := map[uint64]bool{} // hashes: a kept string would keep its page (api.go)
	var page docPage
	for n := 1; ; n++ {
		err := r.c.call(ctx, r.gs, request{op: "search resources", method: "POST", path: "/v3/resources/search",
			query: q, body: body, decode: func(b []byte) error {
				page = docPage{Items: page.Items[:0]}
				return decodeJSON(&page)(b)
			}})
		if err != nil {
			return err
		}
		r.progress.Add(1, len(page.Items))
		for k := range page.Items {
			if err := r.emitDoc(&page.Items[k], passes, dedupe); err != nil {
				return err
			}
		}
		if len(page.Items) < searchPageSize || page.SearchCursor == "" {
			return nil
		}
		if seen[crnHash(page.SearchCursor)] || n >= maxPartitionPages {
			return fmt.Errorf("search resources: the search_cursor repeats or never ends after %d pages; stopping", n)
		}
		seen[crnHash(page.SearchCursor)] = true
		body = map[string]any{"search_cursor": page.SearchCursor}
	}
}

func (r *run) emitDoc(d *searchDoc, passes []string, dedupe bool) error {
	e := r.em
	service := d.ServiceName
	if service == "" {
		service = serviceOf(d.CRN)
	}
	region := d.Region
	if region == "" {
		region = crnField(d.CRN, 5)
	}
	keep := d.CRN != "" &&
		(e.services == nil || e.services[service]) && (e.regions == nil || e.regions[region]) &&
		(e.types == nil || e.types[d.Type]) &&
		(d.State == "" || slices.Contains(passes, d.State))
	if keep && len(r.task.opts.ResourceGroups) > 0 {
		e.mu.Lock()
		keep = e.selected[d.ResourceGroupID]
		e.mu.Unlock()
	}
	if !keep {
		e.mu.Lock()
		e.counts.skippedFilter++
		e.mu.Unlock()
		return nil
	}
	h := crnHash(d.CRN)
	row := report.Row{
		"record": "instance", "source": SourceSearch, "family": d.Family, "type": d.Type,
		"crn": d.CRN, "name": d.Name, "service": service, "region": region,
		"resource_group_id": d.ResourceGroupID, "resource_group_name": e.groupNames[d.ResourceGroupID],
		"created_at": d.CreationDate,
		"tags":       sortedCopy(d.Tags), "service_tags": sortedCopy(d.ServiceTags), "access_tags": sortedCopy(d.AccessTags),
	}
	if d.State != "" {
		row["state"] = d.State
	}
	return e.emitRow(row, h, dedupe)
}
