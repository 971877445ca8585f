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
func (a *app) newDelivery(cfg *config.Config, sess *session, runID string, now time.Time, log *slog.Logger) (*delivery, error) {
	d := &delivery{cfg: cfg, log: log, stamp: now.UTC().Format(report.StampLayout)}
	if sess.clients == nil {
		return d, nil
	}
	if o := cfg.Output.COS; o.Enabled() {
		tok, ok := sess.clients.Authenticator.(cos.TokenSource)
		if !ok {
			return nil, fmt.Errorf("output.cos: the authenticator %T cannot hand out its token", sess.clients.Authenticator)
		}
		endpoint := o.Endpoint
		if v := strings.TrimSpace(a.getenv(EnvCOSEndpoint)); v != "" {
			endpoint = v
		}
		c, err := cos.New(cos.Options{
			Bucket: o.Bucket, Endpoint: endpoint, EndpointType: o.EndpointType, Prefix: o.Prefix,
			LatestByCopy: o.Latest != "upload", Token: tok, AllowedHosts: cfg.AllowedHosts,
			Account: sess.identity.Account, RunID: runID, Requests: sess.clients.Requests, Logger: log,
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
			Instance: en.InstanceGUID(), URL: u, Authenticator: sess.clients.Authenticator,
			AllowedHosts: cfg.AllowedHosts, Requests: sess.clients.Requests,
		})
		if err != nil {
			return nil, fmt.Errorf("notify.eventNotifications: %w", err)
		}
		d.en = s
	}
	return d, nil
}

// output wraps the run's reports so each task's files go to COS when closed.
func (d *delivery) output(ctx context.Context, out runner.Output) runner.Output {
	if d == nil || d.cos == nil {
		return out
	}
	return cosOutput{inner: out, d: d, ctx: ctx}
}

// previous is where change reports read their baseline (nil: the output directory).
func (d *delivery) previous() report.Previous {
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

type cosOutput struct {
	inner runner.Output
	d     *delivery
	ctx   context.Context
}

func (o cosOutput) Task(name string, schema report.Schema) (runner.TaskOutput, error) {
	t, err := o.inner.Task(name, schema)
	if err != nil {
		return nil, err
	}
	return &cosTask{TaskOutput: t, name: name, o: o}, nil
}

// cosTask uploads a task's files after the local report is closed. A failed
// upload does not fail the task (its report exists); it fails the run's
// delivery, which exits 1.
type cosTask struct {
	runner.TaskOutput
	name string
	o    cosOutput
}

func (t *cosTask) Close(complete bool) (runner.Written, error) {
	w, err := t.TaskOutput.Close(complete)
	if len(w.Files) == 0 {
		return w, err
	}
	// The upload may outlive the task's own timeout, not the run's deadline.
	keys, upErr := t.o.d.cos.PublishFiles(t.o.ctx, t.name, w.Files, complete && err == nil)
	t.o.d.record(keys, upErr)
	return w, err
}

// finish sends the notification, uploads the run summary and records both in
// sum. A failed upload makes the run exit 1; a failed notification never
// changes the exit code.
func (d *delivery) finish(ctx context.Context, sum *runner.Summary, writeJSON func(string, any) error, clients *ibmcloud.Clients) {
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
		if err = writeJSON(stamped, sum); err == nil {
			err = writeJSON(filepath.Join(tmp, "latest.json"), sum)
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
