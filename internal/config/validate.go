package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/trustjob/trustjob/internal/ibmcloud"
)

// validate checks cfg (decoded, with environment overrides) and fills in
// defaults. refused holds paths already reported as API-key settings.
func (c *checker) validate(cfg *Config, refused map[string]bool) {
	c.header(cfg)
	c.runtime(cfg)
	c.auth(cfg)
	c.general(cfg)
	c.output(&cfg.Output)
	c.delivery(cfg)
	c.metrics(cfg)
	c.tasks(cfg, refused)
	c.targets(cfg)
	c.endpoints(cfg)
}

// endpoints applies sign-in's endpoint policy (internal/ibmcloud) before any
// network call, so that validate and run refuse the same URLs: the IAM URL and
// every IBM SDK service URL variable must be https (http only on loopback)
// and on an IBM Cloud host or one listed in allowedHosts.
func (c *checker) endpoints(cfg *Config) {
	if len(c.probs) > 0 {
		// allowedHosts may be what is broken: check the endpoints against a
		// configuration that is otherwise valid, not against a guess.
		return
	}
	policy := ibmcloud.NewHostPolicy(cfg.AllowedHosts)
	if cfg.Auth.IAMURL != "" && checkIAMURL(cfg.Auth.IAMURL) == "" {
		if _, err := policy.CheckEndpoint(cfg.Auth.IAMURL); err != nil {
			c.add("auth.iamURL", err.Error(), endpointFix(err))
		}
	}
	for _, v := range ServiceURLVariables {
		u := strings.TrimSpace(c.env[v])
		if u == "" {
			continue
		}
		if _, err := policy.CheckEndpoint(u); err != nil {
			c.probs = append(c.probs, Problem{Path: "$" + v, Message: err.Error(), Fix: endpointFix(err)})
		}
	}
}

func endpointFix(err error) string {
	if errors.Is(err, ibmcloud.ErrHostNotAllowed) {
		return "list the host under allowedHosts (or $" + EnvAllowedHosts + "), or remove the override"
	}
	return "use an https URL without user information; plain http only for a loopback emulator"
}

func (c *checker) header(cfg *Config) {
	switch {
	case cfg.APIVersion == "":
		c.add("apiVersion", "apiVersion is missing", "add apiVersion: "+APIVersion)
	case cfg.APIVersion != APIVersion:
		c.add("apiVersion", fmt.Sprintf("unsupported apiVersion %q", cfg.APIVersion), "use apiVersion: "+APIVersion)
	}
	switch {
	case cfg.Kind == "":
		c.add("kind", "kind is missing", "add kind: "+Kind)
	case cfg.Kind != Kind:
		c.add("kind", fmt.Sprintf("unsupported kind %q", cfg.Kind), "use kind: "+Kind)
	}
}

func (c *checker) auth(cfg *Config) {
	a := &cfg.Auth
	switch {
	case a.ComputeResource == ComputeVPC:
		// runtime.go: a VPC instance names its profile by ID or CRN.
	case a.ProfileName != "" && a.ProfileID != "":
		c.add("auth.profileID", "profileName and profileID are both set",
			"keep one of them: the trusted profile is named either way")
	case a.ProfileName == "" && a.ProfileID == "" && len(cfg.Targets) == 0:
		c.add("auth", "no trusted profile is configured",
			"set auth.profileName or auth.profileID (or $"+EnvProfileName+" / $"+EnvProfileID+")")
	case a.ProfileID != "" && !strings.HasPrefix(a.ProfileID, "Profile-"):
		c.add("auth.profileID", fmt.Sprintf("profileID %q is not a trusted profile ID", a.ProfileID),
			"use the ID shown by `ibmcloud iam trusted-profile NAME --id` (Profile-...), or set profileName")
	}
	if a.CRTokenFile == "" && a.ComputeResource != ComputeVPC {
		a.CRTokenFile = DefaultCRTokenFile
	}
	networkOK := true
	switch cfg.Endpoints {
	case "":
		cfg.Endpoints = DefaultEndpointsValue
	case EndpointsPublic, EndpointsVPE:
	case EndpointsPrivate:
		if cfg.PrivateRegion == "" {
			networkOK = false
			c.add("endpoints", "endpoints: private needs privateRegion",
				"set privateRegion: us-south or us-east (IBM documents cloud service endpoints for Resource Controller, "+
					"Resource Manager and User Management only there); a VPC cluster with VPE gateways uses endpoints: vpe instead (README, Private endpoints)")
		}
	default:
		networkOK = false
		c.add("endpoints", fmt.Sprintf("unknown endpoints %q", cfg.Endpoints),
			"use public, private (with privateRegion: us-south or us-east) or vpe (README, Private endpoints)")
	}
	if networkOK {
		if err := cfg.Network().Validate(); err != nil {
			networkOK = false
			c.add("privateRegion", err.Error(), "use us-south or us-east with endpoints: private, and no privateRegion otherwise")
		}
	}
	if a.IAMURL == "" {
		a.IAMURL = DefaultIAMURL
		if networkOK {
			a.IAMURL = cfg.Network().IAMURL()
		}
		return
	}
	if msg := checkIAMURL(a.IAMURL); msg != "" {
		c.add("auth.iamURL", msg, "use https://iam.cloud.ibm.com (or https://private.iam.cloud.ibm.com); plain http only for a loopback emulator")
	}
}

// checkIAMURL returns what is wrong with an IAM URL, or "". The access token
// and the compute-resource token travel to it, so it must be https unless it
// is a loopback address (the emulator).
func checkIAMURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Hostname() == "" {
		return fmt.Sprintf("iamURL %q is not an absolute URL", raw)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Sprintf("iamURL %q must not carry credentials, a query or a fragment", raw)
	}
	switch u.Scheme {
	case "https":
		return ""
	case "http":
		if IsLoopback(u.Hostname()) {
			return ""
		}
		return fmt.Sprintf("iamURL %q uses plain http: tokens would cross the network unencrypted", raw)
	}
	return fmt.Sprintf("iamURL %q must use https", raw)
}

// IsLoopback reports whether host is localhost or a loopback IP address (the
// same rule as sign-in's, internal/ibmcloud).
func IsLoopback(host string) bool { return ibmcloud.IsLoopback(host) }

var hostnameRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$`)

func (c *checker) general(cfg *Config) {
	if cfg.TimeZone == "" {
		cfg.TimeZone = DefaultTimeZone
	}
	loc, err := time.LoadLocation(cfg.TimeZone)
	if err != nil || cfg.TimeZone == "Local" {
		c.add("timeZone", fmt.Sprintf("unknown time zone %q", cfg.TimeZone),
			"use an IANA name such as UTC or Europe/Paris, the same as the CronJob's spec.timeZone")
		loc = time.UTC
	}
	cfg.Location = loc
	if cfg.Schedule != "" {
		s, err := ParseSchedule(cfg.Schedule, loc)
		if err != nil {
			c.add("schedule", err.Error(), "copy the CronJob's spec.schedule, e.g. \"0 * * * *\"")
		}
		cfg.Cron = s
	}
	switch {
	case !c.has("deadline"):
		cfg.Deadline = Duration(DefaultDeadline)
	case cfg.Deadline <= 0:
		c.add("deadline", "deadline must be positive",
			"set it below the Job's activeDeadlineSeconds minus terminationGracePeriodSeconds, e.g. 50m")
	}
	for i, h := range cfg.AllowedHosts {
		if net.ParseIP(h) == nil && !hostnameRE.MatchString(h) {
			c.add(fmt.Sprintf("allowedHosts[%d]", i), fmt.Sprintf("%q is not a host name", h),
				"write the host only, without scheme, port, path or wildcard, e.g. 127.0.0.1")
		}
	}
}

func (c *checker) output(o *Output) {
	if len(o.Formats) == 0 {
		o.Formats = []string{DefaultFormat}
		return
	}
	seen := map[string]bool{}
	for i, f := range o.Formats {
		path := fmt.Sprintf("output.formats[%d]", i)
		switch {
		case !contains(Formats, f):
			c.add(path, fmt.Sprintf("unknown format %q", f), "use one of: "+strings.Join(Formats, ", "))
		case seen[f]:
			c.add(path, fmt.Sprintf("format %q is listed twice", f), "remove the repetition")
		}
		seen[f] = true
	}
}

// reservedNames are files of the output directory a task folder must not
// shadow.
var reservedNames = map[string]bool{"run-summary.json": true}

// taskNameRE keeps names usable as directory names (DIR/<task>/) and log
// values: no slashes, no leading dot.
var taskNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`)

func (c *checker) tasks(cfg *Config, refused map[string]bool) {
	if len(cfg.Tasks) == 0 {
		if !c.has("tasks") {
			c.add("tasks", "no tasks are configured", "add a tasks: list; `trustjob tasks` shows the types")
		} else {
			c.add("tasks", "the tasks list is empty", "add at least one task; `trustjob tasks` shows the types")
		}
		return
	}
	first := map[string]int{}
	for i := range cfg.Tasks {
		t := &cfg.Tasks[i]
		p := fmt.Sprintf("tasks[%d]", i)
		switch {
		case t.Name == "":
			c.add(p+".name", "task name is missing", "add a unique name, e.g. nightly-inventory")
		case !taskNameRE.MatchString(t.Name):
			c.add(p+".name", fmt.Sprintf("task name %q is not allowed", t.Name),
				"use letters, digits, '.', '_' and '-' (up to 63), starting with a letter or digit: it names the output folder")
		case reservedNames[strings.ToLower(t.Name)]:
			c.add(p+".name", fmt.Sprintf("task name %q is reserved: the output directory holds a file of that name", t.Name),
				"choose another name")
		default:
			if j, dup := first[t.Name]; dup {
				c.add(p+".name", fmt.Sprintf("duplicate task name %q (also tasks[%d])", t.Name, j), "give every task a unique name")
			} else {
				first[t.Name] = i
			}
		}
		if t.Schedule != "" {
			s, err := ParseSchedule(t.Schedule, cfg.Location)
			if err != nil {
				c.add(p+".schedule", err.Error(), "use five cron fields, e.g. \"30 2 * * *\", or remove it to run on every run")
			}
			t.Cron = s
		}
		switch {
		case !c.has(p + ".timeout"):
			t.Timeout = Duration(DefaultTaskTimeout)
		case t.Timeout <= 0:
			c.add(p+".timeout", "timeout must be positive", "e.g. 15m")
		}
		if t.FailOn != nil && t.FailOn.Count < 0 {
			c.add(p+".failOn", "failOn must be zero or more", "failOn: 0 fails the run on any finding")
		}
		if t.FailOn != nil && t.FailOn.Severity != "" && !contains(Severities, t.FailOn.Severity) {
			c.add(p+".failOn.severity", fmt.Sprintf("unknown severity %q", t.FailOn.Severity), "use one of: "+strings.Join(Severities, ", "))
		}
		c.taskOptions(t, p, refused)
	}
}

// taskOptions decodes a task's options strictly into its type's options struct
// and positions the type's own validation errors.
func (c *checker) taskOptions(t *Task, p string, refused map[string]bool) {
	if t.Type == "" {
		c.add(p+".type", "task type is missing", "add type:; `trustjob tasks` lists the types")
		return
	}
	if c.types == nil {
		return
	}
	opts, ok := c.types.NewOptions(t.Type)
	if !ok || opts == nil {
		c.add(p+".type", c.types.UnknownTypeMessage(t.Type), "use one of the known types; `trustjob tasks` describes them")
		return
	}
	optPath := p + ".options"
	if c.decode(&t.Options, optPath, opts, refused) > 0 {
		return // validating options that did not decode would only repeat the problem
	}
	t.Opts = opts
	for _, fe := range opts.Validate() {
		path := join(optPath, fe.Path)
		at := Locate(&t.Options, fe.Path)
		if at == nil || at.Line == 0 {
			at = Locate(c.doc, p) // options not written: point at the task
		}
		prob := Problem{File: c.file, Path: path, Message: fe.Message, Fix: fe.Fix}
		if at != nil {
			prob.Line, prob.Column = at.Line, at.Column
		}
		c.probs = append(c.probs, prob)
	}
}
