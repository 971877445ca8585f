package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/IBM/go-sdk-core/v5/core"

	"github.com/trustjob/trustjob/internal/ibmcloud"
)

// Compute resources (config.ComputeResources): how the run gets its token.
// Kubernetes and Code Engine both hand IAM a compute-resource token file
// (ContainerAuthenticator); a VPC instance asks its metadata service
// (VpcInstanceAuthenticator).
const (
	ComputeKubernetes = "kubernetes"
	ComputeCodeEngine = "code-engine"
	ComputeVPC        = "vpc"
)

// ServiceVPCMetadata names the metadata service in request counts.
const ServiceVPCMetadata = "vpc-metadata"

// DefaultMetadataURL is the link-local metadata service.
const DefaultMetadataURL = "http://169.254.169.254"

// preflightVPC checks what can be checked before a VPC sign-in without the
// network: a profile is named, the metadata URL is one the rules allow.
func preflightVPC(s Settings) error {
	if s.ProfileID == "" && s.ProfileCRN == "" {
		return &SignInError{Message: "no trusted profile is configured for the VPC instance",
			hint: "set auth.profileID or auth.profileCRN: the profile the instance is linked to"}
	}
	if _, err := metadataURL(s); err != nil {
		return err
	}
	return nil
}

// metadataURL is the configured metadata service URL, checked: the
// link-local host and api.metadata.cloud.ibm.com are known; any other host
// must be in allowedHosts (an emulator). Plain http only to link-local or
// loopback addresses: the identity token must not cross a network.
func metadataURL(s Settings) (*url.URL, error) {
	raw := s.MetadataURL
	if raw == "" {
		raw = DefaultMetadataURL
	}
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" {
		return nil, fmt.Errorf("metadata service URL %q: %w", raw, ibmcloud.ErrHostNotAllowed)
	}
	host := u.Hostname()
	known := host == "169.254.169.254" || strings.EqualFold(host, "api.metadata.cloud.ibm.com")
	if !known && !slices.Contains(s.AllowedHosts, host) {
		return nil, fmt.Errorf("metadata service host %s: %w", host, ibmcloud.ErrHostNotAllowed)
	}
	if u.Scheme != "https" && !(u.Scheme == "http" && localHost(host)) {
		return nil, fmt.Errorf("metadata service URL %q must be https off the instance: %w", raw, ibmcloud.ErrHostNotAllowed)
	}
	return u, nil
}

// localHost: link-local (the metadata service) or loopback (an emulator).
func localHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && (ip.IsLoopback() || ip.IsLinkLocalUnicast())
}

// serviceHosts are the hosts the IAM access token may go to: allowedHosts
// without link-local addresses. The metadata service receives the instance
// identity token only; the access token it returns never goes back there.
func serviceHosts(allowed []string) []string {
	var out []string
	for _, h := range allowed {
		if ip := net.ParseIP(h); ip != nil && ip.IsLinkLocalUnicast() {
			continue
		}
		out = append(out, h)
	}
	return out
}

// signInVPC signs in on a VPC virtual server: go-sdk-core's
// VpcInstanceAuthenticator gets an instance identity token from the metadata
// service and exchanges it there for the trusted profile's IAM token. Every
// request goes through metadataTransport (one host, no redirects, retries,
// answers checked before the SDK reads them).
func signInVPC(ctx context.Context, s Settings, log *slog.Logger) (*Session, error) {
	u, err := metadataURL(s)
	if err != nil {
		return nil, err
	}
	counter := ibmcloud.NewRequestCounter()
	mt := &metadataTransport{ctx: ctx, base: s.Transport, host: u.Host, retry: s.Retry.withDefaults(), counter: counter, log: log}
	if mt.base == nil {
		mt.base = http.DefaultTransport
	}
	client := &http.Client{Transport: mt, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	a, err := core.NewVpcInstanceAuthenticatorBuilder().
		SetIAMProfileID(s.ProfileID).
		SetIAMProfileCRN(s.ProfileCRN).
		SetURL(u.Scheme + "://" + u.Host).
		SetClient(client).
		Build()
	if err != nil {
		return nil, &SignInError{Message: "the VPC trusted-profile settings are incomplete: " + firstLine(err.Error())}
	}
	token, err := a.GetToken()
	if err != nil {
		return nil, mt.classify(ctx, err, s)
	}
	sess := &Session{Exchanges: mt.exchanges.Load, ProfileID: s.ProfileID}
	if err := sess.readAccessToken(token); err != nil {
		return nil, &SignInError{Message: "the metadata service answered with an access token trustjob cannot read: " + err.Error()}
	}
	clients, err := ibmcloud.New(ibmcloud.Options{
		Authenticator: a, Network: s.Network, AllowedHosts: serviceHosts(s.AllowedHosts), Getenv: s.Getenv,
		Requests: counter, Transport: s.Transport, Logger: log,
	})
	if err != nil {
		return nil, err
	}
	sess.Clients = clients
	return sess, nil
}

// metadataTransport carries the VpcInstanceAuthenticator's two requests. It
// sends only to the metadata host, retries 429, 5xx and network errors with
// capped, jittered backoff (honouring Retry-After), checks a successful
// answer has the fields the SDK dereferences (a missing one would panic it),
// and remembers the last answer's status and error code for the exit code.
type metadataTransport struct {
	ctx       context.Context
	base      http.RoundTripper
	host      string
	retry     Retry
	counter   *ibmcloud.RequestCounter
	log       *slog.Logger
	exchanges atomic.Int64

	mu   sync.Mutex
	last vpcAnswer
}

type vpcAnswer struct {
	op      string // "identity token" or "IAM token"
	status  int
	code    string // the metadata service's errors[0].code
	message string
	netErr  error
}

func (t *metadataTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Host != t.host {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, fmt.Errorf("metadata request to %s refused (only %s): %w", req.URL.Host, t.host, ibmcloud.ErrHostNotAllowed)
	}
	op := "identity token"
	if strings.HasSuffix(req.URL.Path, "iam_token") || strings.HasSuffix(req.URL.Path, "iam_tokens") {
		op = "IAM token"
	}
	var body []byte
	if req.Body != nil {
		var err error
		if body, err = io.ReadAll(io.LimitReader(req.Body, 64<<10)); err != nil {
			return nil, fmt.Errorf("read metadata request: %w", err)
		}
		req.Body.Close()
	}
	return t.retry.do(t.ctx, t.log, "metadata service request", []any{"operation", op},
		func() (*http.Response, error) { return t.once(req, body, op) }, t.decide)
}

func (t *metadataTransport) once(req *http.Request, body []byte, op string) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(t.ctx, t.retry.PerAttempt)
	defer cancel()
	r := req.Clone(ctx)
	if body != nil {
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
	}
	t.counter.Add(ServiceVPCMetadata)
	resp, err := t.base.RoundTrip(r)
	if err != nil {
		t.record(vpcAnswer{op: op, netErr: err})
		return nil, err
	}
	b, rerr := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if rerr != nil {
		t.record(vpcAnswer{op: op, netErr: rerr})
		return nil, rerr
	}
	ans := vpcAnswer{op: op, status: resp.StatusCode}
	if resp.StatusCode/100 == 2 {
		if missing := missingFields(b, op); missing != "" {
			// The SDK dereferences these without checks: answer it with an
			// error instead of letting it panic.
			ans.status, ans.message = http.StatusBadGateway, "the answer lacks "+missing
			b, _ = json.Marshal(map[string]any{"errors": []map[string]string{{"code": "bad_answer", "message": ans.message}}})
			resp.StatusCode, resp.Status = http.StatusBadGateway, "502 Bad Gateway"
			resp.Header = http.Header{"Content-Type": {"application/json"}}
		} else if op == "IAM token" {
			t.exchanges.Add(1)
		}
	} else {
		var e struct {
			Errors []struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"errors"`
		}
		if json.Unmarshal(b, &e) == nil && len(e.Errors) > 0 {
			ans.code, ans.message = e.Errors[0].Code, e.Errors[0].Message
		}
	}
	t.record(ans)
	resp.Body = io.NopCloser(bytes.NewReader(b))
	resp.ContentLength = int64(len(b))
	return resp, nil
}

// missingFields names the token-response fields the SDK needs that b lacks.
func missingFields(b []byte, op string) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil {
		return "a JSON body"
	}
	need := []string{"access_token"}
	if op == "IAM token" {
		need = append(need, "expires_in", "expires_at")
	}
	var miss []string
	for _, k := range need {
		if v, ok := m[k]; !ok || string(v) == "null" {
			miss = append(miss, k)
		}
	}
	return strings.Join(miss, ", ")
}

func (t *metadataTransport) record(a vpcAnswer) {
	t.mu.Lock()
	t.last = a
	t.mu.Unlock()
}

func (t *metadataTransport) decide(resp *http.Response, err error) (time.Duration, bool) {
	if err != nil {
		return 0, t.ctx.Err() == nil && !permanent(err) && !errors.Is(err, ibmcloud.ErrHostNotAllowed)
	}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 && resp.StatusCode != http.StatusBadGateway {
		return t.retry.retryAfter(resp), true
	}
	return 0, false
}

// Metadata service error codes trustjob explains (VPC docs,
// metadata-error-codes).
const (
	vpcProfileNotLinked = "profile_not_linked"
	vpcUnauthorized     = "unauthorized"
)

const vpcLinkHint = "link the instance to the trusted profile: create the instance with " +
	"--default-trusted-profile PROFILE --metadata-service true, or add a link " +
	"(`ibmcloud iam trusted-profile-link-create PROFILE --name NAME --cr-type VSI --link-crn INSTANCE_CRN`) " +
	"or a VSI claim rule (docs/runtimes.md; `trustjob doctor` checks each step)"

// classify turns a failed VPC sign-in into a SignInError.
func (t *metadataTransport) classify(ctx context.Context, err error, s Settings) error {
	if errors.Is(err, ibmcloud.ErrHostNotAllowed) {
		return err
	}
	t.mu.Lock()
	last := t.last
	t.mu.Unlock()
	e := &SignInError{Status: last.status, Code: last.code, IAMMessage: last.message}
	who := "the VPC instance metadata service"
	switch {
	case ctx.Err() != nil:
		e.Temporary = true
		e.Message = fmt.Sprintf("%s did not answer before the run's deadline (%v)", who, context.Cause(ctx))
		e.hint = "is the metadata service enabled on this instance? When it is off, requests get no answer: " +
			"`ibmcloud is instance-update INSTANCE --metadata-service true`"
	case last.status == 0 && last.netErr != nil:
		e.Temporary = true
		e.Message = who + " cannot be reached: " + last.netErr.Error()
		e.hint = "trustjob must run on the VPC instance itself with the metadata service enabled " +
			"(`ibmcloud is instance-update INSTANCE --metadata-service true`); in a container, raise the " +
			"instance's metadata response hop limit"
	case last.status == 0:
		e.Message = "the VPC sign-in failed before any request: " + firstLine(err.Error())
	case last.status == http.StatusTooManyRequests || last.status >= 500 && last.status != http.StatusBadGateway:
		e.Temporary = true
		e.Message = fmt.Sprintf("%s answered %d to the %s request after %d attempts", who, last.status, last.op, t.retry.Attempts)
		e.hint = "the metadata service is unavailable; the timer's next run will try again"
	case last.status == http.StatusBadGateway:
		e.Message = fmt.Sprintf("%s gave an unusable %s answer", who, last.op)
		e.hint = "check auth.metadataURL points at the instance metadata service"
	case last.code == vpcProfileNotLinked:
		e.Message = fmt.Sprintf("the instance is not linked to trusted profile %s", firstNonEmpty(s.ProfileID, s.ProfileCRN))
		e.hint = vpcLinkHint
	case last.code == vpcUnauthorized || last.status == http.StatusForbidden:
		e.Message = fmt.Sprintf("%s refused the %s request (%d)", who, last.op, last.status)
		e.hint = "enable the metadata service on the instance (`ibmcloud is instance-update INSTANCE --metadata-service true`)"
	default:
		e.Message = fmt.Sprintf("%s refused the %s request (%d)", who, last.op, last.status)
		e.hint = vpcLinkHint
	}
	return e
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
