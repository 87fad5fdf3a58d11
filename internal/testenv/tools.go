package testenv

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// EnvNix names the environment variable that turns a missing external
// program (nix, nix-instantiate, git, dot, ...) from a skip into a failure.
const EnvNix = "FLAKEDUP_NIX"

// LookTool returns the path of an external program and whether it is on
// PATH. When it is missing and EnvNix is set, it fails tb.
func LookTool(tb testing.TB, name string) (string, bool) {
	tb.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv(EnvNix) != "" {
			tb.Fatalf("%s is not on PATH (and %s is set)", name, EnvNix)
		}
		return "", false
	}
	return p, true
}

// RequireTools returns the paths of the named programs, in order. It skips
// tb when one is missing, or fails it when EnvNix is set.
func RequireTools(tb testing.TB, names ...string) []string {
	tb.Helper()
	paths := make([]string, len(names))
	for i, name := range names {
		p, ok := LookTool(tb, name)
		if !ok {
			tb.Skipf("%s is not on PATH (set %s to make this a failure)", name, EnvNix)
		}
		paths[i] = p
	}
	return paths
}

// NixInputs evaluates `(import <file>).inputs` for each file with real Nix,
// in one nix-instantiate run (importing a file also parses it), and returns
// the JSON Nix prints for each. It returns nil when there are no files or
// nix-instantiate is missing (LookTool: a failure when EnvNix is set).
func NixInputs(tb testing.TB, files []string) []string {
	tb.Helper()
	if len(files) == 0 {
		return nil
	}
	nix, ok := LookTool(tb, "nix-instantiate")
	if !ok {
		tb.Log("nix-instantiate is not on PATH: not comparing with Nix")
		return nil
	}
	var expr strings.Builder
	expr.WriteString("[")
	for _, f := range files {
		abs, err := filepath.Abs(f)
		if err != nil {
			tb.Fatal(err)
		}
		fmt.Fprintf(&expr, " (import %s).inputs", abs)
	}
	expr.WriteString(" ]")
	cmd := exec.Command(nix, "--store", "dummy://", "--eval", "--strict", "--json", "-E", expr.String())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("nix-instantiate --eval: %v\n%s", err, stderr.Bytes())
	}
	var list []json.RawMessage
	if err := json.Unmarshal(out, &list); err != nil || len(list) != len(files) {
		tb.Fatalf("nix-instantiate printed %d values (%v), want %d", len(list), err, len(files))
	}
	got := make([]string, len(list))
	for i, v := range list {
		got[i] = string(v)
	}
	return got
}
