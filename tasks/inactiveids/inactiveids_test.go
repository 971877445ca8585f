package inactiveids

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/IBM/go-sdk-core/v5/core"
	"github.com/IBM/platform-services-go-sdk/iamaccessgroupsv2"
	"github.com/IBM/platform-services-go-sdk/iamidentityv1"
	"github.com/IBM/platform-services-go-sdk/usermanagementv1"
	"github.com/trustjob/trustjob/internal/action"
	"github.com/trustjob/trustjob/internal/cloudsim"
	"github.com/trustjob/trustjob/internal/config"
	"github.com/trustjob/trustjob/internal/ibmcloud"
	"github.com/trustjob/trustjob/internal/report"
	"github.com/trustjob/trustjob/tasks"
)

// newTask builds the task as the registry would.
func newTask(o *Options) tasks.Task { return &task{opts: o} }

// testNow is the clock of testdata/world.yaml.
var testNow = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

// memWriter keeps a task's output for assertions.
type memWriter struct {
	mu   sync.Mutex
	rows []report.Row
	sum  report.Summary
}

func (m *memWriter) Write(r report.Row) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rows = append(m.rows, r)
	return nil
}

func (m *memWriter) SetSummary(s report.Summary) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sum = s
}

// records returns the rows of one record kind.
func (m *memWriter) records(kind string) []report.Row {
	var out []report.Row
	for _, r := range m.rows {
		if r["record"] == kind {
			out = append(out, r)
		}
	}
	return out
}

// byID indexes rows by kind/id (and action for action rows).
func byID(rows []report.Row) map[string]report.Row {
	out := map[string]report.Row{}
	for _, r := range rows {
		k := fmt.Sprint(r["kind"], "/", r["id"])
		if a, ok := r["action"]; ok {
			k = fmt.Sprint(a, ":", k)
		}
		out[k] = r
	}
	return out
}

// harness is the emulator serving a world, and the task's environment pointing
// at it through the real SDK clients and ContainerAuthenticator.
type harness struct {
	l   *cloudsim.Local
	sim *cloudsim.Sim
	env tasks.Env
}

// loadWorld loads testdata/world.yaml.
func loadWorld(t testing.TB) *cloudsim.World {
	t.Helper()
	w, err := cloudsim.LoadFixture("testdata/world.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// start serves w with the emulator's clock pinned near testNow (its tokens
// live long enough in real time for the SDK to cache them).
func start(t testing.TB, w *cloudsim.World, opts cloudsim.Options, pinned bool) *harness {
	t.Helper()
	if pinned {
		opts.ClockOffset = time.Until(testNow)
		opts.TokenTTL = -opts.ClockOffset + time.Hour
	}
	l, err := cloudsim.StartLocalWorld(w, cloudsim.Spec{}, opts, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	auth, err := core.NewContainerAuthenticatorBuilder().SetIAMProfileName(l.ProfileName).
		SetCRTokenFilename(l.TokenFile).SetURL(l.Env["TRUSTJOB_IAM_URL"]).Build()
	if err != nil {
		t.Fatal(err)
	}
	c := &ibmcloud.Clients{Authenticator: auth, Requests: ibmcloud.NewRequestCounter()}
	if c.IAMIdentity, err = iamidentityv1.NewIamIdentityV1(&iamidentityv1.IamIdentityV1Options{URL: l.Env["IAM_IDENTITY_URL"], Authenticator: auth}); err != nil {
		t.Fatal(err)
	}
	if c.UserManagement, err = usermanagementv1.NewUserManagementV1(&usermanagementv1.UserManagementV1Options{URL: l.Env["USER_MANAGEMENT_URL"], Authenticator: auth}); err != nil {
		t.Fatal(err)
	}
	if c.AccessGroups, err = iamaccessgroupsv2.NewIamAccessGroupsV2(&iamaccessgroupsv2.IamAccessGroupsV2Options{URL: l.Env["IAM_ACCESS_GROUPS_URL"], Authenticator: auth}); err != nil {
		t.Fatal(err)
	}
	c.IAMIdentity.EnableRetries(2, time.Second)
	c.UserManagement.EnableRetries(2, time.Second)
	c.AccessGroups.EnableRetries(2, time.Second)
	w.RLock()
	account, runner := w.AccountID, w.IAM.RunnerIAMID()
	w.RUnlock()
	now := time.Now
	if pinned {
		now = func() time.Time { return testNow }
	}
	env := tasks.Env{Logger: slog.New(slog.DiscardHandler), Clients: c, Account: account, ProfileIAMID: runner,
		TaskName: "inactive", Now: now, Actions: action.New(action.Config{})}
	return &harness{l: l, sim: l.Sim, env: env}
}

// testOptions are the defaults with the fixture's exemptions and fast polls.
func testOptions() *Options {
	o := NewOptions()
	o.PollInterval = config.Duration(20 * time.Millisecond)
	o.PollMaxInterval = config.Duration(50 * time.Millisecond)
	o.Exemptions.IDs = []IDExemption{{ID: "ApiKey-backup", Reason: "restore drill key"}}
	o.Exemptions.IAMIDs = []IAMIDExemption{{IAMID: "iam-ServiceId-legacy", Reason: "decommission ticket OPS-42"}}
	o.Exemptions.Names = []NameExemption{{Name: "*@contractor.example", Reason: "contractors are reviewed by their agency"}}
	return o
}

func allActions() []ActionConfig {
	d := func(days int) config.Duration { return config.Duration(time.Duration(days) * 24 * time.Hour) }
	return []ActionConfig{
		{Action: ActionDisableAPIKey, OlderThan: d(180)},
		{Action: ActionLockServiceID, OlderThan: d(180)},
		{Action: ActionRemoveFromGroups, OlderThan: d(90)},
	}
}

func run(t testing.TB, h *harness, o *Options) (*memWriter, error) {
	t.Helper()
	if errs := o.Validate(); len(errs) > 0 {
		t.Fatalf("options invalid: %v", errs)
	}
	w := &memWriter{}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := newTask(o).Run(ctx, h.env, w)
	w.sum = res.ReportSummary()
	return w, err
}

// requests counts logged requests by method and path fragment.
func requests(sim *cloudsim.Sim, method, pathPart string) int {
	n := 0
	for _, e := range sim.Log().Entries() {
		if e.Method == method && strings.Contains(e.Path, pathPart) {
			n++
		}
	}
	return n
}

func TestReportsAllSectionsWithEnrichmentAndExemptions(t *testing.T) {
	h := start(t, loadWorld(t), cloudsim.Options{}, true)
	out, err := run(t, h, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	rows := byID(out.records(RecordIdentity))
	var got []string
	for k := range rows {
		got = append(got, k)
	}
	sort.Strings(got)
	want := []string{
		"apikey/ApiKey-alice-cli", "apikey/ApiKey-backup", "apikey/ApiKey-breakglass", "apikey/ApiKey-dana",
		"apikey/ApiKey-etl-1", "apikey/ApiKey-etl-old", "apikey/ApiKey-legacy-1",
		"profile/Profile-5f0e8a52-0001-4a00-a000-000000000001", "profile/Profile-5f0e8a52-0002-4a00-a000-000000000002",
		"profile/Profile-5f0e8a52-0003-4a00-a000-000000000003",
		"serviceid/ServiceId-backup", "serviceid/ServiceId-etl", "serviceid/ServiceId-legacy", "serviceid/ServiceId-scanner",
		"user/IBMid-100000ALIC", "user/IBMid-100000BOB0", "user/IBMid-100000DANA",
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("identity rows:\n got %v\nwant %v", got, want)
	}

	checks := []struct {
		key  string
		want map[string]any
	}{
		// Enrichment: created_at, lock/disable state and owner from the listings.
		{"apikey/ApiKey-etl-1", map[string]any{"owner": "etl-nightly", "iam_id": "iam-ServiceId-etl",
			"created_at": "2024-03-01T00:00:00Z", "last_authn": "2025-04-10T02:00:00Z", "never_used": false,
			"inactive_days": 324, "locked": false, "disabled": false, "exempt": false}},
		{"apikey/ApiKey-alice-cli", map[string]any{"owner": "alice.adams@example.com", "iam_id": "IBMid-100000ALIC"}},
		{"apikey/ApiKey-etl-old", map[string]any{"disabled": true, "never_used": true, "last_authn": "", "inactive_days": 546}},
		{"serviceid/ServiceId-scanner", map[string]any{"locked": true, "iam_id": "iam-ServiceId-scanner", "created_at": "2023-06-01T00:00:00Z"}},
		{"user/IBMid-100000BOB0", map[string]any{"name": "Bob Berg", "never_used": true, "created_at": "2025-10-01T00:00:00Z", "inactive_days": 151}},
		{"profile/Profile-5f0e8a52-0002-4a00-a000-000000000002", map[string]any{"name": "never-used-profile", "never_used": true,
			"iam_id": "iam-Profile-5f0e8a52-0002-4a00-a000-000000000002", "created_at": "2025-05-01T00:00:00Z"}},
		// Exemptions of each kind, with their reasons.
		{"apikey/ApiKey-backup", map[string]any{"exempt": true, "exempt_reason": "id exempt: restore drill key"}},
		{"serviceid/ServiceId-legacy", map[string]any{"exempt": true, "exempt_reason": "iam_id exempt: decommission ticket OPS-42"}},
		{"apikey/ApiKey-legacy-1", map[string]any{"exempt": true, "exempt_reason": "owner iam-ServiceId-legacy exempt: decommission ticket OPS-42"}},
		{"user/IBMid-100000DANA", map[string]any{"exempt": true, "exempt_reason": `name matches "*@contractor.example": contractors are reviewed by their agency`}},
		{"apikey/ApiKey-breakglass", map[string]any{"exempt": true, "exempt_reason": `description contains "trustjob:exempt"`}},
		{"serviceid/ServiceId-backup", map[string]any{"exempt": true, "exempt_reason": `description contains "trustjob:exempt"`}},
		{"profile/Profile-5f0e8a52-0003-4a00-a000-000000000003", map[string]any{"exempt": true}},
		{"apikey/ApiKey-dana", map[string]any{"exempt": false, "exempt_reason": ""}},
	}
	for _, c := range checks {
		r := rows[c.key]
		for col, v := range c.want {
			if fmt.Sprint(r[col]) != fmt.Sprint(v) {
				t.Errorf("%s %s = %v, want %v", c.key, col, r[col], v)
			}
		}
	}
	if _, ok := rows["user/IBMid-100000BOB0"]["locked"]; ok {
		t.Error("users have no locked state; the column must stay empty")
	}

	s := out.sum
	wantSum := map[string]any{
		"inactive_users": 3, "inactive_apikeys": 7, "inactive_serviceids": 4, "inactive_profiles": 3,
		"never_used_users": 1, "never_used_apikeys": 3, "never_used_serviceids": 1, "never_used_profiles": 1,
		"exempt": 7, "findings": 10, "complete": true, "dry_run": true, "inactive_for": "30d", "report_polls": 0,
		"oldest_last_authn": "2024-12-01T00:00:00Z", "oldest_last_authn_identity": "serviceid ServiceId-scanner",
		"actions_planned": 0,
	}
	for k, v := range wantSum {
		if fmt.Sprint(s[k]) != fmt.Sprint(v) {
			t.Errorf("summary %s = %v, want %v", k, s[k], v)
		}
	}
	if len(out.records(RecordAction)) != 0 {
		t.Error("no actions configured, yet action rows")
	}
	// Request count: create + one GET + one page per listing.
	for path, n := range map[string]int{"/report": 2, "/v1/apikeys": 1, "/v1/serviceids/": 1, "/v1/profiles": 1, "/users": 1} {
		if got := requests(h.sim, "GET", path) + requests(h.sim, "POST", path); got != n {
			t.Errorf("%d requests to %s, want %d", got, path, n)
		}
	}
}

func TestPollsThroughSeveral204s(t *testing.T) {
	h := start(t, loadWorld(t), cloudsim.Options{ReportDelay: 300 * time.Millisecond}, true)
	out, err := run(t, h, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	polls, _ := out.sum["report_polls"].(int)
	if polls < 3 {
		t.Errorf("report_polls = %d, want several 204s before the report", polls)
	}
	if gets := requests(h.sim, "GET", "/report/"); gets != polls+1 {
		t.Errorf("%d report GETs for %d polls", gets, polls)
	}
	var noContent int
	for _, e := range h.sim.Log().Entries() {
		if strings.Contains(e.Path, "/report/") && e.Status == http.StatusNoContent {
			noContent++
		}
	}
	if noContent != polls || len(out.records(RecordIdentity)) != 17 {
		t.Errorf("%d 204s logged, %d polls counted, %d rows", noContent, polls, len(out.records(RecordIdentity)))
	}
}

func TestReplacedReportIsCreatedAgainOnce(t *testing.T) {
	t.Run("404 then recreate", func(t *testing.T) {
		h := start(t, loadWorld(t), cloudsim.Options{}, true)
		h.sim.AddFault(&cloudsim.Fault{Service: cloudsim.ServiceIAMIdentity, PathPrefix: "/v1/activity/", Method: "GET", Nth: 1, Status: 404})
		out, err := run(t, h, testOptions())
		if err != nil {
			t.Fatal(err)
		}
		if out.sum["report_recreated"] != true || requests(h.sim, "POST", "/report") != 2 || len(out.records(RecordIdentity)) != 17 {
			t.Errorf("recreated %v after %d creates, %d rows", out.sum["report_recreated"], requests(h.sim, "POST", "/report"), len(out.rows))
		}
	})
	t.Run("404 twice fails", func(t *testing.T) {
		h := start(t, loadWorld(t), cloudsim.Options{}, true)
		h.sim.AddFault(&cloudsim.Fault{Service: cloudsim.ServiceIAMIdentity, PathPrefix: "/v1/activity/", Method: "GET", Status: 404})
		out, err := run(t, h, testOptions())
		if err == nil || !strings.Contains(err.Error(), "HTTP 404") {
			t.Fatalf("err = %v, want the second 404", err)
		}
		if requests(h.sim, "POST", "/report") != 2 || out.sum["complete"] != false || len(out.rows) != 0 {
			t.Errorf("%d creates, complete %v, %d rows", requests(h.sim, "POST", "/report"), out.sum["complete"], len(out.rows))
		}
	})
}

func TestReportNeverReadyStopsAtTheDeadline(t *testing.T) {
	h := start(t, loadWorld(t), cloudsim.Options{ReportDelay: time.Hour}, true)
	task := newTask(testOptions())
	w := &memWriter{}
	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	began := time.Now()
	res, err := task.Run(ctx, h.env, w)
	w.sum = res.ReportSummary()
	if err == nil || !strings.Contains(err.Error(), "not ready after") || !strings.Contains(err.Error(), "deadline") {
		t.Fatalf("err = %v", err)
	}
	if took := time.Since(began); took > 3*time.Second {
		t.Errorf("gave up after %v, long past the deadline", took)
	}
	if w.sum["complete"] != false || w.sum["report_polls"].(int) < 3 {
		t.Errorf("summary = %v", w.sum)
	}
}

func TestDryRunMakesNoWriteRequests(t *testing.T) {
	for _, tc := range []struct {
		name      string
		taskDry   bool
		forcedDry bool
	}{{"task default", true, false}, {"--dry-run forces it", false, true}} {
		t.Run(tc.name, func(t *testing.T) {
			h := start(t, loadWorld(t), cloudsim.Options{}, true)
			h.env.DryRun = tc.forcedDry
			h.env.Actions = action.New(action.Config{DryRun: tc.forcedDry})
			o := testOptions()
			o.Actions, o.DryRun = allActions(), tc.taskDry
			out, err := run(t, h, o)
			if err != nil {
				t.Fatal(err)
			}
			if n := h.sim.Log().Writes(); n != 0 {
				t.Errorf("dry-run made %d write requests", n)
			}
			acts := byID(out.records(RecordAction))
			for key, want := range map[string]string{
				"disable-apikey:apikey/ApiKey-alice-cli":                                         string(action.SkippedUnsafe),
				"disable-apikey:apikey/ApiKey-etl-1":                                             string(action.WouldDo),
				"disable-apikey:apikey/ApiKey-etl-old":                                           string(action.SkippedAlready),
				"disable-apikey:apikey/ApiKey-backup":                                            string(action.SkippedExempt),
				"lock-serviceid:serviceid/ServiceId-etl":                                         string(action.WouldDo),
				"lock-serviceid:serviceid/ServiceId-scanner":                                     string(action.SkippedAlready),
				"remove-from-access-groups:user/IBMid-100000BOB0":                                string(action.WouldDo),
				"remove-from-access-groups:profile/Profile-5f0e8a52-0002-4a00-a000-000000000002": string(action.SkippedAlready),
				"remove-from-access-groups:user/IBMid-100000DANA":                                string(action.SkippedExempt),
				"remove-from-access-groups:profile/Profile-5f0e8a52-0001-4a00-a000-000000000001": string(action.WouldDo),
			} {
				if got := acts[key]["result"]; got != want {
					t.Errorf("%s: result %v, want %s", key, got, want)
				}
			}
			if _, ok := acts["disable-apikey:apikey/ApiKey-dana"]; ok {
				t.Error("ApiKey-dana is 90 days inactive; disable-apikey needs 180")
			}
			if out.sum["actions_would_do"] != 6 || out.sum["actions_taken"] != 0 || out.sum["dry_run"] != true {
				t.Errorf("summary = %v", out.sum)
			}
		})
	}
}

func TestMaxActionsStopsEverything(t *testing.T) {
	h := start(t, loadWorld(t), cloudsim.Options{}, true)
	o := testOptions()
	o.Actions, o.DryRun, o.MaxActions = allActions(), false, 5
	out, err := run(t, h, o)
	if err == nil || !strings.Contains(err.Error(), "6 actions qualify, more than maxActions (5)") {
		t.Fatalf("err = %v, want the blast-radius cap", err)
	}
	if n := h.sim.Log().Writes(); n != 0 {
		t.Errorf("%d write requests despite the cap", n)
	}
	blocked := 0
	for _, r := range out.records(RecordAction) {
		if r["result"] == string(action.Blocked) {
			blocked++
		}
	}
	if blocked != 6 || out.sum["actions_blocked"] != 6 || out.sum["actions_over_cap"] != true || out.sum["complete"] != true {
		t.Errorf("%d blocked rows; summary %v", blocked, out.sum)
	}
}

func TestActionsAreIdempotentAcrossRuns(t *testing.T) {
	h := start(t, loadWorld(t), cloudsim.Options{}, true)
	o := testOptions()
	o.Actions, o.DryRun = allActions(), false
	first, err := run(t, h, o)
	if err != nil {
		t.Fatal(err)
	}
	if first.sum["actions_taken"] != 6 || first.sum["actions_failed"] != 0 {
		t.Fatalf("first run summary = %v", first.sum)
	}
	if n := h.sim.Log().Writes(); n != 6 {
		t.Errorf("first run made %d writes, want 6", n)
	}
	w := h.sim.World()
	w.RLock()
	if !w.Identities.APIKeyByID("ApiKey-etl-1").Disabled || w.Identities.APIKeyByID("ApiKey-alice-cli").Disabled || !w.Identities.ServiceIDByID("ServiceId-etl").Locked ||
		w.Identities.APIKeyByID("ApiKey-dana").Disabled || w.Identities.APIKeyByID("ApiKey-backup").Disabled {
		t.Error("the emulator's state does not show exactly the planned actions")
	}
	for _, g := range w.Identities.AccessGroups {
		for _, m := range g.Members {
			if m.IAMID == "IBMid-100000ALIC" || m.IAMID == "iam-ServiceId-etl" {
				t.Errorf("%s still in %s", m.IAMID, g.Name)
			}
		}
	}
	w.RUnlock()

	h.sim.Log().Reset()
	second, err := run(t, h, o)
	if err != nil {
		t.Fatal(err)
	}
	if n := h.sim.Log().Writes(); n != 0 {
		t.Errorf("second run made %d writes", n)
	}
	acts := byID(second.records(RecordAction))
	for key, r := range byID(first.records(RecordAction)) {
		if r["result"] == string(action.Done) && acts[key]["result"] != string(action.SkippedAlready) {
			t.Errorf("%s: second run %v, want %s", key, acts[key]["result"], string(action.SkippedAlready))
		}
	}
	if second.sum["actions_taken"] != 0 {
		t.Errorf("second run summary = %v", second.sum)
	}
}

func TestForbiddenActionExplainsThePermission(t *testing.T) {
	h := start(t, loadWorld(t), cloudsim.Options{}, true)
	h.sim.World().Revoke(h.env.ProfileIAMID, cloudsim.ActionAPIKeyDisable)
	o := testOptions()
	o.Actions, o.DryRun = allActions(), false
	out, err := run(t, h, o)
	need := "the trusted profile needs Administrator (IBM's role for managing inactive identities; a custom role needs iam-identity.apikey.disable) on IAM Identity Service"
	if err == nil || !strings.Contains(err.Error(), need) {
		t.Fatalf("err = %v\nwant it to say %q", err, need)
	}
	acts := byID(out.records(RecordAction))
	for _, id := range []string{"ApiKey-etl-1"} {
		r := acts["disable-apikey:apikey/"+id]
		if r["result"] != string(action.Failed) || !strings.Contains(fmt.Sprint(r["detail"]), need) {
			t.Errorf("%s: %v %v", id, r["result"], r["detail"])
		}
	}
	// One 403 answers for the action: it is not repeated per key. The other
	// actions still ran.
	if n := requests(h.sim, "POST", "/disable"); n != 1 {
		t.Errorf("%d disable requests after a 403, want 1", n)
	}
	if out.sum["actions_taken"] != 5 || out.sum["actions_failed"] != 1 {
		t.Errorf("summary = %v", out.sum)
	}
}

func TestForbiddenReportExplainsThePermission(t *testing.T) {
	h := start(t, loadWorld(t), cloudsim.Options{}, true)
	h.sim.World().Revoke(h.env.ProfileIAMID, cloudsim.ActionReportCreate)
	out, err := run(t, h, testOptions())
	if err == nil || !strings.Contains(err.Error(), "iam-identity.report.create") || !strings.Contains(err.Error(), "403") {
		t.Fatalf("err = %v", err)
	}
	if out.sum["complete"] != false {
		t.Errorf("summary = %v", out.sum)
	}
}

func TestRunnerProfileIsNeverActedOn(t *testing.T) {
	w := loadWorld(t)
	w.Lock()
	runner := w.IAM.Runner()
	runner.CreatedAt = time.Now().Add(-400 * 24 * time.Hour)
	devs := w.Identities.AccessGroupByID("AccessGroupId-devs")
	devs.Members = append(devs.Members, cloudsim.GroupMemberRecord{IAMID: runner.IAMID})
	w.Unlock()
	// Real clock: every fixture identity is long inactive by now.
	h := start(t, w, cloudsim.Options{}, false)
	// Exchange the token first (the SDK caches it), then forget the sign-in,
	// so the report lists the runner as never used.
	if _, err := h.env.Clients.Authenticator.(*core.ContainerAuthenticator).GetToken(); err != nil {
		t.Fatal(err)
	}
	w.Lock()
	runner.LastAuthn = nil
	w.Unlock()

	o := testOptions()
	o.Actions, o.DryRun, o.MaxActions = allActions(), false, 100
	out, err := run(t, h, o)
	if err != nil {
		t.Fatal(err)
	}
	rows := byID(out.rows)
	self := rows["profile/"+runner.ID]
	if self == nil || self["exempt"] != true || self["exempt_reason"] != "the trusted profile trustjob runs as" {
		t.Fatalf("runner row = %v", self)
	}
	if r := rows["remove-from-access-groups:profile/"+runner.ID]; r["result"] != string(action.SkippedExempt) {
		t.Errorf("runner action row = %v", r)
	}
	w.RLock()
	defer w.RUnlock()
	still := false
	for _, m := range devs.Members {
		still = still || m.IAMID == runner.IAMID
	}
	if !still {
		t.Error("the runner was removed from its access group")
	}
}

// TestWriteWithoutAnswerIsUnknown: SIGTERM arrives while a disable request
// hangs in IBM Cloud. The write keeps its context for the executor's grace,
// then is recorded as unknown (it may have taken effect), not failed; the
// steps not yet sent are not attempted.
func TestWriteWithoutAnswerIsUnknown(t *testing.T) {
	h := start(t, loadWorld(t), cloudsim.Options{}, true)
	h.sim.AddFault(&cloudsim.Fault{Service: cloudsim.ServiceIAMIdentity, PathPrefix: "/v1/apikeys/", Method: "POST", Hang: true})
	h.env.Actions = action.New(action.Config{WriteGrace: 300 * time.Millisecond, Concurrency: 1})
	o := testOptions()
	o.Actions, o.DryRun = []ActionConfig{{Action: ActionDisableAPIKey, OlderThan: config.Duration(180 * 24 * time.Hour), IncludeUserAPIKeys: true}}, false
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	go func() { // SIGTERM once the first write is on the wire
		for ctx.Err() == nil && requests(h.sim, "POST", "/disable") == 0 {
			time.Sleep(5 * time.Millisecond)
		}
		cancel(fmt.Errorf("received SIGTERM"))
	}()
	w := &memWriter{}
	began := time.Now()
	res, err := newTask(o).Run(ctx, h.env, w)
	if err == nil || !strings.Contains(err.Error(), "1 were sent without an answer") {
		t.Fatalf("err = %v", err)
	}
	if took := time.Since(began); took > 10*time.Second {
		t.Errorf("took %v: the write grace does not bound a hanging request", took)
	}
	acts := byID(w.records(RecordAction))
	// The two keys (a user's, a service ID's) are refused per kind, so
	// either may be the one on the wire.
	first, second := acts["disable-apikey:apikey/ApiKey-alice-cli"], acts["disable-apikey:apikey/ApiKey-etl-1"]
	if first["result"] != string(action.Unknown) {
		first, second = second, first
	}
	if first["result"] != string(action.Unknown) || !strings.HasPrefix(fmt.Sprint(first["detail"]), "sent, no answer") {
		t.Errorf("in-flight write: %v %v", first["result"], first["detail"])
	}
	if second["result"] != string(action.Failed) || !strings.Contains(fmt.Sprint(second["detail"]), "not attempted: received SIGTERM") {
		t.Errorf("next write: %v %v", second["result"], second["detail"])
	}
	if n := requests(h.sim, "POST", "/disable"); n != 1 {
		t.Errorf("%d disable requests, want the one in flight", n)
	}
	if s := res.ReportSummary(); s["actions_unknown"] != 1 || s["actions_taken"] != 0 {
		t.Errorf("summary %v", s)
	}
}
