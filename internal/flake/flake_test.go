package flake

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/flakedup/flakedup/lockgraph"
)

const fixtures = "../../fixtures"

func TestLoadErrors(t *testing.T) {
	empty := t.TempDir()
	tests := []struct {
		name, path, want string
	}{
		{"missing path", fixtures + "/does-not-exist", fixtures + "/does-not-exist: no such file or directory"},
		{"directory with neither file", empty, empty + ": no flake.nix here (not a flake directory)"},
		{"flake.nix without a lock", fixtures + "/bad/missing-flake-lock",
			fixtures + "/bad/missing-flake-lock/flake.lock: no such file (run `nix flake lock` to create it, or pass the flake directory)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(tt.path)
			if err == nil || err.Error() != tt.want {
				t.Errorf("Load(%s) = %v, want %s", tt.path, err, tt.want)
			}
		})
	}
}

func TestLoadRecordsFlakeNixProblems(t *testing.T) {
	tests := []struct {
		dir        string
		refusal    string // "" when Nix reads the file
		syntax     bool
		noFlakeNix bool
	}{
		{"analyze/no-duplicates", fixtures + "/analyze/no-duplicates/flake.nix: no flake.nix (is " + fixtures + "/analyze/no-duplicates a flake directory?)", false, true},
		{"fix/syntax-error-nothing-to-add", fixtures + "/fix/syntax-error-nothing-to-add/flake.nix:10:50: unexpected ']', expecting ';'", true, false},
		{"fix/declared-follows-to-missing-input", fixtures + "/fix/declared-follows-to-missing-input/flake.nix:6:32: inputs.A.inputs.nixpkgs.follows: no input \"nixpkgz\" (did you mean \"nixpkgs\"?)", false, false},
		{"fix/computed-inputs", "", false, false},
		{"fix/ignore", "", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			fl, err := Load(filepath.Join(fixtures, tt.dir))
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if err := fl.Refusal(); err != nil {
				got = err.Error()
			}
			if got != tt.refusal || fl.SyntaxError() != tt.syntax || errors.Is(fl.NixErr, ErrNoFlakeNix) != tt.noFlakeNix {
				t.Errorf("Refusal %q, SyntaxError %v, no flake.nix %v\nwant %q, %v, %v", got, fl.SyntaxError(),
					errors.Is(fl.NixErr, ErrNoFlakeNix), tt.refusal, tt.syntax, tt.noFlakeNix)
			}
		})
	}
}

// TestPlanStatusesAndCounts checks what Plan says about each nixpkgs copy
// and the counts every command reports, on fixtures that show each status.
func TestPlanStatusesAndCounts(t *testing.T) {
	type status struct {
		path   string
		status Status
	}
	tests := []struct {
		dir    string
		want   []status
		counts Counts
	}{
		{"fix/commented-out-follows", []status{{"nixpkgs", Root}, {"A/nixpkgs", Held}, {"B/nixpkgs", Follow}},
			Counts{Copies: 3, CouldFollow: 1, HeldBack: 1, After: 2}},
		{"fix/input-removed-from-flake-nix", []status{{"nixpkgs", Root}, {"A/nixpkgs", Follow}, {"C/nixpkgs", Held}},
			Counts{Copies: 3, CouldFollow: 1, HeldBack: 1, After: 2}},
		// Already declared in flake.nix, not yet locked: pending.
		{"fix/declared-not-locked", nil, Counts{}},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			fl, err := Load(filepath.Join(fixtures, tt.dir))
			if err != nil {
				t.Fatal(err)
			}
			out, err := fl.Plan(Options{})
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == nil {
				c := out.Counts()
				if c.Pending == 0 || c.CouldFollow != 0 || c.Copies-c.After != c.Pending {
					t.Errorf("counts %+v: want only pending copies", c)
				}
				return
			}
			var got []status
			for _, c := range out.Copies {
				if c.Source.Nixpkgs {
					got = append(got, status{lockgraph.JoinPath(c.Path), c.Status})
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("statuses %v, want %v", got, tt.want)
			}
			if c := out.Counts(); c != tt.counts {
				t.Errorf("counts %+v, want %+v", c, tt.counts)
			}
			if out.NewNix != nil || out.Diff != "" {
				t.Error("Plan edited flake.nix; only Edit may")
			}
		})
	}
}

func TestPlanUnknownNames(t *testing.T) {
	fl, err := Load(fixtures + "/fix/ignore")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		policy lockgraph.Policy
		want   string
	}{
		{lockgraph.Policy{Ignore: []string{"A/nixpkg"}}, "--ignore A/nixpkg: no such input in flake.lock (did you mean A/nixpkgs?)"},
		{lockgraph.Policy{Ignore: []string{"b"}}, "--ignore b: no such input in flake.lock (did you mean B?)"},
		{lockgraph.Policy{Ignore: []string{"zzzzzz"}}, "--ignore zzzzzz: no such input in flake.lock"},
		{lockgraph.Policy{Include: []string{"A/nixpkgs"}}, "--include A/nixpkgs: no such input in flake.lock (did you mean A?)"},
		{lockgraph.Policy{Ignore: []string{"A", "B/nixpkgs"}, Include: []string{"A"}}, ""},
	}
	// Entries from flakedup.toml come first and are named after it.
	_, err = fl.Plan(Options{Policy: lockgraph.Policy{Ignore: []string{"a", "B"}}, ConfigIgnore: 1})
	if want := "flakedup.toml: ignore a: no such input in flake.lock (did you mean A?)"; err == nil || err.Error() != want {
		t.Errorf("config entry: %v, want %s", err, want)
	}
	for _, tt := range tests {
		_, err := fl.Plan(Options{Policy: tt.policy})
		var une *lockgraph.UnknownNameError
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%+v: %v", tt.policy, err)
		case tt.want != "" && (err == nil || err.Error() != tt.want || !errors.As(err, &une)):
			t.Errorf("%+v: error %v, want *UnknownNameError %q", tt.policy, err, tt.want)
		}
	}
}

func TestEditAndWrite(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"flake.nix", "flake.lock"} {
		data, err := os.ReadFile(filepath.Join(fixtures, "fix/commented-out-follows", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fl, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	out, err := fl.Plan(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := out.Write(true); err != nil {
		t.Fatal(err)
	}
	wantNix, _ := os.ReadFile(filepath.Join(fixtures, "fix/commented-out-follows/expected.nix"))
	wantLock, _ := os.ReadFile(filepath.Join(fixtures, "fix/commented-out-follows/expected.lock"))
	gotNix, _ := os.ReadFile(filepath.Join(dir, "flake.nix"))
	gotLock, _ := os.ReadFile(filepath.Join(dir, "flake.lock"))
	if string(gotNix) != string(wantNix) || string(gotLock) != string(wantLock) {
		t.Errorf("Write wrote other files than fix does:\n%s", gotNix)
	}
	if !reflect.DeepEqual(out.Written, []string{fl.NixPath, fl.LockPath}) {
		t.Errorf("Written = %v", out.Written)
	}
}

// TestLoadLockOfAnotherName checks that a lock file not named flake.lock is
// read on its own: the flake.nix beside it may belong to another lock.
func TestLoadLockOfAnotherName(t *testing.T) {
	dir := t.TempDir()
	for from, to := range map[string]string{"flake.nix": "flake.nix", "flake.lock": "old.lock"} {
		data, err := os.ReadFile(filepath.Join(fixtures, "fix/ignore", from))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, to), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fl, err := Load(filepath.Join(dir, "old.lock"))
	if err != nil {
		t.Fatal(err)
	}
	if fl.Inputs != nil || !errors.Is(fl.NixErr, ErrNoFlakeNix) || fl.LockPath != filepath.Join(dir, "old.lock") {
		t.Errorf("Inputs %v, NixErr %v, LockPath %s: want a bare lock", fl.Inputs, fl.NixErr, fl.LockPath)
	}
}
