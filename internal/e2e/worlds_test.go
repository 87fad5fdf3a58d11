package e2e

import (
	"bytes"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/flakedup/flakedup/internal/nixworld"
	"github.com/flakedup/flakedup/internal/testenv"
)

// The worlds below are the "before" states of nixworld's worlds: the same
// dependencies, with the root flake not yet declaring the follows that
// flakedup fix is expected to add. Each builder returns the unlocked root
// directory.

// withNixpkgsDep creates the dependency flake rel whose only input is
// np's nixos-unstable, locks it, and then moves nixos-unstable on, so the
// dependency's copy is an older revision than the root's.
func withNixpkgsDep(w *nixworld.World, np *nixworld.Repo, rel string) string {
	url := w.FlakeRepo(rel, fmt.Sprintf("{\n  inputs.nixpkgs.url = %q;\n  %s\n}\n",
		np.URL("nixos-unstable"), nixworld.Outputs("nixpkgs")))
	np.Commit("nixos-unstable")
	return url
}

func unstable(w *nixworld.World) *nixworld.Repo { return w.Nixpkgs("NixOS", 1, "nixos-unstable") }

// buildFlat: `inputs = { nixpkgs.url = ...; A.url = ...; };`.
func buildFlat(w *nixworld.World) string {
	np := unstable(w)
	a := withNixpkgsDep(w, np, "lib/A")
	return w.Root("flat", fmt.Sprintf("{\n  inputs = {\n    nixpkgs.url = %q;\n    A.url = %q;\n  };\n  %s\n}\n",
		np.URL("nixos-unstable"), a, nixworld.Outputs("nixpkgs", "A")))
}

// buildNested: `inputs = { nixpkgs.url = ...; A = { url = ...; }; };`.
func buildNested(w *nixworld.World) string {
	np := unstable(w)
	a := withNixpkgsDep(w, np, "lib/A")
	return w.Root("nested", fmt.Sprintf("{\n  inputs = {\n    nixpkgs.url = %q;\n    A = {\n      url = %q;\n    };\n  };\n  %s\n}\n",
		np.URL("nixos-unstable"), a, nixworld.Outputs("nixpkgs", "A")))
}

// buildDotted: `inputs.nixpkgs.url = ...; inputs.A.url = ...;`.
func buildDotted(w *nixworld.World) string {
	np := unstable(w)
	a := withNixpkgsDep(w, np, "lib/A")
	return w.Root("dotted", fmt.Sprintf("{\n  inputs.nixpkgs.url = %q;\n  inputs.A.url = %q;\n  %s\n}\n",
		np.URL("nixos-unstable"), a, nixworld.Outputs("nixpkgs", "A")))
}

// buildDepth3: root → A → B → nixpkgs, the copy three levels deep.
func buildDepth3(w *nixworld.World) string {
	np := unstable(w)
	b := w.FlakeRepo("depth3/B", fmt.Sprintf("{\n  inputs.nixpkgs.url = %q;\n  %s\n}\n",
		np.URL("nixos-unstable"), nixworld.Outputs("nixpkgs")))
	a := w.FlakeRepo("depth3/A", fmt.Sprintf("{\n  inputs.B.url = %q;\n  %s\n}\n", b, nixworld.Outputs("B")))
	np.Commit("nixos-unstable")
	return w.Root("depth3/root", fmt.Sprintf("{\n  inputs.nixpkgs.url = %q;\n  inputs.A.url = %q;\n  %s\n}\n",
		np.URL("nixos-unstable"), a, nixworld.Outputs("nixpkgs", "A")))
}

// buildRelease: a dependency R on nixos-24.05 beside a copy that can follow.
func buildRelease(w *nixworld.World) string {
	np := w.Nixpkgs("NixOS", 1, "nixos-unstable", "nixos-24.05")
	r := w.FlakeRepo("release/R", fmt.Sprintf("{\n  inputs.nixpkgs.url = %q;\n  %s\n}\n",
		np.URL("nixos-24.05"), nixworld.Outputs("nixpkgs")))
	a := withNixpkgsDep(w, np, "release/A")
	return w.Root("release/root", fmt.Sprintf("{\n  inputs.nixpkgs.url = %q;\n  inputs.R.url = %q;\n  inputs.A.url = %q;\n  %s\n}\n",
		np.URL("nixos-unstable"), r, a, nixworld.Outputs("nixpkgs", "R", "A")))
}

// buildFork: a dependency F on a fork, someone/nixpkgs.
func buildFork(w *nixworld.World) string {
	np := unstable(w)
	fork := w.Nixpkgs("someone", 1, "nixos-unstable")
	f := withNixpkgsDep(w, fork, "fork/F")
	return w.Root("fork/root", fmt.Sprintf("{\n  inputs.nixpkgs.url = %q;\n  inputs.F.url = %q;\n  %s\n}\n",
		np.URL("nixos-unstable"), f, nixworld.Outputs("nixpkgs", "F")))
}

// buildNonFlake: a flake = false input src and a plain-directory flake
// tool whose own nixpkgs input is a second copy.
func buildNonFlake(w *nixworld.World) string {
	np := unstable(w)
	src := w.NonFlake("nonflake/src")
	tool := w.FlakeDir("nonflake/tool", fmt.Sprintf("{\n  inputs.nixpkgs.url = %q;\n  %s\n}\n",
		np.URL("nixos-unstable"), nixworld.Outputs("nixpkgs")))
	return w.Root("nonflake/root", fmt.Sprintf(`{
  inputs = {
    nixpkgs.url = %q;
    src = {
      url = %q;
      flake = false;
    };
    tool.url = %q;
  };
  %s
}
`, np.URL("nixos-unstable"), src, tool, nixworld.Outputs("nixpkgs", "src", "tool")))
}

// buildChain: D declares `inputs.nixpkgs.follows = "E/nixpkgs";` (a
// follows in a dependency's own flake.nix), X has its own nixpkgs.
func buildChain(w *nixworld.World) string {
	np := unstable(w)
	e := w.FlakeRepo("chain/E", fmt.Sprintf("{\n  inputs.nixpkgs.url = %q;\n  %s\n}\n",
		np.URL("nixos-unstable"), nixworld.Outputs("nixpkgs")))
	d := w.FlakeRepo("chain/D", fmt.Sprintf("{\n  inputs.E.url = %q;\n  inputs.nixpkgs.follows = \"E/nixpkgs\";\n  %s\n}\n",
		e, nixworld.Outputs("E", "nixpkgs")))
	x := withNixpkgsDep(w, np, "chain/X")
	return w.Root("chain/root", fmt.Sprintf("{\n  inputs.nixpkgs.url = %q;\n  inputs.D.url = %q;\n  inputs.X.url = %q;\n  %s\n}\n",
		np.URL("nixos-unstable"), d, x, nixworld.Outputs("nixpkgs", "D", "X")))
}

// buildAll: besides nixpkgs, A has its own copy of utils, a flake the root
// also uses: only --all collapses it.
func buildAll(w *nixworld.World) string {
	np := unstable(w)
	// A flake without inputs gets no flake.lock from Nix 2.8, so utils
	// has one non-flake input.
	data := w.NonFlake("all/data")
	utils := w.FlakeRepo("all/utils", fmt.Sprintf("{\n  inputs.data = { url = %q; flake = false; };\n  %s\n}\n",
		data, nixworld.Outputs("data")))
	a := w.FlakeRepo("all/A", fmt.Sprintf("{\n  inputs.nixpkgs.url = %q;\n  inputs.utils.url = %q;\n  %s\n}\n",
		np.URL("nixos-unstable"), utils, nixworld.Outputs("nixpkgs", "utils")))
	np.Commit("nixos-unstable")
	w.CommitFile("all/utils", "CHANGELOG", "moved on after A locked utils\n")
	return w.Root("all/root", fmt.Sprintf("{\n  inputs.nixpkgs.url = %q;\n  inputs.utils.url = %q;\n  inputs.A.url = %q;\n  %s\n}\n",
		np.URL("nixos-unstable"), utils, a, nixworld.Outputs("nixpkgs", "utils", "A")))
}

// buildRefused: A declares `inputs.nixpkgs.follows = "B/nixpkgs";` and the
// root also has B. Collapsing A/B into the root's B makes that follows run
// through a follows, which Nix before 2.18 refuses.
func buildRefused(w *nixworld.World) string {
	np := unstable(w)
	b := w.FlakeRepo("refused/B", fmt.Sprintf("{\n  inputs.nixpkgs.url = %q;\n  %s\n}\n",
		np.URL("nixos-unstable"), nixworld.Outputs("nixpkgs")))
	a := w.FlakeRepo("refused/A", fmt.Sprintf("{\n  inputs.B.url = %q;\n  inputs.nixpkgs.follows = \"B/nixpkgs\";\n  %s\n}\n",
		b, nixworld.Outputs("B", "nixpkgs")))
	np.Commit("nixos-unstable")
	return w.Root("refused/root", fmt.Sprintf("{\n  inputs.nixpkgs.url = %q;\n  inputs.A.url = %q;\n  inputs.B.url = %q;\n  %s\n}\n",
		np.URL("nixos-unstable"), a, b, nixworld.Outputs("nixpkgs", "A", "B")))
}

// worldCase is one world and what fix must do to it.
type worldCase struct {
	name  string
	build func(*nixworld.World) string
	args  []string // fix flags besides --nix-version 2.8
	// detect leaves --nix-version out: fix must detect 2.8 from the nix
	// on PATH.
	detect bool
	// before and after are the nixpkgs copies (input paths) of the lock
	// Nix writes before and after the fix.
	before, after []string
	// added are the lines fix adds to flake.nix, trimmed.
	added []string
	// held are the held-back input paths.
	held []string
	// newer, when set, replaces after, added and held from its Nix version
	// on (the oldest version checked to behave so): in a detect case the
	// Nix under test is the target, and a newer one allows other edits;
	// elsewhere the lock a newer Nix writes can change what fix writes.
	newer *newerNix
}

// newerNix is what a detect case expects from a Nix version on.
type newerNix struct {
	major, minor       int
	after, added, held []string
}

// forNix returns c as it applies to the Nix under test.
func (c worldCase) forNix(nix testenv.Nix) worldCase {
	if n := c.newer; n != nil && nix.AtLeast(n.major, n.minor) {
		c.after, c.added, c.held = n.after, n.added, n.held
	}
	return c
}

var worldCases = []worldCase{
	{
		name: "flat", build: buildFlat,
		before: []string{"A/nixpkgs", "nixpkgs"}, after: []string{"nixpkgs"},
		added: []string{`A.inputs.nixpkgs.follows = "nixpkgs";`},
	},
	{
		name: "nested", build: buildNested,
		before: []string{"A/nixpkgs", "nixpkgs"}, after: []string{"nixpkgs"},
		added: []string{`inputs.nixpkgs.follows = "nixpkgs";`},
	},
	{
		name: "dotted", build: buildDotted,
		before: []string{"A/nixpkgs", "nixpkgs"}, after: []string{"nixpkgs"},
		added: []string{`inputs.A.inputs.nixpkgs.follows = "nixpkgs";`},
	},
	{
		name: "depth3", build: buildDepth3,
		before: []string{"A/B/nixpkgs", "nixpkgs"}, after: []string{"A/B/nixpkgs", "nixpkgs"},
		held: []string{"A/B/nixpkgs: A/B/nixpkgs is below A/B, which has no root input of its source: needs --promote, or --deep with Nix ≥ 2.30"},
	},
	{
		name: "promote", build: buildDepth3, args: []string{"--promote"},
		before: []string{"A/B/nixpkgs", "nixpkgs"}, after: []string{"nixpkgs"},
		added: []string{
			`inputs.A.inputs.B.follows = "B";`,
			`inputs.B.url = "git+file://$W/depth3/B?ref=main&rev=$REV"; # added by flakedup: pinned to the locked revision`,
			`inputs.B.inputs.nixpkgs.follows = "nixpkgs";`,
		},
		// Nix 2.26 and 2.34 lock a git input declared without a ref (A's B)
		// with "ref": "refs/heads/main" where 2.8 writes "main"; --promote
		// pins the locked ref, and every Nix locks the result as predicted.
		newer: &newerNix{major: 2, minor: 26, after: []string{"nixpkgs"}, added: []string{
			`inputs.A.inputs.B.follows = "B";`,
			`inputs.B.url = "git+file://$W/depth3/B?ref=refs%2Fheads%2Fmain&rev=$REV"; # added by flakedup: pinned to the locked revision`,
			`inputs.B.inputs.nixpkgs.follows = "nixpkgs";`,
		}},
	},
	{
		name: "release", build: buildRelease,
		before: []string{"A/nixpkgs", "R/nixpkgs", "nixpkgs"}, after: []string{"R/nixpkgs", "nixpkgs"},
		added: []string{`inputs.A.inputs.nixpkgs.follows = "nixpkgs";`},
		held:  []string{"R/nixpkgs: R/nixpkgs is on nixos-24.05, which no root input tracks: --cross-branch makes it follow nixpkgs (nixos-unstable)"},
	},
	{
		name: "fork", build: buildFork,
		before: []string{"F/nixpkgs", "nixpkgs"}, after: []string{"F/nixpkgs", "nixpkgs"},
		held: []string{"F/nixpkgs: F/nixpkgs is a fork (git+file://$W/someone/nixpkgs): --cross-branch makes it follow nixpkgs"},
	},
	{
		name: "non-flake", build: buildNonFlake,
		before: []string{"nixpkgs", "tool/nixpkgs"}, after: []string{"nixpkgs"},
		added: []string{`tool.inputs.nixpkgs.follows = "nixpkgs";`},
	},
	{
		name: "chain", build: buildChain,
		before: []string{"D/E/nixpkgs", "X/nixpkgs", "nixpkgs"}, after: []string{"D/E/nixpkgs", "nixpkgs"},
		added: []string{`inputs.X.inputs.nixpkgs.follows = "nixpkgs";`},
		held:  []string{"D/E/nixpkgs: D/E/nixpkgs is below D/E, which has no root input of its source: needs --promote, or --deep with Nix ≥ 2.30"},
	},
	{
		name: "all", build: buildAll, args: []string{"--all"},
		before: []string{"A/nixpkgs", "nixpkgs"}, after: []string{"nixpkgs"},
		added: []string{`inputs.A.inputs.nixpkgs.follows = "nixpkgs";`, `inputs.A.inputs.utils.follows = "utils";`},
	},
	{
		name: "refused-on-2.8", build: buildRefused, detect: true,
		// On 2.8 the collapse of A/B is only safe once A's own follows
		// "B/nixpkgs" is overridden, so that no follows runs through A/B.
		before: []string{"A/B/nixpkgs", "B/nixpkgs", "nixpkgs"}, after: []string{"nixpkgs"},
		added: []string{
			`inputs.A.inputs.nixpkgs.follows = "nixpkgs";`,
			`inputs.A.inputs.B.follows = "B";`,
			`inputs.B.inputs.nixpkgs.follows = "nixpkgs";`,
		},
		// From 2.18 on the collapse alone is locked (A's own follows then
		// runs through the follows A/B), so fix plans the two edits.
		newer: &newerNix{major: 2, minor: 18, after: []string{"nixpkgs"}, added: []string{
			`inputs.A.inputs.B.follows = "B";`,
			`inputs.B.inputs.nixpkgs.follows = "nixpkgs";`,
		}},
	},
}

// TestWorlds runs, on every world locked by each Nix of testenv.Nixes
// (the system's 2.8, and FLAKEDUP_NIX_NEW's):
//   - analyze --format json: copies and revisions as counted from the lock;
//   - fix --lock on a fresh copy: Nix accepts the predicted lock as it is
//     (nix flake lock --no-update-lock-file exits 0 and leaves it alone);
//   - fix, then nix flake lock: the copy count fix predicted, and the lock
//     Nix writes is the predicted lock (semantically; bytes are reported);
//   - a second fix changes nothing.
//
// The edits are planned for 2.8 (--nix-version 2.8), except in the detect
// cases, where fix asks the Nix under test: edits planned for 2.8 must
// lock the same on a newer Nix.
func TestWorlds(t *testing.T) {
	for _, nix := range testenv.Nixes(t) {
		t.Run("nix-"+nix.Version, func(t *testing.T) {
			var summary []string
			for _, c := range worldCases {
				t.Run(c.name, func(t *testing.T) {
					w := nixworld.NewFor(t, nix)
					root := c.build(w)
					before, after, same := checkWorld(t, w, root, c.forNix(nix))
					summary = append(summary, fmt.Sprintf("%-15s nixpkgs %d → %d, lock byte-identical to prediction: %v",
						c.name, before, after, same))
				})
			}
			t.Logf("%s summary:\n%s", nix, strings.Join(summary, "\n"))
		})
	}
}

// runWith returns a mustRun for the binary that finds w's Nix first on
// PATH (for its nix --version detection).
func runWith(w *nixworld.World) func(t *testing.T, want int, args ...string) result {
	return func(t *testing.T, want int, args ...string) result {
		t.Helper()
		r := flakedupWith(t, runOpts{env: []string{w.Nix.PathEnv()}}, args...)
		if r.code != want {
			t.Fatalf("flakedup %s (%s): exit %d, want %d\nstdout:\n%s\nstderr:\n%s",
				strings.Join(args, " "), w.Nix, r.code, want, r.stdout, r.stderr)
		}
		return r
	}
}

// checkWorld runs the checks of TestWorlds on one world and returns the
// nixpkgs copies Nix locks before and after the fix, and whether the lock
// Nix wrote after the fix is byte-identical to the predicted one.
func checkWorld(t *testing.T, w *nixworld.World, root string, c worldCase) (before, after int, sameBytes bool) {
	t.Helper()
	mustRun := runWith(w)
	lock0, err := w.Lock(root)
	if err != nil {
		t.Fatal(err)
	}
	count0 := mustCount(t, lock0)
	if !slices.Equal(count0.Copies, c.before) {
		t.Fatalf("world: nixpkgs copies %q, want %q", count0.Copies, c.before)
	}
	var an analyzeDoc
	decode(t, mustRun(t, 0, "analyze", "--format", "json", root), &an)
	if an.Nixpkgs.Copies != len(count0.Copies) || an.Nixpkgs.Revisions != count0.Revisions {
		t.Errorf("analyze: %d copies, %d revisions; the lock has %d, %d",
			an.Nixpkgs.Copies, an.Nixpkgs.Revisions, len(count0.Copies), count0.Revisions)
	}

	fixArgs := append([]string{"fix", "--nix-version", "2.8", "--format", "json"}, c.args...)
	wantSource, wantTarget := "--nix-version", "2.8"
	if c.detect {
		fixArgs = append([]string{"fix", "--format", "json"}, c.args...)
		wantSource, wantTarget = "nix --version", w.Nix.Short()
	}

	// The predicted lock, written by fix --lock into a fresh copy, is what
	// Nix itself derives from the patched flake.nix.
	fresh := copyFlake(t, root)
	var predictedDoc fixDoc
	decode(t, mustRun(t, 0, append(fixArgs, "--lock", fresh)...), &predictedDoc)
	predicted := acceptedLock(t, w, fresh, "")

	// fix, then let Nix lock.
	nixBefore := readFile(t, filepath.Join(root, "flake.nix"))
	var doc fixDoc
	decode(t, mustRun(t, 0, append(fixArgs, root)...), &doc)
	if doc.NixVersion.Target != wantTarget || doc.NixVersion.Source != wantSource {
		t.Errorf("nix_version %+v, want %s from %s", doc.NixVersion, wantTarget, wantSource)
	}
	if doc.Before.Nixpkgs.Copies != len(c.before) || doc.After.Nixpkgs.Copies != len(c.after) {
		t.Errorf("fix: nixpkgs %d → %d, want %d → %d", doc.Before.Nixpkgs.Copies, doc.After.Nixpkgs.Copies,
			len(c.before), len(c.after))
	}
	if got := addedLines(doc.Diff, w.Dir); !slices.Equal(got, c.added) {
		t.Errorf("fix added %q, want %q\n%s", got, c.added, doc.Diff)
	}
	var held []string
	for _, h := range doc.HeldBack {
		reason := h.Input + ": " + strings.ReplaceAll(h.Reason, w.Dir, "$W")
		if h.NeedsNix != "" {
			reason += " (needs Nix " + h.NeedsNix + ")"
		}
		held = append(held, reason)
	}
	if !slices.Equal(held, c.held) {
		t.Errorf("held back %q, want %q", held, c.held)
	}
	lock1, err := w.Lock(root)
	if err != nil {
		t.Fatalf("nix flake lock after fix: %v\nflake.nix:\n%s", err, readFile(t, filepath.Join(root, "flake.nix")))
	}
	count1 := mustCount(t, lock1)
	if !slices.Equal(count1.Copies, c.after) {
		t.Errorf("after fix Nix locks nixpkgs copies %q, want %q", count1.Copies, c.after)
	}
	if same, diff := nixworld.SameLock(predicted, lock1); !same {
		t.Errorf("the lock Nix wrote differs from the predicted lock:\n%s", diff)
	}
	sameBytes = bytes.Equal(predicted, lock1)
	if len(c.added) > 0 && bytes.Equal(nixBefore, readFile(t, filepath.Join(root, "flake.nix"))) {
		t.Errorf("fix left flake.nix unchanged")
	}

	// A second fix changes nothing.
	nix1 := readFile(t, filepath.Join(root, "flake.nix"))
	var again fixDoc
	decode(t, mustRun(t, 0, append(fixArgs, root)...), &again)
	if len(again.Follows) != 0 || again.Diff != "" || len(again.Written) != 0 {
		t.Errorf("second fix: follows %v, written %v, diff:\n%s", again.Follows, again.Written, again.Diff)
	}
	if !bytes.Equal(nix1, readFile(t, filepath.Join(root, "flake.nix"))) ||
		!bytes.Equal(lock1, readFile(t, filepath.Join(root, "flake.lock"))) {
		t.Errorf("second fix modified flake.nix or flake.lock")
	}
	return len(count0.Copies), len(count1.Copies), sameBytes
}

// revParam matches the revision pinned in a flake reference.
var revParam = regexp.MustCompile(`rev=[0-9a-f]{40}`)

// addedLines returns the added lines of a unified diff, trimmed, with the
// world directory written $W and pinned revisions $REV.
func addedLines(diff, worldDir string) []string {
	var out []string
	for _, l := range strings.Split(diff, "\n") {
		if strings.HasPrefix(l, "+") && !strings.HasPrefix(l, "+++") {
			l = strings.ReplaceAll(strings.TrimSpace(l[1:]), worldDir, "$W")
			out = append(out, revParam.ReplaceAllString(l, "rev=$$REV"))
		}
	}
	return out
}

func mustCount(t *testing.T, lock []byte) Count {
	t.Helper()
	c, err := NixpkgsCount(lock)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestNixVersionDetected: without --nix-version, fix asks the nix on PATH
// (each Nix of testenv.Nixes, first on PATH in turn) and says so, in text
// and in JSON.
func TestNixVersionDetected(t *testing.T) {
	for _, nix := range testenv.Nixes(t) {
		t.Run("nix-"+nix.Version, func(t *testing.T) {
			w := nixworld.NewFor(t, nix)
			mustRun := runWith(w)
			root := buildFlat(w)
			if _, err := w.Lock(root); err != nil {
				t.Fatal(err)
			}
			text := mustRun(t, 0, "fix", "--dry-run", root)
			if want := "\ntarget: Nix " + nix.Short() + " (nix --version)\n"; !strings.Contains(text.stdout, want) {
				t.Errorf("fix does not report the detected Nix %s (%q):\n%s", nix.Short(), want, text.stdout)
			}
			var doc fixDoc
			decode(t, mustRun(t, 0, "fix", "--dry-run", "--format", "json", root), &doc)
			if doc.NixVersion.Target != nix.Short() || doc.NixVersion.Source != "nix --version" {
				t.Errorf("nix_version %+v, want {%s nix --version}", doc.NixVersion, nix.Short())
			}
		})
	}
}

// TestCollapseRefusedByNix28: planned for Nix 2.18, fix collapses A/B into
// the root's B and leaves A's own follows "B/nixpkgs" running through it;
// Nix 2.8 refuses that lock, and Nix 2.18 and newer lock it with the one
// nixpkgs fix predicted. (Planned for 2.8, TestWorlds/refused-on-2.8 shows
// the edits 2.8 accepts.)
func TestCollapseRefusedByNix28(t *testing.T) {
	for _, nix := range testenv.Nixes(t) {
		t.Run("nix-"+nix.Version, func(t *testing.T) {
			w := nixworld.NewFor(t, nix)
			mustRun := runWith(w)
			root := buildRefused(w)
			if _, err := w.Lock(root); err != nil {
				t.Fatal(err)
			}
			fresh := copyFlake(t, root)
			var doc fixDoc
			decode(t, mustRun(t, 0, "fix", "--nix-version", "2.18", "--format", "json", "--lock", fresh), &doc)
			want := []string{`inputs.A.inputs.B.follows = "B";`, `inputs.B.inputs.nixpkgs.follows = "nixpkgs";`}
			if got := addedLines(doc.Diff, w.Dir); !slices.Equal(got, want) {
				t.Fatalf("fix --nix-version 2.18 added %q, want %q", got, want)
			}
			if doc.After.Nixpkgs.Copies != 1 {
				t.Errorf("fix --nix-version 2.18 predicts %d copies, want 1", doc.After.Nixpkgs.Copies)
			}
			mustRun(t, 0, "fix", "--nix-version", "2.18", root)
			lock, err := w.Lock(root)
			if !nix.AtLeast(2, 18) {
				const nixSays = "error: input 'A/nixpkgs' follows a non-existent input 'A/B/nixpkgs'"
				if err == nil || !strings.Contains(err.Error(), nixSays) {
					t.Fatalf("nix flake lock: %v; want Nix %s to refuse with %q", err, nix.Version, nixSays)
				}
				return
			}
			if err != nil {
				t.Fatalf("nix flake lock: %v; want Nix %s to lock the collapse", err, nix.Version)
			}
			if c := mustCount(t, lock); !slices.Equal(c.Copies, []string{"nixpkgs"}) {
				t.Errorf("Nix %s locks nixpkgs copies %q, want [nixpkgs]", nix.Version, c.Copies)
			}
			if same, diff := nixworld.SameLock(readFile(t, filepath.Join(fresh, "flake.lock")), lock); !same {
				t.Errorf("the lock Nix %s wrote differs from the predicted lock:\n%s", nix.Version, diff)
			}
		})
	}
}
