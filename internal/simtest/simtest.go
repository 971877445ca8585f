// Package simtest starts the built-in emulator and signs in to it through the
// real trusted-profile sign-in, for tests and benchmarks that need real SDK
// clients against a generated account.
package simtest

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/trustjob/trustjob/internal/action"
	"github.com/trustjob/trustjob/internal/report"

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

// LargeIAMSpec is the account the IAM task benchmarks share: 10,000 API keys,
// 2,000 service IDs, 5,000 users, 20 trusted profiles, 50 access groups and
// 20,000 access policies, share of them inactive.
func LargeIAMSpec(share float64) cloudsim.Spec {
	spec := cloudsim.DefaultSpec()
	spec.Instances, spec.APIKeys, spec.ServiceIDs, spec.Users, spec.Profiles = 10, 10_000, 2_000, 5_000, 20
	spec.AccessGroups, spec.Policies, spec.InactiveShare = 50, 20_000, share
	return spec
}

// Requests is the emulator's request count per service since the last call
// (or since it started), for benchmarks that report requests per run.
func Requests(l *cloudsim.Local, since map[string]int64) map[string]int64 {
	now := l.Sim.Log().Counts()
	out := map[string]int64{}
	for k, v := range now {
		if d := v - since[k]; d != 0 {
			out[k] = d
		}
	}
	return out
}

// BenchIAMTask runs a task on LargeIAMSpec(share) b.N times and reports its
// requests per service per run and the rows it wrote: the numbers
// BENCHMARKS.md records for the IAM posture tasks.
func BenchIAMTask(b *testing.B, share float64, name string, task tasks.Task) {
	l, s := Start(b, LargeIAMSpec(share), cloudsim.Options{ReportDelay: 100 * time.Millisecond})
	env := Env(s, name)
	env.Actions = action.New(action.Config{DryRun: true})
	env.StateDir = b.TempDir()
	var rows int
	before := l.Sim.Log().Counts()
	b.ResetTimer()
	for b.Loop() {
		w := &countRows{}
		if _, err := task.Run(context.Background(), env, w); err != nil {
			b.Fatal(err)
		}
		rows = w.n
	}
	b.StopTimer()
	total := int64(0)
	for svc, n := range Requests(l, before) {
		if svc == cloudsim.ServiceIAMToken {
			continue
		}
		total += n
		b.ReportMetric(float64(n)/float64(b.N), svc+"-req/op")
	}
	b.ReportMetric(float64(total)/float64(b.N), "req/op")
	b.ReportMetric(float64(rows), "rows")
}

type countRows struct {
	mu sync.Mutex
	n  int
}

func (c *countRows) Write(report.Row) error {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
	return nil
}

// Rows collects a task's report rows (a tasks.Output for tests).
type Rows struct {
	mu  sync.Mutex
	All []report.Row
}

// Write keeps row.
func (r *Rows) Write(row report.Row) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.All = append(r.All, row)
	return nil
}

// ByID maps the rows whose column col equals value by their "id" column.
func (r *Rows) ByID(col, value string) map[string]report.Row {
	out := map[string]report.Row{}
	for _, x := range r.All {
		if x[col] == value {
			id, _ := x["id"].(string)
			out[id] = x
		}
	}
	return out
}
