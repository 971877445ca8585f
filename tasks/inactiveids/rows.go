package inactiveids

import (
	"time"

	"github.com/trustjob/trustjob/internal/action"
	"github.com/trustjob/trustjob/internal/config"
	"github.com/trustjob/trustjob/internal/report"
	"github.com/trustjob/trustjob/tasks"
)

// Columns, declared once: rows are built with these names only.
const (
	colRecord       = "record" // RecordIdentity or RecordAction
	colKind         = "kind"
	colID           = "id"
	colIAMID        = "iam_id"
	colName         = "name"
	colOwner        = "owner"
	colCreatedAt    = "created_at"
	colLastAuthn    = "last_authn"
	colNeverUsed    = "never_used"
	colInactiveDays = "inactive_days"
	colLocked       = "locked"
	colDisabled     = "disabled"
	colExempt       = "exempt"
	colExemptReason = "exempt_reason"
	colAction       = "action"
	colResult       = "result" // an action.Result
	colDetail       = "detail"
)

// columns is the report's schema, in output order; identity rows also carry
// the finding columns (control, severity, status).
var columns = append([]string{
	colRecord, colKind, colID, colIAMID, colName, colOwner, colCreatedAt, colLastAuthn, colNeverUsed,
	colInactiveDays, colLocked, colDisabled, colExempt, colExemptReason, colAction, colResult, colDetail,
}, tasks.FindingColumns...)

// Record kinds of the report's rows.
const (
	RecordIdentity = "identity"
	RecordAction   = "action"
)

// finding is what an inactive identity means for compliance. CIS IBM Cloud
// Foundations Benchmark 1.2 asks for API keys unused for 180 days to be
// detected, 1.17 for inactive users to be suspended; an exempt identity passes.
func finding(id *identity) tasks.Finding {
	f := tasks.Finding{Status: tasks.StatusFail, Severity: tasks.SeverityLow}
	switch id.kind {
	case KindAPIKey:
		f.Control, f.Severity = "CIS-IBM-1.0.0/1.2", tasks.SeverityMedium
	case KindUser:
		f.Control, f.Severity = "CIS-IBM-1.0.0/1.17", tasks.SeverityMedium
	}
	if id.exempt {
		f.Status = tasks.StatusPass
	}
	return f
}

func fmtTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// identityFields are the columns an identity fills, on its own row and on the
// rows of actions about it.
func identityFields(id *identity, now time.Time, window time.Duration) report.Row {
	r := report.Row{
		colKind: id.kind, colID: id.id, colIAMID: id.iamID, colName: id.name, colOwner: id.owner,
		colNeverUsed: id.neverUsed(), colExempt: id.exempt, colExemptReason: id.exemptReason,
	}
	if !id.created.IsZero() {
		r[colCreatedAt] = fmtTime(id.created)
	}
	r[colLastAuthn] = ""
	if id.lastAuthn != nil {
		r[colLastAuthn] = fmtTime(*id.lastAuthn)
	}
	if _, ok := id.inactiveSince(); ok {
		r[colInactiveDays] = int(id.inactiveFor(now, window) / (24 * time.Hour))
	}
	if id.locked != nil {
		r[colLocked] = *id.locked
	}
	if id.disabled != nil {
		r[colDisabled] = *id.disabled
	}
	return r
}

func identityRow(id *identity, now time.Time, window time.Duration) report.Row {
	r := identityFields(id, now, window)
	r[colRecord] = RecordIdentity
	finding(id).Fill(r)
	return r
}

func actionRow(s *action.Step, now time.Time, window time.Duration) report.Row {
	r := identityFields(s.Ref.(*identity), now, window)
	r[colRecord], r[colAction], r[colResult], r[colDetail] = RecordAction, s.Action, string(s.Result), s.Detail
	return r
}

// summary accumulates the task's totals.
type summary struct {
	reference string
	polls     int
	recreated bool
	window    time.Duration
	dryRun    bool

	inactive, neverUsed map[string]int
	unknownLastAuthn    int // last_authn present but unreadable
	duplicates          int // report entries dropped as repeats
	exempt              int
	findings            tasks.Findings
	oldest              *time.Time
	oldestID            string

	actions   map[action.Result]int
	qualified int
	overCap   bool
	complete  bool
}

func (s *summary) addIdentity(id *identity, now time.Time) {
	if s.inactive == nil {
		s.inactive, s.neverUsed = map[string]int{}, map[string]int{}
	}
	s.inactive[id.kind]++
	switch {
	case id.lastAuthnRaw != "":
		s.unknownLastAuthn++
	case id.lastAuthn == nil:
		s.neverUsed[id.kind]++
	case s.oldest == nil || id.lastAuthn.Before(*s.oldest):
		s.oldest, s.oldestID = id.lastAuthn, id.kind+" "+id.id
	}
	if id.exempt {
		s.exempt++
	}
	s.findings.Add(finding(id))
}

func (s *summary) addOutcome(o action.Outcome) {
	s.qualified, s.overCap, s.actions = o.Qualified, o.OverCap, o.Counts
}

// render is the summary written with the report; the runner adds "findings"
// (the non-exempt inactive identities, which failOn compares) from Result.
func (s *summary) render() report.Summary {
	a := s.actions
	out := report.Summary{
		"report_reference": s.reference, "report_polls": s.polls, "report_recreated": s.recreated,
		"inactive_for": config.Duration(s.window).String(), "dry_run": s.dryRun,
		"exempt": s.exempt, "complete": s.complete,
		"actions_planned": s.qualified, "actions_taken": a[action.Done], "actions_would_do": a[action.WouldDo],
		"actions_skipped":        a[action.SkippedAlready] + a[action.SkippedExempt] + a[action.SkippedGrace] + a[action.SkippedUnsafe],
		"actions_skipped_unsafe": a[action.SkippedUnsafe],
		"unknown_last_authn":     s.unknownLastAuthn, "report_duplicates": s.duplicates,
		"actions_blocked": a[action.Blocked], "actions_failed": a[action.Failed], "actions_unknown": a[action.Unknown],
		"actions_over_cap": s.overCap,
	}
	for _, k := range []string{KindUser, KindAPIKey, KindServiceID, KindProfile} {
		out["inactive_"+k+"s"] = s.inactive[k]
		out["never_used_"+k+"s"] = s.neverUsed[k]
	}
	if s.oldest != nil {
		out["oldest_last_authn"], out["oldest_last_authn_identity"] = fmtTime(*s.oldest), s.oldestID
	}
	return out
}
