package logging

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
)

// Masked replaces every secret the redaction layer finds.
const Masked = "[REDACTED]"

// secretPatterns find secrets inside free text: error messages, SDK debug
// dumps, URLs. Each replacement keeps what names the secret and masks the
// value, so a line still says what was there.
var secretPatterns = []struct {
	re   *regexp.Regexp
	repl string
}{
	// An Authorization header in any notation: "Authorization: Bearer x",
	// "authorization=Basic x", Go's map[Authorization:[Bearer x]], JSON.
	{regexp.MustCompile(`(?i)(authorization["']?\s*[:=]\s*\[?\s*["']?)[^\s"'\]\[,}]+(\s+[^\s"'\]\[,}]+)?`), "${1}" + Masked},
	// "Bearer <token>" anywhere.
	{regexp.MustCompile(`(?i)\b(bearer\s+)[A-Za-z0-9\-._~+/]+=*`), "${1}" + Masked},
	// Form and query parameters that carry tokens or keys (cr_token=...).
	{regexp.MustCompile(`(?i)\b((?:cr_token|access_token|refresh_token|id_token|apikey|api_key|client_secret|password)["']?\s*[=:]\s*["']?)[^&\s"',}]+`), "${1}" + Masked},
	// A JWT: three base64url segments, the first one JSON ("eyJ").
	{regexp.MustCompile(`eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*`), Masked},
	// Any other three long base64url segments (an opaque or oddly encoded JWT).
	{regexp.MustCompile(`[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}`), Masked},
	// A JWT's signature segment alone (an RS256 signature is 342 base64url
	// characters): no identifier trustjob logs (CRNs, IAM IDs, GUIDs, hex
	// digests) is 80 base64url characters in one run.
	{regexp.MustCompile(`[A-Za-z0-9_-]{80,}`), Masked},
}

// secretKeys are attribute keys whose value is always masked whatever it looks
// like (compared case-insensitively, ignoring '-' and '_').
var secretKeys = map[string]bool{
	"authorization": true, "token": true, "accesstoken": true, "refreshtoken": true,
	"crtoken": true, "idtoken": true, "apikey": true, "password": true, "secret": true,
	"clientsecret": true, "bearer": true,
}

// RedactString masks every secret found in s.
func RedactString(s string) string {
	for _, p := range secretPatterns {
		s = p.re.ReplaceAllString(s, p.repl)
	}
	return s
}

func isSecretKey(k string) bool {
	return secretKeys[strings.ToLower(strings.NewReplacer("-", "", "_", "").Replace(k))]
}

// Redact wraps h so that the message and every attribute (in groups, in
// With, in errors and Stringers) are scrubbed of secrets before h sees them.
// It works at every level: a debug line is redacted like an error line.
func Redact(h slog.Handler) slog.Handler { return &redactHandler{h} }

type redactHandler struct{ next slog.Handler }

func (h *redactHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

func (h *redactHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, RedactString(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(redactAttr(a, 0))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h *redactHandler) WithAttrs(as []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(as))
	for i, a := range as {
		clean[i] = redactAttr(a, 0)
	}
	return &redactHandler{h.next.WithAttrs(clean)}
}

func (h *redactHandler) WithGroup(name string) slog.Handler {
	return &redactHandler{h.next.WithGroup(name)}
}

// maxDepth bounds recursion into nested groups.
const maxDepth = 16

func redactAttr(a slog.Attr, depth int) slog.Attr {
	v := a.Value.Resolve()
	if isSecretKey(a.Key) && v.Kind() != slog.KindGroup {
		return slog.String(a.Key, Masked)
	}
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, RedactString(v.String()))
	case slog.KindDuration:
		// "1.5s", not 1500000000: JSON handlers print nanoseconds.
		return slog.String(a.Key, v.Duration().String())
	case slog.KindGroup:
		if depth >= maxDepth {
			return slog.String(a.Key, Masked)
		}
		g := v.Group()
		clean := make([]any, len(g))
		for i, ga := range g {
			clean[i] = redactAttr(ga, depth+1)
		}
		return slog.Group(a.Key, clean...)
	case slog.KindAny:
		switch x := v.Any().(type) {
		case error:
			return slog.String(a.Key, RedactString(x.Error()))
		case fmt.Stringer:
			return slog.String(a.Key, RedactString(x.String()))
		case []byte:
			return slog.String(a.Key, RedactString(string(x)))
		default:
			// Keep structured values structured unless their text holds a secret.
			s := fmt.Sprintf("%+v", x)
			if r := RedactString(s); r != s {
				return slog.String(a.Key, r)
			}
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}
