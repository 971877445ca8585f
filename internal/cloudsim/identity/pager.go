package identity

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/trustjob/trustjob/internal/cloudsim/core"
)

// IAM Identity's paging, the same on every list (trusted profiles, API keys,
// service IDs): pagesize 1-100 (default 20) and an opaque pagetoken in, and
// offset, limit and absolute first, previous and next links out. The links
// keep the request's other parameters and carry pagesize, so each one can be
// followed as it is; first carries no token, next is absent on the last page.

// page is one requested page: its first item and its size.
type page struct{ off, size int }

// readPage reads pagesize and pagetoken; on a bad value it answers 400 and
// reports false.
func (s *api) readPage(w http.ResponseWriter, r *http.Request) (page, bool) {
	q := r.URL.Query()
	size, err := core.IntParam(q, "pagesize", 20, 1, 100)
	if err != nil {
		s.BadRequest(w, r, core.ServiceIAMIdentity, err)
		return page{}, false
	}
	p := page{size: size}
	if tok := q.Get("pagetoken"); tok != "" {
		off, ok := core.ParsePageToken(tok)
		if !ok {
			s.BadRequest(w, r, core.ServiceIAMIdentity, fmt.Errorf("invalid pagetoken '%s'", core.Clip(tok, 50)))
			return page{}, false
		}
		p.off = off
	}
	return p, true
}

// bounds returns the slice [lo, hi) of n items that p covers.
func (p page) bounds(n int) (lo, hi int) { return core.PageBounds(n, p.off, p.size) }

// writeList writes an IAM Identity list body: context, offset, limit, the
// links, and items under field; total is the number of items in all pages.
func (s *api) writeList(w http.ResponseWriter, r *http.Request, field string, p page, total int, items []map[string]any) {
	link := func(off int) string {
		q := r.URL.Query()
		q.Del("pagetoken")
		q.Set("pagesize", strconv.Itoa(p.size))
		if off > 0 {
			q.Set("pagetoken", core.PageToken(off))
		}
		return core.SelfLink(r, true, q)
	}
	body := map[string]any{"context": s.IdentityContext(r), "offset": p.off, "limit": p.size, "first": link(0), field: items}
	if p.off > 0 {
		body["previous"] = link(max(p.off-p.size, 0))
	}
	if p.off+p.size < total {
		body["next"] = link(p.off + p.size)
	}
	core.WriteJSON(w, http.StatusOK, body)
}
