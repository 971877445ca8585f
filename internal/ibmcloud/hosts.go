package ibmcloud

import (
	"fmt"
	"strings"
)

// Networks: which IBM Cloud hosts trustjob talks to.
//
// IBM documents two kinds of private endpoint, and they use different hosts
// (IBM Cloud docs "Public and private endpoints", Tables 5, 8-13, 15-16; the
// Resource Controller API's "Endpoint URLs"; the CLI's "Securing your
// connection"; terraform-provider-ibm's ibm/conns/config.go):
//
//   - cloud service endpoints (CSE) on the IBM Cloud private network, for
//     classic clusters and for VPC clusters outside the US: regional hosts,
//     documented only for us-south and us-east (private.us-south.… or
//     private.us-east.…). Resource Controller and Manager, User Management and
//     Usage Reports have no global CSE host at all.
//   - virtual private endpoints (VPE) in a VPC: the global private hosts
//     (private.iam.cloud.ibm.com, private.resource-controller.cloud.ibm.com,
//     private.user-management.cloud.ibm.com, …), reachable only where a VPE
//     gateway for each target exists in the cluster's VPC (the gateway's target
//     CRN names the host). Resource Controller documents its global private
//     host "for VPC infrastructure, only available in US regions".
const (
	NetworkPublic  = "public"
	NetworkPrivate = "private" // CSE, regional: needs Region
	NetworkVPE     = "vpe"     // VPE gateways in the cluster's VPC
)

// PrivateRegions are the regions IBM documents CSE hosts for.
var PrivateRegions = []string{"us-south", "us-east"}

// Network selects the hosts: Mode is NetworkPublic (also ""), NetworkPrivate
// with Region one of PrivateRegions, or NetworkVPE.
type Network struct {
	Mode   string
	Region string
}

// Validate says what is wrong with n, or nil.
func (n Network) Validate() error {
	switch n.Mode {
	case "", NetworkPublic, NetworkVPE:
		if n.Region != "" {
			return fmt.Errorf("privateRegion %q applies only to endpoints: private", n.Region)
		}
	case NetworkPrivate:
		if !isPrivateRegion(n.Region) {
			return fmt.Errorf("endpoints: private needs privateRegion %s (IBM documents cloud service endpoints only there), got %q",
				strings.Join(PrivateRegions, " or "), n.Region)
		}
	default:
		return fmt.Errorf("unknown endpoints %q (public, private or vpe)", n.Mode)
	}
	return nil
}

func isPrivateRegion(r string) bool {
	for _, p := range PrivateRegions {
		if r == p {
			return true
		}
	}
	return false
}

// String is how the configuration spells n.
func (n Network) String() string {
	switch n.Mode {
	case "", NetworkPublic:
		return "endpoints: public"
	case NetworkPrivate:
		return "endpoints: private, privateRegion: " + n.Region
	}
	return "endpoints: " + n.Mode
}

// Host is one service's documented hosts.
type Host struct {
	Service string
	// Public is the SDK's default (with https://).
	Public string
	// CSE returns the cloud service endpoint for a region in PrivateRegions.
	CSE func(region string) string
	// CSEWhy says which source documents the CSE host (shown by doctor).
	CSEWhy string
	// VPE is the global private host a VPE gateway serves; VPETarget is the
	// gateway's target CRN to create in the cluster's VPC.
	VPE, VPETarget string
}

func regional(prefix, suffix string) func(string) string {
	return func(r string) string { return "https://" + prefix + r + suffix }
}

// Global Search and Tagging document a Dallas CSE host and a global private
// one, nothing for Washington DC: us-east takes the global host.
func searchTagging(sub string) func(string) string {
	return func(r string) string {
		if r == "us-south" {
			return "https://" + sub + ".private.us-south.global-search-tagging.cloud.ibm.com"
		}
		return "https://" + sub + ".private.global-search-tagging.cloud.ibm.com"
	}
}

// platform is the usual shape: public https://HOST, cloud service endpoints
// private.<region>.HOST, VPE private.HOST behind a gateway whose target CRN
// names the service.
func platform(service, host, crnService, why string) Host {
	return Host{
		Service: service, Public: "https://" + host,
		CSE: regional("private.", "."+host), CSEWhy: why,
		VPE: "https://private." + host, VPETarget: vpeTarget(crnService, "private."+host),
	}
}

// searchAndTagging: public SUB.global-search-tagging..., private hosts
// SUB.private[.us-south].global-search-tagging...
func searchAndTagging(service, sub, crnService, why string) Host {
	host := sub + ".private.global-search-tagging.cloud.ibm.com"
	return Host{
		Service: service, Public: "https://" + sub + ".global-search-tagging.cloud.ibm.com",
		CSE: searchTagging(sub), CSEWhy: why,
		VPE: "https://" + host, VPETarget: vpeTarget(crnService, host),
	}
}

func vpeTarget(crnService, host string) string {
	return "crn:v1:bluemix:public:" + crnService + ":global:::endpoint:" + host
}

// iamHost is the IAM token endpoint's row in Hosts; IAM Identity, Access
// Groups and Policy Management share its hosts.
var iamHost = platform(ServiceIAMToken, "iam.cloud.ibm.com", "iam-svcs", "IAM's regional private endpoint (IBM docs, Tables 10-12)")

// Hosts lists every service trustjob calls, the IAM token endpoint first.
var Hosts = []Host{
	iamHost,
	withService(iamHost, ServiceIAMIdentity),
	withService(iamHost, ServiceAccessGroups),
	withService(iamHost, ServicePolicyManagement),
	platform(ServiceResourceController, "resource-controller.cloud.ibm.com", "resource-controller",
		"Resource Controller's endpoint for classic and non-US VPC infrastructure (RC API docs, Endpoint URLs)"),
	platform(ServiceResourceManager, "resource-controller.cloud.ibm.com", "resource-controller",
		"Resource Manager's regional private endpoint (IBM docs, Table 16; it has no global one)"),
	searchAndTagging(ServiceGlobalSearch, "api", "global-search-tagging",
		"Global Search's private endpoint (IBM docs, Table 8: Dallas and global only)"),
	searchAndTagging(ServiceGlobalTagging, "tags", "ghost-tags",
		"Global Tagging's private endpoint (IBM docs, Table 9: Dallas and global only)"),
	platform(ServiceUsageReports, "billing.cloud.ibm.com", "billing",
		"Usage Reports' regional private endpoint (IBM docs, Table 5; it has no global CSE host)"),
	platform(ServiceUserManagement, "user-management.cloud.ibm.com", "user-management",
		"User Management's regional private endpoint (IBM docs, Table 13; the global private host is a VPE target only)"),
	accountManagement,
	enterprise,
}

// enterprise: IBM's endpoint table lists regional private hosts for
// Enterprise Management (Table 2, there spelled with a ".test" that the
// public host of the SDK does not have) and the CLI's VPE list names
// private.enterprise.cloud.ibm.com. The path is the SDK's /v1.
var enterprise = Host{
	Service: ServiceEnterprise, Public: "https://enterprise.cloud.ibm.com/v1",
	CSE:    func(r string) string { return "https://private." + r + ".enterprise.cloud.ibm.com/v1" },
	CSEWhy: "Enterprise Management's regional private endpoint (IBM docs, Table 2; unverified)",
	VPE:    "https://private.enterprise.cloud.ibm.com/v1", VPETarget: vpeTarget("enterprise", "private.enterprise.cloud.ibm.com"),
}

// accountManagement: IBM documents only a VPE host for Account Management
// (the CLI's "Securing your connection": https://private.accounts.cloud.ibm.com)
// and no cloud service endpoint, so endpoints: private uses that host too;
// unverified from a classic network (ACCOUNT_MANAGEMENT_URL overrides it).
var accountManagement = Host{
	Service: ServiceAccountManagement, Public: "https://accounts.cloud.ibm.com",
	CSE:    func(string) string { return "https://private.accounts.cloud.ibm.com" },
	CSEWhy: "Account Management's only documented private host (a VPE target; no cloud service endpoint is documented, so unverified here)",
	VPE:    "https://private.accounts.cloud.ibm.com", VPETarget: vpeTarget("account-management", "private.accounts.cloud.ibm.com"),
}

func withService(h Host, service string) Host {
	h.Service = service
	return h
}

// HostFor returns service's row in Hosts.
func HostFor(service string) (Host, bool) {
	for _, h := range Hosts {
		if h.Service == service {
			return h, true
		}
	}
	return Host{}, false
}

// URL is service's base URL on n and why that one: the sentence doctor and
// the debug log show. The IAM token endpoint is ServiceIAMToken. n must be
// valid (Validate).
func (n Network) URL(service string) (url, why string) {
	h, ok := HostFor(service)
	if !ok {
		return "", "no documented host for " + service
	}
	switch n.Mode {
	case NetworkPrivate:
		return h.CSE(n.Region), fmt.Sprintf("%s: %s", n, h.CSEWhy)
	case NetworkVPE:
		return h.VPE, fmt.Sprintf("%s: the global private host, reachable through a VPE gateway for %s in the cluster's VPC", n, h.VPETarget)
	}
	return h.Public, "endpoints: public: the public endpoint"
}

// IAMURL is the IAM token endpoint on n.
func (n Network) IAMURL() string {
	u, _ := n.URL(ServiceIAMToken)
	return u
}

// resolve is e's URL on n unless the SDK's variable overrides it, and why.
func (n Network) resolve(e Endpoint, getenv func(string) string) (url, why string) {
	if v := strings.TrimSpace(getenv(e.EnvVar)); v != "" {
		return v, "$" + e.EnvVar
	}
	return n.URL(e.Service)
}

// Resolved is one service's URL as New picks it, and why.
type Resolved struct {
	Service, URL, Why string
}

// Resolve lists the URL New gives each service on n with these overrides (for
// doctor and the README), in Endpoints order. getenv may be nil.
func (n Network) Resolve(getenv func(string) string) []Resolved {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	out := make([]Resolved, 0, len(Endpoints))
	for _, e := range Endpoints {
		u, why := n.resolve(e, getenv)
		out = append(out, Resolved{Service: e.Service, URL: u, Why: why})
	}
	return out
}
