package ibmcloud

import (
	"net/http"
	"strconv"
	"testing"
	"time"
)

func TestRateLimitWait(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	epoch := func(d time.Duration) string { return strconv.FormatInt(now.Add(d).Unix(), 10) }
	cases := []struct {
		name   string
		header map[string]string
		want   time.Duration
		ok     bool
	}{
		{"nothing", nil, 0, false},
		{"retry-after seconds", map[string]string{"Retry-After": "3"}, 3 * time.Second, true},
		{"retry-after wins over reset", map[string]string{"Retry-After": "1", "X-RateLimit-Reset": epoch(20 * time.Second)}, time.Second, true},
		{"retry-after date", map[string]string{"Retry-After": now.Add(4 * time.Second).UTC().Format(http.TimeFormat)}, 4 * time.Second, true},
		{"reset only (Resource Controller)", map[string]string{"X-RateLimit-Reset": epoch(7 * time.Second), "X-RateLimit-Remaining": "0"}, 7 * time.Second, true},
		{"reset in the past", map[string]string{"X-RateLimit-Reset": epoch(-5 * time.Second)}, 0, true},
		{"reset far away is capped", map[string]string{"X-RateLimit-Reset": epoch(time.Hour)}, time.Minute, true},
		{"garbage", map[string]string{"Retry-After": "soon", "X-RateLimit-Reset": "later"}, 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range c.header {
				h.Set(k, v)
			}
			got, ok := RateLimitWait(h, now)
			if got != c.want || ok != c.ok {
				t.Fatalf("RateLimitWait = %v, %v; want %v, %v", got, ok, c.want, c.ok)
			}
		})
	}
}

// The SDK clients' backoff waits for X-RateLimit-Reset when a 429 carries no
// Retry-After (core's own policy would back off 1 s, 2 s, 4 s blindly).
func TestSDKBackoffHonoursRateLimitReset(t *testing.T) {
	resp := &http.Response{StatusCode: http.StatusTooManyRequests, Header: http.Header{}}
	resp.Header.Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Add(9*time.Second).Unix(), 10))
	got := rateLimitBackoff(time.Second, 30*time.Second, 0, resp)
	if got < 7*time.Second || got > 10*time.Second {
		t.Fatalf("backoff = %v, want about 8-10s (until X-RateLimit-Reset, plus up to 1s of jitter)", got)
	}
	if got := rateLimitBackoff(time.Second, 5*time.Second, 0, resp); got != 5*time.Second {
		t.Fatalf("backoff = %v, want the retry interval cap 5s", got)
	}
	resp.Header.Set("Retry-After", "2")
	if got := rateLimitBackoff(time.Second, 30*time.Second, 0, resp); got != 2*time.Second {
		t.Fatalf("backoff with Retry-After = %v, want 2s (core's policy)", got)
	}
}
