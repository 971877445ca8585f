package inactiveids

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/trustjob/trustjob/internal/config"
	"github.com/trustjob/trustjob/internal/exemption"
	"github.com/trustjob/trustjob/internal/progress"
)

// Action names, as written in `actions[].action`.
// A lock stops changes, not authentication: only disable-apikey (and
// remove-from-access-groups, for access) take an unused credential out of use.
const (
	ActionDisableAPIKey    = "disable-apikey"
	ActionLockAPIKey       = "lock-apikey"
	ActionLockServiceID    = "lock-serviceid"
	ActionRemoveFromGroups = "remove-from-access-groups"
)

// DefaultMarker is the default exemption marker looked for in descriptions.
const DefaultMarker = exemption.DefaultMarker

// Options configure an inactive-identities task.
type Options struct {
	// InactiveFor is how long without authentication makes an identity
	// inactive: the report's duration (whole hours). Default 30d.
	InactiveFor config.Duration `yaml:"inactiveFor"`
	// Exemptions are identities never counted as findings nor acted on.
	Exemptions Exemptions `yaml:"exemptions"`
	// Actions are opt-in remediations, each for identities inactive longer
	// than its olderThan.
	Actions []ActionConfig `yaml:"actions"`
	// DryRun (default true) lists what the actions would do and makes no
	// write request. `trustjob run --dry-run` forces it.
	DryRun bool `yaml:"dryRun"`
	// MaxActions is the blast-radius cap: when more actions qualify, none is
	// taken and the task fails. Default 25.
	MaxActions int `yaml:"maxActions"`
	// PollInterval is the first wait between report polls; the wait grows by
	// half each time up to PollMaxInterval, until the task's deadline.
	PollInterval    config.Duration `yaml:"pollInterval"`
	PollMaxInterval config.Duration `yaml:"pollMaxInterval"`
	// ProgressInterval is how often a progress line (pages, rows, rate,
	// estimate) is logged during the listings; 0s for none. Default 10s.
	ProgressInterval config.Duration `yaml:"progressInterval"`
}

// Exemptions list identities to leave alone, each with the reason that lands in
// the report: the exemption rules every acting task shares
// (internal/exemption). Here, ids match an identity's id (ApiKey-...,
// ServiceId-..., Profile-..., or a user's IBMid-...); iamIDs an identity's
// iam_id, and an exempt user or service ID also exempts its API keys (as does
// an ids entry naming a ServiceId-...); names match names, and a user's
// e-mail or login, in full with globs whose `*` spans every character, `/`
// and spaces included; the description marker exempts API keys, service IDs
// and trusted profiles ("none" turns it off).
type Exemptions = exemption.Rules

// The exemption entries, by id, iam_id and name glob.
type (
	IDExemption    = exemption.ByID
	IAMIDExemption = exemption.ByIAMID
	NameExemption  = exemption.ByName
)

// ActionConfig is one remediation.
//
// disable-apikey stops a key from authenticating. lock-apikey and
// lock-serviceid only stop changes and deletion: a locked key or service ID
// still signs in, so a lock is no remediation for an unused credential. Use
// disable-apikey (configured together, keys are disabled before they are
// locked, as IAM refuses any change to a locked key).
type ActionConfig struct {
	Action string `yaml:"action"`
	// OlderThan is the minimum inactivity (since last authentication, or since
	// creation for identities never used) before the action applies.
	OlderThan config.Duration `yaml:"olderThan"`
	// IncludeUserAPIKeys lets disable-apikey and lock-apikey try users' own
	// API keys too. IAM lets only the user manage their own keys, so for a
	// trusted profile these writes are expected to be refused (403); by
	// default the actions apply to service IDs' keys only, and users' keys
	// are reported as skipped-unsafe.
	IncludeUserAPIKeys bool `yaml:"includeUserAPIKeys"`
}

// NewOptions returns options with their defaults.
func NewOptions() *Options {
	return &Options{ProgressInterval: config.Duration(progress.DefaultInterval),
		InactiveFor:     config.Duration(30 * 24 * time.Hour),
		Exemptions:      exemption.Defaults(),
		DryRun:          true,
		MaxActions:      25,
		PollInterval:    config.Duration(5 * time.Second),
		PollMaxInterval: config.Duration(30 * time.Second),
	}
}

// actionKinds says which identity kinds each action applies to.
var actionKinds = map[string][]string{
	ActionDisableAPIKey:    {KindAPIKey},
	ActionLockAPIKey:       {KindAPIKey},
	ActionLockServiceID:    {KindServiceID},
	ActionRemoveFromGroups: {KindUser, KindServiceID, KindProfile},
}

func actionNames() []string {
	names := make([]string, 0, len(actionKinds))
	for n := range actionKinds {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// maxInactiveFor bounds the report duration to something IAM keeps activity for.
const maxInactiveFor = 5 * 366 * 24 * time.Hour

// Validate checks the options without I/O and returns every problem.
func (o *Options) Validate() []config.FieldError {
	var errs []config.FieldError
	add := func(p, msg, fix string) { errs = append(errs, config.FieldError{Path: p, Message: msg, Fix: fix}) }

	switch d := o.InactiveFor.D(); {
	case d < time.Hour:
		add("inactiveFor", fmt.Sprintf("must be at least 1h, got %s", o.InactiveFor), "use e.g. 30d or 90d")
	case d%time.Hour != 0:
		add("inactiveFor", fmt.Sprintf("must be whole hours (the report's duration is in hours), got %s", o.InactiveFor), "use e.g. 720h or 30d")
	case d > maxInactiveFor:
		add("inactiveFor", fmt.Sprintf("must be at most %s, got %s", config.Duration(maxInactiveFor), o.InactiveFor), "use e.g. 365d")
	}
	errs = append(errs, o.Exemptions.Validate("exemptions")...)
	seen := map[string]int{}
	for i, a := range o.Actions {
		p := fmt.Sprintf("actions[%d]", i)
		if _, ok := actionKinds[a.Action]; !ok {
			add(p+".action", fmt.Sprintf("unknown action %q", a.Action), "use one of: "+strings.Join(actionNames(), ", "))
		} else if j, dup := seen[a.Action]; dup {
			add(p+".action", fmt.Sprintf("action %q is already configured in actions[%d]", a.Action, j), "configure each action once")
		} else {
			seen[a.Action] = i
		}
		if a.IncludeUserAPIKeys && a.Action != ActionDisableAPIKey && a.Action != ActionLockAPIKey {
			add(p+".includeUserAPIKeys", fmt.Sprintf("applies to %s and %s only", ActionDisableAPIKey, ActionLockAPIKey), "remove it from this action")
		}
		if a.OlderThan.D() <= 0 {
			add(p+".olderThan", "is required: the minimum inactivity before the action applies", "e.g. olderThan: 180d")
		}
	}
	if len(o.Actions) > 0 && o.MaxActions < 1 {
		add("maxActions", fmt.Sprintf("must be at least 1 when actions are configured, got %d", o.MaxActions), "e.g. maxActions: 25")
	}
	if o.MaxActions < 0 {
		add("maxActions", fmt.Sprintf("must not be negative, got %d", o.MaxActions), "e.g. maxActions: 25")
	}
	if o.PollInterval.D() <= 0 {
		add("pollInterval", "must be positive", "e.g. pollInterval: 5s")
	}
	if o.PollMaxInterval.D() < o.PollInterval.D() {
		add("pollMaxInterval", fmt.Sprintf("must be at least pollInterval (%s), got %s", o.PollInterval, o.PollMaxInterval), "e.g. pollMaxInterval: 30s")
	}
	if err := progress.CheckInterval(o.ProgressInterval.D()); err != nil {
		errs = append(errs, config.FieldError{Path: "progressInterval", Message: err.Error(), Fix: "use the default 10s"})
	}
	return errs
}

// marker is the effective description marker ("" when turned off).
func (o *Options) marker() string {
	if o.Exemptions.DescriptionMarker == "none" {
		return ""
	}
	return o.Exemptions.DescriptionMarker
}

// ReadOnly tells the runner the task asks for a dry run (dryRun: true, the
// default), so its context is marked and writes are refused underneath.
func (o *Options) ReadOnly() bool { return o.DryRun }
