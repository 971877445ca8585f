package resources

import (
	"github.com/trustjob/trustjob/internal/cloudsim/core"

	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Resource Controller v2 and Resource Manager v2, as IBM documents them (see
// the package comment) and the resourcecontrollerv2 SDK pages them: limit ≤ 100 (larger values are clamped), an opaque start
// token in a relative next_url (null on the last page), rows_count = the page's
// size, the documented filters, and the default active+provisioning state
// filter. With start set, every other parameter is ignored: the token carries
// the filter, the position and the limit.

func (s *api) routesResources() {
	rc, rm := core.ServiceResourceCtl, core.ServiceResourceMgr
	s.Handle(core.Route{Pattern: "GET /v2/resource_instances", Service: rc, Action: core.ActionInstanceRetrieve, Handler: s.rsListInstances})
	s.Handle(core.Route{Pattern: "GET /v2/resource_instances/{id}", Service: rc, Action: core.ActionInstanceRetrieve, Handler: s.rsGetInstance})
	s.Handle(core.Route{Pattern: "GET /v2/resource_keys", Service: rc, Action: core.ActionKeyRetrieve, Handler: s.rsListKeys})
	s.Handle(core.Route{Pattern: "GET /v1/reclamations", Service: rc, Action: core.ActionReclamationRetrieve, Handler: s.rsListReclamations})
	s.Handle(core.Route{Pattern: "GET /v2/resource_groups", Service: rm, Action: core.ActionGroupRetrieve, Handler: s.rsListGroups})
	s.Handle(core.Route{Pattern: "GET /v2/resource_groups/{id}", Service: rm, Action: core.ActionGroupRetrieve, Handler: s.rsGetGroup})
	s.routesSearch()
	s.routesTagging()
}

// rsMaxLimit is the Resource Controller's page size maximum.
const rsMaxLimit = 100

// rsFilter is a parsed listing query.
type rsFilter struct {
	guid, name, groupID, resourceID, planID, typ, subType, state string
	from, to                                                     int64 // unix ms, inclusive
	hasFrom, hasTo                                               bool
	group                                                        int // index in Groups; -1 none; -2 unknown group
	canon                                                        string
}

var rsInstanceParams = []string{"guid", "name", "resource_group_id", "resource_id", "resource_plan_id", "type", "sub_type", "state", "updated_from", "updated_to"}
var rsKeyParams = []string{"guid", "name", "resource_group_id", "resource_id", "updated_from", "updated_to"}

// rsParseFilter reads the filter parameters a listing accepts from q.
func (st *State) rsParseFilter(q url.Values, params []string) (*rsFilter, error) {
	f := &rsFilter{group: -1}
	canon := url.Values{}
	for _, p := range params {
		v := q.Get(p)
		if v == "" {
			continue
		}
		canon.Set(p, v)
		switch p {
		case "guid":
			f.guid = v
		case "name":
			f.name = v
		case "resource_group_id":
			f.groupID, f.group = v, -2
			for k, g := range st.Groups {
				if g.ID == v {
					f.group = k
				}
			}
		case "resource_id":
			f.resourceID = v
		case "resource_plan_id":
			f.planID = v
		case "type":
			f.typ = v
		case "sub_type":
			f.subType = v
		case "state":
			if rsStateIndex(v) < 0 {
				return nil, errors.New("invalid state '" + v + "': use one of " + strings.Join(rsStates, ", "))
			}
			f.state = v
		case "updated_from", "updated_to":
			ms, err := rsParseDate(v, p == "updated_to")
			if err != nil {
				return nil, errors.New("invalid " + p + " '" + v + "': use a date (2024-01-31) or an RFC 3339 time")
			}
			if p == "updated_from" {
				f.from, f.hasFrom = ms, true
			} else {
				f.to, f.hasTo = ms, true
			}
		}
	}
	f.canon = canon.Encode()
	return f, nil
}

// rsParseDate reads a date (a whole UTC day: its first millisecond as a lower
// bound, its last as an upper bound) or an RFC 3339 time (exact, to the ms).
func rsParseDate(v string, end bool) (int64, error) {
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		if end {
			return t.Add(24*time.Hour).UnixMilli() - 1, nil
		}
		return t.UnixMilli(), nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return 0, err
	}
	return t.UnixMilli(), nil
}

// matches reports whether an instance (meta m; rec for overlay instances, nil
// for generated ones) passes every filter except name and guid.
func (f *rsFilter) matches(st *State, m rsMeta, rec *InstanceRecord) bool {
	if f.state == "" {
		if !st.defaultState(m.state) {
			return false
		}
	} else if m.state < 0 || rsStates[m.state] != f.state {
		return false
	}
	if (f.hasFrom && m.updated < f.from) || (f.hasTo && m.updated > f.to) {
		return false
	}
	if f.group == -2 {
		return false
	}
	if rec != nil {
		return (f.groupID == "" || rec.GroupID == f.groupID) &&
			(f.resourceID == "" || rec.ResourceID == f.resourceID) &&
			(f.planID == "" || rec.PlanID() == f.planID) &&
			(f.typ == "" || rec.Type == f.typ) &&
			(f.subType == "" || rec.SubType == f.subType)
	}
	svc := &rsServices[m.service]
	return (f.group < 0 || m.group == f.group) &&
		(f.resourceID == "" || rsCatalog[m.service][0] == f.resourceID) &&
		(f.planID == "" || rsCatalog[m.service][1+m.plan] == f.planID) &&
		(f.typ == "" || svc.typ == f.typ) &&
		(f.subType == "" || svc.subType == f.subType)
}

// walk visits listing positions from pos: a group's generated range (or the
// whole account's), then the created instances. fn returns false to stop.
func (st *State) walk(group, pos int, fn func(p, i int) bool) {
	first, count := 0, st.n
	if group >= 0 {
		first, count = st.Groups[group].first, st.Groups[group].count
	}
	for p := pos; p < count+len(st.created); p++ {
		i := first + p
		if p >= count {
			i = st.created[p-count]
		}
		if !fn(p, i) {
			return
		}
	}
}

// scanInstances returns up to limit matching instances from position pos and
// the position of the next match (-1 when there is none), so next_url is null
// exactly on the last page.
func (st *State) scanInstances(f *rsFilter, pos, limit int) ([]*InstanceRecord, int) {
	var out []*InstanceRecord
	next := -1
	if f.guid != "" {
		if pos == 0 {
			if i := st.indexOfGUID(f.guid); i >= 0 {
				if m, rec, ok := st.lookup(i); ok && f.matches(st, m, rec) {
					if rec == nil {
						rec = st.materialize(i, m)
					}
					if f.name == "" || rec.Name == f.name {
						out = append(out, rec)
					}
				}
			}
		}
		return out, -1
	}
	st.walk(f.group, pos, func(p, i int) bool {
		m, rec, ok := st.lookup(i)
		if !ok || !f.matches(st, m, rec) {
			return true
		}
		if f.name != "" {
			if rec == nil {
				rec = st.materialize(i, m)
			}
			if rec.Name != f.name {
				return true
			}
		}
		if len(out) == limit {
			next = p
			return false
		}
		if rec == nil {
			rec = st.materialize(i, m)
		}
		out = append(out, rec)
		return true
	})
	return out, next
}

// Cursor tokens: base64url of "kind|position|limit|canonical query". Opaque to
// clients, like IBM's (which is base64 of next_docid, limit and account).
func rsEncodeCursor(kind string, pos, limit int, canon string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(kind + "|" + strconv.Itoa(pos) + "|" + strconv.Itoa(limit) + "|" + canon))
}

func rsDecodeCursor(kind, tok string) (pos, limit int, canon string, err error) {
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, 0, "", errors.New("invalid start token")
	}
	parts := strings.SplitN(string(raw), "|", 4)
	if len(parts) != 4 || parts[0] != kind {
		return 0, 0, "", errors.New("invalid start token")
	}
	pos, err1 := strconv.Atoi(parts[1])
	limit, err2 := strconv.Atoi(parts[2])
	if err1 != nil || err2 != nil || pos < 0 || limit < 1 {
		return 0, 0, "", errors.New("invalid start token")
	}
	return pos, limit, parts[3], nil
}

// rsListQuery resolves a listing request to (filter, position, limit): from
// the start token when there is one (ignoring every other parameter), else
// from the query.
func (s *api) rsListQuery(w http.ResponseWriter, r *http.Request, kind string, params []string) (*rsFilter, int, int, bool) {
	st := s.st
	q := r.URL.Query()
	pos, limit := 0, rsMaxLimit
	if start := q.Get("start"); start != "" {
		p, l, canon, err := rsDecodeCursor(kind, start)
		if err == nil {
			q, err = url.ParseQuery(canon)
		}
		if err != nil {
			s.WriteError(w, r, core.ServiceResourceCtl, http.StatusBadRequest, "bad_request", err.Error())
			return nil, 0, 0, false
		}
		pos, limit = p, l
	} else if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			s.WriteError(w, r, core.ServiceResourceCtl, http.StatusBadRequest, "bad_request",
				"invalid limit '"+v+"': must be a positive integer")
			return nil, 0, 0, false
		}
		limit = min(n, rsMaxLimit)
	}
	f, err := st.rsParseFilter(q, params)
	if err != nil {
		s.WriteError(w, r, core.ServiceResourceCtl, http.StatusBadRequest, "bad_request", err.Error())
		return nil, 0, 0, false
	}
	return f, pos, limit, true
}

var rsBufPool = sync.Pool{New: func() any { b := make([]byte, 0, 256<<10); return &b }}

func (s *api) rsListInstances(w http.ResponseWriter, r *http.Request, _ *core.Caller) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	st := s.st
	f, pos, limit, ok := s.rsListQuery(w, r, "ri", rsInstanceParams)
	if !ok {
		return
	}
	recs, next := st.scanInstances(f, pos, limit)
	recs = st.visibleRows(recs)
	bp := rsBufPool.Get().(*[]byte)
	defer rsBufPool.Put(bp)
	b := append((*bp)[:0], `{"rows_count":`...)
	b = strconv.AppendInt(b, int64(len(recs)), 10)
	b = append(b, `,"next_url":`...)
	if next < 0 {
		b = append(b, "null"...)
	} else {
		b = rsAppendString(b, "/v2/resource_instances?start="+rsEncodeCursor("ri", next, limit, f.canon)+"&limit="+strconv.Itoa(limit))
	}
	b = append(b, `,"resources":[`...)
	for k, rec := range recs {
		if k > 0 {
			b = append(b, ',')
		}
		b = st.appendInstanceJSON(b, rec)
	}
	b = append(b, "]}\n"...)
	*bp = b
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}

func (s *api) rsGetInstance(w http.ResponseWriter, r *http.Request, _ *core.Caller) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	st := s.st
	id := r.PathValue("id")
	rec, ok := st.record(st.indexOfGUID(rsGUIDFromID(id)))
	if !ok || (strings.HasPrefix(id, "crn:") && st.instanceCRN(rec) != id) {
		s.WriteError(w, r, core.ServiceResourceCtl, http.StatusNotFound, "not_found",
			"Instance with id '"+id+"' not found.")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(append(st.appendInstanceJSON(nil, rec), '\n'))
}

// appendInstanceJSON writes rec as the Resource Controller's ResourceInstance,
// with every field the SDK model has, by hand: at a million instances the
// emulator's encoding time would otherwise dominate benchmarks of the client.
func (st *State) appendInstanceJSON(b []byte, rec *InstanceRecord) []byte {
	crn := st.instanceCRN(rec)
	planID := rec.PlanID()
	str := func(key, v string) {
		b = append(b, ',', '"')
		b = append(b, key...)
		b = append(b, '"', ':')
		b = rsAppendString(b, v)
	}
	ts := func(key string, t time.Time) {
		b = append(b, ',', '"')
		b = append(b, key...)
		b = append(b, '"', ':')
		if t.IsZero() {
			b = append(b, "null"...)
			return
		}
		b = append(b, '"')
		b = t.UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z")
		b = append(b, '"')
	}
	b = append(b, `{"id":`...)
	b = rsAppendString(b, crn)
	str("guid", rec.GUID)
	str("url", "/v2/resource_instances/"+rec.GUID)
	ts("created_at", rec.CreatedAt)
	ts("updated_at", rec.UpdatedAt)
	ts("deleted_at", rec.DeletedAt)
	str("created_by", rec.CreatedBy)
	str("updated_by", rec.UpdatedBy)
	deletedBy, reclaimBy := "", ""
	var reclaimAt time.Time
	if !rec.DeletedAt.IsZero() {
		deletedBy = rec.UpdatedBy
	}
	if rec.State == rsStatePendingReclamation {
		reclaimAt, reclaimBy = rec.DeletedAt.Add(7*24*time.Hour), "resource-controller"
	}
	str("deleted_by", deletedBy)
	ts("scheduled_reclaim_at", reclaimAt)
	ts("restored_at", time.Time{})
	str("restored_by", "")
	str("scheduled_reclaim_by", reclaimBy)
	str("name", rec.Name)
	str("region_id", rec.Region)
	str("account_id", st.account)
	str("reseller_channel_id", "")
	str("resource_plan_id", planID)
	str("resource_group_id", rec.GroupID)
	str("resource_group_crn", rsGroupCRN(st.account, rec.GroupID))
	str("target_crn", "crn:v1:bluemix:public:globalcatalog::::deployment:"+planID+"%3A"+rec.Region)
	b = append(b, `,"onetime_credentials":false,"parameters":{},"allow_cleanup":false`...)
	str("crn", crn)
	str("state", rec.State)
	str("type", rec.Type)
	if rec.SubType == "" {
		b = append(b, `,"sub_type":null`...)
	} else {
		str("sub_type", rec.SubType)
	}
	str("resource_id", rec.ResourceID)
	str("dashboard_url", "https://cloud.ibm.com/services/"+rec.Service+"/"+url.PathEscape(crn))
	opState := "succeeded"
	switch rec.State {
	case rsStateProvisioning, rsStatePreProvisioning:
		opState = "in progress"
	case rsStateFailed:
		opState = "failed"
	}
	b = append(b, `,"last_operation":{"type":"create","state":"`...)
	b = append(b, opState...)
	b = append(b, `","async":false,"description":"Completed create instance operation","cancelable":false,"poll":false}`...)
	str("resource_aliases_url", "/v2/resource_instances/"+rec.GUID+"/resource_aliases")
	str("resource_bindings_url", "/v2/resource_instances/"+rec.GUID+"/resource_bindings")
	str("resource_keys_url", "/v2/resource_instances/"+rec.GUID+"/resource_keys")
	b = append(b, `,"plan_history":[{"resource_plan_id":`...)
	b = rsAppendString(b, planID)
	b = append(b, `,"start_date":"`...)
	b = rec.CreatedAt.UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z")
	b = append(b, `"}],"migrated":false,"extensions":{},"controlled_by":""`...)
	b = append(b, `,"locked":`...)
	b = strconv.AppendBool(b, rec.Locked)
	return append(b, '}')
}

// rsAppendString appends v as a JSON string.
func rsAppendString(b []byte, v string) []byte {
	const hexd = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for k := 0; k < len(v); k++ {
		c := v[k]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, v[start:k]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\t':
			b = append(b, '\\', 't')
		case '\r':
			b = append(b, '\\', 'r')
		default:
			b = append(b, '\\', 'u', '0', '0', hexd[c>>4], hexd[c&15])
		}
		start = k + 1
	}
	b = append(b, v[start:]...)
	return append(b, '"')
}

func rsTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// Resource keys: every fourth generated instance has one credential, numbered
// j for instance 4j, so keys are group-contiguous too.
const rsKeyEvery = 4

func (s *api) rsListKeys(w http.ResponseWriter, r *http.Request, _ *core.Caller) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	st := s.st
	f, pos, limit, ok := s.rsListQuery(w, r, "rk", rsKeyParams)
	if !ok {
		return
	}
	first, end := 0, (st.n+rsKeyEvery-1)/rsKeyEvery
	if f.group >= 0 {
		g := st.Groups[f.group]
		first, end = (g.first+rsKeyEvery-1)/rsKeyEvery, (g.first+g.count+rsKeyEvery-1)/rsKeyEvery
	} else if f.group == -2 {
		first, end = 0, 0
	}
	keys := []map[string]any{}
	next := -1
	for p := pos; first+p < end; p++ {
		j := first + p
		rec, ok := st.record(j * rsKeyEvery)
		if !ok {
			continue
		}
		key := st.keyJSON(j, rec)
		upd := rec.CreatedAt.Add(24 * time.Hour)
		if (f.guid != "" && key["guid"] != f.guid) || (f.name != "" && key["name"] != f.name) ||
			(f.resourceID != "" && rec.ResourceID != f.resourceID) ||
			(f.hasFrom && upd.UnixMilli() < f.from) || (f.hasTo && upd.UnixMilli() > f.to) {
			continue
		}
		if len(keys) == limit {
			next = p
			break
		}
		keys = append(keys, key)
	}
	var nextURL any
	if next >= 0 {
		nextURL = "/v2/resource_keys?start=" + rsEncodeCursor("rk", next, limit, f.canon) + "&limit=" + strconv.Itoa(limit)
	}
	core.WriteJSON(w, http.StatusOK, map[string]any{"rows_count": len(keys), "next_url": nextURL, "resources": keys})
}

func (st *State) keyJSON(j int, rec *InstanceRecord) map[string]any {
	g := st.keyGUID(j)
	src := st.instanceCRN(rec)
	crn := strings.TrimSuffix(src, ":") + "resource-key:" + g
	created := rec.CreatedAt.Add(24 * time.Hour)
	return map[string]any{
		"id": crn, "guid": g, "url": "/v2/resource_keys/" + g, "crn": crn,
		"created_at": rsTime(created), "updated_at": rsTime(created), "deleted_at": nil,
		"created_by": rec.CreatedBy, "updated_by": rec.CreatedBy, "deleted_by": "",
		"source_crn": src, "name": rec.Name + "-credentials", "state": "active",
		"account_id": st.account, "resource_group_id": rec.GroupID, "resource_id": rec.ResourceID,
		"onetime_credentials": false, "iam_compatible": true, "migrated": false,
		// Without the Manager role on the instance, IBM redacts credentials.
		"credentials":           st.keyCredentials(g),
		"resource_instance_url": "/v2/resource_instances/" + rec.GUID,
		"resource_alias_url":    nil,
	}
}

// Reclamations: one per instance pending reclamation, unpaged.
func (s *api) rsListReclamations(w http.ResponseWriter, r *http.Request, _ *core.Caller) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	st := s.st
	q := r.URL.Query()
	items := []map[string]any{}
	if acct := q.Get("account_id"); acct == "" || acct == st.account {
		inst, group := q.Get("resource_instance_id"), q.Get("resource_group_id")
		for _, rec := range st.pendingReclamation() {
			if inst != "" && inst != rec.GUID && inst != st.instanceCRN(rec) {
				continue
			}
			if group != "" && group != rec.GroupID {
				continue
			}
			items = append(items, st.reclamationJSON(rec))
		}
	}
	core.WriteJSON(w, http.StatusOK, map[string]any{"resources": items})
}

// pendingReclamation lists the instances currently pending reclamation: the
// generated ones chosen at generation plus overlay records in that state.
func (st *State) pendingReclamation() []*InstanceRecord {
	var out []*InstanceRecord
	seen := map[int]bool{}
	for _, i := range st.reclaimed {
		if rec, ok := st.record(i); ok && rec.State == rsStatePendingReclamation {
			out = append(out, rec)
			seen[i] = true
		}
	}
	for i, rec := range st.overlay {
		if !seen[i] && !st.deleted[i] && rec.State == rsStatePendingReclamation {
			out = append(out, rec)
		}
	}
	return out
}

func (st *State) reclamationJSON(rec *InstanceRecord) map[string]any {
	deleted := rec.DeletedAt
	if deleted.IsZero() {
		deleted = rec.UpdatedAt
	}
	return map[string]any{
		"id":                   rsNameUUID("reclamation/" + rec.GUID),
		"entity_id":            rec.GUID,
		"entity_type_id":       "resource-instance",
		"entity_crn":           st.instanceCRN(rec),
		"resource_instance_id": rec.GUID,
		"resource_group_id":    rec.GroupID,
		"account_id":           st.account,
		"policy_id":            rsNameUUID("reclamation-policy/" + st.account),
		"state":                "SCHEDULED",
		"target_time":          rsTime(deleted.Add(7 * 24 * time.Hour)),
		"custom_properties":    map[string]any{},
		"created_at":           rsTime(deleted),
		"created_by":           rec.UpdatedBy,
		"updated_at":           rsTime(deleted),
		"updated_by":           rec.UpdatedBy,
	}
}

// Resource Manager: resource groups, unpaged.
func (s *api) rsListGroups(w http.ResponseWriter, r *http.Request, _ *core.Caller) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	st := s.st
	q := r.URL.Query()
	items := []map[string]any{}
	if acct := q.Get("account_id"); acct == "" || acct == st.account {
		for _, g := range st.Groups {
			if name := q.Get("name"); name != "" && name != g.Name {
				continue
			}
			if d := q.Get("default"); d != "" && d != strconv.FormatBool(g.Default) {
				continue
			}
			if st.Behaviour.HiddenGroups[g.ID] {
				continue // IAM filters the list by the caller's access
			}
			items = append(items, st.groupJSON(g))
		}
	}
	core.WriteJSON(w, http.StatusOK, map[string]any{"resources": items})
}

func (s *api) rsGetGroup(w http.ResponseWriter, r *http.Request, _ *core.Caller) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	st := s.st
	id := r.PathValue("id")
	for _, g := range st.Groups {
		if g.ID == id {
			core.WriteJSON(w, http.StatusOK, st.groupJSON(g))
			return
		}
	}
	s.WriteError(w, r, core.ServiceResourceMgr, http.StatusNotFound, "not_found", "Resource group '"+id+"' not found.")
}

func (st *State) groupJSON(g *ResourceGroup) map[string]any {
	quota := rsNameUUID("quota/" + st.account)
	return map[string]any{
		"id": g.ID, "crn": g.CRN, "account_id": st.account, "name": g.Name, "state": "ACTIVE",
		"default": g.Default, "enable_reclamation": false, "quota_id": quota,
		"quota_url":           "/v2/quota_definitions/" + quota,
		"payment_methods_url": "/v2/resource_groups/" + g.ID + "/payment_methods",
		"resource_linkages":   []any{}, "teams_url": "/v2/resource_groups/" + g.ID + "/teams",
		"created_at": rsTime(g.CreatedAt), "updated_at": rsTime(g.CreatedAt),
	}
}
