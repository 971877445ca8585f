package apikeyrotation

import (
	"time"

	"github.com/trustjob/trustjob/internal/action"
	"github.com/trustjob/trustjob/internal/firstseen"
	"github.com/trustjob/trustjob/internal/report"
	"github.com/trustjob/trustjob/tasks"
)

// Columns, declared once.
const (
	colRecord    = "record" // recordKey or recordAction
	colKind      = "kind"   // user or serviceid (whose key)
	colID        = "id"
	colName      = "name"
	colOwner     = "owner"      // the key's iam_id
	colOwnerName = "owner_name" // a user's login, a service ID's name
	colCreatedBy = "created_by"
	colCreatedAt = "created_at"
	colAgeDays   = "age_days"
	colLastAuthn = "last_authn"
	colLastUse   = "last_use" // what is known of the last use
	colLocked    = "locked"
	colDisabled  = "disabled"
	colFirstSeen = firstseen.Column
	colExempt    = "exempt"
	colAction    = "action"
	colResult    = "result"
	colDetail    = "detail"
)

const (
	recordKey    = "apikey"
	recordAction = "action"
)

// Control is the CIS recommendation a key older than maxAge fails.
const Control = "CIS-IBM-1.0.0/1.3"

var columns = append([]string{colRecord, colKind, colID, colName, colOwner, colOwnerName, colCreatedBy, colCreatedAt, colAgeDays,
	colLastAuthn, colLastUse, colLocked, colDisabled, colFirstSeen, colExempt, colAction, colResult, colDetail},
	tasks.FindingColumns...)

// key is an API key older than maxAge.
type key struct {
	id, name, owner, ownerName, createdBy, description string
	kind                                               string
	created                                            time.Time
	locked, disabled                                   bool
	lastAuthn                                          *time.Time
	lastUse                                            string
	firstSeen                                          time.Time
	exempt                                             string
}

func (k *key) finding() tasks.Finding {
	f := tasks.Finding{Control: Control, Severity: tasks.SeverityMedium, Status: tasks.StatusFail}
	if k.exempt != "" {
		f.Status = tasks.StatusPass
	}
	return f
}

func fmtTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func (k *key) fields(now time.Time) report.Row {
	r := report.Row{colKind: k.kind, colID: k.id, colName: k.name, colOwner: k.owner, colOwnerName: k.ownerName, colCreatedBy: k.createdBy,
		colCreatedAt: fmtTime(k.created), colAgeDays: int(now.Sub(k.created) / (24 * time.Hour)),
		colLastUse: k.lastUse, colLocked: k.locked, colDisabled: k.disabled, colFirstSeen: fmtTime(k.firstSeen),
		colExempt: k.exempt, colLastAuthn: ""}
	if k.lastAuthn != nil {
		r[colLastAuthn] = fmtTime(*k.lastAuthn)
	}
	return r
}

func (k *key) row(now time.Time) report.Row {
	r := k.fields(now)
	r[colRecord] = recordKey
	k.finding().Fill(r)
	return r
}

func actionRow(s *action.Step, now time.Time) report.Row {
	k := s.Ref.(*key)
	r := k.fields(now)
	r[colRecord], r[colAction], r[colResult], r[colDetail] = recordAction, s.Action, string(s.Result), s.Detail
	return r
}
