// Package config is trustjob's YAML configuration: the schema, strict decoding
// with positions, validation, defaults and environment overrides.
//
// Load returns either a complete, validated *Config or every problem of the
// file at once (Problems), each with file, line, column, field path and a fix.
// Nothing here touches the network.
package config

import (
	"time"

	"github.com/trustjob/trustjob/internal/ibmcloud"

	"github.com/robfig/cron/v3"
	"gopkg.in/yaml.v3"
)

// The values of apiVersion and kind this version of trustjob reads.
const (
	APIVersion = "trustjob/v1"
	Kind       = "Config"
)

// Defaults applied when a key is absent.
const (
	DefaultCRTokenFile    = "/var/run/secrets/tokens/sa-token"
	DefaultIAMURL         = "https://iam.cloud.ibm.com"
	DefaultTaskTimeout    = 15 * time.Minute
	DefaultDeadline       = 50 * time.Minute
	DefaultTimeZone       = "UTC"
	DefaultFormat         = "jsonl"
	EndpointsPublic       = "public"
	EndpointsPrivate      = "private"
	EndpointsVPE          = "vpe"
	DefaultEndpointsValue = EndpointsPublic
)

// Formats lists the report formats output.formats accepts, in documentation order.
var Formats = []string{"jsonl", "json", "csv", "markdown", "html", "ocsf"}

// Config is one validated trustjob configuration with defaults and environment
// overrides applied.
type Config struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Auth       Auth   `yaml:"auth"`
	// Endpoints is "public", "private" (IBM Cloud's regional cloud service
	// endpoints, with PrivateRegion) or "vpe" (the global private hosts behind
	// VPE gateways in the cluster's VPC); see ibmcloud.Hosts.
	Endpoints string `yaml:"endpoints"`
	// PrivateRegion is us-south or us-east with endpoints: private: the only
	// regions IBM documents cloud service endpoints for.
	PrivateRegion string `yaml:"privateRegion"`
	// Schedule is the CronJob's own schedule (5-field cron). It defines the
	// window in which a task's own schedule makes it due; absent, every task
	// runs on every run.
	Schedule string `yaml:"schedule"`
	// TimeZone is the zone both Schedule and the task schedules are read in. It
	// must match the CronJob's spec.timeZone (default UTC).
	TimeZone string `yaml:"timeZone"`
	// Deadline bounds the whole run, sign-in included. Keep it below the Job's
	// activeDeadlineSeconds minus its terminationGracePeriodSeconds, so trustjob
	// stops, flushes partial reports and exits before Kubernetes kills it.
	Deadline Duration `yaml:"deadline"`
	// AllowedHosts are extra host names (besides IBM Cloud's own) the IAM
	// access token may be sent to, e.g. 127.0.0.1 for the emulator or a
	// service endpoint override. Exact names, no wildcards, no ports.
	AllowedHosts []string `yaml:"allowedHosts"`
	Output       Output   `yaml:"output"`
	// Notify says who is told how a run went (docs/delivery.md).
	Notify Notify `yaml:"notify"`
	Tasks  []Task `yaml:"tasks"`
	// Metrics says where the run's metrics go (metrics.go).
	Metrics Metrics `yaml:"metrics"`
	// Targets are other accounts to run the tasks in, each through its own
	// trusted profile (targets.go, docs/enterprise.md); ParallelTargets is
	// how many run at once in one pod.
	Targets         []Target    `yaml:"targets"`
	ParallelTargets int         `yaml:"parallelTargets"`
	Enterprise      *Enterprise `yaml:"enterprise"`

	// File is the path the configuration was read from.
	File string `yaml:"-"`
	// Location is TimeZone loaded.
	Location *time.Location `yaml:"-"`
	// Cron is Schedule parsed (in Location); nil without a schedule.
	Cron cron.Schedule `yaml:"-"`
}

// Auth selects the trusted profile and how the compute-resource token is found.
type Auth struct {
	ProfileName string `yaml:"profileName"`
	ProfileID   string `yaml:"profileID"`
	CRTokenFile string `yaml:"crTokenFile"`
	IAMURL      string `yaml:"iamURL"`
	// ComputeResource is where trustjob runs, which decides how it signs in
	// (runtime.go): kubernetes (default), code-engine or vpc.
	ComputeResource string `yaml:"computeResource"`
	// ProfileCRN names the profile by CRN (vpc only).
	ProfileCRN string `yaml:"profileCRN"`
	// MetadataURL is the VPC instance metadata service (vpc only).
	MetadataURL string `yaml:"metadataURL"`
}

// Output says where reports go.
type Output struct {
	// Dir receives DIR/<task>/<timestamp>.<format>, latest.<format> and
	// run-summary.json. Empty: rows go to stdout only.
	Dir     string   `yaml:"dir"`
	Formats []string `yaml:"formats"`
	// COS, when set, also writes every report to a Cloud Object Storage
	// bucket (docs/delivery.md).
	COS *COS `yaml:"cos"`
	// Keep prunes each task's time-stamped reports after a run: a count
	// ("keep: 30", the default), an age ("keep: 90d") or "all".
	Keep Keep `yaml:"keep"`
}

// Task is one configured task instance.
type Task struct {
	Name string `yaml:"name"`
	Type string `yaml:"type"`
	// Schedule is optional; without one the task runs on every run.
	Schedule string   `yaml:"schedule"`
	Timeout  Duration `yaml:"timeout"`
	// FailOn, when set, makes the run exit 3 when the task's failing findings
	// (of at least FailOn.Severity, when set) exceed FailOn.Count.
	FailOn *FailOn `yaml:"failOn"`
	// Options is the raw `options:` node, decoded strictly into Opts.
	Options yaml.Node `yaml:"options"`

	// Opts is Options decoded into the task type's options struct and validated.
	Opts TaskOptions `yaml:"-"`
	// Cron is Schedule parsed (in the config's Location); nil without a schedule.
	Cron cron.Schedule `yaml:"-"`
}

// TaskOptions is a task type's typed options (tasks.Options has the same
// method set; it is repeated here so that config does not import tasks).
type TaskOptions interface {
	Validate() []FieldError
}

// TaskTypes is what the loader needs from the task registry: fresh options for
// a type, and a message for an unknown type. *tasks.Registry satisfies it.
type TaskTypes interface {
	NewOptions(typ string) (TaskOptions, bool)
	UnknownTypeMessage(typ string) string
}

// TaskByName returns the configured task called name.
func (c *Config) TaskByName(name string) (*Task, bool) {
	for i := range c.Tasks {
		if c.Tasks[i].Name == name {
			return &c.Tasks[i], true
		}
	}
	return nil, false
}

// TaskNames lists the configured task names in file order.
func (c *Config) TaskNames() []string {
	names := make([]string, len(c.Tasks))
	for i, t := range c.Tasks {
		names[i] = t.Name
	}
	return names
}

// Private reports whether IBM Cloud private endpoints (CSE or VPE) are selected.
func (c *Config) Private() bool {
	return c.Endpoints == EndpointsPrivate || c.Endpoints == EndpointsVPE
}

// Network is the endpoint choice for internal/ibmcloud.
func (c *Config) Network() ibmcloud.Network {
	return ibmcloud.Network{Mode: c.Endpoints, Region: c.PrivateRegion}
}
