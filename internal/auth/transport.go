package auth

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/trustjob/trustjob/internal/ibmcloud"
)

// Retry bounds the token request's retries. The SDK does not retry it, and an
// IAM hiccup at 02:00 should not cost the nightly run.
type Retry struct {
	Attempts      int           // total attempts (default 5)
	Base          time.Duration // first backoff (default 1 s), doubled each time
	Max           time.Duration // backoff cap (default 30 s)
	MaxRetryAfter time.Duration // cap on a Retry-After IAM asks for (default 60 s)
	PerAttempt    time.Duration // one attempt's timeout (default 30 s)
}

func (r Retry) withDefaults() Retry {
	if r.Attempts <= 0 {
		r.Attempts = 5
	}
	if r.Base <= 0 {
		r.Base = time.Second
	}
	if r.Max <= 0 {
		r.Max = 30 * time.Second
	}
	if r.MaxRetryAfter <= 0 {
		r.MaxRetryAfter = 60 * time.Second
	}
	if r.PerAttempt <= 0 {
		r.PerAttempt = 30 * time.Second
	}
	return r
}

// tokenTransport carries the ContainerAuthenticator's token requests: it
// refuses hosts outside the policy (the form carries the service-account
// token, and a 307 redirect would resend it), bounds each attempt by the run's
// context, retries 429, 5xx and network errors with capped, jittered backoff
// that honours Retry-After, never retries another 4xx, and remembers IAM's
// last answer so a failure can be explained.
type tokenTransport struct {
	ctx       context.Context
	base      http.RoundTripper
	origin    ibmcloud.Origin
	retry     Retry
	counter   *ibmcloud.RequestCounter
	log       *slog.Logger
	exchanges atomic.Int64
	// now is the clock the issued token's expiry is checked against.
	now func() time.Time
	// skewSaid is set once the clock-skew warning was logged.
	skewSaid atomic.Bool

	mu   sync.Mutex
	last iamAnswer
}

// iamAnswer is what IAM said the last time, for error classification. It never
// holds a token: only the status and IAM's error fields.
type iamAnswer struct {
	status  int
	code    string // BXNIM...
	message string
	netErr  error
	refused error // the host policy stopped the request
	// unusable says why a 2xx answer carries no usable access token.
	unusable string
}

// maxTokenAnswer caps IAM's token answer (a few KiB in practice).
const maxTokenAnswer = 1 << 20

func newTokenTransport(ctx context.Context, base http.RoundTripper, o ibmcloud.Origin, r Retry, c *ibmcloud.RequestCounter, log *slog.Logger) *tokenTransport {
	if base == nil {
		base = http.DefaultTransport
	}
	return &tokenTransport{ctx: ctx, base: base, origin: o, retry: r.withDefaults(), counter: c, log: log, now: time.Now}
}

func (t *tokenTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if got := ibmcloud.OriginOf(req.URL); got != t.origin {
		if req.Body != nil {
			req.Body.Close()
		}
		err := fmt.Errorf("IAM token request to %s refused: %w: the IAM endpoint is %s (scheme, host and port)",
			got, ibmcloud.ErrOriginChanged, t.origin)
		t.record(iamAnswer{refused: err})
		return nil, err
	}
	var body []byte
	if req.Body != nil {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			return nil, fmt.Errorf("read token request: %w", err)
		}
		req.Body.Close()
	}
	return t.retry.do(t.ctx, t.log, "IAM token request", nil, func() (*http.Response, error) { return t.once(req, body) }, t.decide)
}

// do is the retry loop of the sign-in transports (the IAM token exchange and
// the VPC metadata service): send, ask decide whether and after how long to
// try again (0: the jittered backoff), up to Attempts, while ctx lasts. what
// names the request in the log and in the error of an interrupted wait;
// attrs are added to the retry's log line.
func (r Retry) do(ctx context.Context, log *slog.Logger, what string, attrs []any,
	send func() (*http.Response, error), decide func(*http.Response, error) (time.Duration, bool)) (*http.Response, error) {
	for attempt := 1; ; attempt++ {
		resp, err := send()
		wait, retry := decide(resp, err)
		if !retry || attempt >= r.Attempts || ctx.Err() != nil {
			return resp, err
		}
		if resp != nil {
			io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
		}
		if wait == 0 {
			wait = r.backoff(attempt)
		}
		log.Warn(what+" failed, retrying", append(attrs[:len(attrs):len(attrs)],
			"attempt", attempt, "status", statusOf(resp), "err", errString(err), "wait", wait)...)
		if err := sleep(ctx, wait); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
	}
}

// retryAfter is how long an answer asks to wait (Retry-After in seconds or
// as an HTTP date), capped at MaxRetryAfter; 0 when it does not say.
func (r Retry) retryAfter(resp *http.Response) time.Duration {
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s >= 0 {
		return min(time.Duration(s)*time.Second, r.MaxRetryAfter)
	}
	if at, err := http.ParseTime(resp.Header.Get("Retry-After")); err == nil {
		return min(max(time.Until(at), 0), r.MaxRetryAfter)
	}
	return 0
}

// checkRedirect refuses a redirect that leaves IAM's origin, and remembers
// the refusal for the sign-in error.
func (t *tokenTransport) checkRedirect(req *http.Request, via []*http.Request) error {
	err := ibmcloud.RefuseOriginChange(ibmcloud.ServiceIAMToken)(req, via)
	if ibmcloud.Refused(err) {
		t.record(iamAnswer{refused: err})
	}
	return err
}

// once makes one attempt under the run's context and a per-attempt timeout.
func (t *tokenTransport) once(req *http.Request, body []byte) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(t.ctx, t.retry.PerAttempt)
	r := req.Clone(ctx)
	if body != nil {
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
	}
	t.counter.Add(ibmcloud.ServiceIAMToken)
	resp, err := t.base.RoundTrip(r)
	if err != nil {
		cancel()
		t.record(iamAnswer{netErr: err})
		return nil, err
	}
	// Read the (small) body now so the per-attempt context can end here.
	b, rerr := io.ReadAll(io.LimitReader(resp.Body, maxTokenAnswer+1))
	resp.Body.Close()
	cancel()
	if rerr == nil && len(b) > maxTokenAnswer {
		rerr = fmt.Errorf("IAM's answer is larger than %d KiB: %w", maxTokenAnswer>>10, ibmcloud.ErrBodyTooLarge)
	}
	if rerr != nil {
		t.record(iamAnswer{netErr: rerr})
		return nil, rerr
	}
	ans := iamAnswer{status: resp.StatusCode}
	if resp.StatusCode/100 == 2 {
		b, ans.unusable = t.checkToken(b)
		if ans.unusable == "" {
			t.exchanges.Add(1)
		}
	} else {
		var e struct {
			Code    string `json:"errorCode"`
			Message string `json:"errorMessage"`
		}
		_ = json.Unmarshal(b, &e)
		ans.code, ans.message = e.Code, e.Message
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	resp.ContentLength = int64(len(b))
	t.record(ans)
	return resp, nil
}

// skewTolerance is how far IAM's "expiration" may stray from the local clock
// plus "expires_in" before trustjob trusts expires_in instead.
const skewTolerance = time.Minute

// checkToken looks at a 2xx answer: it must carry an access token. The SDK
// schedules refreshes by IAM's absolute "expiration" against the local clock;
// when the two clocks disagree (an expiration already past on arrival), every
// request would trigger a new exchange, so the expiration is rewritten from
// "expires_in", and the skew is logged once.
func (t *tokenTransport) checkToken(b []byte) ([]byte, string) {
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil || m == nil {
		return b, "the answer is not a JSON object"
	}
	if tok, _ := m["access_token"].(string); tok == "" {
		return b, "the answer has no access_token"
	}
	in, _ := m["expires_in"].(float64)
	exp, _ := m["expiration"].(float64)
	if in <= 0 {
		return b, ""
	}
	now := t.now()
	want := now.Add(time.Duration(in) * time.Second)
	skew := time.Unix(int64(exp), 0).Sub(want)
	if skew > -skewTolerance && skew < skewTolerance {
		return b, ""
	}
	m["expiration"] = want.Unix()
	fixed, err := json.Marshal(m)
	if err != nil {
		return b, ""
	}
	if !t.skewSaid.Swap(true) {
		t.log.Warn("IAM's token expiry disagrees with this machine's clock; timing refreshes by expires_in instead",
			"skew", skew.Round(time.Second).String(), "expires_in", (time.Duration(in) * time.Second).String(),
			"hint", "check the node's time synchronisation (NTP)")
	}
	return fixed, ""
}

func (t *tokenTransport) record(a iamAnswer) {
	t.mu.Lock()
	t.last = a
	t.mu.Unlock()
}

func (t *tokenTransport) lastAnswer() iamAnswer {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.last
}

// decide says whether to retry, and how long IAM asked to wait. Like the
// SDK's own retry policy, it does not retry a certificate the host failed to
// prove: waiting does not change it.
func (t *tokenTransport) decide(resp *http.Response, err error) (time.Duration, bool) {
	if err != nil {
		return 0, t.ctx.Err() == nil && !permanent(err) && !errors.Is(err, ibmcloud.ErrBodyTooLarge) // network error or attempt timeout
	}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
		return t.retry.retryAfter(resp), true
	}
	return 0, false
}

// permanent reports whether a transport error will not go away on its own.
func permanent(err error) bool {
	var verr *tls.CertificateVerificationError
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	return errors.As(err, &verr) || errors.As(err, &unknown) || errors.As(err, &host) || errors.As(err, &invalid)
}

// backoff is Base·2^(attempt-1), capped at Max, with up to 20% jitter so many
// CronJobs do not retry in step.
func (r Retry) backoff(attempt int) time.Duration {
	d := r.Base << min(attempt-1, 20)
	if d > r.Max || d <= 0 {
		d = r.Max
	}
	return d + time.Duration(rand.Int64N(int64(d)/5+1))
}

// classify turns a failed first exchange into a SignInError.
func (t *tokenTransport) classify(ctx context.Context, err error, tokenFile string) error {
	last := t.lastAnswer()
	e := &SignInError{Status: last.status, Code: last.code, IAMMessage: last.message}
	switch {
	case last.refused != nil:
		return last.refused
	case errors.Is(ctx.Err(), context.Canceled):
		// SIGTERM or SIGINT (signal.NotifyContext names it in the cause).
		e.Temporary = true
		e.Message = fmt.Sprintf("sign-in interrupted: %v", context.Cause(ctx))
		e.hint = "the process was asked to stop while signing in; nothing was run"
	case ctx.Err() != nil:
		e.Temporary = true
		e.Message = fmt.Sprintf("IAM did not answer before the run's deadline (%v)", context.Cause(ctx))
	case ibmcloud.Refused(err):
		return err
	case last.unusable != "":
		e.Temporary = true
		e.Message = fmt.Sprintf("IAM answered %d without a usable access token (%s)", last.status, last.unusable)
		e.hint = "IAM or a proxy in between (HTTPS_PROXY) sent a broken answer; a later run may succeed"
	case last.status == 0 && last.netErr != nil && errors.Is(last.netErr, ibmcloud.ErrBodyTooLarge):
		e.Temporary = true
		e.Message = "IAM's answer was refused: " + last.netErr.Error()
		e.hint = "check auth.iamURL and any proxy in between (HTTPS_PROXY): IAM's token answers are a few KiB"

	case last.status == 0 && last.netErr != nil && permanent(last.netErr):
		e.Message = "IAM's TLS certificate cannot be verified: " + last.netErr.Error()
		e.hint = "check auth.iamURL and any TLS-intercepting proxy (HTTPS_PROXY): the host must present a certificate this image's CA bundle trusts"
	case last.status == 0 && last.netErr != nil:
		e.Temporary = true
		e.Message = "IAM cannot be reached: " + last.netErr.Error()
	case last.status == 0:
		// The SDK failed before sending: it could not read the token file.
		e.Message = "the service-account token could not be read: " + firstLine(err.Error())
		e.Workload = describeWorkload(tokenFile)
	case last.status == http.StatusTooManyRequests || last.status >= 500:
		e.Temporary = true
		e.Message = fmt.Sprintf("IAM answered %d after %d attempts", last.status, t.retry.Attempts)
	default:
		e.Message = fmt.Sprintf("IAM refused the token exchange (%d)", last.status)
		e.Workload = describeWorkload(tokenFile)
	}
	return e
}

func statusOf(r *http.Response) int {
	if r == nil {
		return 0
	}
	return r.StatusCode
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
