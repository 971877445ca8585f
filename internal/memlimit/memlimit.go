// Package memlimit gives the Go runtime a soft memory limit from the
// container's cgroup when GOMEMLIMIT is not set.
//
// Why: without a limit the collector lets the heap grow to twice its live
// size (GOGC=100), whatever the container allows; with one close to the
// container's limit it collects harder before the kernel would kill the pod.
// The manifests set GOMEMLIMIT from limits.memory already; this covers every
// other way the binary is started in a container (another manifest, Code
// Engine, docker --memory). The limit is 90% of the cgroup's, leaving room for
// memory the runtime does not count (the binary's mapped text, and the
// inventory's index, which is mapped outside the heap). Without a cgroup limit
// nothing is set: a fixed number would only hide growth.
package memlimit

import (
	"bufio"
	"io/fs"
	"os"
	"path"
	"runtime/debug"
	"strconv"
	"strings"
)

// Share is the part of the cgroup's limit given to the runtime, in percent.
const Share = 90

// Apply sets the runtime's soft memory limit from the cgroup when GOMEMLIMIT
// is unset, and returns the limit set (0: none).
func Apply() int64 {
	if os.Getenv("GOMEMLIMIT") != "" {
		return 0
	}
	limit := FromCgroup(os.DirFS("/"))
	if limit <= 0 {
		return 0
	}
	limit = limit / 100 * Share
	debug.SetMemoryLimit(limit)
	return limit
}

// FromCgroup reads this process's cgroup memory limit (v2 memory.max, or v1
// memory.limit_in_bytes) from root; 0 when there is none or it cannot be read.
func FromCgroup(root fs.FS) int64 {
	f, err := root.Open("proc/self/cgroup")
	if err != nil {
		return 0
	}
	defer f.Close()
	var v1, v2 string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// hierarchy-ID:controller-list:cgroup-path
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		switch {
		case parts[0] == "0" && parts[1] == "":
			v2 = parts[2]
		case hasController(parts[1], "memory"):
			v1 = parts[2]
		}
	}
	if v1 != "" {
		// Inside a container the cgroup is usually mounted at its own root.
		for _, p := range []string{path.Join("sys/fs/cgroup/memory", v1), "sys/fs/cgroup/memory"} {
			if n := readLimit(root, path.Join(p, "memory.limit_in_bytes")); n > 0 {
				return n
			}
		}
	}
	if v2 != "" {
		for _, p := range []string{path.Join("sys/fs/cgroup", v2), "sys/fs/cgroup"} {
			if n := readLimit(root, path.Join(p, "memory.max")); n > 0 {
				return n
			}
		}
	}
	return 0
}

func hasController(list, name string) bool {
	for _, c := range strings.Split(list, ",") {
		if c == name {
			return true
		}
	}
	return false
}

// unlimited: cgroup v1 writes "no limit" as a page-rounded 2^63-1.
const unlimited = 1 << 62

func readLimit(root fs.FS, name string) int64 {
	b, err := fs.ReadFile(root, strings.TrimPrefix(path.Clean("/"+name), "/"))
	if err != nil {
		return 0
	}
	s := strings.TrimSpace(string(b))
	if s == "max" {
		return 0
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n >= unlimited {
		return 0
	}
	return n
}
