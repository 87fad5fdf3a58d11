package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flakedup/flakedup/internal/testenv"
	"github.com/flakedup/flakedup/rewrite"
)

// copyFlake copies flake.nix, flake.lock and (when there is one)
// flakedup.toml of a fixture into a fresh directory, so that fix can write
// there.
func copyFlake(t *testing.T, from string) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"flake.nix", "flake.lock", "flakedup.toml"} {
		data, err := os.ReadFile(filepath.Join(from, name))
		if name == "flakedup.toml" && os.IsNotExist(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestFixGolden runs `flakedup fix <args> DIR` on a copy of every case in
// fixtures/fix (args in the case's `args` file) and compares:
//   - stdout with expected.txt (the diff and the summary), the exit code with
//     expected.code when present (else 0), stderr with expected.err;
//   - the written flake.nix with expected.nix and flake.lock with
//     expected.lock (unchanged inputs when fix must not write);
//   - a second run with the same arguments: it must change nothing;
//   - `--format json` of the first run, with expected.json.
//
// Where nix-instantiate is available, the patched flake.nix must parse and
// its evaluated inputs must hold every follows the run added.
func TestFixGolden(t *testing.T) {
	dirs, _ := filepath.Glob("../../fixtures/fix/*")
	if len(dirs) < 15 {
		t.Fatalf("want at least 15 cases under fixtures/fix, found %d", len(dirs))
	}
	for _, c := range dirs {
		t.Run(filepath.Base(c), func(t *testing.T) {
			argsText, err := os.ReadFile(filepath.Join(c, "args"))
			if err != nil {
				t.Fatal(err)
			}
			args := strings.Fields(string(argsText))
			wantCode := exitOK
			if data, err := os.ReadFile(filepath.Join(c, "expected.code")); err == nil {
				wantCode = int(data[0] - '0')
			}

			dir := copyFlake(t, c)
			origNix, _ := os.ReadFile(filepath.Join(dir, "flake.nix"))
			code, stdout, stderr := runFlakedup(t, nil, append(append([]string{"fix"}, args...), dir)...)
			stdout = strings.ReplaceAll(stdout, dir, "$DIR")
			stderr = strings.ReplaceAll(stderr, dir, "$DIR")
			if code != wantCode {
				t.Fatalf("exit %d, want %d; stderr %q", code, wantCode, stderr)
			}
			checkGolden(t, filepath.Join(c, "expected.txt"), stdout)
			if stderr != "" || wantCode != exitOK {
				checkGolden(t, filepath.Join(c, "expected.err"), stderr)
			}
			gotNix, _ := os.ReadFile(filepath.Join(dir, "flake.nix"))
			gotLock, _ := os.ReadFile(filepath.Join(dir, "flake.lock"))
			checkGolden(t, filepath.Join(c, "expected.nix"), string(gotNix))
			checkGolden(t, filepath.Join(c, "expected.lock"), string(gotLock))
			if wantCode != exitOK {
				if !bytes.Equal(gotNix, origNix) {
					t.Error("fix wrote flake.nix although it failed")
				}
				return
			}
			if f, err := rewrite.Parse("flake.nix", gotNix); err != nil || !bytes.Equal(f.Bytes(), gotNix) {
				t.Fatalf("patched flake.nix does not parse or round-trip: %v", err)
			}

			// Idempotence: a second run proposes and writes nothing.
			code, stdout2, stderr2 := runFlakedup(t, nil, append(append([]string{"fix"}, args...), dir)...)
			again, _ := os.ReadFile(filepath.Join(dir, "flake.nix"))
			againLock, _ := os.ReadFile(filepath.Join(dir, "flake.lock"))
			if code != exitOK || !bytes.Equal(again, gotNix) || !bytes.Equal(againLock, gotLock) ||
				strings.Contains(stdout2, "--- a/flake.nix") || stderr2 != "" {
				t.Errorf("second run changed something: exit %d, stderr %q, stdout:\n%s", code, stderr2, stdout2)
			}

			// JSON of the first run, on a fresh copy, without writing.
			dir2 := copyFlake(t, c)
			code, js, _ := runFlakedup(t, nil, append(append([]string{"fix", "--dry-run", "--format", "json"}, args...), dir2)...)
			if code != exitOK {
				t.Fatalf("--format json: exit %d", code)
			}
			checkGolden(t, filepath.Join(c, "expected.json"), js)
			var doc struct {
				Follows []struct{ Input, Follows string }
			}
			if err := json.Unmarshal([]byte(js), &doc); err != nil {
				t.Fatal(err)
			}
			checkNixSeesFollows(t, dir, doc.Follows)
		})
	}
}

// checkNixSeesFollows evaluates the patched flake.nix's inputs with real
// Nix (testenv.NixInputs; nothing when Nix is missing) and checks that they hold
// every added follows.
func checkNixSeesFollows(t *testing.T, dir string, follows []struct{ Input, Follows string }) {
	t.Helper()
	out := testenv.NixInputs(t, []string{filepath.Join(dir, "flake.nix")})
	if out == nil {
		return
	}
	var inputs map[string]any
	if err := json.Unmarshal([]byte(out[0]), &inputs); err != nil {
		t.Fatal(err)
	}
	for _, f := range follows {
		level := inputs
		var m map[string]any
		for i, seg := range strings.Split(f.Input, "/") {
			if i > 0 {
				level, _ = m["inputs"].(map[string]any)
			}
			m, _ = level[seg].(map[string]any)
		}
		if got, _ := m["follows"].(string); got != f.Follows {
			t.Errorf("Nix sees %s.follows = %q, want %q", f.Input, got, f.Follows)
		}
	}
}
