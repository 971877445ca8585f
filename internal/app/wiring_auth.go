package app

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/trustjob/trustjob/internal/auth"
	"github.com/trustjob/trustjob/internal/runner"
)

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

func authSettings(s signInSettings) auth.Settings {
	return auth.Settings{
		ProfileID: s.ProfileID, ProfileName: s.ProfileName, CRTokenFile: s.CRTokenFile,
		IAMURL: s.IAMURL, Private: s.Private, AllowedHosts: s.AllowedHosts, Getenv: os.Getenv,
	}
}
