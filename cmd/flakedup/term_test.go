package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestFileIsTerminal: /dev/null is a character device but no terminal, so
// `flakedup check > /dev/null` is not coloured; nor are files and pipes.
// (A real terminal is covered by the --interactive tests, run under
// script(1).)
func TestFileIsTerminal(t *testing.T) {
	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer devNull.Close()
	file, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	for name, f := range map[string]*os.File{"/dev/null": devNull, "a file": file, "a pipe": w} {
		if fileIsTerminal(f) {
			t.Errorf("%s: fileIsTerminal = true", name)
		}
	}
	if useColor(&env{stdout: devNull, getenv: func(string) string { return "" }}) {
		t.Error("useColor = true for output to /dev/null")
	}
}
