// Package wait holds the one "sleep unless cancelled" helper every retry and
// poll loop uses.
package wait

import (
	"context"
	"time"
)

// Sleep waits d, or until ctx ends; then it returns ctx's cause.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
