package core

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestLatencyIsTheTimeToAnswer: Latency is the least time from a request's
// arrival to its answer, the emulator's own work included, so a benchmark's
// round trip is the latency it asked for, not that plus the emulator's CPU.
// An answer without a body waits it out too.
func TestLatencyIsTheTimeToAnswer(t *testing.T) {
	const latency = 150 * time.Millisecond
	s := NewServer(allowAll{}, Options{Latency: latency})
	s.Handle(Route{Pattern: "GET /work", Service: ServiceResourceCtl, Handler: func(w http.ResponseWriter, _ *http.Request, _ *Caller) {
		time.Sleep(latency) // building a large page
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{}`))
	}})
	s.Handle(Route{Pattern: "GET /nothing", Service: ServiceResourceCtl, Handler: func(http.ResponseWriter, *http.Request, *Caller) {}})
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	for _, tt := range []struct {
		path     string
		min, max time.Duration
	}{
		// Work as long as the latency answers after about the latency,
		// not twice it.
		{"/work", latency, 2*latency - 10*time.Millisecond},
		{"/nothing", latency, time.Hour},
	} {
		start := time.Now()
		resp, err := http.Get(srv.URL + tt.path)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if d := time.Since(start); d < tt.min || d > tt.max {
			t.Errorf("%s answered after %v, want %v to %v", tt.path, d, tt.min, tt.max)
		}
	}
}
