package main

import (
	"os"
	"os/exec"
	"testing"
)

// lookTool returns the path of an external program (nix-instantiate, dot,
// ...) and whether it is there. When it is missing and FLAKEDUP_NIX is set
// (CI installs nix, graphviz and friends) the test fails instead.
func lookTool(t *testing.T, name string) (string, bool) {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("FLAKEDUP_NIX") != "" {
			t.Fatalf("%s is not on PATH but FLAKEDUP_NIX is set", name)
		}
		return "", false
	}
	return p, true
}

// requireTool is lookTool for tests that cannot run without the program:
// they skip when it is missing (and fail under FLAKEDUP_NIX).
func requireTool(t *testing.T, name string) string {
	t.Helper()
	p, ok := lookTool(t, name)
	if !ok {
		t.Skipf("%s is not on PATH", name)
	}
	return p
}
