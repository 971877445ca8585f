// Package doctor is `trustjob doctor`: it walks the sign-in chain, from the
// projected token file to one authorised read per configured task, and says at
// each step what is wrong and how to fix it. It never prints a token.
package doctor

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/trustjob/trustjob/internal/auth"
	"github.com/trustjob/trustjob/internal/config"
	"github.com/trustjob/trustjob/internal/exitcode"
	"github.com/trustjob/trustjob/internal/ibmcloud"
	"github.com/trustjob/trustjob/internal/logging"
	"github.com/trustjob/trustjob/tasks"
)

// Status of one check.
const (
	OK   = "ok"
	Warn = "warn"
	Fail = "fail"
	Skip = "skip"
)

// Check is one step's outcome.
type Check struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	Detail string `json:"detail"`
	Fix    string `json:"fix,omitempty"`
}

// Report is every check, in order, and the exit code they add up to.
type Report struct {
	Checks   []Check `json:"checks"`
	OK       bool    `json:"ok"`
	ExitCode int     `json:"exit_code"`
}

// Types looks task types up; *tasks.Registry satisfies it.
type Types interface {
	Lookup(name string) (tasks.Type, bool)
}

// Input is what the doctor examines.
type Input struct {
	Config *config.Config
	Types  Types
	Getenv func(string) string
	Now    time.Time
	Logger *slog.Logger
	// MaxSkew is the clock difference tolerated before a warning (default 60 s).
	MaxSkew time.Duration
	// Account, when set, is the account the access token must name (a
	// target's; the exchange is cross-account), and ExplainSignIn may replace
	// the hint of a failed exchange.
	Account       string
	ExplainSignIn func(error) string
}

// maxLifetime is IAM's limit on a cr_token's lifetime.
const maxLifetime = time.Hour

// Run performs the checks. A failing step stops the chain where later steps
// could only fail for the same reason.
func Run(ctx context.Context, in Input) Report {
	d := &run{in: in, code: exitcode.OK}
	if d.in.MaxSkew == 0 {
		d.in.MaxSkew = time.Minute
	}
	if d.in.Getenv == nil {
		d.in.Getenv = func(string) string { return "" }
	}
	if d.runtime(ctx) && d.tokenFile() && d.claims() {
		d.endpoints()
		if d.endpoint(ctx) {
			if sess := d.exchange(ctx); sess != nil {
				d.probes(ctx, sess)
				d.delivery(ctx, sess)
			}
		}
	}
	return Report{Checks: d.checks, OK: d.code == exitcode.OK, ExitCode: d.code}
}

type run struct {
	in     Input
	checks []Check
	code   int
	token  []byte
}

func (d *run) add(name, status, detail, fix string) {
	// Redacted exactly as run's log lines are: details quote IAM's and the
	// services' error text, which may echo a token.
	d.checks = append(d.checks, Check{Name: name, Status: status, Detail: logging.RedactString(detail), Fix: logging.RedactString(fix)})
}

// fail records a failed check and the exit code it implies (the first wins).
func (d *run) fail(name, detail, fix string, code int) {
	d.add(name, Fail, detail, fix)
	if d.code == exitcode.OK {
		d.code = code
	}
}

const mountFix = "mount a projected volume with serviceAccountToken {audience: iam, expirationSeconds: 3600, path: sa-token} " +
	"read-only at /var/run/secrets/tokens (not through subPath), or set auth.crTokenFile"

func (d *run) tokenFile() bool {
	path := d.in.Config.Auth.CRTokenFile
	fi, err := os.Lstat(path)
	if err != nil {
		d.fail("token file", fmt.Sprintf("%s: %v", path, errors.Unwrap(err)), mountFix, exitcode.NoPerm)
		return false
	}
	b, err := auth.ReadTokenFile(path) // the same bounded, regular-file-only read as run
	switch {
	case err != nil && strings.Contains(err.Error(), "not readable"):
		d.fail("token file", err.Error(),
			"the pod's securityContext (runAsUser/fsGroup) must be able to read the projected volume", exitcode.NoPerm)
		return false
	case err != nil:
		d.fail("token file", err.Error(), mountFix, exitcode.NoPerm)
		return false
	case len(strings.TrimSpace(string(b))) == 0:
		d.fail("token file", path+" is empty", mountFix, exitcode.NoPerm)
		return false
	}
	d.token = b
	if fi.Mode()&os.ModeSymlink != 0 {
		target, _ := os.Readlink(path)
		d.add("token file", OK, fmt.Sprintf("%s (%d bytes) links to %s: the kubelet rotates it", path, len(b), target), "")
	} else {
		d.add("token file", Warn, fmt.Sprintf("%s (%d bytes) is a plain file, not a link into a projected volume's ..data", path, len(b)),
			"a token copied or mounted through subPath is never rotated; "+mountFix)
	}
	return true
}

func (d *run) claims() bool {
	c, err := ParseClaims(d.token)
	if err != nil {
		d.fail("token claims", "the token file does not hold a JWT: "+err.Error(), mountFix, exitcode.NoPerm)
		return false
	}
	ok := true
	if !slices.Contains(c.Audience, "iam") {
		d.fail("audience", fmt.Sprintf("aud is %q; IAM only accepts tokens whose audience includes iam", c.Audience),
			"set audience: iam on the projected serviceAccountToken source", exitcode.NoPerm)
		ok = false
	} else {
		d.add("audience", OK, fmt.Sprintf("aud %q includes iam", c.Audience), "")
	}
	now := d.in.Now
	switch life := c.Expires.Sub(c.IssuedAt); {
	case c.Expires.IsZero() || c.IssuedAt.IsZero():
		d.fail("lifetime", "the token has no exp or iat", mountFix, exitcode.NoPerm)
		ok = false
	case life > maxLifetime:
		d.fail("lifetime", fmt.Sprintf("the token lives %s; IAM accepts at most %s", life, maxLifetime),
			"set expirationSeconds to 3600 or less on the projected volume", exitcode.NoPerm)
		ok = false
	case now.After(c.Expires):
		d.fail("lifetime", fmt.Sprintf("the token expired at %s (%s ago)", c.Expires.Format(time.RFC3339), now.Sub(c.Expires).Round(time.Second)),
			"the kubelet refreshes a projected token; a copied one goes stale: "+mountFix, exitcode.NoPerm)
		ok = false
	default:
		d.add("lifetime", OK, fmt.Sprintf("%s, expires in %s", life, c.Expires.Sub(now).Round(time.Second)), "")
	}
	if skew := max(c.IssuedAt.Sub(now), c.NotBefore.Sub(now)); skew > d.in.MaxSkew {
		d.add("clock", Warn, fmt.Sprintf("the token was issued %s in this machine's future", skew.Round(time.Second)),
			"synchronise the node's clock (NTP); IAM allows little skew")
	}
	who := fmt.Sprintf("issuer %s, namespace %s, service account %s", orNone(c.Issuer), orNone(c.Namespace), orNone(c.ServiceAccount))
	if c.Pod != "" {
		who += ", pod " + c.Pod
	}
	switch {
	case d.in.Config.Auth.Compute() == config.ComputeCodeEngine:
		d.add("workload", OK, "Code Engine compute-resource token, "+who, "")
	case c.Namespace == "" || c.ServiceAccount == "":
		d.add("workload", Warn, who+": not a Kubernetes service-account token", "use a projected service-account token")
	case c.ServiceAccount == "default":
		d.add("workload", Warn, who, "give trustjob its own service account: a profile that trusts `default` trusts every pod of the namespace")
	default:
		d.add("workload", OK, who, "")
	}
	return ok
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// endpoint checks that IAM can be reached: DNS, TCP and TLS, through the proxy
// the environment configures.
func (d *run) endpoint(ctx context.Context) bool {
	raw := d.in.Config.Auth.IAMURL
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		d.fail("IAM endpoint", fmt.Sprintf("%q is not a URL", raw), "set auth.iamURL to https://iam.cloud.ibm.com", exitcode.Config)
		return false
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = map[string]string{"http": "80"}[u.Scheme]
		if port == "" {
			port = "443"
		}
	}
	req, _ := http.NewRequest(http.MethodPost, raw, nil)
	proxy, _ := http.ProxyFromEnvironment(req)
	via := ""
	if proxy != nil {
		via = " through proxy " + proxy.Host
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if proxy == nil && net.ParseIP(host) == nil {
		if _, err := net.DefaultResolver.LookupHost(ctx, host); err != nil {
			d.fail("IAM endpoint", fmt.Sprintf("DNS cannot resolve %s (%s): %v", host, d.iamWhy(), err),
				d.networkFix("check the pod's DNS and that the NetworkPolicy allows egress to DNS (port 53)"), exitcode.TempFail)
			return false
		}
	}
	addr := net.JoinHostPort(host, port)
	if proxy != nil {
		addr = proxy.Host
	}
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		d.fail("IAM endpoint", fmt.Sprintf("cannot connect to %s%s (%s): %v", addr, via, d.iamWhy(), err),
			d.networkFix("allow egress to port 443 (NetworkPolicy, firewall) or set HTTPS_PROXY"), exitcode.TempFail)
		return false
	}
	defer conn.Close()
	if u.Scheme == "https" && proxy == nil {
		tc := tls.Client(conn, &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12})
		if err := tc.HandshakeContext(ctx); err != nil {
			d.fail("IAM endpoint", fmt.Sprintf("TLS with %s failed: %v", host, err),
				"the image must carry CA certificates; a TLS-intercepting proxy needs its CA installed", exitcode.TempFail)
			return false
		}
	}
	d.add("IAM endpoint", OK, fmt.Sprintf("%s reachable%s (%s)", raw, via, d.iamWhy()), "")
	return true
}

// iamWhy says where the IAM URL came from.
func (d *run) iamWhy() string {
	n := d.in.Config.Network()
	if d.in.Config.Auth.IAMURL == n.IAMURL() {
		_, why := n.URL(ibmcloud.ServiceIAMToken)
		return why
	}
	return "auth.iamURL or $" + config.EnvIAMURL
}

// endpoints lists the host each service will be called on and why, so a DNS
// or connect error later names the choice that led to it (issue 13, F1).
func (d *run) endpoints() {
	n := d.in.Config.Network()
	var hosts, over []string
	for _, r := range n.Resolve(d.in.Getenv) {
		h := r.Service + " " + hostOf(r.URL)
		if strings.HasPrefix(r.Why, "$") {
			over = append(over, h+" (from "+r.Why+")")
			continue
		}
		hosts = append(hosts, h)
	}
	detail := n.String() + ": " + strings.Join(hosts, ", ")
	if len(hosts) == 0 {
		detail = "every service URL is overridden"
	}
	if len(over) > 0 {
		detail += "; " + strings.Join(over, ", ")
	}
	d.add("endpoints", OK, detail, "")
}

// networkFix explains the endpoint choices after a DNS or connect failure.
func (d *run) networkFix(generic string) string {
	switch d.in.Config.Network().Mode {
	case ibmcloud.NetworkPrivate:
		return generic + "; endpoints: private uses IBM's regional cloud service endpoints (classic clusters, VPC clusters outside the US); " +
			"a VPC cluster with VPE gateways uses endpoints: vpe (README, Private endpoints)"
	case ibmcloud.NetworkVPE:
		return generic + "; endpoints: vpe needs a VPE gateway in the cluster's VPC for each host (README, Private endpoints); " +
			"a classic cluster uses endpoints: private with privateRegion"
	}
	return generic
}

func hostOf(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.Host != "" {
		return u.Host
	}
	return raw
}

func (d *run) exchange(ctx context.Context) *auth.Session {
	a := d.in.Config.Auth
	sess, err := auth.SignIn(ctx, auth.Settings{
		ProfileID: a.ProfileID, ProfileName: a.ProfileName, CRTokenFile: a.CRTokenFile, IAMURL: a.IAMURL,
		Network: d.in.Config.Network(), AllowedHosts: d.in.Config.AllowedHosts, Getenv: d.in.Getenv,
		Retry:           auth.Retry{Attempts: 2, Base: 500 * time.Millisecond},
		ComputeResource: a.Compute(), ProfileCRN: a.ProfileCRN, MetadataURL: a.MetadataURL,
	}, d.in.Logger)
	if err != nil {
		code, hint := auth.ExitCode(err)
		if d.in.ExplainSignIn != nil {
			hint = d.in.ExplainSignIn(err)
		}
		d.fail("token exchange", err.Error(), hint, code)
		return nil
	}
	if d.in.Account != "" && sess.Account != d.in.Account {
		d.fail("target account", fmt.Sprintf("profile %s belongs to account %s, not to the target %s", a.ProfileID, sess.Account, d.in.Account),
			"correct the target's account or profileID: the profile must live in the target account", exitcode.NoPerm)
		return nil
	}
	profile := a.ProfileName
	if profile == "" {
		profile = a.ProfileID + a.ProfileCRN
	}
	d.add("token exchange", OK, fmt.Sprintf("IAM exchanged the token for profile %s", profile), "")
	d.add("access token", OK, fmt.Sprintf("profile %s (%s), account %s", orNone(sess.ProfileName), sess.ProfileIAMID, sess.Account), "")
	return sess
}

// probes makes each configured task's cheapest authorised read, so a missing
// access policy shows now rather than in the nightly run.
func (d *run) probes(ctx context.Context, sess *auth.Session) {
	for _, t := range d.in.Config.Tasks {
		name := "task " + t.Name
		typ, ok := d.in.Types.Lookup(t.Type)
		if !ok || typ.Probe == nil {
			d.add(name, Skip, "no IBM Cloud access to check", "")
			continue
		}
		pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := typ.Probe(pctx, tasks.Env{
			Logger: d.in.Logger, Clients: sess.Clients, Account: sess.Account, ProfileIAMID: sess.ProfileIAMID,
			TaskName: t.Name, Now: func() time.Time { return d.in.Now }, DryRun: true,
		})
		cancel()
		switch status := ibmcloud.HTTPStatus(err); {
		case err == nil:
			d.add(name, OK, fmt.Sprintf("%s: an authorised read succeeded", t.Type), "")
		case status == http.StatusForbidden || status == http.StatusUnauthorized:
			d.fail(name, fmt.Sprintf("%s: %s (%d)", t.Type, firstLine(err.Error()), status),
				"grant the trusted profile: "+permissions(typ.Permissions), exitcode.NoPerm)
		case status == 0:
			// No HTTP answer: DNS, connect or TLS, on a host the endpoints
			// check above named.
			d.fail(name, fmt.Sprintf("%s: %s", t.Type, firstLine(err.Error())),
				d.networkFix("no answer from IBM Cloud: check DNS and egress to the hosts of the endpoints check"), exitcode.TempFail)
		default:
			d.fail(name, fmt.Sprintf("%s: %s", t.Type, firstLine(err.Error())), "retry later; if it persists, check the service's status page", exitcode.TempFail)
		}
	}
}

func permissions(ps []tasks.Permission) string {
	var s []string
	for _, p := range ps {
		s = append(s, p.Role+" on "+p.Service)
	}
	return strings.Join(s, "; ")
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}
