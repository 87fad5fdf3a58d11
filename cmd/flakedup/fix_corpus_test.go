package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flakedup/flakedup/internal/testenv"
	"github.com/flakedup/flakedup/lockgraph"
	"github.com/flakedup/flakedup/rewrite"
)

// TestFixCorpus runs `flakedup fix` on a copy of every corpus pair and
// checks, for each: the patched flake.nix parses (flakedup's parser and,
// where available, Nix's), Nix's evaluation of its inputs holds every
// planned follows, the copy count fix reports afterwards is the count of
// the lock it predicts (and writes with --lock), and a second run proposes
// nothing. It logs the corpus totals: nixpkgs copies before → after, and
// the floor (one copy per source and branch class).
func TestFixCorpus(t *testing.T) {
	var before, after, floor, follows, flakes int
	for _, lock := range testenv.CorpusFiles(t, "flake.lock") {
		src := filepath.Dir(lock)
		name := filepath.Base(src)
		t.Run(name, func(t *testing.T) {
			dir := copyFlake(t, src)
			code, js, stderr := runFlakedup(t, nil, "fix", "--lock", "--nix-version", "2.18", "--format", "json", dir)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var doc struct {
				Follows []struct{ Input, Follows string }
				Before  struct{ Nixpkgs struct{ Copies int } }
				After   struct{ Nixpkgs struct{ Copies int } }
			}
			if err := json.Unmarshal([]byte(js), &doc); err != nil {
				t.Fatal(err)
			}
			patched, _ := os.ReadFile(filepath.Join(dir, "flake.nix"))
			f, err := rewrite.Parse("flake.nix", patched)
			if err != nil {
				t.Fatalf("patched flake.nix does not parse: %v", err)
			}
			if _, err := f.Inputs(); err != nil {
				t.Fatalf("patched flake.nix inputs: %v", err)
			}
			lock, _ := os.ReadFile(filepath.Join(dir, "flake.lock"))
			g, err := lockgraph.Load(lock)
			if err != nil {
				t.Fatalf("written lock does not load: %v", err)
			}
			rep := lockgraph.Analyze(g)
			if rep.Nixpkgs.Copies != doc.After.Nixpkgs.Copies {
				t.Errorf("fix reports %d copies after, the lock it wrote has %d", doc.After.Nixpkgs.Copies, rep.Nixpkgs.Copies)
			}
			checkNixSeesFollows(t, dir, doc.Follows)
			code, again, stderr := runFlakedup(t, nil, "fix", "--dry-run", "--nix-version", "2.18", "--format", "json", dir)
			if code != exitOK || !strings.Contains(again, `"follows": [],`) || !strings.Contains(again, `"diff": "",`) {
				t.Errorf("second run proposes something (exit %d, %s):\n%s", code, stderr, again)
			}

			orig, _ := os.ReadFile(filepath.Join(src, "flake.lock"))
			og, _ := lockgraph.Load(orig)
			classes := map[string]bool{}
			for _, key := range og.Reachable() {
				n := og.Nodes[key]
				if s := lockgraph.SourceOf(n); s.Nixpkgs {
					classes[s.ID+" "+lockgraph.BranchOf(n).Class] = true
				}
			}
			before += doc.Before.Nixpkgs.Copies
			after += doc.After.Nixpkgs.Copies
			floor += len(classes)
			follows += len(doc.Follows)
			flakes++
		})
	}
	t.Logf("corpus: %d flakes, nixpkgs copies %d → %d with %d follows (floor: %d, one per source and branch class)",
		flakes, before, after, follows, floor)
}
