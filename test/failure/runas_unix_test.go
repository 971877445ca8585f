//go:build unix

package failure_test

import (
	"os/exec"
	"syscall"
)

// runAs makes cmd run as uid (and the group of the same number).
func runAs(cmd *exec.Cmd, uid int) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(uid)}}
}
