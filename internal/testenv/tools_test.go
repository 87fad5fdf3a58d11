package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

// TestLookTool checks a program that is always there and one that never
// is (without EnvNix, which would turn the second into a failure).
func TestLookTool(t *testing.T) {
	if p, ok := LookTool(t, "go"); !ok || p == "" {
		t.Errorf("LookTool(go) = %q, %v", p, ok)
	}
	if os.Getenv(EnvNix) == "" {
		if p, ok := LookTool(t, "flakedup-no-such-program"); ok {
			t.Errorf("LookTool found %s", p)
		}
	}
}

// TestNixInputs checks the evaluation of a flake's inputs with real Nix
// (skipped without it, failed without it under FLAKEDUP_NIX).
func TestNixInputs(t *testing.T) {
	if got := NixInputs(t, nil); got != nil {
		t.Errorf("NixInputs(no files) = %q", got)
	}
	RequireTools(t, "nix-instantiate")
	dir := t.TempDir()
	src := `{ inputs.a.url = "github:o/a"; inputs.a.inputs.b.follows = ""; outputs = _: { }; }`
	if err := os.WriteFile(filepath.Join(dir, "flake.nix"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	got := NixInputs(t, []string{filepath.Join(dir, "flake.nix")})
	want := `{"a":{"inputs":{"b":{"follows":""}},"url":"github:o/a"}}`
	if len(got) != 1 || got[0] != want {
		t.Errorf("NixInputs = %q, want [%s]", got, want)
	}
}
