package unusedpolicies

import (
	"fmt"
	"slices"
	"time"

	"github.com/trustjob/trustjob/internal/config"
	"github.com/trustjob/trustjob/internal/exemption"
	"github.com/trustjob/trustjob/internal/iamread"
	"github.com/trustjob/trustjob/internal/progress"
	"github.com/trustjob/trustjob/tasks"
)

// ActionRemove deletes a direct policy of a user or service ID.
const ActionRemove = "remove-policy"

// Subject kinds, as written in `subjects:` and the report.
var subjectKinds = []string{iamread.KindUser, iamread.KindServiceID, iamread.KindProfile, iamread.KindGroup}

// Options configure an unused-policies task.
type Options struct {
	// UnusedFor: a policy that has not permitted a request for this long (or
	// never, and older than this) is unused. Default 90d.
	UnusedFor config.Duration `yaml:"unusedFor"`
	// Subjects limits the report to policies of these subject kinds (user,
	// serviceid, profile, accessgroup). Default all.
	Subjects []string `yaml:"subjects"`
	// Exemptions: policies (by id, or by subject iam_id) never counted nor
	// removed.
	Exemptions exemption.Rules `yaml:"exemptions"`
	// Actions: [remove-policy], opt-in; only direct policies of users and
	// service IDs are ever removed.
	Actions []string `yaml:"actions"`
	// Grace holds a removal back until the policy has been reported for this
	// long (first_seen from the previous report). Default 14d.
	Grace config.Duration `yaml:"grace"`
	// DryRun (default true) reports what would be removed and sends no write.
	DryRun bool `yaml:"dryRun"`
	// MaxActions caps removals per run (default 25); MaxPercent, when
	// positive, caps them at this share of the direct policies listed.
	MaxActions int     `yaml:"maxActions"`
	MaxPercent float64 `yaml:"maxPercent"`
	// ProgressInterval is how often a progress line (pages, rows, rate,
	// estimate) is logged during the listings; 0s for none. Default 10s.
	ProgressInterval config.Duration `yaml:"progressInterval"`
}

// NewOptions returns options with their defaults.
func NewOptions() *Options {
	return &Options{ProgressInterval: config.Duration(progress.DefaultInterval), UnusedFor: config.Duration(90 * 24 * time.Hour), Subjects: slices.Clone(subjectKinds),
		Exemptions: exemption.Defaults(), Grace: config.Duration(14 * 24 * time.Hour), DryRun: true, MaxActions: 25}
}

// Validate checks the options without I/O and returns every problem.
func (o *Options) Validate() []config.FieldError {
	var errs []config.FieldError
	add := func(p, msg, fix string) { errs = append(errs, config.FieldError{Path: p, Message: msg, Fix: fix}) }
	if o.UnusedFor.D() < 24*time.Hour {
		add("unusedFor", fmt.Sprintf("must be at least 1d, got %s", o.UnusedFor), "e.g. unusedFor: 90d")
	}
	for i, s := range o.Subjects {
		if !slices.Contains(subjectKinds, s) {
			add(fmt.Sprintf("subjects[%d]", i), fmt.Sprintf("unknown subject kind %q", s), "use user, serviceid, profile or accessgroup")
		}
	}
	if len(o.Subjects) == 0 {
		add("subjects", "must name at least one subject kind", "e.g. subjects: [user, serviceid]")
	}
	errs = append(errs, o.Exemptions.Validate("exemptions")...)
	errs = append(errs, tasks.ActingOptions{Actions: o.Actions, Grace: o.Grace, MaxActions: o.MaxActions, MaxPercent: o.MaxPercent}.Validate(ActionRemove)...)
	if err := progress.CheckInterval(o.ProgressInterval.D()); err != nil {
		errs = append(errs, config.FieldError{Path: "progressInterval", Message: err.Error(), Fix: "use the default 10s"})
	}
	return errs
}

// ReadOnly lets the runner mark a dry-run task's context.
func (o *Options) ReadOnly() bool { return o.DryRun }
