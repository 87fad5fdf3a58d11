package main

import (
	"github.com/flakedup/flakedup/internal/nixversion"
	"reflect"
	"strings"
	"testing"
)

func TestFlagsFirst(t *testing.T) {
	app := newApp(&env{})
	tests := []struct{ in, want string }{
		{"flakedup analyze . --format json", "flakedup analyze --format json ."},
		{"flakedup analyze --format json .", "flakedup analyze --format json ."},
		{"flakedup analyze . --format=json", "flakedup analyze --format=json ."},
		{"flakedup analyze a -- --format", "flakedup analyze a -- --format"},
		{"flakedup nosuchcommand . --x", "flakedup nosuchcommand . --x"},
		{"flakedup analyze", "flakedup analyze"},
	}
	for _, tt := range tests {
		got := flagsFirst(app, strings.Fields(tt.in))
		if want := strings.Fields(tt.want); !reflect.DeepEqual(got, want) {
			t.Errorf("flagsFirst(%q) = %q, want %q", tt.in, got, want)
		}
	}
}

func TestExitCodesAndStreams(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		stdout   string // substring expected on stdout ("" = must be empty)
		stderr   string // exact stderr
	}{
		{"version", []string{"--version"}, 0, "flakedup version ", ""},
		{"unknown flag", []string{"analyze", "--frobnicate", "../../fixtures/demo"}, 2, "",
			"flakedup: flag provided but not defined: -frobnicate (see 'flakedup analyze --help')\n"},
		{"flags after path", []string{"analyze", "../../fixtures/demo", "--format", "json"}, 0, "\"nodes\": 16", ""},
		{"missing dir", []string{"analyze", "/nonexistent/flake"}, 2, "", ""},
		{"completion bad shell", []string{"completion", "tcsh"}, 2, "",
			"flakedup: completion: want one of bash, zsh, fish (got \"tcsh\")\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runFlakedup(t, nil, tt.args...)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d (stderr %q)", code, tt.wantCode, errOut)
			}
			if tt.stdout == "" && out != "" && code != 0 {
				t.Errorf("stdout not empty on error: %q", out)
			}
			if tt.stdout != "" && !strings.Contains(out, tt.stdout) {
				t.Errorf("stdout %q does not contain %q", out, tt.stdout)
			}
			if tt.stderr != "" && errOut != tt.stderr {
				t.Errorf("stderr = %q, want %q", errOut, tt.stderr)
			}
			if code == 2 && (strings.Count(errOut, "\n") != 1 || !strings.HasPrefix(errOut, "flakedup: ")) {
				t.Errorf("error output must be one line starting with 'flakedup: ', got %q", errOut)
			}
		})
	}
}

// noNix stands for a machine without nix on PATH, so that tests do not
// depend on the nix installed where they run.
func noNix() (nixversion.Version, bool) { return nixversion.Version{}, false }
