package posture

import (
	"fmt"
	"strings"
	"time"

	"github.com/trustjob/trustjob/internal/config"
	"github.com/trustjob/trustjob/internal/progress"
)

// Readings of CIS 1.16 (publicAccess).
const (
	// PublicAccessStrict fails 1.16 whenever public access is enabled.
	PublicAccessStrict = "strict"
	// PublicAccessCOS fails it only when the Public Access group has a policy
	// reaching Cloud Object Storage (the benchmark's title).
	PublicAccessCOS = "cos-only"
)

// Options configure an iam-posture task.
type Options struct {
	// Waivers switch controls off, each with the reason that lands in the
	// report (and an optional end date after which the control counts again).
	Waivers []Waiver `yaml:"waivers"`
	// UnusedFor is CIS 1.2's window: enabled API keys unused this long fail.
	// Default 180d.
	UnusedFor config.Duration `yaml:"unusedFor"`
	// KeyMaxAge is CIS 1.3's rotation period. Default 90d.
	KeyMaxAge config.Duration `yaml:"keyMaxAge"`
	// InactiveUserFor is CIS 1.17's window: users without login this long
	// must be suspended. Default 90d.
	InactiveUserFor config.Duration `yaml:"inactiveUserFor"`
	// SuspendedStates are the User Management states that count as suspended
	// for 1.17. IBM's docs name "Suspended" but not the API string; default
	// [SUSPENDED].
	SuspendedStates []string `yaml:"suspendedStates"`
	// MaxAdminUsers and MaxAdminServiceIDs are 1.14 and 1.15's limits (CIS
	// gives no number). Defaults 3 and 2.
	MaxAdminUsers      int `yaml:"maxAdminUsers"`
	MaxAdminServiceIDs int `yaml:"maxAdminServiceIDs"`
	// PublicAccess is the reading of 1.16: strict (default: fail when public
	// access is enabled) or cos-only.
	PublicAccess string `yaml:"publicAccess"`
	// OwnerIAMID names the account owner when the trusted profile may not read
	// the account (Account Management); empty reads it.
	OwnerIAMID string `yaml:"ownerIAMID"`
	// EvidenceLimit caps the evidence rows per control; the control's row
	// still counts all of them. Default 200.
	EvidenceLimit int `yaml:"evidenceLimit"`
	// PollInterval and PollMaxInterval pace the report polls.
	PollInterval    config.Duration `yaml:"pollInterval"`
	PollMaxInterval config.Duration `yaml:"pollMaxInterval"`
	// ProgressInterval is how often a progress line (pages, rows, rate,
	// estimate) is logged during the listings; 0s for none. Default 10s.
	ProgressInterval config.Duration `yaml:"progressInterval"`
}

// Waiver switches one control off.
type Waiver struct {
	// Control is the control's number ("1.13") or full id
	// ("CIS-IBM-1.0.0/1.13").
	Control string `yaml:"control"`
	Reason  string `yaml:"reason"`
	// Until (YYYY-MM-DD, optional) ends the waiver: from that day on the
	// control is evaluated again and the report says the waiver expired.
	Until string `yaml:"until"`
}

// NewOptions returns options with their defaults.
func NewOptions() *Options {
	return &Options{ProgressInterval: config.Duration(progress.DefaultInterval),
		UnusedFor:          config.Duration(180 * 24 * time.Hour),
		KeyMaxAge:          config.Duration(90 * 24 * time.Hour),
		InactiveUserFor:    config.Duration(90 * 24 * time.Hour),
		SuspendedStates:    []string{"SUSPENDED"},
		MaxAdminUsers:      3,
		MaxAdminServiceIDs: 2,
		PublicAccess:       PublicAccessStrict,
		EvidenceLimit:      200,
		PollInterval:       config.Duration(5 * time.Second),
		PollMaxInterval:    config.Duration(30 * time.Second),
	}
}

// Validate checks the options without I/O and returns every problem.
func (o *Options) Validate() []config.FieldError {
	var errs []config.FieldError
	add := func(p, msg, fix string) { errs = append(errs, config.FieldError{Path: p, Message: msg, Fix: fix}) }
	seen := map[string]int{}
	for i, w := range o.Waivers {
		p := fmt.Sprintf("waivers[%d]", i)
		c, ok := ControlByID(w.Control)
		switch {
		case strings.TrimSpace(w.Control) == "":
			add(p+".control", "must not be empty", `a control number, e.g. control: "1.13"`)
		case !ok:
			add(p+".control", fmt.Sprintf("unknown control %q", w.Control), "use 1.1 to 1.19 (CIS IBM Cloud Foundations Benchmark section 1)")
		default:
			if j, dup := seen[c.ID]; dup {
				add(p+".control", fmt.Sprintf("control %s is already waived in waivers[%d]", c.ID, j), "waive each control once")
			}
			seen[c.ID] = i
		}
		if strings.TrimSpace(w.Reason) == "" {
			add(p+".reason", "every waiver needs a reason", "say why the control does not apply; it lands in the report")
		}
		if w.Until != "" {
			if _, err := time.Parse(time.DateOnly, w.Until); err != nil {
				add(p+".until", fmt.Sprintf("invalid date %q", w.Until), "use YYYY-MM-DD, e.g. until: 2027-06-30")
			}
		}
	}
	for _, d := range []struct {
		name string
		v    config.Duration
	}{{"unusedFor", o.UnusedFor}, {"keyMaxAge", o.KeyMaxAge}, {"inactiveUserFor", o.InactiveUserFor}} {
		if d.v.D() < 24*time.Hour || d.v.D()%time.Hour != 0 {
			add(d.name, fmt.Sprintf("must be whole hours and at least 1d, got %s", d.v), "e.g. 90d")
		}
	}
	if len(o.SuspendedStates) == 0 {
		add("suspendedStates", "must name at least one state", "e.g. suspendedStates: [SUSPENDED]")
	}
	if o.MaxAdminUsers < 0 {
		add("maxAdminUsers", "must not be negative", "e.g. maxAdminUsers: 3")
	}
	if o.MaxAdminServiceIDs < 0 {
		add("maxAdminServiceIDs", "must not be negative", "e.g. maxAdminServiceIDs: 2")
	}
	if o.PublicAccess != PublicAccessStrict && o.PublicAccess != PublicAccessCOS {
		add("publicAccess", fmt.Sprintf("unknown reading %q", o.PublicAccess), "use strict or cos-only")
	}
	if o.OwnerIAMID != "" && !strings.Contains(o.OwnerIAMID, "-") {
		add("ownerIAMID", fmt.Sprintf("%q is not an iam_id", o.OwnerIAMID), "e.g. IBMid-310000ABCD")
	}
	if o.EvidenceLimit < 1 {
		add("evidenceLimit", "must be at least 1", "e.g. evidenceLimit: 200")
	}
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

// waiver returns the waiver of control id in force at now, and an expired
// one's note.
func (o *Options) waiver(id string, now time.Time) (w Waiver, active bool, expired string) {
	for _, w := range o.Waivers {
		c, ok := ControlByID(w.Control)
		if !ok || c.ID != id {
			continue
		}
		if w.Until != "" {
			end, err := time.Parse(time.DateOnly, w.Until)
			if err == nil && !now.Before(end) {
				return w, false, fmt.Sprintf("waiver expired on %s (%s)", w.Until, w.Reason)
			}
		}
		return w, true, ""
	}
	return Waiver{}, false, ""
}
