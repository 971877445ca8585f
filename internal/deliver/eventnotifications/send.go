// Package eventnotifications sends one notification per run to an IBM Cloud
// Event Notifications API source, with the run's own IAM access token, so no
// Slack, Teams, PagerDuty or webhook secret ever lives in the cluster: the
// destinations are configured in Event Notifications.
//
// The Event Notifications Go SDK is not available here, so the request is the
// one its SendNotificationsWithContext builds, made through go-sdk-core's
// BaseService (IBM/event-notifications-go-admin-sdk,
// eventnotificationsv1/event_notifications_v1.go):
//
//	POST https://{region}.event-notifications.cloud.ibm.com/event-notifications/v1/instances/{instance_id}/notifications
//	Content-Type: application/json, Accept: application/json, Authorization: Bearer <IAM token>
//	body: the CloudEvents attributes and IBM's extensions as one flat JSON object
//	answer: 202 {"notification_id": "..."}
//
// The attributes and which are mandatory are documented at
// https://cloud.ibm.com/docs/event-notifications?topic=event-notifications-en-spec-payload
// (specversion, id, source, type, ibmensourceid; the SDK also requires
// ibmendefaultshort and ibmendefaultlong, so both are always sent). Sending
// needs the action event-notifications.notifications.post, which the service
// role "Event Notifications Publisher" (ID Event-Notification-Publisher)
// carries (https://cloud.ibm.com/docs/account?topic=account-iam-service-roles-actions).
package eventnotifications

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/IBM/go-sdk-core/v5/core"

	"github.com/trustjob/trustjob/internal/deliver"
	"github.com/trustjob/trustjob/internal/ibmcloud"
)

// Service is Event Notifications' name in request counts and run-summary.json.
const Service = "event-notifications"

// Role is the least IAM service role that may send.
const Role = "Event Notifications Publisher"

// MaxPayload is the documented size limit of a send request (en-about.md: "The
// size limit for a send notification request is limited to 64 KB").
const MaxPayload = 64 << 10

// URL is the service URL of region, public or private (en-regions-endpoints.md).
func URL(region string, private bool) string {
	if private {
		return "https://private." + region + ".event-notifications.cloud.ibm.com/event-notifications"
	}
	return "https://" + region + ".event-notifications.cloud.ibm.com/event-notifications"
}

// Options configure New.
type Options struct {
	// Instance is the instance GUID.
	Instance string
	// URL is the service URL (URL(region, private), or an override such as
	// the emulator's), ending in /event-notifications.
	URL           string
	Authenticator core.Authenticator
	AllowedHosts  []string
	Requests      *ibmcloud.RequestCounter
	Transport     http.RoundTripper
	// Timeout bounds one attempt (default 30 s); MaxRetries of 429/5xx
	// (default 3, Retry-After honoured, the same notification id resent,
	// which Event Notifications allows after a failed send).
	Timeout    time.Duration
	MaxRetries int
}

// Sender sends notifications to one instance.
type Sender struct {
	svc      *core.BaseService
	instance string
}

// New builds a Sender over the shared authenticator.
func New(o Options) (*Sender, error) {
	if o.Authenticator == nil {
		return nil, errors.New("event notifications: no authenticator")
	}
	u, err := url.Parse(o.URL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("event notifications: %q is not a URL", o.URL)
	}
	policy := ibmcloud.NewHostPolicy(o.AllowedHosts)
	if err := policy.Check(o.URL); err != nil {
		return nil, fmt.Errorf("event notifications endpoint %s: %w", o.URL, err)
	}
	if u.Scheme != "https" && strings.HasSuffix(u.Hostname(), ".cloud.ibm.com") {
		return nil, fmt.Errorf("event notifications endpoint %s: https only", o.URL)
	}
	if o.Requests == nil {
		o.Requests = ibmcloud.NewRequestCounter()
	}
	if o.Timeout == 0 {
		o.Timeout = 30 * time.Second
	}
	if o.MaxRetries == 0 {
		o.MaxRetries = 3
	}
	base := o.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	svc, err := core.NewBaseService(&core.ServiceOptions{URL: o.URL, Authenticator: o.Authenticator})
	if err != nil {
		return nil, fmt.Errorf("event notifications: %w", err)
	}
	svc.Client = &http.Client{Timeout: o.Timeout,
		Transport:     &deliver.Pin{Base: base, Scheme: u.Scheme, Host: u.Host, Service: Service, Counter: o.Requests},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	svc.EnableRetries(o.MaxRetries, 10*time.Second)
	return &Sender{svc: svc, instance: o.Instance}, nil
}

// Send posts n and returns Event Notifications' notification_id.
func (s *Sender) Send(ctx context.Context, n *Notification) (string, error) {
	if err := n.Validate(); err != nil {
		return "", err
	}
	body, err := json.Marshal(n)
	if err != nil {
		return "", fmt.Errorf("encode notification: %w", err)
	}
	if len(body) > MaxPayload {
		return "", fmt.Errorf("notification is %d bytes, over Event Notifications' 64 KB limit", len(body))
	}
	b := core.NewRequestBuilder(core.POST).WithContext(ctx)
	if _, err := b.ResolveRequestURL(s.svc.Options.URL, "/v1/instances/{instance_id}/notifications",
		map[string]string{"instance_id": s.instance}); err != nil {
		return "", fmt.Errorf("build the notification request: %w", err)
	}
	b.AddHeader("Accept", "application/json")
	b.AddHeader("Content-Type", "application/json")
	b.AddHeader("User-Agent", "trustjob")
	if _, err := b.SetBodyContentJSON(json.RawMessage(body)); err != nil {
		return "", fmt.Errorf("build the notification request: %w", err)
	}
	req, err := b.Build()
	if err != nil {
		return "", fmt.Errorf("build the notification request: %w", err)
	}
	var out map[string]json.RawMessage
	resp, err := s.svc.Request(req, &out)
	if err != nil {
		return "", explain(resp, err)
	}
	var id string
	_ = json.Unmarshal(out["notification_id"], &id)
	return id, nil
}

// Error is a refused or failed send.
type Error struct {
	Status int
	Err    error
}

func (e *Error) Error() string {
	switch e.Status {
	case 0:
		return fmt.Sprintf("send notification: %v", e.Err)
	case http.StatusForbidden:
		return fmt.Sprintf("send notification: HTTP 403: the trusted profile needs the %q role on the Event Notifications instance (docs/iam-setup.md): %v", Role, e.Err)
	}
	return fmt.Sprintf("send notification: HTTP %d: %v", e.Status, e.Err)
}

// Unwrap gives the SDK error inside an *ibmcloud.CallError carrying the
// status (ibmcloud.HTTPStatus, IsPermission).
func (e *Error) Unwrap() error {
	return &ibmcloud.CallError{Service: Service, Op: "send notification", Status: e.Status, Need: Role, Err: e.Err}
}

// HTTPStatus is the status of the failed call.
func (e *Error) HTTPStatus() int { return e.Status }

func explain(resp *core.DetailedResponse, err error) error {
	return &Error{Status: ibmcloud.ResponseStatus(resp, err), Err: err}
}

// Source reads an API source (doctor). Reading sources needs
// event-notifications.sources.read (Reader and up), which the Publisher role
// does not carry: a 403 here says nothing about sending.
func (s *Sender) Source(ctx context.Context, sourceID string) (name string, err error) {
	b := core.NewRequestBuilder(core.GET).WithContext(ctx)
	if _, err := b.ResolveRequestURL(s.svc.Options.URL, "/v1/instances/{instance_id}/sources/{id}",
		map[string]string{"instance_id": s.instance, "id": sourceID}); err != nil {
		return "", err
	}
	b.AddHeader("Accept", "application/json")
	req, err := b.Build()
	if err != nil {
		return "", err
	}
	var out struct {
		Name string `json:"name"`
	}
	resp, err := s.svc.Request(req, &out)
	if err != nil {
		return "", &Error{Status: ibmcloud.ResponseStatus(resp, err), Err: err}
	}
	return out.Name, nil
}
