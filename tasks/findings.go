package tasks

import (
	"fmt"

	"github.com/trustjob/trustjob/internal/report"
)

// Severity is how much a finding matters, in the scale security tooling
// (OCSF, SIEMs) shares. Ordered: Info < Low < Medium < High < Critical.
type Severity uint8

// Severities, lowest first.
const (
	SeverityInfo Severity = iota
	SeverityLow
	SeverityMedium
	SeverityHigh
	SeverityCritical
	numSeverities
)

var severityNames = [numSeverities]string{"info", "low", "medium", "high", "critical"}

func (s Severity) String() string {
	if s < numSeverities {
		return severityNames[s]
	}
	return fmt.Sprintf("severity(%d)", uint8(s))
}

// ParseSeverity reads a severity name (as in `failOn: {severity: high}`).
func ParseSeverity(name string) (Severity, bool) {
	for i, n := range severityNames {
		if n == name {
			return Severity(i), true
		}
	}
	return 0, false
}

// Status is a finding's verdict.
type Status uint8

// Statuses: Fail is what failOn counts; Manual needs a person to check;
// Error means the check could not be evaluated.
const (
	StatusPass Status = iota
	StatusFail
	StatusManual
	StatusError
	numStatuses
)

var statusNames = [numStatuses]string{"pass", "fail", "manual", "error"}

func (s Status) String() string {
	if s < numStatuses {
		return statusNames[s]
	}
	return fmt.Sprintf("status(%d)", uint8(s))
}

// Finding is what a report row says about compliance: the control it checks
// (e.g. "CIS-IBM-1.0.0/1.2"; empty when none applies), how much it matters and
// the verdict.
type Finding struct {
	Control  string
	Severity Severity
	Status   Status
}

// The finding columns every task that reports findings appends to its
// schema, so formats like OCSF can read any task's findings the same way.
const (
	ColControl  = "control"
	ColSeverity = "severity"
	ColStatus   = "status"
)

// FindingColumns are the finding columns in output order.
var FindingColumns = []string{ColControl, ColSeverity, ColStatus}

// Fill writes the finding into row's finding columns.
func (f Finding) Fill(row report.Row) {
	if f.Control != "" {
		row[ColControl] = f.Control
	}
	row[ColSeverity], row[ColStatus] = f.Severity.String(), f.Status.String()
}

// Findings counts findings by status and severity. The zero value is empty
// and ready to use; it is not safe for concurrent use (tasks count under
// their own lock).
type Findings struct {
	n [numStatuses][numSeverities]int
}

// Add counts f.
func (c *Findings) Add(f Finding) { c.AddN(f, 1) }

// AddN counts n findings like f.
func (c *Findings) AddN(f Finding, n int) {
	if f.Status < numStatuses && f.Severity < numSeverities {
		c.n[f.Status][f.Severity] += n
	}
}

// Failing is the number of failing findings: what failOn compares.
func (c Findings) Failing() int { return c.Count(StatusFail, SeverityInfo) }

// Count is the number of findings with status s and at least severity min,
// e.g. Count(StatusFail, SeverityHigh) for `failOn: {severity: high}`.
func (c Findings) Count(s Status, min Severity) int {
	total := 0
	if s >= numStatuses {
		return 0
	}
	for sev := min; sev < numSeverities; sev++ {
		total += c.n[s][sev]
	}
	return total
}

// BySeverity maps severity names to counts of status s, leaving out zeros.
func (c Findings) BySeverity(s Status) map[string]int {
	out := map[string]int{}
	if s >= numStatuses {
		return out
	}
	for sev, n := range c.n[s] {
		if n > 0 {
			out[Severity(sev).String()] = n
		}
	}
	return out
}
