package core

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Helpers for the request and list conventions of IBM's APIs (the API
// Handbook's paging with opaque tokens, IAM's time formats, account checks),
// shared by every service package.

// Time formats. Resource timestamps use RFC 3339 with milliseconds; IAM's
// activity and expiry strings use its own minute-precision form, which clients
// must parse leniently.
const (
	timeFormat      = "2006-01-02T15:04:05.000Z"
	iamMinuteFormat = "2006-01-02T15:04-0700"
)

// FormatTime writes t as IBM's APIs write timestamps (RFC 3339, milliseconds, UTC).
func FormatTime(t time.Time) string { return t.UTC().Format(timeFormat) }

// FormatIAMMinute writes t as IAM writes last_authn and expires_at ("…T12:00+0000").
func FormatIAMMinute(t time.Time) string {
	return strings.Replace(t.UTC().Format(iamMinuteFormat), "+00:00", "+0000", 1)
}

// IntParam reads an optional integer query parameter within [min, max]; def
// when absent. The error message names the parameter for a 400.
func IntParam(q url.Values, name string, def, min, max int) (int, error) {
	v := q.Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < min || n > max {
		return 0, fmt.Errorf("invalid value %q for query parameter %s: must be an integer from %d to %d", v, name, min, max)
	}
	return n, nil
}

// PageToken makes an opaque page token for an offset; ParsePageToken reads
// it back. IAM's tokens are opaque, so clients must take them from the next link.
func PageToken(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("o=" + strconv.Itoa(offset)))
}

// ParsePageToken reads an offset back from a PageToken.
func ParsePageToken(tok string) (int, bool) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, false
	}
	s, ok := strings.CutPrefix(string(b), "o=")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// PageBounds returns the bounds of the page [off, off+size) of n items.
func PageBounds(n, off, size int) (int, int) {
	if off > n {
		off = n
	}
	end := off + size
	if end > n {
		end = n
	}
	return off, end
}

// SelfLink builds a link to the request's own path with the given query.
func SelfLink(r *http.Request, absolute bool, q url.Values) string {
	p := r.URL.EscapedPath()
	if absolute {
		p = BaseURL(r) + p
	}
	if len(q) == 0 {
		return p
	}
	return p + "?" + q.Encode()
}

// CheckAccount answers 403 when the account in the request is not the emulated
// account or not the caller's (and 400 when a required one is missing); it
// reports whether to go on.
func (s *Server) CheckAccount(w http.ResponseWriter, r *http.Request, service, account string, c *Caller, required bool) bool {
	if account == "" {
		if required {
			s.WriteError(w, r, service, http.StatusBadRequest, "missing_account_id", "The account_id parameter is required.")
			return false
		}
		return true
	}
	if account != s.account.ID() || (c != nil && c.AccountID != "" && c.AccountID != account) {
		s.WriteError(w, r, service, http.StatusForbidden, "forbidden",
			"You are not authorized to access account "+account+".")
		return false
	}
	return true
}

// BadRequest answers 400 with err as the message.
func (s *Server) BadRequest(w http.ResponseWriter, r *http.Request, service string, err error) {
	s.WriteError(w, r, service, http.StatusBadRequest, "bad_request", err.Error())
}

// IdentityContext is IAM Identity's response context block.
func (s *Server) IdentityContext(r *http.Request) map[string]any {
	now := s.Now().UTC().Format(time.RFC3339)
	return map[string]any{
		"transaction_id": s.TraceID(), "operation": r.Method + " " + r.URL.Path,
		"user_agent": r.UserAgent(), "url": BaseURL(r), "instance_id": "cloudsim",
		"host": "cloudsim", "start_time": now, "end_time": now, "elapsed_time": "1",
		"cluster_name": "cloudsim",
	}
}

// CloneQuery returns a deep copy of q.
func CloneQuery(q url.Values) url.Values {
	out := make(url.Values, len(q))
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	return out
}
