package inventory

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/trustjob/trustjob/internal/config"
	"github.com/trustjob/trustjob/internal/progress"
)

// Options are the inventory task's `options:`. Every filter is optional; empty
// means "all".
type Options struct {
	// ResourceGroups limits the inventory to these groups, by name or ID.
	ResourceGroups []string `yaml:"resourceGroups"`
	// Services keeps instances of these services (the CRN's service name, e.g.
	// cloud-object-storage, databases-for-postgresql, kms).
	Services []string `yaml:"services"`
	// Regions keeps instances in these regions or locations (e.g. us-south, global).
	Regions []string `yaml:"regions"`
	// States lists these instance states. Empty means active and
	// provisioning; the others (inactive, failed, pending_reclamation,
	// pre_provisioning, removed) are listed only when named. The states are
	// always sent explicitly: IBM's sources disagree on which states the API
	// returns when none is named (fidelity audit F3), so the default is never
	// relied on.
	States []string `yaml:"states"`
	// Types keeps instances of these types (service_instance, composite_instance,
	// container_instance, ...).
	Types []string `yaml:"types"`
	// IncludeTags adds user, service and access tags, read in bulk from Global Search.
	IncludeTags bool `yaml:"includeTags"`
	// IncludeReclamations adds soft-deleted instances (pending_reclamation) with
	// their reclamation and reclaim deadline.
	IncludeReclamations bool `yaml:"includeReclamations"`
	// IncludeCredentials adds a `record: credential` row for every resource
	// key (service credential): its instance, role, service ID and age. The
	// credentials themselves are never read.
	IncludeCredentials bool `yaml:"includeCredentials"`
	// Sources: resource-controller (default), search, or both. Global Search
	// adds every resource it indexes that Resource Controller does not list
	// (VPC infrastructure, clusters, buckets); rows carry source, family and
	// type, and an instance both list is one row, Resource Controller's.
	Sources string `yaml:"sources"`
	// MaxConcurrency caps the requests in flight to each service (default 8,
	// at most 32). On 429s the task goes below it on its own.
	MaxConcurrency int `yaml:"maxConcurrency"`
	// PageSize is the Resource Controller page size (default and maximum 100).
	PageSize int `yaml:"pageSize"`
	// MaxShrinkPercent: when more than this share of the previous run's
	// instances (and at least 50) are gone, the run is not trusted: its
	// report is kept as incomplete and latest.* stays the previous run, so a
	// listing that silently lost part of the account (a missing permission)
	// never becomes the baseline. Default 20; 100 turns the check off.
	MaxShrinkPercent int `yaml:"maxShrinkPercent"`
	// ProgressInterval is how often a progress line (pages, rows, rate,
	// estimate left) is logged; default 10s, 0s for none.
	ProgressInterval config.Duration `yaml:"progressInterval"`
}

const (
	defaultConcurrency = 8
	maxConcurrency     = 32
	maxPageSize        = 100

	SourceResourceController = "resource-controller"
	SourceSearch             = "search"
	SourceBoth               = "both"

	defaultMaxShrinkPercent = 20
	minShrinkInstances      = 50
)

// States the Resource Controller knows.
var knownStates = []string{"active", "provisioning", "inactive", "failed", "pending_reclamation", "pre_provisioning", "removed"}

// NewOptions returns the defaults.
func NewOptions() *Options {
	return &Options{MaxConcurrency: defaultConcurrency, PageSize: maxPageSize, MaxShrinkPercent: defaultMaxShrinkPercent, Sources: SourceResourceController,
		ProgressInterval: config.Duration(progress.DefaultInterval)}
}

// Validate checks every option and returns every problem.
func (o *Options) Validate() []config.FieldError {
	var errs []config.FieldError
	lists := []struct {
		path  string
		items []string
	}{
		{"resourceGroups", o.ResourceGroups}, {"services", o.Services}, {"regions", o.Regions},
		{"states", o.States}, {"types", o.Types},
	}
	for _, l := range lists {
		seen := map[string]bool{}
		for i, v := range l.items {
			p := fmt.Sprintf("%s[%d]", l.path, i)
			switch {
			case strings.TrimSpace(v) == "":
				errs = append(errs, config.FieldError{Path: p, Message: "must not be empty", Fix: "remove the empty entry"})
			case seen[v]:
				errs = append(errs, config.FieldError{Path: p, Message: fmt.Sprintf("%q is listed twice", v), Fix: "remove the duplicate"})
			case l.path == "states" && !slices.Contains(knownStates, v):
				errs = append(errs, config.FieldError{Path: p, Message: fmt.Sprintf("unknown state %q", v),
					Fix: "use one of: " + strings.Join(knownStates, ", ")})
			}
			seen[v] = true
		}
	}
	if o.MaxConcurrency < 1 || o.MaxConcurrency > maxConcurrency {
		errs = append(errs, config.FieldError{Path: "maxConcurrency",
			Message: fmt.Sprintf("must be between 1 and %d, got %d", maxConcurrency, o.MaxConcurrency),
			Fix:     fmt.Sprintf("use the default %d; the task slows down by itself when IBM Cloud answers 429", defaultConcurrency)})
	}
	if o.PageSize < 1 || o.PageSize > maxPageSize {
		errs = append(errs, config.FieldError{Path: "pageSize",
			Message: fmt.Sprintf("must be between 1 and %d, got %d", maxPageSize, o.PageSize),
			Fix:     "use 100, the Resource Controller's maximum"})
	}
	if err := progress.CheckInterval(time.Duration(o.ProgressInterval)); err != nil {
		errs = append(errs, config.FieldError{Path: "progressInterval", Message: err.Error(), Fix: "use the default 10s"})
	}
	switch o.Sources {
	case SourceResourceController, SourceSearch, SourceBoth:
	default:
		errs = append(errs, config.FieldError{Path: "sources", Message: fmt.Sprintf("unknown source %q", o.Sources),
			Fix: "use resource-controller, search or both"})
	}
	if o.MaxShrinkPercent < 1 || o.MaxShrinkPercent > 100 {
		errs = append(errs, config.FieldError{Path: "maxShrinkPercent",
			Message: fmt.Sprintf("must be between 1 and 100, got %d", o.MaxShrinkPercent),
			Fix:     fmt.Sprintf("use the default %d; 100 turns the check off", defaultMaxShrinkPercent)})
	}
	return errs
}

// defaultStates are listed when `states` is empty, each named explicitly.
var defaultStates = []string{"active", "provisioning"}

// passes are the state filters to list with: one listing per state (the API
// takes one state at a time). The first pass is the main one, listed per
// resource group; the others are usually small and listed account-wide.
func (o *Options) passes() []string {
	states := slices.Clone(o.States)
	if len(states) == 0 {
		states = slices.Clone(defaultStates)
	}
	if o.IncludeReclamations && !slices.Contains(states, "pending_reclamation") {
		states = append(states, "pending_reclamation")
	}
	return states
}
