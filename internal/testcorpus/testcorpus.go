// Package testcorpus gives the tests of every package the shared corpus of
// real flakes: ../shared/corpus beside the repository, one folder per
// flake holding its flake.nix and flake.lock, read in place (never copied
// into the repository).
//
// When the corpus is missing, a test that needs it is skipped, unless the
// environment variable FLAKEDUP_CORPUS is set (as CI sets it): then it
// fails, so that CI never passes by skipping.
package testcorpus

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// EnvRequire names the environment variable that turns a missing corpus
// from a skip into a failure.
const EnvRequire = "FLAKEDUP_CORPUS"

// Dir returns the corpus directory, skipping or failing tb when it is
// missing.
func Dir(tb testing.TB) string {
	tb.Helper()
	dir, err := locate()
	if err == nil {
		_, err = os.Stat(dir)
	}
	if err != nil {
		missing(tb, err)
	}
	return dir
}

// Files returns the corpus files called name ("flake.lock", "flake.nix"),
// one per flake that has one, in byte order. It skips or fails tb when there
// are none.
func Files(tb testing.TB, name string) []string {
	tb.Helper()
	files, err := find(name)
	if err == nil && len(files) == 0 {
		err = errors.New("no */" + name + " in it")
	}
	if err != nil {
		missing(tb, err)
	}
	return files
}

// File returns the path of one flake's file, skipping or failing tb when
// it is missing.
func File(tb testing.TB, flake, name string) string {
	tb.Helper()
	path := filepath.Join(Dir(tb), flake, name)
	if _, err := os.Stat(path); err != nil {
		missing(tb, err)
	}
	return path
}

// find lists the corpus files called name.
func find(name string) ([]string, error) {
	dir, err := locate()
	if err != nil {
		return nil, err
	}
	files, err := filepath.Glob(filepath.Join(dir, "*", name))
	sort.Strings(files)
	return files, err
}

// locate finds the corpus from the test's working directory (its package
// directory): beside the module root, the nearest directory up with a
// go.mod.
func locate() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "..", "shared", "corpus"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// missing skips tb, or fails it when EnvRequire is set.
func missing(tb testing.TB, err error) {
	tb.Helper()
	if os.Getenv(EnvRequire) != "" {
		tb.Fatalf("corpus: %v (and %s is set)", err, EnvRequire)
	}
	tb.Skipf("corpus: %v (set %s to make this a failure)", err, EnvRequire)
}
