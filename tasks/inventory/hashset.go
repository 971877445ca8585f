package inventory

import "slices"

// hashSet holds the CRN hashes written that the baseline does not hold (all
// of them on a first run: 8 bytes an instance). It grows in fixed chunks, never
// by copying a large slice into a larger one, which would need both at once
// (about 18 MB at 1,000,000 instances); freeze sorts each chunk for lookups.
//
// Chunks are mapped outside the Go heap (offheap_unix.go): the set only grows
// and lives for the whole run, so GC headroom on it would be wasted.
type hashSet struct {
	chunks [][]uint64
	free   []func()
	frozen bool
}

func (s *hashSet) release() {
	for _, f := range s.free {
		f()
	}
	s.chunks, s.free = nil, nil
}

const hashChunk = 64 << 10 // 512 KiB a chunk

func (s *hashSet) add(h uint64) {
	if n := len(s.chunks); n == 0 || len(s.chunks[n-1]) == hashChunk {
		c, free := offHeap[uint64](hashChunk)
		s.chunks, s.free = append(s.chunks, c[:0]), append(s.free, free)
	}
	last := &s.chunks[len(s.chunks)-1]
	*last = append(*last, h)
}

func (s *hashSet) freeze() {
	for _, c := range s.chunks {
		slices.Sort(c)
	}
	s.frozen = true
}

// has: only after freeze.
func (s *hashSet) has(h uint64) bool {
	for _, c := range s.chunks {
		if _, ok := slices.BinarySearch(c, h); ok {
			return true
		}
	}
	return false
}

// sorted returns every hash in one sorted slice on the Go heap.
func (s *hashSet) sorted() []uint64 {
	n := 0
	for _, c := range s.chunks {
		n += len(c)
	}
	out := make([]uint64, 0, n)
	for _, c := range s.chunks {
		out = append(out, c...)
	}
	slices.Sort(out)
	return out
}
