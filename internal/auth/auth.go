// Package auth signs trustjob in to IBM Cloud as a trusted profile: it checks
// the projected service-account token before any network call, exchanges it
// through go-sdk-core's ContainerAuthenticator (retrying what IAM says is
// temporary), reads who the run is from the access token, and builds the SDK
// clients that share that one authenticator.
package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/IBM/go-sdk-core/v5/core"
	"github.com/golang-jwt/jwt/v5"

	"github.com/trustjob/trustjob/internal/ibmcloud"
	"github.com/trustjob/trustjob/internal/wait"
)

// PublicIAMURL is IAM's public endpoint (ibmcloud.Network.IAMURL has the
// private ones).
const PublicIAMURL = "https://iam.cloud.ibm.com"

// Settings say which profile to become and where the token is.
type Settings struct {
	ProfileID, ProfileName string
	CRTokenFile            string
	IAMURL                 string // default: Network's IAM host
	// Network selects the service hosts (public, private CSE, VPE).
	Network      ibmcloud.Network
	AllowedHosts []string
	// Getenv reads the SDK's per-service URL overrides (os.Getenv).
	Getenv func(string) string
	// Retry tunes the token request's retries; zero values take defaults.
	Retry Retry
	// Transport is the base HTTP transport (tests); nil is the default.
	Transport http.RoundTripper
	// ComputeResource is kubernetes (""), code-engine or vpc (runtime.go).
	ComputeResource string
	// ProfileCRN and MetadataURL are read on a VPC instance only.
	ProfileCRN, MetadataURL string
}

// Session is a signed-in run.
type Session struct {
	Clients      *ibmcloud.Clients
	Account      string // account.bss of the access token
	ProfileIAMID string // iam-Profile-...
	ProfileID    string // Profile-...
	ProfileName  string
	// Exchanges counts successful token exchanges (one per run unless the
	// access token had to be refreshed).
	Exchanges func() int64
}

// SignIn exchanges the service-account token for the profile's access token,
// once, and returns clients that share the authenticator (which refreshes the
// token, re-reading the file, only when it nears expiry). ctx bounds every
// token request, retries included, for the whole run.
func SignIn(ctx context.Context, s Settings, log *slog.Logger) (*Session, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if s.ComputeResource == ComputeVPC {
		return signInVPC(ctx, s, log)
	}
	iamURL := s.IAMURL
	if iamURL == "" {
		iamURL = s.Network.IAMURL()
	}
	policy := ibmcloud.NewHostPolicy(s.AllowedHosts)
	origin, err := policy.CheckEndpoint(iamURL)
	if err != nil {
		return nil, fmt.Errorf("IAM endpoint %s: %w", ibmcloud.RedactURL(iamURL), err)
	}
	counter := ibmcloud.NewRequestCounter()
	rt := newTokenTransport(ctx, s.Transport, origin, s.Retry, counter, log)
	a, err := core.NewContainerAuthenticatorBuilder().
		SetCRTokenFilename(s.CRTokenFile).
		SetIAMProfileID(s.ProfileID).
		SetIAMProfileName(s.ProfileName).
		SetURL(iamURL).
		SetClient(&http.Client{Transport: rt, CheckRedirect: rt.checkRedirect}).
		Build()
	if err != nil {
		return nil, &SignInError{Message: "the trusted-profile settings are incomplete: " + firstLine(err.Error())}
	}

	token, err := a.GetToken()
	if err != nil {
		return nil, rt.classify(ctx, err, s.CRTokenFile)
	}
	sess := &Session{Exchanges: rt.exchanges.Load, ProfileName: s.ProfileName, ProfileID: s.ProfileID}
	if err := sess.readAccessToken(token); err != nil {
		return nil, &SignInError{Message: "IAM answered with an access token trustjob cannot read: " + err.Error()}
	}
	clients, err := ibmcloud.New(ibmcloud.Options{
		Authenticator: &boundedAuthenticator{a}, Network: s.Network, AllowedHosts: s.AllowedHosts, Getenv: s.Getenv,
		Requests: counter, Transport: s.Transport, Logger: log,
	})
	if err != nil {
		return nil, err
	}
	// The services authenticate through the bounded wrapper; callers that
	// need the token itself (COS, doctor) get the SDK's authenticator.
	clients.Authenticator = a
	sess.Clients = clients
	return sess, nil
}

// readAccessToken takes the account and profile from the access token's
// claims. The token is not verified here: it came from IAM over TLS and IBM
// Cloud verifies it on every call; trustjob only needs to know who it is.
func (s *Session) readAccessToken(token string) error {
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(token, claims); err != nil {
		return errors.New("not a JWT")
	}
	if acct, ok := claims["account"].(map[string]any); ok {
		s.Account, _ = acct["bss"].(string)
	}
	if s.Account == "" {
		return errors.New("no account.bss claim")
	}
	s.ProfileIAMID, _ = claims["iam_id"].(string)
	if id, ok := strings.CutPrefix(s.ProfileIAMID, "iam-"); ok && strings.HasPrefix(id, "Profile-") {
		s.ProfileID = id
	}
	if name, ok := claims["name"].(string); ok && name != "" {
		s.ProfileName = name
	}
	return nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// sleep waits d or until ctx ends (the one shared helper).
var sleep = wait.Sleep
