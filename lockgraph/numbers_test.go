package lockgraph

import (
	"testing"
)

// checkNumbers checks nb against g's Nodes map: every node once, under its
// key, and every edge's target the number of the node Nodes maps the
// edge's Target to (-1 when it maps none).
func checkNumbers(t *testing.T, name string, g *Graph, nb Numbers, wantLen int) {
	t.Helper()
	if nb.Len() != wantLen {
		t.Fatalf("%s: Len() = %d, want %d", name, nb.Len(), wantLen)
	}
	for i := int32(0); int(i) < nb.Len(); i++ {
		n := nb.Node(i)
		if g.Nodes[nb.Key(i)] != n {
			t.Fatalf("%s: node %d is not Nodes[%q]", name, i, nb.Key(i))
		}
		if got, ok := nb.Of(n); !ok || got != i {
			t.Fatalf("%s: Of(node %d) = %d, %v", name, i, got, ok)
		}
		for k, in := range n.Inputs {
			want := int32(-1)
			if target := g.Nodes[in.Target]; target != nil {
				want, _ = nb.Of(target)
			}
			if got := nb.Target(i, k); got != want {
				t.Fatalf("%s: %s's input %s: Target = %d, want %d", name, nb.Key(i), in.Name, got, want)
			}
		}
	}
	if _, ok := nb.Of(&Node{Key: "stranger"}); ok {
		t.Errorf("%s: Of(a node of no graph) reports a number", name)
	}
	if _, ok := nb.Of(nil); ok {
		t.Errorf("%s: Of(nil) reports a number", name)
	}
}

// TestNumbersCorpus checks the numbering of every corpus lock as loaded and
// as predicted (Predict's result carries an index of its own).
func TestNumbersCorpus(t *testing.T) {
	for name, data := range corpusLocks(t) {
		g, err := Load(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		checkNumbers(t, name, g, g.Numbers(), len(g.Nodes))
		pred, err := Predict(g, nil)
		if err != nil {
			t.Fatalf("%s: Predict: %v", name, err)
		}
		checkNumbers(t, name+" (predicted)", pred, pred.Numbers(), len(pred.Nodes))
	}
}

// TestNumbersByHand checks the numbering of a graph built by hand: keys
// mapped to nil are left out, and edges to them or to missing keys have
// no target.
func TestNumbersByHand(t *testing.T) {
	a := &Node{Key: "a", Inputs: NewInputs(Input{Name: "gone", Target: "gone"}, Input{Name: "nil", Target: "nothing"})}
	g := &Graph{Version: 7, Root: "root", Nodes: map[string]*Node{
		"root":    {Key: "root", Inputs: NewInputs(Input{Name: "a", Target: "a"}, Input{Name: "b", Target: "b"})},
		"a":       a,
		"b":       {Key: "b", Inputs: NewInputs(Input{Name: "a", Target: "a", Follows: []string{"a"}})},
		"nothing": nil,
	}}
	nb := g.Numbers()
	checkNumbers(t, "by hand", g, nb, 3)
	if got := []string{nb.Key(0), nb.Key(1), nb.Key(2)}; got[0] != "a" || got[1] != "b" || got[2] != "root" {
		t.Errorf("keys in number order = %q, want [a b root]", got)
	}
	ai, _ := nb.Of(a)
	if got := []int32{nb.Target(ai, 0), nb.Target(ai, 1)}; got[0] != -1 || got[1] != -1 {
		t.Errorf("a's targets = %d, want [-1 -1]", got)
	}
}
