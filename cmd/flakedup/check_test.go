package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flakedup/flakedup/internal/testenv"
)

// TestCheckGolden runs `flakedup check` on every case in fixtures/check in
// each format. A case's `args` names the flakes with $F (the fixtures
// directory) or $C (the case directory itself); expected.code is the exit
// code; expected.<format> the stdout, with those directories written back as
// $F and $C; expected.err the stderr, when there is any.
func TestCheckGolden(t *testing.T) {
	const fixtures = "../../fixtures"
	dirs, _ := filepath.Glob(fixtures + "/check/*")
	if len(dirs) < 10 {
		t.Fatalf("want at least 10 cases under fixtures/check, found %d", len(dirs))
	}
	for _, c := range dirs {
		t.Run(filepath.Base(c), func(t *testing.T) {
			argsText, err := os.ReadFile(filepath.Join(c, "args"))
			if err != nil {
				t.Fatal(err)
			}
			expand := strings.NewReplacer("$F", fixtures, "$C", c)
			args := strings.Fields(expand.Replace(string(argsText)))
			codeText, err := os.ReadFile(filepath.Join(c, "expected.code"))
			if err != nil {
				t.Fatal(err)
			}
			wantCode := int(codeText[0] - '0')
			hide := strings.NewReplacer(c, "$C", fixtures, "$F")
			var firstErr string
			for _, format := range []string{"text", "json", "github", "markdown"} {
				code, stdout, stderr := runFlakedup(t, nil, append([]string{"check", "--format", format}, args...)...)
				if code != wantCode {
					t.Fatalf("--format %s: exit %d, want %d; stderr %q", format, code, wantCode, stderr)
				}
				checkGolden(t, filepath.Join(c, "expected."+format), hide.Replace(stdout))
				if format == "text" {
					firstErr = stderr
				} else if stderr != firstErr {
					t.Errorf("--format %s: stderr %q differs from text's %q", format, stderr, firstErr)
				}
			}
			if firstErr != "" || wantCode == exitBadUsed {
				checkGolden(t, filepath.Join(c, "expected.err"), hide.Replace(firstErr))
			}
		})
	}
}

// TestCheckAfterFix runs the CI gate on every corpus flake that fix
// changes, twice: after `fix` alone, flake.lock is the old one and check
// fails with the stale-lock violation (it used to pass: the follows were
// "pending"); after `fix --lock`, the predicted lock reflects flake.nix and
// check passes.
func TestCheckAfterFix(t *testing.T) {
	for _, lock := range testenv.CorpusFiles(t, "flake.lock") {
		src := filepath.Dir(lock)
		t.Run(filepath.Base(src), func(t *testing.T) {
			copyFlake := func() string {
				dir := t.TempDir()
				for _, name := range []string{"flake.nix", "flake.lock"} {
					data, err := os.ReadFile(filepath.Join(src, name))
					if err != nil {
						t.Skip(err)
					}
					if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
						t.Fatal(err)
					}
				}
				return dir
			}
			dir := copyFlake()
			code, out, _ := runFlakedup(t, nil, "fix", "--format", "json", dir)
			if code != exitOK {
				t.Skipf("fix exits %d", code) // a flake fix refuses; refusal_test covers those
			}
			var fixed fixJSON
			if err := json.Unmarshal([]byte(out), &fixed); err != nil {
				t.Fatal(err)
			}
			if len(fixed.Follows) == 0 {
				return
			}
			code, out, stderr := runFlakedup(t, nil, "check", "--format", "json", dir)
			var doc checkJSON
			if err := json.Unmarshal([]byte(out), &doc); err != nil {
				t.Fatalf("check after fix: %v (stderr %q)", err, stderr)
			}
			if code != exitFailed || len(doc.Violations) == 0 || doc.Violations[0].Rule != "stale-lock" ||
				doc.Violations[0].Message != staleLockMessage || len(doc.Violations[0].Details) < len(fixed.Follows) {
				t.Errorf("check after fix, before nix flake lock: exit %d, violations %+v; want exit 1 and stale-lock with %d details",
					code, doc.Violations, len(fixed.Follows))
			}

			dir = copyFlake()
			if code, _, stderr := runFlakedup(t, nil, "fix", "--lock", dir); code != exitOK {
				t.Fatalf("fix --lock: exit %d, %s", code, stderr)
			}
			if code, out, _ := runFlakedup(t, nil, "check", dir); code != exitOK {
				t.Errorf("check after fix --lock: exit %d:\n%s", code, out)
			}
		})
	}
}
