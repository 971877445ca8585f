// Command trustjob runs IBM Cloud administration tasks from a YAML file,
// signed in as an IAM trusted profile. See internal/app.
package main

import (
	"os"

	"github.com/trustjob/trustjob/internal/app"
)

func main() {
	os.Exit(app.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
