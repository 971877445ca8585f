// Package deliver holds what the delivery clients (internal/deliver/cos,
// internal/deliver/eventnotifications) share.
package deliver

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/trustjob/trustjob/internal/ibmcloud"
)

// Pin is a delivery client's transport: requests go to one scheme and host
// only (the IAM token in their Authorization header must not reach any other),
// and each is counted under Service.
type Pin struct {
	Base         http.RoundTripper
	Scheme, Host string
	Service      string
	Counter      *ibmcloud.RequestCounter
}

// RoundTrip refuses any other scheme or host, then counts and sends.
func (p *Pin) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme != p.Scheme || !strings.EqualFold(req.URL.Host, p.Host) {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, fmt.Errorf("%s request to %s://%s refused: %w (the configured endpoint is %s://%s)",
			p.Service, req.URL.Scheme, req.URL.Host, ibmcloud.ErrHostNotAllowed, p.Scheme, p.Host)
	}
	p.Counter.Add(p.Service)
	return p.Base.RoundTrip(req)
}
