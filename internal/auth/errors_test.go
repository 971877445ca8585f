package auth_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/trustjob/trustjob/internal/auth"
	"github.com/trustjob/trustjob/internal/exitcode"
	"github.com/trustjob/trustjob/internal/ibmcloud"
)

func TestExitCode(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		wantCode int
		wantHint string
	}{
		{"no error", nil, exitcode.OK, ""},
		{"token file", &auth.PreflightError{Path: "/t", Problem: "is empty"}, exitcode.NoPerm, "expirationSeconds"},
		{"wrapped token file", fmt.Errorf("preflight: %w", &auth.PreflightError{Path: "/t", Problem: "does not exist"}), exitcode.NoPerm, "subPath"},
		{"not eligible", &auth.SignInError{Status: 400, Code: auth.CodeNotEligible}, exitcode.NoPerm, "not trusted by that profile"},
		{"not eligible, with the pod", &auth.SignInError{Status: 400, Code: auth.CodeNotEligible, Workload: "namespace jobs"}, exitcode.NoPerm, "(this pod: namespace jobs)"},
		{"other 400", &auth.SignInError{Status: 400, Code: "BXNIM0407E"}, exitcode.NoPerm, "audience iam"},
		{"401", &auth.SignInError{Status: 401}, exitcode.NoPerm, "refused the sign-in"},
		{"403", &auth.SignInError{Status: 403}, exitcode.NoPerm, "refused the sign-in"},
		{"temporary", &auth.SignInError{Status: 503, Temporary: true}, exitcode.TempFail, "next run"},
		{"host not allowed", fmt.Errorf("IAM endpoint: %w", ibmcloud.ErrHostNotAllowed), exitcode.Config, "allowedHosts"},
		{"deadline", fmt.Errorf("sign in: %w", context.DeadlineExceeded), exitcode.TempFail, "deadline"},
		{"cancelled", context.Canceled, exitcode.TempFail, "asked to stop"},
		{"anything else", errors.New("surprise"), exitcode.NoPerm, "doctor"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, hint := auth.ExitCode(tt.err)
			if code != tt.wantCode || !strings.Contains(hint, tt.wantHint) {
				t.Errorf("ExitCode = %d, %q; want %d and %q", code, hint, tt.wantCode, tt.wantHint)
			}
		})
	}
}

func TestSignInErrorMessage(t *testing.T) {
	tests := []struct {
		err  auth.SignInError
		want string
	}{
		{auth.SignInError{Message: "IAM refused the token exchange (400)", Code: "BXNIM0398E", IAMMessage: "Selected trusted profile not eligible."},
			"IAM refused the token exchange (400): BXNIM0398E Selected trusted profile not eligible."},
		{auth.SignInError{Message: "IAM answered 503 after 5 attempts", IAMMessage: "down"}, "IAM answered 503 after 5 attempts: down"},
		{auth.SignInError{Message: "IAM cannot be reached"}, "IAM cannot be reached"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}
