//go:build !unix

package failure_test

import (
	"os"
	"os/exec"
)

// runAs is a no-op where processes have no numeric users.
func runAs(*exec.Cmd, int) {}

// maxRSS is unknown here.
func maxRSS(*os.ProcessState) int64 { return 0 }
