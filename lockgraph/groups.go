package lockgraph

import (
	"cmp"
	"runtime"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// SamplePathLimit is how many input paths Analyze keeps per copy: the
// canonical path and a few others, enough to say where a copy comes from.
const SamplePathLimit = 3

// Report is what Analyze finds in a lock: how many nodes it has, how many
// copies of nixpkgs, and every source that appears more than once.
type Report struct {
	// Nodes counts the nodes reachable from the root, the root excluded.
	Nodes int
	// Nixpkgs summarises the reachable copies of nixpkgs, forks included.
	Nixpkgs NixpkgsSummary
	// Groups lists every source with more than one reachable copy, most
	// copies first, then by source ID.
	Groups []Group
}

// NixpkgsSummary counts the copies of nixpkgs in a lock.
type NixpkgsSummary struct {
	// Copies counts the reachable nixpkgs nodes, forks included.
	Copies int
	// Revisions counts their distinct locked revisions (narHash for a copy
	// locked without a rev).
	Revisions int
	// Branches counts their distinct branch classes (see Branch.Class).
	Branches int
	// RootDeclared reports whether the root declares a nixpkgs input at all.
	RootDeclared bool
	// CouldFollowRoot counts the nixpkgs copies with Copy.CouldFollowRoot
	// set.
	CouldFollowRoot int
}

// Group is a source with more than one reachable copy.
type Group struct {
	// Source is the identity every copy shares. Its Kind is that of the
	// first copy in Copies; the others may use other fetchers.
	Source Source
	// Revisions counts the distinct locked revisions among the copies.
	Revisions int
	// Copies are the nodes, the ones the root declares first, then by
	// canonical path (shorter first, then in byte order).
	Copies []Copy
}

// Copy is one node of a duplicated source.
type Copy struct {
	// Key is the node key; it means something only within this one lock.
	Key string
	// Path is the canonical input path reaching the node.
	Path []string
	// PathCount is how many input paths reach the node; when Saturated is
	// true it is a lower bound.
	PathCount uint64
	// Saturated reports that counting stopped before reaching every path.
	Saturated bool
	// Samples holds up to SamplePathLimit input paths reaching the node, as
	// Graph.SamplePaths returns them (the canonical path first). Analyze
	// fills it in only for copies in a Group.
	Samples [][]string
	// Branch is the branch the node tracks.
	Branch Branch
	// Rev is the locked revision, "" when the lock has none.
	Rev string
	// NarHash is the locked narHash.
	NarHash string
	// LastModified is the locked lastModified time in UTC, the zero time
	// when the lock has none.
	LastModified time.Time
	// Declared reports whether a root input (direct or follows) denotes
	// the node.
	Declared bool
	// CouldFollowRoot reports a copy the root does not declare whose
	// source and branch class equal those of a node the root does declare:
	// it could follow that root input without changing branch.
	CouldFollowRoot bool
}

// ShortRev returns the first 7 characters of the locked rev.
func (c Copy) ShortRev() string {
	if len(c.Rev) > 7 {
		return c.Rev[:7]
	}
	return c.Rev
}

// Date returns the lastModified date as YYYY-MM-DD (UTC), or "" when the
// lock has none.
func (c Copy) Date() string {
	if c.LastModified.IsZero() {
		return ""
	}
	return c.LastModified.Format("2006-01-02")
}

// sourceBranch is the pair a copy must share with a root input to follow it.
type sourceBranch struct{ id, class string }

// sourceClass is sourceBranch with the source numbered, within Analyze.
type sourceClass struct {
	source int // index into the sources of Analyze
	class  string
}

// Analyze finds the duplicated sources of a graph. Only nodes reachable from
// the root count; the root itself is never a copy. The result is sorted as
// documented on each field, so equal graphs give equal reports.
func Analyze(g *Graph) Report {
	var rep Report
	d, facts := walkAndReadFacts(g)
	if len(d.keys) == 0 {
		return rep
	}
	n := len(d.keys)
	declared := make([]bool, n)
	for _, in := range g.Nodes[g.Root].Inputs {
		if i, ok := d.find(in.Target); ok {
			declared[i] = true
		}
	}

	// First pass, over the nodes as the walk numbered them (the root is
	// 0): what each one is a copy of, and the branch it tracks. A big lock
	// has as many sources as nodes, nearly: per node and per source, only
	// what the second pass needs is kept.
	var (
		ids         = make([]string, 0, n) // per source, its ID, in the order first met
		nixpkgs     = make([]bool, 0, n)   // per source, whether it is nixpkgs
		sourceIndex = make(map[string]int32, n)
		sourceOf    = make([]int32, n) // per node, its source
		rootHas     = map[sourceClass]bool{}
	)
	for i := 1; i < n; i++ {
		src := facts.attrs[facts.of(i)].source
		id := src.ID
		if id == "" {
			id = "node:" + d.keys[i] // no attributes to identify it by: unique
		}
		s, ok := sourceIndex[id]
		if !ok {
			s = int32(len(ids))
			sourceIndex[id] = s
			ids, nixpkgs = append(ids, id), append(nixpkgs, src.Nixpkgs)
		}
		sourceOf[i] = s
		if declared[i] {
			rootHas[sourceClass{int(s), facts.attrs[facts.of(i)].branch.Class}] = true
		}
	}
	rep.Nodes = n - 1
	members := groupBy(sourceOf[1:], len(ids), 1)

	// Second pass, in source ID order: what could follow the root and the
	// nixpkgs summary; then the groups, each built on its own.
	order := make([]int, len(ids))
	for s := range order {
		order[s] = s
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(ids[a], ids[b]) })
	couldFollow := func(s, i int) bool {
		return !declared[i] && rootHas[sourceClass{s, facts.attrs[facts.of(i)].branch.Class}]
	}
	nixRevs, nixBranches := map[string]bool{}, map[string]bool{}
	var grouped []int // the sources with more than one copy, in ID order
	copies := 0
	for _, s := range order {
		nodes := members[s]
		if nixpkgs[s] {
			for _, i := range nodes {
				rep.Nixpkgs.Copies++
				f := facts.of(int(i))
				nixRevs[facts.revision[f]] = true
				nixBranches[facts.attrs[f].branch.Class] = true
				rep.Nixpkgs.RootDeclared = rep.Nixpkgs.RootDeclared || declared[i]
				if couldFollow(s, int(i)) {
					rep.Nixpkgs.CouldFollowRoot++
				}
			}
		}
		if len(nodes) > 1 {
			grouped = append(grouped, s)
			copies += len(nodes)
		}
	}
	rep.Nixpkgs.Revisions, rep.Nixpkgs.Branches = len(nixRevs), len(nixBranches)

	gb := &groupBuilder{d: d, declared: declared, facts: facts, couldFollow: couldFollow}
	gb.count, gb.saturated = d.pathCounts()
	gb.tree = d.canonicalTree()
	if len(grouped) > 0 {
		rep.Groups = make([]Group, len(grouped))
	}
	// Largest groups first, so that the cores finish together.
	schedule := make([]int, len(grouped))
	for k := range schedule {
		schedule[k] = k
	}
	slices.SortStableFunc(schedule, func(a, b int) int {
		return cmp.Compare(len(members[grouped[b]]), len(members[grouped[a]]))
	})
	workers := 1
	if copies >= parallelMin {
		workers = runtime.GOMAXPROCS(0)
	}
	inParallel(len(grouped), 1, workers, func() func(k int) {
		w := &groupWork{}
		return func(k int) {
			k = schedule[k]
			rep.Groups[k] = gb.group(grouped[k], members[grouped[k]], w)
		}
	})
	sort.SliceStable(rep.Groups, func(i, j int) bool {
		return len(rep.Groups[i].Copies) > len(rep.Groups[j].Copies)
	})
	return rep
}

// groupBuilder holds what Analyze knows about every node, for building
// the groups.
type groupBuilder struct {
	d           *dag
	declared    []bool
	facts       *nodeFacts
	couldFollow func(s, i int) bool
	count       []uint64
	saturated   []bool
	tree        pathTree
}

// groupWork holds the buffers of one goroutine building groups.
type groupWork struct {
	paths    slab[string]
	sampling sampler
	revs     []string
}

// group builds the group of source s, whose copies are the given nodes.
func (gb *groupBuilder) group(s int, nodes []int32, w *groupWork) Group {
	d, declared := gb.d, gb.declared
	w.revs = w.revs[:0]
	paths := make([][]string, len(nodes))
	for k, i := range nodes {
		w.revs = append(w.revs, gb.facts.revision[gb.facts.of(int(i))])
		paths[k] = gb.tree.path(int(i), &w.paths)
	}
	slices.Sort(w.revs)
	// The copies in report order: declared by the root first, then by
	// canonical path, shorter first, then in segment-wise byte order. The
	// breadth-first search that found the canonical paths met the nodes in
	// just that order of their paths (see pathTree.rank), and no two nodes
	// share a canonical path, so the order is total.
	byOrder := make([]int, len(nodes))
	for k := range byOrder {
		byOrder[k] = k
	}
	slices.SortFunc(byOrder, func(x, y int) int {
		a, b := nodes[x], nodes[y]
		if declared[a] != declared[b] {
			if declared[a] {
				return -1
			}
			return 1
		}
		return cmp.Compare(gb.tree.rank[a], gb.tree.rank[b])
	})
	copies := make([]Copy, len(nodes))
	for j, k := range byOrder {
		i := int(nodes[k])
		c := &copies[j]
		*c = newCopy(d.nodes[i], gb.facts.attrs[gb.facts.of(i)].branch, declared[i])
		c.Path, c.PathCount, c.Saturated = paths[k], gb.count[i], gb.saturated[i]
		c.CouldFollowRoot = gb.couldFollow(s, i)
		if c.PathCount == 1 && !c.Saturated {
			c.Samples = [][]string{c.Path}
		} else {
			c.Samples = d.samplePaths(i, SamplePathLimit, &w.sampling)
		}
	}
	src := gb.facts.attrs[gb.facts.of(int(nodes[byOrder[0]]))].source // the Kind of the first copy
	return Group{Source: src, Revisions: len(slices.Compact(w.revs)), Copies: copies}
}

// nodeFacts holds what Analyze reads from each node on its own: its
// source and branch (shared with its graph's table, sourcecache.go) and its
// revision.
type nodeFacts struct {
	attrs    []*nodeAttrs
	revision []string
	// at gives, per node of the walk, its index here; nil when it is the
	// same.
	at []int32
}

// of returns the index of the facts of node i of the walk.
func (f *nodeFacts) of(i int) int {
	if f.at == nil {
		return i
	}
	return int(f.at[i])
}

// readNodeFacts reads the facts of every node (nodes of g), on every core
// when there are many.
func readNodeFacts(g *Graph, nodes []*Node) *nodeFacts {
	n := len(nodes)
	f := &nodeFacts{attrs: make([]*nodeAttrs, n), revision: make([]string, n)}
	workers := 1
	if n >= parallelMin {
		workers = runtime.GOMAXPROCS(0)
	}
	g.sources() // read here, on every core, rather than by the first worker alone
	inParallel(n, 1024, workers, func() func(int) {
		return func(i int) {
			f.attrs[i] = g.attrsOf(nodes[i])
			f.revision[i] = revisionOf(nodes[i])
		}
	})
	return f
}

// walkAndReadFacts returns the walk of g and the facts of its nodes. On a
// big graph Load built, the facts are read while the walk runs, for every
// node of the lock (the walk decides which are reachable); otherwise after
// it, for the reachable nodes only.
func walkAndReadFacts(g *Graph) (*dag, *nodeFacts) {
	ix := g.index
	if ix == nil || len(ix.nodes) < parallelMin || runtime.GOMAXPROCS(0) < 2 {
		d := g.walk()
		return d, readNodeFacts(g, d.nodes)
	}
	type result struct {
		facts    *nodeFacts
		panicked any
	}
	done := make(chan result, 1)
	go func() {
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
		defer func() {
			if r := recover(); r != nil {
				done <- result{panicked: r}
			}
		}()
		done <- result{facts: readNodeFacts(g, ix.nodes)}
	}()
	var d *dag
	var panicked any
	func() {
		defer func() { panicked = recover() }()
		d = g.walk()
	}()
	r := <-done // the reading goroutine is done before anything is raised
	if panicked == nil {
		panicked = r.panicked
	}
	if panicked != nil {
		panic(panicked) // in the caller's goroutine, where it can be recovered
	}
	r.facts.at = d.posOf
	return d, r.facts
}

// groupBy lists, for each of groups groups, the numbers of the items that
// belong to it (item k is numbered k+first), in increasing order: a
// counting sort into one buffer.
func groupBy(groupOf []int32, groups int, first int32) [][]int32 {
	size := make([]int32, groups)
	for _, s := range groupOf {
		size[s]++
	}
	buf := make([]int32, len(groupOf))
	out := make([][]int32, groups)
	for s, n := range size {
		out[s] = buf[:0:n]
		buf = buf[n:]
	}
	for k, s := range groupOf {
		out[s] = append(out[s], int32(k)+first)
	}
	return out
}

// newCopy gathers what a report says about one node, paths aside.
func newCopy(n *Node, branch Branch, declared bool) Copy {
	c := Copy{
		Key:      n.Key,
		Branch:   branch,
		Rev:      n.Locked.String("rev"),
		NarHash:  n.Locked.String("narHash"),
		Declared: declared,
	}
	if secs, ok := n.Locked.Int("lastModified"); ok {
		c.LastModified = time.Unix(secs, 0).UTC()
	}
	return c
}

// revisionOf is what tells two copies' contents apart: the locked rev, or
// the narHash for a copy locked without one.
func revisionOf(n *Node) string {
	if rev := n.Locked.String("rev"); rev != "" {
		return rev
	}
	if h := n.Locked.String("narHash"); h != "" {
		return h
	}
	return "node:" + n.Key
}

// parallelMin is the number of nodes or copies from which Analyze spreads
// its work over the cores.
const parallelMin = 8192

// inParallel calls each(i) for every i from 0 to n-1, on up to workers
// goroutines (the caller's alone when workers < 2). Each goroutine gets its
// own each from newWorker and takes the next chunk indexes at a time. each
// must only write to what belongs to its i (and to its worker). A panic in
// a worker is raised again in the caller, where it can be recovered.
func inParallel(n, chunk, workers int, newWorker func() func(i int)) {
	if workers < 2 || n <= chunk {
		each := newWorker()
		for i := 0; i < n; i++ {
			each(i)
		}
		return
	}
	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		panicked = make(chan any, workers)
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// A fault (see LoadString) is a panic too, raised again below.
			defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
			defer func() {
				if r := recover(); r != nil {
					panicked <- r
				}
			}()
			each := newWorker()
			for {
				start := int(next.Add(int64(chunk))) - chunk
				if start >= n {
					return
				}
				for i := start; i < min(start+chunk, n); i++ {
					each(i)
				}
			}
		}()
	}
	wg.Wait()
	select {
	case r := <-panicked:
		panic(r)
	default:
	}
}
