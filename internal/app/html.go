package app

import (
	"context"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"

	"github.com/trustjob/trustjob/internal/report"
	"github.com/trustjob/trustjob/internal/runner"
)

// writeRunPages keeps the run's summary for the trend (DIR/history/<stamp>.json,
// stamp as the reports') and writes DIR/index.html, when the html format is
// configured. The trend reads the directory's history and, with output.cos,
// the bucket's run summaries (bucket), so it spans Jobs that share no
// volume. A failure is logged, not fatal: every task's own report is
// already in place.
func writeRunPages(ctx context.Context, dir string, formats []string, stamp string, sum runner.Summary, bucket report.History, log *slog.Logger) {
	if dir == "" || !slices.Contains(formats, report.HTML) {
		return
	}
	if err := report.KeepHistory(dir, stamp, sum); err != nil {
		log.Warn("cannot keep the run summary for the trend", "dir", dir, "err", err)
	}
	trend, err := report.Histories{report.DirHistory{Dir: dir}, bucket}.Recent(ctx, report.TrendRuns)
	if err != nil {
		log.Warn("cannot read every earlier run summary; the trend shows the rest", "dir", dir, "err", err)
	}
	path := filepath.Join(dir, report.IndexFile)
	if err := report.WriteIndex(dir, runIndex(dir, sum), trend); err != nil {
		log.Error("cannot write the run's index page", "path", path, "err", err)
		return
	}
	log.Info("run overview written", "path", path)
}

// runIndex turns the run summary into what index.html shows.
func runIndex(dir string, sum runner.Summary) report.RunIndex {
	idx := report.RunIndex{
		RunID: sum.RunID, Version: sum.Version, Account: sum.Account,
		ProfileName: sum.Profile.Name, ProfileID: sum.Profile.ID,
		Started: sum.Started, Duration: sum.Duration, Status: sum.Status, ExitCode: sum.ExitCode, DryRun: sum.DryRun,
	}
	for _, t := range sum.Tasks {
		it := report.IndexTask{
			Name: t.Name, Type: t.Type, Status: string(t.Status), Reason: t.Reason, Error: t.Error,
			Duration: t.Duration, Rows: t.Rows, Findings: t.Findings, Summary: t.Summary,
		}
		for _, f := range t.Files {
			if strings.HasSuffix(f, ".html") && filepath.Base(f) != "latest.html" {
				if rel, err := filepath.Rel(dir, f); err == nil {
					it.Report = rel
				}
				break
			}
		}
		idx.Tasks = append(idx.Tasks, it)
	}
	return idx
}
