package resources

import (
	"github.com/trustjob/trustjob/internal/cloudsim/core"

	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Global Search v3 (POST /v3/resources/search), as IBM documents it
// (https://cloud.ibm.com/apidocs/search) and the globalsearchv2 SDK calls it: limit (default 10, at most 1000) as a query parameter, a
// search_cursor whose request ignores the body's other properties, and a last
// page with empty items. Each item carries crn plus the requested fields.
//
// Queries use a subset of Lucene, enough for what trustjob sends and for
// hand-written checks:
//
//	field:value          equality, case-insensitive (any element of a list field)
//	field:"a b:c"        the same with a quoted value (backslash escapes work too: env\:prod)
//	field:prefix*        prefix match
//	field:*              the field is present and not empty
//	*                    everything
//	word                 a bare term: any field contains it (case-insensitive)
//	a AND b, a && b      both
//	a OR b, a || b, a b  either (Lucene's default operator is OR)
//	NOT a, !a, -a        negation; +a is a
//	( ... )              grouping; AND binds tighter than OR
//
// Fields: crn, name, family (resource_controller), type (resource-instance),
// region, resource_group_id, account_id, service_name, state, tags,
// service_tags, access_tags. Unknown fields match nothing. Ranges, fuzzy and
// proximity queries and inner wildcards are not implemented.

const (
	rsSearchDefaultLimit = 10
	rsSearchMaxLimit     = 1000
)

var rsSearchFields = []string{"crn", "name", "family", "type", "region", "resource_group_id",
	"account_id", "service_name", "state", "tags", "service_tags", "access_tags", "creation_date"}

var rsSearchDefaultFields = []string{"account_id", "name", "type", "family", "crn"}

func (s *api) routesSearch() {
	s.Handle(core.Route{Pattern: "POST /v3/resources/search", Service: core.ServiceGlobalSearch, Action: core.ActionResourceSearch, Handler: s.rsSearch})
}

func (s *api) rsSearch(w http.ResponseWriter, r *http.Request, _ *core.Caller) {
	bad := func(msg string) {
		s.WriteError(w, r, core.ServiceGlobalSearch, http.StatusBadRequest, "bad_request", msg)
	}
	q := r.URL.Query()
	limit := rsSearchDefaultLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > rsSearchMaxLimit {
			bad("limit must be an integer between 1 and 1000")
			return
		}
		limit = n
	}
	deleted, reclaimed := q.Get("is_deleted"), q.Get("is_reclaimed")
	for _, v := range []string{deleted, reclaimed} {
		if v != "" && v != "true" && v != "false" && v != "any" {
			bad("is_deleted and is_reclaimed must be true, false or any")
			return
		}
	}
	var body struct {
		Query        *string  `json:"query"`
		Fields       []string `json:"fields"`
		SearchCursor *string  `json:"search_cursor"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		bad("the request body is not valid JSON")
		return
	}
	query, fields, pos := "*", rsSearchDefaultFields, 0
	if body.SearchCursor != nil && *body.SearchCursor != "" {
		p, _, canon, err := rsDecodeCursor("gs", *body.SearchCursor)
		var vals url.Values
		if err == nil {
			vals, err = url.ParseQuery(canon)
		}
		if err != nil {
			bad("invalid search_cursor")
			return
		}
		pos, query, fields = p, vals.Get("q"), strings.Split(vals.Get("f"), ",")
	} else {
		if body.Query != nil && strings.TrimSpace(*body.Query) != "" {
			query = *body.Query
		}
		if len(body.Fields) > 0 {
			fields = body.Fields
		}
	}
	expr, err := rsParseQuery(query)
	if err != nil {
		bad("invalid query: " + err.Error())
		return
	}
	if len(fields) == 1 && fields[0] == "*" {
		fields = rsSearchFields
	}

	s.mu.RLock()
	defer s.mu.RUnlock()
	st := s.st
	if deleted != "" && deleted != "false" && st.Behaviour.DeletedAdminOnly {
		s.WriteError(w, r, core.ServiceGlobalSearch, http.StatusForbidden, "forbidden",
			"is_deleted is for account administrators only")
		return
	}
	items := []map[string]any{}
	next := pos
	st.walk(-1, pos, func(p, i int) bool {
		next = p + 1
		m, rec, ok := st.lookup(i)
		if !ok || !rsSearchVisible(m.state, deleted, reclaimed) {
			return true
		}
		d := &rsDoc{st: st, i: i, m: m, rec: rec}
		if !expr.match(d) {
			return true
		}
		item := map[string]any{"crn": d.one("crn")}
		for _, f := range fields {
			if f == "crn" {
				continue
			}
			if v, ok := d.value(f); ok {
				item[f] = v
			}
		}
		items = append(items, item)
		return len(items) < limit
	})
	// Documents that are not instances follow the instances.
	total := st.n + len(st.created)
	for k := max(pos, total) - total; len(items) < limit && k < st.Behaviour.SearchOnlyDocs; k++ {
		next = total + k + 1
		if deleted == "true" || reclaimed == "true" {
			break
		}
		doc := st.searchDoc(k)
		d := &rsDoc{st: st, doc: &doc}
		if !expr.match(d) {
			continue
		}
		item := map[string]any{"crn": doc.crn}
		for _, f := range fields {
			if v, ok := d.value(f); ok && f != "crn" {
				item[f] = v
			}
		}
		items = append(items, item)
	}
	canon := url.Values{"q": {query}, "f": {strings.Join(fields, ",")}}.Encode()
	core.WriteJSON(w, http.StatusOK, map[string]any{
		"search_cursor": rsEncodeCursor("gs", next, limit, canon),
		"limit":         limit,
		"items":         items,
	})
}

// rsSearchVisible applies is_deleted (removed instances) and is_reclaimed
// (instances pending reclamation); both default to false.
func rsSearchVisible(state int, deleted, reclaimed string) bool {
	want := func(param string, is bool) bool {
		switch param {
		case "any":
			return true
		case "true":
			return is
		default:
			return !is
		}
	}
	return want(deleted, state == 6) && want(reclaimed, state == 4)
}

// rsDoc is one instance as the search index sees it. Field values are computed
// on demand; the full record is only built for crn and name.
type rsDoc struct {
	st  *State
	i   int
	m   rsMeta
	rec *InstanceRecord
	doc *searchDoc // a document that is not an instance (search_docs.go)
}

func (d *rsDoc) full() *InstanceRecord {
	if d.rec == nil {
		d.rec = d.st.materialize(d.i, d.m)
	}
	return d.rec
}

// values returns a field's values (list fields may have several).
func (d *rsDoc) values(field string) []string {
	if d.doc != nil {
		return d.doc.values(field, d.st.account)
	}
	switch field {
	case "crn":
		return []string{d.st.instanceCRN(d.full())}
	case "name":
		return []string{d.full().Name}
	case "family":
		_, family := searchType(d.fullOrMeta(func(r *InstanceRecord) string { return r.Service }, ""))
		return []string{family}
	case "type":
		typ, _ := searchType(d.fullOrMeta(func(r *InstanceRecord) string { return r.Service }, ""))
		return []string{typ}
	case "account_id":
		return []string{d.st.account}
	case "creation_date":
		return []string{d.full().CreatedAt.UTC().Format("2006-01-02T15:04:05.000Z")}
	case "state":
		return []string{d.fullOrMeta(func(r *InstanceRecord) string { return r.State }, rsStates[max(d.m.state, 0)])}
	case "region":
		return []string{d.fullOrMeta(func(r *InstanceRecord) string { return r.Region }, "")}
	case "service_name":
		return []string{d.fullOrMeta(func(r *InstanceRecord) string { return r.Service }, "")}
	case "resource_group_id":
		return []string{d.fullOrMeta(func(r *InstanceRecord) string { return r.GroupID }, "")}
	case "tags":
		if d.rec == nil {
			return rsTagList(d.m.userTags, rsUserTags)
		}
		return d.rec.Tags
	case "service_tags":
		if d.rec == nil {
			return rsTagList(d.m.serviceTags, rsServiceTags)
		}
		return d.rec.ServiceTags
	case "access_tags":
		if d.rec == nil {
			return rsTagList(d.m.accessTags, rsAccessTags)
		}
		return d.rec.AccessTags
	}
	return nil
}

// fullOrMeta reads a string field from the overlay record, or derives it from
// the generated meta without building the record (fallback "" means: build it).
func (d *rsDoc) fullOrMeta(get func(*InstanceRecord) string, fromMeta string) string {
	if d.rec == nil && fromMeta == "" {
		switch {
		case d.m.service >= 0 && d.m.group >= 0:
			svc := &rsServices[d.m.service]
			// region, service_name and resource_group_id need no strings built.
			r := InstanceRecord{Region: svc.regions[d.m.region], Service: svc.name, GroupID: d.st.Groups[d.m.group].ID}
			return get(&r)
		}
	}
	if d.rec == nil && fromMeta != "" {
		return fromMeta
	}
	return get(d.full())
}

func (d *rsDoc) one(field string) string {
	if v := d.values(field); len(v) > 0 {
		return v[0]
	}
	return ""
}

// value is a field as an item carries it: lists stay lists.
func (d *rsDoc) value(field string) (any, bool) {
	switch field {
	case "tags", "service_tags", "access_tags":
		v := d.values(field)
		if v == nil {
			v = []string{}
		}
		return v, true
	}
	v := d.values(field)
	if v == nil {
		return nil, false
	}
	return v[0], true
}

// Query AST.
type rsQuery interface{ match(d *rsDoc) bool }

type (
	rsAnd  []rsQuery
	rsOr   []rsQuery
	rsNot  struct{ q rsQuery }
	rsTerm struct {
		field, value        string
		all, exists, prefix bool
	}
)

func (q rsAnd) match(d *rsDoc) bool {
	for _, c := range q {
		if !c.match(d) {
			return false
		}
	}
	return true
}

func (q rsOr) match(d *rsDoc) bool {
	for _, c := range q {
		if c.match(d) {
			return true
		}
	}
	return false
}

func (q rsNot) match(d *rsDoc) bool { return !q.q.match(d) }

func (t rsTerm) match(d *rsDoc) bool {
	if t.all {
		return true
	}
	if t.field == "" {
		needle := strings.ToLower(t.value)
		for _, f := range rsSearchFields {
			for _, v := range d.values(f) {
				if strings.Contains(strings.ToLower(v), needle) {
					return true
				}
			}
		}
		return false
	}
	for _, v := range d.values(t.field) {
		switch {
		case t.exists:
			if v != "" {
				return true
			}
		case t.prefix:
			if len(v) >= len(t.value) && strings.EqualFold(v[:len(t.value)], t.value) {
				return true
			}
		default:
			if strings.EqualFold(v, t.value) {
				return true
			}
		}
	}
	return false
}

// rsParseQuery parses the Lucene subset described at the top of this file.
func rsParseQuery(s string) (rsQuery, error) {
	toks, err := rsLex(s)
	if err != nil {
		return nil, err
	}
	p := &rsParser{toks: toks}
	q, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.pos < len(p.toks) {
		return nil, errors.New("unexpected '" + p.toks[p.pos].text + "'")
	}
	return q, nil
}

type rsTok struct {
	kind byte // '(' ')' '&' '|' '!' '+' or 't' (term)
	text string
	term rsTerm
}

func rsLex(s string) ([]rsTok, error) {
	var toks []rsTok
	for k := 0; k < len(s); {
		c := s[k]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			k++
		case c == '(' || c == ')':
			toks = append(toks, rsTok{kind: c, text: string(c)})
			k++
		case strings.HasPrefix(s[k:], "&&"):
			toks = append(toks, rsTok{kind: '&', text: "&&"})
			k += 2
		case strings.HasPrefix(s[k:], "||"):
			toks = append(toks, rsTok{kind: '|', text: "||"})
			k += 2
		case c == '!' || c == '-':
			toks = append(toks, rsTok{kind: '!', text: string(c)})
			k++
		case c == '+':
			toks = append(toks, rsTok{kind: '+', text: "+"})
			k++
		default:
			t, n, err := rsLexTerm(s[k:])
			if err != nil {
				return nil, err
			}
			switch t.text {
			case "AND":
				t.kind = '&'
			case "OR":
				t.kind = '|'
			case "NOT":
				t.kind = '!'
			}
			toks = append(toks, t)
			k += n
		}
	}
	return toks, nil
}

// rsLexTerm reads [field:]value from the start of s.
func rsLexTerm(s string) (rsTok, int, error) {
	k := 0
	lastEscaped := false
	readBare := func(stopAtColon bool) (string, bool) {
		var b strings.Builder
		for k < len(s) {
			c := s[k]
			if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '(' || c == ')' {
				break
			}
			lastEscaped = false
			if c == '\\' && k+1 < len(s) {
				b.WriteByte(s[k+1])
				k += 2
				lastEscaped = true
				continue
			}
			if c == ':' && stopAtColon {
				k++
				return b.String(), true
			}
			b.WriteByte(c)
			k++
		}
		return b.String(), false
	}
	readQuoted := func() (string, error) {
		var b strings.Builder
		for k++; k < len(s) && s[k] != '"'; k++ {
			if s[k] == '\\' && k+1 < len(s) {
				k++
			}
			b.WriteByte(s[k])
		}
		if k >= len(s) {
			return "", errors.New("unterminated quote")
		}
		k++
		return b.String(), nil
	}
	var t rsTerm
	quoted := false
	var err error
	if s[0] == '"' {
		t.value, err = readQuoted()
		quoted = true
	} else {
		first, colon := readBare(true)
		switch {
		case !colon:
			t.value = first
		case first == "":
			return rsTok{}, 0, errors.New("empty field name")
		default:
			t.field = first
			if k < len(s) && s[k] == '"' {
				t.value, err = readQuoted()
				quoted = true
			} else {
				t.value, _ = readBare(false)
			}
		}
	}
	if err != nil {
		return rsTok{}, 0, err
	}
	switch {
	case quoted:
	case t.field == "" && t.value == "*":
		t.all = true
	case t.field != "" && t.value == "*":
		t.exists = true
	case strings.HasSuffix(t.value, "*") && !lastEscaped:
		t.prefix, t.value = true, strings.TrimSuffix(t.value, "*")
	}
	if t.field != "" && t.value == "" && !quoted {
		return rsTok{}, 0, errors.New("missing value after '" + t.field + ":'")
	}
	text := s[:k]
	return rsTok{kind: 't', text: text, term: t}, k, nil
}

type rsParser struct {
	toks []rsTok
	pos  int
}

func (p *rsParser) peek() byte {
	if p.pos < len(p.toks) {
		return p.toks[p.pos].kind
	}
	return 0
}

func (p *rsParser) or() (rsQuery, error) {
	var terms rsOr
	for {
		q, err := p.and()
		if err != nil {
			return nil, err
		}
		terms = append(terms, q)
		switch p.peek() {
		case '|':
			p.pos++
		case 't', '(', '!', '+':
			// Adjacent clauses: Lucene's default operator, OR.
		default:
			if len(terms) == 1 {
				return terms[0], nil
			}
			return terms, nil
		}
	}
}

func (p *rsParser) and() (rsQuery, error) {
	var terms rsAnd
	for {
		q, err := p.unary()
		if err != nil {
			return nil, err
		}
		terms = append(terms, q)
		if p.peek() != '&' {
			break
		}
		p.pos++
	}
	if len(terms) == 1 {
		return terms[0], nil
	}
	return terms, nil
}

func (p *rsParser) unary() (rsQuery, error) {
	switch p.peek() {
	case '!':
		p.pos++
		q, err := p.unary()
		if err != nil {
			return nil, err
		}
		return rsNot{q}, nil
	case '+':
		p.pos++
		return p.unary()
	case '(':
		p.pos++
		q, err := p.or()
		if err != nil {
			return nil, err
		}
		if p.peek() != ')' {
			return nil, errors.New("missing ')'")
		}
		p.pos++
		return q, nil
	case 't':
		t := p.toks[p.pos].term
		p.pos++
		return t, nil
	case 0:
		return nil, errors.New("unexpected end of query")
	default:
		return nil, errors.New("unexpected '" + p.toks[p.pos].text + "'")
	}
}
