package report

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/trustjob/trustjob/internal/safefile"
)

// LockFile is the advisory lock in the output directory; it stays (empty but
// for the holder's pid and run id) between runs.
const LockFile = ".trustjob.lock"

// ErrLocked is returned by LockDir when another run holds the directory.
var ErrLocked = errors.New("the output directory is in use by another trustjob run")

// DirLock is a held lock on an output directory.
type DirLock struct{ f *os.File }

// LockDir creates dir if needed and takes its advisory lock, waiting up to
// wait for another run to finish. Two runs writing the same directory would
// otherwise race for latest.* and run-summary.json. The lock is released by
// Unlock or when the process ends, however it ends.
func LockDir(dir, runID string, wait time.Duration) (*DirLock, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create output directory: %w", err)
	}
	path := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("output directory %s is not writable: %w", dir, err)
	}
	deadline := time.Now().Add(wait)
	for {
		ok, err := tryLock(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			holder, _ := os.ReadFile(path)
			f.Close()
			return nil, fmt.Errorf("%w (%s) after waiting %s: %s", ErrLocked, strings.TrimSpace(string(holder)), wait, dir)
		}
		time.Sleep(100 * time.Millisecond)
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(fmt.Sprintf("pid %d, run %s\n", os.Getpid(), runID)), 0)
	return &DirLock{f: f}, nil
}

// Unlock releases the lock.
func (l *DirLock) Unlock() {
	if l != nil && l.f != nil {
		unlock(l.f)
		l.f.Close()
		l.f = nil
	}
}

// SweepTemp removes temporary files a killed run left in dir and its task
// folders (".<name>-*.tmp", ".trustjob-probe-*"). Call it under the lock: then
// no other run's temporary file can be live. It returns the paths removed.
func SweepTemp(dir string) []string {
	var removed []string
	sweep := func(d string) {
		ents, err := os.ReadDir(d)
		if err != nil {
			return
		}
		for _, e := range ents {
			n := e.Name()
			if e.Type().IsRegular() && strings.HasPrefix(n, ".") && (strings.HasSuffix(n, ".tmp") || strings.HasPrefix(n, ".trustjob-probe-")) {
				if os.Remove(filepath.Join(d, n)) == nil {
					removed = append(removed, filepath.Join(d, n))
				}
			}
		}
	}
	sweep(dir)
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			sweep(filepath.Join(dir, e.Name()))
		}
	}
	return removed
}

// Retention is how many stamped reports a task keeps: the newest Count runs,
// or those younger than Age; the zero value keeps everything.
type Retention struct {
	Count int
	Age   time.Duration
}

// Prune removes the time-stamped reports (complete and incomplete) of
// DIR/<task> beyond keep, counting runs (one stamp = one run, whatever the
// formats). latest.* and files trustjob did not name are never touched.
func Prune(taskDir string, keep Retention, now time.Time) ([]string, error) {
	if keep.Count <= 0 && keep.Age <= 0 {
		return nil, nil
	}
	ents, err := os.ReadDir(taskDir)
	if err != nil {
		return nil, err
	}
	runs := map[string][]string{} // stamp -> files
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		if stamp, ok := stampOf(e.Name()); ok {
			runs[stamp] = append(runs[stamp], e.Name())
		}
	}
	stamps := make([]string, 0, len(runs))
	for s := range runs {
		stamps = append(stamps, s)
	}
	// Stamps begin with the UTC time: their order is the runs' order.
	slices.Sort(stamps)
	slices.Reverse(stamps)
	var removed []string
	for i, s := range stamps {
		t, _ := time.Parse(StampLayout, s[:len(StampLayout)])
		old := (keep.Count > 0 && i >= keep.Count) || (keep.Age > 0 && now.Sub(t) > keep.Age)
		if !old {
			continue
		}
		for _, n := range runs[s] {
			p := filepath.Join(taskDir, n)
			if os.Remove(p) == nil {
				removed = append(removed, p)
			}
		}
	}
	return removed, nil
}

// stampOf returns the stamp a report file name starts with
// ("20260310T030000Z" or "20260310T030000Z-<run id>"), if it has one.
func stampOf(name string) (string, bool) {
	if len(name) < len(StampLayout)+2 {
		return "", false
	}
	if _, err := time.Parse(StampLayout, name[:len(StampLayout)]); err != nil {
		return "", false
	}
	rest := name[len(StampLayout):]
	stamp := name[:len(StampLayout)]
	if id, ok := strings.CutPrefix(rest, "-"); ok {
		i := strings.IndexByte(id, '.')
		if i <= 0 {
			return "", false
		}
		if _, err := strconv.ParseUint(id[:i], 16, 64); err != nil {
			return "", false
		}
		stamp += "-" + id[:i]
		rest = id[i:]
	}
	if !strings.HasPrefix(rest, ".") {
		return "", false
	}
	return stamp, true
}

// AccountFile records which IBM Cloud account an output directory's reports
// belong to.
const AccountFile = ".trustjob-account"

// ClaimAccount records account in dir, or fails when dir already belongs to
// another account: its latest.* would be compared with this account's data
// and every difference reported as a change.
func ClaimAccount(dir, account string) error {
	if account == "" {
		return nil
	}
	path := filepath.Join(dir, AccountFile)
	b, err := safefile.ReadFile(path, 4<<10)
	switch {
	case err == nil:
		if had := strings.TrimSpace(string(b)); had != "" && had != account {
			return fmt.Errorf("%w: %s holds reports of account %s, this run signed in to account %s", ErrOtherAccount, dir, had, account)
		}
		if strings.TrimSpace(string(b)) == account {
			return nil
		}
	case !errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("read %s: %w", path, err)
	}
	return WriteFileAtomic(path, []byte(account+"\n"), 0o644)
}
