package inactiveids

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/trustjob/trustjob/internal/action"
	"github.com/trustjob/trustjob/internal/cloudsim"
	"github.com/trustjob/trustjob/internal/config"
	"github.com/trustjob/trustjob/internal/ibmcloud"
)

// Tests for issue 12 (hostile and odd answers) and issue 13 (F2, F5, F6,
// F11), each through the real SDK clients against the emulator.

func days(n int) config.Duration { return config.Duration(time.Duration(n) * 24 * time.Hour) }

// realRun runs o with actions on (not a dry run).
func realRun(t *testing.T, h *harness, o *Options, acts ...ActionConfig) (*memWriter, error) {
	t.Helper()
	o.Actions, o.DryRun, o.MaxActions = acts, false, 100
	return run(t, h, o)
}

// writesTo counts write requests for a target id.
func writesTo(sim *cloudsim.Sim, id string) int {
	n := 0
	for _, e := range sim.Log().Entries() {
		if e.Method != http.MethodGet && strings.Contains(e.Path, "/"+id+"/") {
			n++
		}
	}
	return n
}

// reportFault makes the activity report's GET answer body (the report as a
// hostile or odd IAM would send it).
func reportFault(h *harness, body map[string]any) {
	b, _ := json.Marshal(body)
	h.sim.AddFault(&cloudsim.Fault{Service: cloudsim.ServiceIAMIdentity, PathPrefix: "/v1/activity/", Method: http.MethodGet,
		Status: http.StatusOK, Body: string(b)})
}

func reportBody(apikeys ...map[string]any) map[string]any {
	return map[string]any{"reference": "x", "report_duration": "720", "created_by": "iam-Profile-x",
		"report_start_time": "2026-01-30T00:00+0000", "report_end_time": "2026-03-01T00:00+0000",
		"users": []any{}, "serviceids": []any{}, "profiles": []any{}, "apikeys": apikeys}
}

// 12.1: a name glob's * spans `/`, and names with spaces and unicode match as
// written; the exempt keys get no write.
func TestNameGlobExemptsNamesWithSlashSpacesUnicode(t *testing.T) {
	w := loadWorld(t)
	w.Lock()
	w.Identities.APIKeyByID("ApiKey-etl-1").Name = "break-glass-ops/primary"
	w.Identities.APIKeyByID("ApiKey-legacy-1").Name = "Schlüssel für Zoë / alt"
	w.Unlock()
	h := start(t, w, cloudsim.Options{}, true)
	o := testOptions()
	o.Exemptions.IAMIDs = nil
	o.Exemptions.Names = append(o.Exemptions.Names,
		NameExemption{Name: "break-glass-*", Reason: "break-glass keys are used in emergencies only"},
		NameExemption{Name: "Schl?ssel f*r Zo? *", Reason: "kept for the audit"})
	out, err := realRun(t, h, o, ActionConfig{Action: ActionDisableAPIKey, OlderThan: days(180)})
	if err != nil {
		t.Fatal(err)
	}
	acts := byID(out.records(RecordAction))
	for id, glob := range map[string]string{"ApiKey-etl-1": "break-glass-*", "ApiKey-legacy-1": "Schl?ssel f*r Zo? *"} {
		r := acts["disable-apikey:apikey/"+id]
		if r["result"] != string(action.SkippedExempt) || !strings.Contains(fmt.Sprint(r["detail"]), glob) {
			t.Errorf("%s: %v %v; want exempt by %q", id, r["result"], r["detail"], glob)
		}
		if n := writesTo(h.sim, id); n != 0 {
			t.Errorf("%s is exempt, yet %d writes", id, n)
		}
	}
}

// 12.2: the report omits the API key's owner object; the owner comes from the
// API-key listing, so the owner's exemption holds. A key whose owner neither
// names is skipped "cannot tell who owns it".
func TestOwnerExemptionsFromTheListing(t *testing.T) {
	w := loadWorld(t)
	w.Lock()
	w.Identities.APIKeyByID("ApiKey-ci").OwnerIAMID = "" // the listing names no owner either
	w.Unlock()
	h := start(t, w, cloudsim.Options{}, true)
	old := "2025-01-01T00:00+0000"
	reportFault(h, reportBody(
		map[string]any{"id": "ApiKey-etl-1", "name": "etl-key", "last_authn": old},
		map[string]any{"id": "ApiKey-legacy-1", "name": "legacy-key", "last_authn": old},
		map[string]any{"id": "ApiKey-ci", "name": "ci-key", "last_authn": old},
	))
	o := testOptions()
	o.Exemptions.IAMIDs = []IAMIDExemption{{IAMID: "iam-ServiceId-etl", Reason: "ETL owner exempt"}}
	o.Exemptions.IDs = []IDExemption{{ID: "ServiceId-legacy", Reason: "legacy owner exempt by id"}}
	out, err := realRun(t, h, o, ActionConfig{Action: ActionDisableAPIKey, OlderThan: days(180)})
	if err != nil {
		t.Fatal(err)
	}
	acts := byID(out.records(RecordAction))
	for id, want := range map[string][2]string{
		"ApiKey-etl-1":    {string(action.SkippedExempt), "owner iam-ServiceId-etl exempt: ETL owner exempt"},
		"ApiKey-legacy-1": {string(action.SkippedExempt), "owner ServiceId-legacy exempt: legacy owner exempt by id"},
		"ApiKey-ci":       {string(action.SkippedUnsafe), "cannot tell who owns it"},
	} {
		r := acts["disable-apikey:apikey/"+id]
		if r["result"] != want[0] || !strings.Contains(fmt.Sprint(r["detail"]), want[1]) {
			t.Errorf("%s: %v %q; want %s %q", id, r["result"], r["detail"], want[0], want[1])
		}
	}
	if n := h.sim.Log().Writes(); n != 0 {
		t.Errorf("%d writes; every key was exempt or of unknown owner", n)
	}
}

// 12.3: every layout IAM writes last_authn in is read; anything else is
// unknown (not "never used"): logged with its raw value, never acted on.
func TestUnreadableLastAuthnIsUnknownNeverActedOn(t *testing.T) {
	h := start(t, loadWorld(t), cloudsim.Options{}, true)
	var logs bytes.Buffer
	h.env.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	reportFault(h, reportBody(
		map[string]any{"id": "ApiKey-etl-1", "name": "etl-key", "serviceid": map[string]any{"id": "ServiceId-etl", "name": "etl-nightly"}, "last_authn": "last Tuesday"},
		map[string]any{"id": "ApiKey-legacy-1", "name": "legacy-key", "serviceid": map[string]any{"id": "ServiceId-legacy", "name": "legacy-reports"}, "last_authn": "2025-01-01T10:00:00.123+0000"},
	))
	o := testOptions()
	o.Exemptions.IAMIDs = nil
	out, err := realRun(t, h, o, ActionConfig{Action: ActionDisableAPIKey, OlderThan: days(30)})
	if err != nil {
		t.Fatal(err)
	}
	ids, acts := byID(out.records(RecordIdentity)), byID(out.records(RecordAction))
	etl := ids["apikey/ApiKey-etl-1"]
	if etl["never_used"] != false || etl["last_authn"] != "" || etl["inactive_days"] != nil {
		t.Errorf("unreadable last_authn row = never_used %v last_authn %v inactive_days %v; want unknown", etl["never_used"], etl["last_authn"], etl["inactive_days"])
	}
	if r := acts["disable-apikey:apikey/ApiKey-etl-1"]; r["result"] != string(action.SkippedUnsafe) || !strings.Contains(fmt.Sprint(r["detail"]), `"last Tuesday"`) {
		t.Errorf("unknown last use: %v %v", r["result"], r["detail"])
	}
	if r := acts["disable-apikey:apikey/ApiKey-legacy-1"]; r["result"] != string(action.Done) {
		t.Errorf("a readable last_authn (fractions, numeric zone): %v %v", r["result"], r["detail"])
	}
	if writesTo(h.sim, "ApiKey-etl-1") != 0 || out.sum["unknown_last_authn"] != 1 {
		t.Errorf("writes %d, unknown_last_authn %v", writesTo(h.sim, "ApiKey-etl-1"), out.sum["unknown_last_authn"])
	}
	if !strings.Contains(logs.String(), `"last_authn":"last Tuesday"`) {
		t.Errorf("the raw value is not logged:\n%s", logs.String())
	}
}

// 12.4: an identity listed twice in the report is one row, one finding, one
// write.
func TestDuplicateReportEntriesActOnce(t *testing.T) {
	h := start(t, loadWorld(t), cloudsim.Options{}, true)
	k := map[string]any{"id": "ApiKey-etl-1", "name": "etl-key", "serviceid": map[string]any{"id": "ServiceId-etl", "name": "etl-nightly"}, "last_authn": "2025-01-01T00:00+0000"}
	reportFault(h, reportBody(k, k, k))
	out, err := realRun(t, h, testOptions(), ActionConfig{Action: ActionDisableAPIKey, OlderThan: days(180)})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(out.records(RecordIdentity)); n != 1 {
		t.Errorf("%d identity rows, want 1", n)
	}
	if n := len(out.records(RecordAction)); n != 1 {
		t.Errorf("%d action rows, want 1", n)
	}
	if n := writesTo(h.sim, "ApiKey-etl-1"); n != 1 {
		t.Errorf("%d writes, want 1", n)
	}
	if out.sum["findings"] != 1 || out.sum["report_duplicates"] != 2 {
		t.Errorf("findings %v, report_duplicates %v", out.sum["findings"], out.sum["report_duplicates"])
	}
}

// 12.7: when the access-group memberships cannot be listed, the task fails,
// in a dry run too, and its error names the missing access (a permission
// error, so the run exits 77).
func TestGroupListingFailureFailsThePlan(t *testing.T) {
	for _, dry := range []bool{true, false} {
		t.Run(fmt.Sprint("dryRun=", dry), func(t *testing.T) {
			h := start(t, loadWorld(t), cloudsim.Options{}, true)
			h.sim.World().Revoke(h.env.ProfileIAMID, cloudsim.ActionGroupsRead)
			o := testOptions()
			o.Actions, o.DryRun = []ActionConfig{{Action: ActionRemoveFromGroups, OlderThan: days(90)}}, dry
			out, err := run(t, h, o)
			if err == nil || !strings.Contains(err.Error(), "needs Viewer") || !strings.Contains(err.Error(), "IAM Access Groups") || !ibmcloud.IsPermission(err) {
				t.Fatalf("err = %v; want a permission error naming Viewer on IAM Access Groups", err)
			}
			for _, r := range out.records(RecordAction) {
				if r["exempt"] == false && r["result"] != string(action.Failed) && r["result"] != string(action.SkippedAlready) {
					t.Errorf("%s: %v, want failed (cannot tell)", r["id"], r["result"])
				}
			}
			if h.sim.Log().Writes() != 0 {
				t.Error("wrote without knowing the memberships")
			}
		})
	}
}

// 12.9: a listing page (or the report) that is a 200 with an empty body, a
// `null`, or a 204 is an error naming the listing: never a crash, never an
// empty "complete" listing.
func TestEmptyNullAnd204PagesAreErrors(t *testing.T) {
	calls := []struct{ name, service, path, what string }{
		{"ListServiceIDGroup", cloudsim.ServiceIAMIdentity, "/v1/serviceid_groups", "list service-ID groups"},
		{"ListAPIKeys", cloudsim.ServiceIAMIdentity, "/v1/apikeys", "API keys"},
		{"ListServiceIds", cloudsim.ServiceIAMIdentity, "/v1/serviceids/", "service IDs"},
		{"ListProfiles", cloudsim.ServiceIAMIdentity, "/v1/profiles", "list trusted profiles"},
		{"ListUsers", cloudsim.ServiceUserManagement, "/v2/accounts/", "list users"},
		{"ListAccessGroups", cloudsim.ServiceAccessGroups, "/v2/groups", "list access groups"},
		{"ListAccessGroupMembers", cloudsim.ServiceAccessGroups, "/v2/groups/AccessGroupId-", "list members of access group"},
		{"GetReport", cloudsim.ServiceIAMIdentity, "/v1/activity/accounts/", "inactive-identities report"},
	}
	answers := []struct {
		name   string
		status int
		body   string
	}{
		{"200 empty", http.StatusOK, ""},
		{"200 null", http.StatusOK, "null"},
		{"204", http.StatusNoContent, ""},
	}
	for _, c := range calls {
		for _, a := range answers {
			if c.name == "GetReport" && a.name == "204" {
				continue // 204 is the report's "not ready yet" (TestPollsThroughSeveral204s)
			}
			t.Run(c.name+"/"+a.name, func(t *testing.T) {
				h := start(t, loadWorld(t), cloudsim.Options{}, true)
				f := &cloudsim.Fault{Service: c.service, PathPrefix: c.path, Method: http.MethodGet,
					Status: a.status, Body: a.body, NoBody: a.body == ""}
				if c.name == "ListAccessGroups" {
					f.Nth = 1 // the group list itself, not the member pages after it
				}
				h.sim.AddFault(f)
				o := testOptions()
				o.Actions = []ActionConfig{{Action: ActionRemoveFromGroups, OlderThan: days(90)}}
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				w := &memWriter{}
				res, err := newTask(o).Run(ctx, h.env, w)
				if err == nil || !strings.Contains(err.Error(), c.what) {
					t.Fatalf("err = %v; want an error naming %q", err, c.what)
				}
				if errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("polled or waited until the deadline: %v", err)
				}
				// The memberships are read after the report's rows: those
				// stay complete, the task fails. Any other listing leaves
				// the report incomplete.
				if res.ReportSummary()["complete"] == true && c.service != cloudsim.ServiceAccessGroups {
					t.Error("summary says complete")
				}
			})
		}
	}
}

// F2: service IDs in a group other than the default one, and their keys, are
// listed (group by group): enriched, exemption markers honoured, acted on.
// Without the groups, they would look "deleted since the report".
func TestServiceIDGroupsAreListedEach(t *testing.T) {
	w := loadWorld(t)
	w.Lock()
	w.Identities.ServiceIDGroups = append(w.Identities.ServiceIDGroups,
		&cloudsim.ServiceIDGroupRecord{ID: "ServiceIdGroup-data", Name: "data"},
		&cloudsim.ServiceIDGroupRecord{ID: "ServiceIdGroup-ops", Name: "ops"})
	w.Identities.ServiceIDByID("ServiceId-etl").GroupID = "ServiceIdGroup-data"
	w.Identities.ServiceIDByID("ServiceId-backup").GroupID = "ServiceIdGroup-ops"
	w.Unlock()
	h := start(t, w, cloudsim.Options{}, true)
	out, err := realRun(t, h, testOptions(),
		ActionConfig{Action: ActionDisableAPIKey, OlderThan: days(180)}, ActionConfig{Action: ActionLockServiceID, OlderThan: days(180)})
	if err != nil {
		t.Fatal(err)
	}
	ids, acts := byID(out.records(RecordIdentity)), byID(out.records(RecordAction))
	if r := ids["apikey/ApiKey-etl-1"]; r["created_at"] != "2024-03-01T00:00:00Z" || r["disabled"] != false {
		t.Errorf("a grouped service ID's key is not enriched: %v", r)
	}
	if r := ids["serviceid/ServiceId-backup"]; r["exempt"] != true {
		t.Errorf("the exemption marker of a grouped service ID is ignored: %v", r)
	}
	for key, want := range map[string]action.Result{
		"disable-apikey:apikey/ApiKey-etl-1":     action.Done,
		"lock-serviceid:serviceid/ServiceId-etl": action.Done,
		"disable-apikey:apikey/ApiKey-backup":    action.SkippedExempt,
	} {
		if got := acts[key]["result"]; got != string(want) {
			t.Errorf("%s: %v (%v), want %s", key, got, acts[key]["detail"], want)
		}
	}
	// One groups request, users' keys once, then each group's service IDs
	// and keys.
	if n := requests(h.sim, "GET", "/v1/serviceid_groups"); n != 1 {
		t.Errorf("%d group listings", n)
	}
	if n := requests(h.sim, "GET", "/v1/apikeys"); n != 4 {
		t.Errorf("%d API-key pages, want 4 (users' keys, then 3 groups)", n)
	}
}

// F5: users' own API keys are left alone unless includeUserAPIKeys; with it,
// IAM refuses the profile (403) for the user's key, and that refusal does
// not fail the service IDs' keys untried.
func TestUserKeysOnlyWithOptInAndRefusalsPerKind(t *testing.T) {
	t.Run("default: skipped, no request", func(t *testing.T) {
		h := start(t, loadWorld(t), cloudsim.Options{}, true)
		out, err := realRun(t, h, testOptions(), ActionConfig{Action: ActionDisableAPIKey, OlderThan: days(180)})
		if err != nil {
			t.Fatal(err)
		}
		r := byID(out.records(RecordAction))["disable-apikey:apikey/ApiKey-alice-cli"]
		if r["result"] != string(action.SkippedUnsafe) || !strings.Contains(fmt.Sprint(r["detail"]), "includeUserAPIKeys") || writesTo(h.sim, "ApiKey-alice-cli") != 0 {
			t.Errorf("user key: %v %v, %d writes", r["result"], r["detail"], writesTo(h.sim, "ApiKey-alice-cli"))
		}
	})
	t.Run("opted in: refused, service-ID keys still done", func(t *testing.T) {
		w := loadWorld(t)
		w.Lock()
		// A second service ID key, so that a per-action memory of the
		// refusal would fail it untried.
		k := *w.Identities.APIKeyByID("ApiKey-etl-1")
		k.ID, k.Name = "ApiKey-etl-2", "etl-key-2"
		w.Identities.APIKeys = append(w.Identities.APIKeys, &k)
		w.Identities.Reindex()
		w.Unlock()
		h := start(t, w, cloudsim.Options{}, true)
		h.env.Actions = action.New(action.Config{Concurrency: 1})
		out, err := realRun(t, h, testOptions(), ActionConfig{Action: ActionDisableAPIKey, OlderThan: days(180), IncludeUserAPIKeys: true})
		if err == nil || !strings.Contains(err.Error(), "only by that user") {
			t.Errorf("err = %v; want the refused user key, explained", err)
		}
		acts := byID(out.records(RecordAction))
		if r := acts["disable-apikey:apikey/ApiKey-alice-cli"]; r["result"] != string(action.Failed) || !strings.Contains(fmt.Sprint(r["detail"]), "403") {
			t.Errorf("user key: %v %v", r["result"], r["detail"])
		}
		for _, id := range []string{"ApiKey-etl-1", "ApiKey-etl-2"} {
			if r := acts["disable-apikey:apikey/"+id]; r["result"] != string(action.Done) {
				t.Errorf("%s: %v %v; a user key's refusal must not fail it", id, r["result"], r["detail"])
			}
		}
	})
}

// F6: a locked key is never sent a disable (IAM refuses changes to it); with
// lock-apikey and disable-apikey both configured, lock first in the file,
// the key is disabled before it is locked.
func TestLockedKeysAreNeverDisabled(t *testing.T) {
	w := loadWorld(t)
	w.Lock()
	w.Identities.APIKeyByID("ApiKey-etl-1").Locked = true
	k := *w.Identities.APIKeyByID("ApiKey-etl-1")
	k.ID, k.Name, k.Locked = "ApiKey-etl-2", "etl-key-2", false
	w.Identities.APIKeys = append(w.Identities.APIKeys, &k)
	w.Identities.Reindex()
	w.Unlock()
	h := start(t, w, cloudsim.Options{}, true)
	out, err := realRun(t, h, testOptions(),
		ActionConfig{Action: ActionLockAPIKey, OlderThan: days(180)}, ActionConfig{Action: ActionDisableAPIKey, OlderThan: days(180)})
	if err != nil {
		t.Fatal(err)
	}
	acts := byID(out.records(RecordAction))
	if r := acts["disable-apikey:apikey/ApiKey-etl-1"]; r["result"] != string(action.SkippedUnsafe) || !strings.Contains(fmt.Sprint(r["detail"]), "locked") {
		t.Errorf("locked key: %v %v", r["result"], r["detail"])
	}
	if n := writesTo(h.sim, "ApiKey-etl-1"); n != 0 {
		t.Errorf("%d writes to the locked key", n)
	}
	for _, a := range []string{"disable-apikey", "lock-apikey"} {
		if r := acts[a+":apikey/ApiKey-etl-2"]; r["result"] != string(action.Done) {
			t.Errorf("%s ApiKey-etl-2: %v %v", a, r["result"], r["detail"])
		}
	}
	var order []string
	for _, e := range h.sim.Log().Entries() {
		if e.Method == http.MethodPost && strings.Contains(e.Path, "ApiKey-etl-2") {
			order = append(order, e.Path[strings.LastIndex(e.Path, "/")+1:])
		}
	}
	if strings.Join(order, ",") != "disable,lock" {
		t.Errorf("writes to ApiKey-etl-2 in order %v, want disable then lock", order)
	}
	w.RLock()
	defer w.RUnlock()
	if k := w.Identities.APIKeyByID("ApiKey-etl-2"); !k.Disabled || !k.Locked {
		t.Errorf("ApiKey-etl-2 disabled %t locked %t", k.Disabled, k.Locked)
	}
}

// F11: wherever lock is offered, it says a lock does not stop sign-ins.
func TestLockIsNotSoldAsARemediation(t *testing.T) {
	if d := Type().Description; !strings.Contains(d, "a lock stops changes, not sign-ins") {
		t.Errorf("task description: %q", d)
	}
	for _, a := range []string{ActionLockAPIKey, ActionLockServiceID} {
		if d := doneDetail(a); !strings.Contains(d, "still authenticate") {
			t.Errorf("%s detail %q", a, d)
		}
	}
}

// 12.5: IAM applies the disable but its answer never arrives before the
// executor's write grace ends (after SIGTERM): the row is unknown (sent, no
// answer), not failed, and actions_taken stays honest.
func TestAppliedWriteWithoutAnswerIsUnknown(t *testing.T) {
	h := start(t, loadWorld(t), cloudsim.Options{}, true)
	h.sim.AddFault(&cloudsim.Fault{Service: cloudsim.ServiceIAMIdentity, PathPrefix: "/v1/apikeys/", Method: http.MethodPost, LateAnswer: time.Minute})
	h.env.Actions = action.New(action.Config{WriteGrace: 300 * time.Millisecond})
	o := testOptions()
	o.Actions, o.DryRun = []ActionConfig{{Action: ActionDisableAPIKey, OlderThan: days(180)}}, false
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	go func() {
		for ctx.Err() == nil && requests(h.sim, "POST", "/disable") == 0 {
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(50 * time.Millisecond)
		cancel(errors.New("received SIGTERM"))
	}()
	w := &memWriter{}
	res, err := newTask(o).Run(ctx, h.env, w)
	if err == nil || !strings.Contains(err.Error(), "sent without an answer") {
		t.Fatalf("err = %v", err)
	}
	r := byID(w.records(RecordAction))["disable-apikey:apikey/ApiKey-etl-1"]
	if r["result"] != string(action.Unknown) || !strings.HasPrefix(fmt.Sprint(r["detail"]), "sent, no answer") {
		t.Errorf("row: %v %v", r["result"], r["detail"])
	}
	wd := h.sim.World()
	wd.RLock()
	applied := wd.Identities.APIKeyByID("ApiKey-etl-1").Disabled
	wd.RUnlock()
	if !applied {
		t.Error("the emulator did not apply the write; the case needs it applied")
	}
	if s := res.ReportSummary(); s["actions_unknown"] != 1 || s["actions_failed"] != 0 || s["actions_taken"] != 0 {
		t.Errorf("summary %v", s)
	}
}
