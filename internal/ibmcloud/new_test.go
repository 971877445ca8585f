package ibmcloud_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/IBM/go-sdk-core/v5/core"
	"github.com/IBM/platform-services-go-sdk/resourcemanagerv2"

	"github.com/trustjob/trustjob/internal/ibmcloud"
)

// urls returns every client's service URL by service name.
func urls(c *ibmcloud.Clients) map[string]string {
	return map[string]string{
		ibmcloud.ServiceResourceController: c.ResourceController.Service.GetServiceURL(),
		ibmcloud.ServiceResourceManager:    c.ResourceManager.Service.GetServiceURL(),
		ibmcloud.ServiceIAMIdentity:        c.IAMIdentity.Service.GetServiceURL(),
		ibmcloud.ServiceGlobalSearch:       c.GlobalSearch.Service.GetServiceURL(),
		ibmcloud.ServiceGlobalTagging:      c.GlobalTagging.Service.GetServiceURL(),
		ibmcloud.ServiceAccessGroups:       c.AccessGroups.Service.GetServiceURL(),
		ibmcloud.ServicePolicyManagement:   c.PolicyManagement.Service.GetServiceURL(),
		ibmcloud.ServiceUsageReports:       c.UsageReports.Service.GetServiceURL(),
		ibmcloud.ServiceUserManagement:     c.UserManagement.Service.GetServiceURL(),
		ibmcloud.ServiceAccountManagement:  c.AccountManagement.Service.GetServiceURL(),
		ibmcloud.ServiceEnterprise:         c.Enterprise.Service.GetServiceURL(),
	}
}

func bearer() core.Authenticator {
	a, err := core.NewBearerTokenAuthenticator("access-token-for-tests")
	if err != nil {
		panic(err)
	}
	return a
}

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestNewEndpoints(t *testing.T) {
	tests := []struct {
		name    string
		network ibmcloud.Network
		env     map[string]string
		allowed []string
		want    func(e ibmcloud.Endpoint) string
	}{
		{name: "public", want: func(e ibmcloud.Endpoint) string { return e.Public }},
		{name: "private", network: ibmcloud.Network{Mode: "private", Region: "us-south"}, want: func(e ibmcloud.Endpoint) string {
			h, _ := ibmcloud.HostFor(e.Service)
			return h.CSE("us-south")
		}},
		{name: "vpe", network: ibmcloud.Network{Mode: "vpe"}, want: func(e ibmcloud.Endpoint) string {
			h, _ := ibmcloud.HostFor(e.Service)
			return h.VPE
		}},
		{
			name: "SDK variables override each service", network: ibmcloud.Network{Mode: "vpe"}, allowed: []string{"127.0.0.1"},
			env: func() map[string]string {
				m := map[string]string{}
				for _, e := range ibmcloud.Endpoints {
					m[e.EnvVar] = " http://127.0.0.1:9/" + e.Service + " "
				}
				return m
			}(),
			want: func(e ibmcloud.Endpoint) string { return "http://127.0.0.1:9/" + e.Service },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ibmcloud.New(ibmcloud.Options{Authenticator: bearer(), Network: tt.network, AllowedHosts: tt.allowed, Getenv: envOf(tt.env)})
			if err != nil {
				t.Fatal(err)
			}
			got := urls(c)
			if len(got) != len(ibmcloud.Endpoints) {
				t.Fatalf("%d clients, %d endpoints", len(got), len(ibmcloud.Endpoints))
			}
			for _, e := range ibmcloud.Endpoints {
				if want := tt.want(e); got[e.Service] != want {
					t.Errorf("%s: %s, want %s", e.Service, got[e.Service], want)
				}
			}
			if c.Authenticator == nil || c.Requests == nil {
				t.Error("clients without the shared authenticator or counter")
			}
		})
	}
}

func TestNewRefusesForeignEndpoints(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		allowed []string
		wantErr []string // all in the error; none means success
	}{
		{
			name:    "override to a host that is not IBM Cloud's",
			env:     map[string]string{"GLOBAL_SEARCH_URL": "https://collector.example.com/v3"},
			wantErr: []string{"global-search", "collector.example.com", "$GLOBAL_SEARCH_URL", "allowedHosts"},
		},
		{
			name:    "look-alike host",
			env:     map[string]string{"IAM_IDENTITY_URL": "https://iam.cloud.ibm.com.example.net"},
			wantErr: []string{"iam.cloud.ibm.com.example.net", "$IAM_IDENTITY_URL"},
		},
		{
			name:    "loopback is not implicitly trusted",
			env:     map[string]string{"RESOURCE_CONTROLLER_URL": "http://127.0.0.1:8080"},
			wantErr: []string{"127.0.0.1", "allowedHosts"},
		},
		{
			name:    "not a URL",
			env:     map[string]string{"USAGE_REPORTS_URL": "billing"},
			wantErr: []string{"usage-reports", "not a URL"},
		},
		{
			name:    "listed in allowedHosts",
			env:     map[string]string{"GLOBAL_SEARCH_URL": "https://collector.example.com/v3"},
			allowed: []string{"Collector.Example.com"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ibmcloud.New(ibmcloud.Options{Authenticator: bearer(), AllowedHosts: tt.allowed, Getenv: envOf(tt.env)})
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatal("New accepted the endpoint")
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
	if _, err := ibmcloud.New(ibmcloud.Options{}); err == nil {
		t.Error("New without an authenticator succeeded")
	}
}

func TestHostPolicy(t *testing.T) {
	p := ibmcloud.NewHostPolicy([]string{" Emulator.Local ", "10.0.0.7"})
	tests := []struct {
		host string
		want bool
	}{
		{"iam.cloud.ibm.com", true},
		{"private.iam.cloud.ibm.com", true},
		{"api.private.global-search-tagging.cloud.ibm.com", true},
		{"IAM.Cloud.IBM.com.", true},
		{"cloud.ibm.com", true},
		{"emulator.local", true},
		{"10.0.0.7", true},
		{"evilcloud.ibm.com", false},
		{"iam.cloud.ibm.com.example.net", false},
		{"ibm.com", false},
		{"127.0.0.1", false},
		{"localhost", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := p.Allows(tt.host); got != tt.want {
			t.Errorf("Allows(%q) = %v, want %v", tt.host, got, tt.want)
		}
	}
	err := p.Check("https://collector.example.com/x")
	if !errors.Is(err, ibmcloud.ErrHostNotAllowed) || !strings.Contains(err.Error(), "collector.example.com") {
		t.Errorf("Check: %v", err)
	}
}

// server answers with the statuses in order (the last one repeats) and
// records the Authorization headers it received.
type server struct {
	statuses []int
	header   http.Header // added to each answer
	hits     atomic.Int64
	auth     atomic.Value
	hang     bool
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := int(s.hits.Add(1)) - 1
	s.auth.Store(r.Header.Get("Authorization"))
	if s.hang {
		<-r.Context().Done()
		return
	}
	for k, v := range s.header {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(s.statuses[min(n, len(s.statuses)-1)])
	w.Write([]byte(`{"resources":[]}`))
}

func TestRequests(t *testing.T) {
	elsewhere := &server{statuses: []int{200}}
	foreign := httptest.NewServer(elsewhere)
	defer foreign.Close()
	// Same server, reached through a host name that is not allowed.
	foreignURL := strings.Replace(foreign.URL, "127.0.0.1", "localhost", 1)

	tests := []struct {
		name       string
		srv        *server
		wantHits   int64
		wantStatus int
		wantErr    string
		timeout    bool // err is a net.Error timeout
		permission bool
	}{
		{name: "success", srv: &server{statuses: []int{200}}, wantHits: 1, wantStatus: 200},
		{name: "503 retried by the SDK", srv: &server{statuses: []int{503, 200}, header: http.Header{"Retry-After": {"0"}}}, wantHits: 2, wantStatus: 200},
		{name: "429 retried by the SDK", srv: &server{statuses: []int{429, 200}, header: http.Header{"Retry-After": {"0"}}}, wantHits: 2, wantStatus: 200},
		{name: "5xx until the retries run out", srv: &server{statuses: []int{502}}, wantHits: 3, wantStatus: 502, wantErr: "Bad Gateway"},
		{name: "403 is not retried", srv: &server{statuses: []int{403}}, wantHits: 1, wantStatus: 403, wantErr: "Forbidden", permission: true},
		{name: "404 is not retried", srv: &server{statuses: []int{404}}, wantHits: 1, wantStatus: 404, wantErr: "Not Found"},
		{
			name:     "redirect to a host that is not allowed: refused, not retried",
			srv:      &server{statuses: []int{307}, header: http.Header{"Location": {foreignURL + "/steal"}}},
			wantHits: 1, wantErr: "resource-manager redirect from http://127.0.0.1",
		},
		{name: "each attempt has a timeout", srv: &server{statuses: []int{200}, hang: true}, wantHits: 3, wantErr: "127.0.0.1", timeout: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := httptest.NewServer(tt.srv)
			defer ts.Close()
			before := elsewhere.hits.Load()
			c, err := ibmcloud.New(ibmcloud.Options{
				Authenticator: bearer(), AllowedHosts: []string{"127.0.0.1"},
				Getenv:         envOf(map[string]string{"RESOURCE_MANAGER_URL": ts.URL}),
				RequestTimeout: 200 * time.Millisecond, MaxRetries: 2, MaxRetryInterval: 10 * time.Millisecond,
			})
			if err != nil {
				t.Fatal(err)
			}
			_, resp, err := c.ResourceManager.ListResourceGroupsWithContext(context.Background(), &resourcemanagerv2.ListResourceGroupsOptions{})
			if tt.wantErr == "" && err != nil {
				t.Fatal(err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("error %v, want %q", err, tt.wantErr)
			}
			var ne net.Error
			if tt.timeout && !(errors.As(err, &ne) && ne.Timeout()) {
				t.Errorf("error %v is not a timeout", err)
			}
			if got := tt.srv.hits.Load(); got != tt.wantHits {
				t.Errorf("server saw %d requests, want %d", got, tt.wantHits)
			}
			if got := c.Requests.Get(ibmcloud.ServiceResourceManager); got != tt.wantHits {
				t.Errorf("counted %d requests, want %d", got, tt.wantHits)
			}
			if got := tt.srv.auth.Load(); got != "Bearer access-token-for-tests" {
				t.Errorf("Authorization %q", got)
			}
			if elsewhere.hits.Load() != before {
				t.Error("a request reached a host that is not allowed")
			}
			if got := ibmcloud.ResponseStatus(resp, err); got != tt.wantStatus {
				t.Errorf("ResponseStatus %d, want %d", got, tt.wantStatus)
			}
			// Some SDKs hide the HTTP problem inside the core's error; the
			// status comes from the response, which Wrap records.
			if ibmcloud.IsPermission(ibmcloud.Wrap("list", resp, err)) != tt.permission {
				t.Errorf("IsPermission %v, want %v", !tt.permission, tt.permission)
			}
			wrapped := ibmcloud.Wrap("list resource groups", resp, err)
			if (wrapped == nil) != (err == nil) || (err != nil && ibmcloud.HTTPStatus(wrapped) != tt.wantStatus) {
				t.Errorf("Wrap: %v, HTTPStatus %d", wrapped, ibmcloud.HTTPStatus(wrapped))
			}
			if err != nil && !strings.HasPrefix(wrapped.Error(), "list resource groups: ") {
				t.Errorf("Wrap lost what was being done: %v", wrapped)
			}
		})
	}
}

// TestTaskCounts: a request sent under a task's context counts into the task
// (per service, retries, 429s) as well as into the run; and a caller that
// retries on its own can turn the SDK's retries off (BaseService.DisableRetries
// must recognise the client New builds).
func TestTaskCounts(t *testing.T) {
	tests := []struct {
		name                     string
		statuses                 []int
		disable                  bool
		wantHits                 int64
		wantRetries, wantThrottl int64
	}{
		{"success", []int{200}, false, 1, 0, 0},
		{"429 then 200", []int{429, 200}, false, 2, 1, 1},
		{"503 until the retries run out", []int{503}, false, 3, 2, 0},
		{"retries off: one attempt", []int{503}, true, 1, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := &server{statuses: tt.statuses, header: http.Header{"Retry-After": {"0"}}}
			ts := httptest.NewServer(srv)
			defer ts.Close()
			c, err := ibmcloud.New(ibmcloud.Options{
				Authenticator: bearer(), AllowedHosts: []string{"127.0.0.1"},
				Getenv:         envOf(map[string]string{"RESOURCE_MANAGER_URL": ts.URL}),
				RequestTimeout: time.Second, MaxRetries: 2, MaxRetryInterval: 10 * time.Millisecond,
			})
			if err != nil {
				t.Fatal(err)
			}
			if tt.disable {
				c.ResourceManager.Service.DisableRetries()
			}
			counts := ibmcloud.NewTaskCounts()
			ctx := ibmcloud.WithTaskCounts(context.Background(), counts)
			_, _, _ = c.ResourceManager.ListResourceGroupsWithContext(ctx, &resourcemanagerv2.ListResourceGroupsOptions{})
			if got := srv.hits.Load(); got != tt.wantHits {
				t.Errorf("server saw %d requests, want %d", got, tt.wantHits)
			}
			if got := counts.Requests()[ibmcloud.ServiceResourceManager]; got != tt.wantHits {
				t.Errorf("task counted %d requests, want %d", got, tt.wantHits)
			}
			if got := c.Requests.Get(ibmcloud.ServiceResourceManager); got != tt.wantHits {
				t.Errorf("run counted %d requests, want %d", got, tt.wantHits)
			}
			if counts.Retries() != tt.wantRetries || counts.Throttles() != tt.wantThrottl {
				t.Errorf("retries %d, throttles %d, want %d, %d", counts.Retries(), counts.Throttles(), tt.wantRetries, tt.wantThrottl)
			}
		})
	}
}
