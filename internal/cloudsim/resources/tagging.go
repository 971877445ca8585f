package resources

import (
	"github.com/trustjob/trustjob/internal/cloudsim/core"

	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// Global Tagging v3 (https://cloud.ibm.com/apidocs/tagging, globaltaggingv1): GET /v3/tags with offset, limit and
// total_count, filtered by tag_type and attached_to; POST /v3/tags/attach and
// /detach with one result per resource, each with is_error.

const (
	rsTagsDefaultLimit = 100
	rsTagsMaxLimit     = 1000
)

func (s *api) routesTagging() {
	t := core.ServiceGlobalTagging
	s.Handle(core.Route{Pattern: "GET /v3/tags", Service: t, Action: core.ActionTagRead, Handler: s.rsListTags})
	s.Handle(core.Route{Pattern: "POST /v3/tags/attach", Service: t, Action: core.ActionTagAttach, Handler: s.rsTagAttach})
	s.Handle(core.Route{Pattern: "POST /v3/tags/detach", Service: t, Action: core.ActionTagDetach, Handler: s.rsTagDetach})
	s.routesTagObjects()
}

func rsTagType(v string) (string, bool) {
	switch v {
	case "", "user":
		return "user", true
	case "service", "access":
		return v, true
	}
	return "", false
}

func rsTagsOf(rec *InstanceRecord, tagType string) []string {
	switch tagType {
	case "service":
		return rec.ServiceTags
	case "access":
		return rec.AccessTags
	}
	return rec.Tags
}

func (s *api) rsListTags(w http.ResponseWriter, r *http.Request, _ *core.Caller) {
	bad := func(msg string) {
		s.WriteError(w, r, core.ServiceGlobalTagging, http.StatusBadRequest, "bad_request", msg)
	}
	q := r.URL.Query()
	tagType, ok := rsTagType(q.Get("tag_type"))
	if !ok {
		bad("tag_type must be user, service or access")
		return
	}
	offset, limit := 0, rsTagsDefaultLimit
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			bad("offset must be a non-negative integer")
			return
		}
		offset = n
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > rsTagsMaxLimit {
			bad("limit must be an integer between 1 and 1000")
			return
		}
		limit = n
	}
	order := q.Get("order_by_name")
	if order != "" && order != "asc" && order != "desc" {
		bad("order_by_name must be asc or desc")
		return
	}

	var names []string
	if crn := q.Get("attached_to"); crn != "" {
		s.mu.RLock()
		st := s.st
		if rec, ok := st.record(st.indexOfGUID(rsGUIDFromID(crn))); ok && st.instanceCRN(rec) == crn {
			names = slices.Clone(rsTagsOf(rec, tagType))
			slices.Sort(names)
		}
		s.mu.RUnlock()
	} else {
		names = s.withTagObjects(s.rsDistinctTags(tagType), tagType, q.Get("attached_only") == "true")
	}
	total := len(names)
	if order == "desc" {
		names = slices.Clone(names)
		slices.Reverse(names)
	}
	items := []map[string]any{}
	for k := offset; k < total && len(items) < limit; k++ {
		items = append(items, map[string]any{"name": names[k]})
	}
	core.WriteJSON(w, http.StatusOK, map[string]any{"total_count": total, "offset": offset, "limit": limit, "items": items})
}

// rsDistinctTags lists the account's tags of one type, sorted. It scans the
// account once per change (cached by version).
func (s *api) rsDistinctTags(tagType string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.st
	if st.tagCache == nil || st.tagVer != st.version {
		sets := map[string]map[string]bool{"user": {}, "service": {}, "access": {}}
		for i := 0; i <= st.maxIndex(); i++ {
			m, rec, ok := st.lookup(i)
			if !ok {
				continue
			}
			if rec == nil {
				for _, t := range rsTagList(m.userTags, rsUserTags) {
					sets["user"][t] = true
				}
				for _, t := range rsTagList(m.serviceTags, rsServiceTags) {
					sets["service"][t] = true
				}
				for _, t := range rsTagList(m.accessTags, rsAccessTags) {
					sets["access"][t] = true
				}
				continue
			}
			for _, typ := range []string{"user", "service", "access"} {
				for _, t := range rsTagsOf(rec, typ) {
					sets[typ][t] = true
				}
			}
		}
		st.tagCache = map[string][]string{}
		for typ, set := range sets {
			list := make([]string, 0, len(set))
			for t := range set {
				list = append(list, t)
			}
			slices.Sort(list)
			st.tagCache[typ] = list
		}
		st.tagVer = st.version
	}
	return st.tagCache[tagType]
}

func (s *api) rsTagAttach(w http.ResponseWriter, r *http.Request, c *core.Caller) {
	s.rsTagChange(w, r, true)
}
func (s *api) rsTagDetach(w http.ResponseWriter, r *http.Request, c *core.Caller) {
	s.rsTagChange(w, r, false)
}

// rsValidTag checks a tag name as Global Tagging does: at most 128 characters
// of letters, digits, spaces and _ . - : ; access tags must be key:value.
func rsValidTag(t, tagType string) bool {
	if t == "" || len(t) > 128 || strings.TrimSpace(t) != t {
		return false
	}
	for _, c := range t {
		ok := c == ' ' || c == '_' || c == '.' || c == '-' || c == ':' ||
			(c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
		if !ok {
			return false
		}
	}
	if tagType == "access" {
		k, v, ok := strings.Cut(t, ":")
		return ok && k != "" && v != ""
	}
	return true
}

func (s *api) rsTagChange(w http.ResponseWriter, r *http.Request, attach bool) {
	bad := func(msg string) {
		s.WriteError(w, r, core.ServiceGlobalTagging, http.StatusBadRequest, "bad_request", msg)
	}
	q := r.URL.Query()
	tagType, ok := rsTagType(q.Get("tag_type"))
	if !ok {
		bad("tag_type must be user, service or access")
		return
	}
	if tagType == "service" && q.Get("account_id") == "" {
		bad("account_id is required for service tags")
		return
	}
	var body struct {
		TagName   string   `json:"tag_name"`
		TagNames  []string `json:"tag_names"`
		Resources []struct {
			ResourceID   string `json:"resource_id"`
			ResourceType string `json:"resource_type"`
		} `json:"resources"`
		Query *struct {
			QueryString string `json:"query_string"`
		} `json:"query"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		bad("the request body is not valid JSON")
		return
	}
	names := body.TagNames
	if body.TagName != "" {
		names = append([]string{body.TagName}, names...)
	}
	if len(names) == 0 {
		bad("tag_name or tag_names is required")
		return
	}
	for _, t := range names {
		if !rsValidTag(t, tagType) {
			bad("invalid tag name '" + t + "'")
			return
		}
	}
	ids := make([]string, 0, len(body.Resources))
	for _, res := range body.Resources {
		ids = append(ids, res.ResourceID)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if attach && tagType == "access" {
		s.keepAccessTags(names)
	}
	st := s.st
	if body.Query != nil && body.Query.QueryString != "" {
		expr, err := rsParseQuery(body.Query.QueryString)
		if err != nil {
			bad("invalid query: " + err.Error())
			return
		}
		st.walk(-1, 0, func(_, i int) bool {
			if m, rec, ok := st.lookup(i); ok {
				d := &rsDoc{st: st, i: i, m: m, rec: rec}
				if expr.match(d) {
					ids = append(ids, d.one("crn"))
				}
			}
			return true
		})
	}
	if len(ids) == 0 && body.Query == nil {
		bad("resources or query is required")
		return
	}
	results := []map[string]any{}
	for _, id := range ids {
		rec, ok := st.record(st.indexOfGUID(rsGUIDFromID(id)))
		if !ok || st.instanceCRN(rec) != id {
			results = append(results, map[string]any{"resource_id": id, "is_error": true,
				"message": "The resource '" + id + "' was not found or you are not authorized to tag it."})
			continue
		}
		if q.Get("replace") == "true" && attach {
			_ = st.SetTags(id, tagType, slices.Clone(names))
		} else {
			tags := slices.Clone(rsTagsOf(rec, tagType))
			for _, t := range names {
				k := slices.Index(tags, t)
				switch {
				case attach && k < 0:
					tags = append(tags, t)
				case !attach && k >= 0:
					tags = slices.Delete(tags, k, k+1)
				}
			}
			_ = st.SetTags(id, tagType, tags)
		}
		results = append(results, map[string]any{"resource_id": id, "is_error": false})
	}
	core.WriteJSON(w, http.StatusOK, map[string]any{"results": results})
}
