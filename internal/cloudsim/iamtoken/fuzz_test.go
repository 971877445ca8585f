package iamtoken

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/trustjob/trustjob/internal/cloudsim/testenv"

	"github.com/trustjob/trustjob/internal/cloudsim/account"
	"github.com/trustjob/trustjob/internal/cloudsim/core"
)

// FuzzTokenEndpoint posts arbitrary bodies (form parsing, then JWT reading)
// to the token endpoint: it must never panic or answer 5xx, and every error
// must carry IAM's body.
func FuzzTokenEndpoint(f *testing.F) {
	w := account.Generate(account.DefaultSpec())
	s := testenv.NewServer(w, core.Options{MaxLogEntries: 1}, Mount) // the log would grow with every input
	tok, err := w.MintSAToken(account.MintOptions{Namespace: "trustjob", ServiceAccount: "trustjob", Pod: "p"})
	if err != nil {
		f.Fatal(err)
	}
	parts := strings.Split(tok, ".")
	f.Add(testenv.CRForm(tok, "profile_name", "trustjob-runner").Encode())
	f.Add(testenv.CRForm(tok, "profile_crn", "crn:v1:bluemix:public:iam-identity::a/x::profile:Profile-1").Encode())
	f.Add(testenv.CRForm(parts[0]+"."+parts[1]+".", "profile_id", "Profile-1").Encode())
	f.Add(testenv.CRForm("eyJhbGciOiJub25lIn0.eyJ9.", "profile_id", "x").Encode())
	f.Add("grant_type=urn%3Aibm%3Aparams%3Aoauth%3Agrant-type%3Aapikey&apikey=x")
	f.Add("%zz&&==;")
	f.Add("")
	f.Fuzz(func(t *testing.T, body string) {
		rec := postTokenRecorder(s, body)
		if rec.Code >= 500 {
			t.Fatalf("status %d for %q", rec.Code, body)
		}
		var out map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("body not JSON: %v", err)
		}
		if rec.Code != 200 {
			if c, _ := out["errorCode"].(string); !strings.HasPrefix(c, "BXNIM") {
				t.Fatalf("error without errorCode: %v", out)
			}
		}
	})
}

// FuzzCRToken feeds arbitrary cr_token values through the JWT checks.
func FuzzCRToken(f *testing.F) {
	w := account.Generate(account.DefaultSpec())
	s := testenv.NewServer(w, core.Options{MaxLogEntries: 1}, Mount) // the log would grow with every input
	tok, err := w.MintSAToken(account.MintOptions{Namespace: "trustjob", ServiceAccount: "trustjob"})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(tok)
	f.Add(tok[:len(tok)-3])
	f.Add("a.b.c")
	f.Add("..")
	f.Add("eyJhbGciOiJSUzI1NiIsImtpZCI6MX0.eyJhdWQiOjEsImV4cCI6WzFdfQ.AA")
	f.Fuzz(func(t *testing.T, cr string) {
		form := url.Values{"grant_type": {testenv.GrantCRToken}, "cr_token": {cr}, "profile_name": {"trustjob-runner"}}
		if code := postTokenForm(s, form.Encode()); code >= 500 {
			t.Fatalf("status %d", code)
		}
	})
}

// postFormRecorder posts a form body to the token endpoint in-process.
func postTokenRecorder(s *core.Server, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/identity/token", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	return rec
}

func postTokenForm(s *core.Server, body string) int { return postTokenRecorder(s, body).Code }
