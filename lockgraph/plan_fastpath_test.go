package lockgraph

import (
	"strings"
	"testing"

	"github.com/flakedup/flakedup/internal/nixversion"
)

// TestCopyAboveAsCopyAt checks that climbing a copy's parents finds the
// node copyAt finds by walking the path's names, for every copy deeper
// than the depth, on every shape, before and after a plan's edits.
func TestCopyAboveAsCopyAt(t *testing.T) {
	checked := 0
	for name, data := range numberedShapes(t) {
		g := mustLoad(t, data)
		graphs := []*Graph{g}
		if res, err := Plan(g, nil, Policy{All: true}); err == nil {
			graphs = append(graphs, res.Predicted)
		}
		for gi, h := range graphs {
			pl := newPlanner(Policy{All: true}, nixversion.Default, nil)
			sv := pl.survey(h)
			for _, c := range sv.copies {
				for depth := 1; depth < len(c.path); depth++ {
					if got, want := sv.copyAbove(c, depth), sv.copyAt(c.path[:depth]); got != want {
						t.Fatalf("%s, graph %d: copyAbove(%s, %d) = %v, copyAt = %v", name, gi, JoinPath(c.path), depth, got, want)
					}
					checked++
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no copy deeper than one level: nothing checked")
	}
}

// TestCacheOfFactsAsCacheOf checks the per-source answer cacheOfFacts
// gives without substituters against cacheOf of each node's input name
// and source, and that with substituters it still asks by name, on every
// shape plus inputs of the known caches.
func TestCacheOfFactsAsCacheOf(t *testing.T) {
	type ask struct {
		name string
		src  Source
	}
	var asks []ask
	for _, data := range numberedShapes(t) {
		g := mustLoad(t, data)
		for _, n := range g.Nodes {
			for _, in := range n.Inputs {
				if m := g.Nodes[in.Target]; m != nil {
					asks = append(asks, ask{in.Name, SourceOf(m)})
				}
			}
		}
	}
	for _, e := range knownCaches {
		for _, id := range e.sources {
			asks = append(asks, ask{"x", Source{ID: id}}, ask{"hyprland", Source{ID: id}})
		}
		if e.ownerPrefix != "" {
			asks = append(asks, ask{"y", Source{ID: e.ownerPrefix + "cardano-node"}})
		}
	}
	asks = append(asks, ask{"hyprland", Source{ID: "github:someone/hyprland"}}, ask{"z", Source{}})
	hits := 0
	for _, subs := range [][]string{nil, {"https://cache.iog.io https://hyprland.cachix.org", "https://nix-gaming.cachix.org"}} {
		pl := newPlanner(Policy{Substituters: subs}, nixversion.Default, nil)
		for _, a := range asks {
			f := &planFacts{source: a.src, id: pl.ids.of(a.src.ID)}
			want := cacheHit{}
			want.host, want.why = cacheOf(a.name, a.src, substituterHosts(subs))
			if got := pl.cacheOfFacts(a.name, f); got != want {
				t.Fatalf("substituters %q: cacheOfFacts(%q, %s) = %v, want %v", subs, a.name, a.src.ID, got, want)
			}
			if want.host != "" {
				hits++
			}
		}
	}
	if hits == 0 {
		t.Fatal("no input served by a cache: the hits are not checked")
	}
}

// TestPathCat checks pathCat against joining the path and concatenating
// the parts, and that a terse planner writes nothing.
func TestPathCat(t *testing.T) {
	tests := []struct {
		path  []string
		parts []string
		want  string
	}{
		{nil, nil, ""},
		{[]string{}, []string{" stays"}, " stays"},
		{[]string{"a"}, nil, "a"},
		{[]string{"a", "nixpkgs"}, []string{" has ", "x", ""}, "a/nixpkgs has x"},
		{[]string{"a", "", "c"}, []string{"é"}, "a//cé"},
	}
	pl := newPlanner(Policy{}, nixversion.Default, nil)
	for _, tt := range tests {
		got := pl.pathCat(tt.path, tt.parts...)
		if got != tt.want || got != JoinPath(tt.path)+strings.Join(tt.parts, "") {
			t.Errorf("pathCat(%q, %q) = %q, want %q", tt.path, tt.parts, got, tt.want)
		}
		pl.terse = true
		if got := pl.pathCat(tt.path, tt.parts...); got != "" {
			t.Errorf("terse pathCat(%q, %q) = %q, want \"\"", tt.path, tt.parts, got)
		}
		pl.terse = false
	}
}
