package auth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/IBM/platform-services-go-sdk/resourcemanagerv2"

	"github.com/trustjob/trustjob/internal/auth"
	"github.com/trustjob/trustjob/internal/cloudsim"
	"github.com/trustjob/trustjob/internal/exitcode"
	"github.com/trustjob/trustjob/internal/ibmcloud"
)

// Issue 12 item 16: a plain-http endpoint off loopback never receives a
// request, for IAM and for every service override.
func TestSignInRefusesPlainHTTP(t *testing.T) {
	l := emulator(t, cloudsim.Options{})
	tests := []struct {
		name string
		edit func(s *auth.Settings)
	}{
		{"IAM", func(s *auth.Settings) { s.IAMURL = "http://iam.cloud.ibm.com" }},
		{"service override", func(s *auth.Settings) {
			s.Getenv = func(k string) string {
				if k == "RESOURCE_CONTROLLER_URL" {
					return "http://resource-controller.cloud.ibm.com"
				}
				return l.Env[k]
			}
		}},
		{"userinfo in an override", func(s *auth.Settings) {
			s.Getenv = func(k string) string {
				if k == "RESOURCE_CONTROLLER_URL" {
					return "https://me:hunter2@resource-controller.cloud.ibm.com"
				}
				return l.Env[k]
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := settings(l)
			base := &counting{}
			s.Transport = base
			tt.edit(&s)
			_, err := auth.SignIn(context.Background(), s, nil)
			if code, hint := auth.ExitCode(err); code != exitcode.Config || !strings.Contains(hint, "https") {
				t.Errorf("exit %d, hint %q, err %v; want 78 naming https", code, hint, err)
			}
			if err != nil && strings.Contains(err.Error(), "hunter2") {
				t.Errorf("the error shows the password: %v", err)
			}
			if tt.name == "IAM" && base.n.Load() != 0 {
				t.Errorf("%d requests sent", base.n.Load())
			}
		})
	}
}

// skewedIAM forwards to the emulator's IAM and sets "expiration" an hour in
// the past: a node clock an hour ahead of IAM's.
func skewedIAM(t *testing.T, target string) *httptest.Server {
	u, _ := url.Parse(target)
	p := httputil.NewSingleHostReverseProxy(u)
	p.ModifyResponse = func(r *http.Response) error {
		if r.StatusCode != 200 {
			return nil
		}
		b, _ := io.ReadAll(r.Body)
		var m map[string]any
		if json.Unmarshal(b, &m) == nil {
			m["expiration"] = time.Now().Add(-time.Hour).Unix()
			b, _ = json.Marshal(m)
		}
		r.Body = io.NopCloser(bytes.NewReader(b))
		r.ContentLength = int64(len(b))
		r.Header.Set("Content-Length", strconv.Itoa(len(b)))
		return nil
	}
	ts := httptest.NewServer(p)
	t.Cleanup(ts.Close)
	return ts
}

// Issue 12 item 12: a token that is expired on arrival (clock skew) costs one
// exchange, not one per request, and the skew is said once.
func TestClockSkewOneExchange(t *testing.T) {
	l := emulator(t, cloudsim.Options{})
	s := settings(l)
	s.IAMURL = skewedIAM(t, l.Sim.URL()).URL
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	sess, err := auth.SignIn(context.Background(), s, log)
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		listGroups(t, sess.Clients)
	}
	if n := sess.Exchanges(); n != 1 {
		t.Errorf("%d token exchanges for 5 calls, want 1", n)
	}
	if n := strings.Count(logs.String(), "disagrees with this machine's clock"); n != 1 {
		t.Errorf("the skew is logged %d times, want once:\n%s", n, logs.String())
	}
}

// Issue 12 item 11: a refresh that hangs at IAM ends with the caller's
// context, not after every token retry.
func TestRefreshBoundedByCallerContext(t *testing.T) {
	l := emulator(t, cloudsim.Options{TokenTTL: 2 * time.Second}) // stale at once
	s := settings(l)
	s.Retry.PerAttempt = 20 * time.Second
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sess, err := auth.SignIn(ctx, s, nil)
	if err != nil {
		t.Fatal(err)
	}
	l.Sim.AddFault(&cloudsim.Fault{Service: cloudsim.ServiceIAMToken, Hang: true})
	call, stop := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer stop()
	start := time.Now()
	_, _, err = sess.Clients.ResourceManager.ListResourceGroupsWithContext(call, &resourcemanagerv2.ListResourceGroupsOptions{})
	if err == nil {
		t.Fatal("the call succeeded although IAM hangs")
	}
	// Without the bound the call waits for the 20 s attempt timeout.
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the call returned after %v; its context ended after 300ms", d)
	}
	if !strings.Contains(err.Error(), "access token") {
		t.Errorf("error %v does not say it waited for the token", err)
	}
	cancel() // ends the refresh still hanging in the background
}

// Issue 12 item 17: a service redirect to another port of an allowed host is
// refused before the bearer token goes there.
func TestServiceRedirectToAnotherPort(t *testing.T) {
	l := emulator(t, cloudsim.Options{})
	other := &counting{}
	foreign := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		other.n.Add(1)
		if r.Header.Get("Authorization") != "" {
			t.Error("the bearer token reached the other port")
		}
	}))
	defer foreign.Close()
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, foreign.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer redirect.Close()
	s := settings(l)
	s.Getenv = func(k string) string {
		if k == "RESOURCE_MANAGER_URL" {
			return redirect.URL
		}
		return l.Env[k]
	}
	sess, err := auth.SignIn(context.Background(), s, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = sess.Clients.ResourceManager.ListResourceGroupsWithContext(context.Background(), &resourcemanagerv2.ListResourceGroupsOptions{})
	if !ibmcloud.Refused(err) && (err == nil || !strings.Contains(err.Error(), "refused")) {
		t.Errorf("error %v, want a refused redirect", err)
	}
	if other.n.Load() != 0 {
		t.Errorf("%d requests reached the other port", other.n.Load())
	}
}
