//go:build !release

package app

import (
	"context"
	"fmt"
	"sort"

	"github.com/trustjob/trustjob/internal/cloudsim"
	"github.com/trustjob/trustjob/internal/exitcode"
)

// simEnterprise serves an emulated enterprise (docs/enterprise.md): the
// enterprise account with the cluster, account groups, n child accounts
// (the last one suspended), each with a trusted profile linked to the
// cluster across accounts. It prints the environment and the targets: to
// paste into a configuration.
func (a *app) simEnterprise(ctx context.Context, n int, listen string, opts cloudsim.Options, dir string) int {
	spec := cloudsim.DefaultEnterpriseSpec()
	spec.Accounts, spec.Suspended = n, min(1, n-1)
	l, err := cloudsim.StartEnterpriseLocalAt(spec, opts, dir, listen)
	if err != nil {
		fmt.Fprintf(a.stderr, "sim: %v\n", err)
		return exitcode.TaskFailed
	}
	defer l.Close()
	fmt.Fprintf(a.stdout, "# IBM Cloud emulator: an enterprise on %s (enterprise account %s, its profile %s).\n",
		l.URL(), l.Hub.AccountID, l.ProfileID)
	fmt.Fprintln(a.stdout, "# Point trustjob at it from another shell (paste these lines):")
	keys := make([]string, 0, len(l.Env))
	for k := range l.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(a.stdout, "export %s=%s\n", k, l.Env[k])
	}
	fmt.Fprintln(a.stdout, "# targets: for the configuration (or enterprise: {discover: true} with auth.profileID above):")
	fmt.Fprintln(a.stdout, "# targets:")
	for _, c := range l.Children {
		fmt.Fprintf(a.stdout, "#   - {account: %s, name: %s, profileID: %s}  # %s\n", c.ID, c.Name, c.ProfileID, c.State)
	}
	fmt.Fprintln(a.stdout, "# Stop with Ctrl-C.")
	if err := l.RunKubelet(ctx); err != nil && ctx.Err() == nil {
		fmt.Fprintf(a.stderr, "sim: token refresh: %v\n", err)
		return exitcode.TaskFailed
	}
	return exitcode.OK
}
