//go:build !unix

package inventory

// offHeap falls back to the Go heap where mmap is not available.
func offHeap[T any](n int) ([]T, func()) { return make([]T, n), func() {} }
