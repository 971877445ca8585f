package resources_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/IBM/go-sdk-core/v5/core"
	"github.com/IBM/platform-services-go-sdk/resourcecontrollerv2"
	"github.com/IBM/platform-services-go-sdk/resourcemanagerv2"

	simcore "github.com/trustjob/trustjob/internal/cloudsim/core"
	"github.com/trustjob/trustjob/internal/cloudsim/resources"
)

// F12: Resource Controller and Resource Manager errors have their own flat
// shape, and the SDK reads its message.
func TestRCErrorShape(t *testing.T) {
	c := rsStart(t, rsSpec(), simcore.Options{})
	_, resp, err := c.rc.GetResourceInstance(&resourcecontrollerv2.GetResourceInstanceOptions{ID: core.StringPtr("no-such-instance")})
	if err == nil || resp == nil || resp.StatusCode != http.StatusNotFound {
		t.Fatalf("err %v, resp %v", err, resp)
	}
	body, _ := resp.Result.(map[string]any)
	for _, k := range []string{"error_code", "message", "status_code", "transaction_id"} {
		if body[k] == nil {
			t.Errorf("error body %v has no %s", body, k)
		}
	}
	if body["errors"] != nil {
		t.Errorf("error body %v has the API Handbook's errors[]", body)
	}
	if err.Error() != body["message"] {
		t.Errorf("SDK error %q, want the body's message %q", err.Error(), body["message"])
	}
}

// F7: a 429 carries X-RateLimit-Limit/Remaining/Reset; Retry-After only when
// configured.
func TestRateLimitHeaders(t *testing.T) {
	c := rsStart(t, rsSpec(), simcore.Options{MaxInFlight: 1, Latency: 50 * time.Millisecond})
	c.rc.DisableRetries()
	errs := make(chan *core.DetailedResponse, 4)
	for range 4 {
		go func() {
			_, resp, _ := c.rc.ListResourceInstancesWithContext(context.Background(), &resourcecontrollerv2.ListResourceInstancesOptions{})
			errs <- resp
		}()
	}
	var throttled *core.DetailedResponse
	for range 4 {
		if r := <-errs; r != nil && r.StatusCode == http.StatusTooManyRequests {
			throttled = r
		}
	}
	if throttled == nil {
		t.Fatal("no 429 with four requests and one allowed in flight")
	}
	h := throttled.Headers
	reset, err := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64)
	if err != nil || reset < time.Now().Unix() || h.Get("X-RateLimit-Remaining") != "0" || h.Get("X-RateLimit-Limit") == "" {
		t.Errorf("429 headers %v", h)
	}
	if h.Get("Retry-After") != "" {
		t.Errorf("Retry-After %q sent although not configured", h.Get("Retry-After"))
	}
}

// F10: Resource Manager leaves out the groups the caller may not view.
func TestHiddenGroupsFiltered(t *testing.T) {
	c := rsStart(t, rsSpec(), simcore.Options{})
	w := c.env.World
	w.Lock()
	hidden := w.Resources.Groups[1].ID
	w.Resources.Behaviour.HiddenGroups = map[string]bool{hidden: true}
	n := len(w.Resources.Groups)
	w.Unlock()
	list, _, err := c.rm.ListResourceGroups(&resourcemanagerv2.ListResourceGroupsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Resources) != n-1 {
		t.Fatalf("%d groups listed, want %d", len(list.Resources), n-1)
	}
	for _, g := range list.Resources {
		if *g.ID == hidden {
			t.Fatal("the hidden group is listed")
		}
	}
}

// F3: the default state set is configurable; named states are unaffected.
func TestDefaultStates(t *testing.T) {
	c := rsStart(t, rsSpec(), simcore.Options{})
	count := func(state string) int {
		o := &resourcecontrollerv2.ListResourceInstancesOptions{}
		if state != "" {
			o.SetState(state)
		}
		pager, err := c.rc.NewResourceInstancesPager(o)
		if err != nil {
			t.Fatal(err)
		}
		all, err := pager.GetAll()
		if err != nil {
			t.Fatal(err)
		}
		return len(all)
	}
	sdk := count("")
	c.env.World.Lock()
	c.env.World.Resources.Behaviour.DefaultStates = resources.SpecDefaultStates
	c.env.World.Unlock()
	spec := count("")
	want := 0
	for _, s := range resources.SpecDefaultStates {
		want += count(s)
	}
	if spec != want || spec <= sdk {
		t.Fatalf("default listing: %d with the SDK default, %d with the spec default; want %d (> %d)", sdk, spec, want, sdk)
	}
}
