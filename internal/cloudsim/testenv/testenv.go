// Package testenv is the harness of the emulator's own tests: an httptest
// server with the services a test mounts over a generated account, tokens for
// the runner's workload, raw token requests, and an SDK authenticator that
// signs in exactly as trustjob does. It imports only core and account, so every
// service package's tests can use it without an import cycle (each passes its
// own Mount, plus iamtoken.Mount to sign in through the SDK).
//
// Tests elsewhere in the repository use the facade (cloudsim.StartLocal) and
// internal/simtest instead.
package testenv

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	sdkcore "github.com/IBM/go-sdk-core/v5/core"

	"github.com/trustjob/trustjob/internal/cloudsim/account"
	"github.com/trustjob/trustjob/internal/cloudsim/core"
)

// GrantCRToken is the compute-resource token grant type.
const GrantCRToken = "urn:ibm:params:oauth:grant-type:cr-token"

// Mount is a service's mount function (iamtoken.Mount, identity.Mount, ...).
type Mount func(*core.Server, *account.World)

// Env is an emulator on an httptest server.
type Env struct {
	Server *core.Server
	World  *account.World
	Srv    *httptest.Server
	Spec   account.Spec
	Runner *account.Profile
}

// New generates the account spec describes and serves it with the given
// services mounted, until the test ends.
func New(t testing.TB, spec account.Spec, opts core.Options, mounts ...Mount) *Env {
	t.Helper()
	return Serve(t, account.Generate(spec), spec, opts, mounts...)
}

// Serve is New over an already built world (a fixture).
func Serve(t testing.TB, w *account.World, spec account.Spec, opts core.Options, mounts ...Mount) *Env {
	t.Helper()
	s := NewServer(w, opts, mounts...)
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	def := account.DefaultSpec()
	if spec.Namespace == "" {
		spec.Namespace = def.Namespace
	}
	if spec.ServiceAccount == "" {
		spec.ServiceAccount = def.ServiceAccount
	}
	w.RLock()
	runner := w.IAM.Runner()
	w.RUnlock()
	return &Env{Server: s, World: w, Srv: srv, Spec: spec, Runner: runner}
}

// NewServer is a server over w with the given services mounted, not started.
func NewServer(w *account.World, opts core.Options, mounts ...Mount) *core.Server {
	s := core.NewServer(w, opts)
	for _, m := range mounts {
		m(s, w)
	}
	return s
}

// Mint mints a token for the runner's workload, changed by mod.
func (e *Env) Mint(t testing.TB, mod func(*account.MintOptions)) string {
	t.Helper()
	o := account.MintOptions{Namespace: e.Spec.Namespace, ServiceAccount: e.Spec.ServiceAccount, Pod: "runner-28937-abcde"}
	if mod != nil {
		mod(&o)
	}
	tok, err := e.World.MintSAToken(o)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// Post sends a token request and returns the status and decoded JSON body; it
// fails the test unless the answer is JSON.
func (e *Env) Post(t testing.TB, method string, form url.Values, hdr http.Header) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, e.Srv.URL+"/identity/token", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	for k, v := range hdr {
		req.Header[k] = v
	}
	resp, err := e.Srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("%s /identity/token: body is not JSON: %v", method, err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	return resp.StatusCode, body
}

// Authenticator is go-sdk-core's ContainerAuthenticator signed in as the
// runner with a fresh projected token, retries off, as trustjob signs in.
func (e *Env) Authenticator(t testing.TB) *sdkcore.ContainerAuthenticator {
	t.Helper()
	pt := account.NewProjectedToken(t.TempDir())
	if err := pt.Write(e.Mint(t, nil)); err != nil {
		t.Fatal(err)
	}
	auth, err := sdkcore.NewContainerAuthenticatorBuilder().SetIAMProfileName(e.Runner.Name).
		SetCRTokenFilename(pt.Path()).SetURL(e.Srv.URL).Build()
	if err != nil {
		t.Fatal(err)
	}
	return auth
}

// CRForm is a cr-token grant request for tok, with extra key/value pairs.
func CRForm(tok string, kv ...string) url.Values {
	f := url.Values{"grant_type": {GrantCRToken}, "cr_token": {tok}}
	for i := 0; i+1 < len(kv); i += 2 {
		f.Set(kv[i], kv[i+1])
	}
	return f
}

// JWTPayload decodes a JWT's claims without verifying it.
func JWTPayload(t testing.TB, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %d parts", len(parts))
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// Problem returns the HTTP status and decoded body of an SDK error; it fails
// the test unless err is an SDK problem with an HTTP answer.
func Problem(t testing.TB, err error) (int, map[string]any) {
	t.Helper()
	var hp *sdkcore.SDKProblem
	if !errors.As(err, &hp) {
		t.Fatalf("error %T %v is not an SDK problem", err, err)
	}
	var httpP *sdkcore.HTTPProblem
	if !errors.As(err, &httpP) {
		t.Fatalf("error %v carries no HTTP problem", err)
	}
	body, _ := httpP.Response.Result.(map[string]any)
	return httpP.Response.StatusCode, body
}

// ContractSpec is the account the SDK contract tests share: big enough for
// several pages of every identity listing, half of it inactive.
func ContractSpec() account.Spec {
	return account.Spec{Seed: 7, AccountID: "acct0000000000000000000000000007", Users: 23, ServiceIDs: 11, APIKeys: 57,
		Profiles: 5, InactiveShare: 0.5, AccessGroups: 4}
}

// StatusOf is the HTTP status of an SDK call, from its response or its error
// (0 when no answer came).
func StatusOf(resp *sdkcore.DetailedResponse, err error) int {
	if resp != nil {
		return resp.StatusCode
	}
	var p *sdkcore.HTTPProblem
	if errors.As(err, &p) && p.Response != nil {
		return p.Response.StatusCode
	}
	return 0
}

// NextPageToken reads IAM Identity's pagetoken from a next link.
func NextPageToken(next *string) *string {
	tok, err := sdkcore.GetQueryParam(next, "pagetoken")
	if err != nil {
		return nil
	}
	return tok
}
