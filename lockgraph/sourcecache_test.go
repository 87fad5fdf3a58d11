package lockgraph

import (
	"maps"
	"testing"

	"github.com/flakedup/flakedup/internal/genlock"
)

// copyCountsByKey is copyCounts' definition: SourceOf of every node
// NixKeys names.
func copyCountsByKey(g *Graph) map[string]int {
	counts := make(map[string]int)
	order, _ := NixKeys(g)
	for _, key := range order {
		if id := SourceOf(g.Nodes[key]).ID; id != "" {
			counts[id]++
		}
	}
	return counts
}

// checkSources checks g's table of sources and copyCounts against SourceOf.
func checkSources(t *testing.T, name string, g *Graph) {
	t.Helper()
	tab := g.sources()
	if tab == nil {
		t.Fatalf("%s: a graph with an index has no table of sources", name)
	}
	for i, n := range g.index.nodes {
		if got, want := tab.of(i).source, SourceOf(n); got != want {
			t.Fatalf("%s: node %s: table gives %+v, SourceOf %+v", name, n.Key, got, want)
		}
		if got, want := tab.of(i).branch, BranchOf(n); got != want {
			t.Fatalf("%s: node %s: table gives branch %+v, BranchOf %+v", name, n.Key, got, want)
		}
		if got := g.attrsOf(n); got != tab.of(i) {
			t.Fatalf("%s: node %s: attrsOf is not the table's", name, n.Key)
		}
		if got, want := g.sourceOf(n), SourceOf(n); got != want {
			t.Fatalf("%s: node %s: sourceOf gives %+v, SourceOf %+v", name, n.Key, got, want)
		}
	}
	if got, want := copyCounts(g), copyCountsByKey(g); !maps.Equal(got, want) {
		t.Fatalf("%s: copyCounts = %v, want %v", name, got, want)
	}
}

// TestSourceTable checks the sources a graph reads once, and those a
// prediction carries over from the graph it came from, against SourceOf
// on every corpus lock and the generated shapes (the 20,000-node tree
// reads them on every core). Each prediction is made from the one before
// (its table composed with that one's), and all of them are checked.
func TestSourceTable(t *testing.T) {
	locks := corpusLocks(t)
	locks["tree3000"] = genlock.Generate(3_000)
	locks["tree20000"] = genlock.Generate(20_000)
	locks["wide3000"] = genlock.Wide(3_000)
	locks["merged23"] = genlock.Merged(23)
	locks["ladder"] = genlock.Ladder(6)
	for name, data := range locks {
		g, err := Load(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		res, err := Plan(g, nil, Policy{All: true})
		if err != nil {
			t.Fatalf("%s: plan: %v", name, err)
		}
		g, err = Load(data) // one whose table Plan did not read
		if err != nil {
			t.Fatal(err)
		}
		first, _, err := predict(g, nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		second, _, err := predict(first, res.Follows)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		third, _, err := predict(second, nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		checkSources(t, name+" third prediction", third)
		checkSources(t, name+" second prediction", second)
		checkSources(t, name+" first prediction", first)
		checkSources(t, name, g)
		checkSources(t, name+" planned", res.Predicted)
	}
}

// TestSourceOfByHand checks that a graph built by hand, which has no
// index, gets its sources from SourceOf.
func TestSourceOfByHand(t *testing.T) {
	n := &Node{Key: "a", Original: Attrs{{Key: "owner", Raw: `"NixOS"`}, {Key: "repo", Raw: `"nixpkgs"`}, {Key: "type", Raw: `"github"`}}}
	g := &Graph{Version: 7, Root: "root", Nodes: map[string]*Node{
		"root": {Key: "root", Inputs: Inputs{{Name: "nixpkgs", Target: "a"}}},
		"a":    n,
	}}
	if g.sources() != nil {
		t.Fatal("a graph built by hand has a table of sources")
	}
	if got, want := g.sourceOf(n), SourceOf(n); got != want {
		t.Fatalf("sourceOf = %+v, want %+v", got, want)
	}
	if got, want := *g.attrsOf(n), (nodeAttrs{SourceOf(n), BranchOf(n)}); got != want {
		t.Fatalf("attrsOf = %+v, want %+v", got, want)
	}
	if got, want := copyCounts(g), copyCountsByKey(g); !maps.Equal(got, want) {
		t.Fatalf("copyCounts = %v, want %v", got, want)
	}
}
