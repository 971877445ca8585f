package ibmcloud

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
)

// Dry-run, enforced underneath the tasks.
//
// The action executor (internal/action) already takes no action in a dry run.
// This is the second line: when a task's context says dry-run, every client
// New builds refuses, before anything is sent, each request that could change
// something, however the task's code reached it. Read-only methods pass, and
// so does the short list of POSTs below, which only read (or create a report
// about what exists).

type dryRunKey struct{}

// WithDryRun marks ctx as a dry run: clients of New refuse writes under it.
// The runner marks a task's context when `trustjob run --dry-run` or the
// task's own `dryRun:` asks for it.
func WithDryRun(ctx context.Context) context.Context {
	return context.WithValue(ctx, dryRunKey{}, true)
}

// IsDryRun reports whether ctx is marked as a dry run.
func IsDryRun(ctx context.Context) bool {
	v, _ := ctx.Value(dryRunKey{}).(bool)
	return v
}

// ErrDryRunWrite is the error of a write request refused in a dry run.
var ErrDryRunWrite = errors.New("write request refused in a dry run")

// ReadOnlyPOST is a POST that changes nothing a dry run protects.
type ReadOnlyPOST struct {
	Name    string
	Service string
	path    *regexp.Regexp // matched against the end of the URL path
}

// ReadOnlyPOSTs are the only non-GET requests a dry run lets through.
var ReadOnlyPOSTs = []ReadOnlyPOST{
	{"Global Search query", ServiceGlobalSearch, regexp.MustCompile(`/v3/resources/search$`)},
	{"IAM Identity activity report creation", ServiceIAMIdentity, regexp.MustCompile(`/v1/activity/accounts/[^/]+/report$`)},
	{"IAM Identity MFA report creation", ServiceIAMIdentity, regexp.MustCompile(`/v1/mfa/accounts/[^/]+/report$`)},
	{"IAM token exchange", ServiceIAMToken, regexp.MustCompile(`/identity/token$`)},
}

// readOnlyMethods never change anything.
var readOnlyMethods = map[string]bool{http.MethodGet: true, http.MethodHead: true, http.MethodOptions: true}

// CheckDryRun returns an error wrapping ErrDryRunWrite when req, sent to
// service, must not go out: its context is a dry run and it is neither a
// read-only method nor one of ReadOnlyPOSTs.
func CheckDryRun(service string, req *http.Request) error {
	if !IsDryRun(req.Context()) || readOnlyMethods[req.Method] {
		return nil
	}
	if req.Method == http.MethodPost {
		for _, p := range ReadOnlyPOSTs {
			if p.Service == service && p.path.MatchString(req.URL.Path) {
				return nil
			}
		}
	}
	return fmt.Errorf("%s %s %s: %w; only the action executor writes, and not in a dry run", service, req.Method, req.URL.Path, ErrDryRunWrite)
}

// refused reports whether err is a request this package refused before
// sending it (a host outside the policy, a write in a dry run): retrying
// cannot help, and nothing reached the service.
func refused(err error) bool {
	return errors.Is(err, ErrHostNotAllowed) || errors.Is(err, ErrDryRunWrite)
}
