//go:build !unix

package inventory

// offHeap falls back to the Go heap where mmap is not available.
func offHeap[T any](n int) ([]T, func()) { return make([]T, n), func() {} }

// offHeapShrinkable: a heap slice cannot hand back part of itself.
func offHeapShrinkable[T any](n int) ([]T, func(), func(int)) {
	return make([]T, n), func() {}, func(int) {}
}
