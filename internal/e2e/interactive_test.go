package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestFixInteractive runs `fix --interactive` on a terminal (a pseudo-
// terminal from util-linux's script), declines the first follows and
// accepts the second: flake.nix gets only the second, and the summary says
// the first was declined.
func TestFixInteractive(t *testing.T) {
	script, err := exec.LookPath("script")
	if err != nil {
		t.Skip("script (util-linux) is not installed: no terminal to test on")
	}
	dir := t.TempDir()
	for _, name := range []string{"flake.nix", "flake.lock"} {
		data, err := os.ReadFile(filepath.Join("../../fixtures/fix/only-one-input", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(script, "-qec", binary+" fix --interactive --nix-version 2.18 "+dir, "/dev/null")
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	cmd.Stdin = strings.NewReader("n\ny\n")
	out, err := cmd.CombinedOutput()
	text := strings.ReplaceAll(string(out), "\r\n", "\n")
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	for _, want := range []string{
		"home/nixpkgs -> nixpkgs (1 of 2)\n  + inputs.home.inputs.nixpkgs.follows = \"nixpkgs\";\n  why: home/nixpkgs is on branch nixos-unstable, as nixpkgs is\n",
		"secrets/nixpkgs -> nixpkgs (2 of 2)\n",
		"nixpkgs: 3 copies → 2; 1 follows added; 1 held back: home/nixpkgs is left alone (declined)\n",
		"wrote flake.nix; run `nix flake lock` to update flake.lock\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "\x1b[") {
		t.Errorf("colour under NO_COLOR:\n%q", text)
	}
	nix, _ := os.ReadFile(filepath.Join(dir, "flake.nix"))
	if !strings.Contains(string(nix), "secrets.inputs.nixpkgs.follows") || strings.Contains(string(nix), "home.inputs.nixpkgs.follows") {
		t.Errorf("flake.nix:\n%s", nix)
	}
}
