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
		in, ok := n.Inputs.Get(seg)
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
	count, saturated := d.pathCounts()
	canonical := d.canonical()
	out := make(map[string]NodePaths, n-1)
	for i := 1; i < n; i++ {
		out[d.keys[i]] = NodePaths{Canonical: canonical[i], Count: count[i], Saturated: saturated[i]}
	}
	return out
}

// pathCounts counts the paths from the root to every node in one pass in
// topological order, saturating at math.MaxUint64.
func (d *dag) pathCounts() (count []uint64, saturated []bool) {
	count = make([]uint64, len(d.keys))
	saturated = make([]bool, len(d.keys))
	if len(d.keys) == 0 {
		return count, saturated
	}
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
	return count, saturated
}

// SamplePaths returns up to limit distinct input paths reaching the node
// with the given key: the canonical path first, then the others shortest
// first, equal lengths in segment-wise byte order. The work is bounded by
// limit times the path length times the fan-out, however many paths exist.
// It returns nil for a key that is not reachable and [[]] for the root.
func (g *Graph) SamplePaths(key string, limit int) [][]string {
	d := g.walk()
	target, ok := d.find(key)
	if !ok || limit <= 0 {
		return nil
	}
	return d.samplePaths(target, limit, &sampler{})
}

// sampler holds the buffers of samplePaths, so that a caller asking for the
// paths of many nodes allocates them once. Between calls every dist and
// head is 0 again and the other buffers are empty.
type sampler struct {
	dist  []int32 // per node, 1 + its distance to the target; 0: cannot reach it
	queue []int32 // the nodes whose dist is set, in breadth-first order
	// head and links list, for each node that can reach the target, its
	// edges that lead to a node that can too: head[u]-1 is the first
	// link of u (head 0: none), each link naming one edge by its place in
	// edges[u] and the next link, -1 ending the list.
	head  []int32
	links []sampleLink
	found [][]string // the paths listed so far
	path  []string   // the path being extended while listing
}

// sampleLink is one edge in sampler's per-node lists.
type sampleLink struct {
	edge, next int32
}

// samplePaths is SamplePaths for the node numbered target. It looks only at
// the nodes that can reach the target and at their edges that lead to it,
// which it finds from the reverse edges: on a lock whose root has 25,000
// inputs, a copy reached through one of them costs a few steps, not a scan
// of every root input. When the node has at most limit paths, they are
// listed and sorted; else a best-first search takes the shortest ones.
func (d *dag) samplePaths(target, limit int, s *sampler) [][]string {
	if target == 0 {
		return [][]string{{}}
	}
	s.distancesTo(d, target)
	defer s.reset()
	if out, ok := s.listAll(d, target, limit); ok {
		return out
	}
	q := &pathQueue{{node: 0, path: []string{}, estimate: int(s.dist[0] - 1)}}
	var out [][]string
	for q.Len() > 0 && len(out) < limit {
		it := heap.Pop(q).(pathItem)
		if it.node == target {
			out = append(out, it.path)
			continue
		}
		for l := s.head[it.node] - 1; l >= 0; l = s.links[l].next {
			e := d.edges[it.node][s.links[l].edge]
			path := append(slices.Clip(it.path), e.name)
			heap.Push(q, pathItem{node: e.to, path: path, estimate: len(path) + int(s.dist[e.to]-1)})
		}
	}
	return out
}

// listAll lists every path from the root to target, shortest first, equal
// lengths in segment-wise byte order, when there are at most limit of them
// (else it reports false). Every edge it follows leads to the target, so
// every branch of its depth-first search ends in a path, and it gives up
// after limit+1 of them: the work is bounded by limit times the path length
// times the fan-out towards the target.
func (s *sampler) listAll(d *dag, target, limit int) ([][]string, bool) {
	s.found, s.path = s.found[:0], s.path[:0]
	var visit func(u int) bool
	visit = func(u int) bool {
		if u == target {
			if len(s.found) == limit {
				return false
			}
			s.found = append(s.found, slices.Clone(s.path))
			return true
		}
		for l := s.head[u] - 1; l >= 0; l = s.links[l].next {
			e := d.edges[u][s.links[l].edge]
			s.path = append(s.path, e.name)
			ok := visit(e.to)
			s.path = s.path[:len(s.path)-1]
			if !ok {
				return false
			}
		}
		return true
	}
	if !visit(0) {
		clear(s.found)
		return nil, false
	}
	out := slices.Clone(s.found)
	clear(s.found)
	slices.SortFunc(out, func(a, b []string) int {
		if len(a) != len(b) {
			return len(a) - len(b)
		}
		return slices.Compare(a, b)
	})
	return out, true
}

// dag is the part of a Graph reachable from the root, with nodes numbered
// in depth-first discovery order (the root is 0) and back edges left out.
type dag struct {
	keys    []string
	nodes   []*Node
	edges   [][]dagEdge // per node, in input-name order
	reverse [][]dagRef  // per node, the edges to it
	topo    []int       // every node, each before the nodes its edges reach

	g     *Graph
	ix    *nodeIndex // the index the walk started from
	posOf []int32    // per node, its position in the index
	dagOf []int32    // per index position, the node's number here; -1: not reachable
}

type dagEdge struct {
	name string
	to   int
}

// dagRef names an edge of a dag: the node it leaves and its place in that
// node's edges.
type dagRef struct {
	from, edge int32
}

// find returns the number of the node with the given key, if reachable.
func (d *dag) find(key string) (int, bool) {
	if d.ix == nil {
		return 0, false
	}
	p, ok := d.ix.lookup(d.g, key)
	if !ok || d.dagOf[p] < 0 {
		return 0, false
	}
	return int(d.dagOf[p]), true
}

// walk returns the graph's depth-first walk, computing it on first use.
func (g *Graph) walk() *dag {
	g.walkOnce.Do(func() { g.walked = g.newWalk() })
	return g.walked
}

// newWalk runs the iterative depth-first search from the root, inputs in
// sorted byte order, that defines back edges. It starts from the index Load
// left in the graph, or builds one for a graph built by hand. Edges to keys
// missing from Nodes (or mapped to nil) are skipped.
func (g *Graph) newWalk() *dag {
	ix := g.index
	if ix == nil {
		ix = indexByHand(g)
	}
	d := &dag{g: g, ix: ix, dagOf: make([]int32, len(ix.keys))}
	for i := range d.dagOf {
		d.dagOf[i] = -1
	}
	rootPos, ok := ix.lookup(g, g.Root)
	if !ok {
		return d
	}
	// Each node's kept edges go to a range of one buffer reserved when the
	// node is reached (its inputs are an upper bound), in name order as the
	// walk takes them; edges out of a node are all taken before it leaves
	// the stack. Size every buffer for the whole graph up front: on a big
	// lock, growing them by appending would allocate (and clear) each twice
	// over.
	edges := 0
	for _, t := range ix.targets {
		edges += len(t)
	}
	type frame struct {
		node int // number in the dag
		pos  int // position in the index
		next int // the next input to look at
	}
	d.keys = make([]string, 0, len(ix.keys))
	d.nodes = make([]*Node, 0, len(ix.keys))
	d.posOf = make([]int32, 0, len(ix.keys))
	d.edges = make([][]dagEdge, 0, len(ix.keys))
	var (
		onStack   = make([]bool, 0, len(ix.keys))
		postorder = make([]int, 0, len(ix.keys))
		buf       = make([]dagEdge, edges)
		indegree  = make([]int32, 0, len(ix.keys))
	)
	visit := func(pos int) frame {
		i := len(d.keys)
		d.keys = append(d.keys, ix.keys[pos])
		d.nodes = append(d.nodes, ix.nodes[pos])
		d.dagOf[pos] = int32(i)
		d.posOf = append(d.posOf, int32(pos))
		onStack = append(onStack, true)
		indegree = append(indegree, 0)
		n := len(ix.targets[pos])
		d.edges = append(d.edges, buf[:0:n])
		buf = buf[n:]
		return frame{node: i, pos: pos}
	}
	stack := []frame{visit(rootPos)}
	kept := 0
	for len(stack) > 0 {
		top := &stack[len(stack)-1]
		inputs := ix.nodes[top.pos].Inputs
		if top.next == len(inputs) {
			onStack[top.node] = false
			postorder = append(postorder, top.node)
			stack = stack[:len(stack)-1]
			continue
		}
		k := top.next
		top.next++
		pos := int(ix.targets[top.pos][k])
		if pos < 0 {
			continue // no such node
		}
		to := int(d.dagOf[pos])
		if to >= 0 && onStack[to] {
			continue // a back edge
		}
		from := top.node
		if to < 0 {
			f := visit(pos)
			to = f.node
			stack = append(stack, f)
		}
		d.edges[from] = append(d.edges[from], dagEdge{name: inputs[k].Name, to: to})
		indegree[to]++
		kept++
	}
	// The reverse edges, grouped by target in one buffer.
	d.reverse = make([][]dagRef, len(d.keys))
	rbuf := make([]dagRef, kept)
	for i, n := range indegree {
		d.reverse[i] = rbuf[:0:n]
		rbuf = rbuf[n:]
	}
	for from, out := range d.edges {
		for k, e := range out {
			d.reverse[e.to] = append(d.reverse[e.to], dagRef{int32(from), int32(k)})
		}
	}
	d.topo = make([]int, len(postorder))
	for i, node := range postorder {
		d.topo[len(postorder)-1-i] = node
	}
	return d
}

// indexByHand indexes a graph that Load did not build: the nodes that are
// not nil, every edge (direct or follows) resolved through its Target.
func indexByHand(g *Graph) *nodeIndex {
	keys := make([]string, 0, len(g.Nodes))
	for key, n := range g.Nodes {
		if n != nil {
			keys = append(keys, key)
		}
	}
	slices.Sort(keys)
	ix := &nodeIndex{keys: keys, nodes: make([]*Node, len(keys)), pos: make(map[string]int, len(keys)),
		targets: make([][]int32, len(keys))}
	for i, key := range keys {
		ix.pos[key] = i
		ix.nodes[i] = g.Nodes[key]
	}
	for i, n := range ix.nodes {
		ix.targets[i] = make([]int32, len(n.Inputs))
		for k, in := range n.Inputs {
			ix.targets[i][k] = -1
			if p, ok := ix.pos[in.Target]; ok {
				ix.targets[i][k] = int32(p)
			}
		}
	}
	return ix
}

// canonical computes every node's shortest, then byte-order-least, path by
// a breadth-first search that takes edges in name order: the first time it
// reaches a node is along that path.
func (d *dag) canonical() [][]string {
	tree := d.canonicalTree()
	paths := make([][]string, len(d.keys))
	for _, u := range tree.order {
		if u == 0 {
			paths[0] = []string{}
			continue
		}
		up := paths[tree.parent[u]]
		p := make([]string, len(up)+1)
		copy(p, up)
		p[len(p)-1] = tree.via[u]
		paths[u] = p
	}
	return paths
}

// pathTree holds every node's canonical path as a tree: the node it is
// reached from and the name of that last edge.
type pathTree struct {
	parent []int32  // -1 for the root
	via    []string // "" for the root
	depth  []int32  // the length of the canonical path
	order  []int32  // the nodes in breadth-first order, the root first
	// rank is each node's place in order. Breadth first, edges in name
	// order, meets the nodes by the length of their canonical path, then
	// in segment-wise byte order of it: the parents of two nodes at the
	// same depth were met in the order of their own paths, and two
	// children of one parent in the order of their edge names.
	rank []int32
}

// canonicalTree finds the canonical paths by a breadth-first search that
// takes edges in name order: the first time it reaches a node is along its
// shortest, then byte-order-least, path.
func (d *dag) canonicalTree() pathTree {
	n := len(d.keys)
	t := pathTree{parent: make([]int32, n), via: make([]string, n), depth: make([]int32, n),
		order: make([]int32, 0, n), rank: make([]int32, n)}
	if n == 0 {
		return t
	}
	seen := make([]bool, n)
	seen[0], t.parent[0] = true, -1
	t.order = append(t.order, 0)
	for i := 0; i < len(t.order); i++ {
		u := t.order[i]
		for _, e := range d.edges[u] {
			if seen[e.to] {
				continue
			}
			seen[e.to] = true
			t.parent[e.to], t.via[e.to], t.depth[e.to] = u, e.name, t.depth[u]+1
			t.rank[e.to] = int32(len(t.order))
			t.order = append(t.order, int32(e.to))
		}
	}
	return t
}

// path returns the canonical path of node u, carving it from buf.
func (t pathTree) path(u int, buf *slab[string]) []string {
	p := buf.alloc(int(t.depth[u]))
	for v := int32(u); v > 0; v = t.parent[v] {
		p[t.depth[v]-1] = t.via[v]
	}
	return p
}

// distancesTo sets s.dist to 1 + the length of the shortest path to target
// from each node that can reach it, and lists in s.head and s.links each
// such node's edges to the others. It visits only those nodes and edges
// (and reset clears only them), so asking about many nodes of a big graph,
// one at a time, stays cheap.
func (s *sampler) distancesTo(d *dag, target int) {
	if len(s.dist) != len(d.keys) {
		s.dist = make([]int32, len(d.keys))
		s.head = make([]int32, len(d.keys))
	}
	s.dist[target] = 1
	s.queue = append(s.queue[:0], int32(target))
	s.links = s.links[:0]
	for i := 0; i < len(s.queue); i++ {
		v := s.queue[i]
		for _, r := range d.reverse[v] {
			u := r.from
			if s.dist[u] == 0 {
				s.dist[u] = s.dist[v] + 1
				s.queue = append(s.queue, u)
			}
			s.links = append(s.links, sampleLink{edge: r.edge, next: s.head[u] - 1})
			s.head[u] = int32(len(s.links))
		}
	}
}

// reset clears what distancesTo set.
func (s *sampler) reset() {
	for _, v := range s.queue {
		s.dist[v], s.head[v] = 0, 0
	}
	s.queue = s.queue[:0]
	s.links = s.links[:0]
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
