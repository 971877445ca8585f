//go:build !linux

package memlimit

// TrimExecutable is Linux only (see trim_linux.go).
func TrimExecutable() int { return 0 }
