package core

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

type allowAll struct{}

func (allowAll) Allowed(string, string) bool { return true }
func (allowAll) AccessTokenKey() *SigningKey { return nil }
func (allowAll) ID() string                  { return "acct" }

// TestSetErrorWriter: a service that sets its own error body gets it for
// injected faults too, and the others keep theirs.
func TestSetErrorWriter(t *testing.T) {
	s := NewServer(allowAll{}, Options{})
	ok := func(w http.ResponseWriter, _ *http.Request, _ *Caller) { w.WriteHeader(http.StatusNoContent) }
	s.Handle(Route{Pattern: "GET /bucket/{key}", Service: "cos", Handler: ok})
	s.Handle(Route{Pattern: "GET /v2/things", Service: ServiceResourceCtl, Handler: ok})
	s.SetErrorWriter("cos", func(w http.ResponseWriter, _ *http.Request, status int, code, message string) {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(status)
		_, _ = w.Write([]byte("<Error><Code>" + code + "</Code><Message>" + message + "</Message></Error>"))
	})
	s.AddFault(&Fault{Status: http.StatusServiceUnavailable})
	for path, want := range map[string]string{
		"/bucket/a":  "<Error><Code>injected_fault</Code>",
		"/v2/things": `"code":"injected_fault"`,
	} {
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), want) {
			t.Errorf("%s: %d %s, want 503 with %s", path, rec.Code, rec.Body, want)
		}
	}
}
