package vpcmeta

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/IBM/go-sdk-core/v5/core"
)

const (
	profileID  = "Profile-11111111-2222-3333-4444-555555555555"
	otherID    = "Profile-99999999-2222-3333-4444-555555555555"
	profileCRN = "crn:v1:bluemix:public:iam-identity::a/0123456789abcdef0123456789abcdef::profile:" + profileID
)

type fakeIssuer struct{ got []ProfileRef }

func (f *fakeIssuer) IAMToken(_ context.Context, _ Instance, p ProfileRef) (string, int64, error) {
	f.got = append(f.got, p)
	return "iam-token-for-" + p.ID + p.CRN, 3600, nil
}

func newServer(t *testing.T, def *ProfileRef) (*Server, *fakeIssuer, string) {
	t.Helper()
	iss := &fakeIssuer{}
	s := New(Instance{ID: "0717_abc", CRN: "crn:v1:bluemix:public:is:us-south-1:a/0123::instance:0717_abc",
		Region: "us-south", Zone: "us-south-1", AccountID: "0123", DefaultProfile: def,
		Linked: []ProfileRef{{ID: profileID}}}, iss)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, iss, srv.URL
}

// TestSDKContract drives the emulator through go-sdk-core's
// VpcInstanceAuthenticator, both API versions, by ID and by CRN.
func TestSDKContract(t *testing.T) {
	for _, version := range []string{VersionLegacy, VersionNew} {
		for _, c := range []struct{ name, id, crn string }{{"id", profileID, ""}, {"crn", "", profileCRN}} {
			t.Run(version+"/"+c.name, func(t *testing.T) {
				s, iss, url := newServer(t, nil)
				a, err := core.NewVpcInstanceAuthenticatorBuilder().SetURL(url).SetServiceVersion(version).
					SetIAMProfileID(c.id).SetIAMProfileCRN(c.crn).Build()
				if err != nil {
					t.Fatal(err)
				}
				tok, err := a.GetToken()
				if err != nil {
					t.Fatal(err)
				}
				if !strings.HasPrefix(tok, "iam-token-for-") || len(iss.got) != 1 {
					t.Errorf("token %q, issuer saw %v", tok, iss.got)
				}
				reqs := s.Requests()
				if len(reqs) != 2 || !strings.HasPrefix(reqs[0], "PUT ") || !strings.HasPrefix(reqs[1], "POST ") {
					t.Errorf("requests %v", reqs)
				}
				if _, err := a.GetToken(); err != nil || len(s.Requests()) != 2 {
					t.Errorf("second GetToken: err %v, %d requests (want the cached token)", err, len(s.Requests()))
				}
			})
		}
	}
}

// TestErrors: the documented error answers, as the SDK reports them.
func TestErrors(t *testing.T) {
	cases := []struct {
		name    string
		def     *ProfileRef
		id      string
		setup   func(*Server)
		want    string
		wantErr int
	}{
		{"not linked", nil, otherID, nil, "not linked to the specified trusted profile", 400},
		{"no profile and no default", nil, "", nil, "A trusted profile ID was not passed", 400},
		{"default profile", &ProfileRef{ID: profileID}, "", nil, "", 0},
		{"unavailable", nil, profileID, func(s *Server) { s.FailNext(1, 503) }, "temporarily unavailable", 503},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, _, url := newServer(t, c.def)
			if c.setup != nil {
				c.setup(s)
			}
			a, _ := core.NewVpcInstanceAuthenticatorBuilder().SetURL(url).SetIAMProfileID(c.id).Build()
			_, err := a.GetToken()
			if c.wantErr == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var ae *core.AuthenticationError
			if !errors.As(err, &ae) || ae.HTTPProblem == nil || ae.HTTPProblem.Response.StatusCode != c.wantErr || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want %d %q", err, c.wantErr, c.want)
			}
		})
	}
}

// TestRequestRules: headers, versions, paths and limits the API documents.
func TestRequestRules(t *testing.T) {
	_, _, url := newServer(t, nil)
	do := func(method, path, body string, hdr map[string]string) (int, string) {
		req, _ := http.NewRequest(method, url+path, strings.NewReader(body))
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	flavor := map[string]string{"Metadata-Flavor": "ibm"}
	for _, c := range []struct {
		name, method, path, body string
		hdr                      map[string]string
		status                   int
		code                     string
	}{
		{"no flavor header", "PUT", "/instance_identity/v1/token?version=2022-03-01", "", nil, 400, "missing_value"},
		{"no version", "PUT", "/instance_identity/v1/token", "", flavor, 400, "missing_value"},
		{"old path on new version", "PUT", "/instance_identity/v1/token?version=2025-08-26", "", flavor, 404, "not_found"},
		{"new path on old version", "PUT", "/identity/v1/token?version=2022-03-01", "", flavor, 404, "not_found"},
		{"lifetime too long", "PUT", "/instance_identity/v1/token?version=2022-03-01", `{"expires_in": 3601}`, flavor, 400, "invalid_value"},
		{"unknown field", "PUT", "/instance_identity/v1/token?version=2022-03-01", `{"expires": 30}`, flavor, 400, "unknown_field"},
		{"wrong method", "GET", "/instance_identity/v1/token?version=2022-03-01", "", flavor, 405, ""},
		{"no bearer", "POST", "/instance_identity/v1/iam_token?version=2022-03-01", "", flavor, 401, "unauthenticated"},
		{"bad bearer", "POST", "/instance_identity/v1/iam_token?version=2022-03-01", "", map[string]string{"Metadata-Flavor": "ibm", "Authorization": "Bearer x.y.z"}, 401, "unauthenticated"},
		{"minimum lifetime", "PUT", "/instance_identity/v1/token?version=2022-03-01", `{"expires_in": 5}`, flavor, 200, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, body := do(c.method, c.path, c.body, c.hdr)
			if status != c.status || !strings.Contains(body, c.code) {
				t.Errorf("%d %s, want %d %s", status, body, c.status, c.code)
			}
			if status >= 400 && !strings.Contains(body, `"errors":[{`) {
				t.Errorf("error body without errors[]: %s", body)
			}
		})
	}
}

// TestDisabled: a disabled metadata service never answers.
func TestDisabled(t *testing.T) {
	s, _, url := newServer(t, nil)
	s.SetDisabled(true)
	a, _ := core.NewVpcInstanceAuthenticatorBuilder().SetURL(url).SetIAMProfileID(profileID).
		SetClient(&http.Client{Timeout: 200 * time.Millisecond}).Build()
	if _, err := a.GetToken(); err == nil {
		t.Fatal("a disabled metadata service answered")
	}
}
