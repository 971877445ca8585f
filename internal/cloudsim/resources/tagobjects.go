package resources

import (
	"encoding/json"
	"net/http"
	"slices"

	"github.com/trustjob/trustjob/internal/cloudsim/core"
)

// Tags as objects, as Global Tagging keeps them: an access tag exists from
// its creation (POST /v3/tags, or its first attach) until it is deleted, even
// while attached to nothing; a user or service tag exists only while attached
// ("tags are already deleted at detach time if not attached to any resource",
// IBM's integration test). GET /v3/tags lists unattached access tags unless
// attached_only=true. DELETE /v3/tags/{name} and DELETE /v3/tags delete
// unattached ones and answer per tag with is_error.
//
// Creating and deleting tags checks the attach and detach actions: the
// emulator has no separate grant for them, and trustjob never calls either.

func (s *api) routesTagObjects() {
	t := core.ServiceGlobalTagging
	s.Handle(core.Route{Pattern: "POST /v3/tags", Service: t, Action: core.ActionTagAttach, Handler: s.rsCreateTags})
	s.Handle(core.Route{Pattern: "DELETE /v3/tags/{tag_name}", Service: t, Action: core.ActionTagDetach, Handler: s.rsDeleteTag})
	s.Handle(core.Route{Pattern: "DELETE /v3/tags", Service: t, Action: core.ActionTagDetach, Handler: s.rsDeleteUnusedTags})
}

// keepAccessTags records access tags as objects; the caller holds s.mu.
func (s *api) keepAccessTags(names []string) {
	if s.accessTags == nil {
		s.accessTags = map[string]bool{}
	}
	for _, n := range names {
		s.accessTags[n] = true
	}
}

// withTagObjects adds the unattached access tags to attached (sorted), unless
// attachedOnly.
func (s *api) withTagObjects(attached []string, tagType string, attachedOnly bool) []string {
	if tagType != "access" || attachedOnly {
		return attached
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := attached
	for n := range s.accessTags {
		if _, found := slices.BinarySearch(attached, n); !found {
			if len(out) == len(attached) {
				out = slices.Clone(attached)
			}
			out = append(out, n)
		}
	}
	if len(out) != len(attached) {
		slices.Sort(out)
	}
	return out
}

func (s *api) rsCreateTags(w http.ResponseWriter, r *http.Request, _ *core.Caller) {
	bad := func(msg string) {
		s.WriteError(w, r, core.ServiceGlobalTagging, http.StatusBadRequest, "bad_request", msg)
	}
	if typ := r.URL.Query().Get("tag_type"); typ != "" && typ != "access" {
		bad("only access tags can be created; user and service tags are created by attaching them")
		return
	}
	var body struct {
		TagNames []string `json:"tag_names"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&body); err != nil || len(body.TagNames) == 0 {
		bad("tag_names is required")
		return
	}
	for _, t := range body.TagNames {
		if !rsValidTag(t, "access") {
			bad("invalid access tag name '" + core.Clip(t, 130) + "': use key:value")
			return
		}
	}
	s.mu.Lock()
	s.keepAccessTags(body.TagNames)
	s.mu.Unlock()
	results := make([]map[string]any, 0, len(body.TagNames))
	for _, t := range body.TagNames {
		results = append(results, map[string]any{"tag_name": t, "is_error": false})
	}
	core.WriteJSON(w, http.StatusOK, map[string]any{"results": results})
}

func (s *api) rsDeleteTag(w http.ResponseWriter, r *http.Request, _ *core.Caller) {
	tagType, ok := rsTagType(r.URL.Query().Get("tag_type"))
	if !ok {
		s.WriteError(w, r, core.ServiceGlobalTagging, http.StatusBadRequest, "bad_request", "tag_type must be user, service or access")
		return
	}
	name := r.PathValue("tag_name")
	_, attached := slices.BinarySearch(s.rsDistinctTags(tagType), name)
	res := map[string]any{"tag_name": name, "is_error": false}
	s.mu.Lock()
	switch {
	case attached:
		res["is_error"], res["message"] = true, "The tag is attached to resources; detach it first."
	case tagType == "access" && s.accessTags[name]:
		delete(s.accessTags, name)
	default:
		res["is_error"], res["message"] = true, "The tag was not found."
	}
	s.mu.Unlock()
	core.WriteJSON(w, http.StatusOK, map[string]any{"results": []map[string]any{res}})
}

func (s *api) rsDeleteUnusedTags(w http.ResponseWriter, r *http.Request, _ *core.Caller) {
	tagType, ok := rsTagType(r.URL.Query().Get("tag_type"))
	if !ok {
		s.WriteError(w, r, core.ServiceGlobalTagging, http.StatusBadRequest, "bad_request", "tag_type must be user, service or access")
		return
	}
	items := []map[string]any{}
	if tagType == "access" {
		attached := s.rsDistinctTags(tagType)
		s.mu.Lock()
		for n := range s.accessTags {
			if _, used := slices.BinarySearch(attached, n); !used {
				delete(s.accessTags, n)
				items = append(items, map[string]any{"tag_name": n, "is_error": false})
			}
		}
		s.mu.Unlock()
	}
	core.WriteJSON(w, http.StatusOK, map[string]any{"total_count": len(items), "errors": false, "items": items})
}
