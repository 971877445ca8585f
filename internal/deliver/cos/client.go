// Package cos delivers trustjob's reports to an IBM Cloud Object Storage
// bucket with the trusted profile's own IAM access token (COS accepts IAM
// bearer tokens: no HMAC keys exist anywhere), through the official IBM COS SDK
// (github.com/IBM/ibm-cos-sdk-go) and its upload manager.
//
// The layout mirrors the output directory: <prefix><task>/<stamp>.<ext>,
// <prefix><task>/latest.<ext>, <prefix>run-summary/<stamp>.json and
// <prefix>run-summary/latest.json. A stamped object is written first;
// latest.* is replaced only after it is complete (docs/delivery.md).
package cos

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/IBM/ibm-cos-sdk-go/aws"
	"github.com/IBM/ibm-cos-sdk-go/aws/client"
	"github.com/IBM/ibm-cos-sdk-go/aws/credentials"
	"github.com/IBM/ibm-cos-sdk-go/aws/credentials/ibmiam/token"
	"github.com/IBM/ibm-cos-sdk-go/aws/defaults"
	"github.com/IBM/ibm-cos-sdk-go/service/s3"
	"github.com/IBM/ibm-cos-sdk-go/service/s3/s3manager"

	"github.com/trustjob/trustjob/internal/deliver"
	"github.com/trustjob/trustjob/internal/ibmcloud"
)

// Service is COS's name in request counts and run-summary.json.
const Service = "cloud-object-storage"

// Endpoint types.
const (
	Public  = "public"
	Private = "private"
	Direct  = "direct"
)

// hostSuffix is the domain of every COS S3 endpoint (IBM Cloud docs,
// cloud-object-storage endpoints.md).
const hostSuffix = ".cloud-object-storage.appdomain.cloud"

// TokenSource hands out the run's IAM access token. The shared
// core.ContainerAuthenticator satisfies it: it exchanges the service-account
// token once and renews only near expiry, so COS adds no token exchange.
type TokenSource interface {
	GetToken() (string, error)
}

// Options configure New.
type Options struct {
	Bucket string
	// Endpoint is a location (us-south, eu, ams03) or an https URL.
	Endpoint string
	// EndpointType is public, private or direct (for a location).
	EndpointType string
	Prefix       string
	// LatestByCopy replaces latest.* with a server-side copy (Writer role);
	// false uploads it again (Object Writer suffices).
	LatestByCopy bool
	Token        TokenSource
	// AllowedHosts are the configuration's extra hosts (the emulator); plain
	// http is accepted only for them.
	AllowedHosts []string
	// Account is the IBM Cloud account the run signed in to: objects carry it
	// and a baseline of another account is refused.
	Account string
	RunID   string
	// Requests counts COS requests (run-summary.json); nil makes a counter.
	Requests *ibmcloud.RequestCounter
	// Transport is the base transport (http.DefaultTransport when nil).
	Transport http.RoundTripper
	// RequestTimeout bounds one HTTP attempt (default 5 min: one part).
	RequestTimeout time.Duration
	// MaxRetries of 5xx, 429 and network errors, with the SDK's backoff
	// honouring Retry-After (default 4).
	MaxRetries int
	// PartSize of multipart uploads (default 8 MiB); files at most this
	// size are one PUT. Concurrency parts in flight (default 2). Uploads read
	// the file in place (io.ReaderAt), so memory does not grow with them.
	PartSize    int64
	Concurrency int
	Logger      *slog.Logger
}

// Client writes and reads one bucket.
type Client struct {
	s3       *s3.S3
	up       *s3manager.Uploader
	bucket   string
	prefix   string
	endpoint string
	copy     bool
	account  string
	runID    string
	requests *ibmcloud.RequestCounter
	log      *slog.Logger
	// listPage is the listing's page size (0: COS's default, 1,000); tests
	// make it small to cross pages.
	listPage int64
}

// ResolveEndpoint turns a location or URL into the endpoint URL. Locations
// follow IBM's pattern s3[.private|.direct].<location>.cloud-object-storage.appdomain.cloud.
func ResolveEndpoint(endpoint, typ string) (string, error) {
	if strings.Contains(endpoint, "://") {
		u, err := url.Parse(endpoint)
		if err != nil || u.Host == "" {
			return "", fmt.Errorf("COS endpoint %q is not a URL", endpoint)
		}
		return u.Scheme + "://" + u.Host, nil
	}
	if endpoint == "" {
		return "", errors.New("COS endpoint is missing")
	}
	switch typ {
	case "", Public:
		return "https://s3." + endpoint + hostSuffix, nil
	case Private, Direct:
		return "https://s3." + typ + "." + endpoint + hostSuffix, nil
	}
	return "", fmt.Errorf("unknown COS endpoint type %q", typ)
}

// New builds a client over the shared token. Its transport refuses any host
// but the endpoint's, and plain http unless the host is an allowed one.
func New(o Options) (*Client, error) {
	if o.Token == nil {
		return nil, errors.New("COS: no token source")
	}
	ep, err := ResolveEndpoint(o.Endpoint, o.EndpointType)
	if err != nil {
		return nil, err
	}
	u, _ := url.Parse(ep)
	policy := ibmcloud.NewHostPolicy(o.AllowedHosts)
	extra := policy.Allows(u.Hostname()) && !strings.HasSuffix(u.Hostname(), ".cloud.ibm.com")
	switch {
	case extra:
	case !strings.HasSuffix(u.Hostname(), hostSuffix):
		return nil, fmt.Errorf("COS endpoint %s: %w: %s is not a COS host (*%s); add it to allowedHosts if it is yours",
			ep, ibmcloud.ErrHostNotAllowed, u.Hostname(), hostSuffix)
	case u.Scheme != "https":
		return nil, fmt.Errorf("COS endpoint %s: the IAM token goes to COS over https only", ep)
	}
	if o.Requests == nil {
		o.Requests = ibmcloud.NewRequestCounter()
	}
	if o.RequestTimeout == 0 {
		o.RequestTimeout = 5 * time.Minute
	}
	if o.MaxRetries == 0 {
		o.MaxRetries = 4
	}
	if o.PartSize == 0 {
		o.PartSize = 8 << 20
	}
	if o.Concurrency == 0 {
		o.Concurrency = 2
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	base := o.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	hc := &http.Client{
		Timeout:   o.RequestTimeout,
		Transport: &deliver.Pin{Base: base, Scheme: u.Scheme, Host: u.Host, Service: Service, Counter: o.Requests},
		// Never follow a redirect with the token: COS does not redirect
		// path-style requests to the right endpoint.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	conf := aws.NewConfig().
		WithEndpoint(ep).
		WithRegion(regionOf(o.Endpoint)).
		WithS3ForcePathStyle(true).
		WithCredentials(credentials.NewCredentials(&tokenProvider{src: o.Token})).
		WithHTTPClient(hc)
	conf.Retryer = client.DefaultRetryer{NumMaxRetries: o.MaxRetries, MinRetryDelay: 500 * time.Millisecond,
		MinThrottleDelay: time.Second, MaxRetryDelay: 20 * time.Second, MaxThrottleDelay: 30 * time.Second}
	svc := s3.New(configProvider{conf: mergeConfig(defaults.Config(), conf), endpoint: ep})
	up := s3manager.NewUploaderWithClient(svc, func(u *s3manager.Uploader) {
		u.PartSize, u.Concurrency = o.PartSize, o.Concurrency
		u.LeavePartsOnError = false // abort: no orphan parts
	})
	o.Logger.Debug("COS endpoint", "url", ep, "bucket", o.Bucket, "prefix", o.Prefix)
	return &Client{s3: svc, up: up, bucket: o.Bucket, prefix: o.Prefix, endpoint: ep, copy: o.LatestByCopy,
		account: o.Account, runID: o.RunID, requests: o.Requests, log: o.Logger}, nil
}

// Bucket is the bucket written to.
func (c *Client) Bucket() string { return c.bucket }

// Endpoint is the endpoint URL.
func (c *Client) Endpoint() string { return c.endpoint }

// Requests counts the client's requests.
func (c *Client) Requests() *ibmcloud.RequestCounter { return c.requests }

func regionOf(endpoint string) string {
	if strings.Contains(endpoint, "://") || endpoint == "" {
		return "us-standard"
	}
	return endpoint
}

// tokenProvider is a credentials.Provider of type "oauth": the SDK's signer
// then sends "Authorization: Bearer <token>" (cos-go aws/signer/ibmiam). It
// asks the shared authenticator on every request (IsExpired is always true,
// as cos-go's own TrustedProfileProvider does), so a renewed token is used at
// once and no second token manager exists. Not the SDK's custom-init provider:
// its token manager refreshes with a refresh token a cr-token grant never has.
type tokenProvider struct{ src TokenSource }

func (p *tokenProvider) Retrieve() (credentials.Value, error) {
	tok, err := p.src.GetToken()
	if err != nil {
		return credentials.Value{}, fmt.Errorf("get the IAM access token for COS: %w", err)
	}
	return credentials.Value{ProviderName: "trustjob", ProviderType: "oauth",
		Token: token.Token{AccessToken: tok, TokenType: "Bearer"}}, nil
}

func (p *tokenProvider) IsExpired() bool { return true }

// configProvider hands the SDK exactly this configuration. The SDK's session
// would also read AWS_* variables and ~/.aws files (a CA bundle, a region,
// other credentials); trustjob's COS access is configured in one place only.
type configProvider struct {
	conf     *aws.Config
	endpoint string
}

func (p configProvider) ClientConfig(_ string, cfgs ...*aws.Config) client.Config {
	c := p.conf.Copy(cfgs...)
	return client.Config{Config: c, Handlers: defaults.Handlers(), Endpoint: p.endpoint,
		SigningRegion: aws.StringValue(c.Region), SigningName: "s3"}
}

func mergeConfig(base, over *aws.Config) *aws.Config {
	base.MergeIn(over)
	return base
}
