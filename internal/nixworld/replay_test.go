package nixworld

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flakedup/flakedup/internal/testenv"
)

// inexact lists the corpus pairs whose replay cannot match the real lock
// under Nix 2.8, with the number of follows it cannot express. Every other
// pair must replay exactly.
var inexact = map[string]int{
	"0komo__kafein":           1, // through a follows, then depth 3
	"NotAShelf__nyx":          2, // hyprland-plugins/* follow through hyprland-plugins/hyprland
	"fufexan__dotfiles":       2, // the same hyprland-plugins chain
	"khaneliman__khanelinix":  3, // depth-3 overrides
	"wimpysworld__nix-config": 3, // depth-3 overrides of mac-app-util/cl-nix-lite
}

// replayAll replays every corpus pair instead of defaultPairs (about a
// minute more on an idle 2-core machine).
var replayAll = flag.Bool("replay-all", false, "replay every corpus lock, not only the default subset")

// defaultPairs is the corpus subset replayed by default: every inexact
// pair, forks (github and git), a v5 lock, channel, FlakeHub and indirect
// nixpkgs, non-flake file inputs, and many copies at shared revisions.
var defaultPairs = map[string]bool{
	"0komo__kafein": true, "NotAShelf__nyx": true, "fufexan__dotfiles": true,
	"khaneliman__khanelinix": true, "wimpysworld__nix-config": true,
	"ryan4yin__nix-config": true, "Mic92__dotfiles": true, "nrdxp__nixflk": true,
	"DeterminateSystems__fh": true, "007HSingh__NixOS-Niri": true, "0fie__Maika": true,
	"Gerg-L__nixos": true, "pinpox__nixos": true, "input-output-hk__haskell.nix": true,
	"cardano-foundation__cardano-wallet": true, "Mic92__sops-nix": true,
}

// TestReplayCorpus replays real locks of the corpus and locks them with
// each Nix of testenv.Nixes: the replayed lock must have the same input
// paths, follows and flake = false inputs as the real one, except for the
// follows the replay reports as unexpressed (the replay declares what Nix
// 2.8 can lock, so the count is the same on every Nix), and its nixpkgs
// copies must come from the same owner and branch with as many distinct
// revisions.
func TestReplayCorpus(t *testing.T) {
	dir := testenv.CorpusDir(t)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	forEachNix(t, func(t *testing.T, nix testenv.Nix) {
		var exact, total int
		for _, e := range entries {
			name := e.Name()
			if !e.IsDir() || !*replayAll && !defaultPairs[name] {
				continue
			}
			total++
			t.Run(name, func(t *testing.T) {
				lock, err := os.ReadFile(filepath.Join(dir, name, "flake.lock"))
				if err != nil {
					t.Fatal(err)
				}
				w := NewFor(t, nix)
				r, err := ReplayDetailed(w, lock)
				if err != nil {
					t.Fatal(err)
				}
				got, err := w.Lock(r.Root)
				if err != nil {
					t.Fatal(err)
				}
				checkReplay(t, w, lock, got, r)
				if same, _ := SameShape(lock, got); same {
					exact++
				}
				for _, u := range r.Unexpressed {
					t.Log(u)
				}
				if len(r.Unexpressed) != inexact[name] {
					t.Errorf("%d follows unexpressed, want %d", len(r.Unexpressed), inexact[name])
				}
			})
		}
		t.Logf("%s: %d of %d corpus locks replayed exactly", nix, exact, total)
	})
}

// checkReplay compares the replayed lock got with the real lock want.
func checkReplay(t *testing.T, w *World, want, got []byte, r *Replayed) {
	t.Helper()
	fw, err := Flatten(want)
	if err != nil {
		t.Fatal(err)
	}
	fg, err := Flatten(got)
	if err != nil {
		t.Fatal(err)
	}
	unexpressed := map[string]Unexpressed{}
	for _, u := range r.Unexpressed {
		unexpressed[u.Path] = u
	}
	// Input paths, follows and flake flags, path by path.
	for _, p := range sortedKeys(fw, fg) {
		ew, inW := fw[p]
		eg, inG := fg[p]
		if !inW || !inG {
			t.Errorf("%s: in the real lock %v, in the replay %v", p, inW, inG)
			continue
		}
		u, isUnexpressed := unexpressed[p]
		switch {
		case isUnexpressed && u.Declared != "":
			if join(eg.Follows) != u.Declared || !eg.IsFollows() {
				t.Errorf("%s: replayed as %s, want follows %q", p, eg.describe(false), u.Declared)
			}
		case isUnexpressed:
			if eg.IsFollows() || !eg.Flake {
				t.Errorf("%s: replayed as %s, want a stub flake", p, eg.describe(false))
			}
		case !ew.equal(eg, false):
			t.Errorf("%s: real lock %s, replay %s", p, ew.describe(false), eg.describe(false))
		}
	}
	// Nixpkgs copies: same owner (fork or not) and branch, as many revisions.
	revs, origRevs := map[string]bool{}, map[string]bool{}
	copies := 0
	for p, e := range fw {
		src, ok := nixpkgsSource(e)
		if !ok || e.IsFollows() || hasChildren(fw, p) {
			continue
		}
		copies++
		g := fg[p]
		if u := attr(t, g.Original, "url"); u != "file://"+w.Path(src.owner+"/nixpkgs") {
			t.Errorf("%s: replayed from %q, want the fake %s/nixpkgs", p, u, src.owner)
		}
		if ref := attr(t, g.Original, "ref"); ref != src.branch {
			t.Errorf("%s: replayed on ref %q, want %q", p, ref, src.branch)
		}
		revs[attr(t, g.Locked, "url")+"@"+attr(t, g.Locked, "rev")] = true
		origRevs[src.owner+"@"+src.rev] = true
	}
	if len(revs) != len(origRevs) {
		t.Errorf("replayed nixpkgs copies have %d distinct revisions, the real ones %d", len(revs), len(origRevs))
	}
	if copies != r.NixpkgsCopies || len(revs) != r.NixpkgsRevisions {
		t.Errorf("replayed lock has %d nixpkgs copies at %d revisions, replay made %d at %d",
			copies, len(revs), r.NixpkgsCopies, r.NixpkgsRevisions)
	}
}

// hasChildren reports whether input path p has inputs of its own in flat.
func hasChildren(flat map[string]Entry, p string) bool {
	for q := range flat {
		if strings.HasPrefix(q, p+"/") {
			return true
		}
	}
	return false
}

// update rewrites the golden files instead of comparing with them.
var update = flag.Bool("update", false, "rewrite golden files")

// TestReplayGolden replays a hand-written lock that needs every follows
// placement, compares the files written with the golden file, and locks
// the replay with each Nix.
func TestReplayGolden(t *testing.T) {
	dir := "../../fixtures/worlds/replay-follows-placement"
	lock, err := os.ReadFile(filepath.Join(dir, "flake.lock"))
	if err != nil {
		t.Fatal(err)
	}
	w := New(t)
	r, err := ReplayDetailed(w, lock)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	base := filepath.Dir(r.Root)
	err = filepath.WalkDir(base, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		text, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(base, p)
		fmt.Fprintf(&b, "== %s\n%s", filepath.ToSlash(rel), text)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	b.WriteString("== unexpressed\n")
	for _, u := range r.Unexpressed {
		b.WriteString(u.String() + "\n")
	}
	fmt.Fprintf(&b, "== nixpkgs: %d copies, %d revisions, branches %v\n", r.NixpkgsCopies, r.NixpkgsRevisions, r.Branches)
	got := strings.ReplaceAll(b.String(), w.Dir, "<w>")
	testenv.Golden(t, filepath.Join(dir, "replay.golden"), []byte(got), *update)
	if len(r.Unexpressed) != 2 {
		t.Errorf("%d unexpressed follows, want 2", len(r.Unexpressed))
	}
	// The same replay, written again for each Nix, locks as the real lock
	// on each.
	forEachNix(t, func(t *testing.T, nix testenv.Nix) {
		w := NewFor(t, nix)
		r, err := ReplayDetailed(w, lock)
		if err != nil {
			t.Fatal(err)
		}
		locked, err := w.Lock(r.Root)
		if err != nil {
			t.Fatal(err)
		}
		checkReplay(t, w, lock, locked, r)
	})
}
