package inventory

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/trustjob/trustjob/internal/progress"
)

// Partitioned listing.
//
// The Resource Controller's start cursor makes one listing strictly
// sequential, so the inventory lists independent partitions side by side:
//
//  1. One root partition per (state pass, resource group): an instance belongs
//     to exactly one group, and each pass asks for one state (or the default
//     active+provisioning, whose states no explicit pass lists).
//  2. When requests could run but no partition is waiting (a skewed account:
//     one group holds most instances, and the others are done), the running
//     partition that has listed the most pages is split by updated_at into
//     day-aligned time windows [c_i, c_i+1) cut at quantiles of the updated_at
//     values it has seen. Its cursor is abandoned; the children start afresh.
//     The pages it listed are the cost of the split (BENCHMARKS.md measures it),
//     so a partition splits once, as many ways as requests may run, and the
//     children (cut at quantiles of what it saw, so of about equal size) do
//     not split again.
//
// Why nothing is listed twice or lost, for an account that does not change
// while it is listed:
//   - Groups and state passes are disjoint, and a child's windows partition its
//     parent's window exactly.
//   - The query sent for a window is a superset of it (updated_from one day
//     before, updated_to the day it ends, whichever way the API rounds a date),
//     and each row is kept only by the window that holds its updated_at, checked
//     here to the millisecond. So each row is kept by exactly one leaf.
//   - Rows a split parent already emitted are remembered (their CRN hashes,
//     sorted) and skipped by its descendants.
//
// Instances that change while the listing runs get a new updated_at and could
// move to a window already listed (lost) or not yet listed (twice). Rows
// updated after the run began (less a margin for clock skew) are therefore
// never emitted by partitions; a final catch-up listing (updated_from) emits
// every such instance that was not already emitted in its older version.

const (
	dayMS          = int64(24 * time.Hour / time.Millisecond)
	minSplitPages  = 2    // a partition must have shown it is large
	sampleSize     = 4096 // updated_at values kept per partition for cut points
	runningPerSlot = 4    // partitions listed at once, per allowed request
	// earlyFanout: the windows per allowed request of a split made early
	// (see splitWays).
	earlyFanout = 3
	// deferMargin allows for the API's clock running behind this machine's.
	deferMargin = 15 * time.Minute
	// maxPartitionPages bounds one cursor listing (10,000,000 instances at
	// 100 a page): far above any account, low enough to end a runaway API.
	maxPartitionPages = 100_000
)

// window is [from, to) in unix milliseconds; the extremes mean "open".
type window struct{ from, to int64 }

var allTime = window{math.MinInt64, math.MaxInt64}

func (w window) contains(t int64) bool { return t >= w.from && t < w.to }

func floorDay(ms int64) int64 {
	d := ms / dayMS
	if ms%dayMS < 0 {
		d--
	}
	return d * dayMS
}

func dateOf(ms int64) string { return time.UnixMilli(ms).UTC().Format(time.DateOnly) }

type partition struct {
	id        int
	state     string // "" for the default states
	group     string // resource group ID; "" for the whole account (catch-up)
	win       window
	catchUp   bool
	probe     bool       // read one page for the groups on it, emit nothing (groups.go)
	ancestors [][]uint64 // sorted CRN hashes emitted by split ancestors

	// Owned by the partition's goroutine.
	emitted hashSet        // off the Go heap (hashset.go)
	dates   dateCandidates // instances close to midnight, for the date check (dates.go)
	sample  []int64
	seen    int
	minMS   int64
	maxMS   int64
	rng     *rand.Rand

	// Guarded by lister.mu.
	pages     int
	canSplit  bool
	splitWays int  // > 0: split into this many at the next page boundary
	finished  bool // listed to its last page (not split, not failed)
	// candidates: dates as of the last page, for a split decided elsewhere.
	candidates dateCandidates
}

// query is the first page's query; later pages send only start and limit (the
// API ignores everything else once start is set).
func (p *partition) query(pageSize int, deferAfter int64, exactDates bool) url.Values {
	q := url.Values{"limit": {strconv.Itoa(pageSize)}}
	if p.group != "" {
		q.Set("resource_group_id", p.group)
	}
	if p.state != "" {
		q.Set("state", p.state)
	}
	from := p.win.from
	if p.catchUp {
		from = deferAfter
	}
	f, t := dateRange(from, p.win.to, exactDates)
	if f != "" {
		q.Set("updated_from", f)
	}
	if t != "" {
		q.Set("updated_to", t)
	}
	return q
}

// note records a kept row's updated_at in a bounded reservoir sample.
func (p *partition) note(ms int64) {
	if p.seen == 0 {
		p.minMS, p.maxMS = ms, ms
	}
	p.minMS, p.maxMS = min(p.minMS, ms), max(p.maxMS, ms)
	p.seen++
	if len(p.sample) < sampleSize {
		p.sample = append(p.sample, ms)
	} else if k := p.rng.IntN(p.seen); k < sampleSize {
		p.sample[k] = ms
	}
}

// splittable: some day boundary lies inside the window with seen rows on both
// sides of it.
func (p *partition) splittable() bool {
	if p.catchUp || p.seen == 0 {
		return false
	}
	c := floorDay(p.maxMS)
	return c > p.win.from && c > p.minMS && c < p.win.to
}

// cuts returns up to k-1 day-aligned cut points at quantiles of the sample.
func (p *partition) cuts(k int) []int64 {
	s := slices.Clone(p.sample)
	slices.Sort(s)
	var out []int64
	for q := 1; q < k && len(s) > 0; q++ {
		c := floorDay(s[q*len(s)/k])
		if c <= p.win.from || c >= p.win.to || c <= p.minMS || (len(out) > 0 && c <= out[len(out)-1]) {
			continue
		}
		out = append(out, c)
	}
	return out
}

func (p *partition) skip(h uint64) bool {
	for _, a := range p.ancestors {
		if _, ok := slices.BinarySearch(a, h); ok {
			return true
		}
	}
	return false
}

// sink receives the rows partitions keep, with their CRN hashes.
type sink func(p *partition, rows []*rcInstance, hashes []uint64) error

// lister runs partitions concurrently under one limiter.
type lister struct {
	c             *caller
	rc            *service
	pageSize      int
	minSplitPages int
	alwaysSplit   bool // tests: split whatever may split, worth it or not
	maxRunning    int
	deferAfter    int64
	sink          sink
	progress      *progress.Tracker  // nil: not counted
	probe         func([]rcInstance) // receives a probe partition's page
	dates         atomic.Int32       // how the API reads dates (dates.go)
	datesDone     chan struct{}      // closed once dates is settled

	mu          sync.Mutex
	queue       []*partition
	running     map[*partition]bool
	pendingWays int
	nextID      int
	err         error
	ctx         context.Context
	cancel      context.CancelFunc
	done        chan struct{}

	// Pages of the resource groups listed to their end: what a group of this
	// account looks like, for the split decision (worthSplitting).
	completed []int

	// Counters for the summary.
	partitions, splits, planned, pages, abandonedPages, overlapRows, deferredRows int
}

func newLister(c *caller, rc *service, pageSize, maxRunning int, deferAfter time.Time, s sink) *lister {
	return &lister{c: c, rc: rc, pageSize: pageSize, minSplitPages: minSplitPages, maxRunning: maxRunning,
		deferAfter: deferAfter.UnixMilli(), sink: s, running: map[*partition]bool{}, datesDone: make(chan struct{})}
}

// plan asks p, before the listing starts, to split into ways windows after its
// first page, cut at quantiles of sample (the previous run's updated_at
// values of its group) and of its own first page.
func (l *lister) plan(p *partition, ways int, sample []int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, ms := range sample {
		p.note(ms)
	}
	p.splitWays = ways
	l.pendingWays += ways - 1
	l.planned++
}

// priority is the partition's place among waiting requests (limiter.go):
// partitions that cannot be divided further and may be long (account-wide
// state passes, the windows of a split) go first, so that they are not still
// running, one request at a time, when everything else is done. Resource
// groups share what is left in turn.
func (p *partition) priority() int {
	if p.group == "" || len(p.ancestors) > 0 {
		return 1
	}
	return 0
}

func (l *lister) newPartition(state, group string, win window, catchUp bool, anc [][]uint64) *partition {
	l.nextID++
	l.partitions++
	return &partition{id: l.nextID, state: state, group: group, win: win, catchUp: catchUp, ancestors: anc,
		rng: rand.New(rand.NewPCG(uint64(l.nextID), 0x696e76))} //nolint:gosec // sampling, not security
}

// run lists roots (and whatever they split into) to the end, or to the first
// error, which it returns.
func (l *lister) run(ctx context.Context, roots []*partition) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	l.mu.Lock()
	l.ctx, l.cancel, l.err = ctx, cancel, nil
	l.done = make(chan struct{})
	l.queue = append(l.queue, roots...)
	l.schedule(ctx)
	l.mu.Unlock()
	<-l.done
	return l.err
}

// schedule starts waiting partitions and, when request slots would otherwise
// go unused, asks the largest running partition to split. Called with mu held.
func (l *lister) schedule(ctx context.Context) {
	if l.err == nil {
		for len(l.queue) > 0 && len(l.running) < l.maxRunning {
			p := l.queue[0]
			l.queue = l.queue[1:]
			l.running[p] = true
			go l.list(ctx, p)
		}
		l.maybeSplit()
	}
	if len(l.running) == 0 && (len(l.queue) == 0 || l.err != nil) {
		select {
		case <-l.done:
		default:
			close(l.done)
		}
	}
}

// add queues a partition into the listing that is running (a group found
// while listing). Only called from a running partition, so the run is not over.
func (l *lister) add(state, group string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.queue = append(l.queue, l.newPartition(state, group, allTime, false, nil))
	l.schedule(l.ctx)
}

func (l *lister) maybeSplit() {
	if len(l.queue) > 0 {
		return
	}
	idle := l.rc.lim.Slots() - len(l.running) - l.pendingWays
	if idle <= 0 {
		return
	}
	var best *partition
	for p := range l.running {
		// A split's children are cut at quantiles of what their parent saw,
		// so they end at about the same time; splitting them again would
		// abandon many pages to save little time.
		if p.splitWays > 0 || !p.canSplit || p.pages < l.minSplitPages || len(p.ancestors) > 0 {
			continue
		}
		if !l.alwaysSplit && !l.worthSplitting(p.pages, splitWays(p.pages, idle, l.rc.lim.Slots()), l.rc.lim.Slots()) {
			continue
		}
		// A partition with priority (an account-wide pass) lists at a
		// request per round trip from the start, so its pages say less about
		// its size than a group's: groups are split first.
		if best == nil || p.priority() < best.priority() ||
			(p.priority() == best.priority() && (p.pages > best.pages || (p.pages == best.pages && p.id < best.id))) {
			best = p
		}
	}
	if best != nil {
		ways := splitWays(best.pages, idle, l.rc.lim.Slots())
		best.splitWays = ways
		l.pendingWays += ways - 1
		// The windows need to know how the API reads dates: asked now,
		// while the partition's last page is on its way.
		l.checkDates(l.ctx, best.candidates)
	}
}

// splitWays is how many windows a partition that has listed pages pages is
// split into when idle of slots request slots are free.
//
// Wide at once: every split abandons the pages the partition listed, so one
// split into at least as many windows as requests may run costs less than a
// cascade of narrow ones as the tail thins out. The windows are cut at
// quantiles of the updated_at values the partition has seen; after few pages
// those are few, the windows differ more in size and the largest one sets the
// tail. Such a split abandons little, so it affords three windows per slot
// (each costs a partial last page): on skew90 in BENCHMARKS.md that took the
// tail from 0.9 s to 0.26 s for 6 more requests.
func splitWays(pages, idle, slots int) int {
	if pages < 2*slots {
		return max(idle+1, earlyFanout*slots)
	}
	return max(idle+1, slots)
}

// worthSplitting weighs a split of a partition that has listed pages pages
// into ways windows, with slots requests allowed at once, in round trips: the
// time it saves against the requests it costs (the pages abandoned and a
// partial last page per window), spread over the slots.
//
// What is left of the partition is unknown. It is estimated from the groups
// already listed to their end: what was left of those larger than pages, with
// one guess of as much again as it has listed (so a partition larger than
// every group seen counts as having as much to go as it has listed). An
// account of many equal groups then does not split a group that is a page
// from its end, while a group that outgrows the others splits as soon as
// request slots fall idle. Called with mu held.
func (l *lister) worthSplitting(pages, ways, slots int) bool {
	left, n := pages, 1
	for _, c := range l.completed {
		if c > pages {
			left += c - pages
			n++
		}
	}
	rest := float64(left) / float64(n)
	w := float64(ways)
	saved := rest - (rest+float64(pages))/w - 1 // each window has a first page to wait for
	cost := (float64(pages) + w/2) / float64(slots)
	return saved > cost+1
}

func (l *lister) fail(err error) {
	if l.err == nil {
		l.err = err
		l.cancel()
	}
}

// list runs one partition to its end, or until it splits.
func (l *lister) list(ctx context.Context, p *partition) {
	err := l.listPages(ctx, p)
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		l.fail(err)
	}
	delete(l.running, p)
	if p.finished && p.group != "" && !p.catchUp && len(p.ancestors) == 0 {
		l.completed = append(l.completed, p.pages)
	}
	if p.splitWays > 0 { // asked to split, but ended first
		l.pendingWays -= p.splitWays - 1
		p.splitWays = 0
	}
	p.emitted.release()
	p.sample = nil
	l.schedule(ctx)
}

func (l *lister) listPages(ctx context.Context, p *partition) error {
	var page rcPage
	tokens := map[uint64]bool{} // hashes: a kept string would keep its page (api.go)
	start := ""
	rows := make([]*rcInstance, 0, l.pageSize)
	hashes := make([]uint64, 0, l.pageSize)
	if p.win != allTime {
		if err := l.awaitDates(ctx); err != nil {
			return err
		}
	}
	for {
		q := p.query(l.pageSize, l.deferAfter, l.dates.Load() == datesExact)
		if start != "" {
			q = url.Values{"start": {start}, "limit": {strconv.Itoa(l.pageSize)}}
		}
		err := l.c.call(ctx, l.rc, request{
			op: "list resource instances", method: "GET", path: "/v2/resource_instances", query: q, priority: p.priority(),
			decode: func(b []byte) error {
				page = rcPage{Resources: page.Resources[:0]}
				return decodeJSON(&page)(b)
			},
		})
		if err != nil {
			return err
		}
		if page.RowsCount == nil && len(page.Resources) == 0 {
			return errors.New("list resource instances: Resource Controller answered 200 without rows_count or resources; not a page")
		}
		if p.probe {
			if l.probe != nil {
				l.probe(page.Resources)
			}
			return nil
		}
		rows, hashes = rows[:0], hashes[:0]
		overlap, deferred := 0, 0
		for k := range page.Resources {
			ins := &page.Resources[k]
			ms := parseMS(ins.UpdatedAt)
			if !p.win.contains(ms) || (p.group != "" && ins.ResourceGroupID != p.group) {
				overlap++
				continue
			}
			if p.catchUp != (ms >= l.deferAfter) {
				deferred++
				continue
			}
			h := crnHash(ins.CRN)
			if p.skip(h) {
				continue
			}
			p.note(ms)
			if !p.catchUp && len(p.ancestors) == 0 { // may split: may check dates
				p.dates.note(ins, ms)
			}
			rows = append(rows, ins)
			hashes = append(hashes, h)
		}
		if err := l.sink(p, rows, hashes); err != nil {
			return err
		}
		// A planned split (plan.go) checks dates from its first page.
		l.mu.Lock()
		p.candidates = p.dates
		planned := p.splitWays > 0
		l.mu.Unlock()
		if planned {
			l.checkDates(ctx, p.dates)
		}
		// The decoded strings point into the page's read buffer: drop them
		// now, so that the buffer is garbage while the next request waits,
		// instead of living until the next page overwrites them (two buffers
		// per running partition).
		clear(page.Resources)
		clear(rows)
		if len(p.ancestors) == 0 && !p.catchUp {
			// Only a partition that may split needs what it emitted.
			for _, h := range hashes {
				p.emitted.add(h)
			}
		}
		if l.progress != nil {
			l.progress.Add(1, len(rows))
		}

		next, err := startToken(page.NextURL)
		if err != nil {
			return fmt.Errorf("list resource instances: %w", err)
		}
		if next != "" && (tokens[crnHash(next)] || next == start) {
			return fmt.Errorf("list resource instances: the API returned the start token %.40q… again after %d pages; stopping instead of looping", next, len(tokens)+1)
		}
		// Empty pages with a cursor are legitimate: Resource Controller drops
		// rows the caller may not see after cutting the page (fidelity audit
		// F4). The repeated-token check above stops a loop; the budget stops
		// an endless stream of fresh tokens.
		if len(tokens) >= maxPartitionPages {
			return fmt.Errorf("list resource instances: more than %d pages in one listing; stopping (the API keeps returning new cursors)", maxPartitionPages)
		}

		l.mu.Lock()
		l.pages++
		l.overlapRows += overlap
		l.deferredRows += deferred
		p.pages++
		p.canSplit = p.splittable()
		ways := p.splitWays
		if next == "" {
			p.finished = true
			l.mu.Unlock()
			return nil
		}
		if ways > 0 {
			children := l.split(p, ways)
			l.pendingWays -= ways - 1
			p.splitWays = 0
			if len(children) > 0 {
				l.c.log.Debug("split a partition", "state", p.state, "group", p.group, "pages", p.pages, "ways", len(children),
					"first_cut", dateOf(children[0].win.to), "last_cut", dateOf(children[len(children)-1].win.from), "samples", len(p.sample))
				l.splits++
				l.abandonedPages += p.pages
				l.queue = append(children, l.queue...)
				l.mu.Unlock()
				return nil
			}
			p.canSplit = false
		}
		l.schedule(ctx)
		l.mu.Unlock()
		tokens[crnHash(next)] = true
		start = keep(next) // not a view into the page's buffer (clear above)
		page.NextURL = nil
	}
}

// split makes p's children: its window cut at quantiles of its sample, each
// skipping what p and its ancestors emitted. Called with mu held.
func (l *lister) split(p *partition, ways int) []*partition {
	cuts := p.cuts(ways)
	if len(cuts) == 0 {
		return nil
	}
	done := p.emitted.sorted()
	anc := append(slices.Clip(p.ancestors), done)
	bounds := append(append([]int64{p.win.from}, cuts...), p.win.to)
	children := make([]*partition, 0, len(bounds)-1)
	for k := 0; k+1 < len(bounds); k++ {
		children = append(children, l.newPartition(p.state, p.group, window{bounds[k], bounds[k+1]}, false, anc))
	}
	return children
}

// parseMS reads an RFC 3339 timestamp; an unreadable one sorts first, so it
// still falls in exactly one window.
func parseMS(s string) int64 {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return math.MinInt64
	}
	return t.UnixMilli()
}

// crnHash is FNV-1a (64 bits) of a CRN: stable across runs, so change reports
// can compare against a previous file.
func crnHash(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}
