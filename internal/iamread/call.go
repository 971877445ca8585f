package iamread

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/IBM/go-sdk-core/v5/core"
)

// CallError is a failed call: what was being done, the HTTP status (0 without
// an answer) and, for a refusal, the access that allows it.
type CallError struct {
	Op, Need string
	Status   int
	Err      error
}

func (e *CallError) Error() string {
	switch {
	case e.Need != "" && (e.Status == http.StatusForbidden || e.Status == http.StatusUnauthorized):
		return fmt.Sprintf("%s: permission denied (%d): %s: %v", e.Op, e.Status, e.Need, e.Err)
	case e.Status != 0:
		return fmt.Sprintf("%s: HTTP %d: %v", e.Op, e.Status, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Op, e.Err)
}

func (e *CallError) Unwrap() error { return e.Err }

// HTTPStatus lets the runner and doctor classify the failure.
func (e *CallError) HTTPStatus() int { return e.Status }

func wrap(op, need string, resp *core.DetailedResponse, err error) error {
	return &CallError{Op: op, Need: need, Status: status(resp, err), Err: err}
}

func status(resp *core.DetailedResponse, err error) int {
	if resp != nil && resp.StatusCode != 0 {
		return resp.StatusCode
	}
	var p *core.HTTPProblem
	if errors.As(err, &p) && p.Response != nil {
		return p.Response.StatusCode
	}
	return 0
}

// pages calls fetch with each page token (nil first) until it returns none.
// A token seen twice is an error rather than an endless listing.
func pages(ctx context.Context, what string, fetch func(token *string) (*string, error)) error {
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

func nextToken(link *string, param string) (*string, error) {
	if link == nil || *link == "" {
		return nil, nil
	}
	v, err := core.GetQueryParam(link, param)
	if err != nil {
		return nil, fmt.Errorf("read %s from next link %q: %w", param, *link, err)
	}
	return v, nil
}
