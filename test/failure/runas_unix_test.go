//go:build unix

package failure_test

import (
	"os"
	"os/exec"
	"syscall"
)

// runAs makes cmd run as uid (and the group of the same number).
func runAs(cmd *exec.Cmd, uid int) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(uid)}}
}

// maxRSS is the peak resident set of a finished process, in bytes (Linux
// reports KiB).
func maxRSS(ps *os.ProcessState) int64 {
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss << 10
	}
	return 0
}
