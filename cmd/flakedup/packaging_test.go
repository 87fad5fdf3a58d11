package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/flakedup/flakedup/internal/testenv"
	"github.com/flakedup/flakedup/rewrite"
)

// TestSelfFlake checks flakedup's own flake.nix: it parses with flakedup's
// parser and with Nix, its inputs are what a packaging flake needs, and its
// vendorHash is the hash of `go mod vendor` for the current go.mod.
func TestSelfFlake(t *testing.T) {
	src, err := os.ReadFile("../../flake.nix")
	if err != nil {
		t.Fatal(err)
	}
	f, err := rewrite.Parse("flake.nix", src)
	if err != nil {
		t.Fatal(err)
	}
	in, err := f.Inputs()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(in.Names(), ","); got != "nixpkgs" {
		t.Errorf("inputs = %s, want nixpkgs", got)
	}
	nixInstantiate := testenv.RequireTools(t, "nix-instantiate")[0]
	if out, err := exec.Command(nixInstantiate, "--store", "dummy://", "--parse", "../../flake.nix").CombinedOutput(); err != nil {
		t.Fatalf("nix-instantiate --parse flake.nix: %v\n%s", err, out)
	}

	m := regexp.MustCompile(`vendorHash = "([^"]+)";`).FindSubmatch(src)
	if m == nil {
		t.Fatal("flake.nix has no vendorHash")
	}
	nix := testenv.RequireTools(t, "nix")[0]
	vendor := filepath.Join(t.TempDir(), "vendor")
	cmd := exec.Command("go", "mod", "vendor", "-o", vendor)
	cmd.Dir = "../.."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("go mod vendor failed (no module cache or proxy?): %v\n%s", err, out)
	}
	hash := exec.Command(nix, "--extra-experimental-features", "nix-command", "hash", "path", vendor)
	hash.Env = append(os.Environ(), "HOME="+t.TempDir())
	out, err := hash.Output()
	if err != nil {
		t.Fatalf("nix hash path: %v", err)
	}
	if got := strings.TrimSpace(string(out)); got != string(m[1]) {
		t.Errorf("flake.nix vendorHash = %s, but `go mod vendor` hashes to %s: update flake.nix", m[1], got)
	}
}

// TestActionScript runs the script behind action.yml against the demo
// flake, with a prebuilt binary, as GitHub Actions would.
func TestActionScript(t *testing.T) {
	bash := testenv.RequireTools(t, "bash")[0]
	bin := filepath.Join(t.TempDir(), "flakedup")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	summary := filepath.Join(t.TempDir(), "summary.md")
	tests := []struct {
		name        string
		maxNixpkgs  string
		wantCode    int
		wantSummary string
	}{
		{"over the limit", "", 1, "### ❌ flakedup check: `fixtures/demo`"},
		{"within the limit", "6", 0, "### ✅ flakedup check: `fixtures/demo`"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			os.Remove(summary)
			cmd := exec.Command(bash, ".github/flakedup-action.sh")
			cmd.Dir = "../.."
			cmd.Env = append(os.Environ(), "FLAKEDUP_BIN="+bin, "FLAKEDUP_PATHS=fixtures/demo",
				"FLAKEDUP_MAX_NIXPKGS="+tt.maxNixpkgs, "FLAKEDUP_ARGS=", "GITHUB_STEP_SUMMARY="+summary)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stderr %s", code, tt.wantCode, stderr.String())
			}
			// Failing: the rule and the 3 copies fix would change (::error),
			// the 2 held back (hyprland's binary cache, a release branch no
			// root input tracks) as ::warning.
			errs, warnings := strings.Count(stdout.String(), "::error "), strings.Count(stdout.String(), "::warning ")
			if tt.wantCode == 1 && (errs != 4 || warnings != 2) || tt.wantCode == 0 && errs+warnings != 0 {
				t.Errorf("%d ::error and %d ::warning lines (want 4 and 2 when failing, none otherwise):\n%s", errs, warnings, stdout.String())
			}
			got, err := os.ReadFile(summary)
			if err != nil || !strings.HasPrefix(string(got), tt.wantSummary+"\n") {
				t.Errorf("summary = %q (%v), want it to start with %q", got, err, tt.wantSummary)
			}
		})
	}
}
