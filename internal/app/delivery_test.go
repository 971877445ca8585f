//go:build !release

package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trustjob/trustjob/internal/cloudsim"
	simcos "github.com/trustjob/trustjob/internal/cloudsim/cos"
	"github.com/trustjob/trustjob/internal/cloudsim/events"
	"github.com/trustjob/trustjob/internal/exitcode"
	"github.com/trustjob/trustjob/internal/metrics"
	"github.com/trustjob/trustjob/internal/runner"
	"github.com/trustjob/trustjob/tasks"
	"github.com/trustjob/trustjob/tasks/builtin"
)

// deliveryFixture is the whole emulator (IAM, platform APIs, COS, Event
// Notifications) and an app with the real services and task types.
type deliveryFixture struct {
	l      *cloudsim.Local
	ds     *deliverySim
	env    map[string]string
	runner string
	now    atomic.Int64
}

func newDeliveryFixture(t *testing.T) *deliveryFixture {
	t.Helper()
	l, err := cloudsim.StartLocal(cloudsim.DefaultSpec(), cloudsim.Options{ReportDelay: 10 * time.Millisecond}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	ds, err := startDeliverySim(l)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ds.Close)
	f := &deliveryFixture{l: l, ds: ds, env: map[string]string{}, runner: l.Sim.World().IAM.RunnerIAMID()}
	for k, v := range l.Env {
		f.env[k] = v
		t.Setenv(k, v) // the SDK's service URL variables are read from the process
	}
	for k, v := range ds.Env() {
		f.env[k] = v
	}
	f.now.Store(time.Date(2026, 8, 24, 2, 0, 0, 0, time.UTC).Unix())
	return f
}

// run runs `trustjob run` with cfg and returns the exit code and stderr.
func (f *deliveryFixture) run(t *testing.T, cfg string) (int, string) {
	t.Helper()
	reg := tasks.NewRegistry()
	builtin.Register(reg)
	var stdout, stderr bytes.Buffer
	now := time.Unix(f.now.Add(3600), 0).UTC() // each run an hour later: its own stamp
	a := &app{
		stdout: &stdout, stderr: &stderr, stdin: strings.NewReader(""),
		getenv: func(k string) string { return f.env[k] },
		environ: func() []string {
			var kv []string
			for k, v := range f.env {
				kv = append(kv, k+"="+v)
			}
			return kv
		},
		clock: func() time.Time { return now }, registry: reg, signer: authSigner{}, reports: fileReports{},
	}
	code := a.main(context.Background(), []string{"run", "--config", writeConfig(t, cfg), "--log-format", "json", "--now", now.Format(time.RFC3339)})
	return code, stderr.String()
}

// summary reads run-summary/latest.json from the bucket.
func (f *deliveryFixture) summary(t *testing.T) runner.Summary {
	t.Helper()
	o := f.ds.COS.Object(SimBucket, "trustjob/run-summary/latest.json")
	if o == nil {
		t.Fatal("no run-summary/latest.json in the bucket")
	}
	var s runner.Summary
	if err := json.Unmarshal(o.Body(), &s); err != nil {
		t.Fatal(err)
	}
	return s
}

func (f *deliveryFixture) config(extra string) string {
	return fmt.Sprintf(`apiVersion: trustjob/v1
kind: Config
auth: {profileName: %s}
allowedHosts: [127.0.0.1]
deadline: 2m
output:
  formats: [jsonl, markdown]
  cos: {bucket: %s, endpoint: us-south}
notify:
  eventNotifications: {instance: %s, region: us-south, sourceID: "%s", on: [failure, changes]}
tasks:
  - name: inventory
    type: inventory
    options: {includeTags: false}
%s`, f.l.ProfileName, SimBucket, SimENInstance, SimENSource, extra)
}

// TestCOSChangeReportAcrossRuns: two runs without any output directory (no
// volume between Jobs) produce a change report, its baseline read from the
// bucket; each run exchanges its token once, COS and Event Notifications
// included.
func TestCOSChangeReportAcrossRuns(t *testing.T) {
	f := newDeliveryFixture(t)
	tokenRequests := func() int64 { return f.l.Sim.Log().Count(cloudsim.ServiceIAMToken) }

	before := tokenRequests()
	code, logs := f.run(t, f.config(""))
	if code != exitcode.OK {
		t.Fatalf("first run: exit %d\n%s", code, logs)
	}
	first := f.summary(t)
	inv := first.Tasks[0].Summary
	if !strings.HasPrefix(fmt.Sprint(inv["baseline"]), "none") {
		t.Errorf("first run baseline %v, want none", inv["baseline"])
	}
	if first.TokenExchanges != 1 || tokenRequests()-before != 1 {
		t.Errorf("first run: %d token exchanges, %d token requests; want 1 and 1", first.TokenExchanges, tokenRequests()-before)
	}
	if first.Requests["cloud-object-storage"] == 0 || first.Delivery == nil || first.Delivery.COS == nil || first.Delivery.COS.Failed {
		t.Fatalf("first run delivery %+v, requests %v", first.Delivery, first.Requests)
	}
	if n := first.Delivery.Notification; n == nil || n.Sent || !strings.HasPrefix(n.Reason, "not sent") {
		t.Errorf("first run notification %+v: nothing changed, nothing failed, want none sent", n)
	}

	// Something changes in the account between the Jobs.
	w := f.l.Sim.World()
	w.Lock()
	victim := ""
	w.Resources.EachInstance(func(r cloudsim.InstanceRecord) bool {
		if r.State == "active" {
			victim = r.GUID
			return false
		}
		return true
	})
	err := w.Resources.DeleteInstance(victim)
	w.Unlock()
	if err != nil {
		t.Fatal(err)
	}

	before = tokenRequests()
	code, logs = f.run(t, f.config(""))
	if code != exitcode.OK {
		t.Fatalf("second run: exit %d\n%s", code, logs)
	}
	second := f.summary(t)
	inv = second.Tasks[0].Summary
	if got := fmt.Sprint(inv["baseline"]); got != "cos://"+SimBucket+"/trustjob/inventory/latest.jsonl" {
		t.Errorf("second run baseline %q, want the bucket's latest.jsonl", got)
	}
	changes, _ := inv["changes"].(map[string]any)
	if changes["deleted"] != float64(1) {
		t.Errorf("second run changes %v, want 1 deleted", inv["changes"])
	}
	if second.TokenExchanges != 1 || tokenRequests()-before != 1 {
		t.Errorf("second run: %d token exchanges, %d token requests; want 1 and 1", second.TokenExchanges, tokenRequests()-before)
	}
	n := second.Delivery.Notification
	if n == nil || !n.Sent || n.Reason != "on: changes" {
		t.Fatalf("second run notification %+v, want sent on changes", n)
	}
	sent := f.ds.Events.Sent()
	if len(sent) != 1 || !bytes.Contains(sent[0].Body, []byte(`"deleted":1`)) || !bytes.Contains(sent[0].Body, []byte("trustjob/inventory/latest.jsonl")) {
		t.Errorf("notifications sent: %d, last %s", len(sent), lastBody(sent))
	}
	// No token anywhere: logs, notifications, objects (bodies and metadata).
	for where, text := range map[string]string{"logs": logs, "notification": lastBody(sent)} {
		if strings.Contains(text, "eyJ") {
			t.Errorf("a JWT appears in the %s", where)
		}
	}
	for _, k := range f.ds.COS.Keys(SimBucket) {
		o := f.ds.COS.Object(SimBucket, k)
		if bytes.Contains(o.Body(), []byte("eyJ")) || strings.Contains(fmt.Sprint(o.Meta), "eyJ") {
			t.Errorf("a JWT appears in %s", k)
		}
	}
	// Both runs' stamped objects, one latest of each kind.
	keys := strings.Join(f.ds.COS.Keys(SimBucket), "\n")
	// Stamps are the time then the run id (issue 12, case 22).
	for _, k := range []string{"trustjob/inventory/20260824T030000Z-", "trustjob/inventory/20260824T040000Z-",
		"trustjob/inventory/latest.jsonl", "trustjob/inventory/latest.md", "trustjob/run-summary/20260824T040000Z-"} {
		if !strings.Contains(keys, k) {
			t.Errorf("bucket lacks %s:\n%s", k, keys)
		}
	}
}

// TestDeliveryFailures: a run whose reports cannot reach the bucket exits 1
// with the reason (naming the role) in the summary and in the notification;
// a notification that fails is recorded and never changes the exit code.
func TestDeliveryFailures(t *testing.T) {
	f := newDeliveryFixture(t)
	dir := t.TempDir()
	cfg := strings.Replace(f.config(""), "  formats: [jsonl, markdown]", "  dir: "+dir+"\n  formats: [jsonl]", 1)
	cfg = strings.Replace(cfg, "on: [failure, changes]", "on: [failure]", 1)

	f.ds.COS.Revoke(SimBucket, f.runner)
	f.ds.COS.Grant(SimBucket, f.runner, simcos.ObjectWriter) // cannot copy to latest.*
	code, logs := f.run(t, cfg)
	if code != exitcode.TaskFailed {
		t.Fatalf("exit %d, want 1\n%s", code, logs)
	}
	var s runner.Summary
	readJSONFile(t, dir+"/"+runner.SummaryFile, &s)
	c := s.Delivery.COS
	if !c.Failed || !c.PermissionDenied || len(c.Errors) == 0 || !strings.Contains(c.Errors[0], `"Writer"`) || s.Status != "failed" {
		t.Errorf("summary delivery %+v, status %s: want failed, naming the Writer role", c, s.Status)
	}
	if n := s.Delivery.Notification; n == nil || !n.Sent {
		t.Errorf("notification %+v, want sent on failure", n)
	} else if body := lastBody(f.ds.Events.Sent()); !strings.Contains(body, `Writer`) {
		t.Errorf("notification lacks the reason: %s", body)
	}

	f.ds.COS.Grant(SimBucket, f.runner, simcos.Writer)
	f.ds.Events.Revoke(SimENInstance, f.runner)
	cfg = strings.Replace(cfg, "on: [failure]", "on: [always]", 1)
	code, logs = f.run(t, cfg)
	if code != exitcode.OK {
		t.Fatalf("notification refused: exit %d, want 0\n%s", code, logs)
	}
	readJSONFile(t, dir+"/"+runner.SummaryFile, &s)
	if n := s.Delivery.Notification; n == nil || n.Sent || !strings.Contains(n.Error, "Event Notifications Publisher") {
		t.Errorf("notification %+v, want an error naming Event Notifications Publisher", n)
	}
	if !strings.Contains(logs, "notification failed") {
		t.Errorf("the failed notification is not logged:\n%s", logs)
	}
}

func lastBody(sent []events.Sent) string {
	if len(sent) == 0 {
		return ""
	}
	return string(sent[len(sent)-1].Body)
}

func readJSONFile(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

// TestDoctorDelivery: doctor checks the bucket (HEAD, a probe object written
// and deleted) and the notification source, naming missing roles.
func TestDoctorDelivery(t *testing.T) {
	f := newDeliveryFixture(t)
	for k, v := range f.ds.Env() {
		t.Setenv(k, v) // doctor reads the endpoint overrides from the process
	}
	doctor := func() (int, string) {
		reg := tasks.NewRegistry()
		builtin.Register(reg)
		var stdout, stderr bytes.Buffer
		a := &app{stdout: &stdout, stderr: &stderr, stdin: strings.NewReader(""), getenv: func(k string) string { return f.env[k] },
			environ: func() []string {
				var kv []string
				for k, v := range f.env {
					kv = append(kv, k+"="+v)
				}
				return kv
			}, clock: time.Now, registry: reg, signer: authSigner{}, reports: fileReports{}}
		code := a.main(context.Background(), []string{"doctor", "--config", writeConfig(t, f.config(""))})
		return code, stdout.String() + stderr.String()
	}
	tests := []struct {
		name     string
		setup    func()
		wantCode int
		want     []string
	}{
		{"Writer on the bucket, Publisher on the instance", func() {}, exitcode.OK, []string{
			"exists and the profile can read it (HEAD)", "wrote a small probe object trustjob/.doctor/", "and deleted it again",
			"cannot read source", `"Event Notifications Publisher"`}},
		{"Object Writer + Content Reader, Reader on the instance", func() {
			f.ds.COS.Revoke(SimBucket, f.runner)
			f.ds.COS.Grant(SimBucket, f.runner, simcos.ObjectWriter, simcos.ContentReader)
			f.ds.Events.Grant(SimENInstance, f.runner, events.Reader)
		}, exitcode.OK, []string{"could not delete it", "lifecycle rule", "API source " + SimENSource + " (trustjob) exists"}},
		{"no role on the bucket", func() { f.ds.COS.Revoke(SimBucket, f.runner) }, exitcode.NoPerm, []string{
			"HTTP 403", `"Content Reader"`, "Writer role on the bucket"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.setup()
			code, out := doctor()
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d\n%s", code, tt.wantCode, out)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("doctor output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

// TestMetricsTextfileToCOS: metrics.textfile goes next to the reports and, with
// output.cos, through the COS SDK to <prefix>metrics/<name> in the bucket,
// both with and without a local output directory; a refused upload is logged
// and does not change the exit code.
func TestMetricsTextfileToCOS(t *testing.T) {
	f := newDeliveryFixture(t)
	const key = "trustjob/metrics/trustjob.prom"
	for _, tc := range []struct {
		name     string
		localDir bool
	}{{"scratch only", false}, {"output.dir", true}} { // the first finds no object yet
		t.Run(tc.name, func(t *testing.T) {
			cfg := f.config("metrics:\n  textfile: {path: trustjob.prom}\n")
			dir := t.TempDir()
			if tc.localDir {
				cfg = strings.Replace(cfg, "  formats: [jsonl, markdown]", "  dir: "+dir+"\n  formats: [jsonl]", 1)
			}
			code, logs := f.run(t, cfg)
			if code != exitcode.OK {
				t.Fatalf("exit %d, want 0\n%s", code, logs)
			}
			o := f.ds.COS.Object(SimBucket, key)
			if o == nil {
				t.Fatalf("no %s in the bucket\n%s", key, logs)
			}
			if ct := o.ContentType; !strings.HasPrefix(ct, "application/openmetrics-text") {
				t.Errorf("Content-Type %q, want OpenMetrics", ct)
			}
			mfs, err := metrics.Parse(o.Body())
			if err != nil {
				t.Fatalf("the bucket's textfile does not parse: %v\n%s", err, o.Body())
			}
			if mf := mfs[metrics.RunExitCode]; mf == nil || mf.GetMetric()[0].GetGauge().GetValue() != 0 {
				t.Errorf("%s = %v, want 0", metrics.RunExitCode, mf)
			}
			if tc.localDir {
				local, err := os.ReadFile(dir + "/trustjob.prom")
				if err != nil {
					t.Fatalf("no local textfile: %v", err)
				}
				if !bytes.Equal(local, o.Body()) {
					t.Errorf("the bucket's textfile differs from the local one")
				}
			}
		})
	}

	t.Run("refused", func(t *testing.T) {
		f.ds.COS.Revoke(SimBucket, f.runner)
		f.ds.COS.Grant(SimBucket, f.runner, simcos.ContentReader)
		defer f.ds.COS.Grant(SimBucket, f.runner, simcos.Writer)
		dir := t.TempDir()
		cfg := strings.Replace(f.config("metrics:\n  textfile: {path: trustjob.prom}\n"), "  formats: [jsonl, markdown]", "  dir: "+dir+"\n  formats: [jsonl]", 1)
		code, logs := f.run(t, cfg)
		// The reports were refused too (exit 1); the metrics upload adds no
		// failure of its own, and the local textfile is written.
		if code != exitcode.TaskFailed {
			t.Fatalf("exit %d, want 1 (reports refused)\n%s", code, logs)
		}
		if !strings.Contains(logs, "cannot upload the metrics textfile") {
			t.Errorf("the refused upload is not logged:\n%s", logs)
		}
		if _, err := os.Stat(dir + "/trustjob.prom"); err != nil {
			t.Errorf("local textfile: %v", err)
		}
	})
}
