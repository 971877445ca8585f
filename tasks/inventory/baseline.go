package inventory

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"sort"
	"strings"
	"unsafe"

	gojson "github.com/goccy/go-json"

	"github.com/trustjob/trustjob/internal/report"
	"github.com/trustjob/trustjob/internal/safefile"
)

// The change report compares this run with the previous run's latest.jsonl
// without holding either in memory: the previous file is read twice, first
// into a compact index, and at the end again to write the instances no
// current row matched (deleted). Per instance the index holds:
//   - a 64-bit CRN hash, its low 48 bits (6 bytes) under a directory of the
//     top 16;
//   - a 16-bit hash of the name;
//   - a 16-bit code of the (state, plan, group) triple in a dictionary of
//     the distinct triples, which keeps their exact values: an account has
//     few plans, groups and states, and far fewer distinct triples than
//     instances (up to maxTriples; beyond, the index widens to a 16-bit hash
//     of each of the three);
//   - a 16-bit hash of the tags, only written when the row has tags.
//
// That is 10 bytes an instance without tags, 12 with (16 before the
// dictionary), kept as sorted parallel arrays sized exactly from a count of
// the file's lines and mapped outside the Go heap, so that the collector's
// headroom does not double them. A bit set marks which previous instances
// were seen. At 1,000,000 instances the index is 10 MB (BENCHMARKS.md).
// Rows are decoded into a struct of the compared fields only; the whole row
// is decoded just for the deleted ones.
//
// A 16-bit hash misses a change to the name (or the tags) once in 65,536
// changes; changes to state, plan and group are exact (hashed like the name
// only in a widened index). The CRN key stays 64-bit, so instances are never
// confused.

// Compared fields, in changed_fields order.
const (
	fName = iota
	fState
	fPlan
	fGroup
	fTags
	fieldCount
)

var fieldColumns = [fieldCount]string{"name", "state", "resource_plan_id", "resource_group_id", "tags"}

// rowFields are the compared fields of a row: the name and tags hashed,
// state, plan and group as they are.
type rowFields struct {
	name uint16
	tags uint16
	t    triple
}

// triple is what the dictionary holds (see above).
type triple struct{ state, plan, group string }

// maxTriples bounds the dictionary (and its heap: about 150 bytes a
// triple). The benchmark's 1,000,000 instances have 1,280.
var maxTriples = 1 << 12 // a variable for tests

// noTags is the hash of a row without tags (three lists, none or empty).
var noTags = hash16(tagKeyOf(nil, nil, nil))

type baseline struct {
	src baselineSource
	// keys: the sorted CRN hashes while the index is built; then n of them
	// are kept as their low 48 bits (low, 6 bytes each) under a directory of
	// the top 16 (dir[t] is the first key whose top bits are t), which saves
	// 2 of the 18 bytes an instance and loses nothing.
	keys []uint64
	n    int
	dir  []uint32
	low  []byte
	// One array a field, so that the tags array of a report without tags
	// is never written and costs nothing (mapped pages are resident only
	// once written). name[k] and tags[k] are hashes; code[k] is instance
	// k's triple in dict, or, once the index is wide (dict full), the
	// hashes are in wide[fState], wide[fPlan] and wide[fGroup].
	name, tags, code []uint16
	dict             []triple
	dictIndex        map[triple]uint16
	wide             [fieldCount][]uint16
	lines            int      // the arrays' length
	seen             []uint64 // bit set over keys
	tagsKnown        bool     // the previous run read tags
	plan             *plan    // group sizes and dates for the listing (plan.go); nil once used
	// fromSearch marks (bit set over keys) instances the previous run had
	// from Global Search; sources are the sources its rows came from.
	fromSearch []uint64
	sources    map[string]bool
	free       []func()       // unmaps keys (then low) and fields (offheap_unix.go)
	shrinkKeys func(keep int) // hands back the keys' memory beyond keep bytes
	dropCodes  func(int)      // hands back the codes' memory (widen)
}

// release returns the index's memory; the baseline is unusable after it.
func (b *baseline) release() {
	for _, f := range b.free {
		f()
	}
	b.free, b.keys, b.low, b.name, b.tags, b.code, b.wide = nil, nil, nil, nil, nil, nil, [fieldCount][]uint16{}
}

// size is the number of previous instances indexed.
func (b *baseline) size() int { return b.n }

// compact replaces the sorted keys by the directory and their low 48 bits,
// in place: key k's 6 bytes go where keys k*3/4 to k*3/4+1 were, which are
// read already, so the index never needs the 8-byte keys and their 6-byte
// copy at once (6 MB more at 1,000,000 instances). The last quarter of the
// keys' memory is then handed back (shrinkKeys).
func (b *baseline) compact() {
	b.n = len(b.keys)
	b.dir = make([]uint32, 1<<16+1)
	for k, h := range b.keys {
		b.dir[h>>48+1] = uint32(k + 1)
	}
	for t := 1; t < len(b.dir); t++ { // empty buckets start where the last ended
		b.dir[t] = max(b.dir[t], b.dir[t-1])
	}
	mem := asBytes(b.keys)
	for k, h := range b.keys { // h is read before its bytes are overwritten
		putLow48(mem[6*k:], h)
	}
	b.low, b.keys = mem[:6*b.n], nil
	if b.shrinkKeys != nil {
		b.shrinkKeys(6 * b.n)
	}
}

// asBytes views s's memory as bytes.
func asBytes(s []uint64) []byte {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), 8*len(s))
}

func putLow48(b []byte, h uint64) {
	_ = b[5]
	b[0], b[1], b[2], b[3], b[4], b[5] = byte(h), byte(h>>8), byte(h>>16), byte(h>>24), byte(h>>32), byte(h>>40)
}

func (b *baseline) low48(k int) uint64 {
	p := b.low[6*k : 6*k+6]
	return uint64(p[0]) | uint64(p[1])<<8 | uint64(p[2])<<16 | uint64(p[3])<<24 | uint64(p[4])<<32 | uint64(p[5])<<40
}

// baselineSource is where the previous report is read from: the output
// directory's latest.jsonl, or (output.cos) the bucket through
// report.Previous. open is called once per pass and streams.
type baselineSource struct {
	name string
	open func() (io.ReadCloser, error)
}

// fileSource reads a regular file only: a FIFO planted as latest.jsonl must
// not hang the run.
func fileSource(path string) baselineSource {
	return baselineSource{name: path, open: func() (io.ReadCloser, error) { return safefile.Open(path) }}
}

func previousSource(ctx context.Context, p report.Previous, task string) baselineSource {
	return baselineSource{name: p.Describe(task, "jsonl"), open: func() (io.ReadCloser, error) {
		return p.OpenLatest(ctx, task, "jsonl")
	}}
}

// baseRow is what the index reads of a previous row.
type baseRow struct {
	Record      string `json:"record"`
	Source      string `json:"source"`
	CRN         string `json:"crn"`
	Name        string `json:"name"`
	State       string `json:"state"`
	Plan        string `json:"resource_plan_id"`
	Group       string `json:"resource_group_id"`
	UpdatedAt   string `json:"updated_at"`
	Tags        any    `json:"tags"`
	ServiceTags any    `json:"service_tags"`
	AccessTags  any    `json:"access_tags"`
}

// instance: an instance row of an inventory report (change rows are not
// part of the baseline).
func (r *baseRow) instance() bool {
	return (r.Record == "" || r.Record == "instance") && r.CRN != ""
}

func (r *baseRow) fields() rowFields {
	f := rowFields{name: hash16(r.Name), tags: noTags, t: triple{r.State, r.Plan, r.Group}}
	if r.Tags != nil || r.ServiceTags != nil || r.AccessTags != nil {
		f.tags = hash16(tagKeyOf(r.Tags, r.ServiceTags, r.AccessTags))
	}
	return f
}

// maxBaselineLine bounds one row of the previous report (as report.ReadJSONL).
const maxBaselineLine = 16 << 20

// scanBaseline calls fn with each non-blank line of src and its number. The
// line is only valid during the call.
func scanBaseline(src baselineSource, fn func(line []byte, n int) error) error {
	f, err := src.open()
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), maxBaselineLine)
	n := 0
	for sc.Scan() {
		n++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		if err := fn(b, n); err != nil {
			return err
		}
	}
	if err := sc.Err(); errors.Is(err, bufio.ErrTooLong) {
		return fmt.Errorf("line %d longer than %d MiB", n+1, maxBaselineLine>>20)
	} else if err != nil {
		return fmt.Errorf("after line %d: %w", n, err)
	}
	return nil
}

// decodeBaseRow decodes one line; a line that is not a JSON object is an
// error naming it.
func decodeBaseRow(path string, line []byte, n int, r *baseRow) error {
	*r = baseRow{}
	if len(line) == 0 || line[0] != '{' {
		return fmt.Errorf("%s:%d: not a JSON object", path, n)
	}
	if err := gojson.Unmarshal(line, r); err != nil {
		return fmt.Errorf("%s:%d: %w", path, n, err)
	}
	return nil
}

// loadBaseline indexes the previous report at path. A missing file is no
// baseline (nil, nil).
func loadBaseline(src baselineSource) (*baseline, error) {
	lines := 0
	err := scanBaseline(src, func([]byte, int) error { lines++; return nil })
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read previous inventory %s: %w", src.name, err)
	}
	b := &baseline{src: src, sources: map[string]bool{}, plan: newPlan()}
	keys, freeKeys, shrinkKeys := offHeapShrinkable[uint64](lines)
	b.keys, b.free, b.shrinkKeys, b.lines = keys[:0], []func(){freeKeys}, shrinkKeys, lines
	b.name, b.tags = b.column(), b.column()
	code, freeCode, dropCodes := offHeapShrinkable[uint16](lines)
	b.code, b.free, b.dropCodes = code, append(b.free, freeCode), dropCodes
	b.dictIndex = map[triple]uint16{}
	var search []uint64 // CRN hashes of Search rows (few, usually)
	var r baseRow
	err = scanBaseline(src, func(line []byte, n int) error {
		if err := decodeBaseRow(src.name, line, n, &r); err != nil {
			return err
		}
		if !r.instance() {
			return nil
		}
		if len(b.keys) == cap(b.keys) {
			return fmt.Errorf("%s changed while it was read", src.name)
		}
		if r.Tags != nil {
			b.tagsKnown = true
		}
		h := crnHash(r.CRN)
		b.setFields(len(b.keys), r.fields())
		b.keys = append(b.keys, h)
		src := r.Source
		if src == "" {
			src = SourceResourceController
		}
		if src == SourceResourceController {
			b.plan.note(r.Group, r.State, r.UpdatedAt)
		}
		b.sources[keep(src)] = true
		if src == SourceSearch {
			search = append(search, h)
		}
		return nil
	})
	if err != nil {
		b.release()
		return nil, fmt.Errorf("read previous inventory %s: %w", src.name, err)
	}
	sort.Sort(byKey{b})
	b.compact()
	b.seen = make([]uint64, (b.n+63)/64)
	b.fromSearch = make([]uint64, (b.n+63)/64)
	for _, h := range search {
		if k := b.find(h); k >= 0 {
			b.fromSearch[k/64] |= 1 << (k % 64)
		}
	}
	return b, nil
}

// column maps one array of the index.
func (b *baseline) column() []uint16 {
	col, free := offHeap[uint16](b.lines)
	b.free = append(b.free, free)
	return col
}

// setFields stores instance k's fields. Tags are stored XOR noTags: a row
// without tags stores 0 and leaves the array unwritten, so a report without
// tags costs no memory for it (mapped pages are resident once written).
func (b *baseline) setFields(k int, f rowFields) {
	b.name[k] = f.name
	if v := f.tags ^ noTags; v != 0 {
		b.tags[k] = v
	}
	if b.code == nil {
		b.setWide(k, f.t)
		return
	}
	c, ok := b.dictIndex[f.t]
	if !ok && len(b.dict) == maxTriples {
		b.widen(k)
		b.setWide(k, f.t)
		return
	}
	if !ok {
		// The line's strings point into the scanner's buffer.
		c = uint16(len(b.dict))
		t := triple{keep(f.t.state), keep(f.t.plan), keep(f.t.group)}
		b.dict, b.dictIndex[t] = append(b.dict, t), c
	}
	b.code[k] = c
}

func (b *baseline) setWide(k int, t triple) {
	b.wide[fState][k], b.wide[fPlan][k], b.wide[fGroup][k] = hash16(t.state), hash16(t.plan), hash16(t.group)
}

// widen replaces the dictionary by a hash of each of state, plan and group,
// for the k instances stored so far and all after.
func (b *baseline) widen(k int) {
	for _, f := range []int{fState, fPlan, fGroup} {
		b.wide[f] = b.column()
	}
	for j := range k {
		b.setWide(j, b.dict[b.code[j]])
	}
	b.code, b.dict, b.dictIndex = nil, nil, nil
	b.dropCodes(0) // resident no more; unmapped with the rest
}

type byKey struct{ b *baseline }

func (s byKey) Len() int           { return len(s.b.keys) }
func (s byKey) Less(i, j int) bool { return s.b.keys[i] < s.b.keys[j] }
func (s byKey) Swap(i, j int) {
	s.b.keys[i], s.b.keys[j] = s.b.keys[j], s.b.keys[i]
	for _, col := range [...][]uint16{s.b.name, s.b.tags, s.b.code, s.b.wide[fState], s.b.wide[fPlan], s.b.wide[fGroup]} {
		if col != nil && col[i] != col[j] { // an array of zeros stays unwritten
			col[i], col[j] = col[j], col[i]
		}
	}
}

// find returns the index of the first key equal to h, or -1.
func (b *baseline) find(h uint64) int {
	lo, hi := int(b.dir[h>>48]), int(b.dir[h>>48+1])
	want := h & (1<<48 - 1)
	k := lo + sort.Search(hi-lo, func(i int) bool { return b.low48(lo+i) >= want })
	if k < hi && b.low48(k) == want {
		return k
	}
	return -1
}

func (b *baseline) isSeen(k int) bool { return b.seen[k/64]&(1<<(k%64)) != 0 }
func (b *baseline) markSeen(k int)    { b.seen[k/64] |= 1 << (k % 64) }

// listed: the previous run listed this source (or there was no previous
// instance at all).
func (b *baseline) listed(source string) bool {
	if source == "" {
		source = SourceResourceController
	}
	return b.n == 0 || b.sources[source]
}

// compare returns the names of the fields that differ (tags only when both
// runs read them; state and plan only when both rows came from the same
// source, since a Search document has no plan).
func (b *baseline) compare(k int, cur rowFields, tagsNow, curSearch bool) []string {
	prevSearch := b.fromSearch[k/64]&(1<<(k%64)) != 0
	var differs [fieldCount]bool
	differs[fName] = b.name[k] != cur.name
	differs[fTags] = b.tags[k]^noTags != cur.tags
	if b.code != nil {
		prev := b.dict[b.code[k]]
		differs[fState], differs[fPlan], differs[fGroup] = prev.state != cur.t.state, prev.plan != cur.t.plan, prev.group != cur.t.group
	} else {
		differs[fState] = b.wide[fState][k] != hash16(cur.t.state)
		differs[fPlan] = b.wide[fPlan][k] != hash16(cur.t.plan)
		differs[fGroup] = b.wide[fGroup][k] != hash16(cur.t.group)
	}
	var out []string
	for f := 0; f < fieldCount; f++ {
		if f == fTags && (!tagsNow || !b.tagsKnown) {
			continue
		}
		if (f == fState || f == fPlan) && prevSearch != curSearch {
			continue
		}
		if differs[f] {
			out = append(out, fieldColumns[f])
		}
	}
	return out
}

// unseen reads the previous report again and calls fn with every instance row
// no current row matched.
func (b *baseline) unseen(fn func(report.Row) error) error {
	var r baseRow
	err := scanBaseline(b.src, func(line []byte, n int) error {
		if err := decodeBaseRow(b.src.name, line, n, &r); err != nil {
			return err
		}
		if !r.instance() {
			return nil
		}
		k := b.find(crnHash(r.CRN))
		if k < 0 || b.isSeen(k) {
			return nil
		}
		b.markSeen(k) // once, even if the file repeats a row
		var row report.Row
		if err := gojson.Unmarshal(line, &row); err != nil {
			return fmt.Errorf("%s:%d: %w", b.src.name, n, err)
		}
		return fn(row)
	})
	if err != nil {
		return fmt.Errorf("read previous inventory %s: %w", b.src.name, err)
	}
	return nil
}

// currentFields reads the compared fields of a row of this run.
func currentFields(r report.Row) rowFields {
	return rowFields{
		name: hash16(str(r[colName])),
		tags: hash16(tagKeyOf(r[colTags], r[colServiceTags], r[colAccessTags])),
		t:    triple{str(r[colState]), str(r[colResourcePlanID]), str(r[colResourceGroupID])},
	}
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// tagKeyOf is a canonical form of a row's three tag lists. Values may come
// from a decoded file ([]any) or from this run ([]string).
func tagKeyOf(lists ...any) string {
	var b strings.Builder
	for _, v := range lists {
		list := stringList(v)
		slices.Sort(list)
		b.WriteString(strings.Join(list, "\x1f"))
		b.WriteByte('\x1e')
	}
	return b.String()
}

// stringList accepts []string, []any of strings, or a comma-separated string.
func stringList(v any) []string {
	switch x := v.(type) {
	case []string:
		return slices.Clone(x)
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	case string:
		if x == "" {
			return nil
		}
		return strings.Split(x, ",")
	}
	return nil
}

// hash16 is FNV-1a (32 bits) folded to 16.
func hash16(s string) uint16 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return uint16(h ^ h>>16)
}

// shrinkGuard fails the run (so the report is kept as incomplete and latest.*
// keeps the previous run) when the listing lost more of the previous run's
// instances than maxShrinkPercent allows. Real mass deletions happen; a
// listing that silently misses a resource group happens too, and only the
// first may become the baseline the next change report trusts.
func (r *run) shrinkGuard() error {
	b := r.em.base
	if b == nil || b.n == 0 {
		return nil
	}
	gone := r.em.counts.deleted
	limit := r.task.opts.MaxShrinkPercent
	if limit >= 100 || gone < minShrinkInstances || gone*100 <= limit*b.n {
		return nil
	}
	return fmt.Errorf("%d of the previous run's %d instances (%d%%) were not listed, more than maxShrinkPercent (%d%%): "+
		"the report is kept as incomplete and the previous latest.* stays the baseline. If the instances were really deleted, "+
		"set maxShrinkPercent: 100 for one run; if not, check that the trusted profile can still view every resource group",
		gone, b.n, gone*100/b.n, limit)
}
