package iamread

import (
	"strconv"
	"strings"
	"time"
)

// timeLayouts are the forms IAM writes timestamps in: RFC 3339 (with or
// without fractions), IAM's minute precision with a numeric zone
// ("2024-01-01T12:00+0000", the activity report's last_authn), seconds with a
// numeric zone, a zoneless form (read as UTC), and a bare date.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04Z0700",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04",
	"2006-01-02",
}

// ParseTime reads an IBM timestamp leniently: the layouts above, or epoch
// seconds (10 digits) or milliseconds (13 digits) as IAM's history records
// carry them. ok is false for "" or anything else: the caller must treat the
// value as unknown, never as absent.
func ParseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), true
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
		switch len(s) {
		case 10:
			return time.Unix(n, 0).UTC(), true
		case 13:
			return time.UnixMilli(n).UTC(), true
		}
	}
	return time.Time{}, false
}

// LastAuthn reads a report's last_authn: nil and "" for an absent value
// (never used), or raw set when the value is there but unreadable (last use
// unknown: never to be read as "never used").
func LastAuthn(s *string) (t *time.Time, raw string) {
	if s == nil || strings.TrimSpace(*s) == "" {
		return nil, ""
	}
	v, ok := ParseTime(*s)
	if !ok {
		return nil, *s
	}
	return &v, ""
}
