package testenv

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// Golden compares got with the golden file at path, or, when update is
// set (each package's -update flag), rewrites the file with got instead. A
// missing file or a difference fails tb with the file's name, how to
// accept the change, and the first line that differs.
func Golden(tb testing.TB, path string, got []byte, update bool) {
	tb.Helper()
	if update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			tb.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("%v (run the test with -update to create it)", err)
	}
	if string(got) != string(want) {
		tb.Errorf("%s differs (run the test with -update to accept):\n%s", path, FirstDiff(string(want), string(got)))
	}
}

// FirstDiff describes the first line where want and got differ, quoted so
// that spaces and line ends show, or says that none does.
func FirstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl || i >= len(w) || i >= len(g) {
			return fmt.Sprintf("line %d:\n-want %q\n+got  %q", i+1, wl, gl)
		}
	}
	return "(no line differs)"
}
