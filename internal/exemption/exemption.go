// Package exemption is the exemption list of the tasks that act on
// identities and policies: ids, iam_ids and name globs, each with the reason
// that lands in the report, and a marker in descriptions. An exempt target is
// reported but never counted as a finding nor acted on.
package exemption

import (
	"fmt"
	"strings"

	"github.com/trustjob/trustjob/internal/config"
)

// DefaultMarker is the default description marker.
const DefaultMarker = "trustjob:exempt"

// Rules are a task's `exemptions:`.
type Rules struct {
	// IDs match a target's id (ApiKey-..., a policy id, ...).
	IDs []ByID `yaml:"ids"`
	// IAMIDs match the iam_id a target belongs to (a key's owner, a policy's
	// subject).
	IAMIDs []ByIAMID `yaml:"iamIDs"`
	// Names match whole names with globs whose `*` spans every character,
	// `/` included (MatchGlob, glob.go).
	Names []ByName `yaml:"names"`
	// DescriptionMarker exempts targets whose description contains it.
	// Default "trustjob:exempt"; "none" turns it off.
	DescriptionMarker string `yaml:"descriptionMarker"`
}

// ByID exempts one target by id.
type ByID struct {
	ID     string `yaml:"id"`
	Reason string `yaml:"reason"`
}

// ByIAMID exempts everything of one identity.
type ByIAMID struct {
	IAMID  string `yaml:"iamID"`
	Reason string `yaml:"reason"`
}

// ByName exempts targets whose name matches a glob.
type ByName struct {
	Name   string `yaml:"name"`
	Reason string `yaml:"reason"`
}

// Defaults returns rules with the default marker.
func Defaults() Rules { return Rules{DescriptionMarker: DefaultMarker} }

// Validate checks the rules; prefix is their path (e.g. "exemptions").
func (r Rules) Validate(prefix string) []config.FieldError {
	var errs []config.FieldError
	add := func(p, msg, fix string) { errs = append(errs, config.FieldError{Path: p, Message: msg, Fix: fix}) }
	reason := func(p, s string) {
		if strings.TrimSpace(s) == "" {
			add(p+".reason", "every exemption needs a reason", "say why it is exempt; it lands in the report")
		}
	}
	for i, e := range r.IDs {
		p := fmt.Sprintf("%s.ids[%d]", prefix, i)
		if strings.TrimSpace(e.ID) == "" {
			add(p+".id", "must not be empty", "the target's id, e.g. ApiKey-... or a policy id")
		}
		reason(p, e.Reason)
	}
	for i, e := range r.IAMIDs {
		p := fmt.Sprintf("%s.iamIDs[%d]", prefix, i)
		if strings.TrimSpace(e.IAMID) == "" {
			add(p+".iamID", "must not be empty", "an iam_id, e.g. iam-ServiceId-... or IBMid-...")
		}
		reason(p, e.Reason)
	}
	for i, e := range r.Names {
		p := fmt.Sprintf("%s.names[%d]", prefix, i)
		if strings.TrimSpace(e.Name) == "" {
			add(p+".name", "must not be empty", `a name or glob, e.g. "backup-*"`)
		} else if err := CheckGlob(e.Name); err != nil {
			add(p+".name", fmt.Sprintf("invalid glob %q: %v", e.Name, err), `use * (any characters, / included), ?, [a-z] classes and \ to escape`)
		}
		reason(p, e.Reason)
	}
	return errs
}

// Target is what the rules are matched against.
type Target struct {
	ID, IAMID, Name, Description string
}

// Match returns why t is exempt, if it is. self is the runner's own iam_id:
// trustjob never acts on the identity it runs as.
func (r Rules) Match(t Target, self string) (string, bool) {
	if self != "" && t.IAMID == self {
		return "the trusted profile trustjob runs as", true
	}
	for _, e := range r.IDs {
		if e.ID == t.ID {
			return e.Reason, true
		}
	}
	for _, e := range r.IAMIDs {
		if e.IAMID == t.IAMID {
			return e.Reason, true
		}
	}
	for _, e := range r.Names {
		if t.Name != "" && MatchGlob(e.Name, t.Name) {
			return e.Reason, true
		}
	}
	if m := r.DescriptionMarker; m != "" && m != "none" && strings.Contains(t.Description, m) {
		return "description contains " + m, true
	}
	return "", false
}
