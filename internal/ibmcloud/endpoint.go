package ibmcloud

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// ErrInsecureEndpoint is returned for an endpoint that is not https (loopback
// hosts excepted: the emulator and local proxies): a bearer token sent over
// plain http can be read by anything on the path.
var ErrInsecureEndpoint = errors.New("IBM Cloud credentials go only over https")

// ErrOriginChanged is returned for a request (a redirect, above all) whose
// scheme, host or port differs from its endpoint's: the token stays with the
// origin it was configured for.
var ErrOriginChanged = errors.New("request leaves its endpoint's origin")

// ErrBodyTooLarge is returned when an answer's body (after any transparent
// decompression) outgrows the cap.
var ErrBodyTooLarge = errors.New("response body too large")

// Refused reports whether err is a request trustjob refused to send (a host,
// scheme or origin the credentials must not reach). Such errors are
// deterministic: retrying cannot change them.
func Refused(err error) bool {
	return errors.Is(err, ErrHostNotAllowed) || errors.Is(err, ErrInsecureEndpoint) || errors.Is(err, ErrOriginChanged)
}

// Permanent reports whether a failed call will fail the same way however
// often it is sent: a refused endpoint, an answer over the cap, or a body
// that was whole JSON of the wrong shape. Callers with retry loops of their
// own must not retry these.
func Permanent(err error) bool {
	var shape *json.UnmarshalTypeError
	return Refused(err) || refused(err) || errors.Is(err, ErrBodyTooLarge) || errors.As(err, &shape)
}

// DefaultMaxResponseBytes caps one answer's body, decompressed. IBM's pages
// are far smaller (100 Resource Controller instances are about 200 KiB; a
// 1,000-item Global Search page with every field a few MiB). Pages are read
// whole by the SDK (twice the cap at worst while its buffer grows) and the
// inventory reads several partitions at once, so the cap is what keeps a
// 512 MiB pod alive under a hostile answer.
const DefaultMaxResponseBytes = 8 << 20

// MaxResponseBytes caps each service's answers: IAM Identity's activity
// report comes whole in one answer (about 500 bytes per identity), so it gets
// room for some 100,000 identities.
var MaxResponseBytes = map[string]int64{ServiceIAMIdentity: 64 << 20}

// Origin is the scheme, host and port one endpoint's requests may go to.
type Origin struct{ Scheme, Host, Port string }

func (o Origin) String() string {
	return o.Scheme + "://" + net.JoinHostPort(o.Host, o.Port)
}

// OriginOf normalises u's origin: lower case, no trailing dot, the scheme's
// default port spelled out.
func OriginOf(u *url.URL) Origin {
	o := Origin{Scheme: strings.ToLower(u.Scheme), Host: strings.ToLower(strings.TrimSuffix(u.Hostname(), ".")), Port: u.Port()}
	if o.Port == "" {
		switch o.Scheme {
		case "https":
			o.Port = "443"
		case "http":
			o.Port = "80"
		}
	}
	return o
}

// IsLoopback reports whether host (without port) is this machine: localhost
// or a loopback address. Only these may be reached over plain http.
func IsLoopback(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// RedactURL drops a URL's userinfo password for logs and errors.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.Redacted()
}

// CheckEndpoint returns rawURL's origin, or an error naming the fix when the
// credentials must not go there: a host outside the policy, a scheme other
// than https (http only on loopback), userinfo, or no host at all.
func (p HostPolicy) CheckEndpoint(rawURL string) (Origin, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return Origin{}, fmt.Errorf("not a URL: %q", RedactURL(rawURL))
	}
	o := OriginOf(u)
	switch {
	case o.Scheme == "http" && IsLoopback(o.Host):
	case o.Scheme != "https":
		return o, fmt.Errorf("%w: %s uses %s; use https (plain http is accepted only for loopback hosts)", ErrInsecureEndpoint, u.Redacted(), o.Scheme)
	}
	if u.User != nil {
		return o, fmt.Errorf("%w: %s carries user information; remove it (trustjob signs in as the trusted profile)", ErrInsecureEndpoint, u.Redacted())
	}
	if !p.Allows(o.Host) {
		return o, fmt.Errorf("%w: %s is not an IBM Cloud host (*.cloud.ibm.com); add it to allowedHosts in the configuration if it is yours", ErrHostNotAllowed, o.Host)
	}
	return o, nil
}

// PinnedTransport sends only to one origin: the last line of defence against a
// token leaving for another scheme, host or port (through a redirect or an
// override), and it caps every answer's body.
type PinnedTransport struct {
	Base    http.RoundTripper
	Service string
	Origin  Origin
	// MaxBody caps each answer's body (after decompression); 0 means
	// DefaultMaxResponseBytes.
	MaxBody int64
	// Count, when set, is called for each request sent.
	Count func()
}

// RoundTrip implements http.RoundTripper.
func (t *PinnedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if got := OriginOf(req.URL); got != t.Origin {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, t.refusal(got)
	}
	if err := CheckDryRun(t.Service, req); err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	if t.Count != nil {
		t.Count()
	}
	resp, err := t.Base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	limit := t.MaxBody
	if limit <= 0 {
		limit = DefaultMaxResponseBytes
	}
	// Content-Length is only a claim after decompression; the reader checks
	// what arrives.
	if resp.ContentLength > limit {
		resp.Body.Close()
		return nil, fmt.Errorf("%s answered %d bytes from %s: %w (cap %d MiB)", t.Service, resp.ContentLength, t.Origin, ErrBodyTooLarge, limit>>20)
	}
	resp.Body = &cappedBody{rc: resp.Body, left: limit, limit: limit, what: t.Service + " answer from " + t.Origin.String()}
	return resp, nil
}

func (t *PinnedTransport) refusal(got Origin) error {
	if got.Host != t.Origin.Host {
		return fmt.Errorf("%s request to %s refused: %w: %s is pinned to %s", t.Service, got.Host, ErrOriginChanged, t.Service, t.Origin)
	}
	return fmt.Errorf("%s request to %s refused: %w: %s is pinned to %s (scheme and port included)", t.Service, got, ErrOriginChanged, t.Service, t.Origin)
}

// RefuseOriginChange is an http.Client CheckRedirect that follows a redirect
// only within the first request's origin, so neither the bearer token nor a
// resent token form ever reaches another scheme, host or port.
func RefuseOriginChange(service string) func(req *http.Request, via []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if len(via) >= 10 {
			return fmt.Errorf("%s: stopped after 10 redirects", service)
		}
		from, to := OriginOf(via[0].URL), OriginOf(req.URL)
		if from != to {
			return fmt.Errorf("%s redirect from %s to %s refused: %w", service, from, to, ErrOriginChanged)
		}
		return nil
	}
}

// cappedBody fails a read beyond limit instead of buffering without end.
type cappedBody struct {
	rc          io.ReadCloser
	left, limit int64
	what        string
}

func (b *cappedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One byte more tells a body of exactly limit bytes from a larger one.
		var one [1]byte
		if _, err := io.ReadFull(b.rc, one[:]); err != nil {
			return 0, io.EOF
		}
		return 0, fmt.Errorf("%s: %w: more than %d MiB", b.what, ErrBodyTooLarge, b.limit>>20)
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *cappedBody) Close() error { return b.rc.Close() }
