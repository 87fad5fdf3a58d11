package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flakedup/flakedup/internal/testenv"
)

// TestInputsGolden runs `flakedup inputs` on every case in
// fixtures/inputs. A case with expected.err must exit 2 with that line on
// stderr ($DIR stands for the case directory); the others must print
// expected.txt and, with --format json, expected.json, which must also be
// what Nix evaluates (except for a flake without inputs, which Nix cannot
// evaluate `.inputs` of; flakedup prints {}).
func TestInputsGolden(t *testing.T) {
	dirs, err := filepath.Glob("../../fixtures/inputs/*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no fixtures in ../../fixtures/inputs (%v)", err)
	}
	var nixFiles, jsons []string
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			errFile := filepath.Join(dir, "expected.err")
			if fileExists(errFile) {
				code, stdout, stderr := runFlakedup(t, nil, "inputs", dir)
				if code != exitBadUsed || stdout != "" {
					t.Fatalf("exit %d, stdout %q; want exit 2 and no output", code, stdout)
				}
				checkGolden(t, errFile, strings.ReplaceAll(stderr, dir, "$DIR"))
				return
			}
			code, stdout, stderr := runFlakedup(t, nil, "inputs", dir)
			if code != exitOK || stderr != "" {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			checkGolden(t, filepath.Join(dir, "expected.txt"), stdout)
			code, stdout, stderr = runFlakedup(t, nil, "inputs", "--format", "json", filepath.Join(dir, "flake.nix"))
			if code != exitOK || stderr != "" {
				t.Fatalf("--format json: exit %d, stderr %q", code, stderr)
			}
			checkGolden(t, filepath.Join(dir, "expected.json"), stdout)
			if filepath.Base(dir) != "no-inputs" {
				nixFiles = append(nixFiles, filepath.Join(dir, "flake.nix"))
				jsons = append(jsons, stdout)
			}
		})
	}
	for i, want := range testenv.NixInputs(t, nixFiles) {
		if jsons[i] != want+"\n" {
			t.Errorf("%s: flakedup prints %s, nix %s", nixFiles[i], jsons[i], want)
		}
	}
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// TestInputsCorpus checks that `flakedup inputs --format json` prints, for
// every corpus flake, exactly what Nix evaluates its inputs to.
func TestInputsCorpus(t *testing.T) {
	files := testenv.CorpusFiles(t, "flake.nix")
	jsons := make([]string, len(files))
	for i, f := range files {
		code, stdout, stderr := runFlakedup(t, nil, "inputs", "--format", "json", filepath.Dir(f))
		if code != exitOK {
			t.Fatalf("%s: exit %d: %s", f, code, stderr)
		}
		jsons[i] = stdout
		if code, stdout, stderr := runFlakedup(t, nil, "inputs", filepath.Dir(f)); code != exitOK || stdout == "" {
			t.Errorf("%s: text: exit %d, %d bytes, stderr %q", f, code, len(stdout), stderr)
		}
	}
	for i, want := range testenv.NixInputs(t, files) {
		if jsons[i] != want+"\n" {
			t.Errorf("%s:\nflakedup %s\nnix      %s", files[i], jsons[i], want)
		}
	}
}

func TestInputsUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"inputs", "a", "b"}, "flakedup: inputs takes one PATH, got 2 arguments\n"},
		{[]string{"inputs", "--format", "dot", "."}, "flakedup: --format \"dot\": want one of text, json\n"},
		{[]string{"inputs", "../../fixtures/inputs/none"}, "flakedup: ../../fixtures/inputs/none: no such file (pass a flake directory or its flake.nix)\n"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, stdout, stderr := runFlakedup(t, nil, tt.args...)
			if code != exitBadUsed || stdout != "" || stderr != tt.want {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 2, stderr %q", code, stdout, stderr, tt.want)
			}
		})
	}
}
