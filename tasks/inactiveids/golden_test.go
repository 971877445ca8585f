package inactiveids

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/trustjob/trustjob/internal/cloudsim"
	"github.com/trustjob/trustjob/internal/config"
	"github.com/trustjob/trustjob/internal/report"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// TestGolden pins the rows and summary of the fixture world, with exemptions
// and a dry-run action, in every report format.
func TestGolden(t *testing.T) {
	h := start(t, loadWorld(t), cloudsim.Options{}, true)
	o := testOptions()
	o.Actions = []ActionConfig{{Action: ActionDisableAPIKey, OlderThan: config.Duration(180 * 24 * time.Hour)}}
	out, err := run(t, h, o)
	if err != nil {
		t.Fatal(err)
	}
	// Rows arrive in a deterministic order per section; sort anyway so the
	// golden file does not depend on it.
	sort.SliceStable(out.rows, func(i, j int) bool {
		return fmt.Sprint(out.rows[i]["record"], out.rows[i]["kind"], out.rows[i]["id"], out.rows[i]["action"]) <
			fmt.Sprint(out.rows[j]["record"], out.rows[j]["kind"], out.rows[j]["id"], out.rows[j]["action"])
	})
	sum := report.Summary{}
	for k, v := range out.sum {
		if k != "report_reference" && k != "report_polls" {
			sum[k] = v
		}
	}
	dir := t.TempDir()
	r, err := report.NewRun(report.Options{Dir: dir, Formats: report.Formats, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := r.Task("inactive-identities", Type().Schema)
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range out.rows {
		if err := tr.Write(row); err != nil {
			t.Fatal(err)
		}
	}
	tr.SetSummary(sum)
	if _, err := tr.Close(true); err != nil {
		t.Fatal(err)
	}
	for _, format := range report.Formats {
		got, err := os.ReadFile(report.LatestPath(dir, "inactive-identities", format))
		if err != nil {
			t.Fatal(err)
		}
		golden := filepath.Join("testdata", "inactive."+report.Extension[format]+".golden")
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
			t.Errorf("%s differs from %s (go test ./tasks/inactiveids -run TestGolden -update)", format, golden)
		}
	}
}
