// Package report turns the rows and summary a task produces into files and
// terminal output: the formats (jsonl, json, csv, markdown, html, table), atomic writes
// (temp file + rename, never a half-written report), the latest.<format> copies,
// and reading a previous run back for change reports.
package report

// Row is one finding or record of a task. Keys are column names from the task's
// Schema; a format writes them in Schema order and leaves absent keys empty.
type Row map[string]any

// Summary is a task's totals and status, written at the end of its report and
// into run-summary.json. Keys are sorted when encoded.
type Summary map[string]any

// Schema names a task's columns in output order. Tasks that emit several kinds of
// rows (an inventory's instances and changes) use one union schema with a
// "record" column saying which kind a row is.
type Schema struct {
	Columns []string
}

// Writer is where a task streams its output. Rows are written as they arrive so
// a task never has to hold a whole listing in memory. Implementations are safe
// for concurrent use.
type Writer interface {
	// Write appends one row to every configured format.
	Write(row Row) error
	// SetSummary records the task's summary; the last call wins. The runner adds
	// status, timing and "complete" itself.
	SetSummary(s Summary)
}
