package app

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/trustjob/trustjob/internal/auth"
	"github.com/trustjob/trustjob/internal/config"
	"github.com/trustjob/trustjob/internal/deliver/cos"
	"github.com/trustjob/trustjob/internal/deliver/eventnotifications"
	"github.com/trustjob/trustjob/internal/exitcode"
	"github.com/trustjob/trustjob/internal/ibmcloud"
	"github.com/trustjob/trustjob/internal/logging"
	"github.com/trustjob/trustjob/internal/report"
	"github.com/trustjob/trustjob/internal/runner"
)

// Endpoint overrides (config.EnvCOSEndpoint, config.EnvENURL), for the emulator.
const (
	EnvCOSEndpoint = config.EnvCOSEndpoint
	EnvENURL       = config.EnvENURL
)

// delivery is output.cos and notify.eventNotifications for one run.
type delivery struct {
	cfg   *config.Config
	cos   *cos.Client
	en    *eventnotifications.Sender
	log   *slog.Logger
	stamp string

	mu     sync.Mutex
	result runner.COSDelivery
}

// newDelivery builds the COS client and the notification sender over the
// session's shared authenticator (no second token exchange).
func (a *app) newDelivery(cfg *config.Config, sess *auth.Session, runID string, now time.Time, log *slog.Logger) (*delivery, error) {
	// The same stamp as the local reports: time, then the run id, so two
	// runs in one second never overwrite each other's summary.
	d := &delivery{cfg: cfg, log: log, stamp: report.Stamp(now, runID)}
	if sess == nil || sess.Clients == nil {
		return d, nil
	}
	if o := cfg.Output.COS; o.Enabled() {
		tok, ok := sess.Clients.Authenticator.(cos.TokenSource)
		if !ok {
			return nil, fmt.Errorf("output.cos: the authenticator %T cannot hand out its token", sess.Clients.Authenticator)
		}
		endpoint := o.Endpoint
		if v := strings.TrimSpace(a.getenv(EnvCOSEndpoint)); v != "" {
			endpoint = v
		}
		c, err := cos.New(cos.Options{
			Bucket: o.Bucket, Endpoint: endpoint, EndpointType: o.EndpointType, Prefix: o.Prefix,
			LatestByCopy: o.Latest != "upload", Token: tok, AllowedHosts: cfg.AllowedHosts,
			Account: sess.Account, RunID: runID, Requests: sess.Clients.Requests, Logger: log,
		})
		if err != nil {
			return nil, fmt.Errorf("output.cos: %w", err)
		}
		d.cos = c
		d.result = runner.COSDelivery{Bucket: o.Bucket, Endpoint: c.Endpoint(), Objects: []string{}}
	}
	if en := cfg.Notify.EventNotifications; en != nil {
		u := eventnotifications.URL(en.Region, cfg.Private())
		if v := strings.TrimSpace(a.getenv(EnvENURL)); v != "" {
			u = v
		}
		s, err := eventnotifications.New(eventnotifications.Options{
			Instance: en.InstanceGUID(), URL: u, Authenticator: sess.Clients.Authenticator,
			AllowedHosts: cfg.AllowedHosts, Requests: sess.Clients.Requests,
		})
		if err != nil {
			return nil, fmt.Errorf("notify.eventNotifications: %w", err)
		}
		d.en = s
	}
	return d, nil
}

// open wraps the run's report opener so each task's files go to COS when
// its report is closed.
func (d *delivery) open(ctx context.Context, open func(string, report.Schema) (runner.TaskOutput, error)) func(string, report.Schema) (runner.TaskOutput, error) {
	if d == nil || d.cos == nil {
		return open
	}
	return func(task string, s report.Schema) (runner.TaskOutput, error) {
		t, err := open(task, s)
		if err != nil {
			return nil, err
		}
		return &cosTask{TaskOutput: t, name: task, d: d, ctx: ctx}, nil
	}
}

// previous is where change reports read their baseline (nil: the output directory).
func (d *delivery) previous() report.Previous {
	if d == nil || d.cos == nil {
		return nil
	}
	return d.cos
}

// history is where the trend reads earlier runs besides the output
// directory: the bucket's run summaries (nil without output.cos).
func (d *delivery) history() report.History {
	if d == nil || d.cos == nil {
		return nil
	}
	return d.cos
}

func (d *delivery) record(keys []string, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.result.Objects = append(d.result.Objects, keys...)
	if err != nil {
		d.result.Failed = true
		d.result.Errors = append(d.result.Errors, logging.RedactString(err.Error()))
		if ibmcloud.IsPermission(err) {
			d.result.PermissionDenied = true
		}
		d.log.Error("report delivery to COS failed", "err", err)
	}
}

// cosTask uploads a task's files after the local report is closed. A failed
// upload does not fail the task (its report exists); it fails the run's
// delivery, which exits 1.
type cosTask struct {
	runner.TaskOutput
	name string
	d    *delivery
	ctx  context.Context
}

func (t *cosTask) Close(complete bool) (report.Result, error) {
	w, err := t.TaskOutput.Close(complete)
	if len(w.Files) == 0 {
		return w, err
	}
	// The upload may outlive the task's own timeout, not the run's deadline.
	keys, upErr := t.d.cos.PublishFiles(t.ctx, t.name, w.Files, complete && err == nil)
	t.d.record(keys, upErr)
	return w, err
}

// finish sends the notification, uploads the run summary and records both in
// sum. A failed upload makes the run exit 1; a failed notification never
// changes the exit code.
func (d *delivery) finish(ctx context.Context, sum *runner.Summary, clients *ibmcloud.Clients) {
	if d == nil || (d.cos == nil && d.en == nil) {
		return
	}
	sum.Delivery = &runner.Delivery{}
	if d.cos != nil {
		res := d.result
		sum.Delivery.COS = &res
		d.failRun(sum)
		// The summary's own keys are known before it is written, so the
		// notification can point at it.
		res.Objects = append(res.Objects, d.cos.Key(cos.SummaryFolder, d.stamp+".json"), d.cos.Key(cos.SummaryFolder, "latest.json"))
	}
	if d.en != nil {
		sum.Delivery.Notification = d.notify(ctx, sum)
	}
	if clients != nil && clients.Requests != nil {
		sum.Requests = clients.Requests.Snapshot()
	}
	if d.cos == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	// Upload the summary from a scratch copy: the local one is written last,
	// with the outcome of this very upload.
	tmp, err := os.MkdirTemp("", "trustjob-summary-")
	if err == nil {
		defer os.RemoveAll(tmp)
		stamped := filepath.Join(tmp, d.stamp+".json")
		if err = report.WriteJSONAtomic(stamped, sum); err == nil {
			err = report.WriteJSONAtomic(filepath.Join(tmp, "latest.json"), sum)
		}
		if err == nil {
			_, err = d.cos.PublishFiles(ctx, cos.SummaryFolder, []string{stamped, filepath.Join(tmp, "latest.json")}, true)
		}
	}
	if err != nil {
		res := sum.Delivery.COS
		res.Objects = res.Objects[:len(res.Objects)-2]
		res.Failed = true
		res.Errors = append(res.Errors, logging.RedactString("run summary: "+err.Error()))
		d.log.Error("run summary delivery to COS failed", "err", err)
		d.failRun(sum)
	}
	if clients != nil && clients.Requests != nil {
		sum.Requests = clients.Requests.Snapshot()
	}
}

// failRun: a run whose reports did not reach the bucket exits 1 (a retry can
// help), whatever it would have exited with otherwise unless that was already
// a failure of its own.
func (d *delivery) failRun(sum *runner.Summary) {
	if sum.Delivery.COS == nil || !sum.Delivery.COS.Failed {
		return
	}
	if sum.ExitCode == exitcode.OK || sum.ExitCode == exitcode.Findings {
		sum.ExitCode, sum.Status = exitcode.TaskFailed, "failed"
	}
}

func (d *delivery) notify(ctx context.Context, sum *runner.Summary) *runner.NotificationDelivery {
	en := d.cfg.Notify.EventNotifications
	res := &runner.NotificationDelivery{Service: eventnotifications.Service, ID: sum.RunID}
	reasons := eventnotifications.Reasons(en.On, sum)
	if len(reasons) == 0 {
		res.ID = ""
		res.Reason = "not sent: nothing matched on: " + strings.Join(en.On, ", ")
		d.log.Info("no notification sent", "on", en.On)
		return res
	}
	res.Reason = "on: " + strings.Join(reasons, ", ")
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 90*time.Second)
	defer cancel()
	id, err := d.en.Send(ctx, eventnotifications.Build(sum, en.SourceID, reasons, time.Now()))
	if err != nil {
		res.Error = logging.RedactString(err.Error())
		d.log.Warn("notification failed; the run's exit code is unchanged", "err", err)
		return res
	}
	res.Sent, res.NotificationID = true, id
	d.log.Info("notification sent", "service", eventnotifications.Service, "notification_id", id, "reason", res.Reason)
	return res
}

// publishIndex uploads the run's index.html (the html format) to
// <prefix>index.html: its links are relative (<task>/latest.html), so the
// bucket's copy works like the directory's. It returns the exit code,
// raised to 1 when the upload failed.
func (d *delivery) publishIndex(ctx context.Context, dir string, code int) int {
	if d == nil || d.cos == nil || dir == "" {
		return code
	}
	path := filepath.Join(dir, report.IndexFile)
	if _, err := os.Stat(path); err != nil {
		return code
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	key, err := d.cos.PublishRoot(ctx, path)
	if err != nil {
		d.log.Error("run index delivery to COS failed", "err", err)
		if code == exitcode.OK || code == exitcode.Findings {
			return exitcode.TaskFailed
		}
		return code
	}
	d.log.Info("run index delivered", "object", d.cos.URI(key))
	return code
}
