package failure_test

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
)

// jwtShape matches any JWT (the service-account token, IAM access tokens).
var jwtShape = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*`)

// authHeader matches an Authorization header or a bearer credential, however
// it is printed: "Authorization: …", "authorization":"…", Bearer eyJ….
var authHeader = regexp.MustCompile(`(?i)authorization["']?\s*[:=]|bearer\s+[A-Za-z0-9_.-]{8,}`)

// leakCounter counts what the leak check looked at over the whole test run,
// for the verbose summary.
type leakCounter struct {
	sync.Mutex
	runs, outputs, bytes int
	secrets              map[string]bool
}

var leakStats leakCounter

func (c *leakCounter) String() string {
	c.Lock()
	defer c.Unlock()
	return fmt.Sprintf("leak check: %d runs, %d outputs, %d bytes searched for %d distinct tokens, any JWT and any Authorization header",
		c.runs, c.outputs, c.bytes, len(c.secrets))
}

// leaks is the leak check: at debug level, no byte of stdout, stderr (the
// logs) or any file in the output directory may hold one of secrets (the
// projected service-account tokens, the tokens IAM issued), a piece of one
// (its signature), any other JWT, or an Authorization header. It returns one
// finding per output and kind.
func leaks(r *result, secrets []string) []string {
	outputs := map[string]string{"stdout": r.stdout, "stderr": r.stderr}
	for name, b := range r.files {
		outputs[name] = string(b)
	}
	// A token is found whole or by its signature (the part that makes it a
	// credential; the claims are not secret and may be quoted in a hint).
	var needles []string
	for _, s := range secrets {
		s = strings.TrimSpace(s)
		if len(s) < 16 {
			continue
		}
		needles = append(needles, s)
		if i := strings.LastIndexByte(s, '.'); i >= 0 && len(s)-i > 16 {
			needles = append(needles, s[i+1:])
		}
	}
	slices.Sort(needles)
	needles = slices.Compact(needles)

	leakStats.Lock()
	leakStats.runs++
	if leakStats.secrets == nil {
		leakStats.secrets = map[string]bool{}
	}
	for _, s := range secrets {
		if len(strings.TrimSpace(s)) >= 16 {
			leakStats.secrets[strings.TrimSpace(s)] = true
		}
	}
	leakStats.Unlock()

	var found []string
	for _, name := range slices.Sorted(maps.Keys(outputs)) {
		s := outputs[name]
		leakStats.Lock()
		leakStats.outputs++
		leakStats.bytes += len(s)
		leakStats.Unlock()
		for _, n := range needles {
			if strings.Contains(s, n) {
				found = append(found, fmt.Sprintf("%s holds a token trustjob sent or received (%.12s…)", name, n))
				break
			}
		}
		if m := jwtShape.FindString(s); m != "" {
			found = append(found, fmt.Sprintf("%s holds a JWT (%.16s…)", name, m))
		}
		if m := authHeader.FindString(s); m != "" {
			found = append(found, fmt.Sprintf("%s holds an Authorization header or bearer token (%.24s…)", name, m))
		}
	}
	return found
}

// TestLeakCheck proves the leak check finds what it looks for, so that a clean
// run means something.
func TestLeakCheck(t *testing.T) {
	const tok = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6dHJ1c3Rqb2I6dHJ1c3Rqb2IifQ.c2lnbmF0dXJlLW9mLXRoZS1zZXJ2aWNlLWFjY291bnQtdG9rZW4"
	sig := tok[strings.LastIndexByte(tok, '.')+1:]
	tests := []struct {
		name   string
		r      result
		secret string
		want   int
	}{
		{"clean", result{stdout: "ok", stderr: `{"msg":"signed in","authorized":true}`, files: map[string][]byte{"x/latest.jsonl": []byte(`{"a":1}`)}}, tok, 0},
		{"token in stderr", result{stderr: `{"msg":"x","token":"` + tok + `"}`}, tok, 2},
		{"signature alone in a report", result{files: map[string][]byte{"inventory/latest.jsonl": []byte(`{"s":"` + sig + `"}`)}}, tok, 1},
		{"unknown JWT in stdout", result{stdout: "eyJhbGciOiJIUzI1NiJ9.eyJmb28iOiJiYXJiYXoifQ.abc"}, tok, 1},
		{"header in stderr", result{stderr: "request: Authorization: [REDACTED]"}, "", 1},
		{"header as JSON", result{stderr: `{"headers":{"Authorization":"x"}}`}, "", 1},
		{"bearer in a file", result{files: map[string][]byte{"run-summary.json": []byte(`"Bearer abcdefghijkl"`)}}, "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := leaks(&tt.r, []string{tt.secret})
			if len(got) != tt.want {
				t.Errorf("leaks = %q, want %d findings", got, tt.want)
			}
		})
	}
}
