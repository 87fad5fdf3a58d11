package main

import (
	"github.com/flakedup/flakedup/internal/nixversion"
	"os/exec"
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
		{"analyze takes flake.nix", []string{"analyze", "--format", "json", "../../fixtures/demo/flake.nix"}, 0, "\"nodes\": 16", ""},
		{"why takes flake.nix", []string{"why", "nixpkgs", "../../fixtures/demo/flake.nix"}, 0, "6 copies", ""},
		{"inputs takes flake.lock", []string{"inputs", "../../fixtures/demo/flake.lock"}, 0, "home-manager", ""},
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

// TestCompletionScripts checks that each completion script is what its
// shell can load: bash's passes `bash -n`, zsh's registers with compdef, and
// fish's completes every command.
func TestCompletionScripts(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish"} {
		code, out, errOut := runFlakedup(t, nil, "completion", shell)
		if code != exitOK || errOut != "" {
			t.Fatalf("completion %s: exit %d, stderr %q", shell, code, errOut)
		}
		switch shell {
		case "bash":
			cmd := exec.Command("bash", "-n")
			cmd.Stdin = strings.NewReader(out)
			if msg, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("bash -n rejects the bash script: %v\n%s", err, msg)
			}
			if !strings.Contains(out, "complete -o filenames -F _flakedup_complete flakedup") {
				t.Error("bash script does not register a completion for flakedup")
			}
		case "zsh":
			if !strings.HasPrefix(out, "#compdef flakedup\n") || !strings.Contains(out, "compdef _flakedup flakedup") {
				t.Error("zsh script does not register with compdef")
			}
		case "fish":
			for _, cmd := range []string{"analyze", "fix", "check", "why", "graph", "inputs"} {
				if !strings.Contains(out, "-a '"+cmd+"'") {
					t.Errorf("fish script does not complete %q", cmd)
				}
			}
		}
	}
}

// TestUnknownCommand checks the message for a command flakedup does not
// have: it names it, suggests the closest command, lists them all, exit 2.
func TestUnknownCommand(t *testing.T) {
	const list = "; the commands are analyze, fix, check, why, graph, inputs, completion (see 'flakedup --help')\n"
	tests := []struct{ command, want string }{
		{"frobnicate", `flakedup: unknown command "frobnicate"` + list},
		{"analyz", `flakedup: unknown command "analyz" (did you mean "analyze"?)` + list},
		{"fxi", `flakedup: unknown command "fxi" (did you mean "fix"?)` + list},
		{"Check", `flakedup: unknown command "Check" (did you mean "check"?)` + list},
		{"in", `flakedup: unknown command "in" (did you mean "inputs"?)` + list},
		{"x", `flakedup: unknown command "x"` + list},
		{".", `flakedup: unknown command "."` + list},
	}
	for _, tt := range tests {
		code, out, errOut := runFlakedup(t, nil, tt.command, "../../fixtures/demo")
		if code != exitBadUsed || out != "" || errOut != tt.want {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit 2, no stdout, stderr %q", tt.command, code, out, errOut, tt.want)
		}
	}
}

// TestHelpCommand checks that `flakedup help [COMMAND]` prints the help.
func TestHelpCommand(t *testing.T) {
	for args, want := range map[string]string{
		"help":     "flakedup - find and collapse duplicated nixpkgs copies",
		"help fix": "flakedup fix - add the follows",
	} {
		code, out, errOut := runFlakedup(t, nil, strings.Fields(args)...)
		if code != exitOK || errOut != "" || !strings.Contains(out, want) {
			t.Errorf("%s: exit %d, stderr %q, stdout does not contain %q:\n%s", args, code, errOut, want, out)
		}
	}
}

// TestOnce checks that the detector main builds asks nix at most once.
func TestOnce(t *testing.T) {
	calls := 0
	detect := once(func() (nixversion.Version, bool) { calls++; return nixversion.Version{Major: 2, Minor: 8}, true })
	if calls != 0 {
		t.Fatal("once ran the detector before it was asked")
	}
	for i := 0; i < 3; i++ {
		if v, ok := detect(); !ok || v != (nixversion.Version{Major: 2, Minor: 8}) {
			t.Fatalf("detect = %v, %v", v, ok)
		}
	}
	if calls != 1 {
		t.Errorf("detector ran %d times, want 1", calls)
	}
}

// TestNixVersionFlag checks the spellings --nix-version accepts and that a
// bad one is an error that names the flag.
func TestNixVersionFlag(t *testing.T) {
	tests := []struct{ flag, want, wantErr string }{
		{"2.18.1", `"nix_version": { "target": "2.18", "source": "--nix-version" }`, ""},
		{"2.30.0pre20250101", `"nix_version": { "target": "2.30", "source": "--nix-version" }`, ""},
		{"lix-2.93", `"nix_version": { "target": "Lix 2.93", "source": "--nix-version" }`, ""},
		{"2.x", "", `flakedup: --nix-version "2.x": want MAJOR.MINOR, e.g. 2.18 or 2.18.1, or lix-MAJOR.MINOR for Lix, e.g. lix-2.93` + "\n"},
	}
	for _, tt := range tests {
		code, out, errOut := runFlakedup(t, nil, "fix", "--dry-run", "--format", "json", "--nix-version", tt.flag, "../../fixtures/demo")
		if tt.wantErr != "" {
			if code != exitBadUsed || errOut != tt.wantErr {
				t.Errorf("%s: exit %d, stderr %q; want exit 2, %q", tt.flag, code, errOut, tt.wantErr)
			}
			if err := checkErrorDocument(out, errOut); err != nil {
				t.Errorf("%s: %v", tt.flag, err)
			}
			continue
		}
		compact := strings.Join(strings.Fields(out), " ")
		if code != exitOK || errOut != "" || !strings.Contains(compact, tt.want) {
			t.Errorf("%s: exit %d, stderr %q, output does not contain %s:\n%s", tt.flag, code, errOut, tt.want, out)
		}
	}
}
