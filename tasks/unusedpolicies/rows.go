package unusedpolicies

import (
	"strings"
	"time"

	"github.com/trustjob/trustjob/internal/action"
	"github.com/trustjob/trustjob/internal/firstseen"
	"github.com/trustjob/trustjob/internal/iamread"
	"github.com/trustjob/trustjob/internal/report"
	"github.com/trustjob/trustjob/tasks"
)

// Columns, declared once.
const (
	colRecord     = "record" // recordPolicy or recordAction
	colID         = "id"
	colKind       = "kind" // the subject's kind
	colSubject    = "subject"
	colRoles      = "roles"
	colResource   = "resource"
	colCreatedAt  = "created_at"
	colLastPermit = "last_permit_at"
	colFrequency  = "last_permit_frequency"
	colNever      = "never_permitted"
	colUnusedDays = "unused_days"
	colTemplate   = "template"
	colConditions = "conditions"
	colFirstSeen  = firstseen.Column
	colExempt     = "exempt"
	colRemovable  = "removable"
	colAction     = "action"
	colResult     = "result"
	colDetail     = "detail"
)

const (
	recordPolicy = "policy"
	recordAction = "action"
)

var columns = append([]string{colRecord, colID, colKind, colSubject, colRoles, colResource, colCreatedAt, colLastPermit,
	colFrequency, colNever, colUnusedDays, colTemplate, colConditions, colFirstSeen, colExempt, colRemovable,
	colAction, colResult, colDetail}, tasks.FindingColumns...)

// unused is a policy without a permit for unusedFor.
type unused struct {
	p         iamread.Policy
	subject   string
	kind      string
	since     time.Time // last permit, else creation
	firstSeen time.Time
	exempt    string
}

func (u *unused) finding() tasks.Finding {
	f := tasks.Finding{Severity: tasks.SeverityLow, Status: tasks.StatusFail}
	if u.kind == iamread.KindUser || u.kind == iamread.KindServiceID {
		// A direct policy is also against CIS 1.12.
		f.Control = "CIS-IBM-1.0.0/1.12"
	}
	if u.exempt != "" {
		f.Status = tasks.StatusPass
	}
	return f
}

func fmtTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func (u *unused) fields(now time.Time) report.Row {
	p := u.p
	r := report.Row{colID: p.ID, colKind: u.kind, colSubject: u.subject, colRoles: strings.Join(p.RoleNames(), ", "),
		colResource: p.ResourceText(), colFrequency: p.LastPermitFrequency, colNever: p.LastPermitAt == nil,
		colUnusedDays: int(now.Sub(u.since) / (24 * time.Hour)), colTemplate: p.Template, colConditions: p.HasConditions,
		colFirstSeen: fmtTime(u.firstSeen), colExempt: u.exempt, colRemovable: removable(u) == "", colLastPermit: ""}
	if !p.CreatedAt.IsZero() {
		r[colCreatedAt] = fmtTime(p.CreatedAt)
	}
	if p.LastPermitAt != nil {
		r[colLastPermit] = fmtTime(*p.LastPermitAt)
	}
	return r
}

func (u *unused) row(now time.Time) report.Row {
	r := u.fields(now)
	r[colRecord] = recordPolicy
	u.finding().Fill(r)
	return r
}

func actionRow(s *action.Step, now time.Time) report.Row {
	r := s.Ref.(*unused).fields(now)
	r[colRecord], r[colAction], r[colResult], r[colDetail] = recordAction, s.Action, string(s.Result), s.Detail
	return r
}

// removable says why remove-policy must not touch u ("" when it may): only
// direct policies of users and service IDs, never a template's.
func removable(u *unused) string {
	switch {
	case u.kind != iamread.KindUser && u.kind != iamread.KindServiceID:
		return "only direct policies of users and service IDs are removed; a " + u.kind + "'s policy is for its owner to review"
	case u.p.Template:
		return "assigned from an enterprise policy template: remove it in the template"
	}
	return ""
}
