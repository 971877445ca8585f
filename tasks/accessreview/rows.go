package accessreview

import "github.com/trustjob/trustjob/tasks"

// Columns, declared once: one row per (identity, path, policy).
const (
	colKind       = "kind" // user, serviceid, profile, public
	colIdentity   = "iam_id"
	colName       = "name"
	colState      = "state"
	colVia        = "via" // direct, access group, public access
	colGroupID    = "group_id"
	colGroup      = "group"
	colMembership = "membership" // static or dynamic
	colPolicyID   = "policy_id"
	colRoles      = "roles"
	colResource   = "resource"
	colAdmin      = "admin"
	colConditions = "conditions"
	colTemplate   = "template"
	colDetail     = "detail"
)

var columns = append([]string{colKind, colIdentity, colName, colState, colVia, colGroupID, colGroup, colMembership,
	colPolicyID, colRoles, colResource, colAdmin, colConditions, colTemplate, colDetail}, tasks.FindingColumns...)

// adminFinding marks a grant of account administration for recertification:
// CIS 1.14 for users, 1.15 for service IDs; it needs a person's review, so
// its status is manual.
func adminFinding(kind string) tasks.Finding {
	f := tasks.Finding{Severity: tasks.SeverityHigh, Status: tasks.StatusManual}
	switch kind {
	case "user":
		f.Control = "CIS-IBM-1.0.0/1.14"
	case "serviceid":
		f.Control = "CIS-IBM-1.0.0/1.15"
	}
	return f
}
