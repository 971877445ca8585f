package resources

import (
	"net/http"

	"github.com/trustjob/trustjob/internal/cloudsim/core"
)

// writeRCError writes Resource Controller's and Resource Manager's own flat
// error body, e.g. {"error_code":"RC-IamErrorResponse","message":"Token is
// expired","status_code":401,"transaction_id":"bss-…"} (fidelity audit F12),
// not the API Handbook's errors[]; go-sdk-core falls back to message.
func (s *api) writeRCError(w http.ResponseWriter, _ *http.Request, status int, code, message string) {
	core.WriteJSON(w, status, map[string]any{
		"error_code":     rcErrorCode(status, code),
		"message":        message,
		"status_code":    status,
		"transaction_id": "bss-" + s.TraceID(),
	})
}

// rcErrorCode is a Resource Controller style error_code ("RC-…") for a
// status, keeping the emulator's own code in it.
func rcErrorCode(status int, code string) string {
	switch status {
	case http.StatusUnauthorized:
		return "RC-IamErrorResponse"
	case http.StatusForbidden:
		return "RC-Forbidden"
	case http.StatusNotFound:
		return "RC-NotFound"
	case http.StatusTooManyRequests:
		return "RC-TooManyRequests"
	}
	return "RC-" + code
}
