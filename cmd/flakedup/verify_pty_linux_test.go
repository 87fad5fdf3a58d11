package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"unsafe"
)

// openPTY opens a pseudo-terminal pair (Linux /dev/ptmx).
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals: %v", err)
	}
	t.Cleanup(func() { master.Close() })
	var unlock int32
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, master.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); errno != 0 {
		t.Skipf("unlockpt: %v", errno)
	}
	var n uint32
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, master.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); errno != 0 {
		t.Skipf("ptsname: %v", errno)
	}
	slave, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("opening the terminal: %v", err)
	}
	t.Cleanup(func() { slave.Close() })
	return master, slave
}

// TestVerifyProgress: on a terminal, --verify prints one progress line per
// evaluation on stderr (TestVerifyCommands shows nothing on a pipe).
func TestVerifyProgress(t *testing.T) {
	vw := newVerifyWorld(t)
	dir, _, _ := vw.root(t, vw.d.Main)
	master, slave := openPTY(t)
	lines := make(chan []string)
	go func() {
		var got []string
		sc := bufio.NewScanner(master)
		for sc.Scan() {
			got = append(got, strings.TrimRight(sc.Text(), "\r"))
			if strings.HasPrefix(got[len(got)-1], "END") {
				break
			}
		}
		lines <- got
	}()
	var stdout strings.Builder
	code := run(context.Background(), []string{"flakedup", "fix", "--verify", "--jobs", "1", "--dry-run", dir},
		strings.NewReader(""), &stdout, slave, os.Getenv, noNix)
	fmt.Fprintln(slave, "END")
	got := <-lines
	if code != exitOK {
		t.Fatalf("exit %d: %q", code, got)
	}
	want := []string{"baseline", "whole plan (2 follows)", "hyprland/nixpkgs -> nixpkgs", "waybar/nixpkgs -> nixpkgs",
		"nixpkgs at " + vw.d.Rev3[:7], "nixpkgs at " + vw.d.Rev2[:7], "END"}
	line := regexp.MustCompile(`^verify \[(\d+)/(\d+)\] \d+\.\ds (.*)$`)
	if len(got) != len(want) {
		t.Fatalf("stderr lines %q, want %d", got, len(want))
	}
	whats := make([]string, len(got)-1)
	for i, l := range got[:len(got)-1] {
		m := line.FindStringSubmatch(l)
		if m == nil || m[1] != fmt.Sprint(i+1) {
			t.Fatalf("line %d = %q, want `verify [%d/M] Ns WHAT`", i+1, l, i+1)
		}
		whats[i] = m[3]
	}
	// The two halves of the plan may start in either order.
	if whats[2] > whats[3] {
		whats[2], whats[3] = whats[3], whats[2]
	}
	if strings.Join(whats, "\n") != strings.Join(want[:len(want)-1], "\n") {
		t.Errorf("evaluated %q, want %q", whats, want[:len(want)-1])
	}
}
