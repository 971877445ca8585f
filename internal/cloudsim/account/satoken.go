package account

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/trustjob/trustjob/internal/cloudsim/core"

	"github.com/golang-jwt/jwt/v5"
)

// MintOptions describe a Kubernetes projected service-account token.
type MintOptions struct {
	Namespace      string
	ServiceAccount string
	Pod            string // "" mints a token that is not bound to a pod
	// Audience defaults to ["iam"].
	Audience []string
	// Lifetime defaults to one hour (the kubelet's expirationSeconds: 3600).
	Lifetime time.Duration
	// IssuedAt defaults to now.
	IssuedAt time.Time
	// Cluster is the id or name of the issuing cluster; "" is the generated one.
	Cluster string
	// SignWith signs with another key (negative tests: a key IAM does not
	// trust); the kid is that key's.
	SignWith *core.SigningKey
	// Issuer overrides the cluster's issuer.
	Issuer string
}

// SAClaims is the claim set of a projected service-account token
// (k8s.io/kubernetes pkg/serviceaccount/claims.go).
type SAClaims struct {
	jwt.RegisteredClaims
	Kubernetes *kubeClaims `json:"kubernetes.io,omitempty"`
}

type kubeClaims struct {
	Namespace      string   `json:"namespace,omitempty"`
	ServiceAccount *kubeRef `json:"serviceaccount,omitempty"`
	Pod            *kubeRef `json:"pod,omitempty"`
	Node           *kubeRef `json:"node,omitempty"`
}

type kubeRef struct {
	Name string `json:"name"`
	UID  string `json:"uid"`
}

// MintSAToken returns a projected service-account token the way the kubelet
// would get it from the cluster's API server: iss, sub
// system:serviceaccount:NS:SA, aud, exp, iat, nbf, jti and the kubernetes.io
// claims (namespace, serviceaccount, pod, node), signed with the cluster's key.
func (w *World) MintSAToken(opts MintOptions) (string, error) {
	w.RLock()
	c := w.IAM.Cluster(opts.Cluster)
	w.RUnlock()
	if c == nil {
		return "", fmt.Errorf("mint service-account token: no cluster %q", opts.Cluster)
	}
	if opts.Namespace == "" || opts.ServiceAccount == "" {
		return "", errors.New("mint service-account token: namespace and service account required")
	}
	key := opts.SignWith
	if key == nil {
		for _, k := range c.Keys {
			if k.CanSign() {
				key = k
				break
			}
		}
		if key == nil {
			return "", fmt.Errorf("mint service-account token: cluster %s has public keys only", c.ID)
		}
	}
	if len(opts.Audience) == 0 {
		opts.Audience = []string{"iam"}
	}
	if opts.Lifetime == 0 {
		opts.Lifetime = time.Hour
	}
	if opts.IssuedAt.IsZero() {
		opts.IssuedAt = time.Now()
	}
	if opts.Issuer == "" {
		opts.Issuer = c.Issuer
	}
	iat := opts.IssuedAt.Truncate(time.Second)
	k := &kubeClaims{
		Namespace:      opts.Namespace,
		ServiceAccount: &kubeRef{Name: opts.ServiceAccount, UID: kubeNameUID("sa/" + opts.Namespace + "/" + opts.ServiceAccount)},
	}
	if opts.Pod != "" {
		k.Pod = &kubeRef{Name: opts.Pod, UID: kubeNameUID("pod/" + opts.Namespace + "/" + opts.Pod)}
		k.Node = &kubeRef{Name: "10.240.0.12", UID: kubeNameUID("node/10.240.0.12")}
	}
	claims := SAClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    opts.Issuer,
			Subject:   "system:serviceaccount:" + opts.Namespace + ":" + opts.ServiceAccount,
			Audience:  jwt.ClaimStrings(opts.Audience),
			ExpiresAt: jwt.NewNumericDate(iat.Add(opts.Lifetime)),
			IssuedAt:  jwt.NewNumericDate(iat),
			NotBefore: jwt.NewNumericDate(iat),
			ID:        kubeNameUID(fmt.Sprintf("jti/%s/%d/%d", k.ServiceAccount.UID, iat.UnixNano(), kubeMintSeq.Add(1))),
		},
		Kubernetes: k,
	}
	tok, err := key.Sign(claims)
	if err != nil {
		return "", fmt.Errorf("mint service-account token: %w", err)
	}
	return tok, nil
}

var kubeMintSeq atomic.Int64

// kubeNameUID is a stable UUID-shaped id for a Kubernetes object name.
func kubeNameUID(name string) string {
	h1, h2 := fnv.New64a(), fnv.New64()
	_, _ = h1.Write([]byte(name))
	_, _ = h2.Write([]byte(name))
	s := fmt.Sprintf("%016x%016x", h1.Sum64(), h2.Sum64())
	return s[0:8] + "-" + s[8:12] + "-4" + s[13:16] + "-8" + s[17:20] + "-" + s[20:32]
}

// ProjectedToken publishes a token file the way the kubelet's atomic writer
// does, so readers see rotation exactly as in a pod:
//
//	dir/..2026_01_02_15_04_05.000000001/sa-token   the payload
//	dir/..data -> ..2026_01_02_15_04_05.000000001  swapped by rename
//	dir/sa-token -> ..data/sa-token               the path to read
//
// A reader that opens dir/sa-token never sees a partial file.
type ProjectedToken struct {
	dir  string
	name string
}

// NewProjectedToken publishes into dir (created if needed) as sa-token.
func NewProjectedToken(dir string) *ProjectedToken {
	return &ProjectedToken{dir: dir, name: "sa-token"}
}

// Path is the file to read (dir/sa-token).
func (p *ProjectedToken) Path() string { return filepath.Join(p.dir, p.name) }

// Write publishes token (the first write or a rotation) and removes the
// previous payload directory.
func (p *ProjectedToken) Write(token string) error {
	if err := os.MkdirAll(p.dir, 0o755); err != nil {
		return fmt.Errorf("write projected token: %w", err)
	}
	ts := ".." + time.Now().UTC().Format("2006_01_02_15_04_05.") + strconv.FormatInt(kubeMintSeq.Add(1), 10)
	tsDir := filepath.Join(p.dir, ts)
	if err := os.Mkdir(tsDir, 0o755); err != nil {
		return fmt.Errorf("write projected token: %w", err)
	}
	if err := os.WriteFile(filepath.Join(tsDir, p.name), []byte(token), 0o644); err != nil {
		return fmt.Errorf("write projected token: %w", err)
	}
	dataLink := filepath.Join(p.dir, "..data")
	old, _ := os.Readlink(dataLink)
	tmp := filepath.Join(p.dir, "..data_tmp")
	_ = os.Remove(tmp)
	if err := os.Symlink(ts, tmp); err != nil {
		return fmt.Errorf("write projected token: %w", err)
	}
	if err := os.Rename(tmp, dataLink); err != nil {
		return fmt.Errorf("write projected token: swap ..data: %w", err)
	}
	visible := p.Path()
	if _, err := os.Lstat(visible); errors.Is(err, os.ErrNotExist) {
		if err := os.Symlink(filepath.Join("..data", p.name), visible); err != nil {
			return fmt.Errorf("write projected token: %w", err)
		}
	}
	if old != "" && old != ts {
		_ = os.RemoveAll(filepath.Join(p.dir, old))
	}
	return nil
}

// Kubelet keeps a projected token fresh the way the kubelet's token manager
// does: it mints a new token when the current one is older than 80 % of its
// lifetime or than 24 h (or when there is none, or the clock went backwards),
// and publishes it through the atomic writer.
type Kubelet struct {
	World   *World
	Token   *ProjectedToken
	Options MintOptions
	// Now is the clock (default time.Now).
	Now func() time.Time

	mu     sync.Mutex
	issued time.Time
}

// Sync rotates the token if it is due and reports whether it did.
func (k *Kubelet) Sync() (bool, error) { return k.sync(false) }

// Rotate mints and writes a new token now, whatever the current one's age.
func (k *Kubelet) Rotate() error {
	_, err := k.sync(true)
	return err
}

func (k *Kubelet) sync(force bool) (bool, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	now := time.Now
	if k.Now != nil {
		now = k.Now
	}
	t := now()
	life := k.Options.Lifetime
	if life == 0 {
		life = time.Hour
	}
	age := t.Sub(k.issued)
	if !force && !k.issued.IsZero() && age >= 0 && age < life*8/10 && age < 24*time.Hour {
		return false, nil
	}
	opts := k.Options
	opts.IssuedAt = t
	tok, err := k.World.MintSAToken(opts)
	if err != nil {
		return false, fmt.Errorf("rotate projected token: %w", err)
	}
	if err := k.Token.Write(tok); err != nil {
		return false, fmt.Errorf("rotate projected token: %w", err)
	}
	k.issued = t
	return true, nil
}

// Run calls Sync every interval until ctx ends. Errors are returned to the
// caller only at the end: like the kubelet, it keeps the old token on failure.
func (k *Kubelet) Run(ctx context.Context, interval time.Duration) error {
	var last error
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		if _, err := k.Sync(); err != nil {
			last = err
		}
		select {
		case <-ctx.Done():
			return last
		case <-tick.C:
		}
	}
}
