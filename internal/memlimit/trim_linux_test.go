package memlimit

import (
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestReadOnlyMappings(t *testing.T) {
	maps := `00400000-00f90000 r-xp 00000000 fe:00 9986369                            /opt/trustjob
00f90000-01c78000 r--p 00b90000 fe:00 9986369                            /opt/trustjob
01c78000-01d12000 rw-p 01878000 fe:00 9986369                            /opt/trustjob
01d12000-01d20000 rw-p 00000000 00:00 0
7fa381040000-7fa381196000 r-xp 00026000 fe:00 326269                     /usr/lib/x86_64-linux-gnu/libc.so.6
7fa381200000-7fa381300000 r--s 00000000 fe:00 9986369                    /opt/trustjob
7fa381300000-7fa381400000 r-xp 00000000 fe:00 1                          /opt/trustjob (deleted)
garbage line
zz-01 r-xp 00000000 fe:00 9986369 /opt/trustjob
`
	tests := []struct {
		path string
		want [][2]uintptr
	}{
		{"/opt/trustjob", [][2]uintptr{{0x400000, 0xf90000}, {0xf90000, 0x1c78000}}},
		{"/opt/trustjob (deleted)", [][2]uintptr{{0x7fa381300000, 0x7fa381400000}}},
		{"/other", nil},
	}
	for _, tt := range tests {
		if got := readOnlyMappings([]byte(maps), tt.path); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: %x, want %x", tt.path, got, tt.want)
		}
	}
}

// TestTrimExecutable: the test binary's resident file pages go down, and
// its code still runs (pages come back from the page cache).
func TestTrimExecutable(t *testing.T) {
	before := rssFile(t)
	if n := TrimExecutable(); n == 0 {
		t.Fatal("no mapping trimmed")
	}
	after := rssFile(t)
	if after >= before {
		t.Errorf("RssFile %d kB before, %d kB after", before, after)
	}
	if got := strings.Repeat("ab", 2); got != "abab" { // code runs after the trim
		t.Errorf("got %q", got)
	}
}

func rssFile(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "RssFile:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Skip("no RssFile")
	return 0
}
