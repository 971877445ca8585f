package auth_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/IBM/go-sdk-core/v5/core"
	"github.com/IBM/platform-services-go-sdk/iamidentityv1"
	"github.com/IBM/platform-services-go-sdk/resourcecontrollerv2"
	"github.com/IBM/platform-services-go-sdk/resourcemanagerv2"

	"github.com/trustjob/trustjob/internal/auth"
	"github.com/trustjob/trustjob/internal/cloudsim"
	"github.com/trustjob/trustjob/internal/exitcode"
	"github.com/trustjob/trustjob/internal/ibmcloud"
	"github.com/trustjob/trustjob/internal/logging"
)

// emulator starts a small account on loopback with the runner's token on disk.
func emulator(t *testing.T, opts cloudsim.Options) *cloudsim.Local {
	t.Helper()
	l, err := cloudsim.StartLocal(cloudsim.DefaultSpec(), opts, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func settings(l *cloudsim.Local) auth.Settings {
	return auth.Settings{
		ProfileName: l.ProfileName, CRTokenFile: l.TokenFile, IAMURL: l.Sim.URL(),
		AllowedHosts: []string{"127.0.0.1"},
		Getenv:       func(k string) string { return l.Env[k] },
		Retry:        auth.Retry{Base: 10 * time.Millisecond, Max: 50 * time.Millisecond},
	}
}

func listGroups(t *testing.T, c *ibmcloud.Clients) {
	t.Helper()
	_, _, err := c.ResourceManager.ListResourceGroupsWithContext(context.Background(), &resourcemanagerv2.ListResourceGroupsOptions{})
	if err != nil {
		t.Fatalf("list resource groups: %v", err)
	}
}

func TestSignInOneExchangeForManyCalls(t *testing.T) {
	l := emulator(t, cloudsim.Options{})
	sess, err := auth.SignIn(context.Background(), settings(l), nil)
	if err != nil {
		t.Fatal(err)
	}
	if sess.Account != l.Sim.World().AccountID || !strings.HasPrefix(sess.ProfileIAMID, "iam-Profile-") || sess.ProfileID == "" {
		t.Errorf("session %+v: account, profile iam_id and id must come from the access token", sess)
	}
	// Several tasks at once, each through a different client.
	acct := sess.Account
	calls := map[string]func(ctx context.Context, c *ibmcloud.Clients) error{
		ibmcloud.ServiceResourceManager: func(ctx context.Context, c *ibmcloud.Clients) error {
			_, _, err := c.ResourceManager.ListResourceGroupsWithContext(ctx, &resourcemanagerv2.ListResourceGroupsOptions{})
			return err
		},
		ibmcloud.ServiceResourceController: func(ctx context.Context, c *ibmcloud.Clients) error {
			_, _, err := c.ResourceController.ListResourceInstancesWithContext(ctx, &resourcecontrollerv2.ListResourceInstancesOptions{})
			return err
		},
		ibmcloud.ServiceIAMIdentity: func(ctx context.Context, c *ibmcloud.Clients) error {
			_, _, err := c.IAMIdentity.ListServiceIdsWithContext(ctx, &iamidentityv1.ListServiceIdsOptions{AccountID: &acct})
			return err
		},
	}
	const perService = 5
	var wg sync.WaitGroup
	for name, call := range calls {
		for range perService {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := call(context.Background(), sess.Clients); err != nil {
					t.Errorf("%s: %v", name, err)
				}
			}()
		}
	}
	wg.Wait()
	if n := l.Sim.Log().Count(cloudsim.ServiceIAMToken); n != 1 {
		t.Errorf("token requests %d, want 1 for %d calls", n, perService*len(calls))
	}
	if sess.Exchanges() != 1 {
		t.Errorf("exchanges %d, want 1", sess.Exchanges())
	}
	for name := range calls {
		if n := sess.Clients.Requests.Get(name); n != perService {
			t.Errorf("%s requests %d, want %d", name, n, perService)
		}
	}
}

func TestSignInRetries(t *testing.T) {
	tests := []struct {
		name      string
		fault     *cloudsim.Fault
		wantCalls int64
		minWait   time.Duration
	}{
		{name: "503 then 200", fault: &cloudsim.Fault{Service: cloudsim.ServiceIAMToken, Nth: 1, Status: 503}, wantCalls: 2},
		{name: "503 twice then 200", fault: &cloudsim.Fault{Service: cloudsim.ServiceIAMToken, Every: 1, Times: 2, Status: 503}, wantCalls: 3},
		{name: "429 with Retry-After: 1", fault: &cloudsim.Fault{Service: cloudsim.ServiceIAMToken, Nth: 1, Status: 429, RetryAfter: 1}, wantCalls: 2, minWait: time.Second},
		{name: "dropped connection", fault: &cloudsim.Fault{Service: cloudsim.ServiceIAMToken, Nth: 1, Drop: true}, wantCalls: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := emulator(t, cloudsim.Options{})
			l.Sim.AddFault(tt.fault)
			start := time.Now()
			sess, err := auth.SignIn(context.Background(), settings(l), nil)
			if err != nil {
				t.Fatal(err)
			}
			if n := l.Sim.Log().Count(cloudsim.ServiceIAMToken); n != tt.wantCalls {
				t.Errorf("token requests %d, want %d", n, tt.wantCalls)
			}
			if sess.Exchanges() != 1 {
				t.Errorf("exchanges %d, want 1", sess.Exchanges())
			}
			if d := time.Since(start); d < tt.minWait {
				t.Errorf("signed in after %v: Retry-After was not honoured", d)
			}
		})
	}
}

func TestSignInFailures(t *testing.T) {
	tests := []struct {
		name      string
		setup     func(t *testing.T, l *cloudsim.Local, s *auth.Settings)
		wantCode  int
		wantHint  string
		wantCalls int64
	}{
		{
			name: "not trusted: BXNIM0398E, no retry",
			setup: func(t *testing.T, l *cloudsim.Local, s *auth.Settings) {
				tok, err := l.Sim.World().MintSAToken(cloudsim.MintOptions{Namespace: "other", ServiceAccount: "trustjob", Pod: "p"})
				if err != nil {
					t.Fatal(err)
				}
				s.CRTokenFile = writeFile(t, tok)
			},
			wantCode: exitcode.NoPerm, wantHint: "namespace other, service account trustjob", wantCalls: 1,
		},
		{
			name: "always 500: temporary after the retries",
			setup: func(t *testing.T, l *cloudsim.Local, _ *auth.Settings) {
				l.Sim.AddFault(&cloudsim.Fault{Service: cloudsim.ServiceIAMToken, Every: 1, Status: 500})
			},
			wantCode: exitcode.TempFail, wantHint: "next run", wantCalls: 5,
		},
		{
			name: "IAM unreachable",
			setup: func(t *testing.T, l *cloudsim.Local, s *auth.Settings) {
				s.IAMURL = "http://127.0.0.1:1"
			},
			wantCode: exitcode.TempFail, wantHint: "next run",
		},
		{
			name:     "IAM on a host that is not allowed",
			setup:    func(t *testing.T, l *cloudsim.Local, s *auth.Settings) { s.AllowedHosts = nil },
			wantCode: exitcode.Config, wantHint: "allowedHosts",
		},
		{
			name: "service endpoint override to an unrelated host",
			setup: func(t *testing.T, l *cloudsim.Local, s *auth.Settings) {
				s.Getenv = func(k string) string {
					if k == "RESOURCE_CONTROLLER_URL" {
						return "https://collector.example.com"
					}
					return l.Env[k]
				}
			},
			wantCode: exitcode.Config, wantHint: "allowedHosts", wantCalls: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := emulator(t, cloudsim.Options{})
			s := settings(l)
			tt.setup(t, l, &s)
			_, err := auth.SignIn(context.Background(), s, nil)
			if err == nil {
				t.Fatal("sign-in succeeded")
			}
			code, hint := auth.ExitCode(err)
			if code != tt.wantCode || !strings.Contains(hint+" "+err.Error(), tt.wantHint) {
				t.Errorf("exit %d, hint %q, err %v; want %d and %q", code, hint, err, tt.wantCode, tt.wantHint)
			}
			if n := l.Sim.Log().Count(cloudsim.ServiceIAMToken); n != tt.wantCalls {
				t.Errorf("token requests %d, want %d", n, tt.wantCalls)
			}
		})
	}
}

func TestSignInHonoursDeadline(t *testing.T) {
	l := emulator(t, cloudsim.Options{})
	l.Sim.AddFault(&cloudsim.Fault{Service: cloudsim.ServiceIAMToken, Hang: true})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := auth.SignIn(ctx, settings(l), nil)
	if code, _ := auth.ExitCode(err); code != exitcode.TempFail {
		t.Fatalf("exit %d (%v), want 75", code, err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("sign-in returned after %v, long after the deadline", d)
	}
}

func TestPreflight(t *testing.T) {
	now := time.Now()
	l := emulator(t, cloudsim.Options{})
	expired, err := l.Sim.World().MintSAToken(cloudsim.MintOptions{Namespace: "trustjob", ServiceAccount: "trustjob", IssuedAt: now.Add(-2 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	unreadable := filepath.Join(dir, "unreadable")
	os.WriteFile(unreadable, []byte("x.y.z"), 0o000)
	tests := []struct {
		name, path, want string
	}{
		{"valid", l.TokenFile, ""},
		{"absent", filepath.Join(dir, "nope"), "does not exist"},
		{"empty", writeFile(t, " \n"), "is empty"},
		{"not a JWT", writeFile(t, "hello"), "is not a JWT"},
		{"expired", writeFile(t, expired), "expired at"},
		{"unconfigured", "", "is not configured"},
	}
	if os.Geteuid() != 0 { // root reads anything
		tests = append(tests, struct{ name, path, want string }{"unreadable", unreadable, "not readable"})
	}
	// A directory where the file should be (a mount at the file's path) fails
	// for every user, root included.
	tests = append(tests, struct{ name, path, want string }{"a directory", dir, "not a regular file (a directory)"})
	// Issue 12 items 13 and 14: a FIFO would block the read forever, and
	// /dev/zero would grow it without end.
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err == nil {
		tests = append(tests, struct{ name, path, want string }{"a FIFO", fifo, "not a regular file (a FIFO)"})
	}
	tests = append(tests, struct{ name, path, want string }{"/dev/zero", "/dev/zero", "not a regular file (a character device)"})
	big := writeFile(t, strings.Repeat("a", 70<<10))
	tests = append(tests, struct{ name, path, want string }{"larger than 64 KiB", big, "larger than 64 KiB"})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := auth.Preflight(auth.Settings{CRTokenFile: tt.path}, now)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
			code, hint := auth.ExitCode(err)
			if code != exitcode.NoPerm || !strings.Contains(hint, "audience: iam") {
				t.Errorf("exit %d hint %q; want 77 and how to mount the token", code, hint)
			}
		})
	}
}

// recorder captures the cr_token of each token request (test only).
type recorder struct {
	mu     sync.Mutex
	tokens []string
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if strings.HasSuffix(req.URL.Path, "/identity/token") && req.Body != nil {
		b, _ := io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(b))
		v, _ := url.ParseQuery(string(b))
		r.mu.Lock()
		r.tokens = append(r.tokens, v.Get("cr_token"))
		r.mu.Unlock()
	}
	return http.DefaultTransport.RoundTrip(req)
}

func TestRotatedTokenFileIsSentOnRefresh(t *testing.T) {
	l := emulator(t, cloudsim.Options{TokenTTL: 2 * time.Second})
	rec := &recorder{}
	s := settings(l)
	s.Transport = rec
	sess, err := auth.SignIn(context.Background(), s, nil)
	if err != nil {
		t.Fatal(err)
	}
	first, _ := os.ReadFile(l.TokenFile)
	if err := l.Refresh(); err != nil { // the kubelet rotates the file
		t.Fatal(err)
	}
	second, _ := os.ReadFile(l.TokenFile)
	if bytes.Equal(first, second) {
		t.Fatal("rotation did not change the token")
	}
	// The SDK holds a token as valid until 10 s before it expires, so a 2 s
	// token is stale at once: the next call exchanges again, re-reading the file.
	listGroups(t, sess.Clients)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.tokens) < 2 {
		t.Fatalf("%d token requests, want a refresh", len(rec.tokens))
	}
	if rec.tokens[0] != string(bytes.TrimSpace(first)) || rec.tokens[len(rec.tokens)-1] != string(bytes.TrimSpace(second)) {
		t.Error("the refresh did not send the rotated token")
	}
}

// TestNoTokenInLogs signs in and calls an API at debug level with the SDK's
// logger bridged into slog: neither token may appear.
func TestNoTokenInLogs(t *testing.T) {
	l := emulator(t, cloudsim.Options{})
	var buf bytes.Buffer
	log := logging.New(&buf, logging.FormatJSON, slog.LevelDebug)
	// The SDK at debug level dumps requests and responses: the harshest case.
	core.SetLogger(logging.NewSDKLogger(log, core.LevelDebug))
	defer logging.BridgeSDK(slog.New(slog.DiscardHandler))
	l.Sim.AddFault(&cloudsim.Fault{Service: cloudsim.ServiceIAMToken, Nth: 1, Status: 503})
	sess, err := auth.SignIn(context.Background(), settings(l), log)
	if err != nil {
		t.Fatal(err)
	}
	listGroups(t, sess.Clients)
	access, err := sess.Clients.Authenticator.(interface{ GetToken() (string, error) }).GetToken()
	if err != nil {
		t.Fatal(err)
	}
	sa, _ := os.ReadFile(l.TokenFile)
	for name, secret := range map[string]string{"access token": access, "service-account token": string(bytes.TrimSpace(sa))} {
		sig := secret[strings.LastIndex(secret, ".")+1:]
		if strings.Contains(buf.String(), secret) || strings.Contains(buf.String(), sig) {
			t.Errorf("the %s appears in the logs", name)
		}
	}
	if strings.Contains(buf.String(), "Bearer ") {
		t.Error("an Authorization header appears in the logs")
	}
	if !strings.Contains(buf.String(), "retrying") || !strings.Contains(buf.String(), "Invoking IAM") {
		t.Errorf("no retry logged at debug level; logs:\n%s", buf.String())
	}
}

func writeFile(t *testing.T, s string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "sa-token")
	if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// counting is a base transport that counts the attempts that reach the network.
type counting struct{ n atomic.Int64 }

func (c *counting) RoundTrip(req *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return http.DefaultTransport.RoundTrip(req)
}

// TestSignInAnswers drives the real ContainerAuthenticator against a stand-in
// IAM that gives the answers the emulator does not: each status is retried or
// not, and maps to its exit code.
func TestSignInAnswers(t *testing.T) {
	foreignHits := atomic.Int64{}
	foreign := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { foreignHits.Add(1) }))
	defer foreign.Close()
	iamError := func(status int, code string, header http.Header) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			for k, v := range header {
				w.Header()[k] = v
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			fmt.Fprintf(w, `{"errorCode":%q,"errorMessage":"IAM says no.","context":{"requestId":"r1"}}`, code)
		}
	}
	tests := []struct {
		name     string
		handler  http.HandlerFunc
		tls      bool
		wantCode int
		wantHint string
		wantErr  string
		attempts int64
	}{
		{name: "401", handler: iamError(401, "BXNIM0300E", nil), wantCode: exitcode.NoPerm, wantHint: "refused the sign-in", attempts: 1},
		{name: "403", handler: iamError(403, "BXNIM0301E", nil), wantCode: exitcode.NoPerm, wantHint: "refused the sign-in", attempts: 1},
		{name: "400 token rejected", handler: iamError(400, "BXNIM0407E", nil), wantCode: exitcode.NoPerm, wantHint: "audience iam", attempts: 1},
		{name: "400 not eligible", handler: iamError(400, auth.CodeNotEligible, nil), wantCode: exitcode.NoPerm, wantHint: "not trusted by that profile", attempts: 1},
		{name: "404", handler: iamError(404, "BXNIM0060E", nil), wantCode: exitcode.NoPerm, wantHint: "doctor", attempts: 1},
		{name: "501 is retried like any 5xx", handler: iamError(501, "", nil), wantCode: exitcode.TempFail, wantHint: "next run", attempts: 5},
		{
			name:    "429 with a past HTTP-date Retry-After",
			handler: iamError(429, "", http.Header{"Retry-After": {"Mon, 02 Jan 2006 15:04:05 GMT"}}), wantCode: exitcode.TempFail, wantHint: "next run", attempts: 5,
		},
		{
			name: "redirect elsewhere: the service-account token is not resent",
			handler: func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, strings.Replace(foreign.URL, "127.0.0.1", "localhost", 1)+"/identity/token", http.StatusTemporaryRedirect)
			},
			wantCode: exitcode.Config, wantHint: "allowedHosts", attempts: 1,
		},
		{name: "untrusted certificate: not retried", tls: true, handler: iamError(500, "", nil), wantCode: exitcode.NoPerm, wantHint: "certificate", attempts: 1},
		{
			// Issue 12 item 17: same allowed host, another port.
			name: "redirect to another port of the same host: refused, not resent",
			handler: func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, foreign.URL+"/identity/token", http.StatusTemporaryRedirect)
			},
			wantCode: exitcode.Config, wantHint: "pinned to its scheme, host and port", wantErr: "redirect from http://127.0.0.1", attempts: 1,
		},
		{
			// Issue 12 item 24: a 200 without a token is not a refusal.
			name:     "200 without an access token",
			handler:  func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{}`)) },
			wantCode: exitcode.TempFail, wantHint: "broken answer", wantErr: "answered 200 without a usable access token", attempts: 1,
		},
		{
			// Issue 12 item 10: IAM's answer is capped.
			name: "an answer larger than 1 MiB",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Write([]byte(`{"access_token":"`))
				w.Write(bytes.Repeat([]byte("a"), 2<<20))
				w.Write([]byte(`"}`))
			},
			wantCode: exitcode.TempFail, wantHint: "few KiB", wantErr: "larger than 1024 KiB", attempts: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := httptest.NewUnstartedServer(tt.handler)
			if tt.tls {
				ts.Config.ErrorLog = slog.NewLogLogger(slog.DiscardHandler, slog.LevelError) // the refused handshake
				ts.StartTLS()
			} else {
				ts.Start()
			}
			defer ts.Close()
			base := &counting{}
			_, err := auth.SignIn(context.Background(), auth.Settings{
				ProfileID: "Profile-1", CRTokenFile: writeFile(t, "a.b.c"), IAMURL: ts.URL,
				AllowedHosts: []string{"127.0.0.1"}, Transport: base,
				Retry: auth.Retry{Base: time.Millisecond, Max: 5 * time.Millisecond},
			}, nil)
			if err == nil {
				t.Fatal("sign-in succeeded")
			}
			code, hint := auth.ExitCode(err)
			t.Logf("exit %d: %v; hint: %s", code, err, hint)
			if code != tt.wantCode || !strings.Contains(hint, tt.wantHint) {
				t.Errorf("exit %d, hint %q (err %v); want %d and %q", code, hint, err, tt.wantCode, tt.wantHint)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q, want %q in it", err, tt.wantErr)
			}
			if n := base.n.Load(); n != tt.attempts {
				t.Errorf("%d attempts, want %d", n, tt.attempts)
			}
			if foreignHits.Load() != 0 {
				t.Error("the token request was resent to a host that is not allowed")
			}
		})
	}
}

// TestRefreshIsRetried: once signed in, a refresh that meets a 503 is retried
// and the API call goes through.
func TestRefreshIsRetried(t *testing.T) {
	l := emulator(t, cloudsim.Options{TokenTTL: 2 * time.Second}) // stale at once, see above
	sess, err := auth.SignIn(context.Background(), settings(l), nil)
	if err != nil {
		t.Fatal(err)
	}
	l.Sim.AddFault(&cloudsim.Fault{Service: cloudsim.ServiceIAMToken, Nth: 1, Status: 503})
	listGroups(t, sess.Clients)
	if n := l.Sim.Log().Count(cloudsim.ServiceIAMToken); n != 3 {
		t.Errorf("token requests %d, want 3 (exchange, refused refresh, retried refresh)", n)
	}
	if sess.Exchanges() != 2 || sess.Clients.Requests.Get(ibmcloud.ServiceIAMToken) != 3 {
		t.Errorf("exchanges %d, token requests counted %d", sess.Exchanges(), sess.Clients.Requests.Get(ibmcloud.ServiceIAMToken))
	}
}

// fakeIAM answers token requests in process with an access token carrying
// claims, and records the hosts asked.
type fakeIAM struct {
	claims string
	mu     sync.Mutex
	hosts  []string
}

func (f *fakeIAM) RoundTrip(req *http.Request) (*http.Response, error) {
	f.mu.Lock()
	f.hosts = append(f.hosts, req.URL.Host)
	f.mu.Unlock()
	b64 := base64.RawURLEncoding.EncodeToString
	tok := b64([]byte(`{"alg":"RS256","kid":"k"}`)) + "." + b64([]byte(f.claims)) + ".c2ln"
	body := fmt.Sprintf(`{"access_token":%q,"refresh_token":"not_supported","token_type":"Bearer","expires_in":3600,"expiration":%d}`,
		tok, time.Now().Add(time.Hour).Unix())
	return &http.Response{
		StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(body)), Request: req,
	}, nil
}

func TestSignInEndpointsAndClaims(t *testing.T) {
	const profileClaims = `{"iam_id":"iam-Profile-42","name":"automation-runner","account":{"bss":"0123456789abcdef"}}`
	tests := []struct {
		name     string
		network  ibmcloud.Network
		claims   string
		wantHost string
		wantRC   string
		wantErr  string
	}{
		{name: "public", claims: profileClaims, wantHost: "iam.cloud.ibm.com", wantRC: "https://resource-controller.cloud.ibm.com"},
		// Classic and non-US VPC clusters: the regional CSE hosts (issue 13, F1).
		{name: "private us-south", network: ibmcloud.Network{Mode: "private", Region: "us-south"}, claims: profileClaims,
			wantHost: "private.us-south.iam.cloud.ibm.com", wantRC: "https://private.us-south.resource-controller.cloud.ibm.com"},
		{name: "private us-east", network: ibmcloud.Network{Mode: "private", Region: "us-east"}, claims: profileClaims,
			wantHost: "private.us-east.iam.cloud.ibm.com", wantRC: "https://private.us-east.resource-controller.cloud.ibm.com"},
		// VPC with VPE gateways: the global private hosts.
		{name: "vpe", network: ibmcloud.Network{Mode: "vpe"}, claims: profileClaims,
			wantHost: "private.iam.cloud.ibm.com", wantRC: "https://private.resource-controller.cloud.ibm.com"},
		{name: "no account claim", claims: `{"iam_id":"iam-Profile-42"}`, wantHost: "iam.cloud.ibm.com", wantErr: "no account.bss claim"},
		{name: "claims not JSON", claims: `not json`, wantHost: "iam.cloud.ibm.com", wantErr: "not a JWT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			iam := &fakeIAM{claims: tt.claims}
			sess, err := auth.SignIn(context.Background(), auth.Settings{
				ProfileName: "configured-name", CRTokenFile: writeFile(t, "a.b.c"), Network: tt.network, Transport: iam,
			}, nil)
			if len(iam.hosts) != 1 || iam.hosts[0] != tt.wantHost {
				t.Errorf("token requests to %v, want one to %s", iam.hosts, tt.wantHost)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				if code, _ := auth.ExitCode(err); code != exitcode.NoPerm {
					t.Errorf("exit %d, want 77", code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if sess.Account != "0123456789abcdef" || sess.ProfileIAMID != "iam-Profile-42" || sess.ProfileID != "Profile-42" || sess.ProfileName != "automation-runner" {
				t.Errorf("session %+v: identity must come from the access token", sess)
			}
			if got := sess.Clients.ResourceController.Service.GetServiceURL(); got != tt.wantRC {
				t.Errorf("resource controller at %s, want %s", got, tt.wantRC)
			}
		})
	}
}
