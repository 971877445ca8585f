package runner

// Delivery is where a run's results went besides the output directory, as
// written in run-summary.json (docs/delivery.md).
type Delivery struct {
	COS          *COSDelivery          `json:"cos,omitempty"`
	Notification *NotificationDelivery `json:"notification,omitempty"`
}

// COSDelivery is the reports written to a Cloud Object Storage bucket.
type COSDelivery struct {
	Bucket   string `json:"bucket"`
	Endpoint string `json:"endpoint"`
	// Objects are the keys written, in order: each report's time-stamped
	// objects, then the latest.* it replaced; the run summary's last.
	Objects []string `json:"objects"`
	// Failed is true when any upload failed; the run then exits 1.
	Failed bool     `json:"failed"`
	Errors []string `json:"errors,omitempty"`
	// PermissionDenied is true when COS answered 403 (the error names the role).
	PermissionDenied bool `json:"permission_denied,omitempty"`
}

// NotificationDelivery is the run's Event Notifications notification. A
// failed notification is recorded here and logged; it never fails a run.
type NotificationDelivery struct {
	Service string `json:"service"`
	// Sent is true when Event Notifications accepted it (HTTP 202).
	Sent bool `json:"sent"`
	// Reason says why it was sent or not (the matching `on:` values).
	Reason         string `json:"reason"`
	ID             string `json:"id,omitempty"`
	NotificationID string `json:"notification_id,omitempty"`
	Error          string `json:"error,omitempty"`
}
