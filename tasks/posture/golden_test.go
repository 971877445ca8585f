package posture

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/trustjob/trustjob/internal/report"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// goldenNow is the failing fixture's anchor: the emulator's clock and the
// task's are pinned to it.
var goldenNow = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

// TestGolden pins the failing account's report (rows and summary) in every
// report format.
func TestGolden(t *testing.T) {
	out, res, err := runRows(t, load(t, "testdata/failing.yaml"), fastOptions())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	r, err := report.NewRun(report.Options{Dir: dir, Formats: report.Formats, Now: goldenNow})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := r.Task(TypeName, Type().Schema)
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range out {
		if err := tr.Write(row); err != nil {
			t.Fatal(err)
		}
	}
	sum := res.ReportSummary()
	delete(sum, "mfa_report_reference")
	tr.SetSummary(sum)
	if _, err := tr.Close(true); err != nil {
		t.Fatal(err)
	}
	for _, format := range report.Formats {
		got, err := os.ReadFile(report.LatestPath(dir, TypeName, format))
		if err != nil {
			t.Fatal(err)
		}
		golden := filepath.Join("testdata", "posture."+report.Extension[format]+".golden")
		if *update {
			if err := os.WriteFile(golden, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from %s (go test ./tasks/posture -run TestGolden -update)", format, golden)
		}
	}
}
