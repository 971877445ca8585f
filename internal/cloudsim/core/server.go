// Package core is the emulator's shared machinery, the part every emulated
// service stands on: the HTTP server and its request chain (request log,
// latency, rate and concurrency limits, injected faults, access-token
// authentication, IAM-action authorisation), the error bodies of IBM's service
// families, the IAM actions the emulator checks, signing keys, and the paging
// helpers of IBM's list APIs.
//
// A service package mounts its routes with Server.Handle (see Route); it never
// sees the chain. The account data the services share lives in package account;
// core depends on it only through the small Account interface.
package core

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options are the emulator's knobs, for tests, benchmarks and demos.
type Options struct {
	// Latency is the least time from a request's arrival to the first byte of
	// its answer, as a server that takes that long to answer: the emulator's
	// own work on the request (authentication, building the page) runs inside
	// it rather than on top of it, so a benchmark's round trip is the latency
	// asked for plus the network and the client. Jitter adds up to that much
	// more.
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
	// LenientCRToken makes the token endpoint trim whitespace around the
	// cr_token and accept a 3607 s lifetime. By default it takes the token as
	// go-sdk-core sends it (the file, unchanged) and caps the lifetime at the
	// hour IBM documents: whether IAM is more lenient is unverified.
	LenientCRToken bool
	// AccessTokenSubType is the access token's sub_type claim (default
	// "ComputeResource", as a public capture of a cr-token exchange shows;
	// trustjob reads no sub_type).
	AccessTokenSubType string
	// AllowLockedKeyChanges lets a locked API key be disabled or enabled.
	// IAM's SDK says a locked key "cannot be changed", so by default the
	// emulator refuses (409); whether IAM does is unverified.
	AllowLockedKeyChanges bool
}

// Server is the emulator's HTTP front: one ServeMux behind the common chain
// (request log, latency, limits, faults, authentication, authorisation). The
// services mount their routes on it with Handle.
type Server struct {
	opts    Options
	account Account
	mux     *http.ServeMux
	log     *RequestLog
	// prefixes maps mounted paths to services, for the not-emulated answer.
	prefixes routePrefixes

	mu           sync.Mutex
	faults       []*Fault
	errorWriters map[string]ErrorWriter // by service; see SetErrorWriter

	inFlight atomic.Int64
	rate     *rateLimiter

	srv *http.Server
	ln  net.Listener
	url string

	seq atomic.Int64 // request ids for error bodies and traces
}

// Account is what the request chain needs from the emulated account: who may
// do what, and the key that signs the access tokens it accepts.
type Account interface {
	// Allowed reports whether iamID may perform the IAM action.
	Allowed(iamID, action string) bool
	// AccessTokenKey is IAM's current signing key (nil before one exists).
	AccessTokenKey() *SigningKey
	// ID is the account's id (checked against account_id parameters).
	ID() string
}

// NewServer builds a server over account with the given knobs and no routes;
// the services mount theirs with Handle. Call Start to serve it on a loopback
// port, or use Handler with an httptest.Server.
func NewServer(account Account, opts Options) *Server {
	if opts.TokenTTL == 0 {
		opts.TokenTTL = time.Hour
	}
	if opts.MaxLogEntries == 0 {
		opts.MaxLogEntries = 1_000_000
	}
	if opts.AccessTokenSubType == "" {
		opts.AccessTokenSubType = "ComputeResource"
	}
	s := &Server{opts: opts, account: account, mux: http.NewServeMux(), log: newRequestLog(opts.MaxLogEntries)}
	if opts.RatePerSecond > 0 {
		s.rate = newRateLimiter(opts.RatePerSecond)
	}
	s.routesControl()
	s.mux.HandleFunc("/", s.notEmulated)
	return s
}

// Options returns the knobs the server was built with (defaults filled in).
func (s *Server) Options() Options { return s.opts }

// Log returns the request log.
func (s *Server) Log() *RequestLog { return s.log }

// Now is the emulator's clock (the machine's clock plus ClockOffset).
func (s *Server) Now() time.Time { return time.Now().Add(s.opts.ClockOffset) }

// Handler returns the emulator's HTTP handler.
func (s *Server) Handler() http.Handler { return s.mux }

// Start serves the emulator on addr ("127.0.0.1:0" picks a free port).
func (s *Server) Start(addr string) error {
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
func (s *Server) URL() string { return s.url }

// Close stops a started emulator.
func (s *Server) Close() error {
	if s.srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return s.srv.Shutdown(ctx)
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

// Handle registers rt behind the common chain: request log, latency, limits,
// faults, authentication (when rt.Action is set) and authorisation. It is how a
// service mounts an endpoint.
func (s *Server) Handle(rt Route) {
	s.prefixes.add(rt.Pattern, rt.Service)
	s.mux.HandleFunc(rt.Pattern, func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK, ctx: r.Context()}
		entry := s.log.begin(r, rt.Service, rt.Action, isWrite(r.Method) && !rt.ReadOnly)
		defer func() { s.log.end(entry, rec.status) }()
		s.serve(rec, r, rt)
		rec.hold() // an answer without a body still waits out the latency
	})
}

func (s *Server) serve(w *statusRecorder, r *http.Request, rt Route) {
	// A request is in flight from its arrival, its latency included, as a
	// server's concurrency limit sees it; counted after the latency only,
	// overlaps lasted microseconds and a 429 storm depended on timing.
	if s.opts.MaxInFlight > 0 {
		n := s.inFlight.Add(1)
		defer s.inFlight.Add(-1)
		if int(n) > s.opts.MaxInFlight {
			if !s.sleep(r.Context()) {
				return
			}
			s.tooMany(w, r, rt.Service)
			return
		}
	}
	// The answer, whatever it is, leaves no earlier than this (statusRecorder).
	w.due = time.Now().Add(s.latency())
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
		if !s.account.Allowed(c.IAMID, rt.Action) {
			s.WriteError(w, r, rt.Service, http.StatusForbidden, "forbidden",
				"You are not authorized to perform this action ("+rt.Action+").")
			return
		}
		caller = c
	}
	rt.Handler(w, r, caller)
	s.holdAnswer(r, rt)
}

func (s *Server) latency() time.Duration {
	d := s.opts.Latency
	if s.opts.Jitter > 0 {
		d += time.Duration(FastRand(uint64(s.opts.Jitter)))
	}
	return d
}

func (s *Server) sleep(ctx context.Context) bool {
	return sleepFor(ctx, s.latency())
}

func sleepFor(ctx context.Context, d time.Duration) bool {
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

func (s *Server) tooMany(w *statusRecorder, r *http.Request, service string) {
	if s.opts.RetryAfter > 0 {
		w.Header().Set("Retry-After", Itoa(s.opts.RetryAfter))
	}
	rateLimitHeaders(w.Header(), s.opts, s.Now())
	s.WriteError(w, r, service, http.StatusTooManyRequests, "rate_limit_exceeded",
		"Rate limit exceeded, retry later.")
}

// WriteJSON writes v with the given status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// statusRecorder remembers the status written, and holds the answer's first
// byte until due (the request's arrival plus the latency).
type statusRecorder struct {
	http.ResponseWriter
	status int
	ctx    context.Context
	due    time.Time
	held   bool
	gone   bool // the client left while the answer was held
}

// hold waits, once, until the answer is due.
func (r *statusRecorder) hold() {
	if r.held {
		return
	}
	r.held = true
	r.gone = !sleepFor(r.ctx, time.Until(r.due))
}

func (r *statusRecorder) WriteHeader(code int) {
	r.hold()
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	r.hold()
	if r.gone {
		return 0, r.ctx.Err()
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (to drop it).
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func isWrite(method string) bool {
	return method != http.MethodGet && method != http.MethodHead
}

// BaseURL is the scheme and host the request came in on, for absolute links.
func BaseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// Bearer returns the request's Bearer token.
func Bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	return tok, ok && tok != ""
}

// Adapt turns an http.Handler into a Route handler, for a service that already
// has one (its own mux, say); the handler runs behind the same chain and can
// read the verified caller with CallerFrom.
func Adapt(h http.Handler) func(http.ResponseWriter, *http.Request, *Caller) {
	return func(w http.ResponseWriter, r *http.Request, c *Caller) {
		if c != nil {
			r = r.WithContext(context.WithValue(r.Context(), callerKey{}, c))
		}
		h.ServeHTTP(w, r)
	}
}

type callerKey struct{}

// CallerFrom returns the caller that Adapt put into r's context (nil for an
// unauthenticated route).
func CallerFrom(r *http.Request) *Caller {
	c, _ := r.Context().Value(callerKey{}).(*Caller)
	return c
}
