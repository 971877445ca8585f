package ibmcloud

import (
	"maps"
	"sync"
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
