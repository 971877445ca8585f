// Package hostile is the emulator fault kit's hostile HTTP proxy: a reverse
// proxy in front of the emulator (or any server) whose answers can be switched,
// per path, to what a broken or malicious middlebox would send: empty, null or
// 204 bodies, redirects to another port of the same host, error bodies that
// echo the caller's credentials, gzip bombs and bodies written a byte at a
// time. A trap listener on another port records anything that follows a
// redirect, so a test can prove that no credential went there.
package hostile

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Mode is one misbehaviour.
type Mode string

// Modes. Pass forwards unchanged.
const (
	Pass         Mode = ""
	EmptyBody    Mode = "empty-body"    // 200, Content-Type JSON, no body
	NullBody     Mode = "null-body"     // 200 with the JSON literal null
	NoContent    Mode = "no-content"    // 204 where a page was expected
	RedirectPort Mode = "redirect-port" // 307 to the same path on the trap's port (same host)
	EchoCreds    Mode = "echo-creds"    // 400 whose message quotes the Authorization header and the form's cr_token
	GzipBomb     Mode = "gzip-bomb"     // 200, Content-Encoding: gzip, BombSize bytes once decompressed
	SlowWrite    Mode = "slow-write"    // the real answer, one chunk per Interval
)

// Rule applies Mode to requests whose path starts with PathPrefix (and whose
// method is Method, when set), at most Times times (0: always).
type Rule struct {
	PathPrefix string
	Method     string
	Mode       Mode
	Times      int
	// BombSize is the decompressed size of a gzip bomb (default 400 MiB).
	BombSize int64
	// Interval and Chunk pace a slow write (defaults 1 s and 16 bytes).
	Interval time.Duration
	Chunk    int

	fired int
}

// Proxy is a running hostile proxy.
type Proxy struct {
	srv, trap *http.Server
	url       string
	trapURL   *url.URL
	rp        *httputil.ReverseProxy

	mu      sync.Mutex
	rules   []*Rule
	fired   map[Mode]int
	trapped []Trapped
	bombs   map[int64][]byte
}

// Trapped is a request that reached the trap.
type Trapped struct {
	Method, Path  string
	Authorization string
	Body          string
}

// Start serves a proxy to target on a loopback port, with its trap on another.
func Start(target string) (*Proxy, error) {
	tu, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	p := &Proxy{fired: map[Mode]int{}, bombs: map[int64][]byte{}}
	p.rp = httputil.NewSingleHostReverseProxy(tu)
	p.rp.ErrorLog = nil
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	tln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		ln.Close()
		return nil, err
	}
	p.url = "http://" + ln.Addr().String()
	p.trapURL = &url.URL{Scheme: "http", Host: tln.Addr().String()}
	p.srv = &http.Server{Handler: http.HandlerFunc(p.serve), ReadHeaderTimeout: 10 * time.Second}
	p.trap = &http.Server{Handler: http.HandlerFunc(p.serveTrap), ReadHeaderTimeout: 10 * time.Second}
	go p.srv.Serve(ln)
	go p.trap.Serve(tln)
	return p, nil
}

// URL is the proxy's base URL.
func (p *Proxy) URL() string { return p.url }

// TrapURL is where RedirectPort sends callers.
func (p *Proxy) TrapURL() string { return p.trapURL.String() }

// Close stops both listeners.
func (p *Proxy) Close() {
	p.srv.Close()
	p.trap.Close()
}

// Add appends rules; the first matching rule with turns left applies.
func (p *Proxy) Add(rules ...*Rule) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rules = append(p.rules, rules...)
}

// Reset removes every rule.
func (p *Proxy) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rules = nil
}

// Fired counts the answers each mode replaced.
func (p *Proxy) Fired(m Mode) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.fired[m]
}

// Trapped lists the requests that followed a redirect to the trap.
func (p *Proxy) Trapped() []Trapped {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Trapped(nil), p.trapped...)
}

func (p *Proxy) pick(r *http.Request) *Rule {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, rule := range p.rules {
		if !strings.HasPrefix(r.URL.Path, rule.PathPrefix) || (rule.Method != "" && rule.Method != r.Method) {
			continue
		}
		if rule.Times > 0 && rule.fired >= rule.Times {
			continue
		}
		rule.fired++
		p.fired[rule.Mode]++
		return rule
	}
	return nil
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	rule := p.pick(r)
	if rule == nil {
		p.rp.ServeHTTP(w, r)
		return
	}
	switch rule.Mode {
	case EmptyBody:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
	case NullBody:
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte("null"))
	case NoContent:
		w.WriteHeader(http.StatusNoContent)
	case RedirectPort:
		to := *p.trapURL
		to.Path, to.RawQuery = r.URL.Path, r.URL.RawQuery
		http.Redirect(w, r, to.String(), http.StatusTemporaryRedirect)
	case EchoCreds:
		body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<10))
		form, _ := url.ParseQuery(string(body))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"errorCode":"BXNIM0109E","errorMessage":"cannot accept %s for token %s","trace":"t1","errors":[{"code":"bad_request","message":"header %s"}],"status_code":400}`,
			jsonText(r.Header.Get("Authorization")), jsonText(form.Get("cr_token")), jsonText(r.Header.Get("Authorization")))
	case GzipBomb:
		size := rule.BombSize
		if size <= 0 {
			size = 400 << 20
		}
		b := p.bomb(size)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Content-Length", fmt.Sprint(len(b)))
		w.Write(b)
	case SlowWrite:
		p.slow(w, r, rule)
	default:
		p.rp.ServeHTTP(w, r)
	}
}

// slow fetches the real answer, then writes it a chunk per interval.
func (p *Proxy) slow(w http.ResponseWriter, r *http.Request, rule *Rule) {
	rec := &recorder{header: http.Header{}, status: http.StatusOK}
	p.rp.ServeHTTP(rec, r)
	for k, v := range rec.header {
		if k != "Content-Length" {
			w.Header()[k] = v
		}
	}
	w.WriteHeader(rec.status)
	interval, chunk := rule.Interval, rule.Chunk
	if interval <= 0 {
		interval = time.Second
	}
	if chunk <= 0 {
		chunk = 16
	}
	b := rec.body.Bytes()
	for len(b) > 0 {
		n := min(chunk, len(b))
		if _, err := w.Write(b[:n]); err != nil {
			return
		}
		w.(http.Flusher).Flush()
		b = b[n:]
		select {
		case <-time.After(interval):
		case <-r.Context().Done():
			return
		}
	}
}

// bomb is a gzip stream of a JSON page padded with whitespace: about a
// thousandth of its decompressed size on the wire. It is a multi-member gzip
// stream (which gzip readers, Go's included, read as one), so only one MiB of
// padding is ever compressed, however large the bomb.
func (p *Proxy) bomb(size int64) []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	if b, ok := p.bombs[size]; ok {
		return b
	}
	member := func(b []byte) []byte {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zw.Write(b)
		zw.Close()
		return buf.Bytes()
	}
	const block = 1 << 20
	pad := member(bytes.Repeat([]byte(" "), block))
	var out bytes.Buffer
	out.Write(member([]byte(`{"rows_count":0,"resources":[`)))
	for left := size; left > 0; left -= block {
		if left < block {
			out.Write(member(bytes.Repeat([]byte(" "), int(left))))
			break
		}
		out.Write(pad)
	}
	out.Write(member([]byte(`]}`)))
	p.bombs[size] = out.Bytes()
	return out.Bytes()
}

func (p *Proxy) serveTrap(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	p.mu.Lock()
	p.trapped = append(p.trapped, Trapped{Method: r.Method, Path: r.URL.Path, Authorization: r.Header.Get("Authorization"), Body: string(body)})
	p.mu.Unlock()
	w.WriteHeader(http.StatusOK)
	w.Write([]byte(`{"resources":[]}`))
}

// recorder buffers an answer for SlowWrite.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *recorder) WriteHeader(s int)           { r.status = s }

func jsonText(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return r.Replace(s)
}
