// Package pushgateway emulates the parts of a Prometheus Pushgateway that
// trustjob uses: PUT (replace a group), POST (replace the pushed families in
// a group) and DELETE on /metrics/job/<job>{/<label>/<value>}, with the body
// parsed by prometheus/common's text parser as the real Pushgateway does. It
// records every push so tests can check what arrived, and can be told to
// fail.
package pushgateway

import (
	"encoding/base64"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// maxBody bounds a push (the real default is unbounded; trustjob's are a few KiB).
const maxBody = 4 << 20

// Push is one request the gateway received.
type Push struct {
	Method      string
	Grouping    map[string]string // job and the grouping labels
	ContentType string
	Body        []byte
	// Families is Body parsed; nil when it did not parse (then Status is 400).
	Families map[string]*dto.MetricFamily
	Status   int
}

// Gateway is an emulated Pushgateway; the zero value is ready.
type Gateway struct {
	mu     sync.Mutex
	pushes []Push
	groups map[string]map[string]*dto.MetricFamily // grouping key -> families
	// FailWith, when not zero, answers every push with that status.
	FailWith int
}

// Pushes returns the pushes received so far.
func (g *Gateway) Pushes() []Push {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]Push(nil), g.pushes...)
}

// Group returns the families stored for a grouping (job plus labels).
func (g *Gateway) Group(grouping map[string]string) map[string]*dto.MetricFamily {
	g.mu.Lock()
	defer g.mu.Unlock()
	return maps.Clone(g.groups[groupKey(grouping)])
}

// SetFail makes every later push answer status (0: succeed again).
func (g *Gateway) SetFail(status int) {
	g.mu.Lock()
	g.FailWith = status
	g.mu.Unlock()
}

func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	grouping, err := parsePath(r.URL.EscapedPath())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		http.Error(w, err.Error(), http.StatusRequestEntityTooLarge)
		return
	}
	p := Push{Method: r.Method, Grouping: grouping, ContentType: r.Header.Get("Content-Type"), Body: body}
	g.mu.Lock()
	defer g.mu.Unlock()
	defer func() { g.pushes = append(g.pushes, p) }()
	if g.FailWith != 0 {
		p.Status = g.FailWith
		http.Error(w, "emulated failure", g.FailWith)
		return
	}
	if g.groups == nil {
		g.groups = map[string]map[string]*dto.MetricFamily{}
	}
	key := groupKey(grouping)
	switch r.Method {
	case http.MethodDelete:
		delete(g.groups, key)
		p.Status = http.StatusAccepted
		w.WriteHeader(p.Status)
		return
	case http.MethodPut, http.MethodPost:
	default:
		p.Status = http.StatusMethodNotAllowed
		w.WriteHeader(p.Status)
		return
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		p.Status = http.StatusBadRequest
		http.Error(w, "parse: "+err.Error(), p.Status)
		return
	}
	for name, mf := range fams {
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if _, clash := grouping[l.GetName()]; clash {
					p.Status = http.StatusBadRequest
					http.Error(w, fmt.Sprintf("metric %s carries grouping label %s", name, l.GetName()), p.Status)
					return
				}
			}
		}
	}
	p.Families = fams
	if r.Method == http.MethodPut || g.groups[key] == nil {
		g.groups[key] = map[string]*dto.MetricFamily{}
	}
	maps.Copy(g.groups[key], fams)
	p.Status = http.StatusOK
	w.WriteHeader(p.Status)
}

// parsePath reads /metrics/job/<job>{/<label>/<value>}, with the "@base64"
// suffix the client uses for values holding a slash.
func parsePath(path string) (map[string]string, error) {
	rest, ok := strings.CutPrefix(path, "/metrics/")
	if !ok {
		return nil, fmt.Errorf("path %q is not under /metrics/", path)
	}
	parts := strings.Split(rest, "/")
	if len(parts)%2 != 0 || len(parts) < 2 || parts[0] != "job" {
		return nil, fmt.Errorf("path %q is not /metrics/job/<job>{/<label>/<value>}", path)
	}
	out := map[string]string{}
	for i := 0; i < len(parts); i += 2 {
		name, raw := parts[i], parts[i+1]
		var val string
		if n, ok := strings.CutSuffix(name, "@base64"); ok {
			b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(raw, "="))
			if err != nil {
				return nil, fmt.Errorf("label %s: %w", n, err)
			}
			name, val = n, string(b)
		} else {
			v, err := url.PathUnescape(raw)
			if err != nil {
				return nil, fmt.Errorf("label %s: %w", name, err)
			}
			val = v
		}
		out[name] = val
	}
	return out, nil
}

func groupKey(grouping map[string]string) string {
	keys := make([]string, 0, len(grouping))
	for k := range grouping {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%q,", k, grouping[k])
	}
	return b.String()
}
