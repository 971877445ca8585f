package core

import (
	"fmt"
	"net/http"
	"time"
)

// Error bodies differ per service family. Every shape always carries at least
// one entry in errors: go-sdk-core indexes errors[0] and panics on an empty list.

// ErrorWriter writes one service's error body; code is a short machine code
// ("forbidden", "injected_fault"), message the human text.
type ErrorWriter func(w http.ResponseWriter, r *http.Request, status int, code, message string)

// SetErrorWriter makes service answer errors (refusals, limits, injected
// faults) in its own shape, e.g. the XML of an S3-style API. Call it from the
// service's Mount, before serving.
func (s *Server) SetErrorWriter(service string, f ErrorWriter) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.errorWriters == nil {
		s.errorWriters = map[string]ErrorWriter{}
	}
	s.errorWriters[service] = f
}

// WriteError writes the documented error body of service's family: the one
// set with SetErrorWriter, else IAM's token or Identity shape, else the IBM API
// Handbook's.
func (s *Server) WriteError(w http.ResponseWriter, r *http.Request, service string, status int, code, message string) {
	s.mu.Lock()
	custom := s.errorWriters[service]
	s.mu.Unlock()
	if custom != nil {
		custom(w, r, status, code, message)
		return
	}
	trace := s.TraceID()
	switch service {
	case ServiceIAMToken:
		s.WriteTokenError(w, r, status, "BXNIM0000E", message, "")
	case ServiceIAMIdentity:
		// IAM Identity's ExceptionResponse: status_code is a string and each
		// error carries a BXNIM message code.
		WriteJSON(w, status, map[string]any{
			"context": map[string]any{
				"transaction_id": trace,
				"operation":      r.Method + " " + r.URL.Path,
				"user_agent":     r.UserAgent(),
				"url":            BaseURL(r),
				"instance_id":    "cloudsim",
				"start_time":     s.Now().UTC().Format(time.RFC3339),
				"end_time":       s.Now().UTC().Format(time.RFC3339),
				"elapsed_time":   "1",
			},
			"status_code": fmt.Sprint(status),
			"errors": []map[string]any{{
				"code": code, "message_code": identityMessageCode(status), "message": message,
			}},
			"trace": trace,
		})
	default:
		// The IBM API Handbook shape used by Resource Controller, Search,
		// Tagging, Access Groups, Policy Management, User Management, Usage.
		WriteJSON(w, status, map[string]any{
			"errors": []map[string]any{{
				"code":      code,
				"message":   message,
				"more_info": "https://cloud.ibm.com/apidocs",
			}},
			"trace":       trace,
			"status_code": status,
		})
	}
}

// WriteTokenError writes the IAM token endpoint's "OIDC exception" body.
func (s *Server) WriteTokenError(w http.ResponseWriter, r *http.Request, status int, code, message, details string) {
	now := s.Now().UTC().Format("02.01.2006 15:04:05.000 UTC")
	body := map[string]any{
		"errorCode":    code,
		"errorMessage": message,
		"context": map[string]any{
			"requestId":   s.TraceID(),
			"requestType": "incoming.Identity_Token",
			"userAgent":   r.UserAgent(),
			"url":         BaseURL(r),
			"instanceId":  "cloudsim-iam",
			"threadId":    "1",
			"host":        "cloudsim-iam",
			"startTime":   now,
			"endTime":     now,
			"elapsedTime": "1",
			"locale":      "en_US",
			"clusterName": "cloudsim",
		},
	}
	if details != "" {
		body["errorDetails"] = details
	}
	WriteJSON(w, status, body)
}

func identityMessageCode(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return "BXNIM0308E"
	case http.StatusForbidden:
		return "BXNIM0513E"
	case http.StatusNotFound:
		return "BXNIM0505E"
	case http.StatusTooManyRequests:
		return "BXNIM0429E"
	case http.StatusBadRequest:
		return "BXNIM0109E"
	default:
		return "BXNIM0500E"
	}
}

// TraceID is a fresh request id for error bodies and IAM Identity contexts.
func (s *Server) TraceID() string {
	return fmt.Sprintf("cloudsim-%08x-%06d", uint32(s.Now().Unix()), s.seq.Add(1))
}
