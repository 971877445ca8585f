package auth

import (
	"context"
	"fmt"
	"net/http"

	"github.com/IBM/go-sdk-core/v5/core"
)

// boundedAuthenticator bounds a token refresh by the API request's own
// context. The SDK refreshes the access token synchronously inside
// Authenticate, with a request of its own that knows nothing of the caller's
// context: with IAM hanging, a task with a 25 s timeout waited out every
// token retry (and the run deadline with them). Here the caller stops waiting
// when its context ends; the refresh itself goes on under the run's context
// (the token transport's), so the next caller finds it done or still bounded.
type boundedAuthenticator struct{ core.Authenticator }

func (b *boundedAuthenticator) Authenticate(req *http.Request) error {
	ctx := req.Context()
	if ctx == context.Background() {
		return b.Authenticator.Authenticate(req)
	}
	type result struct {
		auth string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		// A request of its own, so a refresh that outlives the caller never
		// touches the caller's headers.
		tmp := &http.Request{Header: http.Header{}}
		err := b.Authenticator.Authenticate(tmp)
		done <- result{tmp.Header.Get("Authorization"), err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			return r.err
		}
		req.Header.Set("Authorization", r.auth)
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting for an IAM access token: %w", context.Cause(ctx))
	}
}
