package lockgraph

// Numbers is the numbering of a graph's nodes that Load, Predict and
// Promote build (0 to Len()-1), with every input edge's target by number,
// for callers that walk a big graph: an edge is followed by indexing a
// slice, not by looking its key up in Graph.Nodes. It is read-only and
// valid as long as the graph is.
type Numbers struct {
	ix *nodeIndex
	// byNode numbers the nodes of a graph built by hand, whose nodes do
	// not carry their number.
	byNode map[*Node]int32
}

// Numbers returns g's numbering. A graph built by hand (in tests) has
// none of its own: it is numbered here, in key order, each call, leaving
// out keys mapped to nil; an edge to such a key, or to a missing one, has
// target -1.
func (g *Graph) Numbers() Numbers {
	if g.index != nil && g.index.pos == nil {
		return Numbers{ix: g.index}
	}
	ix := indexByHand(g)
	byNode := make(map[*Node]int32, len(ix.nodes))
	for i, n := range ix.nodes {
		if _, dup := byNode[n]; !dup {
			byNode[n] = int32(i)
		}
	}
	return Numbers{ix: ix, byNode: byNode}
}

// Len is the number of nodes.
func (nb Numbers) Len() int { return len(nb.ix.nodes) }

// Node returns node i.
func (nb Numbers) Node(i int32) *Node { return nb.ix.nodes[i] }

// Key returns node i's key.
func (nb Numbers) Key(i int32) string { return nb.ix.keys[i] }

// Target returns the number of the node that node i's k-th input (in
// Inputs order) denotes, after every follows, or -1 when it denotes none
// (a follows that does not resolve).
func (nb Numbers) Target(i int32, k int) int32 { return nb.ix.targets[i][k] }

// Of returns n's number, and false when n is not a node of the graph.
func (nb Numbers) Of(n *Node) (int32, bool) {
	if nb.byNode != nil {
		i, ok := nb.byNode[n]
		return i, ok
	}
	if n == nil || int(n.pos) >= len(nb.ix.nodes) || nb.ix.nodes[n.pos] != n {
		return 0, false
	}
	return n.pos, true
}
