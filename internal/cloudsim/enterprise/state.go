// Package enterprise emulates the Enterprise Management API v1: the
// enterprise, its account groups (nested) and its accounts with their states,
// listed with next_docid paging, readable only by identities of the
// enterprise account (Enterprise-service policies take effect there only).
//
// IBM's references: https://cloud.ibm.com/apidocs/enterprise-apis/enterprise
// and the enterprisemanagementv1 models of
// github.com/IBM/platform-services-go-sdk (base URL .../v1, so the SDK's
// variable ENTERPRISE_MANAGEMENT_URL points at the emulator with /v1).
package enterprise

import (
	"strings"
	"time"
)

// Account states. The docs name these four (enterprise-management
// ts-iam-template-fail.md); the SDK does not enumerate them.
const (
	StateActive    = "ACTIVE"
	StatePending   = "PENDING"
	StateSuspended = "SUSPENDED"
	StateCanceled  = "CANCELED"
	// StateDeleted is this emulator's word for an account removed from the
	// enterprise, listed only with include_deleted=true.
	StateDeleted = "DELETED"
)

// State is one enterprise as the Enterprise Management API serves it. The
// zero value is an account outside any enterprise: every read answers 403.
type State struct {
	Enterprise *Record
	Groups     []*Group
	Accounts   []*Account
}

// Record is the enterprise.
type Record struct {
	ID                  string
	AccountID           string // the enterprise account
	Name                string
	Domain              string
	State               string
	PrimaryContactIAMID string
	PrimaryContactEmail string
	CreatedAt           time.Time
}

// Group is an account group; Parent is the CRN of the enterprise or of
// another group.
type Group struct {
	ID, Name, Parent, State string
	PrimaryContactIAMID     string
	PrimaryContactEmail     string
	CreatedAt               time.Time
}

// Account is an account of the enterprise (the enterprise account itself
// included, IsEnterpriseAccount); Parent is the CRN of the enterprise or of
// its account group.
type Account struct {
	ID, Name, Parent, State string
	OwnerIAMID, OwnerEmail  string
	Paid                    bool
	IsEnterpriseAccount     bool
	CreatedAt               time.Time
}

// CRN of the enterprise.
func (s *State) CRN() string {
	return "crn:v1:bluemix:public:enterprise::a/" + s.Enterprise.AccountID + "::enterprise:" + s.Enterprise.ID
}

// GroupCRN is the CRN of account group id.
func (s *State) GroupCRN(id string) string {
	return "crn:v1:bluemix:public:enterprise::a/" + s.Enterprise.AccountID + "::account-group:" + id
}

// AccountCRN is the CRN of account id within the enterprise.
func (s *State) AccountCRN(id string) string {
	return "crn:v1:bluemix:public:enterprise::a/" + s.Enterprise.AccountID + "::account:" + id
}

// Group finds an account group by ID.
func (s *State) Group(id string) *Group {
	for _, g := range s.Groups {
		if g.ID == id {
			return g
		}
	}
	return nil
}

// Account finds an account by ID.
func (s *State) Account(id string) *Account {
	for _, a := range s.Accounts {
		if a.ID == id {
			return a
		}
	}
	return nil
}

// path is the enterprise_path of a node whose parent CRN is parent:
// enterprise:<id>/account-group:<id>/... down to the parent.
func (s *State) path(parent string) string {
	var parts []string
	for parent != "" && parent != s.CRN() {
		id := crnID(parent)
		parts = append([]string{"account-group:" + id}, parts...)
		g := s.Group(id)
		if g == nil {
			break
		}
		parent = g.Parent
	}
	return strings.Join(append([]string{"enterprise:" + s.Enterprise.ID}, parts...), "/")
}

// under reports whether a node with parent CRN parent lies below the node
// with CRN ancestor (at any depth).
func (s *State) under(parent, ancestor string) bool {
	for depth := 0; parent != "" && depth < 64; depth++ {
		if parent == ancestor {
			return true
		}
		g := s.Group(crnID(parent))
		if g == nil {
			return false
		}
		parent = g.Parent
	}
	return false
}

func crnID(crn string) string {
	if i := strings.LastIndexByte(crn, ':'); i >= 0 {
		return crn[i+1:]
	}
	return crn
}
