package core

import (
	"net/http"
	"strconv"
	"time"
)

// rateLimitHeaders are what Resource Controller documents with a 429
// (fidelity audit F7): X-RateLimit-Limit, X-RateLimit-Remaining (0 when
// throttled) and X-RateLimit-Reset, the end of the current window in Unix
// epoch seconds. Retry-After is not promised; it is sent only when
// Options.RetryAfter is set, so a test can leave it out.
func rateLimitHeaders(h http.Header, o Options, now time.Time) {
	limit := o.MaxInFlight
	if o.RatePerSecond > 0 {
		limit = int(o.RatePerSecond)
	}
	wait := time.Duration(max(o.RetryAfter, 1)) * time.Second
	h.Set("X-RateLimit-Limit", strconv.Itoa(max(limit, 1)))
	h.Set("X-RateLimit-Remaining", "0")
	h.Set("X-RateLimit-Reset", strconv.FormatInt(now.Add(wait).Unix(), 10))
}
