package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flakedup/flakedup/internal/flake"
)

// repoOfFlakes lays out a repository of flakes in a temporary directory:
// hosts/a and hosts/b (copies of two fix fixtures), broken (a flake.nix
// without flake.lock) and node_modules/pkg (a flake --recursive skips).
func repoOfFlakes(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for dir, from := range map[string]string{
		"hosts/a":          "../../fixtures/fix/flat-inputs-block",
		"hosts/b":          "../../fixtures/fix/only-one-input",
		"node_modules/pkg": "../../fixtures/fix/flat-inputs-block",
	} {
		src := copyFlake(t, from)
		if err := os.MkdirAll(filepath.Join(root, filepath.Dir(dir)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(src, filepath.Join(root, dir)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(root, "broken"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "broken", "flake.nix"), []byte("{ outputs = _: { }; }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

func TestMultiText(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		code     int
		last     string // the output's last lines
		sections int    // "flake PATH:" headings
		stderr   string
	}{
		{"fix -r", []string{"fix", "--dry-run", "-r", "$R"}, exitBadUsed,
			"3 flakes: nixpkgs 6 copies → 2; 4 follows added; 1 flake failed\n" +
				"savings: 4 copies and 4 revisions removed; download avoided: unknown (not in the local store)\n",
			2, "flakedup: $R/broken/flake.lock: no such file (run `nix flake lock` to create it, or pass the flake directory)\n"},
		{"fix two PATHs", []string{"fix", "--dry-run", "$R/hosts/a", "$R/hosts/b"}, exitOK,
			"2 flakes: nixpkgs 6 copies → 2; 4 follows added\n" +
				"savings: 4 copies and 4 revisions removed; download avoided: unknown (not in the local store)\n",
			2, ""},
		{"fix --only in several flakes", []string{"fix", "--dry-run", "--only", "secrets", "$R/hosts/b", "$R/hosts/b"}, exitOK,
			"2 flakes: nixpkgs 6 copies → 4; 2 follows added\n" +
				"savings: 2 copies and 2 revisions removed; download avoided: unknown (not in the local store)\n",
			2, ""},
		{"fix --only a name one flake of two has", []string{"fix", "--dry-run", "--only", "secrets", "$R/hosts/a", "$R/hosts/b"}, exitOK,
			"2 flakes: nixpkgs 6 copies → 5; 1 follows added\n" +
				"savings: 1 copy and 1 revision removed; download avoided: unknown (not in the local store)\n",
			2, ""},
		{"analyze -r", []string{"analyze", "-r", "$R/hosts"}, exitOK,
			"2 flakes: nixpkgs 6 copies (2 after fix)\n" +
				"fix would save: 4 copies and 4 revisions removed; download avoided: unknown (not in the local store)\n",
			2, ""},
		{"check -r", []string{"check", "-r", "$R/hosts"}, exitFailed,
			"2 flakes: nixpkgs 6 copies (2 after fix); 2 violations\n" +
				"fix would save: 4 copies and 4 revisions removed; download avoided: unknown (not in the local store)\n",
			0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := repoOfFlakes(t)
			args := make([]string, len(tc.args))
			for i, a := range tc.args {
				args[i] = strings.ReplaceAll(a, "$R", root)
			}
			code, stdout, stderr := runFlakedup(t, nil, args...)
			stdout = strings.ReplaceAll(stdout, root, "$R")
			stderr = strings.ReplaceAll(stderr, root, "$R")
			if code != tc.code || stderr != tc.stderr {
				t.Fatalf("exit %d, stderr %q; want %d, %q", code, stderr, tc.code, tc.stderr)
			}
			if !strings.HasSuffix(stdout, "\n\n"+tc.last) {
				t.Errorf("output does not end with a blank line and\n%s\ngot:\n%s", tc.last, stdout)
			}
			if n := strings.Count(stdout, "\nflake $R/") + strings.Count(stdout[:min(len(stdout), 6)], "flake "); n != tc.sections {
				t.Errorf("%d flake headings, want %d:\n%s", n, tc.sections, stdout)
			}
			if strings.Contains(stdout, "node_modules") {
				t.Errorf("--recursive went into node_modules:\n%s", stdout)
			}
		})
	}
}

func TestMultiJSON(t *testing.T) {
	root := repoOfFlakes(t)
	code, stdout, _ := runFlakedup(t, nil, "fix", "--dry-run", "--format", "json", "-r", root)
	if code != exitBadUsed {
		t.Fatalf("exit %d, want %d", code, exitBadUsed)
	}
	var doc struct {
		Flakes []struct {
			Flake   string
			Error   string
			Follows []followsJSON
			Savings savingsJSON
		}
		Totals totalsJSON
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("not one JSON document: %v\n%s", err, stdout)
	}
	var got []string
	for _, f := range doc.Flakes {
		rel, _ := filepath.Rel(root, f.Flake)
		got = append(got, rel+": "+strings.ReplaceAll(f.Error, root, "$R")+" "+plural(len(f.Follows), "follows", "follows"))
	}
	want := []string{
		"broken: $R/broken/flake.lock: no such file (run `nix flake lock` to create it, or pass the flake directory) 0 follows",
		"hosts/a:  2 follows",
		"hosts/b:  2 follows",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("flakes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	wantTotals := totalsJSON{Flakes: 3, Failed: 1, Nixpkgs: beforeAfter{6, 2}, FollowsAdded: 4,
		Savings: savingsJSON{CopiesRemoved: 4, RevisionsRemoved: 4, Download: "unknown (not in the local store)"}}
	if doc.Totals != wantTotals {
		t.Errorf("totals %+v, want %+v", doc.Totals, wantTotals)
	}
	if s := doc.Flakes[2].Savings; s.CopiesRemoved != 2 || s.RevisionsRemoved != 2 || s.DownloadKnown {
		t.Errorf("hosts/b savings %+v", s)
	}
}

func TestFixOnlyAndInteractiveRefusals(t *testing.T) {
	dir := "../../fixtures/fix/only-one-input"
	tests := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"unknown --only", []string{"fix", "--dry-run", "--only", "secret", dir},
			"flakedup: --only \"secret\": flake.lock has no root input of that name (did you mean \"secrets\"?)\n"},
		{"--only with nothing close", []string{"fix", "--dry-run", "--only", "zzz", dir},
			"flakedup: --only \"zzz\": flake.lock has no root input of that name\n"},
		{"--interactive on a pipe", []string{"fix", "--interactive", dir},
			"flakedup: --interactive needs a terminal (stdin and stdout); use --only NAME to choose follows in a script\n"},
		{"--only that no flake of several has", []string{"fix", "--dry-run", "--only", "secret", dir, "../../fixtures/fix/flat-inputs-block"},
			"flakedup: --only \"secret\": no flake of the 2 has a root input of that name (did you mean \"secrets\"?)\n"},
		{"--recursive on a file", []string{"analyze", "-r", dir + "/flake.nix"},
			"flakedup: --recursive: " + dir + "/flake.nix: not a directory\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runFlakedup(t, nil, tc.args...)
			if code != exitBadUsed || stderr != tc.stderr || stdout != "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want 2, %q", code, stdout, stderr, tc.stderr)
			}
		})
	}
}

func TestFollowsQuestions(t *testing.T) {
	fl, err := flake.Load("../../fixtures/fix/only-one-input")
	if err != nil {
		t.Fatal(err)
	}
	out, err := fl.Plan(flake.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := followsQuestions(out)
	want := []question{
		{What: "home/nixpkgs -> nixpkgs", Line: `inputs.home.inputs.nixpkgs.follows = "nixpkgs";`, Why: "home/nixpkgs is on branch nixos-unstable, as nixpkgs is"},
		{What: "secrets/nixpkgs -> nixpkgs", Line: `inputs.secrets.inputs.nixpkgs.follows = "nixpkgs";`, Why: "secrets/nixpkgs is on branch nixos-unstable, as nixpkgs is"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d questions: %+v", len(got), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("question %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}
