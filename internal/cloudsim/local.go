package cloudsim

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"
)

// Local is an emulator serving a generated account on a loopback port, with a
// projected token for the runner's service account already on disk: what
// `trustjob demo`, `trustjob sim` and other packages' tests start from.
type Local struct {
	Sim *Sim
	// TokenFile is the projected token path (dir/sa-token, a symlink into
	// ..data as the kubelet lays it out).
	TokenFile   string
	ProfileName string
	ProfileID   string
	// Env is Sim.Env plus TRUSTJOB_CR_TOKEN_FILE and TRUSTJOB_PROFILE_NAME.
	Env map[string]string

	kubelet *Kubelet
}

// StartLocal generates the account spec describes, serves it on 127.0.0.1:0,
// and writes a one-hour token (audience iam) for spec's namespace and service
// account into dir.
func StartLocal(spec Spec, opts Options, dir string) (*Local, error) {
	return StartLocalWorld(Generate(spec), spec, opts, dir)
}

// StartLocalWorld is StartLocal over an already built world (a fixture).
func StartLocalWorld(world *World, spec Spec, opts Options, dir string) (*Local, error) {
	return StartLocalAt(world, spec, opts, dir, "127.0.0.1:0")
}

// StartLocalAt is StartLocalWorld listening on addr (`trustjob sim --listen`).
func StartLocalAt(world *World, spec Spec, opts Options, dir, addr string) (*Local, error) {
	if dir == "" {
		return nil, errors.New("start local emulator: token directory required")
	}
	world.RLock()
	runner := world.IAM.Runner()
	world.RUnlock()
	if runner == nil {
		return nil, errors.New("start local emulator: the world has no runner profile")
	}
	def := DefaultSpec()
	if spec.Namespace == "" {
		spec.Namespace = def.Namespace
	}
	if spec.ServiceAccount == "" {
		spec.ServiceAccount = def.ServiceAccount
	}
	sim := New(world, opts)
	if err := sim.Start(addr); err != nil {
		return nil, fmt.Errorf("start local emulator: %w", err)
	}
	token := NewProjectedToken(filepath.Clean(dir))
	l := &Local{Sim: sim, ProfileName: runner.Name, ProfileID: runner.ID, TokenFile: token.Path(),
		kubelet: &Kubelet{World: world, Token: token, Now: sim.Now, Options: MintOptions{
			Namespace: spec.Namespace, ServiceAccount: spec.ServiceAccount,
			Pod: spec.ServiceAccount + "-28937-x7k2p", Lifetime: time.Hour,
		}}}
	if err := l.Refresh(); err != nil {
		_ = sim.Close()
		return nil, fmt.Errorf("start local emulator: %w", err)
	}
	l.Env = sim.Env("")
	l.Env["TRUSTJOB_CR_TOKEN_FILE"] = l.TokenFile
	l.Env["TRUSTJOB_PROFILE_NAME"] = l.ProfileName
	return l, nil
}

// Refresh mints a new one-hour token for the runner's service account and
// rotates it into TokenFile now.
func (l *Local) Refresh() error {
	return l.kubelet.Rotate()
}

// RunKubelet keeps TokenFile fresh, as the kubelet would, until ctx ends
// (for a long-running `trustjob sim`).
func (l *Local) RunKubelet(ctx context.Context) error { return l.kubelet.Run(ctx, time.Minute) }

// Close stops the emulator. The token directory is the caller's.
func (l *Local) Close() error { return l.Sim.Close() }
