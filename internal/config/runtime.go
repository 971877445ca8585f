package config

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// Compute resources: where trustjob runs, which decides how it signs in.
const (
	// ComputeKubernetes: the pod's projected service-account token, exchanged
	// at IAM with the cr-token grant (the default).
	ComputeKubernetes = "kubernetes"
	// ComputeCodeEngine: a Code Engine job's compute-resource token, mounted
	// at DefaultCodeEngineTokenFile and exchanged like the pod's.
	ComputeCodeEngine = "code-engine"
	// ComputeVPC: a VPC virtual server; the instance metadata service issues
	// an instance identity token and exchanges it for the profile's token.
	ComputeVPC = "vpc"
)

// ComputeResources lists the accepted auth.computeResource values.
var ComputeResources = []string{ComputeKubernetes, ComputeCodeEngine, ComputeVPC}

// Runtime defaults.
const (
	// DefaultCodeEngineTokenFile is where Code Engine mounts the
	// compute-resource token of a job with trusted profiles enabled (the last
	// path go-sdk-core's ContainerAuthenticator looks at by default).
	DefaultCodeEngineTokenFile = "/var/run/secrets/codeengine.cloud.ibm.com/compute-resource-token/token"
	// DefaultMetadataURL is the VPC instance metadata service (link-local,
	// plain http, reachable only from inside the instance).
	DefaultMetadataURL = "http://169.254.169.254"
	// SecureMetadataURL is the metadata service when the instance's
	// metadata_service.protocol is https.
	SecureMetadataURL = "https://api.metadata.cloud.ibm.com"
	// MetadataLinkLocalHost is DefaultMetadataURL's host.
	MetadataLinkLocalHost = "169.254.169.254"
)

// Environment overrides of the runtime keys.
const (
	EnvComputeResource = "TRUSTJOB_COMPUTE_RESOURCE"
	EnvMetadataURL     = "TRUSTJOB_METADATA_URL"
	EnvProfileCRN      = "TRUSTJOB_PROFILE_CRN"
)

// profileCRNRE matches a trusted profile's CRN (iam-identity service, profile
// resource type).
var profileCRNRE = regexp.MustCompile(`^crn:v1:[a-z]+:[a-z]+:iam-identity::a/[0-9a-f]{32}::profile:Profile-[0-9a-f-]{36}$`)

// Compute is auth.computeResource with its default (kubernetes) applied.
func (a *Auth) Compute() string {
	if a.ComputeResource == "" {
		return ComputeKubernetes
	}
	return a.ComputeResource
}

func applyRuntimeEnv(a *Auth, env map[string]string, from map[string]string) {
	setFromEnv(env, from, &a.ComputeResource, EnvComputeResource, "auth.computeResource")
	setFromEnv(env, from, &a.MetadataURL, EnvMetadataURL, "auth.metadataURL")
	setFromEnv(env, from, &a.ProfileCRN, EnvProfileCRN, "auth.profileCRN")
}

// runtime checks auth.computeResource and the keys that depend on it, and
// fills in the runtime's defaults. It runs before auth, which then skips the
// profile checks a VPC instance does differently.
func (c *checker) runtime(cfg *Config) {
	a := &cfg.Auth
	switch a.ComputeResource {
	case "", ComputeKubernetes, ComputeCodeEngine, ComputeVPC:
	default:
		c.add("auth.computeResource", fmt.Sprintf("unknown computeResource %q", a.ComputeResource),
			"use one of: "+strings.Join(ComputeResources, ", "))
		return
	}
	if a.ComputeResource != ComputeVPC {
		// The environment's VPC keys (an emulator exports
		// TRUSTJOB_METADATA_URL for every run) do not apply here; the
		// file's are a mistake worth saying.
		if !c.has("auth.profileCRN") {
			a.ProfileCRN = ""
		}
		if !c.has("auth.metadataURL") {
			a.MetadataURL = ""
		}
		if a.ProfileCRN != "" {
			c.add("auth.profileCRN", "profileCRN is only read on a VPC instance (computeResource: vpc)",
				"name the profile with profileID or profileName; IAM's cr-token grant takes those")
		}
		if a.MetadataURL != "" {
			c.add("auth.metadataURL", "metadataURL is only read on a VPC instance (computeResource: vpc)",
				"remove it, or set computeResource: vpc")
		}
		if a.ComputeResource == ComputeCodeEngine && a.CRTokenFile == "" {
			a.CRTokenFile = DefaultCodeEngineTokenFile
		}
		return
	}
	c.vpc(cfg)
}

// vpc checks a VPC instance's settings. The profile is named by ID or CRN
// (the metadata service's documented forms) and must be named at all: the
// instance's default profile is whatever was chosen when it was created, and
// a run should not act as an identity its configuration does not name.
func (c *checker) vpc(cfg *Config) {
	a := &cfg.Auth
	switch n := count(a.ProfileID != "", a.ProfileCRN != "", a.ProfileName != ""); {
	case a.ProfileName != "":
		c.add("auth.profileName", "a VPC instance names its trusted profile by ID or CRN, not by name",
			"set auth.profileID (Profile-...) or auth.profileCRN; `ibmcloud iam trusted-profile NAME --output json` shows both")
	case n == 0:
		c.add("auth", "no trusted profile is configured",
			"set auth.profileID or auth.profileCRN (or $"+EnvProfileID+" / $"+EnvProfileCRN+"): the one the instance is linked to")
	case n > 1:
		c.add("auth.profileCRN", "profileID and profileCRN are both set", "keep one of them")
	case a.ProfileID != "" && !strings.HasPrefix(a.ProfileID, "Profile-"):
		c.add("auth.profileID", fmt.Sprintf("profileID %q is not a trusted profile ID", a.ProfileID),
			"use the profile's ID (Profile-...), or its CRN in auth.profileCRN")
	case a.ProfileCRN != "" && !profileCRNRE.MatchString(a.ProfileCRN):
		c.add("auth.profileCRN", fmt.Sprintf("profileCRN %q is not a trusted profile's CRN", a.ProfileCRN),
			"use crn:v1:bluemix:public:iam-identity::a/<account>::profile:Profile-<uuid>")
	}
	if a.CRTokenFile != "" && c.has("auth.crTokenFile") {
		c.add("auth.crTokenFile", "a VPC instance has no token file: the metadata service issues the token",
			"remove auth.crTokenFile")
	}
	if a.MetadataURL == "" {
		a.MetadataURL = DefaultMetadataURL
	} else if msg := checkMetadataURL(a.MetadataURL, cfg.AllowedHosts); msg != "" {
		c.add("auth.metadataURL", msg, "use "+DefaultMetadataURL+" or "+SecureMetadataURL+
			"; another host (an emulator) must also be listed in allowedHosts")
	}
}

// checkMetadataURL returns what is wrong with a metadata service URL, or "".
// The metadata service is link-local and plain http in most instances: what
// travels to it is the instance identity token, never the IAM access token
// (internal/ibmcloud's host policy never allows the metadata host). Plain
// http is accepted for the link-local address and for loopback hosts that
// allowedHosts lists (the emulator); any other host must be https and listed.
func checkMetadataURL(raw string, allowed []string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Hostname() == "" {
		return fmt.Sprintf("metadataURL %q is not an absolute URL", raw)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" || strings.Trim(u.Path, "/") != "" {
		return fmt.Sprintf("metadataURL %q must be scheme and host only (no path, credentials, query or fragment)", raw)
	}
	host := u.Hostname()
	known := host == MetadataLinkLocalHost || strings.EqualFold(host, "api.metadata.cloud.ibm.com")
	if !known && !slices.Contains(allowed, host) {
		return fmt.Sprintf("metadataURL host %q is neither the metadata service nor in allowedHosts", host)
	}
	switch u.Scheme {
	case "https":
		return ""
	case "http":
		if host == MetadataLinkLocalHost || IsLoopback(host) || isLinkLocal(host) {
			return ""
		}
		return fmt.Sprintf("metadataURL %q uses plain http off the instance: use https", raw)
	}
	return fmt.Sprintf("metadataURL %q must use http (link-local) or https", raw)
}

func isLinkLocal(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLinkLocalUnicast()
}

func count(bs ...bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}
