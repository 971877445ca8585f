// Package simtest starts the built-in emulator and signs in to it through the
// real trusted-profile sign-in, for tests and benchmarks that need real SDK
// clients against a generated account.
package simtest

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/trustjob/trustjob/internal/auth"
	"github.com/trustjob/trustjob/internal/cloudsim"
	"github.com/trustjob/trustjob/tasks"
)

// SignIn signs in to a running local emulator as its runner profile.
func SignIn(ctx context.Context, l *cloudsim.Local) (*auth.Session, error) {
	return auth.SignIn(ctx, auth.Settings{
		ProfileName: l.ProfileName, CRTokenFile: l.TokenFile, IAMURL: l.Sim.URL(),
		AllowedHosts: []string{"127.0.0.1"}, Getenv: func(k string) string { return l.Env[k] },
	}, nil)
}

// Env is a task environment for the session.
func Env(s *auth.Session, task string) tasks.Env {
	return tasks.Env{
		Logger: slog.New(slog.DiscardHandler), Clients: s.Clients, Account: s.Account,
		ProfileIAMID: s.ProfileIAMID, TaskName: task, Now: time.Now,
	}
}

// Start serves spec on loopback for the test's lifetime and signs in.
func Start(tb testing.TB, spec cloudsim.Spec, opts cloudsim.Options) (*cloudsim.Local, *auth.Session) {
	tb.Helper()
	l, err := cloudsim.StartLocal(spec, opts, tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { l.Close() })
	s, err := SignIn(context.Background(), l)
	if err != nil {
		tb.Fatal(err)
	}
	return l, s
}

// StartWorld serves an already built world (a fixture) on loopback for the
// test's lifetime and signs in.
func StartWorld(tb testing.TB, w *cloudsim.World, opts cloudsim.Options) (*cloudsim.Local, *auth.Session) {
	tb.Helper()
	l, err := cloudsim.StartLocalWorld(w, cloudsim.Spec{}, opts, tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { l.Close() })
	s, err := SignIn(context.Background(), l)
	if err != nil {
		tb.Fatal(err)
	}
	return l, s
}
