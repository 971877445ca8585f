package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/trustjob/trustjob/internal/safefile"
)

// Extension is the file extension of each format.
var Extension = map[string]string{"jsonl": "jsonl", "json": "json", "csv": "csv", "markdown": "md", "html": "html", "ocsf": "ocsf.jsonl"}

// LatestPath is where the latest complete report of task in format lives.
func LatestPath(dir, task, format string) string {
	ext, ok := Extension[format]
	if !ok {
		ext = format
	}
	return filepath.Join(dir, task, "latest."+ext)
}

// maxLine bounds one JSONL row; a longer line is reported, not buffered forever.
const maxLine = 16 << 20

// ReadJSONL calls fn for every row of a JSONL report, in order, holding one row
// in memory at a time. Blank lines are skipped; a line that is not a JSON object
// is an error naming the file and line.
func ReadJSONL(path string, fn func(Row) error) error {
	// A regular file only: a FIFO planted as latest.jsonl would block the
	// open (and the run, past its deadline) forever.
	f, err := safefile.Open(path)
	if err != nil {
		return fmt.Errorf("read report: %w", err)
	}
	defer f.Close()
	return readJSONL(path, bufio.NewScanner(f), fn)
}

func readJSONL(path string, sc *bufio.Scanner, fn func(Row) error) error {
	sc.Buffer(make([]byte, 64<<10), maxLine)
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		var r Row
		if err := json.Unmarshal(b, &r); err != nil || r == nil {
			if err == nil {
				err = errors.New("not a JSON object")
			}
			return fmt.Errorf("read report %s:%d: %w", path, line, err)
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	if err := sc.Err(); errors.Is(err, bufio.ErrTooLong) {
		return fmt.Errorf("read report %s:%d: line longer than %d MiB", path, line+1, maxLine>>20)
	} else if err != nil {
		return fmt.Errorf("read report %s after line %d: %w", path, line, err)
	}
	return nil
}
