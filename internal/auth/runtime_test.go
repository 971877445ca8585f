package auth

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/trustjob/trustjob/internal/cloudsim/vpcmeta"
	"github.com/trustjob/trustjob/internal/exitcode"
	"github.com/trustjob/trustjob/internal/ibmcloud"
)

const vpcProfile = "Profile-11111111-2222-3333-4444-555555555555"

// accessIssuer mints a readable access token (the emulated IAM is not needed
// here: internal/cloudsim/vpcmeta's ExchangeIssuer is tested end to end in
// test/failure).
type accessIssuer struct{}

func (accessIssuer) IAMToken(_ context.Context, _ vpcmeta.Instance, p vpcmeta.ProfileRef) (string, int64, error) {
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"iam_id": "iam-" + p.ID, "account": map[string]any{"bss": "acct"}, "name": "runner",
		"exp": time.Now().Add(time.Hour).Unix(),
	}).SignedString([]byte("k"))
	return tok, 3600, err
}

func metaServer(t *testing.T, linked ...string) (*vpcmeta.Server, string) {
	t.Helper()
	var refs []vpcmeta.ProfileRef
	for _, id := range linked {
		refs = append(refs, vpcmeta.ProfileRef{ID: id})
	}
	s := vpcmeta.New(vpcmeta.Instance{ID: "i", CRN: "crn:i", Region: "us-south", Linked: refs}, accessIssuer{})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv.URL
}

func TestSignInVPC(t *testing.T) {
	_, url := metaServer(t, vpcProfile)
	sess, err := SignIn(context.Background(), Settings{
		ComputeResource: ComputeVPC, ProfileID: vpcProfile, MetadataURL: url,
		AllowedHosts: []string{"127.0.0.1"}, Getenv: func(string) string { return "" },
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sess.Account != "acct" || sess.ProfileID != vpcProfile || sess.Exchanges() != 1 {
		t.Errorf("session %+v, exchanges %d", sess, sess.Exchanges())
	}
	if n := sess.Clients.Requests.Get(ServiceVPCMetadata); n != 2 {
		t.Errorf("%d metadata requests, want 2", n)
	}
}

// TestSignInVPCFailures: each failure has its exit code and never panics
// the SDK.
func TestSignInVPCFailures(t *testing.T) {
	retry := Retry{Attempts: 2, Base: time.Millisecond, PerAttempt: 2 * time.Second}
	cases := []struct {
		name    string
		setup   func(t *testing.T) Settings
		code    int
		message string
	}{
		{"not linked", func(t *testing.T) Settings {
			_, url := metaServer(t, "Profile-other")
			return Settings{ProfileID: vpcProfile, MetadataURL: url}
		}, exitcode.NoPerm, "not linked"},
		{"unavailable after retries", func(t *testing.T) Settings {
			s, url := metaServer(t, vpcProfile)
			s.FailNext(10, http.StatusServiceUnavailable)
			return Settings{ProfileID: vpcProfile, MetadataURL: url}
		}, exitcode.TempFail, "after 2 attempts"},
		{"one hiccup is retried", func(t *testing.T) Settings {
			s, url := metaServer(t, vpcProfile)
			s.FailNext(1, http.StatusTooManyRequests)
			return Settings{ProfileID: vpcProfile, MetadataURL: url}
		}, exitcode.OK, ""},
		{"answer without expires_at", func(t *testing.T) Settings {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				if strings.HasSuffix(r.URL.Path, "/token") {
					_, _ = w.Write([]byte(`{"access_token":"x.y.z","expires_in":300}`))
					return
				}
				_, _ = w.Write([]byte(`{"access_token":"x.y.z"}`))
			}))
			t.Cleanup(srv.Close)
			return Settings{ProfileID: vpcProfile, MetadataURL: srv.URL}
		}, exitcode.NoPerm, "unusable"},
		{"unreachable", func(t *testing.T) Settings {
			srv := httptest.NewServer(http.NotFoundHandler())
			url := srv.URL
			srv.Close()
			return Settings{ProfileID: vpcProfile, MetadataURL: url}
		}, exitcode.TempFail, "cannot be reached"},
		{"host not allowed", func(t *testing.T) Settings {
			return Settings{ProfileID: vpcProfile, MetadataURL: "http://metadata.example.com"}
		}, exitcode.Config, ""},
		{"plain http off the instance", func(t *testing.T) Settings {
			return Settings{ProfileID: vpcProfile, MetadataURL: "http://metadata.example.com", AllowedHosts: []string{"metadata.example.com"}}
		}, exitcode.Config, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := c.setup(t)
			s.ComputeResource, s.Retry, s.Getenv = ComputeVPC, retry, func(string) string { return "" }
			if s.AllowedHosts == nil {
				s.AllowedHosts = []string{"127.0.0.1"}
			}
			_, err := SignIn(context.Background(), s, nil)
			code, _ := ExitCode(err)
			if code != c.code || (c.message != "" && !strings.Contains(err.Error(), c.message)) {
				t.Errorf("err %v -> exit %d, want %d %q", err, code, c.code, c.message)
			}
		})
	}
}

// TestMetadataHostNeverGetsTheAccessToken: a link-local address listed in
// allowedHosts is dropped from the API host policy.
func TestMetadataHostNeverGetsTheAccessToken(t *testing.T) {
	hosts := serviceHosts([]string{"127.0.0.1", "169.254.169.254", "fe80::1", "iam.example.com"})
	p := ibmcloud.NewHostPolicy(hosts)
	if p.Allows("169.254.169.254") || p.Allows("fe80::1") {
		t.Errorf("the API host policy allows the metadata service: %v", hosts)
	}
	if !p.Allows("127.0.0.1") || !p.Allows("iam.example.com") {
		t.Errorf("other allowed hosts were dropped: %v", hosts)
	}
	if !errors.Is(preflightVPC(Settings{ProfileID: vpcProfile, MetadataURL: "ftp://169.254.169.254"}), ibmcloud.ErrHostNotAllowed) {
		t.Error("a non-http metadata URL passed preflight")
	}
}
