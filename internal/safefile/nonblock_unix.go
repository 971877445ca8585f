//go:build unix

package safefile

import "syscall"

// nonBlock keeps open(2) of a FIFO from waiting for a writer.
const nonBlock = syscall.O_NONBLOCK
