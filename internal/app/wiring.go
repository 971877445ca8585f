package app

// WIRING: the only file that joins app to internal/auth and internal/report.
// TEMPORARY stub until those packages land; replace realServices' body with
// calls to auth.Preflight, auth.SignIn, report.NewRun and
// report.WriteJSONAtomic.

import (
	"context"
	"errors"
	"log/slog"

	"github.com/trustjob/trustjob/internal/exitcode"
	"github.com/trustjob/trustjob/internal/runner"
)

var errNotWired = errors.New("sign-in and reports are not wired in this build")

func realServices() services {
	return services{
		preflight: func(signInSettings) error { return errNotWired },
		signIn: func(context.Context, signInSettings, *slog.Logger) (*session, error) {
			return nil, errNotWired
		},
		signInExit: func(error) (int, string) { return exitcode.TempFail, "" },
		newOutput:  func(outputOptions) (runner.Output, error) { return nil, errNotWired },
		writeJSON:  func(string, any) error { return errNotWired },
	}
}
