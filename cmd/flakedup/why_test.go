package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flakedup/flakedup/internal/flake"
	"github.com/flakedup/flakedup/internal/genlock"
	"github.com/flakedup/flakedup/internal/testenv"
	"github.com/flakedup/flakedup/lockgraph"
)

// repoRoot is the repository root as seen from this package's directory.
const repoRoot = "../.."

// caseArgs reads the args file of a fixture case: the command line after
// the command name, split on blanks, with $DIR standing for the case
// directory and $ROOT for the repository root.
func caseArgs(t *testing.T, dir string) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "args"))
	if err != nil {
		t.Fatal(err)
	}
	r := strings.NewReplacer("$DIR", dir, "$ROOT", repoRoot)
	return strings.Fields(r.Replace(string(data)))
}

// TestWhyGolden runs `flakedup why` on every case in fixtures/why. A case
// holds args (see caseArgs) and either expected.txt and expected.json or
// expected.err, the one line on stderr of a run that must exit 2 ($DIR and
// $ROOT written back as in args).
func TestWhyGolden(t *testing.T) {
	dirs, err := filepath.Glob(repoRoot + "/fixtures/why/*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no fixtures under %s/fixtures/why: %v", repoRoot, err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			args := append([]string{"why"}, caseArgs(t, dir)...)
			if wantErr, err := os.ReadFile(filepath.Join(dir, "expected.err")); err == nil {
				for _, format := range []string{"text", "json"} {
					code, stdout, stderr := runFlakedup(t, nil, append(args, "--format", format)...)
					if format == formatJSON {
						// The error document replaces the report (errors.go).
						if err := checkErrorDocument(stdout, stderr); err != nil {
							t.Errorf("--format json: %v", err)
						}
						stdout = ""
					}
					stderr = strings.NewReplacer(dir, "$DIR", repoRoot, "$ROOT").Replace(stderr)
					if code != exitBadUsed || stdout != "" || stderr != string(wantErr) {
						t.Errorf("--format %s: exit %d, stdout %q, stderr %q; want exit 2, no stdout, stderr %q",
							format, code, stdout, stderr, wantErr)
					}
				}
				return
			}
			code, stdout, stderr := runFlakedup(t, nil, args...)
			if code != exitOK || stderr != "" {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			checkGolden(t, filepath.Join(dir, "expected.txt"), stdout)

			code, stdout, stderr = runFlakedup(t, nil, append(args, "--format", "json")...)
			if code != exitOK || stderr != "" {
				t.Fatalf("json: exit %d, stderr %q", code, stderr)
			}
			if !json.Valid([]byte(stdout)) {
				t.Fatalf("json output does not parse:\n%s", stdout)
			}
			checkGolden(t, filepath.Join(dir, "expected.json"), stdout)
		})
	}
}

// TestWhyQueryForms checks that the spellings of one source find the same
// copies, and which copies each kind of query finds in the demo flake.
func TestWhyQueryForms(t *testing.T) {
	g, _, err := loadLock(&env{}, repoRoot+"/fixtures/demo")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		query     string
		inputPath string   // the node an input-path query names
		copies    []string // canonical paths of the copies found, in order
	}{
		{"nixpkgs", "", []string{"nixpkgs", "hyprland/nixpkgs", "nix-index-database/nixpkgs",
			"simple-nixos-mailserver/nixpkgs", "sops-nix/nixpkgs", "stylix/nixpkgs"}},
		{"NixPkgs", "", []string{"nixpkgs", "hyprland/nixpkgs", "nix-index-database/nixpkgs",
			"simple-nixos-mailserver/nixpkgs", "sops-nix/nixpkgs", "stylix/nixpkgs"}},
		{"github:NixOS/nixpkgs/nixos-24.05", "", []string{"nixpkgs", "hyprland/nixpkgs", "nix-index-database/nixpkgs",
			"simple-nixos-mailserver/nixpkgs", "sops-nix/nixpkgs", "stylix/nixpkgs"}},
		{"NixOS/nixpkgs", "", []string{"nixpkgs", "hyprland/nixpkgs", "nix-index-database/nixpkgs",
			"simple-nixos-mailserver/nixpkgs", "sops-nix/nixpkgs", "stylix/nixpkgs"}},
		{"github:nix-systems/default", "", []string{"hyprland/systems", "stylix/systems"}},
		{"nix-systems/default", "", []string{"hyprland/systems", "stylix/systems"}},
		{"systems", "", []string{"hyprland/systems", "stylix/systems"}},
		{"stylix/systems", "stylix/systems", []string{"stylix/systems"}},
		{"home-manager/nixpkgs", "home-manager/nixpkgs", []string{"nixpkgs"}},
		{"hyprland", "", []string{"hyprland"}},
		{"gitlab:simple-nixos-mailserver/blobs", "", []string{"simple-nixos-mailserver/blobs"}},
		{"blobs", "", []string{"simple-nixos-mailserver/blobs"}},
	}
	for _, tt := range tests {
		rep, err := explain(g, lockgraph.Analyze(g), tt.query, 5)
		if err != nil {
			t.Errorf("why %q: %v", tt.query, err)
			continue
		}
		var got []string
		for _, src := range rep.Sources {
			for _, c := range src.Copies {
				got = append(got, lockgraph.JoinPath(c.Path))
			}
		}
		if strings.Join(got, " ") != strings.Join(tt.copies, " ") || lockgraph.JoinPath(rep.InputPath) != tt.inputPath {
			t.Errorf("why %q: copies %q, input path %q; want %q, %q",
				tt.query, got, lockgraph.JoinPath(rep.InputPath), tt.copies, tt.inputPath)
		}
	}
}

// TestWhyUnknownQuery checks the message of a query that matches nothing,
// with and without close names to suggest.
func TestWhyUnknownQuery(t *testing.T) {
	g, _, err := loadLock(&env{}, repoRoot+"/fixtures/demo")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ query, want string }{
		{"hyprlnd", `why "hyprlnd": no input path or source by that name; did you mean hyprland?`},
		{"stylix/nixpgks", `why "stylix/nixpgks": no input path or source by that name; did you mean stylix/nixpkgs?`},
		{"stylix/sytems/x", `why "stylix/sytems/x": no input path or source by that name; did you mean stylix/systems?`},
		{"github:nix-systems/defualt", `why "github:nix-systems/defualt": no input path or source by that name; did you mean github:nix-systems/default?`},
		{"sops", `why "sops": no input path or source by that name (run ` + "`flakedup graph`" + ` to see the inputs)`},
		{"", `why "": no input path or source by that name (run ` + "`flakedup graph`" + ` to see the inputs)`},
		{"home-manager/nixpkgs/x", `why "home-manager/nixpkgs/x": no input path or source by that name (run ` + "`flakedup graph`" + ` to see the inputs)`},
	}
	for _, tt := range tests {
		_, err := explain(g, lockgraph.Analyze(g), tt.query, 5)
		if err == nil || err.Error() != tt.want {
			t.Errorf("why %q: error %v, want %q", tt.query, err, tt.want)
		}
	}
}

// TestWhyNoNixpkgs checks the message for a lock without nixpkgs.
func TestWhyNoNixpkgs(t *testing.T) {
	code, stdout, stderr := runFlakedup(t, nil, "why", "nixpkgs", repoRoot+"/fixtures/analyze/no-nixpkgs")
	want := "flakedup: ../../fixtures/analyze/no-nixpkgs/flake.lock: why \"nixpkgs\": the lock has no copy of nixpkgs\n"
	if code != exitBadUsed || stdout != "" || stderr != want {
		t.Errorf("exit %d, stdout %q, stderr %q; want exit 2, stderr %q", code, stdout, stderr, want)
	}
}

// TestWhyPathText checks how a path and its follows edges are written.
func TestWhyPathText(t *testing.T) {
	hop := func(in, target string) followsHop {
		return followsHop{Input: strings.Split(in, "/"), Target: flake.SplitTarget(target)}
	}
	tests := []struct {
		path string
		hops []followsHop
		want string
	}{
		{"a/nixpkgs", nil, "a/nixpkgs"},
		{"a/nixpkgs", []followsHop{hop("a/nixpkgs", "nixpkgs")}, "a/nixpkgs -> nixpkgs (follows)"},
		{"a/b/c", []followsHop{hop("a/b", "x")}, "a/b/c, where a/b -> x (follows)"},
		{"a/b/c", []followsHop{hop("a/b", "x"), hop("a/b/c", "y/z")}, "a/b/c -> y/z (follows), where a/b -> x (follows)"},
		{"a/b/c/d", []followsHop{hop("a/b", "x"), hop("a/b/c", "y")}, "a/b/c/d, where a/b -> x (follows), a/b/c -> y (follows)"},
		{"a/self/b", []followsHop{hop("a/self", "")}, `a/self/b, where a/self -> "" (follows)`},
	}
	for _, tt := range tests {
		got := whyPath{Path: strings.Split(tt.path, "/"), Follows: tt.hops}.text()
		if got != tt.want {
			t.Errorf("text(%s, %v) = %q, want %q", tt.path, tt.hops, got, tt.want)
		}
	}
}

// TestWhyManyPaths checks the bound on printed paths and the count line,
// exact and saturated, on ladders of diamonds (2^n paths to the bottom).
func TestWhyManyPaths(t *testing.T) {
	tests := []struct {
		diamonds int
		limit    string
		count    string // the count line of the bottom node
		lines    int    // path lines printed for it
	}{
		{3, "20", "    8 paths:", 8},
		{5, "20", "    32 paths, the first 20:", 20},
		{5, "3", "    32 paths, the first 3:", 3},
		{64, "20", "    more than 18446744073709551615 paths, the first 20:", 20},
	}
	for _, tt := range tests {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "flake.lock"), genlock.Ladder(tt.diamonds), 0o644); err != nil {
			t.Fatal(err)
		}
		g, _, err := loadLock(&env{}, dir)
		if err != nil {
			t.Fatal(err)
		}
		bottom := lockgraph.JoinPath(g.Paths()[bottomKey(t, g)].Canonical)
		code, stdout, stderr := runFlakedup(t, nil, "why", "--limit", tt.limit, bottom, dir)
		if code != exitOK {
			t.Fatalf("ladder %d: exit %d, stderr %q", tt.diamonds, code, stderr)
		}
		lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
		// heading, blank, copy, branch/rev, count, then the paths.
		if len(lines) != 5+tt.lines || lines[4] != tt.count {
			t.Errorf("ladder %d --limit %s: %d lines, count line %q; want %d lines, %q",
				tt.diamonds, tt.limit, len(lines), lines[4], 5+tt.lines, tt.count)
		}
		if want := "      " + bottom; len(lines) > 5 && lines[5] != want {
			t.Errorf("ladder %d: first path %q, want the canonical %q", tt.diamonds, lines[5], want)
		}
	}
}

// bottomKey finds the node of a ladder that the most paths reach.
func bottomKey(t *testing.T, g *lockgraph.Graph) string {
	t.Helper()
	var best string
	var most uint64
	for key, np := range g.Paths() {
		if np.Count > most || (np.Count == most && key < best) {
			best, most = key, np.Count
		}
	}
	return best
}

// TestWhyUsageErrors checks the one-line errors of bad invocations.
func TestWhyUsageErrors(t *testing.T) {
	demo := repoRoot + "/fixtures/demo"
	tests := []struct {
		args    []string
		wantErr string
	}{
		{[]string{"why"}, "flakedup: why needs an input path or a source, e.g. `flakedup why nixpkgs` (see 'flakedup why --help')\n"},
		{[]string{"why", "nixpkgs", demo, "extra"}, "flakedup: why takes an input path or source and one PATH, got 3 arguments\n"},
		{[]string{"why", "--limit", "0", "nixpkgs", demo}, "flakedup: --limit 0: want at least 1\n"},
		{[]string{"why", "--format", "dot", "nixpkgs", demo}, "flakedup: --format \"dot\": want one of text, json\n"},
		{[]string{"why", "nixpkgs", repoRoot + "/fixtures/why"},
			"flakedup: ../../fixtures/why: no flake.nix here (not a flake directory)\n"},
	}
	for _, tt := range tests {
		code, stdout, stderr := runFlakedup(t, nil, tt.args...)
		if code != exitBadUsed || stdout != "" || stderr != tt.wantErr {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 2, stderr %q", tt.args, code, stdout, stderr, tt.wantErr)
		}
	}
}

// TestWhyCorpus asks why of every nixpkgs copy in every corpus flake and
// checks each answer against the graph: every printed path resolves to its
// copy, the canonical path comes first, and the count matches Paths.
func TestWhyCorpus(t *testing.T) {
	locks := testenv.CorpusFiles(t, "flake.lock")
	copies := 0
	for _, lock := range locks {
		g, _, err := loadLock(&env{}, lock)
		if err != nil {
			t.Errorf("%s: %v", lock, err)
			continue
		}
		rep, err := explain(g, lockgraph.Analyze(g), "nixpkgs", defaultWhyLimit)
		if err != nil {
			if err.Error() != `why "nixpkgs": the lock has no copy of nixpkgs` {
				t.Errorf("%s: %v", lock, err)
			}
			continue
		}
		paths := g.Paths()
		for _, src := range rep.Sources {
			for _, c := range src.Copies {
				copies++
				np := paths[c.Key]
				if len(c.Paths) == 0 || lockgraph.JoinPath(c.Paths[0].Path) != lockgraph.JoinPath(np.Canonical) ||
					c.PathCount != np.Count || uint64(len(c.Paths)) > c.PathCount || len(c.Paths) > defaultWhyLimit {
					t.Errorf("%s: %s: %d paths shown of %d", lock, lockgraph.JoinPath(c.Path), len(c.Paths), c.PathCount)
				}
				for _, p := range c.Paths {
					if key, err := g.Resolve(p.Path); err != nil || key != c.Key {
						t.Errorf("%s: path %s resolves to %q (%v), want %q", lock, p.text(), key, err, c.Key)
					}
				}
			}
		}
	}
	t.Logf("corpus: %d flakes, %d nixpkgs copies explained", len(locks), copies)
}
