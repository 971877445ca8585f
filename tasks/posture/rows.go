package posture

import (
	"github.com/trustjob/trustjob/internal/report"
	"github.com/trustjob/trustjob/tasks"
)

// Columns, declared once.
const (
	colRecord   = "record" // recordControl or recordEvidence
	colTitle    = "title"
	colReason   = "reason"
	colEvidence = "evidence_count"
	colKind     = "kind"
	colID       = "id"
	colName     = "name"
	colDetail   = "detail"
	colWaiver   = "waiver"
	colCheck    = "check"
)

// Record kinds.
const (
	recordControl  = "control"
	recordEvidence = "evidence"
)

// columns: control rows carry the finding columns (control, severity,
// status); evidence rows name the control they support.
var columns = append([]string{colRecord}, append(append([]string{}, tasks.FindingColumns...),
	colTitle, colReason, colEvidence, colKind, colID, colName, colDetail, colWaiver, colCheck)...)

// finding is a control's typed finding.
func finding(a Assessment) tasks.Finding {
	sev, _ := tasks.ParseSeverity(a.Control.Severity)
	f := tasks.Finding{Control: a.Control.Key(), Severity: sev}
	switch a.Verdict.Status {
	case Pass:
		f.Status = tasks.StatusPass
	case Fail:
		f.Status = tasks.StatusFail
	case Manual:
		f.Status = tasks.StatusManual
	default:
		f.Status = tasks.StatusError
	}
	return f
}

func controlRow(a Assessment) report.Row {
	r := report.Row{colRecord: recordControl, colTitle: a.Control.Title, colReason: a.Verdict.Reason,
		colEvidence: len(a.Verdict.Evidence), colWaiver: a.Waiver, colCheck: a.Control.Check}
	finding(a).Fill(r)
	return r
}

func evidenceRow(a Assessment, e Evidence) report.Row {
	return report.Row{colRecord: recordEvidence, tasks.ColControl: a.Control.Key(),
		colKind: e.Kind, colID: e.ID, colName: e.Name, colDetail: e.Detail}
}
