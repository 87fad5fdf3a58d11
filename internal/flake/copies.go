package flake

import (
	"slices"
	"strings"

	"github.com/flakedup/flakedup/lockgraph"
	"github.com/flakedup/flakedup/rewrite"
)

// This file gives every copy of a lock its status (Outcome.Copies) in time
// linear in the lock: on a 100,000-node lock the copies are most of the
// nodes. Nodes are numbered once by a breadth-first walk that records each
// node's direct parent, so a path is built only for a copy that is listed;
// what lockgraph.Analyze already found (each grouped copy's source, branch
// and revision) is reused instead of read again; and the status of a copy
// comes from walking its path down a trie of the planned, declared and
// held-back input paths, one segment at a time, instead of joining every
// prefix into a string. copies_test.go pins the result to the definition
// that joined the prefixes (statusJoined).

// lockWalk numbers the nodes reachable from a graph's root (0 is the
// root): first those reached through direct (non-follows) edges, breadth
// first, each with the direct edge that first reached it; then those
// reached only through follows edges, without one. Edges to keys missing
// from the graph, or mapped to nil, are skipped, as lockgraph's walk skips
// them.
type lockWalk struct {
	keys  []string
	nodes []*lockgraph.Node
	index map[string]int32
	// parent and edge are the direct edge that reached each node first
	// (parent -1 when none: the root, and nodes reached only through
	// follows); depth is its direct path's length.
	parent []int32
	edge   []string
	depth  []int32
}

func walkLock(g *lockgraph.Graph) *lockWalk {
	w := &lockWalk{index: make(map[string]int32, len(g.Nodes))}
	root := g.Nodes[g.Root]
	if root == nil {
		return w
	}
	add := func(key string, n *lockgraph.Node, parent int32, edge string) {
		w.index[key] = int32(len(w.keys))
		w.keys = append(w.keys, key)
		w.nodes = append(w.nodes, n)
		w.parent = append(w.parent, parent)
		w.edge = append(w.edge, edge)
		depth := int32(0)
		if parent >= 0 {
			depth = w.depth[parent] + 1
		}
		w.depth = append(w.depth, depth)
	}
	add(g.Root, root, -1, "")
	for q := 0; q < len(w.nodes); q++ {
		for _, in := range w.nodes[q].Inputs {
			if in.IsFollows() {
				continue
			}
			if _, seen := w.index[in.Target]; seen {
				continue
			}
			if n := g.Nodes[in.Target]; n != nil {
				add(in.Target, n, int32(q), in.Name)
			}
		}
	}
	direct := len(w.nodes)
	for q := 0; q < len(w.nodes); q++ {
		for _, in := range w.nodes[q].Inputs {
			if q < direct && !in.IsFollows() {
				continue // its target was reached above
			}
			if _, seen := w.index[in.Target]; seen {
				continue
			}
			if n := g.Nodes[in.Target]; n != nil {
				add(in.Target, n, -1, "")
			}
		}
	}
	return w
}

// directPath returns node i's direct path, carved from buf, or nil when it
// has none.
func (w *lockWalk) directPath(i int32, buf *[]string) []string {
	if w.parent[i] < 0 {
		return nil
	}
	d := int(w.depth[i])
	if len(*buf) < d {
		*buf = make([]string, max(d, 4096))
	}
	p := (*buf)[:d:d]
	*buf = (*buf)[d:]
	for k := d - 1; k >= 0; k-- {
		p[k] = w.edge[i]
		i = w.parent[i]
	}
	return p
}

// pathTrie holds input paths segment by segment: node 0 is the empty
// path, and child maps (parent, segment) to the node one segment below.
type pathTrie struct {
	child map[trieEdge]int32
	nodes []trieNode
}

type trieEdge struct {
	parent int32
	seg    string
}

// trieNode is what the plan says about one input path.
type trieNode struct {
	// planned: a follows the plan adds overrides the path; fix is its
	// line (the first edit's, when several share the path).
	planned bool
	fix     string
	// pending: flake.nix already declares a follows of the path.
	pending bool
	// held is 1 + the index in Result.HeldBack of the last held-back copy
	// at the path, 0 when none.
	held int
}

func newPathTrie() *pathTrie {
	return &pathTrie{child: map[trieEdge]int32{}, nodes: make([]trieNode, 1)}
}

// insert returns the index of path's node, adding the nodes it lacks.
func (t *pathTrie) insert(path []string) int32 {
	at := int32(0)
	for _, seg := range path {
		e := trieEdge{at, seg}
		next, ok := t.child[e]
		if !ok {
			next = int32(len(t.nodes))
			t.nodes = append(t.nodes, trieNode{})
			t.child[e] = next
		}
		at = next
	}
	return at
}

// status is what the plan does with the copy at path (not a root input):
// the shortest prefix of path that a planned follows (else a declared one)
// overrides decides; else the copy is held when the plan holds path back.
func (t *pathTrie) status(path []string, held []lockgraph.HeldBack) (Status, string, *lockgraph.HeldBack) {
	at := int32(0)
	for _, seg := range path {
		next, ok := t.child[trieEdge{at, seg}]
		if !ok {
			return Kept, "", nil // no longer prefix is in the trie either
		}
		at = next
		switch n := &t.nodes[at]; {
		case n.planned:
			return Follow, n.fix, nil
		case n.pending:
			return Pending, "", nil
		}
	}
	if h := t.nodes[at].held; h > 0 {
		return Held, "", &held[h-1]
	}
	return Kept, "", nil
}

// plainPath reports whether no segment of path is empty or contains '/':
// then joining paths with '/' tells them apart, and the trie (which keeps
// segments apart) agrees with the joined strings the statuses are defined
// by.
func plainPath(path []string) bool {
	for _, seg := range path {
		if seg == "" || strings.IndexByte(seg, '/') >= 0 {
			return false
		}
	}
	return true
}

// statusJoined is the definition of a copy's status that pathTrie.status
// computes faster: planned, pending and held are keyed by joined input
// path, and every prefix of path is joined and looked up.
func statusJoined(path []string, planned map[string]string, pending map[string]bool,
	held map[string]*lockgraph.HeldBack) (Status, string, *lockgraph.HeldBack) {
	for i := 1; i <= len(path); i++ {
		prefix := lockgraph.JoinPath(path[:i])
		if line, ok := planned[prefix]; ok {
			return Follow, line, nil
		} else if pending[prefix] {
			return Pending, "", nil
		}
	}
	if h, ok := held[lockgraph.JoinPath(path)]; ok {
		return Held, "", h
	}
	return Kept, "", nil
}

// planPaths is what the plan says about input paths, indexed both ways.
type planPaths struct {
	trie *pathTrie
	// plain is false when some path has a segment plainPath refuses: then
	// every copy is looked up by joined path.
	plain bool
	// The joined indexes, built on first use.
	planned map[string]string
	pending map[string]bool
	held    map[string]*lockgraph.HeldBack

	follows  [][]string // the planned follows' paths, in edit order
	lines    []string   // their lines
	declared []lockgraph.Follows
	heldBack []lockgraph.HeldBack
}

func newPlanPaths(edits []rewrite.Edit, declared []lockgraph.Follows, heldBack []lockgraph.HeldBack) *planPaths {
	pp := &planPaths{trie: newPathTrie(), plain: true, declared: declared, heldBack: heldBack}
	lines := ManualLines(edits)
	for i, e := range edits {
		if f, ok := e.(rewrite.AddFollows); ok {
			pp.follows = append(pp.follows, f.Path)
			pp.lines = append(pp.lines, lines[i])
		}
	}
	t := pp.trie
	for k, p := range pp.follows {
		pp.plain = pp.plain && plainPath(p)
		if n := &t.nodes[t.insert(p)]; !n.planned {
			n.planned, n.fix = true, pp.lines[k]
		}
	}
	for _, f := range declared {
		pp.plain = pp.plain && plainPath(f.Input)
		t.nodes[t.insert(f.Input)].pending = true
	}
	for i, h := range heldBack {
		pp.plain = pp.plain && plainPath(h.Path)
		t.nodes[t.insert(h.Path)].held = i + 1
	}
	return pp
}

// status is what the plan does with the copy at path (not a root input).
func (pp *planPaths) status(path []string) (Status, string, *lockgraph.HeldBack) {
	if pp.plain && plainPath(path) {
		return pp.trie.status(path, pp.heldBack)
	}
	if pp.planned == nil {
		pp.planned, pp.pending, pp.held = map[string]string{}, map[string]bool{}, map[string]*lockgraph.HeldBack{}
		for k, p := range pp.follows {
			if _, dup := pp.planned[lockgraph.JoinPath(p)]; !dup {
				pp.planned[lockgraph.JoinPath(p)] = pp.lines[k]
			}
		}
		for _, f := range pp.declared {
			pp.pending[lockgraph.JoinPath(f.Input)] = true
		}
		for i := range pp.heldBack {
			pp.held[lockgraph.JoinPath(pp.heldBack[i].Path)] = &pp.heldBack[i]
		}
	}
	return statusJoined(path, pp.planned, pp.pending, pp.held)
}

// compareJoined compares lockgraph.JoinPath(a) and lockgraph.JoinPath(b)
// as strings, without joining them when their segments are plain.
func compareJoined(a, b []string) int {
	k := 0
	for k < len(a) && k < len(b) && a[k] == b[k] {
		k++
	}
	switch {
	case k == len(a) && k == len(b):
		return 0
	case k > 0 && k == len(a):
		return -1 // b is a and "/..."
	case k > 0 && k == len(b):
		return 1
	case k < len(a) && k < len(b) && strings.IndexByte(a[k], '/') < 0 && strings.IndexByte(b[k], '/') < 0:
		sa, sb := a[k], b[k]
		m := min(len(sa), len(sb))
		if c := strings.Compare(sa[:m], sb[:m]); c != 0 {
			return c
		}
		// One segment is a proper prefix of the other: what follows it in
		// its joined path ('/' or the end) meets a byte that is not '/'.
		if len(sa) < len(sb) {
			if k+1 == len(a) {
				return -1
			}
			return cmpByte('/', sb[m])
		}
		if k+1 == len(b) {
			return 1
		}
		return cmpByte(sa[m], '/')
	}
	return strings.Compare(lockgraph.JoinPath(a), lockgraph.JoinPath(b))
}

func cmpByte(x, y byte) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// attrsKey identifies a node's attribute sets by where they are stored:
// lockgraph never modifies an attribute set in place, and Predict shares
// them between a lock and its prediction, so two nodes with equal keys have
// equal sources.
type attrsKey struct {
	original, locked *lockgraph.Attr
	no, nl           int
}

func keyOfAttrs(n *lockgraph.Node) attrsKey {
	k := attrsKey{no: len(n.Original), nl: len(n.Locked)}
	if k.no > 0 {
		k.original = &n.Original[0]
	}
	if k.nl > 0 {
		k.locked = &n.Locked[0]
	}
	return k
}

// kindOf is lockgraph.SourceOf(n).Kind.
func kindOf(n *lockgraph.Node) string {
	attrs := n.Original
	if len(attrs) == 0 {
		attrs = n.Locked
	}
	return attrs.String("type")
}

// classify sets o.Copies (every reachable node of the lock that the
// outcome lists, with its status), marks o.Before's copies that the plan's
// follows remove (CouldFollowRoot, and the nixpkgs count of them, so that
// analyze shows exactly what fix would do), and counts the nixpkgs copies
// of the predicted lock (o.After). o.Before must be lockgraph.Analyze of
// the flake's lock.
func (o *Outcome) classify(declared []lockgraph.Follows) {
	fl := o.Flake
	g := fl.Graph
	w := walkLock(g)
	n := int32(len(w.nodes))

	// What Analyze found about the grouped copies.
	grouped := make([]*lockgraph.Copy, n)
	groupOf := make([]int32, n)
	for gi := range o.Before.Groups {
		grp := &o.Before.Groups[gi]
		for j := range grp.Copies {
			if i, ok := w.index[grp.Copies[j].Key]; ok {
				grouped[i], groupOf[i] = &grp.Copies[j], int32(gi)
			}
		}
	}
	rootTarget := make([]bool, n)
	if n > 0 {
		for _, in := range w.nodes[0].Inputs {
			if i, ok := w.index[in.Target]; ok {
				rootTarget[i] = true
			}
		}
	}
	keep := map[string]bool{}
	for _, id := range o.Options.Sources {
		keep[strings.ToLower(id)] = true
	}
	pp := newPlanPaths(o.Edits, declared, o.Result.HeldBack)
	nixpkgs := make([]bool, n) // per node, whether it is a nixpkgs copy
	var (
		list      []Copy
		paths     map[string]lockgraph.NodePaths
		buf       []string
		follows   = make([]bool, n) // per node, whether it is listed as Follow
		nixNodes  []*lockgraph.Node
		nixFollow int
	)
	for i := int32(1); i < n; i++ {
		node := w.nodes[i]
		var src lockgraph.Source
		if c := grouped[i]; c != nil {
			src = o.Before.Groups[groupOf[i]].Source
			src.Kind = kindOf(node)
		} else {
			src = lockgraph.SourceOf(node)
		}
		nixpkgs[i] = src.Nixpkgs
		if !src.Nixpkgs && o.Result.Before[src.ID] < 2 && !keep[src.ID] {
			continue // a source with one copy, that nobody asked about
		}
		cp := Copy{Key: w.keys[i], Path: w.directPath(i, &buf), Source: src}
		if c := grouped[i]; c != nil {
			cp.Branch, cp.Rev = c.Branch, c.Rev
		} else {
			cp.Branch, cp.Rev = lockgraph.BranchOf(node), node.Locked.String("rev")
		}
		if cp.Path == nil {
			if paths == nil {
				paths = g.Paths()
			}
			cp.Path = paths[cp.Key].Canonical
		}
		if fl.Inputs != nil && len(cp.Path) > 0 {
			if in := fl.Inputs.Inputs[cp.Path[0]]; in != nil && in.Line > 0 {
				cp.Line = in.Line
			}
		}
		if rootTarget[i] {
			cp.Status = Root
		} else {
			var h *lockgraph.HeldBack
			cp.Status, cp.Fix, h = pp.status(cp.Path)
			if h != nil {
				cp.Reason, cp.NeedsNix = h.Reason, h.NeedsNix
			}
		}
		follows[i] = cp.Status == Follow
		if src.Nixpkgs {
			nixNodes = append(nixNodes, node)
			if follows[i] {
				nixFollow++
			}
		}
		list = append(list, cp)
	}

	// Root inputs first, then by joined path; the key breaks ties, as
	// the byte order of the keys the copies were once listed in did.
	order := make([]int, len(list))
	for k := range order {
		order[k] = k
	}
	slices.SortFunc(order, func(a, b int) int {
		x, y := &list[a], &list[b]
		if (x.Status == Root) != (y.Status == Root) {
			if x.Status == Root {
				return -1
			}
			return 1
		}
		if c := compareJoined(x.Path, y.Path); c != 0 {
			return c
		}
		return strings.Compare(x.Key, y.Key)
	})
	o.Copies = make([]Copy, len(list))
	for k, i := range order {
		o.Copies[k] = list[i]
	}
	o.beforeNix = nixNodes

	// Analyze's report is this outcome's own: mark it in place.
	for gi := range o.Before.Groups {
		grp := &o.Before.Groups[gi]
		for j := range grp.Copies {
			i, ok := w.index[grp.Copies[j].Key]
			grp.Copies[j].CouldFollowRoot = ok && follows[i]
		}
	}
	o.Before.Nixpkgs.CouldFollowRoot = nixFollow
	if o.Before.Groups == nil {
		o.Before.Groups = []lockgraph.Group{} // as marking a copy of it gave
	}

	// The predicted lock shares its attribute sets with this one: its
	// nodes' sources are known but for those Predict made anew.
	known := make(map[attrsKey]bool, n)
	for i := int32(1); i < n; i++ {
		known[keyOfAttrs(w.nodes[i])] = nixpkgs[i]
	}
	o.afterNix = nil
	if pred := o.Result.Predicted; pred != nil {
		pw := walkLock(pred)
		for _, node := range pw.nodes[min(1, len(pw.nodes)):] {
			isNix, ok := known[keyOfAttrs(node)]
			if !ok {
				isNix = lockgraph.SourceOf(node).Nixpkgs
			}
			if isNix {
				o.afterNix = append(o.afterNix, node)
			}
		}
	}
	revs := make(map[string]bool, len(o.afterNix))
	for _, node := range o.afterNix {
		revs[revisionOf(node)] = true
	}
	o.After = NixpkgsCount{Copies: len(o.afterNix), Revisions: len(revs)}
}

// revisionOf is what lockgraph.Analyze tells two copies' contents apart
// by: the locked rev, or the narHash for a copy locked without one.
func revisionOf(n *lockgraph.Node) string {
	if rev := n.Locked.String("rev"); rev != "" {
		return rev
	}
	if h := n.Locked.String("narHash"); h != "" {
		return h
	}
	return "node:" + n.Key
}
