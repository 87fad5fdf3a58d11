package e2e

import (
	"os"
	"syscall"
)

// maxRSS returns the peak resident set size of a finished process in KiB
// (Linux reports ru_maxrss in KiB), or 0 when the platform does not say.
func maxRSS(ps *os.ProcessState) int64 {
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss
	}
	return 0
}
