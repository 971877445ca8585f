package inventory

import (
	"context"
	"errors"
	"fmt"
	"github.com/trustjob/trustjob/internal/safefile"
	"io"
	"io/fs"
	"slices"
	"sort"
	"strings"

	"github.com/trustjob/trustjob/internal/report"
)

// The change report compares this run with the previous run's latest.jsonl
// without holding either in memory: the previous file is read twice, first
// into a compact index (per instance: a 64-bit CRN hash and a 32-bit hash of
// each compared field, 28 bytes, kept as sorted parallel arrays), and at the end
// again to write the instances no current row matched (deleted). A bit set
// marks which previous instances were seen. At 1,000,000 instances that is
// about 28 MB (BENCHMARKS.md).

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

type fieldHashes [fieldCount]uint32

type baseline struct {
	src       baselineSource
	keys      []uint64
	fields    []fieldHashes
	seen      []uint64 // bit set over keys
	tagsKnown bool     // the previous run read tags
}

// baselineSource is where the previous report is read from: the output
// directory's latest.jsonl, or (output.cos) the bucket through
// report.Previous. open is called once per pass and streams.
type baselineSource struct {
	name string
	open func() (io.ReadCloser, error)
}

func fileSource(path string) baselineSource {
	// Regular files only: a FIFO planted as latest.jsonl must not hang the run.
	return baselineSource{name: path, open: func() (io.ReadCloser, error) { return safefile.Open(path) }}
}

func previousSource(ctx context.Context, p report.Previous, task string) baselineSource {
	return baselineSource{name: p.Describe(task, "jsonl"), open: func() (io.ReadCloser, error) {
		return p.OpenLatest(ctx, task, "jsonl")
	}}
}

// readJSONL reads a JSONL report row by row, holding one row at a time.
var readJSONL = func(src baselineSource, fn func(report.Row) error) error {
	rc, err := src.open()
	if err != nil {
		return fmt.Errorf("read report: %w", err)
	}
	defer rc.Close()
	return report.ReadJSONLFrom(src.name, rc, fn)
}

// isInstanceRow: instance rows of an inventory report (change rows are not
// part of the baseline).
func isInstanceRow(r report.Row) bool {
	rec, _ := r[colRecord].(string)
	crn, _ := r[colCRN].(string)
	return (rec == "" || rec == recordInstance) && crn != ""
}

// loadBaseline indexes the previous report. A missing one is no baseline
// (nil, nil).
func loadBaseline(src baselineSource) (*baseline, error) {
	b := &baseline{src: src}
	err := readJSONL(src, func(r report.Row) error {
		if !isInstanceRow(r) {
			return nil
		}
		if r[colTags] != nil {
			b.tagsKnown = true
		}
		b.keys = append(b.keys, crnHash(r[colCRN].(string)))
		b.fields = append(b.fields, hashFields(r))
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read previous inventory %s: %w", src.name, err)
	}
	sort.Sort(byKey{b})
	b.keys, b.fields = slices.Clip(b.keys), slices.Clip(b.fields)
	b.seen = make([]uint64, (len(b.keys)+63)/64)
	return b, nil
}

type byKey struct{ b *baseline }

func (s byKey) Len() int           { return len(s.b.keys) }
func (s byKey) Less(i, j int) bool { return s.b.keys[i] < s.b.keys[j] }
func (s byKey) Swap(i, j int) {
	s.b.keys[i], s.b.keys[j] = s.b.keys[j], s.b.keys[i]
	s.b.fields[i], s.b.fields[j] = s.b.fields[j], s.b.fields[i]
}

func (b *baseline) find(h uint64) int {
	if k, ok := slices.BinarySearch(b.keys, h); ok {
		return k
	}
	return -1
}

func (b *baseline) isSeen(k int) bool { return b.seen[k/64]&(1<<(k%64)) != 0 }
func (b *baseline) markSeen(k int)    { b.seen[k/64] |= 1 << (k % 64) }

// compare returns the names of the fields that differ (tags only when both
// runs read them).
func (b *baseline) compare(k int, cur fieldHashes, tagsNow bool) []string {
	var out []string
	for f := 0; f < fieldCount; f++ {
		if f == fTags && (!tagsNow || !b.tagsKnown) {
			continue
		}
		if b.fields[k][f] != cur[f] {
			out = append(out, fieldColumns[f])
		}
	}
	return out
}

// unseen reads the previous report again and calls fn with every instance row
// no current row matched.
func (b *baseline) unseen(fn func(report.Row) error) error {
	err := readJSONL(b.src, func(r report.Row) error {
		if !isInstanceRow(r) {
			return nil
		}
		k := b.find(crnHash(r[colCRN].(string)))
		if k < 0 || b.isSeen(k) {
			return nil
		}
		b.markSeen(k) // once, even if the file repeats a row
		return fn(r)
	})
	if err != nil {
		return fmt.Errorf("read previous inventory %s: %w", b.src.name, err)
	}
	return nil
}

// hashFields hashes the compared fields of a row. Values may come from a
// decoded file (strings, []any) or from this run ([]string).
func hashFields(r report.Row) fieldHashes {
	var h fieldHashes
	h[fName] = hash32(str(r[colName]))
	h[fState] = hash32(str(r[colState]))
	h[fPlan] = hash32(str(r[colResourcePlanID]))
	h[fGroup] = hash32(str(r[colResourceGroupID]))
	h[fTags] = hash32(tagKey(r))
	return h
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// tagKey is a canonical form of a row's three tag lists.
func tagKey(r report.Row) string {
	var b strings.Builder
	for _, col := range []string{colTags, colServiceTags, colAccessTags} {
		list := stringList(r[col])
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

func hash32(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}
