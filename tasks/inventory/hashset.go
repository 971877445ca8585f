package inventory

import "slices"

// hashSet holds the CRN hashes written that the baseline does not hold (all
// of them on a first run: 8 bytes an instance). It grows in fixed chunks, never
// by copying a large slice into a larger one, which would need both at once
// (about 18 MB at 1,000,000 instances); freeze sorts each chunk for lookups.
type hashSet struct {
	chunks [][]uint64
	frozen bool
}

const hashChunk = 64 << 10 // 512 KiB a chunk

func (s *hashSet) add(h uint64) {
	if n := len(s.chunks); n == 0 || len(s.chunks[n-1]) == hashChunk {
		s.chunks = append(s.chunks, make([]uint64, 0, hashChunk))
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
