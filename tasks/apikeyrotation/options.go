package apikeyrotation

import (
	"fmt"
	"time"

	"github.com/trustjob/trustjob/internal/config"
	"github.com/trustjob/trustjob/internal/exemption"
	"github.com/trustjob/trustjob/internal/progress"
	"github.com/trustjob/trustjob/tasks"
)

// ActionDisable disables keys past maxAge once they have been reported for
// grace (reversible: EnableAPIKey undoes it).
const ActionDisable = "disable-apikey"

// Options configure an apikey-rotation task.
type Options struct {
	// MaxAge is the rotation period: enabled keys created longer ago are
	// findings (CIS 1.3). Default 90d.
	MaxAge config.Duration `yaml:"maxAge"`
	// LastUse reads IAM's activity report for when each old key was last
	// used (one report, not a request per key). Default true.
	LastUse bool `yaml:"lastUse"`
	// ResolveOwners names each old key's owner (a user's login, a service ID's
	// name) from one listing of users and of service IDs. Default true.
	ResolveOwners bool `yaml:"resolveOwners"`
	// Exemptions are keys never counted nor acted on.
	Exemptions exemption.Rules `yaml:"exemptions"`
	// Actions: [disable-apikey], opt-in.
	Actions []string `yaml:"actions"`
	// Grace holds an action back until the key has been reported for this
	// long (first_seen, carried from the previous report). Default 14d.
	Grace config.Duration `yaml:"grace"`
	// DryRun (default true) reports what would be done and sends no write.
	DryRun bool `yaml:"dryRun"`
	// MaxActions caps the keys disabled in one run (default 25); MaxPercent,
	// when positive, also caps them at this share of the account's keys.
	MaxActions int     `yaml:"maxActions"`
	MaxPercent float64 `yaml:"maxPercent"`
	// IncludeUserAPIKeys lets the action try users' own keys too. IAM lets
	// only the user manage their own API keys (the emulator refuses a trusted
	// profile's writes to them), so by default only service IDs' keys are
	// disabled: the same rule, and the same option, as inactive-identities.
	IncludeUserAPIKeys bool `yaml:"includeUserAPIKeys"`
	// PollInterval and PollMaxInterval pace the activity report's polls.
	PollInterval    config.Duration `yaml:"pollInterval"`
	PollMaxInterval config.Duration `yaml:"pollMaxInterval"`
	// ProgressInterval is how often a progress line (pages, rows, rate,
	// estimate) is logged during the listings; 0s for none. Default 10s.
	ProgressInterval config.Duration `yaml:"progressInterval"`
}

// NewOptions returns options with their defaults.
func NewOptions() *Options {
	return &Options{ProgressInterval: config.Duration(progress.DefaultInterval),
		MaxAge: config.Duration(90 * 24 * time.Hour), LastUse: true, ResolveOwners: true, Exemptions: exemption.Defaults(),
		Grace: config.Duration(14 * 24 * time.Hour), DryRun: true, MaxActions: 25,
		PollInterval: config.Duration(5 * time.Second), PollMaxInterval: config.Duration(30 * time.Second),
	}
}

// Validate checks the options without I/O and returns every problem.
func (o *Options) Validate() []config.FieldError {
	var errs []config.FieldError
	add := func(p, msg, fix string) { errs = append(errs, config.FieldError{Path: p, Message: msg, Fix: fix}) }
	if d := o.MaxAge.D(); d < 24*time.Hour || d%time.Hour != 0 {
		add("maxAge", fmt.Sprintf("must be whole hours and at least 1d, got %s", o.MaxAge), "e.g. maxAge: 90d")
	}
	errs = append(errs, o.Exemptions.Validate("exemptions")...)
	errs = append(errs, tasks.ActingOptions{Actions: o.Actions, Grace: o.Grace, MaxActions: o.MaxActions, MaxPercent: o.MaxPercent}.Validate(ActionDisable)...)
	if o.PollInterval.D() <= 0 {
		add("pollInterval", "must be positive", "e.g. pollInterval: 5s")
	}
	if o.PollMaxInterval.D() < o.PollInterval.D() {
		add("pollMaxInterval", fmt.Sprintf("must be at least pollInterval (%s)", o.PollInterval), "e.g. pollMaxInterval: 30s")
	}
	if err := progress.CheckInterval(o.ProgressInterval.D()); err != nil {
		errs = append(errs, config.FieldError{Path: "progressInterval", Message: err.Error(), Fix: "use the default 10s"})
	}
	return errs
}

// ReadOnly lets the runner mark a dry-run task's context.
func (o *Options) ReadOnly() bool { return o.DryRun }
