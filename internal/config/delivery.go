package config

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// COS endpoint types (output.cos.endpointType). Private endpoints serve IBM
// Cloud classic infrastructure; from a VPC only direct endpoints are reachable
// (IBM Cloud docs, cloud-object-storage endpoints.md).
const (
	COSEndpointPublic  = "public"
	COSEndpointPrivate = "private"
	COSEndpointDirect  = "direct"
	DefaultCOSPrefix   = "trustjob/"
)

// COS is output.cos: reports are also written to this bucket, signed in with
// the trusted profile's own IAM access token (no HMAC keys).
type COS struct {
	Bucket string `yaml:"bucket"`
	// Endpoint is a COS location (us-south, eu, ams03, ...) or an https URL.
	Endpoint string `yaml:"endpoint"`
	// EndpointType is public, private or direct; absent, it follows
	// `endpoints`: public stays public, private becomes direct (VPC clusters).
	EndpointType string `yaml:"endpointType"`
	// Prefix starts every object key (default trustjob/).
	Prefix string `yaml:"prefix"`
	// Latest says how latest.* is replaced: "copy" (server-side copy; needs the
	// Writer role) or "upload" (a second upload; Object Writer + Content Reader
	// suffice). Default copy.
	Latest string `yaml:"latest"`
}

// Enabled reports whether output.cos is configured.
func (c *COS) Enabled() bool { return c != nil && c.Bucket != "" }

// Notify is notify: where the run tells people how it went.
type Notify struct {
	EventNotifications *EventNotifications `yaml:"eventNotifications"`
}

// EventNotifications is notify.eventNotifications: one notification per run
// to an IBM Cloud Event Notifications API source.
type EventNotifications struct {
	// Instance is the Event Notifications instance GUID or CRN.
	Instance string `yaml:"instance"`
	// Region is the instance's region; read from the CRN when absent.
	Region string `yaml:"region"`
	// SourceID is the API source's ID (ibmensourceid).
	SourceID string `yaml:"sourceID"`
	// On lists when to send: failure, findings, changes, actions, always.
	On []string `yaml:"on"`
}

// Endpoint overrides for output.cos and notify.eventNotifications, like the
// IBM SDK's *_URL variables: `trustjob demo`, `trustjob sim` and tests point
// them at the emulator. The host must still be an allowed one.
const (
	EnvCOSEndpoint = "TRUSTJOB_COS_ENDPOINT"
	EnvENURL       = "TRUSTJOB_EVENT_NOTIFICATIONS_URL"
)

// NotifyOn are the values notify.eventNotifications.on accepts.
var NotifyOn = []string{"failure", "findings", "changes", "actions", "always"}

// ENRegions are the regions Event Notifications is offered in (IBM Cloud docs,
// event-notifications en-regions-endpoints.md).
var ENRegions = []string{"us-south", "eu-gb", "au-syd", "eu-de", "eu-es", "ca-tor", "jp-tok", "jp-osa",
	"br-sao", "ca-mon", "us-east", "in-che", "in-mum"}

var (
	bucketRE   = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	locationRE = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)?$|^[a-z]{3}[0-9]{2}$`)
	guidRE     = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
)

// delivery validates output.cos and notify and fills in defaults.
func (c *checker) delivery(cfg *Config) {
	if o := cfg.Output.COS; o != nil {
		c.cos(cfg, o)
	}
	if en := cfg.Notify.EventNotifications; en != nil {
		c.eventNotifications(en)
	}
}

func (c *checker) cos(cfg *Config, o *COS) {
	const p = "output.cos"
	if o.Bucket == "" {
		c.add(p+".bucket", "bucket is missing", "name the bucket the reports go to, or remove output.cos")
	} else if !bucketRE.MatchString(o.Bucket) || strings.Contains(o.Bucket, "..") {
		c.add(p+".bucket", fmt.Sprintf("%q is not a COS bucket name", o.Bucket),
			"use 3-63 lower-case letters, digits, '.' and '-', starting and ending with a letter or digit")
	}
	switch {
	case o.Endpoint == "":
		c.add(p+".endpoint", "endpoint is missing", "set the bucket's location (e.g. us-south, eu-de, eu) or its https endpoint URL")
	case strings.Contains(o.Endpoint, "://"):
		u, err := url.Parse(o.Endpoint)
		switch {
		case err != nil || u.Host == "":
			c.add(p+".endpoint", fmt.Sprintf("endpoint %q is not a URL", o.Endpoint), "use https://s3.<location>.cloud-object-storage.appdomain.cloud or a location name")
		case u.Scheme != "https" && !hostListed(cfg.AllowedHosts, u.Hostname()):
			c.add(p+".endpoint", "endpoint must use https: COS refuses IAM tokens over plain http", "use https://...")
		case u.Path != "" && u.Path != "/":
			c.add(p+".endpoint", "endpoint must not have a path", "give only scheme and host, e.g. https://s3.eu-de.cloud-object-storage.appdomain.cloud")
		}
	case !locationRE.MatchString(o.Endpoint):
		c.add(p+".endpoint", fmt.Sprintf("%q is neither a COS location nor a URL", o.Endpoint), "use a location such as us-south, eu-de, eu or ams03, or an https URL")
	}
	switch o.EndpointType {
	case "":
		o.EndpointType = COSEndpointPublic
		if cfg.Private() {
			o.EndpointType = COSEndpointDirect
		}
	case COSEndpointPublic, COSEndpointPrivate, COSEndpointDirect:
	default:
		c.add(p+".endpointType", fmt.Sprintf("unknown endpointType %q", o.EndpointType), "use public, private (classic infrastructure) or direct (VPC)")
	}
	if !c.has(p + ".prefix") {
		o.Prefix = DefaultCOSPrefix
	}
	switch {
	case strings.HasPrefix(o.Prefix, "/"):
		c.add(p+".prefix", "prefix must not start with /", "e.g. trustjob/ or reports/prod/")
	case o.Prefix != "" && !strings.HasSuffix(o.Prefix, "/"):
		o.Prefix += "/"
	}
	switch o.Latest {
	case "":
		o.Latest = "copy"
	case "copy", "upload":
	default:
		c.add(p+".latest", fmt.Sprintf("unknown latest %q", o.Latest), "use copy (Writer role) or upload (Object Writer + Content Reader)")
	}
}

func (c *checker) eventNotifications(en *EventNotifications) {
	const p = "notify.eventNotifications"
	guid := en.Instance
	if strings.HasPrefix(en.Instance, "crn:") {
		parts := strings.Split(en.Instance, ":")
		if len(parts) < 8 || parts[4] != "event-notifications" {
			c.add(p+".instance", "instance CRN is not an Event Notifications CRN", "use crn:v1:bluemix:public:event-notifications:<region>:a/<account>:<guid>:: or the GUID")
			guid = ""
		} else {
			guid = parts[7]
			if en.Region == "" {
				en.Region = parts[5]
			}
		}
	}
	switch {
	case en.Instance == "":
		c.add(p+".instance", "instance is missing", "set the Event Notifications instance GUID or CRN")
	case guid != "" && !guidRE.MatchString(guid):
		c.add(p+".instance", fmt.Sprintf("%q is not an instance GUID", guid), "use the instance's GUID (ibmcloud resource service-instance NAME --id) or CRN")
	}
	switch {
	case en.Region == "":
		c.add(p+".region", "region is missing", "set the instance's region, e.g. us-south")
	case !contains(ENRegions, en.Region):
		c.add(p+".region", fmt.Sprintf("unknown Event Notifications region %q", en.Region), "use one of: "+strings.Join(ENRegions, ", "))
	}
	if en.SourceID == "" {
		c.add(p+".sourceID", "sourceID is missing", "create an API source in the instance and set its ID")
	}
	if len(en.On) == 0 {
		en.On = []string{"failure", "findings", "changes", "actions"}
	}
	for i, v := range en.On {
		if !contains(NotifyOn, v) {
			c.add(fmt.Sprintf("%s.on[%d]", p, i), fmt.Sprintf("unknown value %q", v), "use any of: "+strings.Join(NotifyOn, ", "))
		}
	}
}

// InstanceGUID is Instance with a CRN reduced to its GUID.
func (en *EventNotifications) InstanceGUID() string {
	if strings.HasPrefix(en.Instance, "crn:") {
		if parts := strings.Split(en.Instance, ":"); len(parts) >= 8 {
			return parts[7]
		}
	}
	return en.Instance
}

func hostListed(hosts []string, h string) bool {
	for _, x := range hosts {
		if strings.EqualFold(strings.TrimSpace(x), h) {
			return true
		}
	}
	return false
}
