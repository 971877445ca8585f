package core

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Fault is an injected failure. A request matches when its service (and, if set,
// path prefix and method) match; then Nth, Every or Rate decide whether this
// matching request fails, and Times bounds how often the fault fires.
type Fault struct {
	Service    string // "" matches every service
	PathPrefix string
	Method     string

	Nth   int     // fail only the Nth matching request (1-based)
	Every int     // fail every Every-th matching request
	Rate  float64 // fail this fraction of matching requests (0..1)
	Times int     // stop after firing this many times (0 = no limit)

	Status     int           // HTTP status to answer (with the service's error body)
	RetryAfter int           // Retry-After seconds sent with Status
	Body       string        // raw body instead of the service's error body
	NoBody     bool          // answer Status with no body at all (e.g. a 200 or 204 where a page was expected)
	Delay      time.Duration // wait this long first (a slow or hanging endpoint)
	Drop       bool          // close the connection without an answer
	Malformed  bool          // answer 200 with a truncated JSON body
	Hang       bool          // never answer until the client gives up
	// LateAnswer serves the request (a write takes effect) and then holds
	// its answer this long, or until the client gives up: a write applied
	// whose answer never arrives.
	LateAnswer time.Duration

	mu      sync.Mutex
	matched int
	fired   int
}

// AddFault injects f; it applies to requests from now on.
func (s *Server) AddFault(f *Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f)
}

// ClearFaults removes every injected fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

func (f *Fault) matches(r *http.Request, service string) bool {
	if f.Service != "" && f.Service != service {
		return false
	}
	if f.Method != "" && f.Method != r.Method {
		return false
	}
	return f.PathPrefix == "" || strings.HasPrefix(r.URL.Path, f.PathPrefix)
}

// fire counts a matching request and says whether the fault applies to it.
func (f *Fault) fire() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.Times > 0 && f.fired >= f.Times {
		return false
	}
	f.matched++
	hit := true
	switch {
	case f.Nth > 0:
		hit = f.matched == f.Nth
	case f.Every > 0:
		hit = f.matched%f.Every == 0
	case f.Rate > 0:
		hit = float64(FastRand(1_000_000))/1_000_000 < f.Rate
	}
	if hit {
		f.fired++
	}
	return hit
}

// applyFault answers r with the first matching fault; it reports whether it did.
func (s *Server) applyFault(w *statusRecorder, r *http.Request, rt Route) bool {
	s.mu.Lock()
	faults := append([]*Fault(nil), s.faults...)
	s.mu.Unlock()
	for _, f := range faults {
		if f.LateAnswer > 0 || !f.matches(r, rt.Service) || !f.fire() {
			continue
		}
		if f.Delay > 0 {
			select {
			case <-time.After(f.Delay):
			case <-r.Context().Done():
				return true
			}
		}
		switch {
		case f.Hang:
			// Read the body first: the server only notices that the client
			// gave up (and ends r's context) once it reads from the connection.
			_, _ = io.Copy(io.Discard, r.Body)
			<-r.Context().Done()
		case f.Drop:
			w.hold() // the connection drops when the answer was due
			if hj, ok := w.ResponseWriter.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					_ = conn.Close()
				}
			}
			w.status = 0
		case f.Malformed:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte(`{"rows_count": 1, "resources": [{"id": "crn:v1:`))
		case f.Status != 0 && f.NoBody:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(f.Status)
		case f.Status != 0:
			if f.RetryAfter > 0 {
				w.Header().Set("Retry-After", Itoa(f.RetryAfter))
			}
			if f.Body != "" {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(f.Status)
				_, _ = w.Write([]byte(f.Body))
			} else if rt.Service == ServiceIAMToken {
				s.WriteTokenError(w, r, f.Status, "BXNIM0500E", http.StatusText(f.Status), "injected fault")
			} else {
				s.WriteError(w, r, rt.Service, f.Status, "injected_fault", http.StatusText(f.Status))
			}
		default:
			continue // a pure delay: go on to serve normally
		}
		return true
	}
	return false
}

// holdAnswer, after the handler served r, holds its answer (still buffered,
// as handlers write small bodies) for the first matching LateAnswer fault.
func (s *Server) holdAnswer(r *http.Request, rt Route) {
	s.mu.Lock()
	faults := append([]*Fault(nil), s.faults...)
	s.mu.Unlock()
	for _, f := range faults {
		if f.LateAnswer <= 0 || !f.matches(r, rt.Service) || !f.fire() {
			continue
		}
		t := time.NewTimer(f.LateAnswer)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
		}
		return
	}
}
