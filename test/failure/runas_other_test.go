//go:build !unix

package failure_test

import "os/exec"

// runAs is a no-op where processes have no numeric users.
func runAs(*exec.Cmd, int) {}
