package eventnotifications

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/trustjob/trustjob/internal/runner"
)

// Notification is the send request body: CloudEvents 1.0 attributes and IBM's
// ibmen* extensions as one flat JSON object, as the Event Notifications Go SDK
// sends them (NotificationCreate). Field names and formats follow
// https://cloud.ibm.com/docs/event-notifications?topic=event-notifications-en-spec-payload.
type Notification struct {
	SpecVersion string `json:"specversion"` // must be "1.0"
	// ID with Source is unique per notification; a resend after a failed
	// attempt keeps it (Event Notifications allows that).
	ID     string `json:"id"`
	Source string `json:"source"`
	// Type is <reverse-dns-type>:<sub-type>, with '-' not '_' (en-payload.md).
	Type            string `json:"type"`
	Time            string `json:"time"` // RFC 3339, UTC, milliseconds (as the SDK's strfmt.DateTime)
	Subject         string `json:"subject,omitempty"`
	SourceID        string `json:"ibmensourceid"`
	Severity        string `json:"ibmenseverity"`
	DefaultShort    string `json:"ibmendefaultshort"`
	DefaultLong     string `json:"ibmendefaultlong"`
	DataContentType string `json:"datacontenttype"` // only application/json is supported
	Data            Data   `json:"data"`
}

// Data is what a person or a webhook acts on. No token or secret is ever in it.
type Data struct {
	RunID    string     `json:"run_id"`
	Status   string     `json:"status"`
	ExitCode int        `json:"exit_code"`
	Account  string     `json:"account,omitempty"`
	Profile  string     `json:"profile,omitempty"`
	DryRun   bool       `json:"dry_run"`
	Started  string     `json:"started"`
	Duration string     `json:"duration"`
	Reasons  []string   `json:"reasons"`
	Tasks    []TaskData `json:"tasks"`
	// Failures say what failed and why, one line each.
	Failures []string `json:"failures,omitempty"`
	Reports  *Reports `json:"reports,omitempty"`
}

// TaskData is one task's outcome.
type TaskData struct {
	Name     string           `json:"name"`
	Type     string           `json:"type"`
	Status   string           `json:"status"`
	Complete bool             `json:"complete"`
	Findings *int64           `json:"findings,omitempty"`
	Changes  map[string]int64 `json:"changes,omitempty"`
	Actions  map[string]int64 `json:"actions,omitempty"`
	Error    string           `json:"error,omitempty"`
}

// Reports says where the reports are.
type Reports struct {
	Bucket  string   `json:"bucket"`
	Objects []string `json:"objects"`
}

// Trigger values of notify.eventNotifications.on.
const (
	OnFailure  = "failure"
	OnFindings = "findings"
	OnChanges  = "changes"
	OnActions  = "actions"
	OnAlways   = "always"
)

// Reasons returns the `on:` values sum matches, in on's order; empty means no
// notification.
func Reasons(on []string, sum *runner.Summary) []string {
	var out []string
	for _, o := range on {
		if matches(o, sum) && !slices.Contains(out, o) {
			out = append(out, o)
		}
	}
	return out
}

func matches(on string, sum *runner.Summary) bool {
	switch on {
	case OnAlways:
		return true
	case OnFailure:
		return failed(sum)
	}
	for _, t := range sum.Tasks {
		switch on {
		case OnFindings:
			if t.Findings != nil && *t.Findings > 0 {
				return true
			}
		case OnChanges:
			if total(changes(t.Summary)) > 0 {
				return true
			}
		case OnActions:
			if actions(t.Summary)["taken"] > 0 {
				return true
			}
		}
	}
	return false
}

// failed: the run did not succeed for a reason other than findings, or its
// reports were not delivered.
func failed(sum *runner.Summary) bool {
	if sum.Status != "succeeded" && sum.Status != "findings" {
		return true
	}
	return sum.Delivery != nil && sum.Delivery.COS != nil && sum.Delivery.COS.Failed
}

// Limits that keep a notification well under 64 KB however many tasks and
// objects a run has.
const (
	maxText    = 400
	maxObjects = 40
	maxTasks   = 50
)

// Build makes the run's notification. now is the event time.
func Build(sum *runner.Summary, sourceID string, reasons []string, now time.Time) *Notification {
	d := Data{RunID: sum.RunID, Status: sum.Status, ExitCode: sum.ExitCode, Account: sum.Account,
		Profile: firstNonEmpty(sum.Profile.Name, sum.Profile.ID), DryRun: sum.DryRun,
		Started: sum.Started.UTC().Format(time.RFC3339), Duration: sum.Duration, Reasons: reasons}
	if d.Reasons == nil {
		d.Reasons = []string{}
	}
	var long strings.Builder
	fmt.Fprintf(&long, "trustjob run %s: %s (exit code %d)", sum.RunID, sum.Status, sum.ExitCode)
	if sum.Account != "" {
		fmt.Fprintf(&long, " in account %s", sum.Account)
	}
	if sum.DryRun {
		long.WriteString(", dry run")
	}
	long.WriteString(".\n")
	d.Tasks = []TaskData{}
	for i, t := range sum.Tasks {
		if t.Status == runner.Skipped && t.Error == "" {
			continue // not due: nothing to say
		}
		td := TaskData{Name: t.Name, Type: t.Type, Status: string(t.Status), Complete: t.Complete,
			Findings: t.Findings, Changes: changes(t.Summary), Actions: actions(t.Summary), Error: clip(t.Error)}
		if i < maxTasks {
			d.Tasks = append(d.Tasks, td)
		}
		fmt.Fprintf(&long, "- %s (%s): %s", t.Name, t.Type, t.Status)
		if t.Findings != nil {
			fmt.Fprintf(&long, ", %d findings", *t.Findings)
		}
		if c := td.Changes; len(c) > 0 {
			fmt.Fprintf(&long, ", changes %s", counts(c))
		}
		if a := td.Actions; len(a) > 0 {
			fmt.Fprintf(&long, ", actions %s", counts(a))
		}
		if t.FailOnExceeded {
			fmt.Fprintf(&long, ", failOn %d exceeded", *t.FailOn)
		}
		long.WriteString("\n")
		if t.Error != "" {
			d.Failures = append(d.Failures, clip(fmt.Sprintf("task %s: %s", t.Name, t.Error)))
		}
	}
	if del := sum.Delivery; del != nil && del.COS != nil {
		for _, e := range del.COS.Errors {
			d.Failures = append(d.Failures, clip("reports to COS: "+e))
		}
		d.Reports = &Reports{Bucket: del.COS.Bucket, Objects: pickObjects(del.COS.Objects)}
		if len(d.Reports.Objects) > 0 {
			fmt.Fprintf(&long, "Reports: cos://%s/ (%s)\n", del.COS.Bucket, strings.Join(d.Reports.Objects, ", "))
		}
	}
	if len(d.Failures) > 0 {
		fmt.Fprintf(&long, "Failed: %s\n", strings.Join(d.Failures, "; "))
	}
	severity := "LOW"
	switch {
	case failed(sum):
		severity = "HIGH"
	case slices.Contains(reasons, OnFindings) || slices.Contains(reasons, OnActions) || sum.Status == "findings":
		severity = "MEDIUM"
	}
	short := fmt.Sprintf("trustjob %s (exit %d)", sum.Status, sum.ExitCode)
	if len(reasons) > 0 {
		short += ": " + strings.Join(reasons, ", ")
	}
	return &Notification{
		SpecVersion: "1.0", ID: sum.RunID, Source: source(sum), Type: "io.github.trustjob.run:" + sum.Status,
		Time: now.UTC().Format("2006-01-02T15:04:05.000Z07:00"), Subject: "trustjob run " + sum.RunID,
		SourceID: sourceID, Severity: severity, DefaultShort: short, DefaultLong: strings.TrimSpace(long.String()),
		DataContentType: "application/json", Data: d,
	}
}

// source identifies the producer: trustjob, the account and the profile.
func source(sum *runner.Summary) string {
	s := "trustjob"
	if sum.Account != "" {
		s += "/" + sum.Account
	}
	if p := firstNonEmpty(sum.Profile.Name, sum.Profile.ID); p != "" {
		s += "/" + p
	}
	return s
}

// pickObjects keeps the latest.* keys and the run summary first, then the
// stamped ones, up to maxObjects.
func pickObjects(keys []string) []string {
	var first, rest []string
	for _, k := range keys {
		if strings.Contains(k, "/latest.") {
			first = append(first, k)
		} else {
			rest = append(rest, k)
		}
	}
	out := append(first, rest...)
	if len(out) > maxObjects {
		out = out[:maxObjects]
	}
	if out == nil {
		out = []string{}
	}
	return out
}

// Validate checks the attributes Event Notifications requires.
func (n *Notification) Validate() error {
	var missing []string
	for _, f := range []struct{ name, v string }{
		{"specversion", n.SpecVersion}, {"id", n.ID}, {"source", n.Source}, {"type", n.Type},
		{"ibmensourceid", n.SourceID}, {"ibmendefaultshort", n.DefaultShort}, {"ibmendefaultlong", n.DefaultLong},
	} {
		if f.v == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("notification lacks %s", strings.Join(missing, ", "))
	}
	if n.SpecVersion != "1.0" {
		return errors.New(`notification specversion must be "1.0"`)
	}
	if !strings.Contains(n.Type, ":") || strings.Contains(n.Type, "_") {
		return fmt.Errorf("notification type %q must be <reverse-dns>:<sub-type> without '_'", n.Type)
	}
	return nil
}

// changes reads a task's change counts (the inventory's "changes").
func changes(s map[string]any) map[string]int64 {
	m := numbers(s["changes"])
	if total(m) == 0 {
		return nil
	}
	return m
}

// actions reads a task's actions_* counts, without the prefix, non-zero only.
func actions(s map[string]any) map[string]int64 {
	var out map[string]int64
	for k, v := range s {
		name, ok := strings.CutPrefix(k, "actions_")
		if !ok {
			continue
		}
		if n, ok := number(v); ok && n != 0 {
			if out == nil {
				out = map[string]int64{}
			}
			out[name] = n
		}
	}
	return out
}

func numbers(v any) map[string]int64 {
	out := map[string]int64{}
	switch m := v.(type) {
	case map[string]int:
		for k, x := range m {
			out[k] = int64(x)
		}
	case map[string]int64:
		for k, x := range m {
			out[k] = x
		}
	case map[string]any:
		for k, x := range m {
			if n, ok := number(x); ok {
				out[k] = n
			}
		}
	}
	return out
}

func number(v any) (int64, bool) {
	switch x := v.(type) {
	case int:
		return int64(x), true
	case int64:
		return x, true
	case int32:
		return int64(x), true
	case float64:
		return int64(x), true
	}
	return 0, false
}

func total(m map[string]int64) int64 {
	var t int64
	for _, v := range m {
		t += v
	}
	return t
}

func counts(m map[string]int64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

func clip(s string) string {
	if len(s) <= maxText {
		return s
	}
	return s[:maxText] + "…"
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
