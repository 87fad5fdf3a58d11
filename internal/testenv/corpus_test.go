package testenv

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestLocate checks that the corpus is looked for beside the module root,
// whichever package directory the test runs in.
func TestLocate(t *testing.T) {
	dir, err := locate()
	if err != nil {
		t.Fatal(err)
	}
	root, _ := filepath.Abs("../..") // this package is internal/testenv
	if want := filepath.Join(root, "..", "shared", "corpus"); dir != want {
		t.Errorf("locate = %s, want %s", dir, want)
	}
}

// TestCorpusFiles checks the listing of the corpus, when it is there.
func TestCorpusFiles(t *testing.T) {
	locks := CorpusFiles(t, "flake.lock")
	for i, f := range locks {
		if filepath.Base(f) != "flake.lock" || (i > 0 && !(locks[i-1] < f)) {
			t.Errorf("CorpusFiles: %q out of order or not a flake.lock", f)
		}
	}
	if files, err := findCorpus("no-such-file"); err != nil || len(files) != 0 {
		t.Errorf("find(no-such-file) = %v, %v; want none", files, err)
	}
	if got := CorpusFile(t, filepath.Base(filepath.Dir(locks[0])), "flake.lock"); got != locks[0] {
		t.Errorf("CorpusFile = %s, want %s", got, locks[0])
	}
	if !strings.HasSuffix(CorpusDir(t), filepath.Join("shared", "corpus")) {
		t.Errorf("CorpusDir = %s", CorpusDir(t))
	}
}
