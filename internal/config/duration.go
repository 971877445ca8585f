package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Duration is a time.Duration written in YAML as Go durations ("90s", "15m",
// "2h30m") or whole days ("90d"), the unit admins think in for inactivity.
type Duration time.Duration

// MaxDays bounds every duration: ten years is longer than any inactivity
// threshold, retention or timeout means, and far from time.Duration's
// overflow (about 106,751 days), which once turned 213504d into 25m26s.
const MaxDays = 3650

// ParseDuration accepts Go durations and a whole number of days with suffix
// "d", up to MaxDays.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	const limit = MaxDays * 24 * time.Hour
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("invalid duration %q: days must be a whole number, e.g. 90d", s)
		}
		if n > MaxDays {
			return 0, fmt.Errorf("invalid duration %q: at most %dd (ten years)", s, MaxDays)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q: use e.g. 30s, 15m, 2h or 90d", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("invalid duration %q: must not be negative", s)
	}
	if d > limit {
		return 0, fmt.Errorf("invalid duration %q: at most %dd (ten years)", s, MaxDays)
	}
	return d, nil
}

// UnmarshalYAML implements yaml.Unmarshaler.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: a duration must be a string such as 15m or 90d", n.Line)}}
	}
	v, err := ParseDuration(n.Value)
	if err != nil {
		// A TypeError (not a plain error) lets yaml.v3 keep decoding and report
		// the other problems of the same file in one pass.
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %v", n.Line, err)}}
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration back in the shortest readable form.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// String renders whole days as "Nd" and anything else as a Go duration.
func (d Duration) String() string {
	td := time.Duration(d)
	if td > 0 && td%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", td/(24*time.Hour))
	}
	return td.String()
}

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// Severities are the finding severities failOn names, lowest first (the same
// scale as tasks.Severity).
var Severities = []string{"info", "low", "medium", "high", "critical"}

// FailOn makes a run exit 3 when a task has more failing findings than Count:
// all of them, or with Severity set only those of that severity or higher.
// YAML: `failOn: 0`, or `failOn: {severity: high, count: 0}`.
type FailOn struct {
	Count    int    `yaml:"count"`
	Severity string `yaml:"severity"`
}

// UnmarshalYAML accepts a number or a mapping.
func (f *FailOn) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		c, err := strconv.Atoi(n.Value)
		if err != nil {
			return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: failOn must be a number or {severity: high, count: 0}, got %q", n.Line, n.Value)}}
		}
		*f = FailOn{Count: c}
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: failOn must be a number or {severity: high, count: 0}", n.Line)}}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; k.Value != "count" && k.Value != "severity" {
			return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: failOn: unknown field %q (use severity and count)", k.Line, k.Value)}}
		}
	}
	type plain FailOn
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	*f = FailOn(p)
	return nil
}
