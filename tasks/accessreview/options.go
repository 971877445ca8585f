package accessreview

import (
	"fmt"
	"slices"

	"github.com/trustjob/trustjob/internal/config"
	"github.com/trustjob/trustjob/internal/iamread"
	"github.com/trustjob/trustjob/internal/progress"
)

var identityKinds = []string{iamread.KindUser, iamread.KindServiceID, iamread.KindProfile}

// Options configure an access-review task.
type Options struct {
	// Identities limits the review to these kinds (user, serviceid, profile).
	// Default all.
	Identities []string `yaml:"identities"`
	// AdminOnly keeps only the rows that give account administration.
	AdminOnly bool `yaml:"adminOnly"`
	// ProfileTrust adds who may assume each trusted profile (one request per
	// profile). Default true.
	ProfileTrust bool `yaml:"profileTrust"`
	// DynamicRules lists each access group's dynamic rules (one request per
	// group) and writes a row per rule and policy: who, by IdP claims, gets
	// the group's access on login. Default true.
	DynamicRules bool `yaml:"dynamicRules"`
	// IncludeNoAccess writes a row for identities with no policy at all, so
	// the review lists every identity. Default true.
	IncludeNoAccess bool `yaml:"includeNoAccess"`
	// ProgressInterval is how often a progress line (pages, rows, rate,
	// estimate) is logged during the listings; 0s for none. Default 10s.
	ProgressInterval config.Duration `yaml:"progressInterval"`
}

// NewOptions returns options with their defaults.
func NewOptions() *Options {
	return &Options{ProgressInterval: config.Duration(progress.DefaultInterval), Identities: slices.Clone(identityKinds), ProfileTrust: true, DynamicRules: true, IncludeNoAccess: true}
}

// Validate checks the options without I/O and returns every problem.
func (o *Options) Validate() []config.FieldError {
	var errs []config.FieldError
	for i, k := range o.Identities {
		if !slices.Contains(identityKinds, k) {
			errs = append(errs, config.FieldError{Path: fmt.Sprintf("identities[%d]", i), Message: fmt.Sprintf("unknown identity kind %q", k), Fix: "use user, serviceid or profile"})
		}
	}
	if len(o.Identities) == 0 {
		errs = append(errs, config.FieldError{Path: "identities", Message: "must name at least one kind", Fix: "e.g. identities: [user, serviceid]"})
	}
	if err := progress.CheckInterval(o.ProgressInterval.D()); err != nil {
		errs = append(errs, config.FieldError{Path: "progressInterval", Message: err.Error(), Fix: "use the default 10s"})
	}
	return errs
}
