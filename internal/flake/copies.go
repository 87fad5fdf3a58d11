package flake

import (
	"cmp"
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
// and revision) is reused instead of read again; each listed copy's path is
// joined once, into one string for all, which the sort compares and whose
// prefixes, cut at the segment boundaries, are looked up for the status
// instead of joining every prefix anew. copies_test.go pins the result to
// the definitions as they were.

// lockWalk numbers the nodes reachable from a graph's root (0 is the
// root): first those reached through direct (non-follows) edges, breadth
// first, each with the direct edge that first reached it; then those
// reached only through follows edges, without one. Edges to keys missing
// from the graph, or mapped to nil, are skipped, as lockgraph's walk skips
// them. Edges are followed by the numbers lockgraph gave the nodes
// (lockgraph.Numbers), without looking keys up: on a big lock those
// lookups were the cost of the walk.
type lockWalk struct {
	keys  []string
	nodes []*lockgraph.Node
	// numbers is the graph's numbering; walked maps a node's number there
	// to its number in the walk, -1 when the walk did not reach it.
	numbers lockgraph.Numbers
	walked  []int32
	// num is each walked node's number in numbers (walked's inverse).
	num []int32
	// parent and edge are the direct edge that reached each node first
	// (parent -1 when none: the root, and nodes reached only through
	// follows); depth is its direct path's length.
	parent []int32
	edge   []string
	depth  []int32
}

// walkLock walks g. reachable is how many nodes lockgraph reaches from
// the root, the root excluded (lockgraph.Report.Nodes), or -1 when
// unknown: when the direct edges reach that many, no node can be reached
// only through follows and the follows edges are not looked at.
func walkLock(g *lockgraph.Graph, reachable int) *lockWalk {
	return walkNumbered(g, g.Numbers(), reachable)
}

// walkNumbered is walkLock with g's numbering given.
func walkNumbered(g *lockgraph.Graph, nb lockgraph.Numbers, reachable int) *lockWalk {
	size := max(reachable+1, 0)
	w := &lockWalk{numbers: nb, walked: make([]int32, nb.Len()), num: make([]int32, 0, size), keys: make([]string, 0, size),
		nodes: make([]*lockgraph.Node, 0, size), parent: make([]int32, 0, size), edge: make([]string, 0, size),
		depth: make([]int32, 0, size)}
	for i := range w.walked {
		w.walked[i] = -1
	}
	add := func(num int32, parent int32, edge string) {
		w.walked[num] = int32(len(w.keys))
		w.num = append(w.num, num)
		w.keys = append(w.keys, nb.Key(num))
		w.nodes = append(w.nodes, nb.Node(num))
		w.parent = append(w.parent, parent)
		w.edge = append(w.edge, edge)
		depth := int32(0)
		if parent >= 0 {
			depth = w.depth[parent] + 1
		}
		w.depth = append(w.depth, depth)
	}
	root, ok := nb.Of(g.Nodes[g.Root])
	if !ok {
		return w
	}
	add(root, -1, "")
	for q := 0; q < len(w.num); q++ {
		for k, in := range w.nodes[q].Inputs {
			if in.IsFollows() {
				continue
			}
			if t := nb.Target(w.num[q], k); t >= 0 && w.walked[t] < 0 {
				add(t, int32(q), in.Name)
			}
		}
	}
	if len(w.nodes)-1 == reachable {
		return w
	}
	direct := len(w.nodes)
	for q := 0; q < len(w.num); q++ {
		for k, in := range w.nodes[q].Inputs {
			if q < direct && !in.IsFollows() {
				continue // its target was reached above
			}
			if t := nb.Target(w.num[q], k); t >= 0 && w.walked[t] < 0 {
				add(t, -1, "")
			}
		}
	}
	return w
}

// find returns the walk's number of the node with the given key.
func (w *lockWalk) find(g *lockgraph.Graph, key string) (int32, bool) {
	num, ok := w.numbers.Of(g.Nodes[key])
	if !ok || w.walked[num] < 0 {
		return 0, false
	}
	return w.walked[num], true
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

// planPaths is what the plan says about input paths, keyed by joined
// path (lockgraph.JoinPath) as a copy's status is defined: the planned
// follows (the first edit's line when several share a path), the follows
// flake.nix declares, and the held-back copies (the last one at a path).
type planPaths struct {
	planned map[string]string
	pending map[string]bool
	held    map[string]*lockgraph.HeldBack
}

func newPlanPaths(edits []rewrite.Edit, declared []lockgraph.Follows, heldBack []lockgraph.HeldBack) *planPaths {
	pp := &planPaths{planned: map[string]string{}, pending: make(map[string]bool, len(declared)),
		held: make(map[string]*lockgraph.HeldBack, len(heldBack))}
	lines := ManualLines(edits)
	for i, e := range edits {
		if f, ok := e.(rewrite.AddFollows); ok {
			if _, dup := pp.planned[lockgraph.JoinPath(f.Path)]; !dup {
				pp.planned[lockgraph.JoinPath(f.Path)] = lines[i]
			}
		}
	}
	for _, f := range declared {
		pp.pending[lockgraph.JoinPath(f.Input)] = true
	}
	for i := range heldBack {
		pp.held[lockgraph.JoinPath(heldBack[i].Path)] = &heldBack[i]
	}
	return pp
}

// status is what the plan does with the copy at path (not a root input),
// joined being lockgraph.JoinPath(path): the shortest prefix of path that
// a planned follows (else a declared one) overrides decides; else the copy
// is held when the plan holds path back. The prefixes are cut from joined
// at the segment boundaries, so nothing is joined again.
func (pp *planPaths) status(path []string, joined string) (Status, string, *lockgraph.HeldBack) {
	end := 0
	for i, seg := range path {
		if i > 0 {
			end++ // the '/' before seg
		}
		end += len(seg)
		prefix := joined[:end]
		if line, ok := pp.planned[prefix]; ok {
			return Follow, line, nil
		} else if pp.pending[prefix] {
			return Pending, "", nil
		}
	}
	if h, ok := pp.held[joined]; ok {
		return Held, "", h
	}
	return Kept, "", nil
}

// directNode returns the walk number of the node whose direct path is
// path, and false when no walked node has that direct path. It follows the
// direct edges named by path from the root and checks at each step that
// the edge is the one that first reached its target, so the nodes passed
// are exactly the ancestors whose direct paths are path's prefixes.
func (w *lockWalk) directNode(path []string) (int32, bool) {
	if len(w.nodes) == 0 {
		return 0, false
	}
	q := int32(0)
	for _, seg := range path {
		ins := w.nodes[q].Inputs
		k, ok := slices.BinarySearchFunc(ins, seg, func(in lockgraph.Input, name string) int { return strings.Compare(in.Name, name) })
		if !ok || ins[k].IsFollows() {
			return 0, false
		}
		t := w.numbers.Target(w.num[q], k)
		if t < 0 {
			return 0, false
		}
		c := w.walked[t]
		if c < 0 || w.parent[c] != q || w.edge[c] != seg {
			return 0, false
		}
		q = c
	}
	return q, true
}

// planMarks is planPaths by walk number, for the copies whose path is
// their direct path: a direct path's prefixes are the direct paths of the
// node's ancestors in the walk, so the shortest overridden prefix is found
// by inheriting down the walk instead of joining and looking up prefixes.
// It is exact only when no segment of those paths, nor of the plan's paths,
// contains a '/': then two paths join alike only when they are equal, and
// planPaths' joined keys tell apart what the paths tell apart. A plan path
// that is no node's direct path is no direct path's prefix either, and is
// dropped.
type planMarks struct {
	// decide is, per walk node, the status the shortest overridden prefix
	// of its direct path gives: 0 none, -1 Pending, k > 0 Follow with
	// lines[k-1].
	decide []int32
	lines  []string
	// held is the last held-back copy at each joined path, as planPaths
	// has it: one lookup per copy that no prefix decides.
	held map[string]*lockgraph.HeldBack
}

// newPlanMarks marks the walk's nodes as newPlanPaths keys the paths, and
// reports false when some plan path has a segment with a '/' (planMarks
// is not exact then).
func newPlanMarks(w *lockWalk, edits []rewrite.Edit, declared []lockgraph.Follows, heldBack []lockgraph.HeldBack) (*planMarks, bool) {
	slashed := func(path []string) bool {
		for _, seg := range path {
			if strings.IndexByte(seg, '/') >= 0 {
				return true
			}
		}
		return false
	}
	n := len(w.nodes)
	pm := &planMarks{decide: make([]int32, n), held: make(map[string]*lockgraph.HeldBack, len(heldBack))}
	own := make([]int32, n) // each node's own mark, as decide's values
	lines := ManualLines(edits)
	for k, e := range edits {
		f, ok := e.(rewrite.AddFollows)
		if !ok {
			continue
		}
		if slashed(f.Path) {
			return nil, false
		}
		if i, found := w.directNode(f.Path); found && len(f.Path) > 0 && own[i] == 0 {
			pm.lines = append(pm.lines, lines[k])
			own[i] = int32(len(pm.lines)) // the first edit at a path wins
		}
	}
	for _, f := range declared {
		if slashed(f.Input) {
			return nil, false
		}
		if i, found := w.directNode(f.Input); found && len(f.Input) > 0 && own[i] == 0 {
			own[i] = -1 // a planned follows at the same path wins
		}
	}
	for k := range heldBack {
		pm.held[lockgraph.JoinPath(heldBack[k].Path)] = &heldBack[k] // the last one at a path wins
	}
	// Parents come before their children in the walk, and the root's
	// (empty) path is no prefix status looks at.
	for i := 1; i < n; i++ {
		if p := w.parent[i]; p > 0 && pm.decide[p] != 0 {
			pm.decide[i] = pm.decide[p]
		} else if p >= 0 {
			pm.decide[i] = own[i]
		}
	}
	return pm, true
}

// status is planPaths.status for walk node i, whose path is its direct
// path, joined being lockgraph.JoinPath of it.
func (pm *planMarks) status(i int32, joined string) (Status, string, *lockgraph.HeldBack) {
	switch d := pm.decide[i]; {
	case d > 0:
		return Follow, pm.lines[d-1], nil
	case d < 0:
		return Pending, "", nil
	}
	if h, ok := pm.held[joined]; ok {
		return Held, "", h
	}
	return Kept, "", nil
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
// the flake's lock, which Load read (one node per key).
func (o *Outcome) classify(declared []lockgraph.Follows) {
	fl := o.Flake
	g := fl.Graph
	nb := g.Numbers()
	// The walk and what Analyze found about the grouped copies are
	// independent: on a big lock they are found side by side.
	parallel := nb.Len() >= parallelNodes
	var (
		w  *lockWalk
		gc *groupedCopies
	)
	concurrently(parallel, func() { w = walkNumbered(g, nb, o.Before.Nodes) }, func() { gc = groupCopies(g, nb, o.Before.Groups) })
	n := int32(len(w.nodes))
	// copyAt is, per walked node, 1 + its index in gc, 0 when it is in no
	// group; at is, per copy of gc, its walked node, -1 when none.
	copyAt := make([]int32, n)
	at := make([]int32, len(gc.num))
	for k, num := range gc.num {
		at[k] = -1
		if num >= 0 && w.walked[num] >= 0 {
			at[k] = w.walked[num]
			copyAt[at[k]] = int32(k + 1)
		}
	}
	rootTarget := make([]bool, n)
	if n > 0 {
		for _, in := range w.nodes[0].Inputs {
			if i, ok := w.find(g, in.Target); ok {
				rootTarget[i] = true
			}
		}
	}
	keep := map[string]bool{}
	for _, id := range o.Options.Sources {
		keep[strings.ToLower(id)] = true
	}
	// Whether each group's source is listed, as for a node of its own.
	groupListed := make([]bool, len(o.Before.Groups))
	for gi, grp := range o.Before.Groups {
		src := grp.Source
		groupListed[gi] = src.Nixpkgs || o.Result.Before[src.ID] >= 2 || keep[src.ID]
	}

	// First the listed nodes and their paths, sorted: root inputs first,
	// then by joined path; the key breaks ties, as the byte order of the
	// keys the copies were once listed in did.
	type entry struct {
		node   int32
		root   bool
		src    lockgraph.Source
		path   []string
		joined string // lockgraph.JoinPath(path), carved from one string
		lo, hi int
		// direct is set when path is the node's direct path and no
		// segment of it contains a '/': planMarks gives its status.
		direct bool
	}
	var (
		entries []entry
		paths   map[string]lockgraph.NodePaths
		buf     []string
		joined  []byte
		nixID   = make([]string, n) // per node, its source ID when nixpkgs, else ""
	)
	readSingles := singlesListed(o, keep)
	entries = make([]entry, 0, len(at)+o.Before.Nixpkgs.Copies)
	joined = make([]byte, 0, 32*cap(entries)) // a guess: paths are short
	buf = make([]string, 3*cap(entries))      // carved by directPath
	// The listing needs the walk only, and so do the plan's marks.
	var (
		pm     *planMarks
		marked bool
	)
	concurrently(parallel, func() {
		for i := int32(1); i < n; i++ {
			var src lockgraph.Source
			listed := false
			switch c := copyAt[i]; {
			case c > 0:
				gi := gc.group[c-1]
				src = o.Before.Groups[gi].Source
				listed = groupListed[gi]
			case readSingles:
				src = lockgraph.SourceOf(w.nodes[i])
				listed = src.Nixpkgs || o.Result.Before[src.ID] >= 2 || keep[src.ID]
			}
			if src.Nixpkgs {
				nixID[i] = src.ID
			}
			if !listed {
				continue // a source with one copy, that nobody asked about
			}
			path := w.directPath(i, &buf)
			direct := path != nil
			if path == nil {
				if paths == nil {
					paths = g.Paths()
				}
				path = paths[w.keys[i]].Canonical
			}
			start := len(joined)
			for k, seg := range path {
				if k > 0 {
					joined = append(joined, '/')
				}
				joined = append(joined, seg...)
				if direct && strings.IndexByte(seg, '/') >= 0 {
					direct = false
				}
			}
			entries = append(entries, entry{node: i, root: rootTarget[i], src: src, path: path, lo: start, hi: len(joined), direct: direct})
		}
	}, func() { pm, marked = newPlanMarks(w, o.Edits, declared, o.Result.HeldBack) })

	// The predicted lock's nixpkgs copies need the nodes' sources only:
	// they are counted while the copies are sorted and given their status.
	var (
		follows   = make([]bool, n) // per node, whether it is listed as Follow
		nixFollow = 0
		afterNix  []*lockgraph.Node
		revs      map[string]bool
	)
	concurrently(parallel, func() {
		all := string(joined)
		type sortKey struct {
			// head is joined's first 8 bytes, big-endian, zero-padded: when
			// two heads differ they order as the strings do (a shorter string
			// pads with zeros, which sort before any byte that differs), so
			// most comparisons are of integers.
			head   uint64
			joined string
			at     int32 // in entries
			root   bool
		}
		order := make([]sortKey, len(entries))
		for k := range entries {
			e := &entries[k]
			e.joined = all[e.lo:e.hi]
			order[k] = sortKey{headOf(e.joined), e.joined, int32(k), e.root}
		}
		slices.SortFunc(order, func(x, y sortKey) int {
			if x.root != y.root {
				if x.root {
					return -1
				}
				return 1
			}
			if x.head != y.head {
				return cmp.Compare(x.head, y.head)
			}
			if c := strings.Compare(x.joined, y.joined); c != 0 {
				return c
			}
			return strings.Compare(w.keys[entries[x.at].node], w.keys[entries[y.at].node])
		})

		// Then each listed copy in that order, with its status.
		var pp *planPaths // built when a copy needs it
		o.Copies = make([]Copy, len(entries))
		o.beforeNix = make([]*lockgraph.Node, 0, o.Before.Nixpkgs.Copies)
		for k, sk := range order {
			e := &entries[sk.at]
			i, node := e.node, w.nodes[e.node]
			cp := &o.Copies[k]
			*cp = Copy{Key: w.keys[i], Path: e.path, Source: e.src}
			if c := copyAt[i]; c > 0 {
				cp.Source.Kind = gc.kind[c-1] // a group's is its first copy's
				cp.Branch, cp.Rev = gc.copies[c-1].Branch, gc.copies[c-1].Rev
			} else {
				cp.Branch, cp.Rev = lockgraph.BranchOf(node), node.Locked.String("rev")
			}
			if fl.Inputs != nil && len(cp.Path) > 0 {
				if in := fl.Inputs.Inputs[cp.Path[0]]; in != nil && in.Line > 0 {
					cp.Line = in.Line
				}
			}
			if e.root {
				cp.Status = Root
			} else {
				var h *lockgraph.HeldBack
				if marked && e.direct {
					cp.Status, cp.Fix, h = pm.status(i, e.joined)
				} else {
					if pp == nil {
						pp = newPlanPaths(o.Edits, declared, o.Result.HeldBack)
					}
					cp.Status, cp.Fix, h = pp.status(cp.Path, e.joined)
				}
				if h != nil {
					cp.Reason, cp.NeedsNix = h.Reason, h.NeedsNix
				}
			}
			follows[i] = cp.Status == Follow
			if cp.Source.Nixpkgs {
				o.beforeNix = append(o.beforeNix, node)
				if follows[i] {
					nixFollow++
				}
			}
		}

	}, func() {
		afterNix = predictedNixpkgs(o.Result.Predicted, w, nixID)
		revs = make(map[string]bool, len(afterNix))
		for _, node := range afterNix {
			revs[revisionOf(node)] = true
		}
	})
	o.afterNix = afterNix
	o.After = NixpkgsCount{Copies: len(afterNix), Revisions: len(revs)}

	// Analyze's report is this outcome's own: mark it in place.
	for k, c := range gc.copies {
		c.CouldFollowRoot = at[k] >= 0 && follows[at[k]]
	}
	o.Before.Nixpkgs.CouldFollowRoot = nixFollow
	if o.Before.Groups == nil {
		o.Before.Groups = []lockgraph.Group{} // as marking a copy of it gave
	}

}

// headOf returns s's first 8 bytes as a big-endian integer, padded with
// zero bytes when s is shorter.
func headOf(s string) uint64 {
	var h uint64
	for i := range 8 {
		h <<= 8
		if i < len(s) {
			h |= uint64(s[i])
		}
	}
	return h
}

// groupedCopies are the copies of a report's groups, in turn, with what
// classify needs of each.
type groupedCopies struct {
	copies []*lockgraph.Copy
	// group is each copy's group (its index in the report), num its node's
	// number in the graph's numbering (-1 when its key names no node), kind
	// its node's fetcher type (kindOf), set at the last copy of each node
	// (a report Analyze made has one copy per node), the one classify reads.
	group []int32
	num   []int32
	kind  []string
}

// groupCopies finds the nodes of the groups' copies in g by key, then
// reads their fetcher types in number order, which is the order Load
// stored the nodes in: on a big lock, reading them in any other order
// waits on memory for most nodes.
func groupCopies(g *lockgraph.Graph, nb lockgraph.Numbers, groups []lockgraph.Group) *groupedCopies {
	total := 0
	for _, grp := range groups {
		total += len(grp.Copies)
	}
	gc := &groupedCopies{copies: make([]*lockgraph.Copy, 0, total), group: make([]int32, 0, total),
		num: make([]int32, 0, total), kind: make([]string, total)}
	copyOf := make([]int32, nb.Len()) // per node, 1 + its last copy's index in gc, 0 when none
	for gi := range groups {
		for j := range groups[gi].Copies {
			c := &groups[gi].Copies[j]
			num, ok := nb.Of(g.Nodes[c.Key])
			if !ok {
				num = -1
			} else {
				copyOf[num] = int32(len(gc.num) + 1)
			}
			gc.copies, gc.group, gc.num = append(gc.copies, c), append(gc.group, int32(gi)), append(gc.num, num)
		}
	}
	for num, k := range copyOf {
		if k > 0 {
			gc.kind[k-1] = kindOf(nb.Node(int32(num)))
		}
	}
	return gc
}

// singlesListed reports whether some node that is the only copy of its
// source (in no group of o.Before) may be listed: it is a nixpkgs copy
// (o.Before counts more nixpkgs copies than its groups hold), a source
// asked about (keep), or one the plan counts twice (o.Result.Before counts
// the root as a copy of its source, and the lock the declared promotions
// make). When none may, the sources of those nodes are not read at all:
// none is listed and none is nixpkgs.
func singlesListed(o *Outcome, keep map[string]bool) bool {
	if len(keep) > 0 {
		return true
	}
	grouped := make(map[string]bool, len(o.Before.Groups))
	nix := 0
	for _, grp := range o.Before.Groups {
		grouped[grp.Source.ID] = true
		if grp.Source.Nixpkgs {
			nix += len(grp.Copies)
		}
	}
	if nix != o.Before.Nixpkgs.Copies {
		return true
	}
	for id, c := range o.Result.Before {
		if c >= 2 && !grouped[id] {
			return true
		}
	}
	return false
}

// predictedNixpkgs returns the reachable nixpkgs nodes of pred (the
// predicted lock), in no particular order: the nodes walkLock reaches
// (direct edges breadth first, then follows), the root excluded. nixID is,
// per node of the lock's walk w, its source ID when it is nixpkgs, else
// "".
//
// The predicted lock copies the lock's nodes and shares their attribute
// sets, so SourceOf is needed only for the nodes whose attributes are not
// those of the lock node they stand for. Which node that is, is found
// without looking keys up: the predicted lock is walked alongside the lock,
// a direct edge of the prediction taken to stand for the lock's direct
// edge of the same name at the same place in Inputs (a prediction only
// turns edges into follows, keeping every input's place). That pairing is
// only a guess, which the attribute sets check: lockgraph never modifies
// an attribute set in place, so a node whose attribute sets are stored
// where a lock node's are has that node's source (SourceOf reads nothing
// else). A wrong or missing guess costs a SourceOf, never a wrong answer.
func predictedNixpkgs(pred *lockgraph.Graph, w *lockWalk, nixID []string) []*lockgraph.Node {
	if pred == nil {
		return nil
	}
	pn := pred.Numbers()
	root, ok := pn.Of(pred.Nodes[pred.Root])
	if !ok {
		return nil
	}
	const unseen = -2
	// lockOf is, per node of pred, the walk number in w of the lock node
	// it stands for, -1 when none is known, unseen before it is reached.
	lockOf := make([]int32, pn.Len())
	queue := make([]int32, 0, pn.Len())
	// reach marks the unseen targets of num's direct edges as reached,
	// each paired with the target of the lock's edge at the same place
	// when that has the same name and is direct too, and queues them
	// when enqueue is set.
	reach := func(num int32, enqueue bool) {
		l := lockOf[num]
		var lockIns lockgraph.Inputs
		if l >= 0 {
			lockIns = w.nodes[l].Inputs
		}
		for k, in := range pn.Node(num).Inputs {
			if in.IsFollows() {
				continue
			}
			t := pn.Target(num, k)
			if t < 0 || lockOf[t] != unseen {
				continue
			}
			lockOf[t] = -1
			if k < len(lockIns) && lockIns[k].Name == in.Name && !lockIns[k].IsFollows() {
				if lt := w.numbers.Target(w.num[l], k); lt >= 0 {
					lockOf[t] = w.walked[lt]
				}
			}
			if enqueue {
				queue = append(queue, t)
			}
		}
	}
	start := func() {
		for i := range lockOf {
			lockOf[i] = unseen
		}
		lockOf[root] = -1
		if len(w.nodes) > 0 {
			lockOf[root] = 0
		}
	}
	// A prediction numbers its nodes in the order a depth-first walk of
	// direct edges from the root first reaches them, so each node is
	// reached from one numbered before it: the nodes are then taken in
	// number order (their memory's order), and they are all reachable.
	// When some node is not reached from one before it, the graph is
	// walked breadth first instead.
	start()
	inOrder := root == 0
	for num := int32(0); inOrder && num < int32(pn.Len()); num++ {
		if lockOf[num] == unseen {
			inOrder = false
			break
		}
		reach(num, false)
		queue = append(queue, num)
	}
	if !inOrder {
		start()
		queue = append(queue[:0], root)
		for q := 0; q < len(queue); q++ {
			reach(queue[q], true)
		}
	}
	if len(queue) < pn.Len() { // some nodes may be reached only through follows
		direct := len(queue)
		for q := 0; q < len(queue); q++ {
			num := queue[q]
			for k, in := range pn.Node(num).Inputs {
				if q < direct && !in.IsFollows() {
					continue // its target was reached above
				}
				if t := pn.Target(num, k); t >= 0 && lockOf[t] == unseen {
					lockOf[t] = -1
					queue = append(queue, t)
				}
			}
		}
	}
	var nodes []*lockgraph.Node
	for _, num := range queue[1:] {
		node := pn.Node(num)
		if l := lockOf[num]; l > 0 && keyOfAttrs(node) == keyOfAttrs(w.nodes[l]) {
			if nixID[l] != "" {
				nodes = append(nodes, node)
			}
		} else if lockgraph.SourceOf(node).Nixpkgs {
			nodes = append(nodes, node)
		}
	}
	return nodes
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
