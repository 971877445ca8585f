package core

import (
	"math/rand/v2"
	"strconv"
	"sync"
	"time"
)

// Itoa is strconv.Itoa, short for header values.
func Itoa(n int) string { return strconv.Itoa(n) }

// FastRand returns a number in [0, n) for jitter and fault rates; these need not
// be reproducible, unlike the dataset, which is generated from its seed.
func FastRand(n uint64) uint64 {
	if n == 0 {
		return 0
	}
	return rand.Uint64N(n)
}

// rateLimiter is a token bucket refilled at rate per second, bursting to rate.
type rateLimiter struct {
	mu     sync.Mutex
	rate   float64
	tokens float64
	last   time.Time
}

func newRateLimiter(rate float64) *rateLimiter {
	return &rateLimiter{rate: rate, tokens: rate, last: time.Now()}
}

func (l *rateLimiter) allow() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	l.tokens += now.Sub(l.last).Seconds() * l.rate
	if l.tokens > l.rate {
		l.tokens = l.rate
	}
	l.last = now
	if l.tokens < 1 {
		return false
	}
	l.tokens--
	return true
}

// Clip shortens s to n bytes (and "...") for echoing user input in messages.
func Clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
