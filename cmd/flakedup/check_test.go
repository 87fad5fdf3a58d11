package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
