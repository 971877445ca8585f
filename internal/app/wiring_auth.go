package app

// TEMPORARY stub until internal/auth lands: fill preflight, signIn and
// signInExit from internal/auth and internal/ibmcloud.

import (
	"context"
	"errors"
	"log/slog"

	"github.com/trustjob/trustjob/internal/exitcode"
)

var errNotWired = errors.New("sign-in is not wired in this build")

func authServices() services {
	return services{
		preflight: func(signInSettings) error { return errNotWired },
		signIn: func(context.Context, signInSettings, *slog.Logger) (*session, error) {
			return nil, errNotWired
		},
		signInExit: func(error) (int, string) { return exitcode.TempFail, "" },
	}
}
