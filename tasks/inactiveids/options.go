package inactiveids

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/trustjob/trustjob/internal/config"
	"github.com/trustjob/trustjob/internal/exemption"
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
const DefaultMarker = "trustjob:exempt"

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
}

// Exemptions list identities to leave alone, each with the reason that lands in
// the report.
type Exemptions struct {
	// IDs match an identity's id (ApiKey-..., ServiceId-..., Profile-..., or a
	// user's IBMid-...).
	IDs []IDExemption `yaml:"ids"`
	// IAMIDs match an identity's iam_id; an exempt user or service ID also
	// exempts its API keys.
	IAMIDs []IAMIDExemption `yaml:"iamIDs"`
	// Names match names (and a user's e-mail or login) in full with globs:
	// `*` any run of characters, `/` and spaces included (so "break-glass-*"
	// covers "break-glass-ops/primary"), `?` one character, `[a-z]` and
	// `[^a-z]` classes, `\` escapes (internal/exemption.MatchGlob).
	Names []NameExemption `yaml:"names"`
	// DescriptionMarker exempts API keys, service IDs and trusted profiles
	// whose description contains it. Default "trustjob:exempt"; "none" turns
	// the marker off.
	DescriptionMarker string `yaml:"descriptionMarker"`
}

// IDExemption exempts one identity by id.
type IDExemption struct {
	ID     string `yaml:"id"`
	Reason string `yaml:"reason"`
}

// IAMIDExemption exempts one identity (and its API keys) by iam_id.
type IAMIDExemption struct {
	IAMID  string `yaml:"iamID"`
	Reason string `yaml:"reason"`
}

// NameExemption exempts identities whose name matches a glob.
type NameExemption struct {
	Name   string `yaml:"name"`
	Reason string `yaml:"reason"`
}

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
	return &Options{
		InactiveFor:     config.Duration(30 * 24 * time.Hour),
		Exemptions:      Exemptions{DescriptionMarker: DefaultMarker},
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
	for i, e := range o.Exemptions.IDs {
		p := fmt.Sprintf("exemptions.ids[%d]", i)
		if strings.TrimSpace(e.ID) == "" {
			add(p+".id", "must not be empty", "the identity's id, e.g. ApiKey-... or ServiceId-...")
		}
		if strings.TrimSpace(e.Reason) == "" {
			add(p+".reason", "every exemption needs a reason", "say why it is exempt; it lands in the report")
		}
	}
	for i, e := range o.Exemptions.IAMIDs {
		p := fmt.Sprintf("exemptions.iamIDs[%d]", i)
		if strings.TrimSpace(e.IAMID) == "" {
			add(p+".iamID", "must not be empty", "an iam_id, e.g. iam-ServiceId-... or IBMid-...")
		}
		if strings.TrimSpace(e.Reason) == "" {
			add(p+".reason", "every exemption needs a reason", "say why it is exempt; it lands in the report")
		}
	}
	for i, e := range o.Exemptions.Names {
		p := fmt.Sprintf("exemptions.names[%d]", i)
		if strings.TrimSpace(e.Name) == "" {
			add(p+".name", "must not be empty", `a name or glob, e.g. "backup-*"`)
		} else if err := exemption.CheckGlob(e.Name); err != nil {
			add(p+".name", fmt.Sprintf("invalid glob %q: %v", e.Name, err), `use * (any characters, / included), ?, [a-z] classes and \ to escape`)
		}
		if strings.TrimSpace(e.Reason) == "" {
			add(p+".reason", "every exemption needs a reason", "say why it is exempt; it lands in the report")
		}
	}
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
