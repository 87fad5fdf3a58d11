package lockgraph

import (
	"bytes"
	"fmt"
	"math/rand"
	"reflect"
	"slices"
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
			f := &planFacts{nodeAttrs: &nodeAttrs{source: a.src}, id: pl.ids.of(a.src.ID)}
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

// TestPromoteAllAsOneByOne checks that promoting several inputs with one
// copy and one renaming gives the lock (or the error) that promoting them
// one by one gives, on every shape: promotions of depth-two inputs, and
// lists that fail part way (a name taken, a path that leads nowhere).
func TestPromoteAllAsOneByOne(t *testing.T) {
	oneByOne := func(g *Graph, ps []Promotion) (*Graph, error) {
		var err error
		for _, pr := range ps {
			if g, err = Promote(g, pr.Name, pr.Path); err != nil {
				return nil, err
			}
		}
		return g, nil
	}
	batches := 0
	for name, data := range numberedShapes(t) {
		g := mustLoad(t, data)
		var ps []Promotion
		root := g.Nodes[g.Root]
		for _, a := range root.Inputs {
			if a.IsFollows() || len(ps) == 6 {
				continue
			}
			for _, x := range g.Nodes[a.Target].Inputs {
				if !x.IsFollows() && len(ps) < 6 {
					ps = append(ps, Promotion{Name: "p-" + a.Name + "-" + x.Name, Path: []string{a.Name, x.Name}})
				}
			}
		}
		lists := [][]Promotion{ps}
		if len(ps) > 1 {
			lists = append(lists,
				append(slices.Clone(ps), Promotion{Name: ps[0].Name, Path: ps[1].Path}),
				append(slices.Clone(ps[:1]), Promotion{Name: "nowhere", Path: []string{"no", "such"}}),
				append(slices.Clone(ps[:1]), Promotion{Name: "whole", Path: []string{}}))
		}
		for i, list := range lists {
			want, wantErr := oneByOne(g, list)
			got, gotErr := promoteAll(g, list)
			if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
				t.Fatalf("%s, list %d: error %v, want %v", name, i, gotErr, wantErr)
			}
			if wantErr == nil && !bytes.Equal(Marshal(got), Marshal(want)) {
				t.Fatalf("%s, list %d: promoting together differs from one by one", name, i)
			}
			if len(list) > 1 {
				batches++
			}
		}
	}
	if batches == 0 {
		t.Fatal("no shape with two inputs to promote: nothing checked")
	}
}

// TestPlanLoudRoundsAgree checks that which rounds write the held-back
// copies' reasons changes nothing Plan returns: planning with every round
// terse (the last planned again with its reasons), with every round
// writing them, and as Plan does (from firstLoudRound on) give equal
// results, on every shape and generated lock, under policies that
// promote, go deep, cross branches, add inputs and (for Nix 2.8) reject
// follows and try them again.
func TestPlanLoudRoundsAgree(t *testing.T) {
	v2_8 := nixversion.Version{Major: 2, Minor: 8}
	policies := []Policy{
		{},
		{All: true},
		{All: true, Nix: v2_8},
		{Promote: true, All: true},
		{Promote: true, All: true, Nix: v2_8},
		{Deep: true, All: true, Nix: nixversion.DeepOverrides},
		{CrossBranch: true, AddInputs: true, All: true},
	}
	graphs := map[string]*Graph{}
	for name, data := range numberedShapes(t) {
		graphs[name] = mustLoad(t, data)
	}
	for seed := int64(0); seed < 40; seed++ {
		graphs[fmt.Sprintf("genLock seed %d", seed)] = loadLock(t, genLock(rand.New(rand.NewSource(seed))))
	}
	multiRound, rejected := 0, 0
	for name, g := range graphs {
		for _, p := range policies {
			want, err := plan(g, nil, p, maxPlanRounds)
			for _, loudFrom := range []int{0, firstLoudRound} {
				got, gotErr := plan(g, nil, p, loudFrom)
				if (err == nil) != (gotErr == nil) || err != nil && err.Error() != gotErr.Error() {
					t.Fatalf("%s, policy %+v, loud from round %d: error %v, every round terse: %v", name, p, loudFrom, gotErr, err)
				}
				if err == nil && !reflect.DeepEqual(got, want) {
					t.Fatalf("%s, policy %+v, loud from round %d:\n%s\nevery round terse:\n%s", name, p, loudFrom, renderResult(got), renderResult(want))
				}
			}
			if err == nil && len(want.HeldBack) > 0 && len(want.Follows) > 0 {
				multiRound++
			}
			if err == nil && slices.ContainsFunc(want.HeldBack, func(h HeldBack) bool { return strings.Contains(h.Reason, "would break the lock") }) {
				rejected++
			}
		}
	}
	// Both cases the loud rounds change must have come up: a plan of
	// several rounds with copies held back, and one whose rejected follows
	// held copies back.
	if multiRound == 0 || rejected == 0 {
		t.Fatalf("%d plans of several rounds with copies held back, %d with rejected follows: the inputs do not reach the cases", multiRound, rejected)
	}
	t.Logf("%d plans of several rounds with copies held back, %d with rejected follows", multiRound, rejected)
}
