package failure_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
)

// iamRecorder stands between trustjob and the emulator's IAM token endpoint and
// keeps every service-account token trustjob sent (cr_token) and every token
// IAM issued, so that the leak check can search for those exact strings and the
// rotation case can tell which token was sent. The emulator keeps neither: its
// request log records only that a request carried a token.
type iamRecorder struct {
	srv *http.Server
	url string

	mu     sync.Mutex
	sent   []string // cr_token values, in order
	issued []string // access and refresh tokens, in order
}

func newIAMRecorder(target string) (*iamRecorder, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	rec := &iamRecorder{url: "http://" + ln.Addr().String()}
	proxy := &httputil.ReverseProxy{
		Rewrite:        func(r *httputil.ProxyRequest) { r.SetURL(u) },
		ModifyResponse: rec.response,
		// A hanging or failing emulator must look the same to trustjob: no
		// proxy error page, just the closed connection.
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, _ error) {
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					conn.Close()
				}
			}
		},
	}
	rec.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.request(r)
		proxy.ServeHTTP(w, r)
	})}
	go func() { _ = rec.srv.Serve(ln) }()
	return rec, nil
}

// URL is the recorder's base URL, for TRUSTJOB_IAM_URL.
func (rec *iamRecorder) URL() string { return rec.url }

// Close stops the recorder.
func (rec *iamRecorder) Close() { _ = rec.srv.Close() }

// request records the form's cr_token and puts the body back.
func (rec *iamRecorder) request(r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	form, err := url.ParseQuery(string(body))
	if tok := form.Get("cr_token"); err == nil && tok != "" {
		rec.mu.Lock()
		rec.sent = append(rec.sent, tok)
		rec.mu.Unlock()
	}
}

// response records the tokens of a successful token response.
func (rec *iamRecorder) response(resp *http.Response) error {
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return err
	}
	var tok struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
	}
	if json.Unmarshal(body, &tok) == nil {
		rec.mu.Lock()
		for _, s := range []string{tok.AccessToken, tok.RefreshToken} {
			if s != "" && s != "not_supported" {
				rec.issued = append(rec.issued, s)
			}
		}
		rec.mu.Unlock()
	}
	return nil
}

// Sent returns the service-account tokens trustjob sent, in order.
func (rec *iamRecorder) Sent() []string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]string(nil), rec.sent...)
}

// Issued returns the tokens IAM issued, in order.
func (rec *iamRecorder) Issued() []string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]string(nil), rec.issued...)
}

// Secrets is everything the recorder saw that must never be printed.
func (rec *iamRecorder) Secrets() []string { return append(rec.Sent(), rec.Issued()...) }
