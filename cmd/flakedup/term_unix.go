//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package main

import (
	"os"
	"syscall"
	"unsafe"
)

// fileIsTerminal reports whether f is a terminal: whether the terminal
// settings can be read from it, as isatty(3) asks. A character device is
// not enough: /dev/null is one.
func fileIsTerminal(f *os.File) bool {
	var t syscall.Termios
	_, _, errno := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), uintptr(ioctlReadTermios), uintptr(unsafe.Pointer(&t)))
	return errno == 0
}
