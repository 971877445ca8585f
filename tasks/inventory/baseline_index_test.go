package inventory

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestBaselineCompactFind: the compact index (48-bit keys under a 16-bit
// directory) finds exactly what a binary search over the full keys finds,
// first duplicates included, for keys in full, sparse and empty buckets.
func TestBaselineCompactFind(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 2, 1000, 100000} {
		keys := make([]uint64, 0, n+4)
		for range n {
			keys = append(keys, rng.Uint64())
		}
		if n > 2 {
			// same top 16 bits, neighbours, a duplicate, the extremes
			keys = append(keys, keys[0]^1, keys[1], 0, ^uint64(0))
		}
		slices.Sort(keys)
		full := slices.Clone(keys)
		b := &baseline{keys: keys, free: []func(){func() {}}}
		b.compact()
		defer b.release()
		if b.size() != len(full) {
			t.Fatalf("n=%d: size %d, want %d", n, b.size(), len(full))
		}
		probe := append(slices.Clone(full), rng.Uint64(), 1, ^uint64(1), full0(full)+1)
		for _, h := range probe {
			want := -1
			if k, ok := slices.BinarySearch(full, h); ok {
				want = k
			}
			if got := b.find(h); got != want {
				t.Fatalf("n=%d: find(%#x) = %d, want %d", n, h, got, want)
			}
		}
	}
}

func full0(s []uint64) uint64 {
	if len(s) == 0 {
		return 0
	}
	return s[0]
}
