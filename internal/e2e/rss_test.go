package e2e

import (
	"os"
	"os/exec"
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

// nobody is the user and group unprivileged runs use when the tests run
// as root.
const nobody = 65534

// asNobody makes cmd run as nobody when the tests run as root; otherwise
// the tests' own user is unprivileged already.
func asNobody(cmd *exec.Cmd) {
	if os.Geteuid() != 0 {
		return
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
}

// chownNobody gives path to nobody when the tests run as root, so that an
// unprivileged run owns its files.
func chownNobody(path string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	return os.Chown(path, nobody, nobody)
}
