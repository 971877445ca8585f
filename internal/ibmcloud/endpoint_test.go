package ibmcloud_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/IBM/platform-services-go-sdk/resourcemanagerv2"

	"github.com/trustjob/trustjob/internal/ibmcloud"
)

func TestCheckEndpoint(t *testing.T) {
	p := ibmcloud.NewHostPolicy([]string{"127.0.0.1", "localhost", "emulator.example"})
	tests := []struct {
		url  string
		want error
		port string
	}{
		{"https://iam.cloud.ibm.com", nil, "443"},
		{"https://iam.cloud.ibm.com:8443/x", nil, "8443"},
		{"http://127.0.0.1:8080", nil, "8080"},
		{"http://localhost", nil, "80"},
		{"http://resource-controller.cloud.ibm.com", ibmcloud.ErrInsecureEndpoint, ""},
		{"http://emulator.example:8080", ibmcloud.ErrInsecureEndpoint, ""},
		{"ftp://iam.cloud.ibm.com", ibmcloud.ErrInsecureEndpoint, ""},
		{"https://u:secret@iam.cloud.ibm.com", ibmcloud.ErrInsecureEndpoint, ""},
		{"https://example.com", ibmcloud.ErrHostNotAllowed, ""},
	}
	for _, tt := range tests {
		o, err := p.CheckEndpoint(tt.url)
		if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
			t.Errorf("%s: %v, want %v", tt.url, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: the error shows the password: %v", tt.url, err)
		}
		if tt.want == nil && o.Port != tt.port {
			t.Errorf("%s: port %q, want %q", tt.url, o.Port, tt.port)
		}
	}
}

// Issue 12 items 16 and 17: New refuses a plain-http override off loopback,
// and a redirect to another port of the same (allowed) host is refused before
// the bearer token is sent; nothing is logged through the standard logger.
func TestRedirectToAnotherPortRefused(t *testing.T) {
	if _, err := ibmcloud.New(ibmcloud.Options{Authenticator: bearer(), Getenv: envOf(map[string]string{
		"RESOURCE_CONTROLLER_URL": "http://resource-controller.cloud.ibm.com"})}); !errors.Is(err, ibmcloud.ErrInsecureEndpoint) {
		t.Errorf("plain http override: %v", err)
	}
	other := &server{statuses: []int{200}}
	ts2 := httptest.NewServer(other)
	defer ts2.Close()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, ts2.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer ts.Close()
	var stdlog bytes.Buffer
	log.SetOutput(&stdlog)
	defer log.SetOutput(nil)
	c, err := ibmcloud.New(ibmcloud.Options{Authenticator: bearer(), AllowedHosts: []string{"127.0.0.1"},
		Getenv: envOf(map[string]string{"RESOURCE_MANAGER_URL": ts.URL})})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = c.ResourceManager.ListResourceGroupsWithContext(context.Background(), &resourcemanagerv2.ListResourceGroupsOptions{})
	if err == nil || !strings.Contains(err.Error(), "refused") {
		t.Errorf("error %v, want a refusal", err)
	}
	if n := other.hits.Load(); n != 0 {
		t.Errorf("%d requests reached the other port", n)
	}
	if stdlog.Len() != 0 {
		t.Errorf("the standard logger wrote: %q", stdlog.String())
	}
}

// Issue 12 item 10: a body over the cap fails the call instead of growing the
// heap, plain and gzip-compressed (which Go decompresses transparently).
func TestBodyCap(t *testing.T) {
	huge := bytes.Repeat([]byte(" "), 8<<20)
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write([]byte(`{"resources":[`))
	w.Write(huge)
	w.Write([]byte(`]}`))
	w.Close()
	tests := []struct {
		name    string
		handler http.HandlerFunc
	}{
		{"plain, with Content-Length", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`{"resources":[`))
			w.Write(huge)
			w.Write([]byte(`]}`))
		}},
		{"chunked", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`{"resources":[`))
			for range 3 {
				w.Write(huge)
				w.(http.Flusher).Flush()
			}
			w.Write([]byte(`]}`))
		}},
		{"gzip bomb", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Encoding", "gzip")
			w.Write(gz.Bytes())
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := httptest.NewServer(tt.handler)
			defer ts.Close()
			c, err := ibmcloud.New(ibmcloud.Options{Authenticator: bearer(), AllowedHosts: []string{"127.0.0.1"},
				Getenv: envOf(map[string]string{"RESOURCE_MANAGER_URL": ts.URL}), MaxResponseBytes: 4 << 20})
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = c.ResourceManager.ListResourceGroupsWithContext(context.Background(), &resourcemanagerv2.ListResourceGroupsOptions{})
			if err == nil || !strings.Contains(err.Error(), "too large") {
				t.Errorf("error %v, want body too large", err)
			}
		})
	}
}
