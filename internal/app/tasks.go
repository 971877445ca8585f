package app

import (
	"context"
	"fmt"
	"io"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/trustjob/trustjob/internal/exitcode"
	"github.com/trustjob/trustjob/tasks"
)

func (a *app) tasks(_ context.Context, args []string) int {
	f := a.flagSet("tasks")
	if code, done := f.parse(args); done {
		return code
	}
	names := f.Args()
	if len(names) == 0 {
		names = a.registry.Names()
	}
	if len(names) == 0 {
		fmt.Fprintln(a.stdout, "No task types are registered in this build.")
		return exitcode.OK
	}
	for i, n := range names {
		t, ok := a.registry.Lookup(n)
		if !ok {
			return f.fail("%s", a.registry.UnknownTypeMessage(n))
		}
		if i > 0 {
			fmt.Fprintln(a.stdout)
		}
		describeType(a.stdout, t)
	}
	if len(f.Args()) == 0 {
		fmt.Fprintln(a.stdout)
		describeDelivery(a.stdout)
		fmt.Fprintln(a.stdout)
		describeHosts(a.stdout)
	}
	return exitcode.OK
}

// describeDelivery lists the access output.cos and notify.eventNotifications
// need (docs/iam-setup.md explains the choice).
func describeDelivery(w io.Writer) {
	fmt.Fprintln(w, "Delivery (when configured) needs, besides the tasks' access:")
	fmt.Fprintln(w, "  output.cos:")
	fmt.Fprintln(w, "    - Writer on cloud-object-storage, scoped to the bucket: upload reports, copy them to latest.*, read the")
	fmt.Fprintln(w, "      change-report baseline, delete doctor's probe object")
	fmt.Fprintln(w, "    - or, with output.cos.latest: upload, Object Writer + Content Reader on the bucket (no copy, no delete)")
	fmt.Fprintln(w, "  notify.eventNotifications:")
	fmt.Fprintln(w, "    - Event Notifications Publisher on event-notifications, scoped to the instance: send the run's notification")
}

// describeType prints one task type for `trustjob tasks`.
func describeType(w io.Writer, t tasks.Type) {
	fmt.Fprintf(w, "%s\n  %s\n", t.Name, t.Description)
	fmt.Fprintln(w, "  options (defaults):")
	opts, err := yaml.Marshal(t.NewOptions())
	switch {
	case err != nil:
		fmt.Fprintf(w, "    (cannot be shown: %v)\n", err)
	case strings.TrimSpace(string(opts)) == "{}":
		fmt.Fprintln(w, "    (none)")
	default:
		for _, line := range strings.Split(strings.TrimRight(string(opts), "\n"), "\n") {
			fmt.Fprintf(w, "    %s\n", line)
		}
	}
	if len(t.Schema.Columns) > 0 {
		fmt.Fprintf(w, "  columns: %s\n", strings.Join(t.Schema.Columns, ", "))
	}
	fmt.Fprintln(w, "  IAM access needed:")
	if len(t.Permissions) == 0 {
		fmt.Fprintln(w, "    (none)")
	}
	for _, p := range t.Permissions {
		fmt.Fprintf(w, "    - %s on %s: %s\n", p.Role, p.Service, p.Why)
	}
}
