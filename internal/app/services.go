package app

import (
	"context"
	"io"
	"log/slog"
	"time"

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
}

// signInSettings mirror auth.Settings.
type signInSettings struct {
	ProfileID, ProfileName, CRTokenFile, IAMURL string
	Private                                     bool
	AllowedHosts                                []string
	// ComputeResource, ProfileCRN and MetadataURL: see config.Auth.
	ComputeResource, ProfileCRN, MetadataURL string
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
}
