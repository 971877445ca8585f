package app

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/trustjob/trustjob/internal/auth"
	"github.com/trustjob/trustjob/internal/runner"
)

// authServices are the real preflight, sign-in and exit-code mapping
// (internal/auth, which builds the clients through internal/ibmcloud). The
// IBM SDK's per-service URL variables are read from the process environment,
// as the SDK itself would.
func authServices() services {
	return services{
		preflight: func(s signInSettings) error { return auth.Preflight(authSettings(s), time.Now()) },
		signIn: func(ctx context.Context, s signInSettings, log *slog.Logger) (*session, error) {
			sess, err := auth.SignIn(ctx, authSettings(s), log)
			if err != nil {
				return nil, err
			}
			return &session{
				clients: sess.Clients,
				identity: runner.Identity{
					Account: sess.Account, ProfileIAMID: sess.ProfileIAMID,
					ProfileName: sess.ProfileName, ProfileID: sess.ProfileID,
				},
				tokenExchanges: sess.Exchanges,
			}, nil
		},
		signInExit: auth.ExitCode,
	}
}

// authSettings converts app's mirror of the settings into auth's.
func authSettings(s signInSettings) auth.Settings {
	return auth.Settings{
		ProfileID: s.ProfileID, ProfileName: s.ProfileName, CRTokenFile: s.CRTokenFile,
		IAMURL: s.IAMURL, Private: s.Private, AllowedHosts: s.AllowedHosts, Getenv: os.Getenv,
		ComputeResource: s.ComputeResource, ProfileCRN: s.ProfileCRN, MetadataURL: s.MetadataURL,
	}
}
