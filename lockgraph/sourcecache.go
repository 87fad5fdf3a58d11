package lockgraph

import (
	"runtime"
	"sync"
)

// A graph's sources and branches, read once. SourceOf and BranchOf are
// pure functions of a node's Original and Locked, and a graph is never
// modified once built, so the source and branch of each node of a graph's
// index are computed once for the graph and shared by Analyze, the
// planner's surveys and copyCounts (which, on a real lock, otherwise call
// SourceOf three times per node and BranchOf twice). A prediction copies
// every node with its attribute sets unchanged (predictNumbered), so its
// table is the table of the graph it was predicted from, looked up through
// the map from the prediction's positions to that graph's: no node's
// source is computed twice along a plan's chain of predictions.

// nodeAttrs is what a node's attribute sets say about it on their own.
// Shared by every reader of a table: never modified.
type nodeAttrs struct {
	source Source // SourceOf the node
	branch Branch // BranchOf the node
}

// readNodeAttrs reads the nodeAttrs of n.
func readNodeAttrs(n *Node) nodeAttrs {
	return nodeAttrs{source: SourceOf(n), branch: BranchOf(n)}
}

// sourceTable is the nodeAttrs of every node of a graph's index, by
// position.
type sourceTable struct {
	// base holds them by position in the index of the graph that computed
	// them.
	base []nodeAttrs
	// at maps each position of this graph's index to its position in base;
	// nil when they are the same.
	at []int32
}

// of returns the nodeAttrs of the node at index position i.
func (t *sourceTable) of(i int) *nodeAttrs {
	if t.at != nil {
		return &t.base[t.at[i]]
	}
	return &t.base[i]
}

// sourceCache is a graph's sourceTable, computed on first use unless the
// graph inherited one when it was built; safe for concurrent use.
type sourceCache struct {
	once  sync.Once
	table *sourceTable
}

// sources returns the table of g's sources by index position, or nil for a
// graph without an index (one built by hand).
func (g *Graph) sources() *sourceTable {
	if g.index == nil {
		return nil
	}
	c := &g.srcCache
	c.once.Do(func() {
		if c.table == nil { // not inherited
			c.table = &sourceTable{base: readSources(g.index.nodes)}
		}
	})
	if c.table == nil {
		// The first reading panicked (a memory fault, see LoadString):
		// read again, uncached, so that this caller gets the same panic
		// rather than a nil table.
		return &sourceTable{base: readSources(g.index.nodes)}
	}
	return c.table
}

// compose returns the table of a graph whose node i copies node at[i] of
// the graph t belongs to.
func (t *sourceTable) compose(at []int32) *sourceTable {
	if t.at == nil {
		return &sourceTable{base: t.base, at: at}
	}
	out := make([]int32, len(at))
	for i, p := range at {
		out[i] = t.at[p]
	}
	return &sourceTable{base: t.base, at: out}
}

// inheritSources makes out's sources those of g: node i of out's index
// copies node at[i] of g's, with the same attribute sets. out must not be
// in use yet, and at must never be modified. g's table is read now if it
// was not yet: out keeps no pointer to g (which would keep every node of a
// graph the plan has moved on from alive as long as out), and a graph is
// predicted from to be looked at, so g's table is needed anyway (Analyze
// reads the lock's, each survey the facts of a prediction's new nodes).
func inheritSources(out, g *Graph, at []int32) {
	if parent := g.sources(); parent != nil {
		out.srcCache.table = parent.compose(at)
	}
}

// readSources reads the nodeAttrs of every node, on every core when there
// are many.
func readSources(nodes []*Node) []nodeAttrs {
	out := make([]nodeAttrs, len(nodes))
	workers := 1
	if len(nodes) >= parallelMin {
		workers = runtime.GOMAXPROCS(0)
	}
	inParallel(len(nodes), 1024, workers, func() func(int) {
		return func(i int) { out[i] = readNodeAttrs(nodes[i]) }
	})
	return out
}

// attrsOf returns the nodeAttrs of a node of g: from g's table when n is
// the node of g's index at its position, else read (into a new value).
func (g *Graph) attrsOf(n *Node) *nodeAttrs {
	if ix := g.index; ix != nil && int(n.pos) < len(ix.nodes) && ix.nodes[n.pos] == n {
		return g.sources().of(int(n.pos))
	}
	a := readNodeAttrs(n)
	return &a
}

// sourceOf is SourceOf(n) for a node of g, from g's table when it has one.
func (g *Graph) sourceOf(n *Node) Source {
	if ix := g.index; ix != nil && int(n.pos) < len(ix.nodes) && ix.nodes[n.pos] == n {
		return g.sources().of(int(n.pos)).source
	}
	return SourceOf(n)
}
