package ibmcloud

import (
	"context"
	"fmt"

	"github.com/IBM/go-sdk-core/v5/core"
)

// Pages is the one paging loop for IBM Cloud listings: it calls fetch with
// each page token (nil first) until fetch returns no next token. A token seen
// twice (a listing that never ends) is an error, and so is ctx ending; what
// names the listing in both.
func Pages(ctx context.Context, what string, fetch func(token *string) (next *string, err error)) error {
	seen := map[string]bool{}
	var tok *string
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		next, err := fetch(tok)
		if err != nil || next == nil || *next == "" {
			return err
		}
		if seen[*next] {
			return fmt.Errorf("%s: the service returned page token %q twice; stopping instead of looping", what, *next)
		}
		seen[*next] = true
		tok = next
	}
}

// NextToken reads a paging parameter (pagetoken, start, _start, offset) from a
// next link, absolute or relative; nil at the end of the listing.
func NextToken(link *string, param string) (*string, error) {
	if link == nil || *link == "" {
		return nil, nil
	}
	v, err := core.GetQueryParam(link, param)
	if err != nil {
		return nil, fmt.Errorf("read %s from next link %q: %w", param, *link, err)
	}
	return v, nil
}

// EachPage is Pages for an SDK listing: fetch gets the page for a token, a
// failed call is wrapped as a *CallError naming what and the access it needs,
// and use takes the page's items and returns the next token.
func EachPage[P any](ctx context.Context, what, need string,
	fetch func(token *string) (*P, *core.DetailedResponse, error), use func(page *P) (next *string, err error)) error {
	return Pages(ctx, what, func(tok *string) (*string, error) {
		page, resp, err := fetch(tok)
		if err := Answered(what, need, page, resp, err); err != nil {
			return nil, err
		}
		return use(page)
	})
}

// Answered checks one SDK call's answer: a failed call is wrapped with what
// was being done and the access it needs (WrapNeed), and a success without a
// body (a 204, or a 200 with an empty or null body, which the SDK decodes to
// nil) is an error too, so no caller dereferences a nil result.
func Answered[T any](what, need string, res *T, resp *core.DetailedResponse, err error) error {
	if err != nil {
		return WrapNeed(what, need, resp, err)
	}
	if res == nil {
		return fmt.Errorf("%s: HTTP %d without a body", what, ResponseStatus(resp, nil))
	}
	return nil
}
