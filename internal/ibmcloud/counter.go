package ibmcloud

import (
	"context"
	"maps"
	"net/http"
	"sync"
	"sync/atomic"
)

// RequestCounter counts requests per service name. Safe for concurrent use.
type RequestCounter struct {
	mu sync.Mutex
	n  map[string]int64
}

// NewRequestCounter returns an empty counter.
func NewRequestCounter() *RequestCounter { return &RequestCounter{n: map[string]int64{}} }

// Add counts one request to service.
func (c *RequestCounter) Add(service string) {
	c.mu.Lock()
	c.n[service]++
	c.mu.Unlock()
}

// Snapshot returns a copy of the counts.
func (c *RequestCounter) Snapshot() map[string]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.n)
}

// Get returns the count for one service.
func (c *RequestCounter) Get(service string) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[service]
}

// TaskCounts counts one task's share of the run's requests: per service, the
// retried ones and the 429 answers. The runner puts one in each task's
// context (WithTaskCounts); the clients of New count every request sent under
// that context into it as well as into the run's RequestCounter, so the
// tasks' requests add up to the run's, sign-in and report delivery aside.
type TaskCounts struct {
	requests  *RequestCounter
	retries   atomic.Int64
	throttles atomic.Int64
}

// NewTaskCounts returns empty counts.
func NewTaskCounts() *TaskCounts { return &TaskCounts{requests: NewRequestCounter()} }

// Requests returns a copy of the per-service request counts.
func (c *TaskCounts) Requests() map[string]int64 { return c.requests.Snapshot() }

// Retries is how many requests were sent again after a failed attempt.
func (c *TaskCounts) Retries() int64 { return c.retries.Load() }

// Throttles is how many answers were 429 Too Many Requests.
func (c *TaskCounts) Throttles() int64 { return c.throttles.Load() }

type taskCountsKey struct{}

// WithTaskCounts returns ctx carrying c: requests sent under it count into c.
func WithTaskCounts(ctx context.Context, c *TaskCounts) context.Context {
	return context.WithValue(ctx, taskCountsKey{}, c)
}

// TaskCountsOf returns the counts ctx carries, or nil.
func TaskCountsOf(ctx context.Context) *TaskCounts {
	c, _ := ctx.Value(taskCountsKey{}).(*TaskCounts)
	return c
}

// CountRetry counts a retry for the task ctx belongs to. The clients of New
// count the SDK's retries themselves; code that retries on its own (with the
// SDK's retries off) calls this before each new attempt.
func CountRetry(ctx context.Context) {
	if c := TaskCountsOf(ctx); c != nil {
		c.retries.Add(1)
	}
}

// countingTransport counts each request it sends, for the run and for the
// task whose context the request carries, and each 429 answer for the task.
type countingTransport struct {
	base    http.RoundTripper
	service string
	run     *RequestCounter
}

func (t countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	t.run.Add(t.service)
	task := TaskCountsOf(req.Context())
	if task != nil {
		task.requests.Add(t.service)
	}
	resp, err := t.base.RoundTrip(req)
	if task != nil && err == nil && resp.StatusCode == http.StatusTooManyRequests {
		task.throttles.Add(1)
	}
	return resp, err
}
