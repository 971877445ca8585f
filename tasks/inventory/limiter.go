package inventory

import (
	"context"
	"sync"
)

// limiter caps the requests in flight to one service with an adaptive window
// (AIMD, as TCP does): each success widens the window by 1/window (about +1 per
// round trip), a 429 halves it. Only a throttled request that was admitted
// under the current window halves it, so a burst of 429s from requests sent
// before the last decrease counts once: the window shrinks once per round
// trip, not once per rejected request.
//
// Waiters are served by priority, then in arrival order, so partitions of one
// priority sharing a service get their pages in turn. The lister gives
// priority to the partitions that cannot be divided further and may be long:
// account-wide state passes and the windows of a split (partition.go).
type limiter struct {
	mu       sync.Mutex
	window   float64
	max      float64
	inFlight int
	epoch    uint64 // bumped by every decrease
	waiters  []*waiter

	throttled int     // 429s seen
	lowest    float64 // smallest window reached
}

// Priorities of requests (request.priority): the lister's partitions use 0
// and 1 (partition.priority); the date check goes before every page.
const priorityDateCheck = 2

type waiter struct {
	ready    chan struct{}
	granted  bool
	epoch    uint64
	priority int
}

// ticket is an admitted request; hand it back to release.
type ticket struct{ epoch uint64 }

type outcome int

const (
	outcomeOK        outcome = iota // the service answered
	outcomeThrottled                // 429
	outcomeFailed                   // 5xx, transport error: neither widen nor shrink
)

func newLimiter(max int) *limiter {
	return &limiter{window: float64(max), max: float64(max), lowest: float64(max)}
}

// acquire waits for a free slot or ctx's end; among waiters, a higher
// priority is served first.
func (l *limiter) acquire(ctx context.Context, priority int) (ticket, error) {
	l.mu.Lock()
	if len(l.waiters) == 0 && l.inFlight < l.slots() {
		l.inFlight++
		t := ticket{l.epoch}
		l.mu.Unlock()
		return t, nil
	}
	w := &waiter{ready: make(chan struct{}), priority: priority}
	l.waiters = append(l.waiters, w)
	l.mu.Unlock()

	select {
	case <-w.ready:
		return ticket{w.epoch}, nil
	case <-ctx.Done():
		l.mu.Lock()
		defer l.mu.Unlock()
		if w.granted {
			// Granted while we gave up: hand the slot on.
			l.inFlight--
			l.grant()
		} else {
			for k, x := range l.waiters {
				if x == w {
					l.waiters = append(l.waiters[:k], l.waiters[k+1:]...)
					break
				}
			}
		}
		return ticket{}, ctx.Err()
	}
}

// release returns t's slot and adapts the window to how the request went.
func (l *limiter) release(t ticket, o outcome) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.inFlight--
	switch o {
	case outcomeOK:
		l.window = min(l.max, l.window+1/l.window)
	case outcomeThrottled:
		l.throttled++
		if t.epoch == l.epoch {
			l.window = max(1, l.window/2)
			l.lowest = min(l.lowest, l.window)
			l.epoch++
		}
	}
	l.grant()
}

// grant admits waiters while the window has room. Called with mu held.
func (l *limiter) grant() {
	for len(l.waiters) > 0 && l.inFlight < l.slots() {
		// The first waiter of the highest priority (a few dozen waiters:
		// a scan is cheaper than keeping a heap).
		k := 0
		for j, x := range l.waiters {
			if x.priority > l.waiters[k].priority {
				k = j
			}
		}
		w := l.waiters[k]
		l.waiters = append(l.waiters[:k], l.waiters[k+1:]...)
		w.granted, w.epoch = true, l.epoch
		l.inFlight++
		close(w.ready)
	}
}

func (l *limiter) slots() int { return max(1, int(l.window)) }

// Slots is the current window, for the partition scheduler.
func (l *limiter) Slots() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.slots()
}

func (l *limiter) stats() (throttled int, lowest float64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.throttled, l.lowest
}
