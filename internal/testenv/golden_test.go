package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

func TestFirstDiff(t *testing.T) {
	tests := []struct{ want, got, diff string }{
		{"a\nb\n", "a\nb\n", "(no line differs)"},
		{"a\nb\n", "a\nc\n", "line 2:\n-want \"b\"\n+got  \"c\""},
		{"a\n", "a\nb\n", "line 2:\n-want \"\"\n+got  \"b\""},
		{"a\nb", "a", "line 2:\n-want \"b\"\n+got  \"\""},
		{"a \n", "a\n", "line 1:\n-want \"a \"\n+got  \"a\""},
	}
	for _, tt := range tests {
		if got := FirstDiff(tt.want, tt.got); got != tt.diff {
			t.Errorf("FirstDiff(%q, %q) = %q, want %q", tt.want, tt.got, got, tt.diff)
		}
	}
}

// recorder is a testing.TB that records failures instead of failing.
type recorder struct {
	testing.TB
	failed bool
	msg    string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.failed = true
	r.msg = format
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = true
	r.msg = format
}

func TestGolden(t *testing.T) {
	path := filepath.Join(t.TempDir(), "expected.txt")
	rec := &recorder{TB: t}
	Golden(rec, path, []byte("x\n"), false)
	if !rec.failed {
		t.Fatal("Golden passed with no golden file")
	}
	rec = &recorder{TB: t}
	Golden(rec, path, []byte("x\n"), true)
	if data, err := os.ReadFile(path); rec.failed || err != nil || string(data) != "x\n" {
		t.Fatalf("Golden with update: failed %v, file %q, %v", rec.failed, data, err)
	}
	rec = &recorder{TB: t}
	Golden(rec, path, []byte("x\n"), false)
	if rec.failed {
		t.Fatalf("Golden failed on equal bytes: %s", rec.msg)
	}
	rec = &recorder{TB: t}
	Golden(rec, path, []byte("y\n"), false)
	if !rec.failed {
		t.Fatal("Golden passed on different bytes")
	}
}
