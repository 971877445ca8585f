package app

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/trustjob/trustjob/internal/config"
	"github.com/trustjob/trustjob/internal/ibmcloud"
	"github.com/trustjob/trustjob/internal/runner"
)

// services are what a run reaches outside the process through: sign-in
// (internal/auth) and report files (internal/report). wiring.go fills them
// with the real packages; tests put fakes in.
type services struct {
	// preflight checks the token file before any network call.
	preflight func(s signInSettings) error
	// signIn exchanges the token for an IAM access token and builds clients.
	signIn func(ctx context.Context, s signInSettings, log *slog.Logger) (*session, error)
	// signInExit maps a preflight or sign-in error to its exit code (77 setup,
	// 75 temporary) and a hint for the user.
	signInExit func(err error) (code int, hint string)
	// newOutput opens the run's reports.
	newOutput func(o outputOptions) (runner.Output, error)
	// writeJSON writes v to path atomically (run-summary.json).
	writeJSON func(path string, v any) error
	// prepareOutput takes the output directory's lock (waiting up to wait),
	// sweeps what a killed run left, and returns how to release the lock.
	// Nil (tests) skips it.
	prepareOutput func(dir, runID string, wait time.Duration, log *slog.Logger) (release func(), err error)
	// claimAccount records the account in dir, or refuses a directory that
	// holds another account's reports. Nil (tests) skips it.
	claimAccount func(dir, account string) error
}

// signInSettings mirror auth.Settings.
type signInSettings struct {
	ProfileID, ProfileName, CRTokenFile, IAMURL string
	Private                                     bool
	AllowedHosts                                []string
}

// session is a signed-in run: shared clients and who the run is.
type session struct {
	clients        *ibmcloud.Clients
	identity       runner.Identity
	tokenExchanges func() int64
}

// outputOptions mirror report.Options.
type outputOptions struct {
	Dir      string
	Formats  []string
	Stdout   io.Writer
	Terminal bool
	Now      time.Time
	RunID    string
	Keep     config.Keep
}
