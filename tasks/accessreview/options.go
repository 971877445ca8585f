package accessreview

import (
	"fmt"
	"slices"

	"github.com/trustjob/trustjob/internal/config"
	"github.com/trustjob/trustjob/internal/iamread"
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
}

// NewOptions returns options with their defaults.
func NewOptions() *Options {
	return &Options{Identities: slices.Clone(identityKinds), ProfileTrust: true, DynamicRules: true, IncludeNoAccess: true}
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
	return errs
}
