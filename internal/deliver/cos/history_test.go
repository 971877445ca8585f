package cos_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	simcos "github.com/trustjob/trustjob/internal/cloudsim/cos"
	"github.com/trustjob/trustjob/internal/deliver/cos"
	"github.com/trustjob/trustjob/internal/report"
)

// publishSummary uploads a run summary the way a run does:
// run-summary/<stamp>.json, then latest.json.
func publishSummary(t *testing.T, c *cos.Client, stamp string, body []byte) {
	t.Helper()
	dir := t.TempDir()
	stamped, latest := filepath.Join(dir, stamp+".json"), filepath.Join(dir, "latest.json")
	for _, p := range []string{stamped, latest} {
		if err := os.WriteFile(p, body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.PublishFiles(context.Background(), cos.SummaryFolder, []string{stamped, latest}, true); err != nil {
		t.Fatal(err)
	}
}

// The bucket's run summaries are the trend's history: the newest n stamped
// ones, oldest first; latest.json, another account's summary and an
// unreadable one are not points.
func TestRecentFromBucket(t *testing.T) {
	f := newFixture(t)
	f.srv.Grant(bucket, f.runner, simcos.Writer)
	c := f.client(t, true)
	start := time.Date(2026, 8, 24, 2, 0, 0, 0, time.UTC)
	summary := func(i int) []byte {
		b, _ := json.Marshal(map[string]any{"run_id": fmt.Sprint("run", i), "started": start.Add(time.Duration(i) * time.Hour),
			"status": "succeeded", "tasks": []map[string]any{{"findings": i, "summary": map[string]any{"instances": 50 + i}}}})
		return b
	}
	for i := range 5 {
		publishSummary(t, c, report.Stamp(start.Add(time.Duration(i)*time.Hour), fmt.Sprint("run", i)), summary(i))
	}
	// Two runs in one second: both kept, in stamp order.
	publishSummary(t, c, report.Stamp(start.Add(4*time.Hour), "run4b"), summary(5))

	// Pages of two keys: the newest are on the last page, the window
	// slides across pages.
	cos.SetListPage(c, 2)
	lists := f.srv.Counts()[simcos.OpList]
	pts, err := c.Recent(context.Background(), 3)
	if err != nil {
		t.Fatal(err)
	}
	// Six stamped summaries and latest.json: four pages.
	if n := f.srv.Counts()[simcos.OpList] - lists; n != 4 {
		t.Errorf("%d list requests, want 4 pages of 2 keys", n)
	}
	var got []string
	for _, p := range pts {
		got = append(got, fmt.Sprintf("%s:%d/%d", p.RunID, p.Findings, p.Instances))
	}
	if want := "run3:3/53,run4:4/54,run5:5/55"; strings.Join(got, ",") != want {
		t.Errorf("Recent(3) = %v, want %s", got, want)
	}

	// Newer, but not points: another account's summary and a broken one.
	other := f.client(t, true, func(o *cos.Options) { o.Account = "another-account" })
	publishSummary(t, other, report.Stamp(start.Add(10*time.Hour), "theirs"), summary(10))
	publishSummary(t, c, report.Stamp(start.Add(11*time.Hour), "broken"), []byte("{not json"))
	pts, err = c.Recent(context.Background(), report.TrendRuns)
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 6 || pts[0].RunID != "run0" || pts[5].RunID != "run5" {
		t.Errorf("Recent = %+v, want run0..run5 only", pts)
	}
}

// Listing needs Content Reader (or Reader, Writer): without it the trend's
// error names the role.
func TestRecentNamesRole(t *testing.T) {
	f := newFixture(t)
	f.srv.Grant(bucket, f.runner, simcos.ObjectWriter)
	_, err := f.client(t, false).Recent(context.Background(), report.TrendRuns)
	var ce *cos.Error
	if !errors.As(err, &ce) || ce.Status != http.StatusForbidden || !strings.Contains(err.Error(), `"Content Reader"`) {
		t.Fatalf("err %v, want a 403 naming Content Reader", err)
	}
}
