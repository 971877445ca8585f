package ibmcloud

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/IBM/go-sdk-core/v5/core"
)

// CallError is the one error type for a failed IBM Cloud API call: what was
// being done, the HTTP status (0 when no answer came back) and, for a refusal,
// the access the trusted profile needs. Every task wraps its API failures in
// it; HTTPStatus and IsPermission classify any error the same way for the
// runner (exit 77), doctor and the action executor.
type CallError struct {
	// Service is the API's name (ServiceResourceController, ...); may be empty.
	Service string
	// Op is what was being done, e.g. "list API keys".
	Op string
	// Status is the HTTP status, 0 without an answer.
	Status int
	// Need is the access that allows Op, said when the answer is 401/403.
	Need string
	Err  error
}

func (e *CallError) Error() string {
	switch {
	case e.Need != "" && isDenied(e.Status):
		return fmt.Sprintf("%s: permission denied (%d): %s: %v", e.Op, e.Status, e.Need, e.Err)
	case e.Status != 0:
		return fmt.Sprintf("%s: HTTP %d: %v", e.Op, e.Status, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Op, e.Err)
}

func (e *CallError) Unwrap() error { return e.Err }

// Wrap returns nil for a nil err, else a *CallError with the call's status
// (from resp, else from the SDK's problem in err).
func Wrap(op string, resp *core.DetailedResponse, err error) error {
	return WrapNeed(op, "", resp, err)
}

// WrapNeed is Wrap with the access that allows op, which a 401/403 states.
func WrapNeed(op, need string, resp *core.DetailedResponse, err error) error {
	if err == nil {
		return nil
	}
	return &CallError{Op: op, Status: ResponseStatus(resp, err), Need: need, Err: err}
}

// ResponseStatus is the HTTP status of an SDK call: from the response when
// there is one, else from err's chain; 0 for transport errors.
func ResponseStatus(resp *core.DetailedResponse, err error) int {
	if resp != nil && resp.StatusCode != 0 {
		return resp.StatusCode
	}
	return HTTPStatus(err)
}

// HTTPStatus finds the HTTP status of a failed call in err's chain: a
// *CallError, else the SDK's *core.HTTPProblem (also inside an
// *core.AuthenticationError, a token refresh refused mid-run); 0 when there
// was no answer.
func HTTPStatus(err error) int {
	var ce *CallError
	if errors.As(err, &ce) && ce.Status != 0 {
		return ce.Status
	}
	var ae *core.AuthenticationError
	if errors.As(err, &ae) && ae.HTTPProblem != nil && ae.HTTPProblem.Response != nil {
		return ae.HTTPProblem.Response.StatusCode
	}
	var hp *core.HTTPProblem
	if errors.As(err, &hp) && hp.Response != nil {
		return hp.Response.StatusCode
	}
	return 0
}

// IsPermission reports whether err is a 401 or 403 answer of an IBM Cloud API:
// an IAM policy is missing or the profile's token was refused, so retrying
// cannot help.
func IsPermission(err error) bool { return err != nil && isDenied(HTTPStatus(err)) }

func isDenied(status int) bool {
	return status == http.StatusUnauthorized || status == http.StatusForbidden
}
