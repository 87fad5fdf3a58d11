package e2e

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/flakedup/flakedup/internal/nixworld"
	"github.com/flakedup/flakedup/internal/testenv"
)

// replayPairs are the corpus pairs replayed: small to medium locks with
// duplicated nixpkgs, a v5 lock (nrdxp__nixflk), FlakeHub nixpkgs
// (DeterminateSystems__fh), and none of the pairs whose follows Nix 2.8
// cannot express (nixworld's inexact list), so that the replay has the
// same copies as the real lock.
var replayPairs = []string{
	"0Supa__dotfiles",
	"0Sycamores__nixos-config",
	"0aids__aids-dotfiles",
	"007HSingh__NixOS-Niri",
	"DeterminateSystems__fh",
	"Frost-Phoenix__nixos-config",
	"Gerg-L__nixos",
	"MatthiasBenaets__nix-config",
	"Misterio77__nix-config",
	"NobbZ__nixos-config",
	"input-output-hk__haskell.nix",
	"nrdxp__nixflk",
	"srid__emanote",
}

// TestReplayCorpus replays real locks with nixworld.Replay and locks the
// replay with each Nix of testenv.Nixes; then:
//   - analyze finds the same nixpkgs copies, revisions and duplicate-group
//     sizes in the replayed lock as in the real one;
//   - fix --nix-version 2.8, then nix flake lock: Nix writes the lock that
//     fix --lock predicted (semantically), with the predicted copy count,
//     and accepts that predicted lock as it is (--no-update-lock-file).
func TestReplayCorpus(t *testing.T) {
	dir := testenv.CorpusDir(t)
	for _, nix := range testenv.Nixes(t) {
		t.Run("nix-"+nix.Version, func(t *testing.T) {
			var summary []string
			for _, name := range replayPairs {
				t.Run(name, func(t *testing.T) {
					line := checkReplay(t, nix, filepath.Join(dir, name, "flake.lock"))
					summary = append(summary, fmt.Sprintf("%-28s %s", name, line))
				})
			}
			t.Logf("%s: nixpkgs copies (revisions) real → replayed, then after fix:\n%s", nix, strings.Join(summary, "\n"))
		})
	}
}

// checkReplay runs TestReplayCorpus's checks on one real lock and returns
// its summary line.
func checkReplay(t *testing.T, nix testenv.Nix, realLock string) string {
	t.Helper()
	lock, err := os.ReadFile(realLock)
	if err != nil {
		t.Fatal(err)
	}
	w := nixworld.NewFor(t, nix)
	mustRun := runWith(w)
	root, err := nixworld.Replay(w, lock)
	if err != nil {
		t.Fatal(err)
	}
	replayed, err := w.Lock(root)
	if err != nil {
		t.Fatal(err)
	}

	var real, got analyzeDoc
	decode(t, mustRun(t, 0, "analyze", "--format", "json", realLock), &real)
	decode(t, mustRun(t, 0, "analyze", "--format", "json", root), &got)
	if real.Nixpkgs != got.Nixpkgs {
		t.Errorf("nixpkgs: real lock %+v, replay %+v", real.Nixpkgs, got.Nixpkgs)
	}
	if r, g := nixpkgsGroupSizes(real), nixpkgsGroupSizes(got); !slices.Equal(r, g) {
		t.Errorf("nixpkgs duplicate groups: real lock %v, replay %v", r, g)
	}
	if c := mustCount(t, replayed); len(c.Copies) != got.Nixpkgs.Copies {
		t.Errorf("analyze counts %d copies in the replay, the lock has %d: %q",
			got.Nixpkgs.Copies, len(c.Copies), c.Copies)
	}

	fixArgs := []string{"fix", "--nix-version", "2.8", "--format", "json"}
	fresh := copyFlake(t, root)
	var doc fixDoc
	decode(t, mustRun(t, 0, append(fixArgs, "--lock", fresh)...), &doc)
	predicted := acceptedLock(t, w, fresh, "")

	mustRun(t, 0, append(fixArgs, root)...)
	after, err := w.Lock(root)
	if err != nil {
		t.Fatalf("nix flake lock after fix: %v", err)
	}
	count := mustCount(t, after)
	if len(count.Copies) != doc.After.Nixpkgs.Copies {
		t.Errorf("after fix Nix locks %d nixpkgs copies, fix predicted %d", len(count.Copies), doc.After.Nixpkgs.Copies)
	}
	if same, diff := nixworld.SameLock(predicted, after); !same {
		t.Errorf("the lock Nix wrote differs from the predicted lock:\n%s", diff)
	}
	return fmt.Sprintf("%d (%d) → %d (%d), fix → %d (%d), %d follows, %d held back, lock bytes identical: %v",
		real.Nixpkgs.Copies, real.Nixpkgs.Revisions, got.Nixpkgs.Copies, got.Nixpkgs.Revisions,
		len(count.Copies), count.Revisions, len(doc.Follows), len(doc.HeldBack), bytes.Equal(predicted, after))
}

// nixpkgsGroupSizes returns the sizes of the nixpkgs duplicate groups in
// output order. The sources of the other groups are local directories in
// a replay, one per input, so only nixpkgs groups can be compared.
func nixpkgsGroupSizes(d analyzeDoc) []int {
	var out []int
	for _, g := range d.Groups {
		if g.Nixpkgs {
			out = append(out, len(g.Copies))
		}
	}
	return out
}
