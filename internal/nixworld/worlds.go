package nixworld

import (
	"fmt"
	"os"
	"path/filepath"
)

// The Build functions below write the named worlds that flakedup's claims
// are checked on. Each writes its root flake into its own directory of w and
// returns that directory, unlocked: the caller runs w.Lock (or flakedup) on
// it. Dependency flakes are git repositories with their own committed
// flake.lock. Building several worlds in one World is fine: dependencies of
// the same name are shared, and every root has its own directory.
//
// Every world uses <w>/NixOS/nixpkgs; a dependency locks its nixpkgs
// before the branch moves on, so that a dependency's copy is an older
// revision than the root's, as in real locks.

// unstable returns NixOS's nixpkgs with at least one nixos-unstable commit.
func unstable(w *World) *Repo { return w.Nixpkgs("NixOS", 1, "nixos-unstable") }

// dep creates the dependency flake rel once per world and returns its URL.
func (w *World) dep(rel string, flakeNix func() string) string {
	w.t.Helper()
	if url, ok := w.flakes[rel]; ok {
		return url
	}
	url := w.FlakeRepo(rel, flakeNix())
	w.flakes[rel] = url
	return url
}

// depWithNixpkgs is a dependency whose only input is nixpkgs at url.
func (w *World) depWithNixpkgs(rel, url string) string {
	return w.dep(rel, func() string {
		return fmt.Sprintf("{\n  inputs.nixpkgs.url = %q;\n  %s\n}\n", url, Outputs("nixpkgs"))
	})
}

// libA is the dependency "A" with its own nixos-unstable nixpkgs, shared by
// the three follows spellings so that their locks can be compared byte for
// byte. After A is locked, nixos-unstable gains a commit.
func libA(w *World) (np *Repo, a string) {
	np = unstable(w)
	if _, ok := w.flakes["lib/A"]; ok {
		return np, w.flakes["lib/A"]
	}
	a = w.depWithNixpkgs("lib/A", np.URL("nixos-unstable"))
	np.Commit("nixos-unstable")
	return np, a
}

// BuildFlat writes a root with inputs nixpkgs and A, and A's nixpkgs
// following the root's, spelled flat inside the inputs block:
// `A.inputs.nixpkgs.follows = "nixpkgs";`. Nix locks one nixpkgs.
func BuildFlat(w *World) (rootDir string) {
	np, a := libA(w)
	return w.Root("flat", fmt.Sprintf(`{
  inputs = {
    nixpkgs.url = %q;
    A.url = %q;
    A.inputs.nixpkgs.follows = "nixpkgs";
  };
  %s
}
`, np.URL("nixos-unstable"), a, Outputs("nixpkgs", "A")))
}

// BuildNested is BuildFlat with the follows nested in A's attribute set:
// `A = { url = ...; inputs.nixpkgs.follows = "nixpkgs"; };`.
func BuildNested(w *World) (rootDir string) {
	np, a := libA(w)
	return w.Root("nested", fmt.Sprintf(`{
  inputs = {
    nixpkgs.url = %q;
    A = {
      url = %q;
      inputs.nixpkgs.follows = "nixpkgs";
    };
  };
  %s
}
`, np.URL("nixos-unstable"), a, Outputs("nixpkgs", "A")))
}

// BuildDotted is BuildFlat with every input written as a top-level dotted
// attribute path: `inputs.A.inputs.nixpkgs.follows = "nixpkgs";`.
func BuildDotted(w *World) (rootDir string) {
	np, a := libA(w)
	return w.Root("dotted", fmt.Sprintf(`{
  inputs.nixpkgs.url = %q;
  inputs.A.url = %q;
  inputs.A.inputs.nixpkgs.follows = "nixpkgs";
  %s
}
`, np.URL("nixos-unstable"), a, Outputs("nixpkgs", "A")))
}

// depth3Deps creates A → B → nixpkgs once per world; nixos-unstable gains
// a commit after B locks it.
func depth3Deps(w *World) (np *Repo, a string) {
	np = unstable(w)
	if a, ok := w.flakes["depth3/A"]; ok {
		return np, a
	}
	b := w.depWithNixpkgs("depth3/B", np.URL("nixos-unstable"))
	a = w.dep("depth3/A", func() string {
		return fmt.Sprintf("{\n  inputs.B.url = %q;\n  %s\n}\n", b, Outputs("B"))
	})
	np.Commit("nixos-unstable")
	return np, a
}

// BuildDepth3 writes root → A → B → nixpkgs with no follows: the root's
// nixpkgs and A/B/nixpkgs, pinned by B's own lock to an older revision.
func BuildDepth3(w *World) (rootDir string) {
	np, a := depth3Deps(w)
	return w.Root("depth3/root", fmt.Sprintf(`{
  inputs.nixpkgs.url = %q;
  inputs.A.url = %q;
  %s
}
`, np.URL("nixos-unstable"), a, Outputs("nixpkgs", "A")))
}

// BuildDeepOverride is BuildDepth3 with the depth-3 override
// `inputs.A.inputs.B.inputs.nixpkgs.follows = "nixpkgs";`, which every Nix
// before 2.30 mishandles (NixOS/nix#5790): 2.8 turns the override of A/B
// into the indirect reference flake:B and fails to find it in the registry.
func BuildDeepOverride(w *World) (rootDir string) {
	np, a := depth3Deps(w)
	return w.Root("deep/root", fmt.Sprintf(`{
  inputs.nixpkgs.url = %q;
  inputs.A.url = %q;
  inputs.A.inputs.B.inputs.nixpkgs.follows = "nixpkgs";
  %s
}
`, np.URL("nixos-unstable"), a, Outputs("nixpkgs", "A")))
}

// BuildRelease writes a root on nixos-unstable with a dependency R that
// uses the release branch nixos-24.05.
func BuildRelease(w *World) (rootDir string) {
	np := w.Nixpkgs("NixOS", 1, "nixos-unstable", "nixos-24.05")
	r := w.depWithNixpkgs("release/R", np.URL("nixos-24.05"))
	return w.Root("release/root", fmt.Sprintf(`{
  inputs.nixpkgs.url = %q;
  inputs.R.url = %q;
  %s
}
`, np.URL("nixos-unstable"), r, Outputs("nixpkgs", "R")))
}

// BuildFork writes a root on NixOS's nixpkgs with a dependency F that uses
// a fork, <w>/someone/nixpkgs.
func BuildFork(w *World) (rootDir string) {
	np := unstable(w)
	fork := w.Nixpkgs("someone", 1, "nixos-unstable")
	f := w.depWithNixpkgs("fork/F", fork.URL("nixos-unstable"))
	return w.Root("fork/root", fmt.Sprintf(`{
  inputs.nixpkgs.url = %q;
  inputs.F.url = %q;
  %s
}
`, np.URL("nixos-unstable"), f, Outputs("nixpkgs", "F")))
}

// BuildNonFlake writes a root with nixpkgs, a non-flake input src
// (flake = false, a plain directory) and a flake in a plain directory, tool
// (a path: input).
func BuildNonFlake(w *World) (rootDir string) {
	np := unstable(w)
	src := w.NonFlake("nonflake/src")
	tool := w.FlakeDir("nonflake/tool", "{ "+Outputs()+" }\n")
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
`, np.URL("nixos-unstable"), src, tool, Outputs("nixpkgs", "src", "tool")))
}

// BuildChain writes a follows chain through a dependency's own follows:
// D declares `inputs.nixpkgs.follows = "E/nixpkgs";` (stored as
// ["D","E","nixpkgs"]), and the root makes X's nixpkgs follow "D/nixpkgs",
// which is itself a follows. Nix 2.8 accepts this (only the last segment
// of the target is a follows) and locks two nixpkgs: the root's and
// D/E/nixpkgs.
func BuildChain(w *World) (rootDir string) {
	np := unstable(w)
	e := w.depWithNixpkgs("chain/E", np.URL("nixos-unstable"))
	d := w.dep("chain/D", func() string {
		return fmt.Sprintf(`{
  inputs.E.url = %q;
  inputs.nixpkgs.follows = "E/nixpkgs";
  %s
}
`, e, Outputs("E", "nixpkgs"))
	})
	x := w.depWithNixpkgs("chain/X", np.URL("nixos-unstable"))
	np.Commit("nixos-unstable")
	return w.Root("chain/root", fmt.Sprintf(`{
  inputs.nixpkgs.url = %q;
  inputs.D.url = %q;
  inputs.X.url = %q;
  inputs.X.inputs.nixpkgs.follows = "D/nixpkgs";
  %s
}
`, np.URL("nixos-unstable"), d, x, Outputs("nixpkgs", "D", "X")))
}

// collapseDeps creates B (with its own nixpkgs) and A (depending on B);
// when aFollowsB, A also declares `inputs.nixpkgs.follows = "B/nixpkgs";`.
func collapseDeps(w *World, prefix string, aFollowsB bool) (np *Repo, a, b string) {
	np = unstable(w)
	b = w.depWithNixpkgs(prefix+"/B", np.URL("nixos-unstable"))
	a = w.dep(prefix+"/A", func() string {
		if aFollowsB {
			return fmt.Sprintf("{\n  inputs.B.url = %q;\n  inputs.nixpkgs.follows = \"B/nixpkgs\";\n  %s\n}\n",
				b, Outputs("B", "nixpkgs"))
		}
		return fmt.Sprintf("{\n  inputs.B.url = %q;\n  %s\n}\n", b, Outputs("B"))
	})
	np.Commit("nixos-unstable")
	return np, a, b
}

// BuildCollapse writes the collapse-the-intermediate trick, the portable
// alternative to a depth-3 override: root → A → B → nixpkgs, the root also
// has B, and declares `inputs.A.inputs.B.follows = "B";` and
// `inputs.B.inputs.nixpkgs.follows = "nixpkgs";`. Nix locks one nixpkgs.
func BuildCollapse(w *World) (rootDir string) {
	np, a, b := collapseDeps(w, "collapse", false)
	return w.Root("collapse/root", fmt.Sprintf(`{
  inputs.nixpkgs.url = %q;
  inputs.A.url = %q;
  inputs.B.url = %q;
  inputs.A.inputs.B.follows = "B";
  inputs.B.inputs.nixpkgs.follows = "nixpkgs";
  %s
}
`, np.URL("nixos-unstable"), a, b, Outputs("nixpkgs", "A", "B")))
}

// BuildCollapseRefused is BuildCollapse where A's own flake.nix declares
// `inputs.nixpkgs.follows = "B/nixpkgs";`: after the collapse that follows
// path runs through the follows A/B, and Nix before 2.18 refuses to lock
// ("input 'A/nixpkgs' follows a non-existent input 'A/B/nixpkgs'").
func BuildCollapseRefused(w *World) (rootDir string) {
	np, a, b := collapseDeps(w, "refused", true)
	return w.Root("refused/root", fmt.Sprintf(`{
  inputs.nixpkgs.url = %q;
  inputs.A.url = %q;
  inputs.B.url = %q;
  inputs.A.inputs.B.follows = "B";
  %s
}
`, np.URL("nixos-unstable"), a, b, Outputs("nixpkgs", "A", "B")))
}

// BuildPromoted writes a promoted intermediate: root → A → B, where B has
// moved on since A locked it, and the root gains input B pinned to the
// revision A's lock had (`B.url = "git+file://...?rev=<A's pin>"`) with
// `inputs.A.inputs.B.follows = "B";`, so nothing changes revision.
func BuildPromoted(w *World) (rootDir string) {
	np, a, _ := collapseDeps(w, "promoted", false)
	pin := w.lockedRev("promoted/A", "B")
	w.CommitFile("promoted/B", "CHANGELOG", "moved on after A locked B\n")
	return w.Root("promoted/root", fmt.Sprintf(`{
  inputs.nixpkgs.url = %q;
  inputs.A.url = %q;
  inputs.B.url = %q;
  inputs.A.inputs.B.follows = "B";
  %s
}
`, np.URL("nixos-unstable"), a, "git+file://"+w.Path("promoted/B")+"?rev="+pin,
		Outputs("nixpkgs", "A", "B")))
}

// lockedRev returns the revision that the committed flake.lock of the flake
// at rel pins for input (an input path like "B" or "B/nixpkgs").
func (w *World) lockedRev(rel, input string) string {
	w.t.Helper()
	lock, err := os.ReadFile(filepath.Join(w.Path(rel), "flake.lock"))
	if err != nil {
		w.t.Fatal(err)
	}
	rev, err := LockedRev(lock, input)
	if err != nil {
		w.t.Fatalf("%s/flake.lock: %v", rel, err)
	}
	return rev
}
