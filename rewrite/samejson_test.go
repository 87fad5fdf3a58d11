package rewrite

import (
	"fmt"
	"testing"
)

// TestSameJSON checks sameJSON against comparing the JSON texts, on
// constants that print alike and trees that differ in one place.
func TestSameJSON(t *testing.T) {
	leaf := func(v any) *attrNode { return &attrNode{value: v} }
	set := func(kv ...any) *attrNode {
		n := &attrNode{attrs: map[string]*attrNode{}}
		for i := 0; i < len(kv); i += 2 {
			n.attrs[kv[i].(string)] = kv[i+1].(*attrNode)
		}
		return n
	}
	tests := []struct {
		name string
		a, b *attrNode
	}{
		{"equal strings", leaf("x"), leaf("x")},
		{"other strings", leaf("x"), leaf("y")},
		{"int and float alike", leaf(int64(1)), leaf(float64(1))},
		{"floats printed alike", leaf(0.1234567), leaf(0.1234568)},
		{"null and empty set", leaf(nil), set()},
		{"empty sets", set(), set()},
		{"one name each", set("a", leaf("x")), set("b", leaf("x"))},
		{"names escaped alike", set("\xff", leaf("x")), set("\ufffd", leaf("x"))},
		{"deep difference", set("a", set("b", leaf("x"), "c", leaf(true))), set("a", set("b", leaf("x"), "c", leaf(false)))},
		{"deep equal", set("a", set("b", leaf("x"), "c", leaf(true))), set("a", set("b", leaf("x"), "c", leaf(true)))},
		{"more names", set("a", leaf("x")), set("a", leaf("x"), "b", leaf("y"))},
	}
	for _, tt := range tests {
		want := jsonText(tt.a) == jsonText(tt.b)
		if got := sameJSON(tt.a, tt.b); got != want {
			t.Errorf("%s: sameJSON = %v, JSON texts %s and %s", tt.name, got, jsonText(tt.a), jsonText(tt.b))
		}
	}
}

// TestSameJSONCorpus checks sameJSON against the JSON texts on the inputs
// of every fixture and corpus flake.nix, each against itself and against a
// copy with one follows added under every root input in turn.
func TestSameJSONCorpus(t *testing.T) {
	for file, src := range batchSources(t) {
		f, err := Parse("flake.nix", src)
		if err != nil {
			continue
		}
		in, err := f.Inputs()
		if err != nil {
			continue
		}
		if !sameJSON(in.root, in.root.clone()) {
			t.Errorf("%s: not the same as its copy", file)
		}
		for i, n := range in.Names() {
			other := in.root.clone()
			other.set(fmt.Sprint("t", i%2), n, "inputs", "nixpkgs", "follows")
			if got, want := sameJSON(in.root, other), jsonText(in.root) == jsonText(other); got != want {
				t.Errorf("%s: follows under %s: sameJSON = %v, want %v", file, n, got, want)
			}
		}
	}
}

// TestExpectFollows checks expectFollows against a clone given each
// edit's expect, on batchEdits' lists (and a new input among follows) for
// every fixture and corpus flake.nix, and that it leaves the tree it
// starts from as it was.
func TestExpectFollows(t *testing.T) {
	for file, src := range batchSources(t) {
		f, err := Parse("flake.nix", src)
		if err != nil {
			continue
		}
		in, err := f.Inputs()
		if err != nil {
			continue
		}
		before := jsonText(in.root)
		lists := batchEdits(in, uint64(len(src)))
		lists = append(lists, append(append([]Edit(nil), lists[0]...), AddInput{Name: "x", URL: "github:o/x"}))
		for i, edits := range lists {
			want := in.root.clone()
			for _, e := range edits {
				e.expect(want)
			}
			if got := expectFollows(in.root, edits); jsonText(got) != jsonText(want) {
				t.Errorf("%s, list %d: expectFollows\n%s\nwant\n%s", file, i, jsonText(got), jsonText(want))
			}
			if jsonText(in.root) != before {
				t.Fatalf("%s, list %d: expectFollows changed the tree it started from", file, i)
			}
		}
	}
}
