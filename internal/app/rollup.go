package app

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/trustjob/trustjob/internal/exitcode"
	"github.com/trustjob/trustjob/internal/report"
	"github.com/trustjob/trustjob/internal/rollup"
)

// declareRollupFlags declares rollup's flags, for the command and its help.
func declareRollupFlags(f *cmdFlags) (outDir, format *string, fail *bool) {
	outDir = f.String("output-dir", "", "write rollup.json and rollup.html to `DIR` (default: the first DIR)")
	format = f.String("format", "json,html", "`formats` to write: json, html or both")
	fail = f.Bool("fail", false, "exit with the accounts' aggregated code (0, 1, 3, 75, 77, 78)")
	return outDir, format, fail
}

// rollup merges the account folders of one or more runs into one view.
func (a *app) rollup(_ context.Context, args []string) int {
	f := a.flagSet("rollup")
	outDir, format, fail := declareRollupFlags(f)
	if code, done := f.parse(args); done {
		return code
	}
	if f.NArg() == 0 {
		return f.fail("name at least one folder holding account=<id>/ folders")
	}
	formats := strings.Split(*format, ",")
	for _, x := range formats {
		if x != "json" && x != "html" {
			return f.fail("unknown format %q: use json, html or json,html", x)
		}
	}
	dirs := f.Args()
	out := *outDir
	if out == "" {
		out = dirs[0]
	}
	accounts, err := rollup.Read(dirs...)
	if err != nil {
		fmt.Fprintf(a.stderr, "trustjob rollup: %v\n", err)
		return exitcode.TaskFailed
	}
	for i := range accounts {
		if rel, err := filepath.Rel(out, accounts[i].Folder); err == nil {
			accounts[i].Folder = rel
		}
	}
	v := rollup.Build(accounts, time.Now())
	if slices.Contains(formats, "json") {
		if err := report.WriteJSONAtomic(filepath.Join(out, rollup.JSONFile), v); err != nil {
			fmt.Fprintf(a.stderr, "trustjob rollup: %v\n", err)
			return exitcode.TaskFailed
		}
	}
	if slices.Contains(formats, "html") {
		if err := rollup.WriteHTML(filepath.Join(out, rollup.HTMLFile), v); err != nil {
			fmt.Fprintf(a.stderr, "trustjob rollup: %v\n", err)
			return exitcode.TaskFailed
		}
	}
	fmt.Fprintf(a.stdout, "trustjob rollup: %d accounts, status %s (%s); %d findings; written to %s\n",
		v.Totals.Accounts, v.Status, statusCounts(v.Totals.ByStatus), v.Totals.Findings, out)
	for _, acct := range v.Accounts {
		if acct.ExitCode != exitcode.OK && acct.ExitCode != exitcode.Findings {
			fmt.Fprintf(a.stdout, "  %s %s: %s\n    fix: %s\n", acct.Account, acct.Status, acct.Error, acct.Hint)
		}
	}
	if *fail {
		return v.ExitCode
	}
	return exitcode.OK
}

// statusCounts renders "succeeded 49, permission-denied 1", most first.
func statusCounts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if m[a] != m[b] {
			return m[b] - m[a]
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}
