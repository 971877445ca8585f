package rollup

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trustjob/trustjob/internal/exitcode"
	"github.com/trustjob/trustjob/internal/report"
	"github.com/trustjob/trustjob/internal/runner"
)

func TestExitCode(t *testing.T) {
	tests := []struct {
		name  string
		codes []int
		want  int
	}{
		{"none", nil, exitcode.OK},
		{"all ok", []int{0, 0}, exitcode.OK},
		{"findings", []int{0, 3}, exitcode.Findings},
		{"one account's setup", []int{0, 77, 3}, exitcode.NoPerm},
		{"setup and configuration", []int{77, 78}, exitcode.NoPerm},
		{"configuration only", []int{78, 0}, exitcode.Config},
		{"a temporary failure beats setup: a retry may help", []int{77, 75}, exitcode.TempFail},
		{"a task failure beats the rest", []int{75, 77, 1, 3}, exitcode.TaskFailed},
		{"an unknown code counts as a task failure", []int{0, 42}, exitcode.TaskFailed},
	}
	for _, tt := range tests {
		if got := ExitCode(tt.codes); got != tt.want {
			t.Errorf("%s: ExitCode(%v) = %d, want %d", tt.name, tt.codes, got, tt.want)
		}
	}
}

func n64(v int64) *int64 { return &v }

func writeSummary(t *testing.T, dir, account string, s runner.Summary) {
	t.Helper()
	if err := report.WriteJSONAtomic(filepath.Join(dir, AccountPrefix+account, runner.SummaryFile), s); err != nil {
		t.Fatal(err)
	}
}

// TestReadAndBuild merges two runs' folders: per-account lines from the
// summaries (findings by severity, inventory, changes, actions), the later
// run winning for an account in both, a folder without a summary reported
// as missing, and the totals.
func TestReadAndBuild(t *testing.T) {
	d1, d2 := t.TempDir(), t.TempDir()
	t0 := time.Date(2026, 3, 10, 3, 0, 0, 0, time.UTC)
	a, b, c := strings.Repeat("a", 32), strings.Repeat("b", 32), strings.Repeat("c", 32)
	inv := runner.TaskResult{Name: "inventory", Type: "inventory", Status: runner.Succeeded, Findings: n64(2),
		Summary: report.Summary{"instances": 40, "changes": map[string]int{"created": 1, "deleted": 1}}}
	ids := runner.TaskResult{Name: "ids", Type: "inactive-identities", Status: runner.Succeeded, Findings: n64(3),
		FindingsBySeverity: map[string]int{"high": 1, "medium": 2},
		Summary:            report.Summary{"actions_would_do": 2, "actions_taken": 0, "actions_over_cap": false, "actions_planned": 2}}
	writeSummary(t, d1, a, runner.Summary{Account: a, Status: "findings", ExitCode: 3, Started: t0,
		Tasks: []runner.TaskResult{inv, ids}, Requests: map[string]int64{"iam-identity": 5, "resource-controller": 2}, TokenExchanges: 1})
	writeSummary(t, d1, b, runner.Summary{Account: b, Status: "failed", ExitCode: 1, Started: t0})
	writeSummary(t, d2, b, runner.Summary{Account: b, Status: "permission-denied", ExitCode: 77, Started: t0.Add(time.Hour),
		Error: "sign-in failed: BXNIM0398E", Hint: "add is_cross_account"})
	if err := os.MkdirAll(filepath.Join(d2, AccountPrefix+c), 0o755); err != nil {
		t.Fatal(err)
	}
	accts, err := Read(d1, d2)
	if err != nil {
		t.Fatal(err)
	}
	v := Build(accts, t0)
	if len(v.Accounts) != 3 || v.Accounts[0].Account != a || v.Accounts[1].Account != b || v.Accounts[2].Account != c {
		t.Fatalf("accounts %+v", v.Accounts)
	}
	got := v.Accounts[0]
	if got.Findings != 5 || got.BySeverity["high"] != 1 || got.Instances != 40 || !got.HasInventory ||
		got.Changes["created"] != 1 || got.Actions["would_do"] != 2 || got.Actions["over_cap"] != 0 ||
		got.Requests != 7 || got.Tasks != 2 {
		b, _ := json.Marshal(got)
		t.Errorf("account a: %s", b)
	}
	if v.Accounts[1].Status != "permission-denied" || v.Accounts[1].Hint != "add is_cross_account" {
		t.Errorf("account b: the later run should win: %+v", v.Accounts[1])
	}
	if v.Accounts[2].Status != "missing" || v.Accounts[2].ExitCode != exitcode.TaskFailed {
		t.Errorf("account c: %+v", v.Accounts[2])
	}
	if v.ExitCode != exitcode.TaskFailed || v.Totals.Accounts != 3 || v.Totals.Findings != 5 || v.Totals.ByStatus["missing"] != 1 {
		b, _ := json.Marshal(v.Totals)
		t.Errorf("exit %d totals %s", v.ExitCode, b)
	}
	page := filepath.Join(d1, HTMLFile)
	if err := WriteHTML(page, v); err != nil {
		t.Fatal(err)
	}
	html, _ := os.ReadFile(page)
	for _, want := range []string{"<code>" + a + "</code>", "1 high, 2 medium", "1 created, 1 deleted", "2 would do",
		"<strong>Fix:</strong> add is_cross_account", "account=" + a + "/index.html", "permission-denied"} {
		if !strings.Contains(string(html), want) {
			t.Errorf("rollup.html lacks %q", want)
		}
	}
}

// FuzzRead: any bytes as a run summary never panic the roll-up.
func FuzzRead(f *testing.F) {
	f.Add([]byte(`{"account":"x","tasks":[{"summary":{"instances":"many","changes":[1]}}]}`))
	f.Add([]byte(`{"tasks":[{"findings_by_severity":{"high":-1}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		p := filepath.Join(dir, AccountPrefix+"x", runner.SummaryFile)
		_ = os.MkdirAll(filepath.Dir(p), 0o755)
		_ = os.WriteFile(p, data, 0o644)
		accts, _ := Read(dir)
		v := Build(accts, time.Now())
		_ = WriteHTML(filepath.Join(dir, HTMLFile), v)
	})
}

var update = flag.Bool("update", false, "rewrite the golden files")

// TestGolden pins rollup.json and rollup.html for a fixed enterprise: one
// account with findings, inventory, changes and actions, one that could not
// be signed in to, one succeeded.
func TestGolden(t *testing.T) {
	t0 := time.Date(2026, 3, 10, 3, 0, 0, 0, time.UTC)
	v := Build([]Account{
		{Account: strings.Repeat("b", 32), Name: "staging", ProfileID: "Profile-b", Status: "permission-denied", ExitCode: 77,
			Error: "sign-in failed: BXNIM0398E Selected trusted profile not eligible.", Hint: "add a link with is_cross_account true",
			BySeverity: map[string]int64{}, Changes: map[string]int64{}, Actions: map[string]int64{}, Folder: "account=" + strings.Repeat("b", 32)},
		{Account: strings.Repeat("a", 32), Name: "production", ProfileID: "Profile-a", Status: "findings", ExitCode: 3,
			Started: t0, DurationMS: 1234, Tasks: 2, Findings: 5, BySeverity: map[string]int64{"high": 1, "medium": 4},
			Instances: 120, HasInventory: true, Changes: map[string]int64{"created": 3, "deleted": 1},
			Actions: map[string]int64{"would_do": 2}, Requests: 40, TokenExchanges: 1, Folder: "account=" + strings.Repeat("a", 32)},
		{Account: strings.Repeat("c", 32), Status: "succeeded", Tasks: 1, Instances: 7, HasInventory: true,
			BySeverity: map[string]int64{}, Changes: map[string]int64{}, Actions: map[string]int64{}, Requests: 9, TokenExchanges: 1},
	}, t0)
	dir := t.TempDir()
	if err := report.WriteJSONAtomic(filepath.Join(dir, JSONFile), v); err != nil {
		t.Fatal(err)
	}
	if err := WriteHTML(filepath.Join(dir, HTMLFile), v); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{JSONFile, HTMLFile} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		golden := filepath.Join("testdata", name+".golden")
		if *update {
			if err := os.MkdirAll("testdata", 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(golden, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (go test -update writes it)", err)
		}
		if string(got) != string(want) {
			t.Errorf("%s differs from %s (go test -update after checking the change)", name, golden)
		}
	}
}
