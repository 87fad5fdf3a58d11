package e2e

import (
	"bytes"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/flakedup/flakedup/internal/nixworld"
	"github.com/flakedup/flakedup/internal/testenv"
)

// deepCases are the worlds where a copy lies below an intermediate that
// has no root input of its source, so that only an override deeper than
// two levels (fix --deep, Nix 2.30+) removes it.
var deepCases = []struct {
	name          string
	build         func(*nixworld.World) string
	before, after []string // nixpkgs copies before and after the fix
	added         []string // lines fix --deep adds, trimmed
}{
	{
		name: "depth3", build: buildDepth3,
		before: []string{"A/B/nixpkgs", "nixpkgs"}, after: []string{"nixpkgs"},
		added: []string{`inputs.A.inputs.B.inputs.nixpkgs.follows = "nixpkgs";`},
	},
	{
		name: "chain", build: buildChain,
		before: []string{"D/E/nixpkgs", "X/nixpkgs", "nixpkgs"}, after: []string{"nixpkgs"},
		added: []string{
			`inputs.D.inputs.E.inputs.nixpkgs.follows = "nixpkgs";`,
			`inputs.X.inputs.nixpkgs.follows = "nixpkgs";`,
		},
	},
}

// TestDeepOverrides checks fix --deep on the newest Nix of testenv.Nixes
// (skipped below 2.30, failed under FLAKEDUP_NIX when FLAKEDUP_NIX_NEW is
// set): planned for that Nix, the lock fix --lock predicts is accepted by
// nix flake lock --no-update-lock-file, and after fix the lock Nix writes
// is byte for byte the predicted one. Every older Nix of testenv.Nixes
// (bookworm's 2.8) refuses the same flake.nix, as NIX-NOTES.md says of
// every Nix before 2.30 (NixOS/nix#5790).
func TestDeepOverrides(t *testing.T) {
	newest := testenv.NewestNix(t, 2, 30)
	for _, c := range deepCases {
		t.Run(c.name, func(t *testing.T) {
			w := nixworld.NewFor(t, newest)
			mustRun := runWith(w)
			root := c.build(w)
			lock0, err := w.Lock(root)
			if err != nil {
				t.Fatal(err)
			}
			if got := mustCount(t, lock0).Copies; !slices.Equal(got, c.before) {
				t.Fatalf("world: nixpkgs copies %q, want %q", got, c.before)
			}
			fixArgs := []string{"fix", "--deep", "--nix-version", newest.Short(), "--format", "json"}
			fresh := copyFlake(t, root)
			var doc fixDoc
			decode(t, mustRun(t, 0, append(fixArgs, "--lock", fresh)...), &doc)
			if got := addedLines(doc.Diff, w.Dir); !slices.Equal(got, c.added) {
				t.Errorf("fix --deep added %q, want %q\n%s", got, c.added, doc.Diff)
			}
			if len(doc.HeldBack) != 0 || doc.After.Nixpkgs.Copies != len(c.after) {
				t.Errorf("fix --deep: %d copies after, held back %+v; want %d, none",
					doc.After.Nixpkgs.Copies, doc.HeldBack, len(c.after))
			}
			predicted := acceptedLock(t, w, fresh, newest.String())

			mustRun(t, 0, append(fixArgs, root)...)
			patched := readFile(t, filepath.Join(root, "flake.nix"))
			lock1, err := w.Lock(root)
			if err != nil {
				t.Fatalf("%s: nix flake lock after fix --deep: %v", newest, err)
			}
			if got := mustCount(t, lock1).Copies; !slices.Equal(got, c.after) {
				t.Errorf("%s: after fix --deep Nix locks nixpkgs copies %q, want %q", newest, got, c.after)
			}
			if !bytes.Equal(predicted, lock1) {
				_, diff := nixworld.SameLock(predicted, lock1)
				t.Errorf("%s: the lock Nix wrote is not byte for byte the predicted lock:\n%s", newest, diff)
			}

			// Older Nixes refuse the deep override.
			for _, old := range testenv.Nixes(t) {
				if old.AtLeast(2, 30) {
					continue
				}
				ow := nixworld.NewFor(t, old)
				oroot := c.build(ow)
				patchedHere := strings.ReplaceAll(string(patched), w.Dir, ow.Dir)
				ow.Root(strings.TrimPrefix(oroot, ow.Dir+"/"), patchedHere)
				_, err := ow.Lock(oroot)
				const nixSays = "in the flake registries"
				if err == nil || !strings.Contains(err.Error(), nixSays) {
					t.Errorf("%s: nix flake lock of the deep override: %v; want an error containing %q", old, err, nixSays)
				}
			}
		})
	}
}

// deepPairs are the corpus pairs whose replay gets at least one override
// deeper than two levels from fix --deep (found by running it on every
// pair; all 46 passed TestDeepOverridesReplayed's checks).
var deepPairs = []string{
	"NobbZ__nixos-config",
	"NotAShelf__nyx",
	"Plutonomicon__plutarch-plutus",
	"cardano-foundation__cardano-wallet",
	"fufexan__dotfiles",
	"spikespaz__dotfiles",
	"wimpysworld__nix-config",
}

// TestDeepOverridesReplayed is TestDeepOverrides on corpus replays
// (deepPairs): fix --deep planned for the newest Nix adds an override
// deeper than two levels, and that Nix accepts the predicted lock as it is
// and writes it byte for byte after the fix.
func TestDeepOverridesReplayed(t *testing.T) {
	newest := testenv.NewestNix(t, 2, 30)
	dir := testenv.CorpusDir(t)
	for _, name := range deepPairs {
		t.Run(name, func(t *testing.T) {
			w := nixworld.NewFor(t, newest)
			mustRun := runWith(w)
			root, err := nixworld.Replay(w, readFile(t, filepath.Join(dir, name, "flake.lock")))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.Lock(root); err != nil {
				t.Fatal(err)
			}
			fixArgs := []string{"fix", "--deep", "--nix-version", newest.Short(), "--format", "json"}
			fresh := copyFlake(t, root)
			var doc fixDoc
			decode(t, mustRun(t, 0, append(fixArgs, "--lock", fresh)...), &doc)
			deep := 0
			for _, f := range doc.Follows {
				if strings.Count(f.Input, "/") >= 2 {
					deep++
				}
			}
			t.Logf("%d follows, %d deeper than two levels, %d held back", len(doc.Follows), deep, len(doc.HeldBack))
			if deep == 0 {
				t.Errorf("fix --deep added no follows deeper than two levels: %+v", doc.Follows)
			}
			predicted := acceptedLock(t, w, fresh, "")
			mustRun(t, 0, append(fixArgs, root)...)
			lock1, err := w.Lock(root)
			if err != nil {
				t.Fatalf("nix flake lock after fix --deep: %v", err)
			}
			if !bytes.Equal(predicted, lock1) {
				_, diff := nixworld.SameLock(predicted, lock1)
				t.Errorf("the lock %s wrote is not byte for byte the predicted lock:\n%s", newest, diff)
			}
		})
	}
}
