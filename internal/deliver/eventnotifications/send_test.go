package eventnotifications_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trustjob/trustjob/internal/cloudsim"
	"github.com/trustjob/trustjob/internal/cloudsim/events"
	en "github.com/trustjob/trustjob/internal/deliver/eventnotifications"
	"github.com/trustjob/trustjob/internal/runner"
	"github.com/trustjob/trustjob/internal/simtest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const (
	instance = "3f1a6c2e-8b4d-4e0f-9a7b-2c5d6e7f8a90"
	sourceID = "7b0f4c1e-2d3a-4b5c-8d9e-0f1a2b3c4d5e:api"
)

func i64(n int64) *int64 { return &n }

// summary is a run with findings, changes, an action, a failed task and COS
// delivery: everything a notification reports.
func summary() *runner.Summary {
	failOn := 5
	return &runner.Summary{
		RunID: "9686ba3395d1bf02", Version: "test", Account: "f88dd41150a1602143a48281fb4c4023",
		Profile: runner.Profile{Name: "trustjob-runner"}, Started: time.Date(2026, 8, 24, 2, 0, 0, 0, time.UTC),
		Duration: "5.2s", Status: "failed", ExitCode: 1,
		Tasks: []runner.TaskResult{
			{Name: "inventory", Type: "inventory", Status: runner.Succeeded, Complete: true, Findings: i64(0),
				Summary: map[string]any{"changes": map[string]int{"created": 2, "deleted": 1, "changed": 0}}},
			{Name: "inactive-identities", Type: "inactive-identities", Status: runner.Succeeded, Complete: true,
				Findings: i64(20), FailOn: &failOn, FailOnExceeded: true,
				Summary: map[string]any{"actions_taken": 1, "actions_would_do": 0, "actions_failed": 0}},
			{Name: "posture", Type: "iam-posture", Status: runner.Failed,
				Error: "list policies: HTTP 403: the trusted profile needs Viewer on IAM Access Groups"},
			{Name: "weekly", Type: "inventory", Status: runner.Skipped, Reason: "not due"},
		},
		Delivery: &runner.Delivery{COS: &runner.COSDelivery{Bucket: "trustjob-reports", Objects: []string{
			"trustjob/inventory/20260824T020000Z.jsonl", "trustjob/inventory/latest.jsonl",
			"trustjob/run-summary/20260824T020000Z.json", "trustjob/run-summary/latest.json",
		}}},
	}
}

func TestReasons(t *testing.T) {
	ok := &runner.Summary{Status: "succeeded", Tasks: []runner.TaskResult{{Findings: i64(0)}}}
	tests := []struct {
		name string
		sum  *runner.Summary
		on   []string
		want []string
	}{
		{"quiet success", ok, []string{"failure", "findings", "changes", "actions"}, nil},
		{"always", ok, []string{"always"}, []string{"always"}},
		{"everything", summary(), []string{"failure", "findings", "changes", "actions", "always"}, []string{"failure", "findings", "changes", "actions", "always"}},
		{"findings only", summary(), []string{"findings"}, []string{"findings"}},
		{"delivery failed", &runner.Summary{Status: "failed", Delivery: &runner.Delivery{COS: &runner.COSDelivery{Failed: true}}}, []string{"failure"}, []string{"failure"}},
	}
	for _, tt := range tests {
		if got := en.Reasons(tt.on, tt.sum); !slices.Equal(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestPayloadGolden: the notification matches IBM's documented payload
// (mandatory CloudEvents attributes, ibmen* extensions, formats) and the
// golden file a reviewer can read.
func TestPayloadGolden(t *testing.T) {
	n := en.Build(summary(), sourceID, []string{"failure", "findings", "changes", "actions"},
		time.Date(2026, 8, 24, 2, 0, 5, 123e6, time.UTC))
	got, err := json.MarshalIndent(n, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "notification.json.golden")
	if *update {
		os.WriteFile(golden, append(got, '\n'), 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(append(got, '\n'), want) {
		t.Errorf("notification differs from %s (go test -update):\n%s", golden, got)
	}
	checkSchema(t, got)
}

// checkSchema checks a body against IBM's payload rules (en-payload.md and the
// Go SDK's NotificationCreate).
func checkSchema(t *testing.T, body []byte) {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"specversion", "id", "source", "type", "ibmensourceid", "ibmendefaultshort", "ibmendefaultlong"} {
		if s, _ := m[k].(string); s == "" {
			t.Errorf("mandatory attribute %s missing", k)
		}
	}
	if m["specversion"] != "1.0" || m["datacontenttype"] != "application/json" {
		t.Errorf("specversion %v, datacontenttype %v", m["specversion"], m["datacontenttype"])
	}
	if typ := m["type"].(string); !regexp.MustCompile(`^[a-z0-9.-]+:[a-z0-9-]+$`).MatchString(typ) {
		t.Errorf("type %q is not <reverse-dns>:<sub-type> without '_'", typ)
	}
	if _, err := time.Parse("2006-01-02T15:04:05.000Z07:00", m["time"].(string)); err != nil {
		t.Errorf("time %v: %v", m["time"], err)
	}
	if _, ok := m["data"].(map[string]any); !ok {
		t.Error("data is not a JSON object")
	}
	if sev := m["ibmenseverity"]; sev != "LOW" && sev != "MEDIUM" && sev != "HIGH" {
		t.Errorf("ibmenseverity %v", sev)
	}
	if len(body) > en.MaxPayload {
		t.Errorf("%d bytes, over 64 KB", len(body))
	}
}

func TestSendThroughEmulator(t *testing.T) {
	l, sess := simtest.Start(t, cloudsim.DefaultSpec(), cloudsim.Options{})
	srv := events.New(func(tok string) (events.Caller, error) {
		c, err := l.Sim.VerifyToken(tok)
		if err != nil {
			return events.Caller{}, err
		}
		return events.Caller{IAMID: c.IAMID, AccountID: c.AccountID}, nil
	})
	srv.AddSource(instance, sourceID, "trustjob")
	hs := httptest.NewServer(srv)
	defer hs.Close()
	s, err := en.New(en.Options{Instance: instance, URL: hs.URL + "/event-notifications",
		Authenticator: sess.Clients.Authenticator, AllowedHosts: []string{"127.0.0.1"}, Requests: sess.Clients.Requests, MaxRetries: 1})
	if err != nil {
		t.Fatal(err)
	}
	n := en.Build(summary(), sourceID, []string{"failure"}, time.Now())

	// Without the Publisher role: a 403 that names it.
	_, err = s.Send(context.Background(), n)
	var ee *en.Error
	if !errors.As(err, &ee) || ee.Status != http.StatusForbidden || !strings.Contains(err.Error(), `"Event Notifications Publisher"`) {
		t.Fatalf("err %v, want a 403 naming Event Notifications Publisher", err)
	}

	srv.Grant(instance, sess.ProfileIAMID, events.Publisher)
	id, err := s.Send(context.Background(), n)
	if err != nil || id == "" {
		t.Fatalf("id %q, err %v", id, err)
	}
	sent := srv.Sent()
	if len(sent) != 1 || sent[0].NotificationID != id || sent[0].Instance != instance {
		t.Fatalf("sent %+v", sent)
	}
	if ct := sent[0].Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	want, _ := json.Marshal(n)
	if !bytes.Equal(bytes.TrimSpace(sent[0].Body), want) {
		t.Errorf("body sent\n%s\nwant\n%s", sent[0].Body, want)
	}
	checkSchema(t, sent[0].Body)
	if got := sess.Clients.Requests.Get(en.Service); got != 2 {
		t.Errorf("%d requests to Event Notifications, want 2", got)
	}
}

func TestHostPolicy(t *testing.T) {
	for _, u := range []string{"https://evil.example.com/event-notifications", "http://us-south.event-notifications.cloud.ibm.com/event-notifications"} {
		if _, err := en.New(en.Options{Instance: instance, URL: u, Authenticator: nopAuth{}}); err == nil {
			t.Errorf("%s accepted", u)
		}
	}
	if got := en.URL("eu-de", true); got != "https://private.eu-de.event-notifications.cloud.ibm.com/event-notifications" {
		t.Errorf("private URL %s", got)
	}
}

type nopAuth struct{}

func (nopAuth) AuthenticationType() string         { return "bearerToken" }
func (nopAuth) Authenticate(r *http.Request) error { return nil }
func (nopAuth) Validate() error                    { return nil }
