// Package events emulates the IBM Cloud Event Notifications endpoints
// trustjob calls: send a notification
// (POST /event-notifications/v1/instances/{id}/notifications, answered 202
// {"notification_id"}) and read an API source
// (GET /event-notifications/v1/instances/{id}/sources/{source_id}). It records
// what was sent. Authorisation follows IBM's role table
// (iam-service-roles.md, "Event Notifications"): sending needs
// event-notifications.notifications.post (Event Notifications Publisher,
// Writer, Manager), reading a source event-notifications.sources.read (Reader
// and up; not Publisher). Error bodies are the documented shape
// {"status_code", "trace", "errors": [{"code", "message", "more_info"}]}.
package events

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Roles.
const (
	Publisher = "Event Notifications Publisher"
	Reader    = "Reader"
	Writer    = "Writer"
	Manager   = "Manager"
)

// Caller is who a token says is calling.
type Caller struct{ IAMID, AccountID string }

// Verifier checks a bearer token (cloudsim.Sim.VerifyToken).
type Verifier func(token string) (Caller, error)

// Sent is one accepted notification.
type Sent struct {
	Instance       string
	NotificationID string
	// Body is the request body as received.
	Body json.RawMessage
	// Header holds the request headers (Authorization removed).
	Header http.Header
}

// Server is the emulated Event Notifications service.
type Server struct {
	verify Verifier
	seq    atomic.Int64

	mu        sync.Mutex
	instances map[string]*instance
	sent      []Sent
	// Fail, when set, answers sends with this status (0 proceeds).
	Fail func(r *http.Request) int
}

type instance struct {
	sources map[string]string          // id -> name
	grants  map[string]map[string]bool // iam_id -> roles
}

// New returns an emulator with no instances.
func New(verify Verifier) *Server {
	return &Server{verify: verify, instances: map[string]*instance{}}
}

// AddSource creates the instance if needed and an API source in it.
func (s *Server) AddSource(instanceID, sourceID, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in := s.instances[instanceID]
	if in == nil {
		in = &instance{sources: map[string]string{}, grants: map[string]map[string]bool{}}
		s.instances[instanceID] = in
	}
	in.sources[sourceID] = name
}

// Grant gives iamID a role on the instance.
func (s *Server) Grant(instanceID, iamID, role string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if in := s.instances[instanceID]; in != nil {
		if in.grants[iamID] == nil {
			in.grants[iamID] = map[string]bool{}
		}
		in.grants[iamID][role] = true
	}
}

// Revoke removes iamID's roles on the instance.
func (s *Server) Revoke(instanceID, iamID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if in := s.instances[instanceID]; in != nil {
		delete(in.grants, iamID)
	}
}

// Sent returns the accepted notifications, oldest first.
func (s *Server) Sent() []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Sent(nil), s.sent...)
}

const base = "/event-notifications/v1/instances/"

// ServeHTTP serves the two endpoints.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, base)
	parts := strings.Split(rest, "/")
	switch {
	case ok && len(parts) == 2 && parts[1] == "notifications" && r.Method == http.MethodPost:
		s.send(w, r, parts[0])
	case ok && len(parts) == 3 && parts[1] == "sources" && r.Method == http.MethodGet:
		s.source(w, r, parts[0], parts[2])
	default:
		s.fail(w, http.StatusNotFound, "not_found", "The requested resource was not found.")
	}
}

var (
	sendRoles   = []string{Publisher, Writer, Manager}
	sourceRoles = []string{Reader, Writer, Manager}
)

func (s *Server) authorize(w http.ResponseWriter, r *http.Request, instanceID string, roles []string) (*instance, bool) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" {
		s.fail(w, http.StatusUnauthorized, "authentication_error", "The request is not authenticated: no bearer token.")
		return nil, false
	}
	c, err := s.verify(tok)
	if err != nil {
		s.fail(w, http.StatusUnauthorized, "authentication_error", "The access token is invalid: "+err.Error())
		return nil, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	in := s.instances[instanceID]
	if in != nil {
		for _, role := range roles {
			if in.grants[c.IAMID][role] {
				return in, true
			}
		}
	}
	// IBM answers a missing policy, and an instance the caller cannot see,
	// with 403 (en-iam-assign-topic-subscription.md).
	s.fail(w, http.StatusForbidden, "authorization_error", "Unfortunately you don't have a permission to access requested resource")
	return nil, false
}

// required attributes: CloudEvents (specversion, id, source, type), IBM's
// ibmensourceid, and the two the Go SDK requires.
var required = []string{"specversion", "id", "source", "type", "ibmensourceid", "ibmendefaultshort", "ibmendefaultlong"}

func (s *Server) send(w http.ResponseWriter, r *http.Request, instanceID string) {
	if s.Fail != nil {
		if st := s.Fail(r); st != 0 {
			s.fail(w, st, "service_error", http.StatusText(st))
			return
		}
	}
	in, ok := s.authorize(w, r, instanceID, sendRoles)
	if !ok {
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") && !strings.HasPrefix(ct, "application/cloudevents+json") {
		s.fail(w, http.StatusUnsupportedMediaType, "unsupported_media_type", "Content-Type must be application/json.")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10+1))
	if err != nil || len(body) > 64<<10 {
		s.fail(w, http.StatusRequestEntityTooLarge, "payload_too_large", "The size limit for a send notification request is 64 KB.")
		return
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		s.fail(w, http.StatusBadRequest, "invalid_json", "The request body is not a JSON object.")
		return
	}
	for _, k := range required {
		if v, _ := m[k].(string); v == "" {
			s.fail(w, http.StatusBadRequest, "missing_field", "Missing required attribute: "+k+".")
			return
		}
	}
	if m["specversion"] != "1.0" {
		s.fail(w, http.StatusBadRequest, "invalid_value", "specversion must be 1.0.")
		return
	}
	if ct, ok := m["datacontenttype"]; ok && ct != "application/json" {
		s.fail(w, http.StatusBadRequest, "invalid_value", "datacontenttype must be application/json.")
		return
	}
	s.mu.Lock()
	_, known := in.sources[m["ibmensourceid"].(string)]
	s.mu.Unlock()
	if !known {
		s.fail(w, http.StatusBadRequest, "invalid_source", "The source "+m["ibmensourceid"].(string)+" does not exist in this instance.")
		return
	}
	id := fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", time.Now().Unix(), s.seq.Add(1), 0, 0, s.seq.Load())
	h := r.Header.Clone()
	h.Del("Authorization")
	s.mu.Lock()
	s.sent = append(s.sent, Sent{Instance: instanceID, NotificationID: id, Body: body, Header: h})
	s.mu.Unlock()
	writeJSON(w, http.StatusAccepted, map[string]string{"notification_id": id})
}

func (s *Server) source(w http.ResponseWriter, r *http.Request, instanceID, sourceID string) {
	in, ok := s.authorize(w, r, instanceID, sourceRoles)
	if !ok {
		return
	}
	s.mu.Lock()
	name, known := in.sources[sourceID]
	s.mu.Unlock()
	if !known {
		s.fail(w, http.StatusNotFound, "not_found", "Source not found.")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": sourceID, "name": name, "type": "api", "enabled": true,
		"description": "emulated API source", "updated_at": time.Now().UTC().Format(time.RFC3339)})
}

func (s *Server) fail(w http.ResponseWriter, status int, code, msg string) {
	trace := fmt.Sprintf("cloudsim-en-%08d", s.seq.Add(1))
	writeJSON(w, status, map[string]any{
		"status_code": status, "trace": trace,
		"errors": []map[string]string{{"code": code, "message": msg,
			"more_info": "https://cloud.ibm.com/apidocs/event-notifications#event-notifications-api-authentication"}},
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
