// Package cloudsim is trustjob's emulator of the IBM Cloud APIs it calls: the IAM
// token endpoint (cr-token grant), IAM Identity, Resource Controller and Manager,
// Global Search and Tagging, User Management, IAM Access Groups, IAM Policy
// Management and Usage Reports. It is the test double for every test and
// benchmark and the account behind `trustjob demo` and `trustjob sim`.
//
// Fidelity is the point: paths, parameters, paging, status codes and error
// bodies follow IBM's documentation and the platform-services-go-sdk models, and
// every endpoint is exercised through the official SDK clients in contract tests.
//
// One listener serves every service (their paths do not collide); point each SDK
// client at it with the *_URL variables that Env returns.
package cloudsim

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options are the emulator's knobs, for tests, benchmarks and demos.
type Options struct {
	// Latency is added to every request; Jitter adds up to that much more.
	Latency time.Duration
	Jitter  time.Duration
	// MaxInFlight > 0 answers 429 with Retry-After to requests beyond that many
	// at once (per service when PerService is true).
	MaxInFlight int
	// RatePerSecond > 0 answers 429 beyond that many requests per second.
	RatePerSecond float64
	// RetryAfter is the Retry-After value (seconds) sent with 429s; 0 omits it.
	RetryAfter int
	// ReportDelay is how long an IAM Identity report stays "being generated"
	// (GET answers 204) after it was created.
	ReportDelay time.Duration
	// ClockOffset shifts the emulator's clock relative to the machine's.
	ClockOffset time.Duration
	// DistinctProfileNotFound makes the token endpoint answer an unknown profile
	// with its own error instead of IAM's default "not eligible" (BXNIM0398E).
	DistinctProfileNotFound bool
	// TokenTTL is the lifetime of issued access tokens (default 1h).
	TokenTTL time.Duration
	// MaxLogEntries bounds the request log kept in memory (default 1,000,000);
	// counters keep counting past it.
	MaxLogEntries int
}

// Sim is a running (or ready to run) emulator.
type Sim struct {
	opts  Options
	world *World
	mux   *http.ServeMux
	log   *RequestLog

	mu     sync.Mutex
	faults []*Fault

	inFlight atomic.Int64
	rate     *rateLimiter

	srv *http.Server
	ln  net.Listener
	url string

	seq atomic.Int64 // request ids for error bodies and traces
}

// New builds an emulator over world with the given knobs. Call Start to serve it
// on a loopback port, or use Handler with an httptest.Server.
func New(world *World, opts Options) *Sim {
	if opts.TokenTTL == 0 {
		opts.TokenTTL = time.Hour
	}
	if opts.MaxLogEntries == 0 {
		opts.MaxLogEntries = 1_000_000
	}
	s := &Sim{opts: opts, world: world, mux: http.NewServeMux(), log: newRequestLog(opts.MaxLogEntries)}
	if opts.RatePerSecond > 0 {
		s.rate = newRateLimiter(opts.RatePerSecond)
	}
	s.routes()
	return s
}

// World returns the emulated account data. Tests may change it between requests
// under its own lock (World.Lock).
func (s *Sim) World() *World { return s.world }

// Log returns the request log.
func (s *Sim) Log() *RequestLog { return s.log }

// Now is the emulator's clock (the machine's clock plus ClockOffset).
func (s *Sim) Now() time.Time { return time.Now().Add(s.opts.ClockOffset) }

// Handler returns the emulator's HTTP handler.
func (s *Sim) Handler() http.Handler { return s.mux }

// Start serves the emulator on addr ("127.0.0.1:0" picks a free port).
func (s *Sim) Start(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	s.ln = ln
	s.url = "http://" + ln.Addr().String()
	s.srv = &http.Server{Handler: s.mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return nil
}

// URL is the base URL of a started emulator.
func (s *Sim) URL() string { return s.url }

// Close stops a started emulator.
func (s *Sim) Close() error {
	if s.srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return s.srv.Shutdown(ctx)
}

// ServiceURLVars are the IBM SDK's own endpoint variables, one per service
// trustjob uses, plus trustjob's IAM URL variable.
var ServiceURLVars = []string{
	"RESOURCE_CONTROLLER_URL", "RESOURCE_MANAGER_URL", "IAM_IDENTITY_URL",
	"GLOBAL_SEARCH_URL", "GLOBAL_TAGGING_URL", "IAM_ACCESS_GROUPS_URL",
	"IAM_POLICY_MANAGEMENT_URL", "USAGE_REPORTS_URL", "USER_MANAGEMENT_URL",
}

// Env returns the environment that points trustjob (and any IBM SDK program) at
// this emulator: every service URL and the IAM URL.
func (s *Sim) Env(base string) map[string]string {
	if base == "" {
		base = s.url
	}
	env := map[string]string{"TRUSTJOB_IAM_URL": base}
	// The emulator's host must be allowed to receive the access token; the
	// variable allows it where the URLs are set, without editing the config.
	if u, err := url.Parse(base); err == nil && u.Hostname() != "" {
		env["TRUSTJOB_ALLOWED_HOSTS"] = u.Hostname()
	}
	for _, v := range ServiceURLVars {
		env[v] = base
	}
	return env
}

// Route is one emulated endpoint.
type Route struct {
	Pattern string // Go ServeMux pattern, e.g. "GET /v2/resource_instances"
	Service string // e.g. "resource-controller"; selects the error body shape
	// Action is the IAM action the caller needs (e.g.
	// "resource-controller.instance.retrieve"); "" for unauthenticated endpoints
	// such as the token endpoint and the JWKS.
	Action  string
	Handler func(w http.ResponseWriter, r *http.Request, c *Caller)
	// ReadOnly marks a POST that changes nothing in the account (creating an
	// IAM Identity report), so the request log does not count it as a write.
	ReadOnly bool
}

// Caller is who an access token says is calling.
type Caller struct {
	IAMID     string // iam-Profile-...
	ProfileID string
	AccountID string
}

// handle registers rt behind the common chain: request log, latency, limits,
// faults, authentication and authorisation.
func (s *Sim) handle(rt Route) {
	s.mux.HandleFunc(rt.Pattern, func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		entry := s.log.begin(r, rt.Service, rt.Action, isWrite(r.Method) && !rt.ReadOnly)
		defer func() { s.log.end(entry, rec.status) }()
		s.serve(rec, r, rt)
	})
}

func (s *Sim) serve(w *statusRecorder, r *http.Request, rt Route) {
	if !s.sleep(r.Context()) {
		return
	}
	if s.opts.MaxInFlight > 0 {
		n := s.inFlight.Add(1)
		defer s.inFlight.Add(-1)
		if int(n) > s.opts.MaxInFlight {
			s.tooMany(w, r, rt.Service)
			return
		}
	}
	if s.rate != nil && !s.rate.allow() {
		s.tooMany(w, r, rt.Service)
		return
	}
	if s.applyFault(w, r, rt) {
		return
	}
	var caller *Caller
	if rt.Action != "" {
		c, ok := s.authenticate(w, r, rt.Service)
		if !ok {
			return
		}
		if !s.world.Allowed(c.IAMID, rt.Action) {
			s.writeError(w, r, rt.Service, http.StatusForbidden, "forbidden",
				"You are not authorized to perform this action ("+rt.Action+").")
			return
		}
		caller = c
	}
	rt.Handler(w, r, caller)
}

func (s *Sim) sleep(ctx context.Context) bool {
	d := s.opts.Latency
	if s.opts.Jitter > 0 {
		d += time.Duration(fastRand(uint64(s.opts.Jitter)))
	}
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func (s *Sim) tooMany(w *statusRecorder, r *http.Request, service string) {
	if s.opts.RetryAfter > 0 {
		w.Header().Set("Retry-After", itoa(s.opts.RetryAfter))
	}
	s.writeError(w, r, service, http.StatusTooManyRequests, "rate_limit_exceeded",
		"Rate limit exceeded, retry later.")
}

// writeJSON writes v with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection (to drop it).
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func isWrite(method string) bool {
	return method != http.MethodGet && method != http.MethodHead
}

// baseURL is the scheme and host the request came in on, for absolute links.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	return tok, ok && tok != ""
}
