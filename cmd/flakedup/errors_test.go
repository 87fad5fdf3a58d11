package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/flakedup/flakedup/lockgraph"
	"github.com/flakedup/flakedup/rewrite"
)

// TestErrorDocumentOnStdout runs failing commands under --format json and
// requires exactly the error document on stdout and the same message as
// one line on stderr.
func TestErrorDocumentOnStdout(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantStdout string // "" = stdout must be empty
		wantErr    string // the message, as on stderr after "flakedup: "
	}{
		{
			name: "lock syntax error has file, line and column",
			args: []string{"analyze", "--format", "json", "../../fixtures/bad/malformed-json"},
			wantErr: "../../fixtures/bad/malformed-json/flake.lock: malformed JSON at line 62, column 1 (byte 1471): " +
				"invalid character '}' looking for beginning of object key string",
			wantStdout: `{
  "error": "../../fixtures/bad/malformed-json/flake.lock: malformed JSON at line 62, column 1 (byte 1471): invalid character '}' looking for beginning of object key string",
  "file": "../../fixtures/bad/malformed-json/flake.lock",
  "line": 62,
  "column": 1,
  "manual_lines": []
}
`,
		},
		{
			name:    "flake.nix syntax error is positioned",
			args:    []string{"inputs", "../../fixtures/bad/flake-nix-syntax-error", "--format=json"},
			wantErr: "../../fixtures/bad/flake-nix-syntax-error/flake.nix:5:3: unexpected '}', expecting ';'",
			wantStdout: `{
  "error": "../../fixtures/bad/flake-nix-syntax-error/flake.nix:5:3: unexpected '}', expecting ';'",
  "file": "../../fixtures/bad/flake-nix-syntax-error/flake.nix",
  "line": 5,
  "column": 3,
  "manual_lines": []
}
`,
		},
		{
			name:    "error naming a lock but no position",
			args:    []string{"why", "nosuch", "../../fixtures/demo", "--format", "json"},
			wantErr: `../../fixtures/demo/flake.lock: why "nosuch": no input path or source by that name (run ` + "`flakedup graph`" + ` to see the inputs)`,
			wantStdout: `{
  "error": "../../fixtures/demo/flake.lock: why \"nosuch\": no input path or source by that name (run ` + "`flakedup graph`" + ` to see the inputs)",
  "file": "../../fixtures/demo/flake.lock",
  "line": 0,
  "column": 0,
  "manual_lines": []
}
`,
		},
		{
			name:    "usage error from cli",
			args:    []string{"fix", "--format", "json", "--frob", "../../fixtures/demo"},
			wantErr: "flag provided but not defined: -frob (see 'flakedup fix --help')",
			wantStdout: `{
  "error": "flag provided but not defined: -frob (see 'flakedup fix --help')",
  "file": "",
  "line": 0,
  "column": 0,
  "manual_lines": []
}
`,
		},
		{
			name:    "text format prints nothing on stdout",
			args:    []string{"analyze", "../../fixtures/bad/malformed-json"},
			wantErr: "../../fixtures/bad/malformed-json/flake.lock: malformed JSON at line 62, column 1 (byte 1471): invalid character '}' looking for beginning of object key string",
		},
		{
			name:    "last --format wins",
			args:    []string{"analyze", "--format", "json", "--format", "text", "../../fixtures/bad/malformed-json"},
			wantErr: "../../fixtures/bad/malformed-json/flake.lock: malformed JSON at line 62, column 1 (byte 1471): invalid character '}' looking for beginning of object key string",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runFlakedup(t, nil, tt.args...)
			if code != exitBadUsed {
				t.Errorf("exit %d, want %d", code, exitBadUsed)
			}
			if out != tt.wantStdout {
				t.Errorf("stdout:\n%s\nwant:\n%s", out, tt.wantStdout)
			}
			if want := "flakedup: " + tt.wantErr + "\n"; errOut != want {
				t.Errorf("stderr = %q, want %q", errOut, want)
			}
		})
	}
}

// TestErrorDocumentFields checks where each field comes from for each kind
// of error.
func TestErrorDocumentFields(t *testing.T) {
	parseErr := func() error {
		_, err := rewrite.Parse("dir/flake.nix", []byte("{ inputs = { a.url = \"x\" }; }"))
		if err == nil {
			t.Fatal("Parse accepted a missing ';'")
		}
		return err
	}()
	var pe *rewrite.Error
	if !errors.As(parseErr, &pe) {
		t.Fatalf("Parse error %T is not a *rewrite.Error", parseErr)
	}
	_, lockErr := lockgraph.Load([]byte("{\n  \"nodes\": }"))
	if lockErr == nil {
		t.Fatal("Load accepted broken JSON")
	}
	tests := []struct {
		name string
		err  error
		want errorDoc
	}{
		{"plain", errors.New("fix takes one PATH,\n got 2 arguments"),
			errorDoc{Error: "fix takes one PATH, got 2 arguments", ManualLines: []string{}}},
		{"wrapped rewrite.Error", fmt.Errorf("plan: %w", parseErr),
			errorDoc{Error: "plan: " + parseErr.Error(), File: "dir/flake.nix", Line: pe.Pos.Line, Column: pe.Pos.Column, ManualLines: []string{}}},
		{"lock syntax error with the file in front", fmt.Errorf("x/flake.lock: %w", lockErr),
			errorDoc{Error: "x/flake.lock: " + lockErr.Error(), File: "x/flake.lock", Line: 2, Column: 12, ManualLines: []string{}}},
		{"position in the message only", errors.New(`a b/flake.nix:7:9: inputs.a.inputs.nixpkgs.follows: no input "nixpkgz"`),
			errorDoc{Error: `a b/flake.nix:7:9: inputs.a.inputs.nixpkgs.follows: no input "nixpkgz"`, File: "a b/flake.nix", Line: 7, Column: 9, ManualLines: []string{}}},
		{"a path that is not a flake file", errors.New("/x/y: no such file or directory"),
			errorDoc{Error: "/x/y: no such file or directory", ManualLines: []string{}}},
		{"refused", refused(fmt.Errorf("%w; cannot edit it safely", parseErr), []string{`  inputs.A.inputs.nixpkgs.follows = "nixpkgs";`}),
			errorDoc{Error: parseErr.Error() + "; cannot edit it safely", File: "dir/flake.nix", Line: pe.Pos.Line, Column: pe.Pos.Column,
				ManualLines: []string{`  inputs.A.inputs.nixpkgs.follows = "nixpkgs";`}}},
		{"refused without lines", refused(errors.New("no"), nil),
			errorDoc{Error: "no", ManualLines: []string{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := errorDocument(tt.err); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("errorDocument = %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// TestRefusedExitsTwo checks that refused carries exit code 2 and the
// message through run's exitError.
func TestRefusedExitsTwo(t *testing.T) {
	err := refused(errors.New("cannot edit"), []string{"a"})
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != exitBadUsed || ee.Error() != "cannot edit" {
		t.Fatalf("refused = %#v, want exit code %d and message %q", err, exitBadUsed, "cannot edit")
	}
}

func TestWantsJSON(t *testing.T) {
	flags := func(name string) []string {
		switch name {
		case "analyze":
			return []string{"format", "deep"}
		case "completion":
			return nil
		}
		return nil
	}
	tests := []struct {
		args string
		want bool
	}{
		{"flakedup analyze --format json .", true},
		{"flakedup analyze --format=json .", true},
		{"flakedup analyze -format json .", true},
		{"flakedup analyze --format text .", false},
		{"flakedup analyze --format json --format=text .", false},
		{"flakedup analyze .", false},
		{"flakedup analyze --format", false},
		{"flakedup analyze -- --format json", false},
		{"flakedup completion --format json", false},
		{"flakedup nosuch --format json", false},
		{"flakedup", false},
	}
	for _, tt := range tests {
		if got := wantsJSON(flags, strings.Fields(tt.args)); got != tt.want {
			t.Errorf("wantsJSON(%q) = %v, want %v", tt.args, got, tt.want)
		}
	}
}

// checkErrorDocument reports whether stdout is exactly one error document,
// with every key and nothing else, whose message is the one line on stderr.
func checkErrorDocument(stdout, stderr string) error {
	var keys map[string]json.RawMessage
	if err := json.Unmarshal([]byte(stdout), &keys); err != nil {
		return fmt.Errorf("stdout is not one JSON object: %v", err)
	}
	if len(keys) != 5 {
		return fmt.Errorf("error document has %d keys, want 5: %s", len(keys), stdout)
	}
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	var doc errorDoc
	if err := dec.Decode(&doc); err != nil {
		return fmt.Errorf("stdout is not an error document: %v", err)
	}
	if want := strings.TrimSuffix(strings.TrimPrefix(stderr, "flakedup: "), "\n"); doc.Error != want {
		return fmt.Errorf("error document says %q, stderr %q", doc.Error, want)
	}
	if doc.ManualLines == nil {
		return fmt.Errorf("manual_lines is null, want a list")
	}
	return nil
}
