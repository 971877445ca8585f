package report

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Issue 12 item 22: a second run waits for the lock, then gives up naming the
// holder; once released, the lock is free again.
func TestLockDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	first, err := LockDir(dir, "aaaa", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = LockDir(dir, "bbbb", 300*time.Millisecond)
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second lock: %v, want ErrLocked", err)
	}
	if waited := time.Since(start); waited < 300*time.Millisecond {
		t.Errorf("gave up after %v without waiting", waited)
	}
	if want := "run aaaa"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not name the holder (%q)", err, want)
	}
	first.Unlock()
	second, err := LockDir(dir, "bbbb", 0)
	if err != nil {
		t.Fatalf("after unlock: %v", err)
	}
	second.Unlock()
}

// Issue 12 item 22: stamps carry the run id.
func TestStampCarriesRunID(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 3, 10, 3, 0, 0, 0, time.UTC)
	var files []string
	for _, id := range []string{"00000000000000a1", "00000000000000b2"} {
		r, err := NewRun(Options{Dir: dir, Now: now, RunID: id})
		if err != nil {
			t.Fatal(err)
		}
		tr, err := r.Task("t", Schema{Columns: []string{"a"}})
		if err != nil {
			t.Fatal(err)
		}
		res, err := tr.Close(true)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, res.Files[0])
	}
	if files[0] == files[1] || filepath.Base(files[0]) != "20260310T030000Z-00000000000000a1.jsonl" {
		t.Errorf("stamped files %v", files)
	}
}

// Issue 12 item 15: leftovers of a killed run are swept; older stamped
// reports beyond output.keep are pruned, latest.* and foreign files never.
func TestSweepAndPrune(t *testing.T) {
	dir := t.TempDir()
	task := filepath.Join(dir, "inventory")
	os.MkdirAll(task, 0o755)
	write := func(p string) { os.WriteFile(p, []byte("x"), 0o644) }
	for _, n := range []string{".20260101T000000Z-jsonl-123.tmp", ".latest.jsonl-abc.tmp"} {
		write(filepath.Join(task, n))
	}
	write(filepath.Join(dir, ".run-summary.json-1.tmp"))
	write(filepath.Join(dir, ".trustjob-probe-1"))
	if got := SweepTemp(dir); len(got) != 4 {
		t.Errorf("swept %v, want 4 files", got)
	}
	names := []string{
		"20260101T000000Z.jsonl", "20260101T000000Z.json",
		"20260102T000000Z-00000000000000aa.jsonl", "20260103T000000Z.incomplete.jsonl",
		"20260104T000000Z-00000000000000bb.jsonl", "latest.jsonl", "notes.txt",
	}
	for _, n := range names {
		write(filepath.Join(task, n))
	}
	now := time.Date(2026, 1, 4, 12, 0, 0, 0, time.UTC)
	if _, err := Prune(task, Retention{Count: 2}, now); err != nil {
		t.Fatal(err)
	}
	var left []string
	ents, _ := os.ReadDir(task)
	for _, e := range ents {
		left = append(left, e.Name())
	}
	want := []string{"20260103T000000Z.incomplete.jsonl", "20260104T000000Z-00000000000000bb.jsonl", "latest.jsonl", "notes.txt"}
	if !slices.Equal(left, want) {
		t.Errorf("after keep 2: %v, want %v", left, want)
	}
	if _, err := Prune(task, Retention{Age: 24 * time.Hour}, now); err != nil {
		t.Fatal(err)
	}
	ents, _ = os.ReadDir(task)
	if len(ents) != 3 {
		t.Errorf("after keep 1d: %d files, want 3", len(ents))
	}
}

// Issue 12 item 13: a FIFO as latest.jsonl is refused at once instead of
// blocking the run.
func TestReadJSONLRefusesFIFO(t *testing.T) {
	p := filepath.Join(t.TempDir(), "latest.jsonl")
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Skip(err)
	}
	done := make(chan error, 1)
	go func() { done <- ReadJSONL(p, func(Row) error { return nil }) }()
	select {
	case err := <-done:
		if err == nil {
			t.Error("a FIFO was read as a report")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ReadJSONL blocked on a FIFO")
	}
}
