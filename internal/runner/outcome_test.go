package runner

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/IBM/go-sdk-core/v5/core"
	"github.com/IBM/platform-services-go-sdk/resourcecontrollerv2"

	"github.com/trustjob/trustjob/internal/exitcode"
)

// sdkError makes a real SDK call against a server answering status, so the
// classification is tested on the error chain the SDK actually builds.
func sdkError(t *testing.T, status int) error {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"errors":[{"code":"x","message":"status %d"}],"status_code":%d}`, status, status)
	}))
	t.Cleanup(srv.Close)
	rc, err := resourcecontrollerv2.NewResourceControllerV2(&resourcecontrollerv2.ResourceControllerV2Options{
		URL: srv.URL, Authenticator: &core.NoAuthAuthenticator{},
	})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = rc.ListResourceInstancesWithContext(context.Background(), &resourcecontrollerv2.ListResourceInstancesOptions{})
	if err == nil {
		t.Fatal("no error from the SDK")
	}
	return fmt.Errorf("list resource instances: %w", err)
}

type denied struct{}

func (denied) Error() string          { return "no access to the report" }
func (denied) PermissionDenied() bool { return true }

func TestIsPermission(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"sdk 403", sdkError(t, http.StatusForbidden), true},
		{"sdk 401", sdkError(t, http.StatusUnauthorized), true},
		{"sdk 404", sdkError(t, http.StatusNotFound), false},
		{"sdk 500", sdkError(t, http.StatusInternalServerError), false},
		{"plain", errors.New("forbidden"), false},
		{"nil", nil, false},
		{"own type", fmt.Errorf("wrap: %w", denied{}), true},
		{"joined", errors.Join(errors.New("x"), sdkError(t, http.StatusForbidden)), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsPermission(tt.err); got != tt.want {
				t.Errorf("IsPermission(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestExitCode(t *testing.T) {
	ok := TaskResult{Status: Succeeded}
	failed := TaskResult{Status: Failed, Error: "boom"}
	denied := TaskResult{Status: Failed, Error: "403", PermissionDenied: true}
	incomplete := TaskResult{Status: Incomplete, Error: "cancelled"}
	notDue := TaskResult{Status: Skipped, Reason: "not due"}
	cancelled := TaskResult{Status: Skipped, Error: "not started: SIGTERM"}
	exceeded := TaskResult{Status: Succeeded, FailOnExceeded: true}
	exceededAndFailed := TaskResult{Status: Failed, Error: "boom", FailOnExceeded: true}

	tests := []struct {
		name    string
		results []TaskResult
		want    int
	}{
		{"nothing ran", nil, exitcode.OK},
		{"all succeeded", []TaskResult{ok, ok}, exitcode.OK},
		{"not due is not a failure", []TaskResult{ok, notDue}, exitcode.OK},
		{"one failed", []TaskResult{ok, failed}, exitcode.TaskFailed},
		{"permission only", []TaskResult{ok, denied}, exitcode.NoPerm},
		{"all permission", []TaskResult{denied, denied}, exitcode.NoPerm},
		{"permission and other failure", []TaskResult{denied, failed}, exitcode.TaskFailed},
		{"incomplete", []TaskResult{ok, incomplete}, exitcode.TaskFailed},
		{"cancelled before start", []TaskResult{ok, cancelled}, exitcode.TaskFailed},
		{"failOn exceeded", []TaskResult{ok, exceeded}, exitcode.Findings},
		{"failure beats failOn", []TaskResult{exceeded, failed}, exitcode.TaskFailed},
		{"failed task over failOn", []TaskResult{exceededAndFailed}, exitcode.TaskFailed},
		{"permission beats failOn", []TaskResult{exceeded, denied}, exitcode.NoPerm},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ExitCode(tt.results); got != tt.want {
				t.Errorf("ExitCode = %d, want %d", got, tt.want)
			}
		})
	}
}
