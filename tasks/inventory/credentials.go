package inventory

import (
	"context"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/trustjob/trustjob/internal/report"
)

// Service credentials: Resource Controller's resource keys (GET
// /v2/resource_keys), one `record: credential` row each, so a reviewer sees
// which instance has which credential, with which role, acting as which
// service ID, and how old it is.
//
// A key's credentials object holds secrets (the API key itself). It is never
// decoded: the wire shape below names only the two CRNs it needs from it
// (iam_role_crn, iam_serviceid_crn), so the decoder skips every other member,
// the apikey included, without building a value, and no secret reaches a row,
// a log line or a report (TestCredentialsNeverRead).

type rcKey struct {
	CRN             string `json:"crn"`
	GUID            string `json:"guid"`
	Name            string `json:"name"`
	State           string `json:"state"`
	SourceCRN       string `json:"source_crn"`
	ResourceGroupID string `json:"resource_group_id"`
	CreatedAt       string `json:"created_at"`
	CreatedBy       string `json:"created_by"`
	Credentials     struct {
		RoleCRN      string `json:"iam_role_crn"`
		ServiceIDCRN string `json:"iam_serviceid_crn"`
	} `json:"credentials"`
}

type keyPage struct {
	RowsCount *int    `json:"rows_count"`
	NextURL   *string `json:"next_url"`
	Resources []rcKey `json:"resources"`
}

// listCredentials writes a credential row for every resource key in the
// selected groups, one cursor listing per group, side by side under the
// Resource Controller's limiter.
func (r *run) listCredentials(ctx context.Context, groups []string) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	var n atomic.Int64
	for _, g := range groups {
		wg.Go(func() {
			k, err := r.listGroupKeys(ctx, g)
			n.Add(int64(k))
			if err != nil {
				once.Do(func() { first = err; cancel() })
			}
		})
	}
	wg.Wait()
	r.credentials = int(n.Load())
	return first
}

func (r *run) listGroupKeys(ctx context.Context, group string) (int, error) {
	size := strconv.Itoa(r.task.opts.PageSize)
	q := url.Values{"limit": {size}, "resource_group_id": {group}}
	tokens := map[uint64]bool{} // hashes: a kept string would keep its page (api.go, decodeJSON)
	written := 0
	var page keyPage
	for {
		err := r.c.call(ctx, r.rc, request{op: "list resource keys", method: "GET", path: "/v2/resource_keys", query: q,
			decode: func(b []byte) error {
				page = keyPage{Resources: page.Resources[:0]}
				return decodeJSON(&page)(b)
			}})
		if err != nil {
			return written, err
		}
		if page.RowsCount == nil && len(page.Resources) == 0 {
			return written, fmt.Errorf("list resource keys: Resource Controller answered 200 without rows_count or resources; not a page")
		}
		for k := range page.Resources {
			key := &page.Resources[k]
			service, region := serviceOf(key.SourceCRN), crnField(key.SourceCRN, 5)
			if (r.em.services != nil && !r.em.services[service]) || (r.em.regions != nil && !r.em.regions[region]) {
				continue
			}
			if err := r.out.Write(r.credentialRow(key, service, region)); err != nil {
				return written, fmt.Errorf("write credential row: %w", err)
			}
			written++
		}
		next, err := startToken(page.NextURL)
		if err != nil {
			return written, fmt.Errorf("list resource keys: %w", err)
		}
		if next == "" {
			return written, nil
		}
		if tokens[crnHash(next)] || len(tokens) >= maxPartitionPages {
			return written, fmt.Errorf("list resource keys: the cursor repeats or never ends after %d pages; stopping", len(tokens)+1)
		}
		tokens[crnHash(next)] = true
		q = url.Values{"start": {next}, "limit": {size}}
	}
}

func (r *run) credentialRow(k *rcKey, service, region string) report.Row {
	row := report.Row{
		"record": "credential", "crn": k.CRN, "guid": k.GUID, "name": k.Name, "state": k.State,
		"service": service, "region": region, "instance_crn": k.SourceCRN,
		"resource_group_id": k.ResourceGroupID, "resource_group_name": r.em.groupNames[k.ResourceGroupID],
		"role": lastSegment(k.Credentials.RoleCRN), "service_id": lastSegment(k.Credentials.ServiceIDCRN),
		"created_at": k.CreatedAt, "created_by": k.CreatedBy,
	}
	if ms := parseMS(k.CreatedAt); ms != math.MinInt64 {
		row["age_days"] = int(r.start.Sub(time.UnixMilli(ms)).Hours() / 24)
	}
	return row
}

// lastSegment is the part after the last ':' of a CRN ("Writer" of
// crn:v1:bluemix:public:iam::::serviceRole:Writer, "ServiceId-…" of a
// service ID's CRN).
func lastSegment(crn string) string {
	if i := strings.LastIndexByte(crn, ':'); i >= 0 {
		return crn[i+1:]
	}
	return crn
}
