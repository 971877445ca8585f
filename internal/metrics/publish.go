package metrics

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/push"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/trustjob/trustjob/internal/config"
	"github.com/trustjob/trustjob/internal/report"
	"github.com/trustjob/trustjob/internal/runner"
)

// Grouping keys the pushes use besides job. The run's metrics and the last
// success live in two groups so that a failed run replaces the run's values
// (PUT) without erasing when the job last succeeded.
const (
	GroupLabel       = "trustjob_group"
	GroupRun         = "run"
	GroupLastSuccess = "last-success"
)

// Options say where the metrics go; a nil destination is skipped.
type Options struct {
	Pushgateway *config.Pushgateway
	Textfile    *config.Textfile
	// Client sends the pushes (tests); nil is a client with the push timeout.
	Client *http.Client
	// Upload, when set, copies the textfile once written (to COS with
	// output.cos) and says where it went; a failure is logged like a failed
	// push.
	Upload func(ctx context.Context, path string) (where string, err error)
}

// Publish writes the textfile and pushes to the Pushgateway, whichever are
// configured. It never fails the run: problems are logged and returned only
// for tests and the caller's log.
func Publish(ctx context.Context, o Options, s runner.Summary, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var errs []error
	last := time.Time{}
	if Succeeded(s) {
		last = s.Finished
	}
	if t := o.Textfile; t != nil {
		lastFile := last
		if lastFile.IsZero() {
			// Carry the previous file's last success over a failed run.
			lastFile = previousLastSuccess(t.Path)
		}
		if err := WriteTextfile(t.Path, Registry(s, lastFile)); err != nil {
			log.Warn("cannot write the metrics textfile", "path", t.Path, "err", err)
			errs = append(errs, err)
		} else {
			log.Debug("metrics textfile written", "path", t.Path)
			if o.Upload != nil {
				if where, err := o.Upload(ctx, t.Path); err != nil {
					log.Warn("cannot upload the metrics textfile; the run's outcome is unchanged", "path", t.Path, "err", err)
					errs = append(errs, err)
				} else {
					log.Debug("metrics textfile uploaded", "object", where)
				}
			}
		}
	}
	if p := o.Pushgateway; p != nil {
		if err := Push(ctx, *p, o.Client, s); err != nil {
			log.Warn("cannot push metrics to the Pushgateway; the run's outcome is unchanged",
				"url", p.URL, "job", p.Job, "err", err)
			errs = append(errs, err)
		} else {
			log.Info("metrics pushed", "url", p.URL, "job", p.Job)
		}
	}
	return errors.Join(errs...)
}

// Push sends the run's metrics to the Pushgateway: the run group is replaced
// every run; the last-success group only when the run succeeded. The push has
// its own timeout, independent of ctx (the run's deadline may have passed, and
// SIGTERM leaves the grace period the timeout fits in).
func Push(ctx context.Context, p config.Pushgateway, client *http.Client, s runner.Summary) error {
	timeout := p.Timeout.D()
	if timeout <= 0 {
		timeout = config.DefaultPushgatewayTimeout
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	if client == nil {
		client = &http.Client{Timeout: timeout}
	}
	job := p.Job
	if job == "" {
		job = config.DefaultPushgatewayJob
	}
	run := push.New(p.URL, job).Client(client).Grouping(GroupLabel, GroupRun).
		Format(expfmt.NewFormat(expfmt.TypeTextPlain)).Gatherer(Registry(s, time.Time{}))
	if err := run.PushContext(ctx); err != nil {
		return fmt.Errorf("push run metrics: %w", err)
	}
	if !Succeeded(s) {
		return nil
	}
	reg := prometheus.NewRegistry()
	g := gauges{reg: reg}
	g.set(LastSuccess, "When a run last succeeded (every task that ran finished; Unix seconds).", nil, unix(s.Finished))
	last := push.New(p.URL, job).Client(client).Grouping(GroupLabel, GroupLastSuccess).
		Format(expfmt.NewFormat(expfmt.TypeTextPlain)).Gatherer(reg)
	if err := last.PushContext(ctx); err != nil {
		return fmt.Errorf("push last success: %w", err)
	}
	return nil
}

// WriteTextfile writes g's metrics as OpenMetrics 1.0 to path, atomically
// (node-exporter must never read half a file).
func WriteTextfile(path string, g prometheus.Gatherer) error {
	mfs, err := g.Gather()
	if err != nil {
		return fmt.Errorf("gather metrics: %w", err)
	}
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, expfmt.NewFormat(expfmt.TypeOpenMetrics))
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			return fmt.Errorf("encode %s: %w", mf.GetName(), err)
		}
	}
	if c, ok := enc.(expfmt.Closer); ok {
		if err := c.Close(); err != nil { // writes # EOF
			return err
		}
	}
	if err := report.WriteFileAtomic(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// Parse reads an exposition (the textfile, or what a Pushgateway received)
// with prometheus/common's text parser, the one node-exporter's textfile
// collector and the Pushgateway use.
func Parse(b []byte) (map[string]*dtoFamily, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	return p.TextToMetricFamilies(bytes.NewReader(b))
}

// previousLastSuccess reads the last success time from an earlier textfile,
// or zero.
func previousLastSuccess(path string) time.Time {
	b, err := os.ReadFile(path)
	if err != nil {
		return time.Time{}
	}
	mfs, err := Parse(b)
	if err != nil {
		return time.Time{}
	}
	mf, ok := mfs[LastSuccess]
	if !ok || len(mf.GetMetric()) == 0 || mf.GetMetric()[0].GetGauge() == nil {
		return time.Time{}
	}
	v := mf.GetMetric()[0].GetGauge().GetValue()
	if v <= 0 {
		return time.Time{}
	}
	sec := int64(v)
	return time.Unix(sec, int64((v-float64(sec))*1e9)).UTC()
}
