package inventory

import (
	"math/rand/v2"
	"slices"
)

// A plan from the previous run.
//
// A group's size is unknown until it is listed: a partition that turns out
// large is split only once it has outlived the others, and the pages it
// listed by then are listed again by its windows (on the skew40 benchmark,
// 32 of 1,056 requests; no listing that knows nothing in advance can do
// better). A scheduled inventory usually does know: the previous run's report,
// already read for the change report, says how many instances each group had
// and when they were updated. A group that held more than the listing can do
// in a request slot's share of the time is therefore split after its first
// page, at quantiles of the previous run's updated_at values, abandoning one
// page instead of dozens. If the account changed since, nothing is lost: the
// windows still partition the group's whole time range, and the first page's
// own updated_at values join the sample. (A window does not split again: a
// group that grew far beyond the plan ends with a longer tail.)

const (
	planSample = 1024 // updated_at values kept per (group, state)
	planGroups = 256  // (group, state) pairs tracked; beyond, no plan
)

type plan struct {
	total int // Resource Controller instance rows of the previous run
	keys  map[planKey]*planGroup
	off   bool // too many groups, or no usable dates
}

type planKey struct{ group, state string }

type planGroup struct {
	n      int
	sample []int64
	rng    *rand.Rand
}

func newPlan() *plan { return &plan{keys: map[planKey]*planGroup{}} }

// note counts one previous instance row.
func (pl *plan) note(group, state, updatedAt string) {
	if pl == nil || pl.off {
		return
	}
	pl.total++
	k := planKey{group, state}
	g := pl.keys[k]
	if g == nil {
		if len(pl.keys) >= planGroups {
			pl.off, pl.keys = true, nil
			return
		}
		k = planKey{keep(group), keep(state)}
		g = &planGroup{rng: rand.New(rand.NewPCG(uint64(len(pl.keys)), 0x706c616e))} //nolint:gosec // sampling
		pl.keys[k] = g
	}
	g.n++
	ms := parseMS(updatedAt)
	switch {
	case len(g.sample) < planSample:
		g.sample = append(g.sample, ms)
	default:
		if j := g.rng.IntN(g.n); j < planSample {
			g.sample[j] = ms
		}
	}
}

// windows returns how many windows the group's partition in state should be
// cut into after its first page, and the updated_at sample to cut at; 0 when
// the group needs no plan. slots requests run at once; a page holds pageSize.
func (pl *plan) windows(group, state string, slots, pageSize int) (int, []int64) {
	if pl == nil || pl.off || pl.total == 0 {
		return 0, nil
	}
	g := pl.keys[planKey{group, state}]
	if g == nil {
		return 0, nil
	}
	pages := float64(g.n) / float64(pageSize)
	share := float64(pl.total) / float64(pageSize) / float64(slots) // round trips of the whole listing
	if pages <= share || pages < 4 {
		return 0, nil // ends within its share of the time
	}
	// Windows of at most half a share each, so they end with the rest, and
	// at least as many as a split after few pages makes (splitWays): a
	// window is whole days, and the days an account updated most can make
	// one window much larger than its sample share says.
	ways := int(2*pages/share) + 1
	return min(max(ways, splitWays(1, 0, slots)), 4*slots), slices.Clone(g.sample)
}
