package lockgraph

import (
	"fmt"
	"slices"
	"strings"

	"github.com/flakedup/flakedup/internal/nixversion"
)

// What a Nix version can lock (see ../shared/NIX-NOTES.md, "Which Nix the
// edits must work on"):
//
//   - before 2.30, overrides deeper than two levels are ignored or fail, so
//     Plan emits none and refuses Policy.Deep;
//   - before 2.18, Nix refuses every lock in which a follows path runs
//     through another follows ("input 'A/C/nixpkgs' follows a non-existent
//     input 'A/B/nixpkgs'" when A/B is itself a follows), so Plan makes no
//     edit after which such a follows exists.

// NixTooOldError is returned by Plan when the Policy asks for something the
// target Nix version cannot lock. Match it with errors.As.
type NixTooOldError struct {
	// Feature names what was asked for, as the command line spells it
	// ("--deep").
	Feature string
	// Needs is the first Nix version that supports it.
	Needs nixversion.Version
	// Target is the version the plan was for.
	Target nixversion.Version
}

// Error reads e.g. "--deep needs Nix >= 2.30 (target is 2.18)".
func (e *NixTooOldError) Error() string {
	return fmt.Sprintf("%s needs Nix >= %s (target is %s)", e.Feature, e.Needs, e.Target)
}

// targetNix is the Nix version p plans for: Policy.Nix, or
// nixversion.Default (2.18) when it is the zero value.
func targetNix(p Policy) nixversion.Version {
	if p.Nix == (nixversion.Version{}) {
		return nixversion.Default
	}
	return p.Nix
}

// throughEdge is a follows edge that Nix before 2.18 cannot lock.
type throughEdge struct {
	// input is the input path of the follows edge.
	input []string
	// follows is its follows path.
	follows []string
	// via is the proper prefix of follows that is itself a follows edge, or
	// nil when follows leads to no input along direct edges at all.
	via []string
}

// String describes the edge the way Nix 2.8's error names it, plus the
// follows it runs through.
func (e throughEdge) String() string {
	s := fmt.Sprintf("input '%s' follows '%s'", JoinPath(e.input), JoinPath(e.follows))
	if e.via != nil {
		return s + " through the follows '" + JoinPath(e.via) + "'"
	}
	return s + ", which is not an input reached by direct edges"
}

// FollowsThroughFollows lists the input paths of the follows edges of g
// that Nix before 2.18 refuses to lock, in depth-first order (inputs
// sorted): those whose follows path is not the path of an input reached
// from the root through direct edges only, typically because a segment
// before its last one is itself a follows. A follows whose last segment is
// a follows (a chain) is fine, as is a follows of the root flake itself
// (follows = ""). A lock for which this returns anything cannot be locked
// by those Nix versions at all.
func FollowsThroughFollows(g *Graph) [][]string {
	var out [][]string
	for _, e := range throughFollows(g) {
		out = append(out, e.input)
	}
	return out
}

// throughFollows does the work of FollowsThroughFollows. It mirrors the
// check Nix before 2.18 runs after locking (LockFile::check): every input
// path reached by walking direct edges from the root, each node once,
// inputs in sorted order, is known; a non-empty follows path must be one of
// them.
func throughFollows(g *Graph) []throughEdge {
	ix := g.index
	if ix == nil {
		ix = indexByHand(g) // a graph built by hand
	}
	root, ok := ix.lookup(g, g.Root)
	if !ok {
		return nil
	}
	return throughFollowsIndexed(g, ix, root)
}

// throughFollowsIndexed is throughFollows on the numbered nodes of g
// (its own index, or one built by hand). The walk's known paths are
// treePath(n) + name for every node n it visits and every input name of
// n, where treePath(n) is the path of n's first visit. So a follows path
// is known exactly when walking it from the root goes, segment by segment,
// along the edge through which the walk first reached each node, and its
// last segment is an input of the node reached. No path is built unless
// it is reported.
func throughFollowsIndexed(g *Graph, ix *nodeIndex, root int) []throughEdge {
	n := len(ix.nodes)
	done := make([]bool, n)
	// parent and via are, per node, the node and input (by its place in
	// the parent's Inputs) of its first visit; -1 for the root and the
	// nodes never visited.
	parent := make([]int32, n)
	via := make([]int32, n)
	for i := range parent {
		parent[i], via[i] = -1, -1
	}
	type followsAt struct{ node, input int }
	var follows []followsAt
	var walk func(i int)
	walk = func(i int) {
		done[i] = true
		for k, edge := range ix.nodes[i].Inputs {
			if edge.IsFollows() {
				follows = append(follows, followsAt{i, k})
				continue
			}
			if t := ix.targets[i][k]; t >= 0 && !done[t] {
				parent[t], via[t] = int32(i), int32(k)
				walk(int(t))
			}
		}
	}
	walk(root)

	known := func(path []string) bool {
		cur := root
		for _, seg := range path[:len(path)-1] {
			k, ok := ix.nodes[cur].Inputs.find(seg)
			if !ok || ix.nodes[cur].Inputs[k].IsFollows() {
				return false
			}
			t := ix.targets[cur][k]
			if t < 0 || parent[t] != int32(cur) || via[t] != int32(k) {
				return false
			}
			cur = int(t)
		}
		_, ok := ix.nodes[cur].Inputs.find(path[len(path)-1])
		return ok
	}
	treePath := func(i int) []string {
		var rev []string
		for i != root {
			rev = append(rev, ix.nodes[parent[i]].Inputs[via[i]].Name)
			i = int(parent[i])
		}
		slices.Reverse(rev)
		return rev
	}
	var out []throughEdge
	for _, f := range follows {
		edge := ix.nodes[f.node].Inputs[f.input]
		if len(edge.Follows) == 0 || known(edge.Follows) {
			continue
		}
		input := append(treePath(f.node), edge.Name)
		out = append(out, throughEdge{input: input, follows: edge.Follows, via: followsPrefix(g, edge.Follows)})
	}
	return out
}

// followsPrefix returns the first proper prefix of path that ends in a
// follows edge when walking direct edges from the root, or nil.
func followsPrefix(g *Graph, path []string) []string {
	key := g.Root
	for i, seg := range path[:len(path)-1] {
		n, ok := g.Nodes[key]
		if !ok {
			return nil
		}
		e, ok := n.Inputs.Get(seg)
		if !ok {
			return nil
		}
		if e.IsFollows() {
			return append([]string(nil), path[:i+1]...)
		}
		key = e.Target
	}
	return nil
}

// inputKey is a map key for an input path; input names never contain NUL.
func inputKey(path []string) string { return strings.Join(path, "\x00") }

// newThroughEdges returns the edges of after (throughFollows of the graph
// after an edit) that Nix before 2.18 refuses and that before (of the graph
// before it) did not already have, compared by input and follows path, so
// that a lock that was already unlockable does not stop every edit.
func newThroughEdges(before, after []throughEdge) []throughEdge {
	old := make(map[string]bool, len(before))
	for _, e := range before {
		old[inputKey(e.input)+"\x01"+inputKey(e.follows)] = true
	}
	var out []throughEdge
	for _, e := range after {
		if !old[inputKey(e.input)+"\x01"+inputKey(e.follows)] {
			out = append(out, e)
		}
	}
	return out
}

// throughMemo keeps throughFollows of the last two graphs it was asked
// about. Graphs are never modified once built, so a graph's answer holds.
type throughMemo struct {
	graphs [2]*Graph
	edges  [2][]throughEdge
	next   int // the slot the next new answer goes to
}

// of returns throughFollows(g), computed once while g is one of the last
// two; a nil memo remembers nothing.
func (m *throughMemo) of(g *Graph) []throughEdge {
	if m == nil {
		return throughFollows(g)
	}
	for i, h := range m.graphs {
		if h == g {
			return m.edges[i]
		}
	}
	e := throughFollows(g)
	m.graphs[m.next], m.edges[m.next] = g, e
	m.next = 1 - m.next
	return e
}
