//go:build !release

package app

import (
	"strings"
	"testing"

	"github.com/trustjob/trustjob/internal/exitcode"
)

// TestCOSTrendAcrossRuns: two runs with no output directory (Jobs that share
// no volume) and the html format: the second index.html in the bucket shows
// a trend of two runs, read from the bucket's run summaries through the COS
// SDK.
func TestCOSTrendAcrossRuns(t *testing.T) {
	f := newDeliveryFixture(t)
	cfg := strings.Replace(f.config(""), "formats: [jsonl, markdown]", "formats: [jsonl, html]", 1)
	for i := range 2 {
		if code, logs := f.run(t, cfg); code != exitcode.OK {
			t.Fatalf("run %d: exit %d\n%s", i+1, code, logs)
		}
		index := f.ds.COS.Object(SimBucket, "trustjob/index.html")
		if index == nil {
			t.Fatalf("run %d: no trustjob/index.html in the bucket", i+1)
		}
		page := string(index.Body())
		if index.ContentType != "text/html; charset=utf-8" {
			t.Errorf("index.html stored as %q", index.ContentType)
		}
		dots := 0
		if _, chart, ok := strings.Cut(page, `id="trend-findings"`); ok {
			chart, _, _ = strings.Cut(chart, "</figure>")
			dots = strings.Count(chart, `<circle class="dot`)
		}
		if want := []int{0, 2}[i]; dots != want {
			t.Errorf("run %d: the trend of findings has %d points, want %d", i+1, dots, want)
		}
	}
}
