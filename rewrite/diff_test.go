package rewrite

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/flakedup/flakedup/internal/testenv"
)

// diffCases are old/new pairs covering the shapes a unified diff must get
// right: edges of the file, merged and split hunks, missing final newlines
// and CRLF.
var diffCases = []struct {
	name     string
	old, new string
}{
	{"equal", "a\nb\n", "a\nb\n"},
	{"insert-middle", "a\nb\nc\nd\ne\nf\ng\n", "a\nb\nc\nX\nd\ne\nf\ng\n"},
	{"insert-first", "a\nb\n", "X\na\nb\n"},
	{"insert-last", "a\nb\n", "a\nb\nX\n"},
	{"delete-line", "a\nb\nc\n", "a\nc\n"},
	{"replace-line", "a\nb\nc\n", "a\nB\nc\n"},
	{"from-empty", "", "a\nb\n"},
	{"to-empty", "a\nb\n", ""},
	{"two-hunks", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n", "1\nX\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\nY\n15\n"},
	{"hunks-merge-at-six", "1\n2\n3\n4\n5\n6\n7\n8\n9\n", "1\nX\n3\n4\n5\n6\n7\n8\nY\n"},
	{"hunks-split-at-seven", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n", "1\nX\n3\n4\n5\n6\n7\n8\n9\nY\n"},
	{"add-final-newline", "a\nb", "a\nb\n"},
	{"remove-final-newline", "a\nb\n", "a\nb"},
	{"no-final-newline-both", "a\nb\nc", "a\nB\nc"},
	{"change-last-line-no-newline", "a\nb", "a\nc"},
	{"crlf", "a\r\nb\r\nc\r\n", "a\r\nb\r\n  X\r\nc\r\n"},
	{"crlf-no-final-newline", "a\r\nb", "a\r\nX\r\nb"},
	{"tabs-and-blank-lines", "{\n\tx = 1;\n\n}\n", "{\n\tx = 1;\n\ty = 2;\n\n}\n"},
	{"repeated-lines", "x\nx\nx\nx\n", "x\nx\ny\nx\nx\n"},
}

// TestDiffExact pins the exact text of a few diffs.
func TestDiffExact(t *testing.T) {
	tests := []struct {
		name, old, new, want string
	}{
		{"equal", "a\n", "a\n", ""},
		{"insert", "a\nb\nc\nd\ne\n", "a\nb\nX\nc\nd\ne\n",
			"--- a/flake.nix\n+++ b/flake.nix\n@@ -1,5 +1,6 @@\n a\n b\n+X\n c\n d\n e\n"},
		{"context-trimmed", "1\n2\n3\n4\n5\n6\n7\n8\n9\n", "1\n2\n3\n4\nX\n6\n7\n8\n9\n",
			"--- a/flake.nix\n+++ b/flake.nix\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+X\n 6\n 7\n 8\n"},
		{"from-empty", "", "a\n", "--- a/flake.nix\n+++ b/flake.nix\n@@ -0,0 +1 @@\n+a\n"},
		{"to-empty", "a\n", "", "--- a/flake.nix\n+++ b/flake.nix\n@@ -1 +0,0 @@\n-a\n"},
		{"add-final-newline", "a", "a\n",
			"--- a/flake.nix\n+++ b/flake.nix\n@@ -1 +1 @@\n-a\n\\ No newline at end of file\n+a\n"},
		{"crlf", "a\r\nb\r\n", "a\r\nX\r\nb\r\n",
			"--- a/flake.nix\n+++ b/flake.nix\n@@ -1,2 +1,3 @@\n a\r\n+X\r\n b\r\n"},
		{"two-hunks", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n", "X\n2\n3\n4\n5\n6\n7\n8\n9\nY\n",
			"--- a/flake.nix\n+++ b/flake.nix\n@@ -1,4 +1,4 @@\n-1\n+X\n 2\n 3\n 4\n@@ -7,4 +7,4 @@\n 7\n 8\n 9\n-10\n+Y\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Diff("flake.nix", []byte(tt.old), []byte(tt.new)); got != tt.want {
				t.Errorf("Diff:\ngot:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

// TestDiffGitApply checks that real `git apply` accepts every diff and
// reproduces new byte for byte.
func TestDiffGitApply(t *testing.T) {
	testenv.RequireTools(t, "git")
	for _, tt := range diffCases {
		t.Run(tt.name, func(t *testing.T) {
			patch := Diff("flake.nix", []byte(tt.old), []byte(tt.new))
			if tt.old == tt.new {
				if patch != "" {
					t.Fatalf("Diff of equal inputs = %q, want empty", patch)
				}
				return
			}
			dir := t.TempDir()
			file := filepath.Join(dir, "flake.nix")
			if err := os.WriteFile(file, []byte(tt.old), 0o644); err != nil {
				t.Fatal(err)
			}
			patchFile := filepath.Join(dir, "change.patch")
			if err := os.WriteFile(patchFile, []byte(patch), 0o644); err != nil {
				t.Fatal(err)
			}
			for _, args := range [][]string{{"apply", "--check", "change.patch"}, {"apply", "change.patch"}} {
				cmd := exec.Command("git", args...)
				cmd.Dir = dir
				// Outside a repository git apply works like patch -p1.
				cmd.Env = append(os.Environ(), "GIT_CEILING_DIRECTORIES="+filepath.Dir(dir))
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("git %s: %v\n%s\npatch:\n%s", strings.Join(args, " "), err, out, patch)
				}
			}
			got, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.new {
				t.Errorf("after git apply:\ngot  %q\nwant %q\npatch:\n%s", got, tt.new, patch)
			}
		})
	}
}

// TestDiffHunkCount checks where hunks merge and split: changes separated
// by up to 6 unchanged lines share a hunk, 7 split it.
func TestDiffHunkCount(t *testing.T) {
	tests := []struct {
		name string
		want int
	}{
		{"two-hunks", 2},
		{"hunks-merge-at-six", 1},
		{"hunks-split-at-seven", 2},
		{"insert-middle", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, c := range diffCases {
				if c.name != tt.name {
					continue
				}
				got := strings.Count(Diff("f", []byte(c.old), []byte(c.new)), "\n@@ ")
				if got != tt.want {
					t.Errorf("hunks = %d, want %d", got, tt.want)
				}
				return
			}
			t.Fatalf("no diff case %q", tt.name)
		})
	}
}

// hunkHeader matches "@@ -a[,b] +c[,d] @@".
var hunkHeader = regexp.MustCompile(`^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@\n$`)

// applyUnified applies a diff made by Diff to old, checking every context
// and removed line; it is the reference the fuzz target compares with.
func applyUnified(old, patch string) (string, error) {
	oldLines := splitLines(old)
	lines := splitLines(patch)
	if len(lines) < 2 {
		return "", fmt.Errorf("no headers")
	}
	var out strings.Builder
	pos := 0
	count := func(s string) int {
		if s == "" {
			return 1
		}
		n, _ := strconv.Atoi(s)
		return n
	}
	for i := 2; i < len(lines); {
		m := hunkHeader.FindStringSubmatch(lines[i])
		if m == nil {
			return "", fmt.Errorf("line %d: bad hunk header %q", i+1, lines[i])
		}
		i++
		a, b, d := count(m[1]), count(m[2]), count(m[4])
		start := a - 1
		if b == 0 {
			start = a
		}
		if start < pos || start > len(oldLines) {
			return "", fmt.Errorf("hunk at %d out of order", a)
		}
		for _, l := range oldLines[pos:start] {
			out.WriteString(l)
		}
		pos = start
		seenOld, seenNew := 0, 0
		for seenOld < b || seenNew < d {
			if i >= len(lines) {
				return "", fmt.Errorf("hunk at %d is short", a)
			}
			op, text := lines[i][0], lines[i][1:]
			i++
			if i < len(lines) && lines[i] == "\\ No newline at end of file\n" {
				text = strings.TrimSuffix(text, "\n")
				i++
			}
			if op != '+' {
				if pos >= len(oldLines) || oldLines[pos] != text {
					return "", fmt.Errorf("hunk at %d: old line %d does not match", a, pos+1)
				}
				pos++
				seenOld++
			}
			if op != '-' {
				out.WriteString(text)
				seenNew++
			}
		}
	}
	for _, l := range oldLines[pos:] {
		out.WriteString(l)
	}
	return out.String(), nil
}

// FuzzDiff checks that every diff, applied to old, gives new.
func FuzzDiff(f *testing.F) {
	for _, c := range diffCases {
		f.Add(c.old, c.new)
	}
	f.Fuzz(func(t *testing.T, old, new string) {
		patch := Diff("f", []byte(old), []byte(new))
		if old == new {
			if patch != "" {
				t.Fatalf("diff of equal inputs: %q", patch)
			}
			return
		}
		got, err := applyUnified(old, patch)
		if err != nil {
			t.Fatalf("%v\npatch:\n%s", err, patch)
		}
		if got != new {
			t.Fatalf("applied diff gives %q, want %q\npatch:\n%s", got, new, patch)
		}
	})
}
