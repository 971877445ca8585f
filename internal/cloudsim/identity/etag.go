package identity

import (
	"fmt"
	"net/http"
)

// setETag sends an entity's version as the ETag header, as IAM Identity does
// on every GET of an entity that updates need If-Match for (API keys, service
// IDs, trusted profiles, account settings): the SDK's callers read it from
// the header, not from the body's entity_tag.
func setETag(w http.ResponseWriter, tag any) {
	if s := fmt.Sprint(tag); tag != nil && s != "" {
		w.Header().Set("Etag", s)
	}
}
