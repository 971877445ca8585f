package inactiveids

import (
	"time"

	"github.com/trustjob/trustjob/internal/config"
	"github.com/trustjob/trustjob/internal/report"
)

func fmtTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// identityFields are the columns an identity fills, on its own row and on the
// rows of actions about it.
func identityFields(id *identity, now time.Time, window time.Duration) report.Row {
	r := report.Row{
		"kind": id.kind, "id": id.id, "iam_id": id.iamID, "name": id.name, "owner": id.owner,
		"never_used": id.lastAuthn == nil, "exempt": id.exempt, "exempt_reason": id.exemptReason,
	}
	if !id.created.IsZero() {
		r["created_at"] = fmtTime(id.created)
	}
	r["last_authn"] = ""
	if id.lastAuthn != nil {
		r["last_authn"] = fmtTime(*id.lastAuthn)
	}
	if _, ok := id.inactiveSince(); ok {
		r["inactive_days"] = int(id.inactiveFor(now, window) / (24 * time.Hour))
	}
	if id.locked != nil {
		r["locked"] = *id.locked
	}
	if id.disabled != nil {
		r["disabled"] = *id.disabled
	}
	return r
}

func identityRow(id *identity, now time.Time, window time.Duration) report.Row {
	r := identityFields(id, now, window)
	r["record"] = RecordIdentity
	return r
}

func actionRow(s *step, now time.Time, window time.Duration) report.Row {
	r := identityFields(s.id, now, window)
	r["record"], r["action"], r["result"], r["detail"] = RecordAction, s.action, s.result, s.detail
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
	exempt, findings    int
	oldest              *time.Time
	oldestID            string

	qualified, taken, wouldDo int
	skipped, blocked, failed  int
	overCap, complete         bool
}

func (s *summary) addIdentity(id *identity, now time.Time) {
	if s.inactive == nil {
		s.inactive, s.neverUsed = map[string]int{}, map[string]int{}
	}
	s.inactive[id.kind]++
	if id.lastAuthn == nil {
		s.neverUsed[id.kind]++
	} else if s.oldest == nil || id.lastAuthn.Before(*s.oldest) {
		s.oldest, s.oldestID = id.lastAuthn, id.kind+" "+id.id
	}
	if id.exempt {
		s.exempt++
	} else {
		s.findings++
	}
}

func (s *summary) addOutcome(o outcome) {
	s.qualified, s.overCap = o.qualified, o.overCap
	for _, st := range o.steps {
		switch st.result {
		case ResultDone:
			s.taken++
		case ResultWouldDo:
			s.wouldDo++
		case ResultSkippedAlready, ResultSkippedExempt:
			s.skipped++
		case ResultBlocked:
			s.blocked++
		case ResultFailed:
			s.failed++
		}
	}
}

// render is the summary written with the report. "findings" counts the
// non-exempt inactive identities, which a failOn threshold compares against.
func (s *summary) render() report.Summary {
	out := report.Summary{
		"report_reference": s.reference, "report_polls": s.polls, "report_recreated": s.recreated,
		"inactive_for": config.Duration(s.window).String(), "dry_run": s.dryRun,
		"findings": s.findings, "exempt": s.exempt, "complete": s.complete,
		"actions_planned": s.qualified, "actions_taken": s.taken, "actions_would_do": s.wouldDo,
		"actions_skipped": s.skipped, "actions_blocked": s.blocked, "actions_failed": s.failed,
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
