package lockgraph

import (
	"fmt"
	"sort"
	"strings"
)

// Policy says how far Plan may go.
type Policy struct {
	// CrossBranch lets copies on other branch classes, and nixpkgs forks,
	// follow the root's nixpkgs (or the root's input of their source).
	CrossBranch bool
	// All deduplicates every duplicated source, not only nixpkgs.
	All bool
	// Ignore lists input paths ("a/nixpkgs") and root input names ("a")
	// that Plan must not override, nor anything below or above them.
	Ignore []string
	// Promote lets Plan add an intermediate input as a root input when a
	// deeper copy can only be reached through it.
	Promote bool
	// Deep lets Plan emit overrides deeper than two levels (they need Nix
	// 2.30 or later).
	Deep bool
}

// Promotion is a new root input Plan asks for: Name, a copy of the node at
// Path pinned to its locked revision (see Promote).
type Promotion struct {
	// Name is the new root input's name.
	Name string
	// Path is the input path of the node it copies.
	Path []string
}

// String renders p as `name = a/b`.
func (p Promotion) String() string { return p.Name + " = " + strings.Join(p.Path, "/") }

// HeldBack is a duplicate copy that Plan leaves in place, and why.
type HeldBack struct {
	// Path is the input path of the copy in the predicted lock.
	Path []string
	// Reason says why it stays, e.g. "S/nixpkgs is on nixos-24.05".
	Reason string
}

// Result is what Plan proposes.
type Result struct {
	// Follows are the overrides to add to flake.nix, in the order Plan chose
	// them; none of them is among the declared ones.
	Follows []Follows
	// Promotions are the root inputs to add to flake.nix before the follows.
	Promotions []Promotion
	// HeldBack lists the duplicate copies left in the predicted lock, sorted
	// by path.
	HeldBack []HeldBack
	// Predicted is the lock Nix writes once the declared follows, the
	// promotions and Follows are in flake.nix.
	Predicted *Graph
	// Before and After count the copies of each source (by Source ID) in
	// the lock as given and in Predicted.
	Before, After map[string]int
}

// maxPlanRounds bounds the top-down rounds of Plan; each round moves at
// least one edge, so only a bug could need more.
const maxPlanRounds = 100

// Plan proposes the follows that remove duplicate copies from the lock in
// g, given the follows already declared in flake.nix (applied first, as
// Predict does, so that a second run before re-locking proposes nothing)
// and a Policy.
//
// For each copy of nixpkgs (with Policy.All: of every duplicated source)
// that is not a root input, Plan picks where it should point:
//
//  1. a root input of the same source and branch class; when several fit,
//     the one most edges of the lock already resolve to, then the newest
//     (locked lastModified), then the first by name;
//  2. with CrossBranch, else the root's input of the same source (for
//     nixpkgs and its forks: upstream first), chosen the same way;
//  3. else the copy of the same source and class that is shallowest, then
//     newest, then first by path (`follows = "haskellNix/nixpkgs-2305"`).
//
// A copy that is the only one of its class (another branch, or a fork,
// without CrossBranch) is held back with the reason.
//
// Plan works top-down and emits only depth-two overrides ([A X]). A deeper
// copy is reached by first collapsing its depth-two ancestor onto a root
// input of the same source ([C B] -> [B]), which also drops that
// intermediate's own subtree; the next round then sees the copy at depth
// two. Without such a root input, Policy.Deep emits the deep override and
// Policy.Promote adds the intermediate as a root input; with neither the
// copy is held back as needing one of them. Edges that are already follows
// (written in flake.nix or in a dependency) are never changed, nor is an
// intermediate collapsed when declared follows live below it.
func Plan(g *Graph, declared []Follows, p Policy) (*Result, error) {
	cur, err := Predict(g, declared)
	if err != nil {
		return nil, fmt.Errorf("apply the declared follows: %w", err)
	}
	pl := planner{policy: p, declared: declared}
	res := &Result{Before: copyCounts(g)}
	for round := 0; ; round++ {
		if round == maxPlanRounds {
			return nil, fmt.Errorf("plan did not settle after %d rounds", maxPlanRounds)
		}
		step := pl.round(cur)
		if len(step.follows) == 0 && len(step.promotions) == 0 {
			res.HeldBack = step.heldBack
			break
		}
		for _, pr := range step.promotions {
			if cur, err = Promote(cur, pr.Name, pr.Path); err != nil {
				return nil, fmt.Errorf("plan: %w", err)
			}
		}
		if cur, err = Predict(cur, step.follows); err != nil {
			return nil, fmt.Errorf("plan: %w", err)
		}
		res.Promotions = append(res.Promotions, step.promotions...)
		res.Follows = append(res.Follows, step.follows...)
	}
	res.Predicted = cur
	res.After = copyCounts(cur)
	return res, nil
}

// copyCounts counts the reachable nodes of each source.
func copyCounts(g *Graph) map[string]int {
	counts := make(map[string]int)
	order, _ := NixKeys(g)
	for _, key := range order {
		if id := SourceOf(g.Nodes[key]).ID; id != "" {
			counts[id]++
		}
	}
	return counts
}

// planner holds what stays the same across the rounds of one Plan.
type planner struct {
	policy   Policy
	declared []Follows
}

// step is what one round proposes.
type step struct {
	follows    []Follows
	promotions []Promotion
	heldBack   []HeldBack
}

// copyInfo is one reachable node as the planner sees it.
type copyInfo struct {
	key    string
	path   []string
	source Source
	family string // source ID, or "nixpkgs" for every nixpkgs copy
	branch Branch
	newest int64 // locked lastModified
	uses   int   // edges resolving to this node
}

// rootInput is a root input as a possible target.
type rootInput struct {
	name string
	node *copyInfo
}

// round looks at the current graph and proposes the next moves.
func (pl planner) round(g *Graph) step {
	order, _ := NixKeys(g)
	paths := inputPaths(g, order)

	uses := make(map[string]int)
	for _, key := range order {
		for _, e := range g.Nodes[key].Inputs {
			uses[e.Target]++
		}
	}
	infos := make(map[string]*copyInfo, len(order))
	familyCount := make(map[string]int)
	var all []*copyInfo
	for _, key := range order {
		if key == g.Root {
			continue
		}
		n := g.Nodes[key]
		c := &copyInfo{key: key, path: paths[key], source: SourceOf(n), branch: BranchOf(n), uses: uses[key]}
		if c.source.ID == "" {
			continue
		}
		c.family = c.source.ID
		if c.source.Nixpkgs {
			c.family = "nixpkgs"
		}
		c.newest, _ = n.Locked.Int("lastModified")
		infos[key] = c
		familyCount[c.family]++
		all = append(all, c)
	}

	var roots []rootInput
	root := g.Nodes[g.Root]
	for _, name := range sortedInputNames(root) {
		if c, ok := infos[root.Inputs[name].Target]; ok {
			roots = append(roots, rootInput{name: name, node: c})
		}
	}
	isRootNode := make(map[string]bool)
	for _, r := range roots {
		isRootNode[r.node.key] = true
	}

	var st step
	emitted := make(map[string]bool)
	emit := func(f Follows) {
		k := strings.Join(f.Input, "/")
		if !emitted[k] {
			emitted[k] = true
			st.follows = append(st.follows, f)
		}
	}
	promoted := make(map[string]bool) // source IDs promoted this round
	newNames := make(map[string]bool) // root input names promoted this round
	hold := func(c *copyInfo, reason string) {
		st.heldBack = append(st.heldBack, HeldBack{Path: c.path, Reason: reason})
	}

	sort.SliceStable(all, func(i, j int) bool { return lessPath(all[i].path, all[j].path) })
	for _, c := range all {
		if isRootNode[c.key] || familyCount[c.family] < 2 {
			continue
		}
		if !c.source.Nixpkgs && !pl.policy.All {
			continue
		}
		pathStr := strings.Join(c.path, "/")
		if pl.ignored(c.path) {
			hold(c, pathStr+" is ignored")
			continue
		}
		target, reason := pl.targetOf(c, roots, all)
		if target == nil {
			hold(c, reason)
			continue
		}
		if len(c.path) == 2 {
			emit(Follows{Input: c.path, Target: target})
			continue
		}
		// Deeper: collapse the depth-two ancestor onto a root input of its
		// source, or go deep, or promote it.
		mid := c.path[:2]
		midStr := strings.Join(mid, "/")
		if pl.ignored(mid) || pl.declaredBelow(mid) {
			hold(c, fmt.Sprintf("%s is below %s, which has declared or ignored follows below it", pathStr, midStr))
			continue
		}
		midNode := infos[directTarget(g, mid)]
		if midNode != nil {
			if r := bestRoot(roots, func(r rootInput) bool { return r.node.source.ID == midNode.source.ID }, midNode.branch.Class); r != nil {
				emit(Follows{Input: append([]string(nil), mid...), Target: []string{r.name}})
				continue
			}
		}
		switch {
		case pl.policy.Deep:
			emit(Follows{Input: c.path, Target: target})
		case pl.policy.Promote && midNode != nil:
			if !promoted[midNode.source.ID] {
				promoted[midNode.source.ID] = true
				name := freeName(root, newNames, mid)
				newNames[name] = true
				st.promotions = append(st.promotions, Promotion{Name: name, Path: append([]string(nil), mid...)})
				emit(Follows{Input: append([]string(nil), mid...), Target: []string{name}})
			}
		default:
			hold(c, fmt.Sprintf("%s is below %s, which has no root input of its source: needs Promote or Deep", pathStr, midStr))
		}
	}
	sort.SliceStable(st.follows, func(i, j int) bool { return lessPath(st.follows[i].Input, st.follows[j].Input) })
	return st
}

// targetOf returns the path the copy c should follow, or nil and the reason
// it stays where it is.
func (pl planner) targetOf(c *copyInfo, roots []rootInput, all []*copyInfo) ([]string, string) {
	sameSource := func(r rootInput) bool { return r.node.source.ID == c.source.ID }
	sameClass := func(r rootInput) bool { return sameSource(r) && r.node.branch.Class == c.branch.Class }
	if r := bestRoot(roots, sameClass, ""); r != nil {
		return []string{r.name}, ""
	}
	if pl.policy.CrossBranch {
		if r := bestRootOfFamily(roots, c.family); r != nil {
			return []string{r.name}, ""
		}
	}
	var peers []*copyInfo
	for _, o := range all {
		if o.source.ID == c.source.ID && (o.branch.Class == c.branch.Class || pl.policy.CrossBranch) {
			peers = append(peers, o)
		}
	}
	best := peers[0]
	for _, o := range peers[1:] {
		if len(o.path) < len(best.path) || len(o.path) == len(best.path) && o.newest > best.newest {
			best = o
		}
	}
	if best != c {
		return best.path, ""
	}
	pathStr := strings.Join(c.path, "/")
	if c.source.Fork {
		return nil, fmt.Sprintf("%s is a fork (%s)", pathStr, c.source.ID)
	}
	return nil, fmt.Sprintf("%s is on %s", pathStr, branchName(c.branch))
}

// branchName describes a branch for a reason: its ref, a pinned rev, or
// the default branch.
func branchName(b Branch) string {
	switch {
	case b.Ref != "":
		return b.Ref
	case b.Rev != "":
		if len(b.Rev) > 7 {
			return "rev " + b.Rev[:7]
		}
		return "rev " + b.Rev
	default:
		return "the default branch"
	}
}

// bestRoot picks among the root inputs that fit: those of class preferClass
// first (when not empty), then the one most edges resolve to, then the
// newest, then the first by name (roots are sorted by name).
func bestRoot(roots []rootInput, fit func(rootInput) bool, preferClass string) *rootInput {
	var best *rootInput
	for i := range roots {
		r := &roots[i]
		if !fit(*r) {
			continue
		}
		if best == nil || better(r, best, preferClass) {
			best = r
		}
	}
	return best
}

func better(r, best *rootInput, preferClass string) bool {
	if preferClass != "" {
		rc, bc := r.node.branch.Class == preferClass, best.node.branch.Class == preferClass
		if rc != bc {
			return rc
		}
	}
	if r.node.uses != best.node.uses {
		return r.node.uses > best.node.uses
	}
	return r.node.newest > best.node.newest
}

// bestRootOfFamily is the root's input for a whole family: for nixpkgs,
// upstream before forks.
func bestRootOfFamily(roots []rootInput, family string) *rootInput {
	if r := bestRoot(roots, func(r rootInput) bool { return r.node.family == family && !r.node.source.Fork }, ""); r != nil {
		return r
	}
	return bestRoot(roots, func(r rootInput) bool { return r.node.family == family }, "")
}

// freeName is the root input name for promoting the input at mid: its own
// name when free, else "<parent>-<name>", else with a number.
func freeName(root *Node, newNames map[string]bool, mid []string) string {
	free := func(name string) bool {
		_, taken := root.Inputs[name]
		return !taken && !newNames[name]
	}
	for _, name := range []string{mid[1], mid[0] + "-" + mid[1]} {
		if free(name) {
			return name
		}
	}
	for n := 2; ; n++ {
		if name := fmt.Sprintf("%s-%s-%d", mid[0], mid[1], n); free(name) {
			return name
		}
	}
}

// directTarget returns the key of the node at path, walking direct edges
// only, or "" when the path is not one of direct edges.
func directTarget(g *Graph, path []string) string {
	key := g.Root
	for _, seg := range path {
		n, ok := g.Nodes[key]
		if !ok {
			return ""
		}
		e, ok := n.Inputs[seg]
		if !ok || e.IsFollows() {
			return ""
		}
		key = e.Target
	}
	return key
}

// ignored reports whether an override at path is excluded by
// Policy.Ignore: an entry names path, one of its ancestors, or something
// below it.
func (pl planner) ignored(path []string) bool {
	for _, entry := range pl.policy.Ignore {
		if related(strings.Split(strings.Trim(entry, "/"), "/"), path) {
			return true
		}
	}
	return false
}

// declaredBelow reports whether a declared follows sits strictly below path,
// where collapsing path would make Nix ignore it.
func (pl planner) declaredBelow(path []string) bool {
	for _, f := range pl.declared {
		if len(f.Input) > len(path) && hasPrefix(f.Input, path) {
			return true
		}
	}
	return false
}

// related reports whether one path is a prefix of the other.
func related(a, b []string) bool { return hasPrefix(a, b) || hasPrefix(b, a) }

// hasPrefix reports whether path starts with prefix.
func hasPrefix(path, prefix []string) bool {
	if len(prefix) > len(path) {
		return false
	}
	for i := range prefix {
		if path[i] != prefix[i] {
			return false
		}
	}
	return true
}

// lessPath orders paths shallowest first, then segment by segment.
func lessPath(a, b []string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}
