// Command trustjob runs IBM Cloud administration tasks from a YAML file,
// signed in as an IAM trusted profile. See internal/app.
package main

import (
	"os"

	"github.com/trustjob/trustjob/internal/app"
	"github.com/trustjob/trustjob/internal/memlimit"
)

func main() {
	memlimit.Apply() // a soft memory limit from the container's cgroup, when GOMEMLIMIT is unset
	os.Exit(app.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
