package identity

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/trustjob/trustjob/internal/cloudsim/core"
	"github.com/trustjob/trustjob/internal/cloudsim/iamtoken"
	"github.com/trustjob/trustjob/internal/cloudsim/testenv"
)

// TestOnePagerForEveryList checks that trusted profiles, API keys and service
// IDs page alike (they once had two implementations that answered a bad token
// differently): the same 400, links that carry pagesize and can be followed
// as they are, and every item exactly once.
func TestOnePagerForEveryList(t *testing.T) {
	spec := testenv.ContractSpec()
	e := testenv.New(t, spec, core.Options{}, Mount, iamtoken.Mount)
	_, tok := e.Post(t, http.MethodPost, testenv.CRForm(e.Mint(t, nil), "profile_id", e.Runner.ID), nil)
	access, _ := tok["access_token"].(string)
	get := func(t *testing.T, u string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		req.Header.Set("Authorization", "Bearer "+access)
		resp, err := e.Srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, body
	}
	acct := url.QueryEscape(e.World.AccountID)
	for _, tt := range []struct {
		path, field string
		want        int
	}{
		{"/v1/profiles?account_id=" + acct, "profiles", spec.Profiles},
		{"/v1/apikeys?scope=account&account_id=" + acct, "apikeys", spec.APIKeys},
		{"/v1/serviceids/?account_id=" + acct, "serviceids", spec.ServiceIDs},
	} {
		t.Run(tt.field, func(t *testing.T) {
			status, body := get(t, e.Srv.URL+tt.path+"&pagetoken=%21%21")
			if msg := errorMessage(body); status != 400 || msg != "invalid pagetoken '!!'" {
				t.Errorf("bad pagetoken: %d %q", status, msg)
			}
			seen := map[string]bool{}
			next := e.Srv.URL + tt.path + "&pagesize=4"
			for pages := 0; next != ""; pages++ {
				if pages > tt.want {
					t.Fatal("paging does not end")
				}
				status, body = get(t, next)
				if status != 200 {
					t.Fatalf("%s: %d %v", next, status, body)
				}
				if first, _ := body["first"].(string); !strings.Contains(first, "pagesize=4") || strings.Contains(first, "pagetoken") {
					t.Errorf("first = %q", first)
				}
				items, _ := body[tt.field].([]any)
				for _, it := range items {
					id, _ := it.(map[string]any)["id"].(string)
					if seen[id] {
						t.Errorf("%s twice", id)
					}
					seen[id] = true
				}
				next, _ = body["next"].(string)
				if next != "" && !strings.Contains(next, "pagesize=4") {
					t.Errorf("next = %q", next)
				}
			}
			if len(seen) != tt.want {
				t.Errorf("%d items, want %d", len(seen), tt.want)
			}
		})
	}
}

func errorMessage(body map[string]any) string {
	list, _ := body["errors"].([]any)
	if len(list) == 0 {
		return ""
	}
	m, _ := list[0].(map[string]any)
	s, _ := m["message"].(string)
	return s
}
