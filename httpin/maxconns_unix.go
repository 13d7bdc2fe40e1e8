//go:build unix

package httpin

import "syscall"

// openFileLimit is the process's limit on open files (RLIMIT_NOFILE, which
// the Go runtime raises to its hard limit at start), or 0 when unknown.
func openFileLimit() uint64 {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0
	}
	return lim.Cur
}
