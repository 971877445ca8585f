// Package rollup merges the run summaries of many accounts into one
// enterprise view: each account's status, failing findings by severity,
// inventory totals, changes and actions, and the totals over all of them.
//
// A run with targets writes DIR/account=<id>/run-summary.json per account
// and the roll-up of its own accounts; `trustjob rollup` merges the folders
// of several runs (the indexes of an Indexed Job, or a bucket synced to disk).
package rollup

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/trustjob/trustjob/internal/exitcode"
	"github.com/trustjob/trustjob/internal/report"
	"github.com/trustjob/trustjob/internal/runner"
)

// File names of the roll-up in an output directory.
const (
	JSONFile = "rollup.json"
	HTMLFile = "rollup.html"
	// AccountPrefix starts each account's folder: account=<id>/ (the
	// Hive-style partition name query engines read from object keys).
	AccountPrefix = "account="
)

// maxSummaryBytes bounds one run-summary.json read by the roll-up.
const maxSummaryBytes = 8 << 20

// Severities in the order the view lists them.
var Severities = []string{"critical", "high", "medium", "low", "info"}

// Account is one account's line in the view.
type Account struct {
	Account   string `json:"account"`
	Name      string `json:"name,omitempty"`
	ProfileID string `json:"profile_id,omitempty"`
	// Status is the run's status (succeeded, findings, failed,
	// permission-denied), or "missing" when no summary was found.
	Status   string `json:"status"`
	ExitCode int    `json:"exit_code"`
	// Error and Hint say why the account's run failed before any task ran
	// (sign-in), and how to fix it.
	Error string `json:"error,omitempty"`
	Hint  string `json:"hint,omitempty"`

	Started        time.Time        `json:"started,omitzero"`
	DurationMS     int64            `json:"duration_ms"`
	Tasks          int              `json:"tasks"`
	TasksFailed    int              `json:"tasks_failed"`
	Findings       int64            `json:"findings"`
	BySeverity     map[string]int64 `json:"findings_by_severity"`
	Instances      int64            `json:"instances"`
	HasInventory   bool             `json:"has_inventory"`
	Changes        map[string]int64 `json:"changes"`
	Actions        map[string]int64 `json:"actions"`
	Requests       int64            `json:"requests"`
	TokenExchanges int64            `json:"token_exchanges"`
	// Folder is where the account's reports are, relative to the roll-up.
	Folder string `json:"folder,omitempty"`
}

// Totals sum the accounts.
type Totals struct {
	Accounts       int              `json:"accounts"`
	ByStatus       map[string]int   `json:"by_status"`
	Findings       int64            `json:"findings"`
	BySeverity     map[string]int64 `json:"findings_by_severity"`
	Instances      int64            `json:"instances"`
	Changes        map[string]int64 `json:"changes"`
	Actions        map[string]int64 `json:"actions"`
	Requests       int64            `json:"requests"`
	TokenExchanges int64            `json:"token_exchanges"`
}

// View is rollup.json.
type View struct {
	Generated time.Time `json:"generated"`
	// Status and ExitCode aggregate the accounts (ExitCode).
	Status   string    `json:"status"`
	ExitCode int       `json:"exit_code"`
	Totals   Totals    `json:"totals"`
	Accounts []Account `json:"accounts"`
}

// FromSummary reads one account's line from its run summary.
func FromSummary(s runner.Summary) Account {
	a := Account{
		Account: s.Account, ProfileID: s.Profile.ID, Status: s.Status, ExitCode: s.ExitCode,
		Error: s.Error, Hint: s.Hint, Started: s.Started, DurationMS: s.DurationMS,
		BySeverity: map[string]int64{}, Changes: map[string]int64{}, Actions: map[string]int64{},
		TokenExchanges: s.TokenExchanges,
	}
	for _, n := range s.Requests {
		a.Requests += n
	}
	for _, t := range s.Tasks {
		if t.Status == runner.Skipped && t.Error == "" {
			continue // not due
		}
		a.Tasks++
		if t.Status == runner.Failed || t.Status == runner.Incomplete || t.Status == runner.Skipped {
			a.TasksFailed++
		}
		if t.Findings != nil {
			a.Findings += *t.Findings
		}
		for sev, n := range t.FindingsBySeverity {
			a.BySeverity[sev] += int64(n)
		}
		if n, ok := intOf(t.Summary["instances"]); ok && t.Type == "inventory" {
			a.Instances += n
			a.HasInventory = true
		}
		for k, v := range mapOf(t.Summary["changes"]) {
			a.Changes[k] += v
		}
		for k, v := range t.Summary {
			if name, ok := strings.CutPrefix(k, "actions_"); ok && name != "over_cap" && name != "planned" {
				if n, ok := intOf(v); ok {
					a.Actions[name] += n
				}
			}
		}
	}
	return a
}

// Build sorts the accounts (by account ID) and sums them.
func Build(accounts []Account, now time.Time) View {
	v := View{Generated: now.UTC(), Accounts: slices.Clone(accounts)}
	if v.Accounts == nil {
		v.Accounts = []Account{}
	}
	slices.SortFunc(v.Accounts, func(a, b Account) int { return strings.Compare(a.Account, b.Account) })
	t := Totals{ByStatus: map[string]int{}, BySeverity: map[string]int64{}, Changes: map[string]int64{}, Actions: map[string]int64{}}
	codes := make([]int, 0, len(v.Accounts))
	for _, a := range v.Accounts {
		t.Accounts++
		t.ByStatus[a.Status]++
		t.Findings += a.Findings
		t.Instances += a.Instances
		t.Requests += a.Requests
		t.TokenExchanges += a.TokenExchanges
		for k, n := range a.BySeverity {
			t.BySeverity[k] += n
		}
		for k, n := range a.Changes {
			t.Changes[k] += n
		}
		for k, n := range a.Actions {
			t.Actions[k] += n
		}
		codes = append(codes, a.ExitCode)
	}
	v.Totals = t
	v.ExitCode = ExitCode(codes)
	v.Status = StatusWord(v.ExitCode)
	return v
}

// ExitCode aggregates the accounts' exit codes into the pod's, so that the
// Job's podFailurePolicy still reads it right:
//
//   - 0 when every account succeeded, 3 when the worst is findings over failOn;
//   - 77 (or 78) when every failing account failed for its setup (sign-in,
//     permissions, configuration): a retry cannot help, fix those accounts;
//   - 1 when any account had a task fail, 75 when the other failures were
//     temporary (IAM unavailable): a retry of the pod may help.
func ExitCode(codes []int) int {
	failed, setup, config, temp, tasks, findings := 0, 0, 0, 0, 0, false
	for _, c := range codes {
		switch c {
		case exitcode.OK:
		case exitcode.Findings:
			findings = true
		case exitcode.NoPerm:
			failed++
			setup++
		case exitcode.Config:
			failed++
			config++
		case exitcode.TempFail:
			failed++
			temp++
		default:
			failed++
			tasks++
		}
	}
	switch {
	case failed == 0 && findings:
		return exitcode.Findings
	case failed == 0:
		return exitcode.OK
	case tasks > 0:
		return exitcode.TaskFailed
	case temp > 0:
		return exitcode.TempFail
	case config == failed:
		return exitcode.Config
	}
	return exitcode.NoPerm
}

// StatusWord names an exit code as run-summary.json does.
func StatusWord(code int) string {
	switch code {
	case exitcode.OK:
		return "succeeded"
	case exitcode.NoPerm:
		return "permission-denied"
	case exitcode.Findings:
		return "findings"
	case exitcode.TempFail:
		return "unavailable"
	case exitcode.Config:
		return "misconfigured"
	}
	return "failed"
}

// Read finds DIR/account=<id>/run-summary.json in every dir and returns one
// line per account. When two dirs hold the same account, the later run wins.
// A folder without a readable summary is an account with status "missing".
func Read(dirs ...string) ([]Account, error) {
	byAccount := map[string]Account{}
	var errs []error
	for _, dir := range dirs {
		entries, err := os.ReadDir(dir)
		if err != nil {
			errs = append(errs, fmt.Errorf("read %s: %w", dir, err))
			continue
		}
		for _, e := range entries {
			id, ok := strings.CutPrefix(e.Name(), AccountPrefix)
			if !ok || !e.IsDir() {
				continue
			}
			folder := filepath.Join(dir, e.Name())
			a, err := readAccount(folder)
			if err != nil {
				a = Account{Account: id, Status: "missing", ExitCode: exitcode.TaskFailed,
					Error: err.Error(), Hint: "the account's run left no summary: see that pod's log",
					BySeverity: map[string]int64{}, Changes: map[string]int64{}, Actions: map[string]int64{}}
			}
			if a.Account == "" {
				a.Account = id
			}
			a.Folder = folder
			if prev, ok := byAccount[a.Account]; ok && prev.Started.After(a.Started) {
				continue
			}
			byAccount[a.Account] = a
		}
	}
	out := make([]Account, 0, len(byAccount))
	for _, a := range byAccount {
		out = append(out, a)
	}
	return out, errors.Join(errs...)
}

func readAccount(folder string) (Account, error) {
	f, err := os.Open(filepath.Join(folder, runner.SummaryFile))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return Account{}, fmt.Errorf("no %s in %s", runner.SummaryFile, folder)
		}
		return Account{}, err
	}
	defer f.Close()
	var s runner.Summary
	if err := json.NewDecoder(io.LimitReader(f, maxSummaryBytes)).Decode(&s); err != nil {
		return Account{}, fmt.Errorf("read %s: %w", f.Name(), err)
	}
	return FromSummary(s), nil
}

func intOf(x any) (int64, bool) {
	switch v := x.(type) {
	case int:
		return int64(v), true
	case int64:
		return v, true
	case float64:
		return int64(v), true
	case json.Number:
		n, err := v.Int64()
		return n, err == nil
	}
	return 0, false
}

func mapOf(x any) map[string]int64 {
	out := map[string]int64{}
	switch m := x.(type) {
	case map[string]any:
		for k, v := range m {
			if n, ok := intOf(v); ok {
				out[k] = n
			}
		}
	case map[string]int:
		for k, v := range m {
			out[k] = int64(v)
		}
	}
	return out
}

// WriteHTML writes the view as rollup.html, in the style of the run's
// index.html.
func WriteHTML(path string, v View) error {
	p := report.RollupPage{Generated: v.Generated, Status: v.Status, ExitCode: v.ExitCode}
	for _, a := range v.Accounts {
		p.Accounts = append(p.Accounts, report.RollupAccount{
			Account: a.Account, Name: a.Name, Status: a.Status, Error: a.Error, Hint: a.Hint,
			ExitCode: a.ExitCode, Tasks: a.Tasks, TasksFailed: a.TasksFailed, Findings: a.Findings,
			BySeverity: a.BySeverity, Instances: a.Instances, HasInventory: a.HasInventory,
			Changes: a.Changes, Actions: a.Actions, DurationMS: a.DurationMS, Folder: a.Folder,
		})
	}
	return report.WriteRollup(path, p)
}
