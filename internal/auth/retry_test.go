package auth

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestRetryAfter: both sign-in transports (IAM token, VPC metadata) read
// Retry-After the same way: seconds or an HTTP date, capped.
func TestRetryAfter(t *testing.T) {
	r := Retry{MaxRetryAfter: 10 * time.Second}.withDefaults()
	future := time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)
	for _, tt := range []struct {
		header string
		want   time.Duration
	}{
		{"", 0},
		{"3", 3 * time.Second},
		{"0", 0},
		{"600", 10 * time.Second},
		{"Mon, 02 Jan 2006 15:04:05 GMT", 0},
		{future, 10 * time.Second},
		{"soon", 0},
	} {
		resp := &http.Response{Header: http.Header{}}
		if tt.header != "" {
			resp.Header.Set("Retry-After", tt.header)
		}
		if got := r.retryAfter(resp); got != tt.want {
			t.Errorf("Retry-After %q: %v, want %v", tt.header, got, tt.want)
		}
	}
}

// TestRetryLoop: the shared loop stops at Attempts, at a "no" from decide, and
// when the context ends during a wait (naming the request).
func TestRetryLoop(t *testing.T) {
	r := Retry{Attempts: 3, Base: time.Millisecond, Max: time.Millisecond}.withDefaults()
	log := slog.New(slog.DiscardHandler)
	boom := errors.New("boom")
	for _, tt := range []struct {
		name      string
		retry     bool
		ctx       func() context.Context
		wantSends int
		wantErr   string
	}{
		{"retried until Attempts", true, context.Background, 3, "boom"},
		{"not retried", false, context.Background, 1, "boom"},
		{"cancelled: no retry", true, func() context.Context {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx
		}, 1, "boom"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sends := 0
			_, err := r.do(tt.ctx(), log, "test request", []any{"k", "v"},
				func() (*http.Response, error) { sends++; return nil, boom },
				func(*http.Response, error) (time.Duration, bool) { return 0, tt.retry })
			if sends != tt.wantSends || err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("sends %d, err %v; want %d, %q", sends, err, tt.wantSends, tt.wantErr)
			}
		})
	}
}
