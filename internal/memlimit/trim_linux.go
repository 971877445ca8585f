package memlimit

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// TrimExecutable hands back the pages of the binary's read-only mappings
// (code and read-only data) that startup touched, and returns how many
// mappings it trimmed.
//
// Why: the binary is large (the emulator, the report assets, several SDKs)
// and package initialisation touches about 17 MB of it (RssFile), of which
// a run uses about 10 MB again. Pages of a read-only file mapping hold
// nothing private: after MADV_DONTNEED they are mapped again from the page
// cache, without I/O, when touched. So the pages only startup needed stop
// counting against the process (about 6 MB of peak RSS at 1,000,000
// instances; BENCHMARKS.md, "Memory, third round"). The writable data
// mapping is never touched: it holds the program's variables.
func TrimExecutable() int {
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return 0
	}
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return 0
	}
	n := 0
	for _, r := range readOnlyMappings(maps, exe) {
		if _, _, e := syscall.Syscall(syscall.SYS_MADVISE, r[0], r[1]-r[0], syscall.MADV_DONTNEED); e == 0 {
			n++
		}
	}
	return n
}

// readOnlyMappings returns the [start, end) ranges of path's mappings that
// are private and not writable, from /proc/self/maps.
func readOnlyMappings(maps []byte, path string) [][2]uintptr {
	var out [][2]uintptr
	sc := bufio.NewScanner(bytes.NewReader(maps))
	for sc.Scan() {
		// start-end perms offset dev inode path
		f := strings.Fields(sc.Text())
		if len(f) < 6 || strings.Join(f[5:], " ") != path {
			continue
		}
		if perms := f[1]; len(perms) != 4 || perms[1] != '-' || perms[3] != 'p' {
			continue
		}
		lo, hi, ok := strings.Cut(f[0], "-")
		if !ok {
			continue
		}
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 != nil || err2 != nil || end <= start {
			continue
		}
		out = append(out, [2]uintptr{uintptr(start), uintptr(end)})
	}
	return out
}
