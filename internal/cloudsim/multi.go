package cloudsim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/trustjob/trustjob/internal/cloudsim/account"
	"github.com/trustjob/trustjob/internal/cloudsim/core"
	"github.com/trustjob/trustjob/internal/cloudsim/enterprise"
)

// EnterpriseSpec describes an emulated enterprise: the enterprise account
// (which holds the cluster trustjob runs in, and the profile that reads the
// enterprise), account groups, and child accounts in several states, each
// with a trusted profile that links to the cluster across accounts.
type EnterpriseSpec struct {
	Seed uint64
	// Hub generates the enterprise account (the cluster, the runner profile).
	Hub Spec
	// Child generates every child account (seed and account ID are set per
	// child); its ProfileName names the profile trustjob uses there.
	Child Spec
	// Accounts is the number of child accounts; Groups the number of account
	// groups (the last one nested in the first when there are two or more).
	Accounts, Groups int
	// Pending, Suspended and Canceled child accounts (the last ones); the
	// others are ACTIVE.
	Pending, Suspended, Canceled int
	// NotCrossAccount lists child indexes whose runner link lacks
	// is_cross_account: IAM refuses their exchange (a misconfigured account).
	NotCrossAccount []int
	// Cluster, when set, is the cluster trustjob runs in (a real
	// kube-apiserver's issuer and JWKS) instead of the generated one; it is
	// registered in the enterprise account, whose runner profile trusts it.
	Cluster *Cluster
}

// DefaultEnterpriseSpec is a small enterprise: three active children and one
// suspended, two account groups.
func DefaultEnterpriseSpec() EnterpriseSpec {
	child := DefaultSpec()
	child.Instances, child.Users, child.ServiceIDs, child.APIKeys, child.Profiles, child.AccessGroups = 20, 5, 3, 6, 2, 2
	return EnterpriseSpec{Seed: 7, Hub: DefaultSpec(), Child: child, Accounts: 4, Groups: 2, Suspended: 1}
}

// ChildAccount is one child account of an emulated enterprise.
type ChildAccount struct {
	World *World
	Sim   *Sim
	ID    string
	Name  string
	State string
	Group string // account group ID
	// ProfileID is the trusted profile trustjob uses there.
	ProfileID string
}

// Enterprise serves several emulated accounts behind one URL, as IBM Cloud
// does: each account is a full emulator (its own World and Sim), and a front
// routes each request to the account it is for. A token request goes to the
// account that holds the requested profile (the cluster is registered in
// every account, under the enterprise account's ID, so a link in a child
// account is cross-account); any other request goes to the account its
// access token names (account.bss). The enterprise account serves the
// Enterprise Management API.
type Enterprise struct {
	Hub      *World
	HubSim   *Sim
	Children []*ChildAccount

	mu        sync.RWMutex
	byAccount map[string]*Sim
	byProfile map[string]*Sim

	srv *http.Server
	url string
}

// NewEnterprise generates the enterprise spec describes.
func NewEnterprise(spec EnterpriseSpec, opts Options) (*Enterprise, error) {
	if spec.Hub.Seed == 0 {
		spec.Hub.Seed = spec.Seed*1_000_003 + 1
	}
	// One IAM signs for every account (and the children's own clusters,
	// unused, reuse its key: no RSA key generation per account).
	if spec.Hub.KeySeed == 0 {
		spec.Hub.KeySeed = spec.Seed*2_654_435_761 + 11
	}
	spec.Child.KeySeed = spec.Hub.KeySeed
	hub := Generate(spec.Hub)
	e := &Enterprise{Hub: hub, HubSim: New(hub, opts), byAccount: map[string]*Sim{}, byProfile: map[string]*Sim{}}
	e.byAccount[hub.AccountID] = e.HubSim
	hub.RLock()
	cluster := *hub.IAM.Clusters[0]
	runner := hub.IAM.Runner()
	hub.RUnlock()
	if spec.Cluster != nil {
		c, err := hub.AddCluster(*spec.Cluster)
		if err != nil {
			return nil, fmt.Errorf("enterprise: %w", err)
		}
		cluster = *c
		hs := specDefaults(spec.Hub)
		hub.Lock()
		runner.Links = []*account.Link{hub.IAM.NewLink(&account.Link{Name: "trustjob", CRType: c.CRType, CRN: c.CRN,
			Namespace: hs.Namespace, ServiceAccount: hs.ServiceAccount}, runner.CreatedAt)}
		hub.Unlock()
	}
	e.byProfile[runner.ID] = e.HubSim
	now := time.Now().UTC().Truncate(time.Second)

	st := enterprise.State{Enterprise: &enterprise.Record{
		ID: fmt.Sprintf("%032x", spec.Seed*7919+1)[:32], AccountID: hub.AccountID, Name: "Example Corp",
		Domain: "example.com", State: enterprise.StateActive,
		PrimaryContactIAMID: "IBMid-ENTERPRISE01", PrimaryContactEmail: "cloud-admin@example.com",
		CreatedAt: now.AddDate(-2, 0, 0),
	}}
	root := st.CRN()
	for g := range spec.Groups {
		parent := root
		if g == spec.Groups-1 && g >= 2 {
			parent = st.GroupCRN(st.Groups[0].ID) // one nested group
		}
		st.Groups = append(st.Groups, &enterprise.Group{
			ID: fmt.Sprintf("%032x", spec.Seed*104729+uint64(g)+1)[:32], Name: groupName(g), Parent: parent,
			State: enterprise.StateActive, PrimaryContactIAMID: "IBMid-ENTERPRISE01",
			PrimaryContactEmail: "cloud-admin@example.com", CreatedAt: now.AddDate(-1, 0, 0),
		})
	}
	st.Accounts = append(st.Accounts, &enterprise.Account{
		ID: hub.AccountID, Name: "enterprise", Parent: root, State: enterprise.StateActive,
		OwnerIAMID: "IBMid-ENTERPRISE01", OwnerEmail: "cloud-admin@example.com", Paid: true,
		IsEnterpriseAccount: true, CreatedAt: now.AddDate(-2, 0, 0),
	})

	for i := range spec.Accounts {
		cs := spec.Child
		cs.Seed = spec.Seed*1_000_003 + uint64(i) + 2
		cs.AccountID = ""
		w := Generate(cs)
		c := &ChildAccount{World: w, ID: w.AccountID, Name: fmt.Sprintf("account-%02d", i+1), State: enterprise.StateActive}
		switch n := spec.Accounts - i; {
		case n <= spec.Canceled:
			c.State = enterprise.StateCanceled
		case n <= spec.Canceled+spec.Suspended:
			c.State = enterprise.StateSuspended
		case n <= spec.Canceled+spec.Suspended+spec.Pending:
			c.State = enterprise.StatePending
		}
		parent := root
		if spec.Groups > 0 {
			g := st.Groups[i%spec.Groups]
			c.Group, parent = g.ID, st.GroupCRN(g.ID)
		}
		// The cluster is the enterprise account's; IAM knows it in every
		// account, and the child's runner profile trusts it across accounts.
		w.Lock()
		hubCluster := cluster
		hubCluster.Keys = slices.Clone(cluster.Keys)
		w.IAM.Clusters = append(w.IAM.Clusters, &hubCluster)
		p := w.IAM.Runner()
		p.Links = []*account.Link{w.IAM.NewLink(&account.Link{
			Name: "trustjob-" + specDefaults(spec.Hub).Namespace, CRType: cluster.CRType, CRN: cluster.CRN,
			Namespace: specDefaults(spec.Hub).Namespace, ServiceAccount: specDefaults(spec.Hub).ServiceAccount,
			IsCrossAccount: !slices.Contains(spec.NotCrossAccount, i),
		}, p.CreatedAt)}
		c.ProfileID = p.ID
		w.Unlock()
		c.Sim = New(w, opts)
		e.Children = append(e.Children, c)
		e.byAccount[c.ID] = c.Sim
		e.byProfile[c.ProfileID] = c.Sim
		st.Accounts = append(st.Accounts, &enterprise.Account{
			ID: c.ID, Name: c.Name, Parent: parent, State: c.State,
			OwnerIAMID: fmt.Sprintf("IBMid-OWNER%04d", i+1), OwnerEmail: fmt.Sprintf("owner%02d@example.com", i+1),
			Paid: true, CreatedAt: now.AddDate(0, -6, 0),
		})
	}
	hub.Lock()
	hub.Enterprise = st
	hub.Unlock()
	return e, nil
}

func specDefaults(s Spec) Spec {
	d := DefaultSpec()
	if s.Namespace == "" {
		s.Namespace = d.Namespace
	}
	if s.ServiceAccount == "" {
		s.ServiceAccount = d.ServiceAccount
	}
	if s.ProfileName == "" {
		s.ProfileName = d.ProfileName
	}
	return s
}

func groupName(i int) string {
	names := []string{"production", "development", "sandbox", "finance", "research"}
	if i < len(names) {
		return names[i]
	}
	return fmt.Sprintf("group-%d", i+1)
}

// Child returns the child account with this ID (nil if none).
func (e *Enterprise) Child(id string) *ChildAccount {
	for _, c := range e.Children {
		if c.ID == id {
			return c
		}
	}
	return nil
}

// Sim returns the emulator of one account (the hub's for an unknown one).
func (e *Enterprise) Sim(account string) *Sim {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if s, ok := e.byAccount[account]; ok {
		return s
	}
	return e.HubSim
}

// Sims returns every account's emulator, the enterprise account's first.
func (e *Enterprise) Sims() []*Sim {
	out := []*Sim{e.HubSim}
	for _, c := range e.Children {
		out = append(out, c.Sim)
	}
	return out
}

// Count sums one service's requests over every account.
func (e *Enterprise) Count(service string) int64 {
	var n int64
	for _, s := range e.Sims() {
		n += s.Log().Count(service)
	}
	return n
}

// maxFrontForm bounds the token request body the front reads to route it.
const maxFrontForm = 64 << 10

// ServeHTTP routes a request to the account it is for.
func (e *Enterprise) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e.route(r).Handler().ServeHTTP(w, r)
}

func (e *Enterprise) route(r *http.Request) *Sim {
	if r.URL.Path == "/identity/token" && r.Method == http.MethodPost {
		body, err := io.ReadAll(io.LimitReader(r.Body, maxFrontForm+1))
		r.Body.Close()
		r.Body = io.NopCloser(bytes.NewReader(body))
		if err != nil || len(body) > maxFrontForm {
			return e.HubSim
		}
		f, _ := url.ParseQuery(string(body))
		id := f.Get("profile_id")
		if id == "" {
			if crn := f.Get("profile_crn"); crn != "" {
				id = crn[strings.LastIndexByte(crn, ':')+1:]
			}
		}
		e.mu.RLock()
		defer e.mu.RUnlock()
		if s, ok := e.byProfile[id]; ok {
			return s
		}
		return e.HubSim // a profile name is looked up in the cluster's account
	}
	if tok, ok := core.Bearer(r); ok {
		var claims core.AccessClaims
		if _, _, err := jwt.NewParser().ParseUnverified(tok, &claims); err == nil {
			return e.Sim(claims.Account.BSS)
		}
	}
	return e.HubSim
}

// Start serves the enterprise on addr ("127.0.0.1:0" picks a free port).
func (e *Enterprise) Start(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	e.url = "http://" + ln.Addr().String()
	e.srv = &http.Server{Handler: e, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = e.srv.Serve(ln) }()
	return nil
}

// URL is the base URL of a started enterprise.
func (e *Enterprise) URL() string { return e.url }

// Close stops a started enterprise.
func (e *Enterprise) Close() error {
	if e.srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return e.srv.Shutdown(ctx)
}

// Env points trustjob at the enterprise (Sim.Env over the front's URL).
func (e *Enterprise) Env() map[string]string { return e.HubSim.Env(e.url) }

// EnterpriseLocal is a started enterprise with the runner's projected token
// on disk (the cluster is the enterprise account's).
type EnterpriseLocal struct {
	*Enterprise
	TokenFile string
	// ProfileName and ProfileID are the enterprise account's runner profile
	// (discovery signs in as it).
	ProfileName, ProfileID string
	Env                    map[string]string
	kubelet                *Kubelet
}

// StartEnterpriseLocal generates the enterprise, serves it on 127.0.0.1:0
// and writes a one-hour token for the hub spec's namespace and service
// account into dir.
func StartEnterpriseLocal(spec EnterpriseSpec, opts Options, dir string) (*EnterpriseLocal, error) {
	return StartEnterpriseLocalAt(spec, opts, dir, "127.0.0.1:0")
}

// RunKubelet keeps TokenFile fresh, as the kubelet would, until ctx ends.
func (l *EnterpriseLocal) RunKubelet(ctx context.Context) error {
	return l.kubelet.Run(ctx, time.Minute)
}

// StartEnterpriseLocalAt is StartEnterpriseLocal listening on addr
// (`trustjob sim --enterprise`).
func StartEnterpriseLocalAt(spec EnterpriseSpec, opts Options, dir, addr string) (*EnterpriseLocal, error) {
	if dir == "" {
		return nil, errors.New("start enterprise: token directory required")
	}
	e, err := NewEnterprise(spec, opts)
	if err != nil {
		return nil, err
	}
	if err := e.Start(addr); err != nil {
		return nil, fmt.Errorf("start enterprise: %w", err)
	}
	hs := specDefaults(spec.Hub)
	token := NewProjectedToken(filepath.Clean(dir))
	runner := e.Hub.IAM.Runner()
	l := &EnterpriseLocal{Enterprise: e, TokenFile: token.Path(), ProfileName: runner.Name, ProfileID: runner.ID,
		kubelet: &Kubelet{World: e.Hub, Token: token, Now: e.HubSim.Now, Options: MintOptions{
			Namespace: hs.Namespace, ServiceAccount: hs.ServiceAccount,
			Pod: hs.ServiceAccount + "-28937-x7k2p", Lifetime: time.Hour,
		}}}
	if err := l.kubelet.Rotate(); err != nil {
		_ = e.Close()
		return nil, fmt.Errorf("start enterprise: %w", err)
	}
	l.Env = e.Env()
	l.Env["TRUSTJOB_CR_TOKEN_FILE"] = l.TokenFile
	return l, nil
}

// VerifyToken checks an access token in the account it names (account.bss),
// for services served outside the front (COS, Event Notifications).
func (e *Enterprise) VerifyToken(tok string) (*Caller, error) {
	var claims core.AccessClaims
	if _, _, err := jwt.NewParser().ParseUnverified(tok, &claims); err != nil {
		return nil, fmt.Errorf("not an access token: %w", err)
	}
	return e.Sim(claims.Account.BSS).VerifyToken(tok)
}
