package ibmcloud_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/IBM/go-sdk-core/v5/core"
	"github.com/IBM/platform-services-go-sdk/resourcecontrollerv2"

	"github.com/trustjob/trustjob/internal/ibmcloud"
)

// sdkError makes a real SDK call against a server answering status, so the
// classification is tested on the error chain the SDK actually builds.
func sdkError(t *testing.T, status int) (*core.DetailedResponse, error) {
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
	_, resp, err := rc.ListResourceInstancesWithContext(context.Background(), &resourcecontrollerv2.ListResourceInstancesOptions{})
	if err == nil {
		t.Fatal("no error from the SDK")
	}
	return resp, err
}

func wrapped(t *testing.T, status int) error {
	_, err := sdkError(t, status)
	return fmt.Errorf("list resource instances: %w", err)
}

func TestClassify(t *testing.T) {
	resp403, err403 := sdkError(t, http.StatusForbidden)
	tests := []struct {
		name       string
		err        error
		status     int
		permission bool
	}{
		{"sdk 403", wrapped(t, http.StatusForbidden), 403, true},
		{"sdk 401", wrapped(t, http.StatusUnauthorized), 401, true},
		{"sdk 404", wrapped(t, http.StatusNotFound), 404, false},
		{"sdk 500", wrapped(t, http.StatusInternalServerError), 500, false},
		{"plain", errors.New("forbidden"), 0, false},
		{"nil", nil, 0, false},
		{"call error", &ibmcloud.CallError{Op: "list", Status: 403, Err: errors.New("no")}, 403, true},
		{"wrapped call error", fmt.Errorf("task: %w", ibmcloud.WrapNeed("list keys", "Viewer", resp403, err403)), 403, true},
		{"joined", errors.Join(errors.New("x"), wrapped(t, http.StatusForbidden)), 403, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ibmcloud.HTTPStatus(tt.err); got != tt.status {
				t.Errorf("HTTPStatus = %d, want %d", got, tt.status)
			}
			if got := ibmcloud.IsPermission(tt.err); got != tt.permission {
				t.Errorf("IsPermission = %v, want %v", got, tt.permission)
			}
		})
	}
}

func TestCallErrorMessage(t *testing.T) {
	resp, err := sdkError(t, http.StatusForbidden)
	got := ibmcloud.WrapNeed("list API keys", "the trusted profile needs API key reviewer", resp, err).Error()
	if !strings.HasPrefix(got, "list API keys: permission denied (403): the trusted profile needs API key reviewer: ") {
		t.Errorf("403 message %q", got)
	}
	resp, err = sdkError(t, http.StatusNotFound)
	if got := ibmcloud.Wrap("get report", resp, err).Error(); !strings.HasPrefix(got, "get report: HTTP 404: ") {
		t.Errorf("404 message %q", got)
	}
	if ibmcloud.Wrap("x", nil, nil) != nil {
		t.Error("Wrap of nil is not nil")
	}
}
