package lockgraph

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/flakedup/flakedup/internal/nixversion"
)

// Policy says how far Plan may go.
type Policy struct {
	// Target says which root input a nixpkgs copy follows when several
	// fit (flakedup.toml `policy`, --policy); the zero value infers the
	// flake's convention from the declared follows.
	Target TargetPolicy
	// CrossBranch (--cross-branch) lets copies with no root input on their
	// branch class, and nixpkgs forks, follow the primary root nixpkgs (or
	// the root's input of their source).
	CrossBranch bool
	// AddInputs (--add-inputs) lets Plan add one root nixpkgs input per
	// branch class that has at least two copies and no root input
	// (Result.NewInputs), and make those copies follow it.
	AddInputs bool
	// All deduplicates every duplicated source, not only nixpkgs.
	All bool
	// Ignore lists input paths ("a/nixpkgs") and root input names ("a")
	// that Plan must not override, nor anything below or above them.
	Ignore []string
	// Promote lets Plan add an intermediate input as a root input when a
	// deeper copy can only be reached through it.
	Promote bool
	// Deep lets Plan emit overrides deeper than two levels. They need Nix
	// 2.30 or later: with an older Nix target, Plan fails with a
	// *NixTooOldError.
	Deep bool
	// Nix is the Nix version that will lock the flake; the edits are
	// planned so that it accepts them. The zero value means
	// nixversion.Default (2.18).
	Nix nixversion.Version
	// Include (--include NAME) lists root input names whose binary-cache
	// hold (see caches.go and Substituters) is lifted. A name that is no
	// root input of the lock is an *UnknownNameError.
	Include []string
	// Holds are the copies and root inputs the flake's author held back in
	// flake.nix; Plan leaves them, and everything below them, with the
	// Hold's reason.
	Holds []Hold
	// Substituters are the flake's nixConfig substituters (substituters,
	// extra-substituters and trusted-substituters), as written; an input
	// whose cache is among them is held back unless Include names it.
	Substituters []string
	// RootInputs are the root inputs flake.nix declares (nil: unknown). A
	// root input in the lock but not here is never edited, and its copies
	// are held back with "flake.lock is older than flake.nix: run `nix
	// flake lock` first"; a name here that the lock lacks counts as
	// planned (a promotion declared and not yet locked).
	RootInputs []string
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
func (p Promotion) String() string { return p.Name + " = " + JoinPath(p.Path) }

// HeldBack is a duplicate copy that Plan leaves in place, and why.
type HeldBack struct {
	// Path is the input path of the copy in the predicted lock.
	Path []string
	// Reason says why it stays, in one sentence that names the flag or the
	// flake.nix line that would change it, e.g. "S/nixpkgs is on
	// nixos-24.05 and no root input is: --cross-branch or --add-inputs".
	Reason string
	// Line is the follows line that would collapse the copy, when there is
	// one, e.g. `inputs.S.inputs.nixpkgs.follows = "nixpkgs";`, else "".
	Line string
	// NeedsNix is the Nix version ("2.18", "2.30") with which Plan could
	// remove the copy, when the target version is what holds it back, else
	// "". Reason then ends in "needs Nix ≥ <NeedsNix>".
	NeedsNix string
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
	// Nix is the version the plan is for (Policy.Nix, or the default).
	Nix nixversion.Version
	// NewInputs are the root inputs to add to flake.nix (Policy.AddInputs)
	// before the follows, sorted by name.
	NewInputs []NewInput
	// Convention is how targets were chosen among several root nixpkgs.
	Convention Convention
	// CrossBranch lists the planned follows whose target is on another
	// branch class than the copy, in Follows order.
	CrossBranch []CrossBranchFollows
	// Warnings are problems of the flake as it is that no edit can fix:
	// with a Nix before 2.18, one line for each follows of the lock that
	// runs through another follows, which makes that Nix refuse to lock
	// the flake at all.
	Warnings []string
}

// maxPlanRounds bounds the top-down rounds of Plan; each round moves at
// least one edge or rejects at least one follows, and rejections are
// forgotten only after an edge moved, so only a bug could need more.
const maxPlanRounds = 1000

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
// (written in flake.nix or in a dependency) are not changed (but see below
// for Nix before 2.18; declared ones never are), nor is an intermediate
// collapsed when declared follows live below it. A follows
// that would break the lock (a follows elsewhere runs through the
// intermediate it collapses, to an input the root's copy lacks) is dropped
// and its copies are held back with Predict's error. Root inputs are never
// moved, even when two of them are copies of one source.
//
// The edits are planned for the Nix version in Policy.Nix (see
// ../shared/NIX-NOTES.md, "Which Nix the edits must work on"). Below 2.30,
// Policy.Deep is a *NixTooOldError. Below 2.18, no edit may leave a follows
// of the lock (written in a dependency, declared, or planned) running
// through another follows: a collapse that would is first made possible by
// pointing each depth-two follows that runs through the intermediate
// straight at its copy's target (never a declared or ignored one), and
// otherwise dropped, its copies held back with HeldBack.NeedsNix "2.18".
// Follows already running through a follows in the lock are not Plan's
// doing: they become Result.Warnings, since that Nix cannot lock the flake
// at all.
//
// Plan repeats such rounds until one proposes nothing, then once more after
// forgetting the follows it rejected on the way (the graph has changed
// since); Result.Follows lists them round by round, each round sorted by
// input path. With promotions, declaring Result.Follows without the
// promoted root inputs makes a later Plan fail (their targets do not exist
// in the lock yet). Plan does not modify g.
func Plan(g *Graph, declared []Follows, p Policy) (_ *Result, err error) {
	defer recoverInternal("plan", &err)
	nix := targetNix(p)
	if p.Deep && !nix.AtLeast(nixversion.DeepOverrides) {
		return nil, &NixTooOldError{Feature: "--deep", Needs: nixversion.DeepOverrides, Target: nix}
	}
	cur, err := Predict(g, declared)
	if err != nil {
		return nil, fmt.Errorf("apply the declared follows: %w", err)
	}
	pl := planner{policy: p, nix: nix, declared: declared, rejected: make(map[string]rejection)}
	res := &Result{Before: copyCounts(g), Nix: nix}
	if !nix.AtLeast(nixversion.FollowsThroughFollows) {
		for _, e := range throughFollows(cur) {
			res.Warnings = append(res.Warnings, fmt.Sprintf("%s: Nix %s cannot lock this flake at all (needs Nix ≥ %s)", e, nix, nixversion.FollowsThroughFollows))
		}
	}
	// moved tells whether an edit went in since the rejections were last
	// forgotten.
	moved := false
	for round := 0; ; round++ {
		if round == maxPlanRounds {
			return nil, fmt.Errorf("plan did not settle after %d rounds", maxPlanRounds)
		}
		st := pl.round(cur)
		if len(st.follows) == 0 && len(st.promotions) == 0 {
			if moved && len(pl.rejected) > 0 {
				// A follows rejected in an earlier graph may fit the
				// current one: try them all once more.
				clear(pl.rejected)
				moved = false
				continue
			}
			res.HeldBack = st.heldBack
			break
		}
		next, err := pl.apply(cur, st.promotions, st.follows)
		if err != nil {
			// Some follows break the lock, or make it one the target Nix
			// refuses: add them one by one, reject each that fails with
			// those before it, and redo the round without the rejected.
			var kept []Follows
			for _, f := range st.follows {
				_, err := pl.apply(cur, st.promotions, append(kept, f))
				if err == nil {
					kept = append(kept, f)
					continue
				}
				rej := rejection{reason: fmt.Sprintf("%s would break the lock: %v", f, err)}
				var tf *throughFollowsError
				if errors.As(err, &tf) {
					rej = rejection{reason: fmt.Sprintf("%s would break the lock for Nix %s: %v", f, pl.nix, tf), needsNix: tf.needsNix(), through: tf.edges}
				}
				pl.rejected[JoinPath(f.Input)] = rej
			}
			if len(kept) == len(st.follows) {
				return nil, fmt.Errorf("plan: %w", err)
			}
			continue
		}
		cur, moved = next, true
		res.Promotions = append(res.Promotions, st.promotions...)
		res.Follows = append(res.Follows, st.follows...)
	}
	res.Predicted = cur
	res.After = copyCounts(cur)
	return res, nil
}

// rejection is why a follows Plan considered cannot be made.
type rejection struct {
	reason string
	// needsNix is the Nix version that would accept it, or "".
	needsNix string
	// through lists, when the target Nix refused it, the follows that
	// would have run through another follows.
	through []throughEdge
}

// throughFollowsError says that an edit leaves follows that run through
// another follows, which the target Nix refuses.
type throughFollowsError struct {
	// edges are those follows; there is at least one.
	edges []throughEdge
}

func (e *throughFollowsError) Error() string {
	return e.edges[0].String() + ", which " + e.needs()
}

func (e *throughFollowsError) needs() string { return "needs Nix ≥ " + e.needsNix() }

func (e *throughFollowsError) needsNix() string { return nixversion.FollowsThroughFollows.String() }

// apply adds the promotions, then the follows, to g (see applyStep) and
// checks that the target Nix can lock the result: before 2.18, no follows
// may run through another follows unless g already had it.
func (pl planner) apply(g *Graph, promotions []Promotion, follows []Follows) (*Graph, error) {
	next, err := applyStep(g, promotions, follows)
	if err != nil {
		return nil, err
	}
	if !pl.nix.AtLeast(nixversion.FollowsThroughFollows) {
		if bad := newThroughFollows(g, next); len(bad) > 0 {
			return nil, &throughFollowsError{edges: bad}
		}
	}
	return next, nil
}

// applyStep adds the promotions to g, then the follows.
func applyStep(g *Graph, promotions []Promotion, follows []Follows) (*Graph, error) {
	var err error
	for _, pr := range promotions {
		if g, err = Promote(g, pr.Name, pr.Path); err != nil {
			return nil, err
		}
	}
	return Predict(g, follows)
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
	policy Policy
	// nix is the target version (Policy.Nix or the default).
	nix      nixversion.Version
	declared []Follows
	// rejected maps the input path of each follows found to break the lock
	// (or to make it one the target Nix refuses) to the reason; such an
	// edge is held back instead.
	rejected map[string]rejection
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

// survey is what a round knows about the current graph.
type survey struct {
	// copies holds every reachable node with a source, shallowest first.
	copies []*copyInfo
	// byKey finds them by node key.
	byKey map[string]*copyInfo
	// perFamily counts the copies of each family.
	perFamily map[string]int
	// roots are the root inputs that denote one of copies, by name.
	roots []rootInput
	// isRoot tells the nodes some root input denotes.
	isRoot map[string]bool

	// The indexes below let targetOf look at a copy's own source or family
	// instead of scanning every copy and root input for each copy, which
	// made a round quadratic in the size of the lock.

	// rootsBySource and rootsByFamily hold the elements of roots by their
	// node's source ID and family, in the order of roots.
	rootsBySource, rootsByFamily map[string][]rootInput
	// perSource counts the copies of each source ID.
	perSource map[string]int
	// bestPeer is, per source ID and branch class, the copy others of that
	// source and class should follow: the shallowest, then the newest, the
	// first in copies order on a tie. bestPeerAnyClass is the same over every
	// branch class of a source.
	bestPeer         map[sourceBranch]*copyInfo
	bestPeerAnyClass map[string]*copyInfo
}

// indexCopies fills the indexes of sv from its copies and roots.
func (sv *survey) indexCopies() {
	sv.rootsBySource = make(map[string][]rootInput)
	sv.rootsByFamily = make(map[string][]rootInput)
	for _, r := range sv.roots {
		sv.rootsBySource[r.node.source.ID] = append(sv.rootsBySource[r.node.source.ID], r)
		sv.rootsByFamily[r.node.family] = append(sv.rootsByFamily[r.node.family], r)
	}
	sv.perSource = make(map[string]int)
	sv.bestPeer = make(map[sourceBranch]*copyInfo)
	sv.bestPeerAnyClass = make(map[string]*copyInfo)
	for _, c := range sv.copies {
		sv.perSource[c.source.ID]++
		k := sourceBranch{c.source.ID, c.branch.Class}
		if best := sv.bestPeer[k]; best == nil || betterPeer(c, best) {
			sv.bestPeer[k] = c
		}
		if best := sv.bestPeerAnyClass[c.source.ID]; best == nil || betterPeer(c, best) {
			sv.bestPeerAnyClass[c.source.ID] = c
		}
	}
}

// betterPeer reports whether o is a better copy to follow than best:
// shallower, or as deep and newer.
func betterPeer(o, best *copyInfo) bool {
	return len(o.path) < len(best.path) || len(o.path) == len(best.path) && o.newest > best.newest
}

// surveyGraph describes every reachable node of g for a round.
func surveyGraph(g *Graph) survey {
	order, _ := NixKeys(g)
	paths := inputPaths(g, order)
	uses := make(map[string]int)
	for _, key := range order {
		for _, e := range g.Nodes[key].Inputs {
			uses[e.Target]++
		}
	}
	sv := survey{byKey: make(map[string]*copyInfo, len(order)), perFamily: make(map[string]int), isRoot: make(map[string]bool)}
	for _, key := range order {
		n := g.Nodes[key]
		c := &copyInfo{key: key, path: paths[key], source: SourceOf(n), branch: BranchOf(n), uses: uses[key]}
		if key == g.Root || c.source.ID == "" {
			continue
		}
		c.family = c.source.ID
		if c.source.Nixpkgs {
			c.family = "nixpkgs"
		}
		c.newest, _ = n.Locked.Int("lastModified")
		sv.byKey[key] = c
		sv.perFamily[c.family]++
		sv.copies = append(sv.copies, c)
	}
	sort.SliceStable(sv.copies, func(i, j int) bool { return LessPath(sv.copies[i].path, sv.copies[j].path) })
	root := g.Nodes[g.Root]
	for _, in := range root.Inputs {
		if c, ok := sv.byKey[in.Target]; ok {
			sv.roots = append(sv.roots, rootInput{name: in.Name, node: c})
			sv.isRoot[c.key] = true
		}
	}
	sv.indexCopies()
	return sv
}

// round looks at the current graph and proposes the next moves, top-down:
// copies at depth two get a follows, deeper ones a collapse of their
// depth-two ancestor (or a deep follows, or a promotion; or, when the
// target Nix refused that collapse, the reroutes that make it possible).
func (pl planner) round(g *Graph) step {
	sv := surveyGraph(g)
	root := g.Nodes[g.Root]
	var st step
	promoted := make(map[string]bool) // source IDs promoted this round
	newNames := make(map[string]bool) // root input names promoted this round
	hold := func(c *copyInfo, reason, needsNix string) {
		st.heldBack = append(st.heldBack, HeldBack{Path: c.path, Reason: reason, NeedsNix: needsNix})
	}
	emitted := make(map[string]bool)
	// emit proposes f for the copy c, unless f was rejected before.
	emit := func(c *copyInfo, f Follows) {
		k := JoinPath(f.Input)
		if rej, ok := pl.rejected[k]; ok {
			hold(c, JoinPath(c.path)+" stays: "+rej.reason, rej.needsNix)
			return
		}
		if !emitted[k] {
			emitted[k] = true
			st.follows = append(st.follows, f)
		}
	}

	for _, c := range sv.copies {
		if sv.isRoot[c.key] || sv.perFamily[c.family] < 2 {
			continue
		}
		if !c.source.Nixpkgs && !pl.policy.All {
			continue
		}
		pathStr := JoinPath(c.path)
		if pl.ignored(c.path) {
			hold(c, pathStr+" is ignored", "")
			continue
		}
		target, reason := pl.targetOf(c, sv)
		if target == nil {
			hold(c, reason, "")
			continue
		}
		if len(c.path) == 2 {
			emit(c, Follows{Input: append([]string(nil), c.path...), Target: target})
			continue
		}
		// Deeper: collapse the depth-two ancestor onto a root input of its
		// source, or go deep, or promote it.
		mid := c.path[:2]
		midStr := JoinPath(mid)
		if pl.ignored(mid) || pl.declaredBelow(mid) {
			hold(c, fmt.Sprintf("%s is below %s, which has declared or ignored follows below it", pathStr, midStr), "")
			continue
		}
		if rej, ok := pl.rejected[midStr]; ok {
			// The target Nix refused collapsing mid because follows run
			// through it: point those straight at their targets first.
			if fs := pl.reroutes(g, sv, mid, rej); len(fs) > 0 {
				for _, f := range fs {
					emit(c, f)
				}
				continue
			}
		}
		midNode := sv.byKey[directTarget(g, mid)]
		if midNode != nil {
			if r := bestRoot(sv.rootsBySource[midNode.source.ID], anyRoot, midNode.branch.Class); r != nil {
				emit(c, Follows{Input: append([]string(nil), mid...), Target: []string{r.name}})
				continue
			}
		}
		switch {
		case pl.policy.Deep:
			emit(c, Follows{Input: append([]string(nil), c.path...), Target: target})
		case pl.policy.Promote && midNode != nil:
			if rej, ok := pl.rejected[midStr]; ok {
				hold(c, pathStr+" stays: "+rej.reason, rej.needsNix)
			} else if !promoted[midNode.source.ID] {
				promoted[midNode.source.ID] = true
				name := freeName(root, newNames, mid)
				newNames[name] = true
				st.promotions = append(st.promotions, Promotion{Name: name, Path: append([]string(nil), mid...)})
				emit(c, Follows{Input: append([]string(nil), mid...), Target: []string{name}})
			}
		default:
			reason, needsNix := pl.noRootReason(pathStr, midStr, midNode != nil)
			hold(c, reason, needsNix)
		}
	}
	st.follows = deferThroughMoved(st.follows)
	sort.SliceStable(st.follows, func(i, j int) bool { return LessPath(st.follows[i].Input, st.follows[j].Input) })
	return st
}

// reroutes returns the depth-two follows that take off mid the follows
// that, once mid was collapsed, would run through it (rej.through, found
// when the target Nix refused the collapse): each such edge, pointed at
// where the copy it resolves to should go. Those edges were written by a
// dependency; a declared or ignored one is never changed. It returns nil
// unless every follows still running through mid can be rerouted.
func (pl planner) reroutes(g *Graph, sv survey, mid []string, rej rejection) []Follows {
	var out []Follows
	for _, e := range rej.through {
		parent := g.Nodes[directTarget(g, e.input[:len(e.input)-1])]
		if parent == nil {
			continue
		}
		edge, ok := parent.Inputs.Get(e.input[len(e.input)-1])
		if !ok || !edge.IsFollows() || len(edge.Follows) <= len(mid) || !hasPrefix(edge.Follows, mid) {
			continue // no longer through mid
		}
		c := sv.byKey[edge.Target]
		if len(e.input) != 2 || pl.ignored(e.input) || pl.isDeclared(e.input) ||
			c == nil || sv.isRoot[c.key] || !c.source.Nixpkgs && !pl.policy.All {
			return nil
		}
		target, _ := pl.targetOf(c, sv)
		if target == nil || hasPrefix(target, mid) {
			return nil
		}
		out = append(out, Follows{Input: append([]string(nil), e.input...), Target: target})
	}
	return out
}

// isDeclared reports whether flake.nix already declares a follows of input.
func (pl planner) isDeclared(input []string) bool {
	for _, f := range pl.declared {
		if JoinPath(f.Input) == JoinPath(input) {
			return true
		}
	}
	return false
}

// noRootReason is why the copy at path stays when the intermediate mid has
// no root input of its source and the policy allows no other form, with the
// Nix version that would allow one when the target is what stands in the
// way (a deep override, when promoting is allowed but impossible).
func (pl planner) noRootReason(path, mid string, promotable bool) (reason, needsNix string) {
	reason = fmt.Sprintf("%s is below %s, which has no root input of its source: ", path, mid)
	deep := nixversion.DeepOverrides.String()
	switch {
	case pl.nix.AtLeast(nixversion.DeepOverrides):
		return reason + "needs --promote or --deep", ""
	case pl.policy.Promote && !promotable:
		return reason + "needs --deep, which needs Nix ≥ " + deep, deep
	default:
		return reason + "needs --promote, or --deep with Nix ≥ " + deep, ""
	}
}

// deferThroughMoved drops the follows whose target runs through an input
// that another follows of the same round overrides: once that one is in,
// the target would pass through a follows, which Nix before 2.18 refuses.
// The next round, seeing the new graph, picks their targets again. When
// that would drop everything, it keeps follows as they are.
func deferThroughMoved(follows []Follows) []Follows {
	var kept []Follows
	for _, f := range follows {
		through := false
		for _, o := range follows {
			if len(o.Input) < len(f.Target) && hasPrefix(f.Target, o.Input) {
				through = true
			}
		}
		if !through {
			kept = append(kept, f)
		}
	}
	if len(kept) == 0 {
		return follows
	}
	return kept
}

// targetOf returns the path the copy c should follow, or nil and the reason
// it stays where it is.
func (pl planner) targetOf(c *copyInfo, sv survey) ([]string, string) {
	sameClass := func(r rootInput) bool { return r.node.branch.Class == c.branch.Class }
	if r := bestRoot(sv.rootsBySource[c.source.ID], sameClass, ""); r != nil {
		return []string{r.name}, ""
	}
	if pl.policy.CrossBranch {
		if r := bestRootOfFamily(sv.rootsByFamily[c.family]); r != nil {
			return []string{r.name}, ""
		}
	}
	best := sv.bestPeer[sourceBranch{c.source.ID, c.branch.Class}]
	if pl.policy.CrossBranch {
		best = sv.bestPeerAnyClass[c.source.ID]
	}
	if best != c {
		return best.path, ""
	}
	// Held back: say "fork" when nothing else comes from the same
	// repository, else name the branch that keeps it apart.
	pathStr := JoinPath(c.path)
	alone := sv.perSource[c.source.ID] == 1
	if c.source.Fork && alone {
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

// anyRoot is the bestRoot filter that takes every root input.
func anyRoot(rootInput) bool { return true }

// bestRootOfFamily is the best of the root inputs of one family (as
// survey.rootsByFamily holds them): for nixpkgs, upstream before forks.
func bestRootOfFamily(family []rootInput) *rootInput {
	if r := bestRoot(family, func(r rootInput) bool { return !r.node.source.Fork }, ""); r != nil {
		return r
	}
	return bestRoot(family, anyRoot, "")
}

// freeName is the root input name for promoting the input at mid: its own
// name when free, else "<parent>-<name>", else with a number.
func freeName(root *Node, newNames map[string]bool, mid []string) string {
	free := func(name string) bool {
		_, taken := root.Inputs.Get(name)
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
		e, ok := n.Inputs.Get(seg)
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

// LessPath orders input paths the way flakedup lists them and picks
// canonical paths: shallowest first, then segment by segment in byte order.
func LessPath(a, b []string) bool {
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
