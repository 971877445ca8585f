package core

import (
	"net/http"
	"strings"
	"sync"
)

// A request for a route the emulator does not serve gets an explicit answer:
// the token is checked like everywhere else (401 without a valid one), then
// 501 in the error shape of the service the path belongs to, and the request
// log marks it NotEmulated. Go's plain-text "404 page not found" or 405
// carried no IBM error body and no log entry, so a negative test ("expect a
// 404 for a bad id") could pass against a route that does not exist at all.

// notEmulatedCode is the error code of the 501 answer.
const notEmulatedCode = "not_emulated"

// routePrefixes maps the literal path segments of every mounted pattern to its
// service, so an unknown path finds the service of its nearest neighbour
// (POST /v1/apikeys/{id}/enable → iam-identity).
type routePrefixes struct {
	mu sync.RWMutex
	m  map[string]string // "/v1/apikeys" → service
}

func (p *routePrefixes) add(pattern, service string) {
	_, path, ok := strings.Cut(pattern, " ")
	if !ok {
		path = pattern
	}
	var lit []string
	for _, seg := range strings.Split(strings.Trim(path, "/"), "/") {
		if strings.HasPrefix(seg, "{") || seg == "" {
			break
		}
		lit = append(lit, seg)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = map[string]string{}
	}
	for i := 2; i <= len(lit); i++ { // "/v2" alone says nothing
		k := "/" + strings.Join(lit[:i], "/")
		if _, taken := p.m[k]; !taken {
			p.m[k] = service
		}
	}
}

// service is the service of the longest mounted prefix of path, else of the
// IBM API the path belongs to ("" if none).
func (p *routePrefixes) service(path string) string {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	p.mu.RLock()
	defer p.mu.RUnlock()
	for i := len(segs); i >= 2; i-- {
		k := "/" + strings.Join(segs[:i], "/")
		if s, ok := p.m[k]; ok {
			return s
		}
		if s, ok := ibmPaths[k]; ok {
			return s
		}
	}
	return ""
}

// ibmPaths are path prefixes of IBM APIs (from the platform-services-go-sdk
// clients) with no emulated route under them, so their 501 takes the right
// error shape and log name.
var ibmPaths = map[string]string{
	"/v2/resource_bindings":            ServiceResourceCtl,
	"/v2/resource_aliases":             ServiceResourceCtl,
	"/v2/quota_definitions":            ServiceResourceMgr,
	"/v1/serviceid_groups":             ServiceIAMIdentity,
	"/v1/profile_templates":            ServiceIAMIdentity,
	"/v1/account_settings_templates":   ServiceIAMIdentity,
	"/v1/profile_assignments":          ServiceIAMIdentity,
	"/v1/account_settings_assignments": ServiceIAMIdentity,
	"/v1/roles":                        ServicePolicyManagement,
	"/v2/roles":                        ServicePolicyManagement,
	"/v1/policy_templates":             ServicePolicyManagement,
	"/v1/policy_assignments":           ServicePolicyManagement,
	"/v1/group_templates":              ServiceAccessGroups,
	"/v1/group_assignments":            ServiceAccessGroups,
	"/v3/resources":                    ServiceGlobalSearch,
	"/v4/accounts":                     ServiceUsageReports,
}

// ServiceNotEmulated names, in the request log, a request no mounted
// service's paths resemble.
const ServiceNotEmulated = "not-emulated"

// notEmulated answers every request no route matched.
func (s *Server) notEmulated(w http.ResponseWriter, r *http.Request) {
	service := s.prefixes.service(r.URL.Path)
	if service == "" {
		service = ServiceNotEmulated
	}
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK, ctx: r.Context()}
	entry := s.log.begin(r, service, "", isWrite(r.Method))
	entry.NotEmulated = true
	defer func() { s.log.end(entry, rec.status) }()
	if service != ServiceIAMToken {
		if _, ok := s.authenticate(rec, r, service); !ok {
			return
		}
	}
	s.WriteError(rec, r, service, http.StatusNotImplemented, notEmulatedCode,
		"cloudsim does not emulate "+r.Method+" "+r.URL.Path+" (trustjob's emulator serves only the calls trustjob makes).")
}

// NotEmulated returns the kept entries of requests for routes the emulator
// does not serve.
func (l *RequestLog) NotEmulated() []Entry {
	var out []Entry
	for _, e := range l.Entries() {
		if e.NotEmulated {
			out = append(out, e)
		}
	}
	return out
}
