// Package testenv gives the tests of every package what they need from
// outside the repository, in one way:
//
//   - the shared corpus of real flakes: ../shared/corpus beside the
//     repository, one folder per flake holding its flake.nix and
//     flake.lock, read in place (never copied into the repository);
//   - external programs: nix, nix-instantiate, git, dot, ...;
//   - the Nix installations the real-Nix suites run against (Nixes): the
//     system's, and a newer one in the bin directory FLAKEDUP_NIX_NEW
//     names (.ci/run installs sid's with scripts/install-nix.sh), each
//     with its version, features and an offline environment of its own.
//
// When one is missing, a test that needs it is skipped, unless the
// environment variable that CI sets says it must be there (FLAKEDUP_CORPUS
// for the corpus, FLAKEDUP_NIX for the programs): then the test fails, so
// that CI never passes by skipping.
package testenv

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// EnvCorpus names the environment variable that turns a missing corpus
// from a skip into a failure.
const EnvCorpus = "FLAKEDUP_CORPUS"

// CorpusDir returns the corpus directory, skipping or failing tb when it is
// missing.
func CorpusDir(tb testing.TB) string {
	tb.Helper()
	dir, err := locate()
	if err == nil {
		_, err = os.Stat(dir)
	}
	if err != nil {
		corpusMissing(tb, err)
	}
	return dir
}

// CorpusFiles returns the corpus files called name ("flake.lock", "flake.nix"),
// one per flake that has one, in byte order. It skips or fails tb when there
// are none.
func CorpusFiles(tb testing.TB, name string) []string {
	tb.Helper()
	files, err := findCorpus(name)
	if err == nil && len(files) == 0 {
		err = errors.New("no */" + name + " in it")
	}
	if err != nil {
		corpusMissing(tb, err)
	}
	return files
}

// CorpusFile returns the path of one flake's file, skipping or failing tb when
// it is missing.
func CorpusFile(tb testing.TB, flake, name string) string {
	tb.Helper()
	path := filepath.Join(CorpusDir(tb), flake, name)
	if _, err := os.Stat(path); err != nil {
		corpusMissing(tb, err)
	}
	return path
}

// findCorpus lists the corpus files called name.
func findCorpus(name string) ([]string, error) {
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

// corpusMissing skips tb, or fails it when EnvCorpus is set.
func corpusMissing(tb testing.TB, err error) {
	tb.Helper()
	if os.Getenv(EnvCorpus) != "" {
		tb.Fatalf("corpus: %v (and %s is set)", err, EnvCorpus)
	}
	tb.Skipf("corpus: %v (set %s to make this a failure)", err, EnvCorpus)
}
