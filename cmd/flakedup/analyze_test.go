package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flakedup/flakedup/internal/testenv"
	"github.com/flakedup/flakedup/lockgraph"
)

var update = flag.Bool("update", false, "rewrite the expected files of golden tests")

// testNow is the clock every analyze test runs on.
const testNow = "2024-12-01T00:00:00Z"

// runFlakedup runs the CLI in-process with a pinned clock and returns the
// exit code, stdout and stderr.
func runFlakedup(t *testing.T, extraEnv map[string]string, args ...string) (int, string, string) {
	t.Helper()
	getenv := func(k string) string {
		if v, ok := extraEnv[k]; ok {
			return v
		}
		if k == nowEnv {
			return testNow
		}
		return ""
	}
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), append([]string{"flakedup"}, args...), strings.NewReader(""), &stdout, &stderr, getenv, noNix)
	return code, stdout.String(), stderr.String()
}

// checkGolden compares got with the file at path, or rewrites the file
// under -update (testenv.Golden).
func checkGolden(t *testing.T, path, got string) {
	t.Helper()
	testenv.Golden(t, path, []byte(got), *update)
}

// TestAnalyzeGolden runs `flakedup analyze` on every case in
// fixtures/analyze and on the demo flake. A case with expected.err must fail
// with exit code 2 and that one line on stderr ($DIR stands for the case
// directory); the others must succeed with expected.txt and expected.json.
// A case's args file holds flags to pass before the PATH (--verbose).
func TestAnalyzeGolden(t *testing.T) {
	dirs, err := filepath.Glob("../../fixtures/analyze/*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no fixtures under ../../fixtures/analyze: %v", err)
	}
	type golden struct{ dir, txt, json string }
	var cases []golden
	for _, d := range dirs {
		cases = append(cases, golden{d, "expected.txt", "expected.json"})
	}
	cases = append(cases, golden{"../../fixtures/demo", "expected-analyze.txt", "expected-analyze.json"})
	for _, c := range cases {
		t.Run(filepath.Base(c.dir), func(t *testing.T) {
			if wantErr, err := os.ReadFile(filepath.Join(c.dir, "expected.err")); err == nil {
				for _, format := range []string{"text", "json"} {
					code, stdout, stderr := runFlakedup(t, nil, "analyze", "--format", format, c.dir)
					if format == formatJSON {
						// The error document replaces the report (errors.go).
						if err := checkErrorDocument(stdout, stderr); err != nil {
							t.Errorf("--format json: %v", err)
						}
						stdout = ""
					}
					stderr = strings.ReplaceAll(stderr, c.dir, "$DIR")
					if code != exitBadUsed || stdout != "" || stderr != string(wantErr) {
						t.Errorf("--format %s: exit %d, stdout %q, stderr %q; want exit 2, no stdout, stderr %q",
							format, code, stdout, stderr, wantErr)
					}
				}
				return
			}
			var flags []string // a case's args: flags given before the PATH
			if text, err := os.ReadFile(filepath.Join(c.dir, "args")); err == nil {
				flags = strings.Fields(string(text))
			}
			code, stdout, stderr := runFlakedup(t, nil, append(append([]string{"analyze"}, flags...), c.dir)...)
			if code != exitOK || stderr != "" {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			checkGolden(t, filepath.Join(c.dir, c.txt), stdout)

			code, stdout, stderr = runFlakedup(t, nil, append(append([]string{"analyze", "--format=json"}, flags...), c.dir)...)
			if code != exitOK || stderr != "" {
				t.Fatalf("json: exit %d, stderr %q", code, stderr)
			}
			if !json.Valid([]byte(stdout)) {
				t.Fatalf("json output does not parse:\n%s", stdout)
			}
			checkGolden(t, filepath.Join(c.dir, c.json), stdout)
		})
	}
}

// TestAnalyzePathForms checks that PATH may name the flake directory or the
// lock file, and that no PATH means the current directory.
func TestAnalyzePathForms(t *testing.T) {
	dir := "../../fixtures/analyze/no-duplicates"
	want, err := os.ReadFile(filepath.Join(dir, "expected.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, arg := range []string{dir, dir + "/", filepath.Join(dir, "flake.lock")} {
		code, stdout, stderr := runFlakedup(t, nil, "analyze", arg)
		if code != exitOK || stdout != string(want) || stderr != "" {
			t.Errorf("analyze %s: exit %d, stderr %q, stdout:\n%s", arg, code, stderr, stdout)
		}
	}
	// No PATH: the current directory, here cmd/flakedup, which has no lock.
	code, stdout, stderr := runFlakedup(t, nil, "analyze")
	wantErr := "flakedup: .: no flake.nix here (not a flake directory)\n"
	if code != exitBadUsed || stdout != "" || stderr != wantErr {
		t.Errorf("analyze with no PATH: exit %d, stdout %q, stderr %q; want %q", code, stdout, stderr, wantErr)
	}
}

// TestAnalyzeUsageErrors checks the one-line errors and exit code 2 of
// bad invocations.
func TestAnalyzeUsageErrors(t *testing.T) {
	dir := "../../fixtures/analyze/no-duplicates"
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		wantErr string
	}{
		{"missing directory", nil, []string{"analyze", "../../fixtures/analyze/does-not-exist"},
			"flakedup: ../../fixtures/analyze/does-not-exist: no such file or directory\n"},
		{"directory without flake.nix or flake.lock", nil, []string{"analyze", "../../fixtures"},
			"flakedup: ../../fixtures: no flake.nix here (not a flake directory)\n"},
		{"flake.nix without a lock", nil, []string{"analyze", "../../fixtures/bad/missing-flake-lock"},
			"flakedup: ../../fixtures/bad/missing-flake-lock/flake.lock: no such file (run `nix flake lock` to create it, or pass the flake directory)\n"},
		{"unknown format", nil, []string{"analyze", "--format", "yaml", dir},
			"flakedup: --format \"yaml\": want one of text, json\n"},
		{"bad clock", map[string]string{nowEnv: "yesterday"}, []string{"analyze", dir},
			"flakedup: FLAKEDUP_NOW=\"yesterday\": want an RFC 3339 time or a YYYY-MM-DD date\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runFlakedup(t, tt.env, tt.args...)
			if code != exitBadUsed || stdout != "" || stderr != tt.wantErr {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 2, stderr %q", code, stdout, stderr, tt.wantErr)
			}
		})
	}
}

func TestAlsoVia(t *testing.T) {
	p := func(s ...string) []string { return s }
	tests := []struct {
		name string
		c    lockgraph.Copy
		want string
	}{
		{"one path", lockgraph.Copy{Path: p("a", "nixpkgs"), PathCount: 1, Samples: [][]string{p("a", "nixpkgs")}}, ""},
		{"two paths, both shown",
			lockgraph.Copy{Path: p("nixpkgs"), PathCount: 2, Samples: [][]string{p("nixpkgs"), p("a", "nixpkgs")}},
			"also via a/nixpkgs"},
		{"more than the sample",
			lockgraph.Copy{Path: p("nixpkgs"), PathCount: 10, Samples: [][]string{p("nixpkgs"), p("a", "nixpkgs"), p("b", "nixpkgs")}},
			"also via a/nixpkgs, b/nixpkgs and 7 more"},
		{"saturated count",
			lockgraph.Copy{Path: p("nixpkgs"), PathCount: 1 << 63, Saturated: true, Samples: [][]string{p("nixpkgs"), p("a", "nixpkgs")}},
			"also via a/nixpkgs and more than can be counted"},
		{"no sample beyond the canonical path",
			lockgraph.Copy{Path: p("nixpkgs"), PathCount: 4, Samples: [][]string{p("nixpkgs")}},
			"also via 3 more paths"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := alsoReached(tt.c); got != tt.want {
				t.Errorf("alsoReached = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRevisionText(t *testing.T) {
	clock := time.Date(2024, 12, 1, 0, 0, 0, 0, time.UTC)
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 12, 0, 0, 0, time.UTC) }
	tests := []struct {
		name string
		c    lockgraph.Copy
		want string
	}{
		{"rev and age", lockgraph.Copy{Rev: "0123456789abcdef0123456789abcdef01234567", LastModified: day(2024, 5, 1)},
			"rev 0123456, 2024-05-01, 213 days old"},
		{"one day", lockgraph.Copy{Rev: "abc", LastModified: day(2024, 11, 29)}, "rev abc, 2024-11-29, 1 day old"},
		{"same day", lockgraph.Copy{Rev: "abc", LastModified: clock}, "rev abc, 2024-12-01, 0 days old"},
		{"in the future: no age", lockgraph.Copy{Rev: "abc", LastModified: day(2025, 1, 1)}, "rev abc, 2025-01-01"},
		{"narHash only", lockgraph.Copy{NarHash: "sha256-ABCDEFGHIJ=", LastModified: day(2024, 11, 1)},
			"narHash sha256-ABCDEFG, 2024-11-01, 29 days old"},
		{"nothing locked", lockgraph.Copy{}, "no rev"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := revisionText(tt.c, clock); got != tt.want {
				t.Errorf("revisionText = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestBranchText checks how each kind of branch is shown.
func TestBranchText(t *testing.T) {
	const rev = "78e34d1667d32d8a0ffc3eba4591ff256e80576e"
	tests := []struct {
		b    lockgraph.Branch
		want string
	}{
		{lockgraph.Branch{Class: "rolling", Ref: "nixos-unstable"}, "branch nixos-unstable"},
		{lockgraph.Branch{Class: "rolling"}, "default branch"},
		{lockgraph.Branch{Class: "pinned:" + rev, Rev: rev}, "pinned to 78e34d1"},
		{lockgraph.Branch{Class: "24.05", Ref: "release-24.05"}, "branch release-24.05"},
		{lockgraph.Branch{Class: "staging", Ref: "staging"}, "branch staging"},
		{lockgraph.Branch{Class: "24.05", Ref: "nixos-24.05"}, "branch nixos-24.05"},
		{lockgraph.Branch{Class: "24.05", Ref: "0.2405.*"}, "branch 0.2405.* (24.05)"},
		{lockgraph.Branch{Class: "rolling", Ref: "nixpkgs-unstable", Version: "0.1"}, "branch nixpkgs-unstable (FlakeHub 0.1)"},
		{lockgraph.Branch{Class: "25.05", Ref: "nixos-25.05", Version: "0.2505.*"}, "branch nixos-25.05 (FlakeHub 0.2505.*)"},
		{lockgraph.Branch{Class: "25.05", Ref: "nixos-25.05", Version: "0.2505.811770+rev-" + rev}, "branch nixos-25.05 (FlakeHub 0.2505.811770)"},
		{lockgraph.Branch{Class: "0.1", Ref: "0.1", Version: "0.1"}, "FlakeHub version 0.1"},
	}
	for _, tt := range tests {
		if got := branchText(tt.b); got != tt.want {
			t.Errorf("branchText(%+v) = %q, want %q", tt.b, got, tt.want)
		}
	}
}

// TestAnalyzeListsWhatItCounts reads analyze's text on every corpus lock
// and the many-copies fixture, with and without --verbose: the nixpkgs
// section comes first and lists exactly the headline's copies (forks
// included) and branches; each section's heading counts its copies; without
// --verbose at most maxShownCopies are listed, and "… and N more" makes up
// the rest.
func TestAnalyzeListsWhatItCounts(t *testing.T) {
	dirs := []string{"../../fixtures/analyze/many-copies", "../../fixtures/demo"}
	for _, lock := range testenv.CorpusFiles(t, "flake.lock") {
		dirs = append(dirs, filepath.Dir(lock))
	}
	headline := regexp.MustCompile(`^nixpkgs: (\d+) cop(?:y|ies), \d+ revisions?, (\d+) branch(?:es)?;`)
	heading := regexp.MustCompile(`^\S.*: (\d+) cop(?:y|ies), \d+ revisions?$`)
	more := regexp.MustCompile(`^  … and (\d+) more \(--verbose\)$`)
	for _, dir := range dirs {
		for _, verbose := range []bool{false, true} {
			args := []string{"analyze", dir}
			if verbose {
				args = []string{"analyze", "--verbose", dir}
			}
			t.Run(filepath.Base(dir)+fmt.Sprint("/verbose=", verbose), func(t *testing.T) {
				code, stdout, _ := runFlakedup(t, nil, args...)
				if code != exitOK {
					t.Fatalf("exit %d", code)
				}
				lines := strings.Split(stdout, "\n")
				m := headline.FindStringSubmatch(lines[0])
				if m == nil {
					if strings.HasPrefix(lines[0], "nixpkgs: no copies") {
						return
					}
					t.Fatalf("headline %q", lines[0])
				}
				wantCopies, _ := strconv.Atoi(m[1])
				wantBranches, _ := strconv.Atoi(m[2])
				type section struct {
					heading       string
					count, listed int
					more          int
					branches      map[string]bool
				}
				var secs []*section
				var cur *section
				for _, l := range lines[2:] {
					switch {
					case heading.MatchString(l) && cur == nil:
						n, _ := strconv.Atoi(heading.FindStringSubmatch(l)[1])
						cur = &section{heading: l, count: n, branches: map[string]bool{}}
						secs = append(secs, cur)
					case l == "":
						cur = nil
					case cur == nil:
					case more.MatchString(l):
						cur.more, _ = strconv.Atoi(more.FindStringSubmatch(l)[1])
					case strings.HasPrefix(l, "    also via "):
					case strings.HasPrefix(l, "    "):
						b, _, _ := strings.Cut(strings.TrimSpace(l), ", rev ")
						b, _, _ = strings.Cut(b, ", narHash ")
						b, _, _ = strings.Cut(b, " (FlakeHub ")
						cur.branches[b] = true
					case strings.HasPrefix(l, "  "):
						cur.listed++
					}
				}
				if len(secs) == 0 {
					t.Fatalf("no section in:\n%s", stdout)
				}
				nix := secs[0]
				if !strings.HasPrefix(nix.heading, "nixpkgs (") && !strings.Contains(nix.heading, "(nixpkgs") {
					t.Errorf("first section %q is not nixpkgs", nix.heading)
				}
				if nix.count != wantCopies {
					t.Errorf("nixpkgs section heading %q counts %d copies, headline %d", nix.heading, nix.count, wantCopies)
				}
				if verbose && len(nix.branches) != wantBranches {
					t.Errorf("nixpkgs section shows %d branches %v, headline %d", len(nix.branches), nix.branches, wantBranches)
				}
				for _, s := range secs {
					if verbose && (s.listed != s.count || s.more != 0) {
						t.Errorf("--verbose: %q lists %d copies (%d more)", s.heading, s.listed, s.more)
					}
					if !verbose && (s.listed > maxShownCopies || s.listed+s.more != s.count ||
						(s.more > 0) != (s.count > maxShownCopies)) {
						t.Errorf("%q lists %d copies and %d more", s.heading, s.listed, s.more)
					}
				}
			})
		}
	}
}

// TestAnalyzePlanningFlags: analyze takes fix's planning flags, and "could
// follow the root" is then what fix would do with them.
func TestAnalyzePlanningFlags(t *testing.T) {
	tests := []struct {
		flags []string
		want  string // the headline
	}{
		{nil, "nixpkgs: 6 copies, 5 revisions, 3 branches; 3 could follow the root"},
		{[]string{"--cross-branch"}, "nixpkgs: 6 copies, 5 revisions, 3 branches; 4 could follow the root"},
		{[]string{"--cross-branch", "--include", "hyprland"}, "nixpkgs: 6 copies, 5 revisions, 3 branches; 5 could follow the root"},
		{[]string{"--ignore", "stylix", "--ignore", "sops-nix"}, "nixpkgs: 6 copies, 5 revisions, 3 branches; 1 could follow the root"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.flags, " "), func(t *testing.T) {
			args := append(append([]string{"analyze"}, tt.flags...), "../../fixtures/demo")
			code, stdout, stderr := runFlakedup(t, nil, args...)
			if code != exitOK || stderr != "" {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			if got, _, _ := strings.Cut(stdout, "\n"); got != tt.want {
				t.Errorf("headline %q, want %q", got, tt.want)
			}
			fixArgs := append(append([]string{"fix", "--dry-run", "--format", "json"}, tt.flags...), "../../fixtures/demo")
			_, fixOut, _ := runFlakedup(t, nil, fixArgs...)
			var doc fixJSON
			if err := json.Unmarshal([]byte(fixOut), &doc); err != nil {
				t.Fatal(err)
			}
			if want := fmt.Sprintf("; %d could follow the root", doc.Counts.CouldFollow); !strings.HasSuffix(tt.want, want) {
				t.Errorf("fix %v: could_follow %d, analyze says %q", tt.flags, doc.Counts.CouldFollow, tt.want)
			}
		})
	}
}
