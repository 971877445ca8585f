package ibmcloud

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"github.com/IBM/go-sdk-core/v5/core"
)

// Rate-limit headers. Resource Controller documents X-RateLimit-Limit,
// -Remaining and -Reset (the end of the current window, in Unix epoch
// seconds) with its 429s, and does not promise Retry-After; other IBM Cloud
// services send Retry-After (integer seconds). go-sdk-core's backoff reads
// only Retry-After, so without this a 429 that carries only X-RateLimit-Reset
// is retried on a blind exponential schedule (fidelity audit F7).

// maxRateLimitWait caps a wait taken from the headers: a reset far in the
// future (or a clock far off) must not park a run.
const maxRateLimitWait = time.Minute

// RateLimitWait returns how long a 429 (or 503) answer asks the caller to wait:
// Retry-After when present (integer seconds or an HTTP date), else
// X-RateLimit-Reset (epoch seconds, relative to now). ok is false when neither
// header says anything usable. The wait is capped at one minute.
func RateLimitWait(h http.Header, now time.Time) (d time.Duration, ok bool) {
	if v := h.Get("Retry-After"); v != "" {
		if secs, err := strconv.ParseInt(v, 10, 64); err == nil && secs >= 0 {
			return min(time.Duration(secs)*time.Second, maxRateLimitWait), true
		}
		if t, err := http.ParseTime(v); err == nil {
			return clampWait(t.Sub(now)), true
		}
	}
	if v := h.Get("X-RateLimit-Reset"); v != "" {
		if epoch, err := strconv.ParseInt(v, 10, 64); err == nil && epoch > 0 {
			return clampWait(time.Unix(epoch, 0).Sub(now)), true
		}
	}
	return 0, false
}

func clampWait(d time.Duration) time.Duration {
	return min(max(d, 0), maxRateLimitWait)
}

// rateLimitBackoff is the SDK clients' backoff: core's policy, but a 429
// without Retry-After waits until X-RateLimit-Reset (capped at maxInterval)
// instead of guessing, plus a random part: every request throttled in the same
// window would otherwise retry at the same second and collide again.
func rateLimitBackoff(minWait, maxWait time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil && resp.StatusCode == http.StatusTooManyRequests && resp.Header.Get("Retry-After") == "" {
		if d, ok := RateLimitWait(resp.Header, time.Now()); ok {
			spread := max(minWait, time.Second) << min(attempt, 4)
			return min(d+rand.N(spread), maxWait)
		}
	}
	return core.IBMCloudSDKBackoffPolicy(minWait, maxWait, attempt, resp)
}
