package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestFlakeNixRefusals checks what each command does with a flake.nix that
// Nix refuses or that flakedup cannot edit: analyze reports from the lock
// and warns; fix and check exit 2 with the positioned problem; fix's
// refusal under --format json is one JSON document with the lines to add.
func TestFlakeNixRefusals(t *testing.T) {
	const fix = repoRoot + "/fixtures/fix/"
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStderr string
		wantStdout string // a prefix; "" means empty
	}{
		{"analyze: syntax error is a warning", []string{"analyze", fix + "syntax-error-nothing-to-add"}, exitOK,
			"flakedup: warning: " + fix + "syntax-error-nothing-to-add/flake.nix:10:50: unexpected ']', expecting ';' (flake.nix is not read: the counts come from flake.lock alone)\n",
			"nixpkgs: 1 copy, 1 revision, 1 branch; 0 could follow the root\n"},
		{"analyze: follows to a missing input is a warning", []string{"analyze", fix + "declared-follows-to-missing-input"}, exitOK,
			"flakedup: warning: " + fix + "declared-follows-to-missing-input/flake.nix:6:32: inputs.A.inputs.nixpkgs.follows: no input \"nixpkgz\" (did you mean \"nixpkgs\"?) (flake.nix is not read: the counts come from flake.lock alone)\n",
			"nixpkgs: 3 copies"},
		{"check: syntax error with nothing to add", []string{"check", fix + "syntax-error-nothing-to-add"}, exitBadUsed,
			"flakedup: " + fix + "syntax-error-nothing-to-add/flake.nix:10:50: unexpected ']', expecting ';'\n", ""},
		{"fix: no flake.nix", []string{"fix", repoRoot + "/fixtures/analyze/no-duplicates"}, exitBadUsed,
			"flakedup: " + repoRoot + "/fixtures/analyze/no-duplicates/flake.nix: no flake.nix (is " + repoRoot + "/fixtures/analyze/no-duplicates a flake directory?)\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runFlakedup(t, nil, tt.args...)
			if code != tt.wantCode || stderr != tt.wantStderr {
				t.Errorf("exit %d, stderr %q\nwant exit %d, stderr %q", code, stderr, tt.wantCode, tt.wantStderr)
			}
			if (tt.wantStdout == "" && stdout != "") || !strings.HasPrefix(stdout, tt.wantStdout) {
				t.Errorf("stdout %q, want it to start with %q", stdout, tt.wantStdout)
			}
		})
	}

	// Under --format json a refusal is one JSON document carrying the lines.
	code, stdout, _ := runFlakedup(t, nil, "fix", "--dry-run", "--format", "json", fix+"computed-inputs")
	var doc struct {
		Error       string   `json:"error"`
		ManualLines []string `json:"manual_lines"`
	}
	dec := json.NewDecoder(strings.NewReader(stdout))
	if err := dec.Decode(&doc); err != nil || dec.More() {
		t.Fatalf("fix --format json refusal: stdout is not one JSON document (%v):\n%s", err, stdout)
	}
	if code != exitBadUsed || len(doc.ManualLines) == 0 || !strings.Contains(doc.Error, "add the lines above to flake.nix by hand") {
		t.Errorf("exit %d, document %+v; want exit 2 with manual_lines", code, doc)
	}
}
