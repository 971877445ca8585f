package account

// reindex rebuilds the lookup maps after records were added or loaded.
func (st *IdentityState) reindex() {
	st.userByIAMID = make(map[string]*UserRecord, len(st.Users))
	for _, u := range st.Users {
		st.userByIAMID[u.IAMID] = u
	}
	st.sidByID = make(map[string]*ServiceIDRecord, len(st.ServiceIDs))
	st.sidByIAMID = make(map[string]*ServiceIDRecord, len(st.ServiceIDs))
	for _, s := range st.ServiceIDs {
		st.sidByID[s.ID] = s
		st.sidByIAMID[s.IAMID] = s
	}
	st.keyByID = make(map[string]*APIKeyRecord, len(st.APIKeys))
	for _, k := range st.APIKeys {
		st.keyByID[k.ID] = k
	}
	st.groupByID = make(map[string]*AccessGroupRecord, len(st.AccessGroups))
	for _, g := range st.AccessGroups {
		st.groupByID[g.ID] = g
	}
}

// Reindex rebuilds the lookup maps; call it (under World.Lock) after a test
// added or removed records directly.
func (st *IdentityState) Reindex() { st.reindex() }

// UserByIAMID, ServiceIDByID, ServiceIDByIAMID and APIKeyByID look records up;
// callers hold the World's lock.
func (st *IdentityState) UserByIAMID(id string) *UserRecord { return st.userByIAMID[id] }

// ServiceIDByID looks a service ID up by its id.
func (st *IdentityState) ServiceIDByID(id string) *ServiceIDRecord { return st.sidByID[id] }

// ServiceIDByIAMID looks a service ID up by its iam_id.
func (st *IdentityState) ServiceIDByIAMID(id string) *ServiceIDRecord { return st.sidByIAMID[id] }

// APIKeyByID looks an API key up by its id.
func (st *IdentityState) APIKeyByID(id string) *APIKeyRecord { return st.keyByID[id] }

// AccessGroupByID looks an access group up by its id.
func (st *IdentityState) AccessGroupByID(id string) *AccessGroupRecord { return st.groupByID[id] }

// HasMember reports whether iamID is a member of g.
func (g *AccessGroupRecord) HasMember(iamID string) bool {
	for _, m := range g.Members {
		if m.IAMID == iamID {
			return true
		}
	}
	return false
}
