package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// DefaultKeep is how many time-stamped reports per task are kept without
// output.keep: a month of nightly runs. latest.<ext> is never pruned.
const DefaultKeep = 30

// Keep is output.keep: how many time-stamped reports (complete and
// incomplete) each task keeps, or for how long. The zero value (not set)
// means DefaultKeep.
type Keep struct {
	Count int           // keep the newest Count runs' files
	Age   time.Duration // keep files younger than Age
	All   bool          // never prune
}

// UnmarshalYAML reads a count (30), an age (90d, 720h) or "all".
func (k *Keep) UnmarshalYAML(n *yaml.Node) error {
	bad := func(why string) error {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: output.keep %q %s; use a count (30), an age (90d) or all", n.Line, n.Value, why)}}
	}
	if n.Kind != yaml.ScalarNode {
		return bad("is not a scalar")
	}
	v := strings.TrimSpace(n.Value)
	if strings.EqualFold(v, "all") {
		*k = Keep{All: true}
		return nil
	}
	if c, err := strconv.Atoi(v); err == nil {
		if c < 1 || c > 100000 {
			return bad("must be between 1 and 100000")
		}
		*k = Keep{Count: c}
		return nil
	}
	d, err := ParseDuration(v)
	if err != nil {
		return bad("is not a count, an age or all")
	}
	if d < time.Hour {
		return bad("is shorter than an hour")
	}
	*k = Keep{Age: d}
	return nil
}

// MarshalYAML writes Keep back as it is read.
func (k Keep) MarshalYAML() (any, error) { return k.String(), nil }

// String is "all", the age ("90d") or the count.
func (k Keep) String() string {
	switch {
	case k.All:
		return "all"
	case k.Age > 0:
		return Duration(k.Age).String()
	case k.Count > 0:
		return strconv.Itoa(k.Count)
	}
	return strconv.Itoa(DefaultKeep)
}

// Effective fills in the default.
func (k Keep) Effective() Keep {
	if !k.All && k.Age == 0 && k.Count == 0 {
		return Keep{Count: DefaultKeep}
	}
	return k
}
