package ibmcloud

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/IBM/go-sdk-core/v5/core"
	"github.com/IBM/platform-services-go-sdk/accountmanagementv4"
	"github.com/IBM/platform-services-go-sdk/enterprisemanagementv1"
	"github.com/IBM/platform-services-go-sdk/globalsearchv2"
	"github.com/IBM/platform-services-go-sdk/globaltaggingv1"
	"github.com/IBM/platform-services-go-sdk/iamaccessgroupsv2"
	"github.com/IBM/platform-services-go-sdk/iamidentityv1"
	"github.com/IBM/platform-services-go-sdk/iampolicymanagementv1"
	"github.com/IBM/platform-services-go-sdk/resourcecontrollerv2"
	"github.com/IBM/platform-services-go-sdk/resourcemanagerv2"
	"github.com/IBM/platform-services-go-sdk/usagereportsv4"
	"github.com/IBM/platform-services-go-sdk/usermanagementv1"
	"github.com/hashicorp/go-retryablehttp"
)

// Service names used in request counts, run-summary.json and errors.
const (
	ServiceIAMToken           = "iam-token"
	ServiceResourceController = "resource-controller"
	ServiceResourceManager    = "resource-manager"
	ServiceIAMIdentity        = "iam-identity"
	ServiceGlobalSearch       = "global-search"
	ServiceGlobalTagging      = "global-tagging"
	ServiceAccessGroups       = "iam-access-groups"
	ServicePolicyManagement   = "iam-policy-management"
	ServiceUsageReports       = "usage-reports"
	ServiceUserManagement     = "user-management"
	ServiceAccountManagement  = "account-management"
	ServiceEnterprise         = "enterprise-management"
)

// Endpoint is one service's URLs and the IBM SDK variable that overrides them.
type Endpoint struct {
	Service    string
	EnvVar     string
	Public     string
	setService func(c *Clients, url string, o *Options) (*core.BaseService, error)
}

// Endpoints lists every service trustjob calls. Public is the SDK's default;
// the private hosts, per network, are in Hosts (hosts.go).
var Endpoints = []Endpoint{
	{ServiceResourceController, "RESOURCE_CONTROLLER_URL", resourcecontrollerv2.DefaultServiceURL,
		func(c *Clients, u string, o *Options) (*core.BaseService, error) {
			s, err := resourcecontrollerv2.NewResourceControllerV2(&resourcecontrollerv2.ResourceControllerV2Options{URL: u, Authenticator: o.Authenticator})
			c.ResourceController = s
			return base(s, err, func() *core.BaseService { return s.Service })
		}},
	{ServiceResourceManager, "RESOURCE_MANAGER_URL", resourcemanagerv2.DefaultServiceURL,
		func(c *Clients, u string, o *Options) (*core.BaseService, error) {
			s, err := resourcemanagerv2.NewResourceManagerV2(&resourcemanagerv2.ResourceManagerV2Options{URL: u, Authenticator: o.Authenticator})
			c.ResourceManager = s
			return base(s, err, func() *core.BaseService { return s.Service })
		}},
	{ServiceIAMIdentity, "IAM_IDENTITY_URL", iamidentityv1.DefaultServiceURL,
		func(c *Clients, u string, o *Options) (*core.BaseService, error) {
			s, err := iamidentityv1.NewIamIdentityV1(&iamidentityv1.IamIdentityV1Options{URL: u, Authenticator: o.Authenticator})
			c.IAMIdentity = s
			return base(s, err, func() *core.BaseService { return s.Service })
		}},
	{ServiceGlobalSearch, "GLOBAL_SEARCH_URL", globalsearchv2.DefaultServiceURL,
		func(c *Clients, u string, o *Options) (*core.BaseService, error) {
			s, err := globalsearchv2.NewGlobalSearchV2(&globalsearchv2.GlobalSearchV2Options{URL: u, Authenticator: o.Authenticator})
			c.GlobalSearch = s
			return base(s, err, func() *core.BaseService { return s.Service })
		}},
	{ServiceGlobalTagging, "GLOBAL_TAGGING_URL", globaltaggingv1.DefaultServiceURL,
		func(c *Clients, u string, o *Options) (*core.BaseService, error) {
			s, err := globaltaggingv1.NewGlobalTaggingV1(&globaltaggingv1.GlobalTaggingV1Options{URL: u, Authenticator: o.Authenticator})
			c.GlobalTagging = s
			return base(s, err, func() *core.BaseService { return s.Service })
		}},
	{ServiceAccessGroups, "IAM_ACCESS_GROUPS_URL", iamaccessgroupsv2.DefaultServiceURL,
		func(c *Clients, u string, o *Options) (*core.BaseService, error) {
			s, err := iamaccessgroupsv2.NewIamAccessGroupsV2(&iamaccessgroupsv2.IamAccessGroupsV2Options{URL: u, Authenticator: o.Authenticator})
			c.AccessGroups = s
			return base(s, err, func() *core.BaseService { return s.Service })
		}},
	{ServicePolicyManagement, "IAM_POLICY_MANAGEMENT_URL", iampolicymanagementv1.DefaultServiceURL,
		func(c *Clients, u string, o *Options) (*core.BaseService, error) {
			s, err := iampolicymanagementv1.NewIamPolicyManagementV1(&iampolicymanagementv1.IamPolicyManagementV1Options{URL: u, Authenticator: o.Authenticator})
			c.PolicyManagement = s
			return base(s, err, func() *core.BaseService { return s.Service })
		}},
	{ServiceUsageReports, "USAGE_REPORTS_URL", usagereportsv4.DefaultServiceURL,
		func(c *Clients, u string, o *Options) (*core.BaseService, error) {
			s, err := usagereportsv4.NewUsageReportsV4(&usagereportsv4.UsageReportsV4Options{URL: u, Authenticator: o.Authenticator})
			c.UsageReports = s
			return base(s, err, func() *core.BaseService { return s.Service })
		}},
	{ServiceUserManagement, "USER_MANAGEMENT_URL", usermanagementv1.DefaultServiceURL,
		func(c *Clients, u string, o *Options) (*core.BaseService, error) {
			s, err := usermanagementv1.NewUserManagementV1(&usermanagementv1.UserManagementV1Options{URL: u, Authenticator: o.Authenticator})
			c.UserManagement = s
			return base(s, err, func() *core.BaseService { return s.Service })
		}},
	// The account's owner, for the posture checks.
	{ServiceAccountManagement, "ACCOUNT_MANAGEMENT_URL", accountmanagementv4.DefaultServiceURL,
		func(c *Clients, u string, o *Options) (*core.BaseService, error) {
			s, err := accountmanagementv4.NewAccountManagementV4(&accountmanagementv4.AccountManagementV4Options{URL: u, Authenticator: o.Authenticator})
			c.AccountManagement = s
			return base(s, err, func() *core.BaseService { return s.Service })
		}},
	// Enterprise discovery (docs/enterprise.md); private hosts in Hosts.
	{ServiceEnterprise, "ENTERPRISE_MANAGEMENT_URL", enterprisemanagementv1.DefaultServiceURL,
		func(c *Clients, u string, o *Options) (*core.BaseService, error) {
			s, err := enterprisemanagementv1.NewEnterpriseManagementV1(&enterprisemanagementv1.EnterpriseManagementV1Options{URL: u, Authenticator: o.Authenticator})
			c.Enterprise = s
			return base(s, err, func() *core.BaseService { return s.Service })
		}},
}

func base[T any](s *T, err error, svc func() *core.BaseService) (*core.BaseService, error) {
	if err != nil || s == nil {
		return nil, err
	}
	return svc(), nil
}

// Options configure New.
type Options struct {
	Authenticator core.Authenticator
	// Network selects public, private (CSE, regional) or VPE hosts.
	Network Network
	// AllowedHosts are extra host names the access token may be sent to.
	AllowedHosts []string
	// Getenv reads the per-service URL overrides (os.Getenv in production).
	Getenv func(string) string
	// Requests counts requests per service; nil makes a new counter.
	Requests *RequestCounter
	// Transport is the base transport (http.DefaultTransport when nil).
	Transport http.RoundTripper
	// RequestTimeout bounds one HTTP attempt (default 60 s); the caller's
	// context bounds the whole call, retries included.
	RequestTimeout time.Duration
	// MaxRetries and MaxRetryInterval configure the SDK's retries of 429 and
	// 5xx, which honour Retry-After (defaults 4 and 30 s).
	MaxRetries       int
	MaxRetryInterval time.Duration
	// MaxResponseBytes caps every answer's body, decompressed (default: per
	// service, see MaxResponseBytes and DefaultMaxResponseBytes).
	MaxResponseBytes int64
	// Logger receives, at debug level, which endpoint each service uses and
	// where it came from; nil discards.
	Logger *slog.Logger
}

// New builds every service client over one authenticator. Each client sends
// through a transport that counts its requests and refuses any host the access
// token must not reach.
func New(o Options) (*Clients, error) {
	if o.Authenticator == nil {
		return nil, errors.New("build IBM Cloud clients: no authenticator")
	}
	if o.Getenv == nil {
		o.Getenv = func(string) string { return "" }
	}
	if err := o.Network.Validate(); err != nil {
		return nil, fmt.Errorf("build IBM Cloud clients: %w", err)
	}
	if o.Requests == nil {
		o.Requests = NewRequestCounter()
	}
	if o.RequestTimeout == 0 {
		o.RequestTimeout = 60 * time.Second
	}
	if o.MaxRetries == 0 {
		o.MaxRetries = 4
	}
	if o.MaxRetryInterval == 0 {
		o.MaxRetryInterval = 30 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	baseRT := o.Transport
	if baseRT == nil {
		baseRT = http.DefaultTransport
	}
	allow := NewHostPolicy(o.AllowedHosts)
	c := &Clients{Authenticator: o.Authenticator, Requests: o.Requests}
	for _, e := range Endpoints {
		u, from := o.Network.resolve(e, o.Getenv)
		origin, err := allow.CheckEndpoint(u)
		if err != nil {
			return nil, fmt.Errorf("%s endpoint %s (from %s): %w", e.Service, RedactURL(u), from, err)
		}
		svc, err := e.setService(c, u, &o)
		if err != nil {
			return nil, fmt.Errorf("build %s client: %w", e.Service, err)
		}
		service := e.Service
		svc.Client = retrying(&http.Client{
			Timeout:       o.RequestTimeout,
			CheckRedirect: RefuseOriginChange(service),
			// Counted after the origin and dry-run checks: a refused request
			// is never sent.
			Transport: &PinnedTransport{Base: countingTransport{base: baseRT, service: service, run: o.Requests},
				Service: service, Origin: origin, MaxBody: maxBody(o.MaxResponseBytes, service)},
		}, o.MaxRetries, o.MaxRetryInterval)
		o.Logger.Debug("IBM Cloud endpoint", "service", e.Service, "url", RedactURL(u), "from", from)
	}
	return c, nil
}

// retrying is what BaseService.EnableRetries builds (the SDK's policy: 429
// and 5xx, Retry-After honoured, backoff capped at maxInterval, stop on a
// context error), except that what cannot change is not retried (Permanent):
// a request the transport refused (host, scheme, origin, a dry-run write) or
// an oversized answer.
func retrying(c *http.Client, maxRetries int, maxInterval time.Duration) *http.Client {
	rc := core.NewRetryableClientWithHTTPClient(c)
	rc.RetryMax = maxRetries
	rc.RetryWaitMax = maxInterval
	rc.Backoff = rateLimitBackoff
	rc.CheckRetry = func(ctx context.Context, resp *http.Response, err error) (bool, error) {
		if Permanent(err) {
			return false, err
		}
		return core.IBMCloudSDKRetryPolicy(ctx, resp, err)
	}
	// Every attempt after the first is a retry of the task whose context the
	// request carries.
	rc.RequestLogHook = func(_ retryablehttp.Logger, req *http.Request, attempt int) {
		if attempt > 0 {
			CountRetry(req.Context())
		}
	}
	// Drop the response handed back next to an error (a refused redirect
	// returns both): net/http would otherwise log "RoundTripper returned a
	// response & error" with the standard logger, a plain-text line in the
	// JSON log stream. Done here rather than by wrapping the transport, so
	// BaseService.DisableRetries still recognises the retrying client (a
	// caller that retries on its own turns the SDK's retries off).
	rc.ErrorHandler = func(resp *http.Response, err error, _ int) (*http.Response, error) {
		if err != nil && resp != nil {
			if resp.Body != nil {
				resp.Body.Close()
			}
			resp = nil
		}
		return resp, err
	}
	return rc.StandardClient()
}

// maxBody is the cap for service: the option when set, else the service's
// own or the default.
func maxBody(opt int64, service string) int64 {
	if opt > 0 {
		return opt
	}
	if n, ok := MaxResponseBytes[service]; ok {
		return n
	}
	return DefaultMaxResponseBytes
}

// HostPolicy decides which hosts may receive the IAM access token: IBM Cloud's
// own (*.cloud.ibm.com) and the configured allowedHosts, nothing else.
type HostPolicy struct{ extra map[string]bool }

// NewHostPolicy allows IBM Cloud hosts plus extra (exact host names).
func NewHostPolicy(extra []string) HostPolicy {
	p := HostPolicy{extra: map[string]bool{}}
	for _, h := range extra {
		p.extra[strings.ToLower(strings.TrimSpace(h))] = true
	}
	return p
}

// ErrHostNotAllowed is returned for a request to a host outside the policy
// (an access token in the Authorization header, or the service-account token
// in an IAM token request).
var ErrHostNotAllowed = errors.New("host not allowed to receive IBM Cloud credentials")

// Allows reports whether host (without port) may receive the token.
func (p HostPolicy) Allows(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	return host == "cloud.ibm.com" || strings.HasSuffix(host, ".cloud.ibm.com") || p.extra[host]
}

// Check returns an error naming the fix when rawURL may not receive the
// credentials (see CheckEndpoint).
func (p HostPolicy) Check(rawURL string) error {
	_, err := p.CheckEndpoint(rawURL)
	return err
}
