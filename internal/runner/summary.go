package runner

import (
	"sort"
	"time"

	"github.com/trustjob/trustjob/internal/exitcode"
	"github.com/trustjob/trustjob/internal/report"
)

// SummaryFile is the run summary's name in the output directory.
const SummaryFile = "run-summary.json"

// TaskResult is one task's outcome, as written in run-summary.json.
type TaskResult struct {
	Name     string    `json:"name"`
	Type     string    `json:"type"`
	Status   Status    `json:"status"`
	Reason   string    `json:"reason,omitempty"` // why a task was skipped
	Started  time.Time `json:"started,omitzero"`
	Duration string    `json:"duration,omitempty"`
	// DurationMS is Duration in milliseconds, for machines.
	DurationMS int64 `json:"duration_ms"`
	Rows       int64 `json:"rows"`
	Complete   bool  `json:"complete"`
	// Findings is the task's failing findings (what failOn compares);
	// FindingsBySeverity splits them by severity.
	Findings           *int64         `json:"findings,omitempty"`
	FindingsBySeverity map[string]int `json:"findings_by_severity,omitempty"`
	FailOn             *int           `json:"fail_on,omitempty"`
	// FailOnSeverity, when set, is the lowest severity failOn counts, and
	// FailOnFindings how many failing findings had it or a higher one.
	FailOnSeverity string `json:"fail_on_severity,omitempty"`
	FailOnFindings *int64 `json:"fail_on_findings,omitempty"`
	// FailOnExceeded is true when the counted findings exceed FailOn (exit 3).
	FailOnExceeded bool `json:"fail_on_exceeded,omitempty"`
	// Error is the failure, redacted of anything that looks like a token.
	Error string `json:"error,omitempty"`
	// PermissionDenied is true when the failure is a 401/403 from IBM Cloud.
	PermissionDenied bool `json:"permission_denied,omitempty"`
	// Requests counts the HTTP requests the task sent, per IBM Cloud service
	// (the run's Requests add sign-in and report delivery); Retries how many
	// of them repeated a failed attempt; Throttles the 429 answers.
	Requests  map[string]int64 `json:"requests,omitempty"`
	Retries   int64            `json:"retries,omitempty"`
	Throttles int64            `json:"throttles,omitempty"`
	Files     []string         `json:"files,omitempty"`
	Summary   report.Summary   `json:"summary,omitempty"`
}

func (r *TaskResult) setDuration(d time.Duration) {
	r.Duration = d.Round(time.Millisecond).String()
	r.DurationMS = d.Milliseconds()
}

// Profile names the trusted profile the run signed in as.
type Profile struct {
	Name  string `json:"name,omitempty"`
	ID    string `json:"id,omitempty"`
	IAMID string `json:"iam_id,omitempty"`
}

// Summary is run-summary.json: what ran, how it ended, what it cost.
type Summary struct {
	RunID    string    `json:"run_id"`
	Version  string    `json:"version"`
	Account  string    `json:"account,omitempty"`
	Profile  Profile   `json:"profile"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	Duration string    `json:"duration"`
	// DurationMS is Duration in milliseconds, for machines.
	DurationMS int64 `json:"duration_ms"`
	DryRun     bool  `json:"dry_run"`
	// Status is "succeeded", "failed", "permission-denied" or "findings",
	// matching ExitCode.
	Status   string `json:"status"`
	ExitCode int    `json:"exit_code"`
	// Hint says how to fix a run that failed before any task ran.
	Hint     string         `json:"hint,omitempty"`
	Statuses map[Status]int `json:"statuses"`
	Tasks    []TaskResult   `json:"tasks"`
	// Requests counts HTTP requests per IBM Cloud service.
	Requests       map[string]int64 `json:"requests"`
	TokenExchanges int64            `json:"token_exchanges"`
	// Delivery is output.cos and notify (nil when neither is configured).
	Delivery *Delivery `json:"delivery,omitempty"`
	// Error says why no task ran (invalid configuration, sign-in), redacted.
	Error string `json:"error,omitempty"`
}

func (p *Plan) summary(results []TaskResult, started, finished time.Time) Summary {
	s := Summary{
		RunID: p.RunID, Version: p.Version, Account: p.Identity.Account,
		Profile:  Profile{Name: p.Identity.ProfileName, ID: p.Identity.ProfileID, IAMID: p.Identity.ProfileIAMID},
		Started:  started.UTC(),
		Finished: finished.UTC(),
		DryRun:   p.DryRun,
		Statuses: map[Status]int{},
		Tasks:    results,
		Requests: map[string]int64{},
	}
	if s.Tasks == nil {
		s.Tasks = []TaskResult{}
	}
	d := finished.Sub(started)
	s.Duration, s.DurationMS = d.Round(time.Millisecond).String(), d.Milliseconds()
	for _, r := range results {
		s.Statuses[r.Status]++
	}
	if p.Clients != nil && p.Clients.Requests != nil {
		s.Requests = p.Clients.Requests.Snapshot()
	}
	if p.TokenExchanges != nil {
		s.TokenExchanges = p.TokenExchanges()
	}
	s.ExitCode = ExitCode(results)
	s.Status = statusWord(s.ExitCode)
	return s
}

func statusWord(code int) string {
	switch code {
	case exitcode.OK:
		return "succeeded"
	case exitcode.NoPerm:
		return "permission-denied"
	case exitcode.Findings:
		return "findings"
	}
	return "failed"
}

func sortedKeys(m map[string]int64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
