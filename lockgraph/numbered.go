package lockgraph

import (
	"fmt"
	"strconv"
)

// Predict and the planner work on nodes by number: a 100,000-node lock is
// planned in a few predictions and surveys, and each of them, done with
// string maps keyed by node key (one lookup per edge, a fresh map of every
// key per step), cost about a second. Here the nodes of the graph given are
// numbered once (the index Load built, or the one an earlier prediction
// left), every edge is walked by number, and the result carries an index
// of its own, its nodes numbered in the order NixKeys names them, so that
// the next survey, the next prediction and Analyze of the result start
// from numbers as well.

// numbering is a graph's nodes by number: their keys, the nodes, and per
// node and input (in Inputs order) the number of the input's target.
type numbering struct {
	keys    []string
	nodes   []*Node
	targets [][]int32
	root    int
	// resolved marks targets that hold, for every follows edge, the node
	// its path resolves to: those of an index a graph carries (Load
	// resolves every follows, and so do Predict and Promote before they
	// index their result), not those of one built by hand from Target
	// fields nothing checked.
	resolved bool
}

// numberingOf numbers the nodes of g for predictNumbered: from the index g
// carries (Load's, or a prediction's), else from one built by hand. It
// reports false for a graph that the map-based path handles its own way: a
// node mapped to nil, a direct edge to a key that is not a node, no root.
func numberingOf(g *Graph) (numbering, bool) {
	ix, resolved := g.index, g.index != nil
	if ix == nil {
		for _, n := range g.Nodes {
			if n == nil {
				return numbering{}, false
			}
		}
		ix = indexByHand(g)
	}
	root, ok := ix.lookup(g, g.Root)
	if !ok || len(ix.nodes) != len(g.Nodes) {
		return numbering{}, false
	}
	for i, n := range ix.nodes {
		for k, in := range n.Inputs {
			if !in.IsFollows() && ix.targets[i][k] < 0 {
				return numbering{}, false
			}
		}
	}
	return numbering{keys: ix.keys, nodes: ix.nodes, targets: ix.targets, root: root, resolved: resolved}, true
}

// predictNumbered is predict on a numbered graph: the follows applied (as
// applyFollows does), the nodes named and ordered as NixKeys does, every
// follows resolved (as resolvePath does) and the result built with an index
// in that order (Graph.nixOrder). It also returns, for each node of the
// result, the number in nb of the node it copies.
func predictNumbered(nb numbering, follows []Follows) (*Graph, []int32, error) {
	// over holds the inputs of the nodes an override changed; an override
	// only turns an existing input into a follows, so every other input
	// keeps its place and its target number. It is nil until one does.
	var over []Inputs
	inputsOf := func(i int) Inputs {
		if over != nil && over[i] != nil {
			return over[i]
		}
		return nb.nodes[i].Inputs
	}
	for _, f := range follows {
		if len(f.Input) == 0 {
			return nil, nil, fmt.Errorf("follows %s: the root flake itself cannot follow anything", f)
		}
		node := nb.root
		below := false
		for i, seg := range f.Input[:len(f.Input)-1] {
			ins := inputsOf(node)
			k, ok := ins.find(seg)
			if !ok {
				return nil, nil, fmt.Errorf("follows %s: input '%s' does not exist", f, JoinPath(f.Input[:i+1]))
			}
			if ins[k].IsFollows() {
				below = true // Nix never looks at overrides below a follows.
				break
			}
			node = int(nb.targets[node][k])
		}
		if below {
			continue
		}
		ins := inputsOf(node)
		k, ok := ins.find(f.Input[len(f.Input)-1])
		if !ok {
			continue // Nix silently ignores an override of a missing input.
		}
		target := make([]string, len(f.Target))
		copy(target, f.Target)
		changed := make(Inputs, len(ins))
		copy(changed, ins)
		changed[k] = Input{Name: ins[k].Name, Follows: target}
		if over == nil {
			over = make([]Inputs, len(nb.nodes))
		}
		over[node] = changed
	}

	// Name the nodes as NixKeys does.
	n := len(nb.nodes)
	newNum := make([]int32, n)
	for i := range newNum {
		newNum[i] = -1
	}
	order := make([]int32, 0, n)
	names := make([]string, 0, n)
	// The result's nodes by key are the names taken so far.
	nodeSlab := make([]Node, n)
	byKey := make(map[string]*Node, n)
	// suffixOf numbers the names that clashed; lastSuffix holds, by that
	// number, the last suffix taken for the name, updated in place rather
	// than stored again in the map at every clash (on a big lock most
	// nodes share their name with others).
	suffixOf := make(map[string]int32)
	var lastSuffix []int
	var scratch []byte
	var visit func(name string, i int)
	visit = func(name string, i int) {
		if newNum[i] >= 0 {
			return
		}
		nd := &nodeSlab[len(order)]
		// A name with a suffix recorded is taken: the small map of those
		// answers before the map of every key.
		sx, clashed := suffixOf[name]
		if clashed || !take(byKey, name, nd) {
			base := name
			// base_last is the last suffix taken for base: start after it.
			first := 2
			if clashed {
				first = lastSuffix[sx] + 1
			} else {
				sx = int32(len(lastSuffix))
				suffixOf[base] = sx
				lastSuffix = append(lastSuffix, 0)
			}
			for s := first; ; s++ {
				// Built in scratch and looked up without a copy; a name
				// taken is the node's old key when they agree (a graph
				// predicted before), else a new string.
				scratch = strconv.AppendInt(append(append(scratch[:0], base...), '_'), int64(s), 10)
				if _, ok := byKey[string(scratch)]; ok {
					continue
				}
				name = nb.keys[i]
				if name != string(scratch) {
					name = string(scratch)
				}
				byKey[name], lastSuffix[sx] = nd, s
				break
			}
		}
		newNum[i] = int32(len(order))
		order = append(order, int32(i))
		names = append(names, name)
		for k, e := range inputsOf(i) {
			if !e.IsFollows() {
				visit(e.Name, int(nb.targets[i][k]))
			}
		}
	}
	visit("root", nb.root)

	// resolve is resolvePath by number: every node a path meets is reached
	// from the root through direct edges, so it is named.
	var resolve func(path []string, depth int) (int, error)
	resolve = func(path []string, depth int) (int, error) {
		if depth > maxFollowsDepth {
			return 0, fmt.Errorf("follow cycle detected at '%s'", JoinPath(path))
		}
		cur := nb.root
		for i, seg := range path {
			ins := inputsOf(cur)
			k, ok := ins.find(seg)
			if !ok {
				return 0, fmt.Errorf("input '%s' does not exist", JoinPath(path[:i+1]))
			}
			if ins[k].IsFollows() {
				next, err := resolve(ins[k].Follows, depth+1)
				if err != nil {
					return 0, err
				}
				cur = next
				continue
			}
			cur = int(nb.targets[cur][k])
		}
		return cur, nil
	}

	edges := 0
	for _, i := range order {
		edges += len(inputsOf(int(i)))
	}
	// Fast path: with no override applied (a prediction with no follows,
	// such as the first of a plan, or overrides of missing inputs only),
	// every node keeps the inputs it has in nb, so a follows resolves to
	// the node it resolves to there, which a resolved numbering records:
	// the walk of its path from the root (a binary search per segment)
	// is skipped. TestIndexResolvesFollows checks the index against
	// resolvePath.
	known := over == nil && nb.resolved
	var inSlab slab[Input] // the inputs of the nodes that cannot share theirs
	tgtSlab := make([]int32, edges)
	ix := &nodeIndex{keys: names, nodes: make([]*Node, len(order)), targets: make([][]int32, len(order))}
	out := &Graph{Version: lockVersion, Root: names[0], Nodes: byKey, index: ix, nixOrder: true}
	for j, i := range order {
		ins := inputsOf(int(i))
		nd := &nodeSlab[j]
		*nd = *nb.nodes[i]
		nd.Key, nd.pos = names[j], int32(j)
		t := tgtSlab[:len(ins):len(ins)]
		tgtSlab = tgtSlab[len(ins):]
		same := true // every target keeps its key
		for k, e := range ins {
			to := int(nb.targets[i][k])
			if e.IsFollows() && !(known && to >= 0) {
				var err error
				if to, err = resolve(e.Follows, 0); err != nil {
					path := append(numberedPaths(nb, inputsOf, order)[i], e.Name)
					return nil, nil, fmt.Errorf("input '%s' follows '%s': %w", JoinPath(path), JoinPath(e.Follows), err)
				}
			}
			t[k] = newNum[to]
			same = same && e.Target == names[t[k]]
		}
		// Inputs are never changed in place once a graph is built, so a
		// node whose edges all keep their names and targets (most of
		// them: a prediction renames few nodes) shares its inputs with
		// the node it copies instead of copying them.
		nd.Inputs = ins
		if !same {
			nd.Inputs = inSlab.alloc(len(ins))
			for k, e := range ins {
				nd.Inputs[k] = Input{Name: e.Name, Target: names[t[k]], Follows: e.Follows}
			}
		}
		ix.nodes[j], ix.targets[j] = nd, t
	}
	return out, order, nil
}

// take maps name to n in byKey and reports true, unless name is taken.
func take(byKey map[string]*Node, name string, n *Node) bool {
	if _, ok := byKey[name]; ok {
		return false
	}
	byKey[name] = n
	return true
}

// numberedPaths is inputPaths by number: for each node of order, the input
// path through which a walk of order, edges in input order, first reaches
// it through a direct edge.
func numberedPaths(nb numbering, inputsOf func(int) Inputs, order []int32) map[int32][]string {
	paths := map[int32][]string{int32(nb.root): {}}
	for _, i := range order {
		for k, e := range inputsOf(int(i)) {
			to := nb.targets[i][k]
			if _, seen := paths[to]; !seen && !e.IsFollows() {
				paths[to] = append(append([]string(nil), paths[i]...), e.Name)
			}
		}
	}
	return paths
}

// indexInOrder gives the graph finish built (its nodes fresh copies, keys
// in NixKeys order) the index predictNumbered gives its results.
func indexInOrder(g *Graph, order []string) {
	pos := make(map[string]int32, len(order))
	for i, key := range order {
		pos[key] = int32(i)
	}
	ix := &nodeIndex{keys: order, nodes: make([]*Node, len(order)), targets: make([][]int32, len(order))}
	for i, key := range order {
		n := g.Nodes[key]
		n.pos = int32(i)
		ix.nodes[i] = n
		ix.targets[i] = make([]int32, len(n.Inputs))
		for k, in := range n.Inputs {
			ix.targets[i][k] = -1
			if p, ok := pos[in.Target]; ok {
				ix.targets[i][k] = p
			}
		}
	}
	g.index, g.nixOrder = ix, true
}
