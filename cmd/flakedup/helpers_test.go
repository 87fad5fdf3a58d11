package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// corpusDir is ../shared/corpus seen from this package: real flake.nix +
// flake.lock pairs, read in place.
const corpusDir = "../../../shared/corpus"

// corpusFiles lists corpusDir/*/name. It skips the test when the corpus is
// missing, unless FLAKEDUP_CORPUS is set (CI), where that is a failure.
func corpusFiles(t *testing.T, name string) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(corpusDir, "*", name))
	if len(files) == 0 {
		if os.Getenv("FLAKEDUP_CORPUS") != "" {
			t.Fatalf("FLAKEDUP_CORPUS is set but %s has no %s files", corpusDir, name)
		}
		t.Skipf("corpus %s not found: skipping", corpusDir)
	}
	return files
}

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
