package core

import "testing"

// BenchmarkSeededRSAKey is the cost of a world's signing keys before the
// per-process cache (each Generate of a new seed pays it twice).
func BenchmarkSeededRSAKey(b *testing.B) {
	for i := range b.N {
		seededRSAKey(uint64(i)+1e6, 2048)
	}
}
