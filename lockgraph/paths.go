package lockgraph

import (
	"container/heap"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
)

// A node's identity is the input path that reaches it from the root, never
// its key. The functions here walk the resolved edges of a Graph.
//
// Cycles: Nix never writes a cycle of direct edges (Load rejects one), but a
// follows can point back up the tree: to the root (`follows = ""`, stored as
// []) or to an ancestor (real locks do it: nix/git-hooks-nix/flake-compat
// following "nix"). Such an edge is a back edge of the depth-first walk from
// the root that takes inputs in sorted byte order: its target is on the
// walk's current path. Every edge to the root is one. Back edges are not
// traversed (going round them would give infinitely many paths), so every
// path here is finite and every count exact. The walk depends only on input
// names and the shape of the graph, never on node keys.

// NodePaths describes the input paths from the root that reach one node.
type NodePaths struct {
	// Canonical is the shortest input path reaching the node, ties broken
	// by comparing segments in byte order.
	Canonical []string
	// Count is the number of distinct input paths reaching the node,
	// follows edges counting as edges. It stops at math.MaxUint64.
	Count uint64
	// Saturated is true when the true count is larger than Count can hold.
	Saturated bool
}

// JoinPath writes an input path the way flake.nix follows do: "a/b/c", and
// "" for the root.
func JoinPath(p []string) string { return strings.Join(p, "/") }

// PathString is JoinPath, as a method for callers holding a Graph.
func (g *Graph) PathString(p []string) string { return JoinPath(p) }

// Resolve returns the key of the node the input path denotes; the empty
// path denotes the root.
func (g *Graph) Resolve(path []string) (string, error) {
	cur := g.Root
	for i, seg := range path {
		n, ok := g.Nodes[cur]
		if !ok {
			return "", fmt.Errorf("input path %q: %q leads to node %q, which does not exist",
				JoinPath(path), JoinPath(path[:i]), cur)
		}
		in, ok := n.Inputs[seg]
		if !ok {
			return "", fmt.Errorf("input path %q leads nowhere: node %q has no input %q", JoinPath(path), cur, seg)
		}
		cur = in.Target
	}
	if _, ok := g.Nodes[cur]; !ok {
		return "", fmt.Errorf("input path %q leads to node %q, which does not exist", JoinPath(path), cur)
	}
	return cur, nil
}

// Reachable returns the keys of the nodes reachable from the root, root
// excluded, in byte order.
func (g *Graph) Reachable() []string {
	d := g.walk()
	keys := make([]string, 0, len(d.keys))
	for i, key := range d.keys {
		if i != 0 {
			keys = append(keys, key)
		}
	}
	sort.Strings(keys)
	return keys
}

// Paths returns, for every node reachable from the root (the root
// excluded), its canonical path and how many paths reach it. Follows edges
// count as edges; back edges (an edge to the root, such as a `[]` follows,
// or to an ancestor, see above) are not traversed, so the paths through
// them are not counted. The counts come from one pass over the graph in
// topological order, so a lock with 2^60 paths costs no more than its
// number of edges.
func (g *Graph) Paths() map[string]NodePaths {
	d := g.walk()
	n := len(d.keys)
	if n == 0 {
		return map[string]NodePaths{}
	}
	count := make([]uint64, n)
	saturated := make([]bool, n)
	count[0] = 1
	for _, u := range d.topo {
		for _, e := range d.edges[u] {
			sum := count[e.to] + count[u]
			if sum < count[e.to] { // overflow
				sum, saturated[e.to] = math.MaxUint64, true
			}
			count[e.to] = sum
			saturated[e.to] = saturated[e.to] || saturated[u]
		}
	}
	canonical := d.canonical()
	out := make(map[string]NodePaths, n-1)
	for i := 1; i < n; i++ {
		out[d.keys[i]] = NodePaths{Canonical: canonical[i], Count: count[i], Saturated: saturated[i]}
	}
	return out
}

// SamplePaths returns up to limit distinct input paths reaching the node
// with the given key: the canonical path first, then the others shortest
// first, equal lengths in segment-wise byte order. The work is bounded by
// limit times the path length times the fan-out, however many paths exist.
// It returns nil for a key that is not reachable and [[]] for the root.
func (g *Graph) SamplePaths(key string, limit int) [][]string {
	d := g.walk()
	target, ok := d.index[key]
	if !ok || limit <= 0 {
		return nil
	}
	if target == 0 {
		return [][]string{{}}
	}
	dist := d.distancesTo(target)
	q := &pathQueue{{node: 0, path: []string{}, estimate: dist[0]}}
	var out [][]string
	for q.Len() > 0 && len(out) < limit {
		it := heap.Pop(q).(pathItem)
		if it.node == target {
			out = append(out, it.path)
			continue
		}
		for _, e := range d.edges[it.node] {
			rest, reaches := dist[e.to]
			if !reaches {
				continue
			}
			path := append(slices.Clip(it.path), e.name)
			heap.Push(q, pathItem{node: e.to, path: path, estimate: len(path) + rest})
		}
	}
	return out
}

// dag is the part of a Graph reachable from the root, with nodes numbered
// in depth-first discovery order (the root is 0) and back edges left out.
type dag struct {
	keys    []string
	index   map[string]int
	edges   [][]dagEdge // per node, in input-name order
	reverse [][]int     // per node, the nodes with an edge to it
	topo    []int       // every node, each before the nodes its edges reach
}

type dagEdge struct {
	name string
	to   int
}

// walk returns the graph's depth-first walk, computing it on first use.
func (g *Graph) walk() *dag {
	g.walkOnce.Do(func() { g.walked = g.newWalk() })
	return g.walked
}

// newWalk runs the iterative depth-first search from the root, inputs in
// sorted byte order, that defines back edges. Edges to keys missing from
// Nodes are skipped.
func (g *Graph) newWalk() *dag {
	d := &dag{index: make(map[string]int, len(g.Nodes))}
	if _, ok := g.Nodes[g.Root]; !ok {
		return d
	}
	// Size every buffer for the whole graph up front: on a big lock,
	// growing them by appending would allocate (and clear) each twice over.
	edges := 0
	for _, n := range g.Nodes {
		edges += len(n.Inputs)
	}
	// outEdge is an input of a node on the stack: its name and target.
	type outEdge struct{ name, target string }
	type frame struct {
		node int
		out  []outEdge // sorted by name
		next int
	}
	type flatEdge struct {
		from int
		dagEdge
	}
	d.keys = make([]string, 0, len(g.Nodes))
	var (
		onStack   = make([]bool, 0, len(g.Nodes))
		postorder = make([]int, 0, len(g.Nodes))
		found     = make([]flatEdge, 0, edges) // every kept edge, each node's in name order
		outBuf    = make([]outEdge, 0, edges)  // every node's sorted inputs, one after another
	)
	visit := func(key string, n *Node) frame {
		i := len(d.keys)
		d.keys = append(d.keys, key)
		d.index[key] = i
		onStack = append(onStack, true)
		start := len(outBuf)
		for name, in := range n.Inputs {
			outBuf = append(outBuf, outEdge{name, in.Target})
		}
		out := outBuf[start:len(outBuf):len(outBuf)]
		slices.SortFunc(out, func(a, b outEdge) int { return strings.Compare(a.name, b.name) })
		return frame{node: i, out: out}
	}
	stack := []frame{visit(g.Root, g.Nodes[g.Root])}
	for len(stack) > 0 {
		top := &stack[len(stack)-1]
		if top.next == len(top.out) {
			onStack[top.node] = false
			postorder = append(postorder, top.node)
			stack = stack[:len(stack)-1]
			continue
		}
		e := top.out[top.next]
		top.next++
		to, seen := d.index[e.target]
		if seen && onStack[to] {
			continue // a back edge
		}
		from := top.node
		if !seen {
			n, ok := g.Nodes[e.target]
			if !ok {
				continue
			}
			f := visit(e.target, n)
			to = f.node
			stack = append(stack, f)
		}
		found = append(found, flatEdge{from, dagEdge{name: e.name, to: to}})
	}
	// Group the edges by node in one buffer (a counting sort, which keeps
	// each node's edges in name order).
	start := make([]int, len(d.keys)+1)
	for _, e := range found {
		start[e.from+1]++
	}
	for i := 1; i < len(start); i++ {
		start[i] += start[i-1]
	}
	buf := make([]dagEdge, len(found))
	fill := append([]int(nil), start[:len(d.keys)]...)
	for _, e := range found {
		buf[fill[e.from]] = e.dagEdge
		fill[e.from]++
	}
	d.edges = make([][]dagEdge, len(d.keys))
	for i := range d.edges {
		d.edges[i] = buf[start[i]:start[i+1]:start[i+1]]
	}
	// The same for the reverse edges, grouped by target.
	rstart := make([]int, len(d.keys)+1)
	for _, e := range found {
		rstart[e.to+1]++
	}
	for i := 1; i < len(rstart); i++ {
		rstart[i] += rstart[i-1]
	}
	rbuf := make([]int, len(found))
	copy(fill, rstart[:len(d.keys)])
	for _, e := range found {
		rbuf[fill[e.to]] = e.from
		fill[e.to]++
	}
	d.reverse = make([][]int, len(d.keys))
	for i := range d.reverse {
		d.reverse[i] = rbuf[rstart[i]:rstart[i+1]:rstart[i+1]]
	}
	d.topo = make([]int, len(postorder))
	for i, node := range postorder {
		d.topo[len(postorder)-1-i] = node
	}
	return d
}

// canonical computes every node's shortest, then byte-order-least, path by
// a breadth-first search that takes edges in name order: the first time it
// reaches a node is along that path.
func (d *dag) canonical() [][]string {
	paths := make([][]string, len(d.keys))
	paths[0] = []string{}
	queue := []int{0}
	for i := 0; i < len(queue); i++ {
		u := queue[i]
		for _, e := range d.edges[u] {
			if paths[e.to] != nil {
				continue
			}
			p := make([]string, len(paths[u])+1)
			copy(p, paths[u])
			p[len(p)-1] = e.name
			paths[e.to] = p
			queue = append(queue, e.to)
		}
	}
	return paths
}

// distancesTo returns the length of the shortest path to target from each
// node that can reach it. It visits only those nodes, so asking about many
// nodes of a big graph, one at a time, stays cheap.
func (d *dag) distancesTo(target int) map[int]int {
	dist := map[int]int{target: 0}
	queue := []int{target}
	for i := 0; i < len(queue); i++ {
		v := queue[i]
		for _, u := range d.reverse[v] {
			if _, seen := dist[u]; !seen {
				dist[u] = dist[v] + 1
				queue = append(queue, u)
			}
		}
	}
	return dist
}

// pathItem is a partial path in SamplePaths' search; estimate is the length
// of its shortest completion.
type pathItem struct {
	node     int
	path     []string
	estimate int
}

// pathQueue is a heap of partial paths ordered by (estimate, path in
// segment-wise byte order). Partial paths in it are never prefixes of one
// another, so this pops complete paths shortest first, then in byte order.
type pathQueue []pathItem

func (q pathQueue) Len() int { return len(q) }
func (q pathQueue) Less(i, j int) bool {
	if q[i].estimate != q[j].estimate {
		return q[i].estimate < q[j].estimate
	}
	return slices.Compare(q[i].path, q[j].path) < 0
}
func (q pathQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *pathQueue) Push(x any)   { *q = append(*q, x.(pathItem)) }
func (q *pathQueue) Pop() any {
	old := *q
	it := old[len(old)-1]
	*q = old[:len(old)-1]
	return it
}
