package core

import (
	"net/http"
	"sort"
	"sync"
	"time"
)

// Entry is one request the emulator received.
type Entry struct {
	Seq      int64     `json:"seq"`
	Time     time.Time `json:"time"`
	Service  string    `json:"service"`
	Action   string    `json:"action,omitempty"`
	Method   string    `json:"method"`
	Path     string    `json:"path"`
	RawQuery string    `json:"query,omitempty"`
	Status   int       `json:"status"`
	Write    bool      `json:"write"` // a method other than GET/HEAD, on a route not marked ReadOnly
	// Authorization is true when the request carried a Bearer token. The token
	// itself is never kept.
	Authorization bool `json:"authorization"`
	// NotEmulated marks a request for a route the emulator does not serve
	// (answered 501).
	NotEmulated bool `json:"not_emulated,omitempty"`
}

// RequestLog records requests and counts them per service and endpoint. Safe for
// concurrent use. Entries beyond the cap are counted but not kept.
type RequestLog struct {
	mu       sync.Mutex
	max      int
	seq      int64
	entries  []*Entry
	services map[string]int64
	statuses map[int]int64
}

func newRequestLog(max int) *RequestLog {
	return &RequestLog{max: max, services: map[string]int64{}, statuses: map[int]int64{}}
}

func (l *RequestLog) begin(r *http.Request, service, action string, write bool) *Entry {
	_, auth := Bearer(r)
	e := &Entry{Time: time.Now(), Service: service, Action: action, Method: r.Method,
		Path: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery, Write: write, Authorization: auth}
	l.mu.Lock()
	l.seq++
	e.Seq = l.seq
	l.services[service]++
	if len(l.entries) < l.max {
		l.entries = append(l.entries, e)
	}
	l.mu.Unlock()
	return e
}

func (l *RequestLog) end(e *Entry, status int) {
	l.mu.Lock()
	e.Status = status
	l.statuses[status]++
	l.mu.Unlock()
}

// Entries returns a copy of the kept entries, in arrival order.
func (l *RequestLog) Entries() []Entry {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Entry, len(l.entries))
	for i, e := range l.entries {
		out[i] = *e
	}
	return out
}

// Count returns the number of requests to service ("" for all).
func (l *RequestLog) Count(service string) int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if service == "" {
		return l.seq
	}
	return l.services[service]
}

// Writes returns the number of kept entries that were write requests to a
// service other than the token endpoint (a token exchange is a POST but changes
// nothing in the account).
func (l *RequestLog) Writes() int {
	n := 0
	for _, e := range l.Entries() {
		if e.Write && e.Service != ServiceIAMToken {
			n++
		}
	}
	return n
}

// Counts returns requests per service.
func (l *RequestLog) Counts() map[string]int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[string]int64, len(l.services))
	for k, v := range l.services {
		out[k] = v
	}
	return out
}

// Services returns the service names seen, sorted.
func (l *RequestLog) Services() []string {
	c := l.Counts()
	names := make([]string, 0, len(c))
	for k := range c {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// Reset forgets every entry and count.
func (l *RequestLog) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seq = 0
	l.entries = nil
	l.services = map[string]int64{}
	l.statuses = map[int]int64{}
}
