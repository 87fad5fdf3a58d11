package rewrite

import (
	"os"
	"path/filepath"
	"testing"
)

func TestQuickCorpus(t *testing.T) {
	files, _ := filepath.Glob("../../shared/corpus/*/flake.nix")
	for _, f := range files {
		src, _ := os.ReadFile(f)
		file, err := Parse("flake.nix", src)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if string(file.Bytes()) != string(src) {
			t.Errorf("%s: round trip", f)
		}
	}
	t.Logf("%d files", len(files))
}
