package config

import (
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// Metrics defaults.
const (
	DefaultPushgatewayJob     = "trustjob"
	DefaultPushgatewayTimeout = 10 * time.Second
	DefaultTextfileName       = "trustjob.prom"
)

// Metrics says where a run's metrics go besides run-summary.json
// (internal/metrics). Both are optional and independent.
type Metrics struct {
	// Pushgateway receives the metrics at the end of every run: a CronJob's
	// pod is gone before Prometheus could scrape it.
	Pushgateway *Pushgateway `yaml:"pushgateway"`
	// Textfile writes the metrics as OpenMetrics into the report directory
	// for node-exporter's textfile collector.
	Textfile *Textfile `yaml:"textfile"`
}

// Pushgateway is a Prometheus Pushgateway.
type Pushgateway struct {
	// URL is the Pushgateway's base URL, e.g.
	// http://pushgateway.monitoring.svc:9091. No IBM Cloud token goes there.
	URL string `yaml:"url"`
	// Job is the job label and first grouping key (default trustjob).
	Job string `yaml:"job"`
	// Timeout bounds the push (default 10s); it does not count against the
	// run's deadline, which may have passed.
	Timeout Duration `yaml:"timeout"`
}

// Textfile is an OpenMetrics file for node-exporter's textfile collector.
type Textfile struct {
	// Path is the file written (atomically). A relative path is taken in
	// the report directory; default <report directory>/trustjob.prom.
	Path string `yaml:"path"`
}

// TextfilePath is where the textfile goes for a run writing reports to dir:
// "" when the path is relative and the run has no report directory.
func (t *Textfile) TextfilePath(dir string) string {
	if filepath.IsAbs(t.Path) {
		return t.Path
	}
	if dir == "" {
		return ""
	}
	return filepath.Join(dir, t.Path)
}

var promLabelValueRE = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,128}$`)

func (c *checker) metrics(cfg *Config) {
	m := &cfg.Metrics
	if p := m.Pushgateway; p != nil {
		u, err := url.Parse(p.URL)
		switch {
		case p.URL == "":
			c.add("metrics.pushgateway.url", "the Pushgateway URL is missing",
				"set url, e.g. http://pushgateway.monitoring.svc:9091, or remove metrics.pushgateway")
		case err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https"):
			c.add("metrics.pushgateway.url", fmt.Sprintf("%q is not an http(s) URL", p.URL),
				"write the Pushgateway's base URL, e.g. http://pushgateway.monitoring.svc:9091")
		case u.User != nil || u.RawQuery != "" || u.Fragment != "":
			c.add("metrics.pushgateway.url", fmt.Sprintf("%q must not carry credentials, a query or a fragment", p.URL),
				"write scheme, host, port and an optional path prefix only")
		}
		if p.Job == "" {
			p.Job = DefaultPushgatewayJob
		} else if !promLabelValueRE.MatchString(p.Job) {
			c.add("metrics.pushgateway.job", fmt.Sprintf("job %q is not a simple label value", p.Job),
				"use letters, digits, '_', '.', ':' and '-' (up to 128)")
		}
		switch {
		case !c.has("metrics.pushgateway.timeout"):
			p.Timeout = Duration(DefaultPushgatewayTimeout)
		case p.Timeout <= 0 || p.Timeout.D() > 5*time.Minute:
			c.add("metrics.pushgateway.timeout", "timeout must be between 0 and 5m", "e.g. 10s")
		}
	}
	if t := m.Textfile; t != nil {
		if t.Path == "" {
			t.Path = DefaultTextfileName
		}
		// A relative path is joined to the run's report directory when the
		// run starts (output.dir or --output-dir), see TextfilePath.
		if !strings.HasSuffix(t.Path, ".prom") {
			c.add("metrics.textfile.path", fmt.Sprintf("%q does not end in .prom", t.Path),
				"node-exporter's textfile collector reads *.prom files only, e.g. trustjob.prom")
		}
	}
}
