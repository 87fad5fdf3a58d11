package lockgraph

import (
	"maps"
	"math/rand"
	"reflect"
	"slices"
	"testing"
)

// throughFollowsByPaths is the definition throughFollows must equal: the
// walk of Nix before 2.18 (LockFile::check), which records the input path
// of every edge it passes, each node once, and then asks for each follows
// whether its path is among them.
func throughFollowsByPaths(g *Graph) []throughEdge {
	type edgeAt struct {
		path []string
		edge Input
	}
	known := make(map[string]bool)
	var edges []edgeAt
	done := make(map[string]bool)
	var walk func(key string, prefix []string)
	walk = func(key string, prefix []string) {
		n, ok := g.Nodes[key]
		if !ok || done[key] {
			return
		}
		done[key] = true
		for _, edge := range n.Inputs {
			path := append(append([]string(nil), prefix...), edge.Name)
			known[inputKey(path)] = true
			edges = append(edges, edgeAt{path, edge})
			if !edge.IsFollows() {
				walk(edge.Target, path)
			}
		}
	}
	walk(g.Root, nil)
	var out []throughEdge
	for _, e := range edges {
		if !e.edge.IsFollows() || len(e.edge.Follows) == 0 || known[inputKey(e.edge.Follows)] {
			continue
		}
		out = append(out, throughEdge{input: e.path, follows: e.edge.Follows, via: followsPrefix(g, e.edge.Follows)})
	}
	return out
}

// TestThroughFollowsAsByPaths: on every shape and corpus lock, and on
// each after the follows of followsFor (Plan's, and random ones that make
// follows run through follows), throughFollows reports exactly the edges,
// in exactly the order, that the path-recording walk does, both on the
// numbered index and on one built by hand.
func TestThroughFollowsAsByPaths(t *testing.T) {
	rng := rand.New(rand.NewSource(14))
	checked, reported := 0, 0
	shapes := numberedShapes(t)
	names := slices.Sorted(maps.Keys(shapes)) // the same random follows every run
	for _, name := range names {
		g := mustLoad(t, shapes[name])
		for i, fs := range followsFor(t, g, rng) {
			p, err := Predict(g, fs)
			if err != nil {
				continue
			}
			for _, h := range []*Graph{g, p} {
				if h.index == nil {
					t.Fatalf("%s: a graph from Load or Predict without an index", name)
				}
				want := throughFollowsByPaths(h)
				if got := throughFollows(h); !reflect.DeepEqual(got, want) {
					t.Fatalf("%s, follows list %d: throughFollows = %v, want %v", name, i, got, want)
				}
				// The same graph without its index is indexed by hand.
				byHand := &Graph{Version: h.Version, Root: h.Root, Nodes: h.Nodes}
				if got := throughFollows(byHand); !reflect.DeepEqual(got, want) {
					t.Fatalf("%s, follows list %d, no index: throughFollows = %v, want %v", name, i, got, want)
				}
				checked++
				reported += len(want)
			}
		}
	}
	if reported == 0 {
		t.Fatalf("%d graphs checked and not one follows through a follows: the test shows nothing", checked)
	}
	t.Logf("%d graphs, %d through-follows edges", checked, reported)
}
