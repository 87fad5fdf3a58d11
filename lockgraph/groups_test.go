package lockgraph

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/flakedup/flakedup/internal/testenv"
)

// analyzeGitHubNode is a github node for hand-written test locks.
func analyzeGitHubNode(owner, repo, ref, rev string, inputs string) string {
	orig := fmt.Sprintf(`"owner":%q,"repo":%q,"type":"github"`, owner, repo)
	if ref != "" {
		orig += fmt.Sprintf(`,"ref":%q`, ref)
	}
	node := fmt.Sprintf(`{"locked":{"lastModified":1714521600,"narHash":"sha256-%s","owner":%q,"repo":%q,"rev":%q,"type":"github"},"original":{%s}`,
		rev, owner, repo, rev, orig)
	if inputs != "" {
		node += `,"inputs":{` + inputs + `}`
	}
	return node + "}"
}

// analyzeLock assembles a version 7 lock whose root has the given inputs.
func analyzeLock(rootInputs string, nodes ...string) string {
	return `{"version":7,"root":"root","nodes":{"root":{"inputs":{` + rootInputs + `}}` +
		strings.Join(append([]string{""}, nodes...), ",") + `}}`
}

// analyzeSummary renders a report compactly: one line for the counts, one per
// group, each copy as path[flags]@shortrev/class, flags d (declared) and f
// (could follow the root), and the path count when above 1.
func analyzeSummary(r Report) string {
	n := r.Nixpkgs
	lines := []string{fmt.Sprintf("nodes=%d nixpkgs=%d revs=%d branches=%d rootDeclared=%v couldFollow=%d",
		r.Nodes, n.Copies, n.Revisions, n.Branches, n.RootDeclared, n.CouldFollowRoot)}
	for _, g := range r.Groups {
		var copies []string
		for _, c := range g.Copies {
			s := JoinPath(c.Path)
			if c.Declared {
				s += "[d]"
			}
			if c.CouldFollowRoot {
				s += "[f]"
			}
			if c.PathCount != 1 {
				s += fmt.Sprintf("x%d", c.PathCount)
			}
			copies = append(copies, s+"@"+c.ShortRev()+"/"+c.Branch.Class)
		}
		lines = append(lines, fmt.Sprintf("%s kind=%s nixpkgs=%v fork=%v revs=%d: %s",
			g.Source.ID, g.Source.Kind, g.Source.Nixpkgs, g.Source.Fork, g.Revisions, strings.Join(copies, " ")))
	}
	return strings.Join(lines, "\n")
}

func TestAnalyze(t *testing.T) {
	tests := []struct {
		name string
		lock string
		want string
	}{
		{"empty root", analyzeLock(``), "nodes=0 nixpkgs=0 revs=0 branches=0 rootDeclared=false couldFollow=0"},
		{"one nixpkgs, followed",
			analyzeLock(`"hm":"hm","nixpkgs":"nixpkgs"`,
				`"hm":`+analyzeGitHubNode("nix-community", "home-manager", "", "1111111111", `"nixpkgs":["nixpkgs"]`),
				`"nixpkgs":`+analyzeGitHubNode("NixOS", "nixpkgs", "nixos-unstable", "aaaaaaaaaa", "")),
			"nodes=2 nixpkgs=1 revs=1 branches=1 rootDeclared=true couldFollow=0"},
		{"copies: declared first, then by path; same rev counted once",
			analyzeLock(`"b":"b","a":"a","nixpkgs":"nixpkgs_3"`,
				`"a":`+analyzeGitHubNode("o", "a", "", "1111111111", `"nixpkgs":"nixpkgs"`),
				`"nixpkgs":`+analyzeGitHubNode("nixos", "nixpkgs", "nixpkgs-unstable", "bbbbbbbbbb", ""),
				`"b":`+analyzeGitHubNode("o", "b", "", "2222222222", `"nixpkgs":"nixpkgs_2"`),
				`"nixpkgs_2":`+analyzeGitHubNode("NixOS", "nixpkgs", "nixos-24.05", "bbbbbbbbbb", ""),
				`"nixpkgs_3":`+analyzeGitHubNode("NixOS", "nixpkgs", "nixos-unstable", "cccccccccc", "")),
			"nodes=5 nixpkgs=3 revs=2 branches=2 rootDeclared=true couldFollow=1\n" +
				"github:nixos/nixpkgs kind=github nixpkgs=true fork=false revs=2: " +
				"nixpkgs[d]@ccccccc/rolling a/nixpkgs[f]@bbbbbbb/rolling b/nixpkgs@bbbbbbb/24.05"},
		{"a fork is its own source and never follows upstream",
			analyzeLock(`"a":"a","nixpkgs":"nixpkgs_2"`,
				`"a":`+analyzeGitHubNode("o", "a", "", "1111111111", `"nixpkgs":"nixpkgs"`),
				`"nixpkgs":`+analyzeGitHubNode("Mic92", "nixpkgs", "nixos-unstable", "dddddddddd", ""),
				`"nixpkgs_2":`+analyzeGitHubNode("NixOS", "nixpkgs", "nixos-unstable", "eeeeeeeeee", "")),
			"nodes=3 nixpkgs=2 revs=2 branches=1 rootDeclared=true couldFollow=0"},
		{"groups: most copies first, then by ID; unreachable nodes ignored",
			analyzeLock(`"x":"x","y":"y"`,
				`"x":`+analyzeGitHubNode("o", "x", "", "1111111111", `"u":"u","s":"s"`),
				`"y":`+analyzeGitHubNode("o", "y", "", "2222222222", `"u":"u_2","s":"s_2","t":"s_3"`),
				`"u":`+analyzeGitHubNode("o", "utils", "", "3333333333", ""),
				`"u_2":`+analyzeGitHubNode("o", "utils", "", "3333333333", ""),
				`"s":`+analyzeGitHubNode("o", "systems", "", "4444444444", ""),
				`"s_2":`+analyzeGitHubNode("o", "systems", "", "5555555555", ""),
				`"s_3":`+analyzeGitHubNode("o", "Systems", "", "5555555555", ""),
				`"stray":`+analyzeGitHubNode("o", "utils", "", "6666666666", "")),
			"nodes=7 nixpkgs=0 revs=0 branches=0 rootDeclared=false couldFollow=0\n" +
				"github:o/systems kind=github nixpkgs=false fork=false revs=2: x/s@4444444/rolling y/s@5555555/rolling y/t@5555555/rolling\n" +
				"github:o/utils kind=github nixpkgs=false fork=false revs=1: x/u@3333333/rolling y/u@3333333/rolling"},
		{"a follows to the root itself is not a copy; follows count as paths",
			analyzeLock(`"a":"a","nixpkgs":"nixpkgs","self-ref":[]`,
				`"a":`+analyzeGitHubNode("o", "a", "", "1111111111", `"parent":[],"nixpkgs":["nixpkgs"]`),
				`"nixpkgs":`+analyzeGitHubNode("NixOS", "nixpkgs", "", "aaaaaaaaaa", "")),
			"nodes=2 nixpkgs=1 revs=1 branches=1 rootDeclared=true couldFollow=0"},
		{"nodes without attributes are never copies of each other",
			analyzeLock(`"a":"a","b":"b"`, `"a":{}`, `"b":{}`),
			"nodes=2 nixpkgs=0 revs=0 branches=0 rootDeclared=false couldFollow=0"},
		{"the root's follows input declares its target",
			analyzeLock(`"a":"a","nixpkgs":["a","nixpkgs"]`,
				`"a":`+analyzeGitHubNode("o", "a", "", "1111111111", `"nixpkgs":"nixpkgs","other":"nixpkgs_2"`),
				`"nixpkgs":`+analyzeGitHubNode("NixOS", "nixpkgs", "nixos-unstable", "aaaaaaaaaa", ""),
				`"nixpkgs_2":`+analyzeGitHubNode("NixOS", "nixpkgs", "nixos-unstable", "bbbbbbbbbb", "")),
			"nodes=3 nixpkgs=2 revs=2 branches=1 rootDeclared=true couldFollow=1\n" +
				"github:nixos/nixpkgs kind=github nixpkgs=true fork=false revs=2: " +
				"nixpkgs[d]x2@aaaaaaa/rolling a/other[f]@bbbbbbb/rolling"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := Load([]byte(tt.lock))
			if err != nil {
				t.Fatalf("Load: %v\n%s", err, tt.lock)
			}
			if got := analyzeSummary(Analyze(g)); got != tt.want {
				t.Errorf("Analyze:\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestCopyDateAndShortRev(t *testing.T) {
	c := Copy{Rev: "0123456789abcdef", LastModified: time.Unix(1714521600, 0).UTC()}
	if got := c.ShortRev(); got != "0123456" {
		t.Errorf("ShortRev = %q", got)
	}
	if got := c.Date(); got != "2024-05-01" {
		t.Errorf("Date = %q", got)
	}
	if got := (Copy{}).Date(); got != "" {
		t.Errorf("zero Date = %q, want empty", got)
	}
}

// analyzeCorpusLock reads one corpus lock; it skips the test when the corpus
// is missing, unless FLAKEDUP_CORPUS is set.
func analyzeCorpusLock(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(testenv.CorpusFile(t, name, "flake.lock"))
	if err != nil {
		t.Fatalf("corpus: %v", err)
	}
	return data
}

// TestAnalyzeCorpus checks Analyze against numbers derived from the real
// locks without flakedup, by this jq program (jq 1.6; `jq -c -f all.jq
// flake.lock`). Nodes are the closure of string edges from the root (Nix
// writes no other node); nixpkgs copies are recognised from original by the
// rules of NIX-NOTES.md; classes come from the ref, the channel in a URL, the
// FlakeHub version, or a pinned rev; could_follow counts undeclared copies
// whose class is that of a copy a root input names by string (no lock here
// declares a nixpkgs only through a root follows, and no fork shares a class
// with an upstream root input); groups use a jq identity close to SourceOf's.
//
//	def reach($n; $r): def s($k): ($k + [$k[] as $x | $n[$x].inputs // {} | .[] | strings] | unique) as $m
//	  | if $m == $k then $k else s($m) end; s([$r]) - [$r];
//	def nix: .original as $o | ($o.type | IN("github","gitlab","sourcehut")) and ($o.repo | ascii_downcase) == "nixpkgs"
//	  or ($o.type | IN("git","hg")) and ($o.url | sub("[?].*";"") | sub("/$";"") | sub("[.]git$";"") | split("/") | last) == "nixpkgs"
//	  or $o.type == "tarball" and ($o.url | test("channels[.]nixos[.]org/|nixos[.]org/channels/|releases[.]nixos[.]org/nixos/|github[.]com/NixOS/nixpkgs/archive/|flakehub[.]com/f/(pinned/)?NixOS/nixpkgs/"; "i"))
//	  or $o.type == "indirect" and ($o.id == "nixpkgs" or (.locked.repo // "" | ascii_downcase) == "nixpkgs");
//	def ref: .original as $o | if $o.ref then $o.ref
//	  elif ($o.url // "" | test("channels[.]nixos[.]org/")) then $o.url | capture("org/(?<c>[^/]+)/").c
//	  elif ($o.url // "" | test("flakehub[.]com/f/NixOS/nixpkgs/")) then $o.url | capture("nixpkgs/(?<v>[^/]+)$").v
//	    | sub("[.]tar[.]gz$";"") | sub("%2A";"*") | if test("^0[.]1") then "nixos-unstable" elif test("^0[.][0-9]{4}") then "nixos-" + .[2:4] + "." + .[4:6] else . end
//	  else null end;
//	def class: ref as $r | (.original.rev // (.original.url // "" | [capture("/archive/(?<h>[0-9a-f]{40})[.]tar[.]gz$")? | .h] | .[0])) as $rev
//	  | if $r == null and $rev then "pinned:" + $rev
//	    elif $r == null or ($r | IN("nixos-unstable","nixos-unstable-small","nixpkgs-unstable","master")) then "rolling"
//	    elif ($r | test("^(nixos-[0-9]{2}[.][0-9]{2}(-small)?|nixpkgs-[0-9]{2}[.][0-9]{2}-darwin|release-[0-9]{2}[.][0-9]{2})$")) then $r | capture("(?<v>[0-9]{2}[.][0-9]{2})").v
//	    else $r end;
//	def ident: .original as $o | if nix and ((.locked.owner // $o.owner // "nixos") | ascii_downcase) == "nixos" then "github:nixos/nixpkgs"
//	  elif $o.type == "indirect" then "github:" + (.locked.owner + "/" + .locked.repo | ascii_downcase)
//	  elif $o.type | IN("github","gitlab") then $o.type + ":" + ($o.owner + "/" + $o.repo | ascii_downcase) + (if $o.dir then "?dir=" + $o.dir else "" end)
//	  elif $o.type | IN("git","hg") then "git+" + ($o.url | sub("[?].*";"") | sub("[.]git$";"") | ascii_downcase)
//	  else $o | tostring end;
//	.nodes as $n | .root as $r | [$n[$r].inputs[] | strings] as $decl | [reach($n; $r)[] as $k | $n[$k] + {k: $k}] as $all
//	| [$all[] | select(nix)] as $nix | [$nix[] | select(.k | IN($decl[])) | class] as $rootClasses
//	| {nodes: ($all | length), copies: ($nix | length), revisions: ([$nix[] | .locked.rev // .locked.narHash] | unique | length),
//	   branches: ([$nix[] | class] | unique | length),
//	   could_follow: ([$nix[] | select((.k | IN($decl[])) | not) | select(class | IN($rootClasses[]))] | length),
//	   groups: ([$all[] | ident] | group_by(.) | map(select(length > 1) | "\(.[0])=\(length)") | sort_by(-(split("=") | last | tonumber)) | join(" "))}
func TestAnalyzeCorpus(t *testing.T) {
	tests := []struct {
		lock                                          string
		nodes, copies, revisions, branches, canFollow int
		groups                                        string // "id=copies ..." most copies first
	}{
		// The largest nixpkgs count: 34 upstream copies on 8 branch classes
		// (20.03 ... 23.05, pinned 215d4d0, rolling); the root's nixpkgs is a
		// follows of its nixpkgs-unstable input.
		{"spikespaz__dotfiles", 150, 34, 29, 8, 22,
			"github:nixos/nixpkgs=34 github:numtide/flake-utils=12 github:nix-systems/default=10 " +
				"github:edolstra/flake-compat=8 github:nix-systems/default-linux=8 github:hyprwm/hyprlang=4 " +
				"github:haskell/cabal=3 github:hyprwm/hyprland-protocols=3 github:hyprwm/xdg-desktop-portal-hyprland=3 " +
				"github:serokell/nixfmt=3 github:spikespaz/bird-nix-lib=3 github:ipetkov/crane=2 " +
				"github:kristapsdz/lowdown=2 github:nix-community/home-manager=2 github:nix-community/nixpkgs.lib=2 " +
				"github:nixos/nix=2 github:nlewo/nix2container=2 github:oxalica/rust-overlay=2"},
		// 208 nodes; nixpkgs via indirect (one locked to a store path) and a
		// GitHub archive tarball pinned to 5daf051 (its own class).
		{"NotAShelf__nyx", 208, 16, 14, 5, 8,
			"github:nixos/nixpkgs=16 github:edolstra/flake-compat=8 github:nix-systems/default-linux=8 " +
				"github:hercules-ci/flake-parts=6 github:numtide/flake-utils=5 github:hyprwm/hyprutils=4 " +
				"github:ipetkov/crane=3 github:nix-systems/default=3 github:hercules-ci/gitignore.nix=2 " +
				"github:hercules-ci/hercules-ci-effects=2 github:hyprwm/hyprland-protocols=2 github:hyprwm/hyprlang=2 " +
				"github:hyprwm/hyprwayland-scanner=2 github:hyprwm/xdg-desktop-portal-hyprland=2 " +
				"github:nix-community/home-manager=2 github:oxalica/rust-overlay=2"},
		// Version 5 lock, indirect nixpkgs only, lastModified in "info".
		{"nrdxp__nixflk", 4, 3, 3, 2, 1, "github:nixos/nixpkgs=3"},
		// haskell.nix's many pinned nixpkgs: 22 copies, 14 branch classes;
		// haskell-language-server has more copies than nixpkgs.
		{"Plutonomicon__plutarch-plutus", 90, 22, 22, 14, 5,
			"github:haskell/haskell-language-server=23 github:nixos/nixpkgs=22 github:haskell/cabal=5 " +
				"github:input-output-hk/hackage.nix=4 github:hercules-ci/flake-parts=3 " +
				"git+https://gitlab.haskell.org/ghc/ghc=2 github:angerman/old-ghc-nix=2 " +
				"github:input-output-hk/cardano-shell=2 github:input-output-hk/flake-compat=2 " +
				"github:input-output-hk/haskell.nix=2 github:input-output-hk/stackage.nix=2 github:phadej/http=2 " +
				"github:sevanspowell/hpc-coveralls=2 github:stable-haskell/iserv-proxy=2"},
		// A fork: ryan4yin/nixpkgs (nixos-unstable-patched) is a nixpkgs copy
		// but not in the upstream group of 6.
		{"ryan4yin__nix-config", 51, 7, 7, 4, 1,
			"github:nixos/nixpkgs=6 github:hercules-ci/flake-parts=4 github:hercules-ci/gitignore.nix=3 " +
				"github:nix-systems/default=3 github:nixos/flake-compat=3 github:cachix/git-hooks.nix=2 " +
				"github:lnl7/nix-darwin=2 github:nix-community/home-manager=2"},
		// The root's nixpkgs is a git fork (github.com/Mic92/nixpkgs, ref main).
		{"Mic92__dotfiles", 52, 1, 1, 1, 0, ""},
		// Channel tarballs (nixos-26.05, nixos-unstable) and two pinned revs.
		{"Gerg-L__nixos", 28, 5, 5, 4, 0,
			"github:nixos/nixpkgs=5 github:nix-systems/default=3 github:hercules-ci/flake-parts=2"},
		// FlakeHub nixpkgs 0.2605 (26.05) and 0 (25.05: the version it is
		// locked to, 0.2505.811770), a channel, and FlakeHub's
		// DeterminateSystems/nixpkgs-weekly 0.1 (rolling), a copy of nixpkgs
		// that the jq program above does not recognise: it counts one copy
		// and one revision fewer.
		{"wimpysworld__nix-config", 64, 8, 8, 5, 2,
			"github:nixos/nixpkgs=7 github:hercules-ci/flake-parts=3 github:nix-systems/default=2 github:numtide/flake-utils=2"},
		// indirect nixpkgs with refs (nixos-25.05, nixos-unstable).
		{"0Supa__dotfiles", 18, 3, 3, 2, 1,
			"github:nix-systems/default=3 github:nixos/nixpkgs=3 github:numtide/flake-utils=2"},
		// indirect nixpkgs locked to a /nix/store path.
		{"0oAstro__NixDots", 57, 7, 7, 2, 5,
			"github:nixos/nixpkgs=7 github:numtide/flake-utils=6 github:edolstra/flake-compat=2 github:nix-community/emacs-overlay=2"},
	}
	for _, tt := range tests {
		t.Run(tt.lock, func(t *testing.T) {
			g, err := Load(analyzeCorpusLock(t, tt.lock))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			r := Analyze(g)
			n := r.Nixpkgs
			if r.Nodes != tt.nodes || n.Copies != tt.copies || n.Revisions != tt.revisions ||
				n.Branches != tt.branches || n.CouldFollowRoot != tt.canFollow {
				t.Errorf("nodes=%d copies=%d revisions=%d branches=%d couldFollow=%d, want %d %d %d %d %d",
					r.Nodes, n.Copies, n.Revisions, n.Branches, n.CouldFollowRoot,
					tt.nodes, tt.copies, tt.revisions, tt.branches, tt.canFollow)
			}
			var groups []string
			for _, grp := range r.Groups {
				groups = append(groups, fmt.Sprintf("%s=%d", grp.Source.ID, len(grp.Copies)))
			}
			if got := strings.Join(groups, " "); got != tt.groups {
				t.Errorf("groups:\n got %s\nwant %s", got, tt.groups)
			}
		})
	}
}

// BenchmarkAnalyze measures Analyze on the largest corpus lock (208 nodes).
func BenchmarkAnalyze(b *testing.B) {
	data, err := os.ReadFile(testenv.CorpusFile(b, "NotAShelf__nyx", "flake.lock"))
	if err != nil {
		b.Fatal(err)
	}
	g, err := Load(data)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		Analyze(g)
	}
}
