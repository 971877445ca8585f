package inventory

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Tags come from Global Search in bulk, never one call per resource: one
// cursor listing per resource group, of the tagged instances only
//
//	resource_group_id:"<id>" AND (tags:* OR service_tags:* OR access_tags:*)
//
// with no type clause: Search indexes some instances under the type their
// service chooses (k8-cluster, ...), and rows are joined on the CRN anyway
// (fidelity audit F9).
//
// at 1000 items a page, run side by side under the search service's own
// limiter. They are read before the Resource Controller listing starts, so each
// row is written once, complete.
//
// Memory stays small even when most instances are tagged: tag sets repeat a
// lot, so each distinct (user, service, access) combination is stored once and
// each tagged instance costs 12 bytes (a CRN hash and a set number, in sorted
// parallel arrays).
//
// Global Search is eventually consistent: a tag attached in the last minute may
// not show yet.

const searchPageSize = 1000

type tagSet struct{ user, service, access []string }

type tagIndex struct {
	mu    sync.Mutex
	keys  []uint64
	ids   []uint32
	sets  []tagSet
	byKey map[string]uint32

	requests int
	// removedDenied: Search refused is_deleted (documented "for administrators
	// only"), so removed instances have no tags.
	removedDenied atomic.Bool
}

func newTagIndex() *tagIndex {
	return &tagIndex{sets: []tagSet{{}}, byKey: map[string]uint32{"": 0}}
}

func (ti *tagIndex) add(it *searchItem) {
	s := tagSet{user: sortedCopy(it.Tags), service: sortedCopy(it.ServiceTags), access: sortedCopy(it.AccessTags)}
	key := strings.Join(s.user, "\x1f") + "\x1e" + strings.Join(s.service, "\x1f") + "\x1e" + strings.Join(s.access, "\x1f")
	ti.mu.Lock()
	defer ti.mu.Unlock()
	id, ok := ti.byKey[key]
	if !ok {
		id = uint32(len(ti.sets))
		ti.sets = append(ti.sets, s)
		ti.byKey[key] = id
	}
	ti.keys = append(ti.keys, crnHash(it.CRN))
	ti.ids = append(ti.ids, id)
}

func sortedCopy(s []string) []string {
	out := make([]string, len(s))
	for k, v := range s {
		out[k] = keep(v) // tag sets outlive their page
	}
	slices.Sort(out) // never nil: an empty list is written as []
	return out
}

// freeze sorts the index for lookups and drops the interning map.
func (ti *tagIndex) freeze() {
	sort.Sort(tagsByKey{ti})
	ti.byKey = nil
}

type tagsByKey struct{ t *tagIndex }

func (s tagsByKey) Len() int           { return len(s.t.keys) }
func (s tagsByKey) Less(i, j int) bool { return s.t.keys[i] < s.t.keys[j] }
func (s tagsByKey) Swap(i, j int) {
	s.t.keys[i], s.t.keys[j] = s.t.keys[j], s.t.keys[i]
	s.t.ids[i], s.t.ids[j] = s.t.ids[j], s.t.ids[i]
}

// lookup returns the tags of the instance with this CRN hash (empty lists for
// an untagged one).
func (ti *tagIndex) lookup(h uint64) tagSet {
	if k, ok := slices.BinarySearch(ti.keys, h); ok {
		return ti.sets[ti.ids[k]]
	}
	return ti.sets[0]
}

// fetchTags reads the tags of every tagged instance in groups.
func fetchTags(ctx context.Context, c *caller, gs *service, groups []string, deleted, reclaimed bool) (*tagIndex, error) {
	ti := newTagIndex()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for _, g := range groups {
		wg.Go(func() {
			n, err := searchGroup(ctx, c, gs, g, deleted, reclaimed, ti)
			if err != nil && deleted && deniedDeleted(err) {
				// Costs only the tags of removed instances (fidelity audit F8).
				if !ti.removedDenied.Swap(true) {
					c.log.Warn("Global Search refused is_deleted (administrators only); removed instances are reported without tags", "err", err)
				}
				var m int
				m, err = searchGroup(ctx, c, gs, g, false, reclaimed, ti)
				n += m
			}
			ti.mu.Lock()
			ti.requests += n
			ti.mu.Unlock()
			if err != nil {
				once.Do(func() { first = err; cancel() })
			}
		})
	}
	wg.Wait()
	if first != nil {
		return nil, first
	}
	ti.freeze()
	return ti, nil
}

// deniedDeleted: a 4xx other than 429 on a search that asked for deleted
// resources.
func deniedDeleted(err error) bool {
	s := statusOf(err)
	return s >= 400 && s < 500 && s != 429
}

func searchGroup(ctx context.Context, c *caller, gs *service, group string, deleted, reclaimed bool, ti *tagIndex) (int, error) {
	q := url.Values{"limit": {strconv.Itoa(searchPageSize)}}
	if deleted && !ti.removedDenied.Load() {
		q.Set("is_deleted", "any")
	}
	if reclaimed {
		q.Set("is_reclaimed", "any")
	}
	body := map[string]any{
		"query":  `resource_group_id:"` + group + `" AND (tags:* OR service_tags:* OR access_tags:*)`,
		"fields": []string{"crn", "tags", "service_tags", "access_tags"},
	}
	seen := map[uint64]bool{} // hashes: a kept string would keep its page (api.go)
	var page searchPage
	for n := 1; ; n++ {
		err := c.call(ctx, gs, request{op: "search tagged resources", method: "POST", path: "/v3/resources/search",
			query: q, body: body, decode: func(b []byte) error {
				page = searchPage{Items: page.Items[:0]}
				return decodeJSON(&page)(b)
			}})
		if err != nil {
			return n, err
		}
		for k := range page.Items {
			ti.add(&page.Items[k])
		}
		if len(page.Items) < searchPageSize || page.SearchCursor == "" {
			return n, nil
		}
		if seen[crnHash(page.SearchCursor)] {
			return n, fmt.Errorf("search tagged resources: the search_cursor repeated after %d pages; stopping instead of looping", n)
		}
		seen[crnHash(page.SearchCursor)] = true
		// With a cursor the API ignores the rest of the body.
		body = map[string]any{"search_cursor": page.SearchCursor}
	}
}
