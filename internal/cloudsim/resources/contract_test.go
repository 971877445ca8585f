package resources_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	sdkcore "github.com/IBM/go-sdk-core/v5/core"
	"github.com/IBM/platform-services-go-sdk/globalsearchv2"
	"github.com/IBM/platform-services-go-sdk/globaltaggingv1"
	"github.com/IBM/platform-services-go-sdk/resourcecontrollerv2"
	"github.com/IBM/platform-services-go-sdk/resourcemanagerv2"
	"github.com/trustjob/trustjob/internal/cloudsim/account"
	"github.com/trustjob/trustjob/internal/cloudsim/core"
	"github.com/trustjob/trustjob/internal/cloudsim/iamtoken"
	"github.com/trustjob/trustjob/internal/cloudsim/resources"
	"github.com/trustjob/trustjob/internal/cloudsim/testenv"
)

// mount serves the resource services over the world's resources, as the
// emulator does.
func mount(srv *core.Server, w *account.World) { resources.Mount(srv, &w.RWMutex, &w.Resources) }

type rsClients struct {
	env  *testenv.Env
	auth sdkcore.Authenticator
	rc   *resourcecontrollerv2.ResourceControllerV2
	rm   *resourcemanagerv2.ResourceManagerV2
	gs   *globalsearchv2.GlobalSearchV2
	gt   *globaltaggingv1.GlobalTaggingV1
}

func rsStart(t *testing.T, spec account.Spec, opts core.Options) *rsClients {
	t.Helper()
	env := testenv.New(t, spec, opts, mount, iamtoken.Mount)
	auth := env.Authenticator(t)
	c := &rsClients{env: env, auth: auth}
	var err error
	if c.rc, err = resourcecontrollerv2.NewResourceControllerV2(&resourcecontrollerv2.ResourceControllerV2Options{URL: env.Srv.URL, Authenticator: auth}); err != nil {
		t.Fatal(err)
	}
	if c.rm, err = resourcemanagerv2.NewResourceManagerV2(&resourcemanagerv2.ResourceManagerV2Options{URL: env.Srv.URL, Authenticator: auth}); err != nil {
		t.Fatal(err)
	}
	if c.gs, err = globalsearchv2.NewGlobalSearchV2(&globalsearchv2.GlobalSearchV2Options{URL: env.Srv.URL, Authenticator: auth}); err != nil {
		t.Fatal(err)
	}
	if c.gt, err = globaltaggingv1.NewGlobalTaggingV1(&globaltaggingv1.GlobalTaggingV1Options{URL: env.Srv.URL, Authenticator: auth}); err != nil {
		t.Fatal(err)
	}
	return c
}

func rsSpec() account.Spec {
	return account.Spec{Seed: 7, Instances: 700, Groups: 5, LargestGroupShare: 0.5, NonDefaultStates: 0.1, Reclamations: 9}
}

// rsReference lists the account's instances straight from the state.
func rsReference(c *rsClients, keep func(resources.InstanceRecord) bool) []string {
	w := c.env.World
	w.RLock()
	defer w.RUnlock()
	var out []string
	w.Resources.EachInstance(func(r resources.InstanceRecord) bool {
		if keep(r) {
			out = append(out, w.Resources.CRN(r))
		}
		return true
	})
	sort.Strings(out)
	return out
}

func rsDefaultState(r resources.InstanceRecord) bool {
	return r.State == "active" || r.State == "provisioning"
}

// rsListAll pages through ListResourceInstances with the SDK's own pager.
func rsListAll(t *testing.T, c *rsClients, opts *resourcecontrollerv2.ListResourceInstancesOptions) []resourcecontrollerv2.ResourceInstance {
	t.Helper()
	pager, err := c.rc.NewResourceInstancesPager(opts)
	if err != nil {
		t.Fatal(err)
	}
	var all []resourcecontrollerv2.ResourceInstance
	for pager.HasNext() {
		page, err := pager.GetNext()
		if err != nil {
			t.Fatalf("GetNext: %v", err)
		}
		if len(page) > 100 {
			t.Fatalf("page of %d rows, want ≤ 100", len(page))
		}
		all = append(all, page...)
	}
	return all
}

func rsCRNs(list []resourcecontrollerv2.ResourceInstance) []string {
	out := make([]string, 0, len(list))
	for _, r := range list {
		out = append(out, *r.CRN)
	}
	sort.Strings(out)
	return out
}

func TestResourceInstancesPagingAndFilters(t *testing.T) {
	c := rsStart(t, rsSpec(), core.Options{})
	w := c.env.World
	big := w.Resources.Groups[0]
	var sample resources.InstanceRecord
	w.RLock()
	w.Resources.EachInstance(func(r resources.InstanceRecord) bool {
		if r.Service == "kms" && r.State == "active" {
			sample = r
			return false
		}
		return true
	})
	w.RUnlock()
	cut := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)

	tests := []struct {
		name string
		opts *resourcecontrollerv2.ListResourceInstancesOptions
		keep func(resources.InstanceRecord) bool
	}{
		{"default states", &resourcecontrollerv2.ListResourceInstancesOptions{Limit: sdkcore.Int64Ptr(100)}, rsDefaultState},
		{"limit above 100 is clamped", &resourcecontrollerv2.ListResourceInstancesOptions{Limit: sdkcore.Int64Ptr(400)}, rsDefaultState},
		{"group", &resourcecontrollerv2.ListResourceInstancesOptions{ResourceGroupID: &big.ID},
			func(r resources.InstanceRecord) bool { return rsDefaultState(r) && r.GroupID == big.ID }},
		{"unknown group", &resourcecontrollerv2.ListResourceInstancesOptions{ResourceGroupID: sdkcore.StringPtr("nope")},
			func(resources.InstanceRecord) bool { return false }},
		{"state failed", &resourcecontrollerv2.ListResourceInstancesOptions{State: sdkcore.StringPtr("failed")},
			func(r resources.InstanceRecord) bool { return r.State == "failed" }},
		{"state pending_reclamation", &resourcecontrollerv2.ListResourceInstancesOptions{State: sdkcore.StringPtr("pending_reclamation")},
			func(r resources.InstanceRecord) bool { return r.State == "pending_reclamation" }},
		{"state removed", &resourcecontrollerv2.ListResourceInstancesOptions{State: sdkcore.StringPtr("removed")},
			func(r resources.InstanceRecord) bool { return r.State == "removed" }},
		{"resource_id", &resourcecontrollerv2.ListResourceInstancesOptions{ResourceID: &sample.ResourceID},
			func(r resources.InstanceRecord) bool { return rsDefaultState(r) && r.ResourceID == sample.ResourceID }},
		{"plan", &resourcecontrollerv2.ListResourceInstancesOptions{ResourcePlanID: sdkcore.StringPtr(sample.PlanID())},
			func(r resources.InstanceRecord) bool { return rsDefaultState(r) && r.PlanID() == sample.PlanID() }},
		{"type", &resourcecontrollerv2.ListResourceInstancesOptions{Type: sdkcore.StringPtr("container_instance")},
			func(r resources.InstanceRecord) bool { return rsDefaultState(r) && r.Type == "container_instance" }},
		{"sub_type", &resourcecontrollerv2.ListResourceInstancesOptions{SubType: sdkcore.StringPtr("kms")},
			func(r resources.InstanceRecord) bool { return rsDefaultState(r) && r.SubType == "kms" }},
		{"name", &resourcecontrollerv2.ListResourceInstancesOptions{Name: &sample.Name},
			func(r resources.InstanceRecord) bool { return rsDefaultState(r) && r.Name == sample.Name }},
		{"guid", &resourcecontrollerv2.ListResourceInstancesOptions{GUID: &sample.GUID},
			func(r resources.InstanceRecord) bool { return r.GUID == sample.GUID }},
		{"updated_from date", &resourcecontrollerv2.ListResourceInstancesOptions{UpdatedFrom: sdkcore.StringPtr("2025-06-01")},
			func(r resources.InstanceRecord) bool { return rsDefaultState(r) && !r.UpdatedAt.Before(cut) }},
		{"updated_to date (whole day)", &resourcecontrollerv2.ListResourceInstancesOptions{UpdatedTo: sdkcore.StringPtr("2025-05-31")},
			func(r resources.InstanceRecord) bool { return rsDefaultState(r) && r.UpdatedAt.Before(cut) }},
		{"updated window RFC 3339", &resourcecontrollerv2.ListResourceInstancesOptions{
			UpdatedFrom: sdkcore.StringPtr("2024-01-01T00:00:00Z"), UpdatedTo: sdkcore.StringPtr("2025-05-31T23:59:59.999Z")},
			func(r resources.InstanceRecord) bool {
				return rsDefaultState(r) && !r.UpdatedAt.Before(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)) && r.UpdatedAt.Before(cut)
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := rsCRNs(rsListAll(t, c, tt.opts))
			want := rsReference(c, tt.keep)
			if !slices.Equal(got, want) {
				t.Fatalf("got %d instances, want %d", len(got), len(want))
			}
		})
	}
	if n := len(rsReference(c, func(r resources.InstanceRecord) bool { return r.State == "failed" })); n == 0 {
		t.Error("the generated account has no failed instances")
	}
}

func TestResourceInstancesPageShape(t *testing.T) {
	c := rsStart(t, rsSpec(), core.Options{})
	_, resp, err := c.rc.ListResourceInstances(&resourcecontrollerv2.ListResourceInstancesOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Decode the raw body as IBM sends it: relative next_url with start=.
	raw := rsGet(t, c, "/v2/resource_instances?limit=7&resource_group_id="+c.env.World.Resources.Groups[1].ID)
	var page struct {
		RowsCount int               `json:"rows_count"`
		NextURL   *string           `json:"next_url"`
		Resources []json.RawMessage `json:"resources"`
	}
	if err := json.Unmarshal(raw, &page); err != nil {
		t.Fatal(err)
	}
	if page.RowsCount != 7 || len(page.Resources) != 7 || page.NextURL == nil ||
		!strings.HasPrefix(*page.NextURL, "/v2/resource_instances?start=") || !strings.HasSuffix(*page.NextURL, "&limit=7") {
		t.Fatalf("page: rows_count %d, %d resources, next_url %v", page.RowsCount, len(page.Resources), page.NextURL)
	}
	_ = resp
	// With start, other parameters are ignored: a different group in the
	// query must not change what the token lists.
	u, _ := url.Parse(*page.NextURL)
	start := u.Query().Get("start")
	other := c.env.World.Resources.Groups[2].ID
	list, _, err := c.rc.ListResourceInstances(&resourcecontrollerv2.ListResourceInstancesOptions{
		Start: &start, ResourceGroupID: &other, Limit: sdkcore.Int64Ptr(50)})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Resources) != 7 || *list.Resources[0].ResourceGroupID != c.env.World.Resources.Groups[1].ID {
		t.Fatalf("start page: %d rows from group %s", len(list.Resources), *list.Resources[0].ResourceGroupID)
	}
	// Every field the inventory reads decodes through the SDK model.
	r := list.Resources[0]
	for name, v := range map[string]*string{"id": r.ID, "guid": r.GUID, "crn": r.CRN, "name": r.Name,
		"region_id": r.RegionID, "resource_plan_id": r.ResourcePlanID, "state": r.State, "type": r.Type,
		"created_by": r.CreatedBy, "resource_id": r.ResourceID} {
		if v == nil || *v == "" {
			t.Errorf("%s is empty", name)
		}
	}
	if r.CreatedAt == nil || r.UpdatedAt == nil || r.Locked == nil || r.LastOperation == nil {
		t.Errorf("created_at/updated_at/locked/last_operation missing: %+v", r)
	}
	if !strings.HasPrefix(*r.CRN, "crn:v1:bluemix:public:") || !strings.HasSuffix(*r.CRN, ":"+*r.GUID+"::") || *r.ID != *r.CRN {
		t.Errorf("crn %q id %q guid %q", *r.CRN, *r.ID, *r.GUID)
	}

	for _, bad := range []string{"limit=0", "limit=x", "state=sleeping", "updated_from=yesterday", "start=!!"} {
		if code := rsStatus(t, c, "/v2/resource_instances?"+bad); code != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", bad, code)
		}
	}
}

func rsGet(t *testing.T, c *rsClients, path string) []byte {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, c.env.Srv.URL+path, nil)
	if err := c.auth.Authenticate(req); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b.String())
	}
	return []byte(b.String())
}

func rsStatus(t *testing.T, c *rsClients, path string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, c.env.Srv.URL+path, nil)
	if err := c.auth.Authenticate(req); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestResourceInstanceGetByGUIDAndCRN(t *testing.T) {
	c := rsStart(t, rsSpec(), core.Options{})
	list := rsListAll(t, c, &resourcecontrollerv2.ListResourceInstancesOptions{})
	want := list[42]
	for _, id := range []string{*want.GUID, *want.CRN} {
		got, _, err := c.rc.GetResourceInstance(c.rc.NewGetResourceInstanceOptions(id))
		if err != nil {
			t.Fatalf("get %s: %v", id, err)
		}
		if *got.CRN != *want.CRN || *got.Name != *want.Name {
			t.Errorf("get %s = %s", id, *got.CRN)
		}
	}
	_, resp, err := c.rc.GetResourceInstance(c.rc.NewGetResourceInstanceOptions("crn:v1:bluemix:public:kms:us-south:a/x:nope::"))
	if err == nil || resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown instance: %v %d", err, testenv.StatusOf(resp, nil))
	}
	// The request log keeps the CRN escaped (%2F), as the SDK sends it.
	var sawEscaped bool
	for _, e := range c.env.Server.Log().Entries() {
		sawEscaped = sawEscaped || strings.Contains(e.Path, "%2F")
	}
	if !sawEscaped {
		t.Error("no request path carried an escaped CRN")
	}
}

func TestResourceKeysReclamationsAndGroups(t *testing.T) {
	spec := rsSpec()
	c := rsStart(t, spec, core.Options{})
	w := c.env.World

	pager, err := c.rc.NewResourceKeysPager(&resourcecontrollerv2.ListResourceKeysOptions{Limit: sdkcore.Int64Ptr(100)})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := pager.GetAll()
	if err != nil {
		t.Fatal(err)
	}
	if want := (spec.Instances + 3) / 4; len(keys) != want {
		t.Errorf("%d keys, want %d", len(keys), want)
	}
	if keys[0].Credentials == nil || keys[0].SourceCRN == nil {
		t.Errorf("key without credentials or source_crn: %+v", keys[0])
	}

	recl, _, err := c.rc.ListReclamations(&resourcecontrollerv2.ListReclamationsOptions{AccountID: &w.AccountID})
	if err != nil {
		t.Fatal(err)
	}
	if len(recl.Resources) != spec.Reclamations {
		t.Fatalf("%d reclamations, want %d", len(recl.Resources), spec.Reclamations)
	}
	rc0 := recl.Resources[0]
	if rc0.TargetTime == nil || rc0.ResourceInstanceID == nil || rc0.EntityCRN == nil {
		t.Fatalf("reclamation fields: %+v", rc0)
	}
	inst, _, err := c.rc.GetResourceInstance(c.rc.NewGetResourceInstanceOptions(*rc0.ResourceInstanceID))
	if err != nil || *inst.State != "pending_reclamation" {
		t.Fatalf("reclaimed instance: %v %v", err, inst)
	}
	one, _, err := c.rc.ListReclamations(&resourcecontrollerv2.ListReclamationsOptions{ResourceInstanceID: rc0.ResourceInstanceID})
	if err != nil || len(one.Resources) != 1 {
		t.Fatalf("reclamations by instance: %v %d", err, len(one.Resources))
	}

	groups, _, err := c.rm.ListResourceGroups(&resourcemanagerv2.ListResourceGroupsOptions{AccountID: &w.AccountID})
	if err != nil {
		t.Fatal(err)
	}
	if len(groups.Resources) != spec.Groups || *groups.Resources[0].Name != "Default" || !*groups.Resources[0].Default {
		t.Fatalf("groups: %d, first %s", len(groups.Resources), *groups.Resources[0].Name)
	}
	g, _, err := c.rm.GetResourceGroup(c.rm.NewGetResourceGroupOptions(*groups.Resources[2].ID))
	if err != nil || *g.Name != *groups.Resources[2].Name {
		t.Fatalf("get group: %v", err)
	}
}

// rsSearchAll runs a search to its last (empty) page with the SDK.
func rsSearchAll(t *testing.T, c *rsClients, query string, fields []string, limit int64, mutate bool) []globalsearchv2.ResultItem {
	t.Helper()
	opts := c.gs.NewSearchOptions().SetQuery(query).SetFields(fields).SetLimit(limit)
	var all []globalsearchv2.ResultItem
	for pages := 0; ; pages++ {
		res, _, err := c.gs.Search(opts)
		if err != nil {
			t.Fatalf("search: %v", err)
		}
		if len(res.Items) == 0 {
			return all
		}
		all = append(all, res.Items...)
		opts.SetSearchCursor(*res.SearchCursor)
		if mutate {
			// With a cursor the body's other properties are ignored.
			opts.SetQuery("name:nothing-matches-this")
		}
		if pages > 10000 {
			t.Fatal("search does not end")
		}
	}
}

func TestGlobalSearch(t *testing.T) {
	c := rsStart(t, rsSpec(), core.Options{})
	visible := func(r resources.InstanceRecord) bool { return r.State != "removed" && r.State != "pending_reclamation" }
	tagged := func(r resources.InstanceRecord) bool {
		return visible(r) && (len(r.Tags) > 0 || len(r.ServiceTags) > 0 || len(r.AccessTags) > 0)
	}
	// No type clause: clusters are indexed as k8-cluster (fidelity audit F9).
	items := rsSearchAll(t, c, "tags:* OR service_tags:* OR access_tags:*",
		[]string{"crn", "tags", "service_tags", "access_tags"}, 100, true)
	var got []string
	for _, it := range items {
		got = append(got, *it.CRN)
		if _, ok := it.GetProperty("tags").([]any); !ok {
			t.Fatalf("item without a tags list: %v", it.GetProperties())
		}
	}
	sort.Strings(got)
	if want := rsReference(c, tagged); !slices.Equal(got, want) || len(want) == 0 {
		t.Fatalf("search found %d tagged instances, want %d", len(got), len(want))
	}
	clusters := rsSearchAll(t, c, "type:k8-cluster", []string{"crn", "family", "service_name"}, 1000, false)
	if len(clusters) == 0 {
		t.Error("no instance indexed as type k8-cluster")
	}
	for _, it := range clusters {
		if it.GetProperty("family") != "containers" || it.GetProperty("service_name") != "containers-kubernetes" {
			t.Errorf("k8-cluster document %v", it.GetProperties())
		}
	}
	if n := len(rsSearchAll(t, c, "*", nil, 1000, false)); n != len(rsReference(c, visible)) {
		t.Errorf("search * = %d", n)
	}
	g := c.env.World.Resources.Groups[1].ID
	items = rsSearchAll(t, c, `resource_group_id:"`+g+`" AND tags:env\:prod`, []string{"crn", "resource_group_id", "tags"}, 50, false)
	if want := rsReference(c, func(r resources.InstanceRecord) bool {
		return visible(r) && r.GroupID == g && slices.Contains(r.Tags, "env:prod")
	}); len(items) != len(want) {
		t.Errorf("group + tag search = %d, want %d", len(items), len(want))
	}
	if _, resp, err := c.gs.Search(c.gs.NewSearchOptions().SetQuery("(unbalanced")); err == nil || resp.StatusCode != 400 {
		t.Errorf("bad query: %v", err)
	}
	if _, resp, err := c.gs.Search(c.gs.NewSearchOptions().SetLimit(5000)); err == nil || resp.StatusCode != 400 {
		t.Errorf("limit 5000: %v", err)
	}
}

func TestGlobalTagging(t *testing.T) {
	c := rsStart(t, rsSpec(), core.Options{})
	list := rsListAll(t, c, &resourcecontrollerv2.ListResourceInstancesOptions{})
	a, b := *list[1].CRN, *list[2].CRN
	res, _, err := c.gt.AttachTag(c.gt.NewAttachTagOptions().SetTagNames([]string{"audit:2026", "env:prod"}).
		SetResources([]globaltaggingv1.Resource{{ResourceID: &a}, {ResourceID: &b}, {ResourceID: sdkcore.StringPtr("crn:v1:bluemix:public:kms:us-south:a/x:nope::")}}))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Results) != 3 || *res.Results[0].IsError || *res.Results[1].IsError || !*res.Results[2].IsError {
		t.Fatalf("attach results: %+v", res.Results)
	}
	tags, _, err := c.gt.ListTags(c.gt.NewListTagsOptions().SetAttachedTo(a))
	if err != nil || !slices.ContainsFunc(tags.Items, func(x globaltaggingv1.Tag) bool { return *x.Name == "audit:2026" }) {
		t.Fatalf("tags of %s: %v %+v", a, err, tags)
	}
	// The tag shows in search (which is how the inventory reads tags) and in the
	// account's tag list, paged by offset.
	found := rsSearchAll(t, c, `tags:"audit:2026"`, []string{"crn", "tags"}, 100, false)
	if len(found) != 2 {
		t.Fatalf("search for the new tag found %d", len(found))
	}
	page, _, err := c.gt.ListTags(c.gt.NewListTagsOptions().SetLimit(3).SetOffset(3))
	if err != nil || len(page.Items) != 3 || *page.TotalCount < 10 || *page.Offset != 3 {
		t.Fatalf("tag page: %v %+v", err, page)
	}
	if _, _, err := c.gt.DetachTag(c.gt.NewDetachTagOptions().SetTagNames([]string{"audit:2026"}).
		SetResources([]globaltaggingv1.Resource{{ResourceID: &a}})); err != nil {
		t.Fatal(err)
	}
	if n := len(rsSearchAll(t, c, `tags:"audit:2026"`, nil, 100, false)); n != 1 {
		t.Errorf("after detach: %d", n)
	}
	_, resp, err := c.gt.AttachTag(c.gt.NewAttachTagOptions().SetTagNames([]string{"bad/tag"}).
		SetResources([]globaltaggingv1.Resource{{ResourceID: &a}}))
	if err == nil || resp.StatusCode != 400 {
		t.Errorf("invalid tag: %v", err)
	}
}

func TestResourcesOverlayAndPermissions(t *testing.T) {
	c := rsStart(t, account.Spec{Seed: 11, Instances: 300, Groups: 3}, core.Options{})
	w := c.env.World
	before := rsCRNs(rsListAll(t, c, &resourcecontrollerv2.ListResourceInstancesOptions{}))
	w.Lock()
	created, err := w.Resources.CreateInstance(resources.InstanceRecord{Name: "new-cos", GroupID: w.Resources.Groups[2].ID})
	if err == nil {
		err = w.Resources.UpdateInstance(before[0], func(r *resources.InstanceRecord) { r.Name = "renamed"; r.State = "failed" })
	}
	if err == nil {
		err = w.Resources.DeleteInstance(before[1])
	}
	w.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	after := rsListAll(t, c, &resourcecontrollerv2.ListResourceInstancesOptions{ResourceGroupID: &w.Resources.Groups[2].ID})
	if !slices.ContainsFunc(after, func(r resourcecontrollerv2.ResourceInstance) bool { return *r.Name == "new-cos" }) {
		t.Error("created instance missing from its group's listing")
	}
	all := rsCRNs(rsListAll(t, c, &resourcecontrollerv2.ListResourceInstancesOptions{}))
	if len(all) != len(before)-1 || slices.Contains(all, before[0]) || slices.Contains(all, before[1]) {
		t.Errorf("after changes: %d instances (was %d)", len(all), len(before))
	}
	failed := rsListAll(t, c, &resourcecontrollerv2.ListResourceInstancesOptions{State: sdkcore.StringPtr("failed")})
	if !slices.ContainsFunc(failed, func(r resourcecontrollerv2.ResourceInstance) bool { return *r.Name == "renamed" }) {
		t.Error("changed instance missing from state=failed")
	}
	if rec, ok := w.Resources.Instance(created.GUID); !ok || rec.UpdatedAt.IsZero() {
		t.Error("created instance not found by GUID")
	}

	w.Revoke(w.IAM.RunnerIAMID(), core.ActionInstanceRetrieve)
	_, resp, err := c.rc.ListResourceInstances(&resourcecontrollerv2.ListResourceInstancesOptions{})
	var prob *sdkcore.SDKProblem
	if err == nil || resp.StatusCode != http.StatusForbidden || !errors.As(err, &prob) || err.Error() == "" {
		t.Fatalf("without the action: %v %d", err, testenv.StatusOf(resp, nil))
	}
	if _, _, err := c.rm.ListResourceGroups(&resourcemanagerv2.ListResourceGroupsOptions{}); err != nil {
		t.Errorf("groups still allowed: %v", err)
	}
}
