package account

import (
	"fmt"
	"strings"
	"time"
)

// Service-ID groups. Every account has a default group; IAM Identity's
// ListServiceIds and ListAPIKeys without group_id answer for the default group
// only ("If this parameter is not provided the default group is applied", SDK
// ListServiceIdsOptions.GroupID and ListAPIKeysOptions.GroupID), so a client
// that never lists the groups misses the service IDs of every other group and
// their API keys. Users' API keys belong to no group.

// ServiceIDGroupRecord is a service-ID group other than the default one.
type ServiceIDGroupRecord struct {
	ID          string // ServiceIdGroup-...
	Name        string
	Description string
	CreatedAt   time.Time
	CreatedBy   string
}

// ServiceIDGroupFixture is one service-ID group in a fixture.
type ServiceIDGroupFixture struct {
	ID          string `yaml:"id"`
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
}

// DefaultServiceIDGroupID is the id of an account's default service-ID group
// (the emulator's choice: IBM documents no format).
func DefaultServiceIDGroupID(accountID string) string {
	return "ServiceIdGroup-default-" + accountID
}

// ServiceIDGroupByID looks a non-default group up by id.
func (st *IdentityState) ServiceIDGroupByID(id string) *ServiceIDGroupRecord {
	for _, g := range st.ServiceIDGroups {
		if g.ID == id {
			return g
		}
	}
	return nil
}

// InServiceIDGroup reports whether a service ID is in the group a listing's
// group_id names: "" or the default group's id name the default group.
func (st *IdentityState) InServiceIDGroup(s *ServiceIDRecord, groupID, accountID string) bool {
	if groupID == "" || groupID == DefaultServiceIDGroupID(accountID) {
		return s.GroupID == ""
	}
	return s.GroupID == groupID
}

// serviceIDGroups creates Spec.ServiceIDGroups groups and spreads the service
// IDs round-robin over the default group and them. It draws nothing from the
// generator, so the rest of a generated account stays as it was.
func (g *identityGen) serviceIDGroups() {
	n := g.spec.ServiceIDGroups
	if n <= 0 {
		return
	}
	st := g.st
	for i := range n {
		st.ServiceIDGroups = append(st.ServiceIDGroups, &ServiceIDGroupRecord{
			ID:        fmt.Sprintf("ServiceIdGroup-%08x-%04d", uint32(g.w.Seed), i+1),
			Name:      idWords[i%len(idWords)] + "-automation",
			CreatedAt: st.Anchor.AddDate(-1, 0, 0),
		})
	}
	for i, s := range st.ServiceIDs {
		if k := i % (n + 1); k > 0 {
			s.GroupID = st.ServiceIDGroups[k-1].ID
		}
	}
}

func (st *IdentityState) fixtureServiceIDGroups(w *World, fx []ServiceIDGroupFixture) error {
	for i, f := range fx {
		if !strings.HasPrefix(f.ID, "ServiceIdGroup-") {
			return fmt.Errorf("serviceIDGroups[%d]: id %q must start with ServiceIdGroup-", i, f.ID)
		}
		if f.ID == DefaultServiceIDGroupID(w.AccountID) || st.ServiceIDGroupByID(f.ID) != nil {
			return fmt.Errorf("serviceIDGroups[%d]: duplicate group %s", i, f.ID)
		}
		name := f.Name
		if name == "" {
			name = strings.ToLower(f.ID)
		}
		st.ServiceIDGroups = append(st.ServiceIDGroups, &ServiceIDGroupRecord{ID: f.ID, Name: name,
			Description: f.Description, CreatedAt: st.Anchor.AddDate(-1, 0, 0)})
	}
	return nil
}
