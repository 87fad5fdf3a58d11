package lockgraph

import (
	"cmp"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"slices"
	"sort"
	"strconv"
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
// Plan first rejects Policy.Ignore and Policy.Include names that match
// nothing (*UnknownNameError), and adds the root inputs that
// Policy.RootInputs declares and the lock lacks, when a declared follows
// says where they come from (an earlier --promote or --add-inputs not yet
// locked). Then, for each copy of nixpkgs (lib-only copies included; with
// Policy.All: of every duplicated source) that is not a root input, it
// picks a root input to follow (issue 12; targets are root inputs only,
// never a path inside another flake):
//
//   - a lib-only copy (nix-community/nixpkgs.lib, nixpkgs with dir=lib, or
//     an input named nixpkgs-lib) follows a lib-only root input, else the
//     primary nixpkgs (`nixpkgs`; else the root nixpkgs most lock edges
//     resolve to);
//   - a copy pinned to a revision (a rev and no ref) is never collapsed,
//     unless a root input pins the same revision;
//   - under the primary convention (Policy.Target, or inferred: root
//     nixpkgs on two or more branch classes and every locked declared
//     follows to one of them goes to the primary), an upstream copy
//     follows the primary, across branches too;
//   - else a root input of the same source and branch class, the primary
//     first, then the one most edges resolve to, the newest, the first by
//     name;
//   - else, with CrossBranch, the primary (forks too); else it is held
//     back, with the follows line that would collapse it and the flags or
//     the root input line (`nixpkgs-2405.url = ...;`) that would.
//
// With Policy.AddInputs, each branch class with at least two copies that
// only a new root input could take gets one (Result.NewInputs). Copies
// below an input that Policy.Ignore or Policy.Holds names, below a root
// input flake.nix no longer declares, or below an input served by a binary
// cache built with its own nixpkgs (caches.go, Policy.Substituters; unless
// Policy.Include names the root input) are held back with that reason.
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
func Plan(g *Graph, declared []Follows, p Policy) (*Result, error) {
	return plan(g, declared, p, firstLoudRound)
}

// firstLoudRound is the first round Plan plans with the held-back copies'
// reasons written. A round that proposes nothing is the last (unless
// rejected follows are tried again), and its held-back copies are the
// result: a terse one is then planned again with them. Most plans settle
// in two rounds, the second proposing nothing, so from the second on each
// round writes its reasons and, when it proposes nothing, is not planned
// again (on the 100k tree that saves one round of three). A round that
// writes them and still proposes something has written them for nothing;
// the first round, which on most locks proposes the bulk of the follows,
// stays terse. Which rounds write reasons changes the cost only:
// TestPlanLoudRoundsAgree plans with every round terse and every round
// writing them, and compares.
const firstLoudRound = 1

// plan is Plan, writing the held-back copies' reasons from round loudFrom
// on (counting from 0).
func plan(g *Graph, declared []Follows, p Policy, loudFrom int) (_ *Result, err error) {
	defer recoverInternal("plan", &err)
	nix := targetNix(p)
	if p.Deep && !nix.AtLeast(nixversion.DeepOverrides) {
		return nil, &NixTooOldError{Feature: "--deep", Needs: nixversion.DeepOverrides, Target: nix}
	}
	if err := checkNames(g, p); err != nil {
		return nil, err
	}
	base, declared, err := promoteDeclared(g, declared, p.RootInputs)
	if err != nil {
		return nil, fmt.Errorf("apply the declared follows: %w", err)
	}
	cur, _, err := predict(base, declared)
	if err != nil {
		return nil, fmt.Errorf("apply the declared follows: %w", err)
	}
	pl := newPlanner(p, nix, declared)
	*pl.memo = planMemo{g: cur}
	res := &Result{Nix: nix}
	sv := pl.survey(cur)
	if base == g && len(declared) == 0 {
		// cur is g renamed: the same copies.
		res.Before = countsOf(cur, sv)
	} else {
		res.Before = copyCounts(g)
	}
	pl.primary = pl.primaryOf(sv)
	res.Convention = pl.convention(g, sv)
	pl.target = res.Convention.Target
	_, classes := pl.addable(cur)
	for _, class := range classes {
		pl.addClasses[class] = true
	}
	if p.AddInputs {
		if cur, res.NewInputs, err = pl.addInputs(cur); err != nil {
			return nil, fmt.Errorf("plan: add root inputs: %w", err)
		}
	}
	if !nix.AtLeast(nixversion.FollowsThroughFollows) {
		for _, e := range pl.through.of(cur) {
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
		// Only the last round's held-back copies are the result: the
		// rounds before loudFrom are planned without writing their
		// reasons, and when such a round is the last it is planned again
		// with them (a round that proposes nothing changes nothing in the
		// planner, so it decides the same).
		inRound := pl
		inRound.terse = round < loudFrom
		st := inRound.round(cur)
		if len(st.follows) == 0 && len(st.promotions) == 0 {
			if moved && len(pl.rejected) > 0 {
				// A follows rejected in an earlier graph may fit the
				// current one: try them all once more.
				clear(pl.rejected)
				moved = false
				continue
			}
			if inRound.terse {
				st = pl.round(cur)
			}
			res.HeldBack = st.heldBack
			break
		}
		next, srcOf, err := pl.applyOrder(cur, st.promotions, st.follows)
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
		var carried []surveyFacts
		if sv := pl.memo.sv; sv != nil && sv.g == cur && cur.nixOrder && len(st.promotions) == 0 && srcOf != nil {
			carried = carryFacts(sv.facts, srcOf)
		}
		cur, moved = next, true
		*pl.memo = planMemo{g: cur, carried: carried}
		res.Promotions = append(res.Promotions, st.promotions...)
		res.Follows = append(res.Follows, st.follows...)
	}
	res.Predicted = cur
	res.After = countsOf(cur, pl.survey(cur))
	for _, f := range res.Follows {
		if c, ok := pl.cross[JoinPath(f.Input)]; ok && c.Target == JoinPath(f.Target) {
			res.CrossBranch = append(res.CrossBranch, c)
		}
	}
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
	next, _, err := pl.applyOrder(g, promotions, follows)
	return next, err
}

// applyOrder is apply, also returning predict's srcOf.
func (pl planner) applyOrder(g *Graph, promotions []Promotion, follows []Follows) (*Graph, []int32, error) {
	next, srcOf, err := applyStep(g, promotions, follows)
	if err != nil {
		return nil, nil, err
	}
	if !pl.nix.AtLeast(nixversion.FollowsThroughFollows) {
		if bad := newThroughEdges(pl.through.of(g), pl.through.of(next)); len(bad) > 0 {
			return nil, nil, &throughFollowsError{edges: bad}
		}
	}
	return next, srcOf, nil
}

// applyStep adds the promotions to g, then the follows, and returns the
// result with predict's srcOf (relative to the last promotion's result).
func applyStep(g *Graph, promotions []Promotion, follows []Follows) (*Graph, []int32, error) {
	if len(promotions) > 0 {
		var err error
		if g, err = promoteAll(g, promotions); err != nil {
			return nil, nil, err
		}
	}
	return predict(g, follows)
}

// copyCounts counts the reachable nodes of each source.
func copyCounts(g *Graph) map[string]int {
	counts := make(map[string]int)
	if ix := g.index; ix != nil {
		if root, ok := ix.lookup(g, g.Root); ok {
			// The nodes NixKeys names, found by number: only the set
			// counts, not the order or the names.
			srcs := g.sources()
			for _, i := range reachableDirect(ix, root) {
				if id := srcs.of(int(i)).source.ID; id != "" {
					counts[id]++
				}
			}
			return counts
		}
	}
	order, _ := NixKeys(g)
	for _, key := range order {
		if id := SourceOf(g.Nodes[key]).ID; id != "" {
			counts[id]++
		}
	}
	return counts
}

// reachableDirect returns the positions of the nodes of ix that NixKeys
// walks from root: those reached through direct edges (follows are not
// walked), skipping edges to keys that are not nodes (-1 in targets), each
// once, in no particular order.
func reachableDirect(ix *nodeIndex, root int) []int32 {
	seen := make([]bool, len(ix.nodes))
	seen[root] = true
	out := []int32{int32(root)}
	for next := 0; next < len(out); next++ {
		i := out[next]
		for k, in := range ix.nodes[i].Inputs {
			if t := ix.targets[i][k]; t >= 0 && !in.IsFollows() && !seen[t] {
				seen[t] = true
				out = append(out, t)
			}
		}
	}
	return out
}

// countsOf is copyCounts(g) from a survey of g: its copies, and the root
// when it has a source.
func countsOf(g *Graph, sv survey) map[string]int {
	counts := make(map[string]int, len(sv.perSource)+1)
	for id, n := range sv.perSource {
		counts[id] = n
	}
	if root, ok := g.Nodes[g.Root]; ok {
		// SourceOf, not g's table: the root alone needs reading (and has
		// no attributes, as a rule), which is no reason to read every node.
		if id := SourceOf(root).ID; id != "" {
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
	// primary is the name of the primary root nixpkgs input, or "".
	primary string
	// target is the convention in force: TargetPrimary or TargetBranch.
	target TargetPolicy
	// included are the root inputs of Policy.Include.
	included map[string]bool
	// declaredRoots are the names of Policy.RootInputs.
	declaredRoots map[string]bool
	// subs are the hosts of Policy.Substituters.
	subs map[string]bool
	// addClasses are the branch classes --add-inputs would add a root
	// input for.
	addClasses map[string]bool
	// added are the root inputs Plan itself adds (promotions, new inputs):
	// flake.nix will declare them, so they are not stale.
	added map[string]bool
	// cross records, by input path, the follows Plan proposed across a
	// branch; Plan keeps those that end up in Result.Follows.
	cross map[string]CrossBranchFollows
	// memo keeps what the planner learnt about the graph it last looked
	// at, shared by the copies of the planner its value methods get.
	memo *planMemo
	// through remembers throughFollows of the last two graphs asked about
	// (applyOrder asks about the graph before an edit, which is the one it
	// asked about after the edit before).
	through *throughMemo
	// terse leaves the reasons and lines of held-back copies unwritten:
	// set for the rounds whose held-back list is thrown away.
	terse bool
	// facts caches factsOf, caches cacheOf.
	facts map[factsKey]*planFacts
	// store holds the facts factsOf read, none a zero planFacts.
	store *factStore
	// ids numbers source IDs and families.
	ids    *interned
	caches map[cacheKey]cacheHit
	// sourceCaches are cacheOf by source number, without substituters.
	sourceCaches *sourceCaches
	// hits holds the cacheHits the surveys' facts point at.
	hits *hitTable
}

// planMemo is what the planner knows about one graph of a Plan (the last
// one applyStep built, or the last one surveyed), so that the rounds walk
// each graph once: Predict's walk gives the order, and one survey serves
// the convention, addable and the round that all look at the same graph.
type planMemo struct {
	// g is the graph the rest is about.
	g *Graph
	// sv is the survey of g, valid while len(planner.added) is added.
	sv    *survey
	added int
	// carried are the facts of g's nodes by place, carried over from the
	// graph g was predicted from (nil: read them), until g is surveyed.
	carried []surveyFacts
}

// carriedFor returns m.carried when they are about g.
func (m *planMemo) carriedFor(g *Graph) []surveyFacts {
	if m.g != g || !g.nixOrder || len(m.carried) != len(g.index.nodes) {
		return nil
	}
	return m.carried
}

// surveyFacts is what a survey read about one node, kept for the next
// graph: a prediction copies nodes with their attribute sets, so the facts
// of the node a prediction's node copies are its own (see factsKey).
type surveyFacts struct {
	// facts are the node's, or nil when not read yet.
	facts *planFacts
	// cache is cacheOf the node under the input name cacheName (one
	// hitTable holds), or nil when not asked yet. Two words rather than
	// a cacheHit and a flag: a survey has one of these per node.
	cache     *cacheHit
	cacheName string
}

// hitTable holds one copy of each cacheHit a plan's surveys found, so
// that a survey's facts point at it instead of holding it.
type hitTable struct {
	none cacheHit // no binary cache
	of   map[cacheHit]*cacheHit
}

// newHitTable returns an empty hitTable.
func newHitTable() *hitTable { return &hitTable{of: make(map[cacheHit]*cacheHit)} }

// intern returns the table's copy of hit.
func (t *hitTable) intern(hit cacheHit) *cacheHit {
	if hit == (cacheHit{}) {
		return &t.none // nearly every node
	}
	if p, ok := t.of[hit]; ok {
		return p
	}
	p := &cacheHit{hit.host, hit.why}
	t.of[hit] = p
	return p
}

// carryFacts gives the nodes of a prediction the facts of the nodes they
// copy: srcOf maps each to its source's place, whose facts are from.
func carryFacts(from []surveyFacts, srcOf []int32) []surveyFacts {
	out := make([]surveyFacts, len(srcOf))
	for j, i := range srcOf {
		if int(i) < len(from) {
			out[j] = from[i]
		}
	}
	return out
}

// newPlanner sets up the planner of one Plan.
func newPlanner(p Policy, nix nixversion.Version, declared []Follows) planner {
	pl := planner{policy: p, nix: nix, declared: declared, rejected: make(map[string]rejection),
		target: TargetBranch, included: make(map[string]bool), subs: substituterHosts(p.Substituters),
		cross: make(map[string]CrossBranchFollows), added: make(map[string]bool), addClasses: make(map[string]bool),
		memo: &planMemo{}, through: &throughMemo{}, facts: make(map[factsKey]*planFacts), store: newFactStore(), ids: &interned{ids: make(map[string]int32)}, caches: make(map[cacheKey]cacheHit),
		sourceCaches: &sourceCaches{}, hits: newHitTable()}
	for _, name := range p.Include {
		pl.included[name] = true
	}
	pl.declaredRoots = make(map[string]bool, len(p.RootInputs))
	for _, name := range p.RootInputs {
		pl.declaredRoots[name] = true
	}
	return pl
}

// sprintf is fmt.Sprintf, or "" when pl is terse.
func (pl planner) sprintf(format string, args ...any) string {
	if pl.terse {
		return ""
	}
	return fmt.Sprintf(format, args...)
}

// pathCat is JoinPath(path) followed by parts, built in one allocation,
// or "" when pl is terse: the reasons most held copies get, without fmt.
func (pl planner) pathCat(path []string, parts ...string) string {
	if pl.terse {
		return ""
	}
	n := max(len(path)-1, 0)
	for _, s := range path {
		n += len(s)
	}
	for _, s := range parts {
		n += len(s)
	}
	var b strings.Builder
	b.Grow(n)
	for i, s := range path {
		if i > 0 {
			b.WriteByte('/')
		}
		b.WriteString(s)
	}
	for _, s := range parts {
		b.WriteString(s)
	}
	return b.String()
}

// join is JoinPath, or "" when pl is terse.
func (pl planner) join(path []string) string {
	if pl.terse {
		return ""
	}
	return JoinPath(path)
}

// followsLine is FollowsLine, or "" when pl is terse.
func (pl planner) followsLine(f Follows) string {
	if pl.terse {
		return ""
	}
	return FollowsLine(f)
}

// step is what one round proposes.
type step struct {
	follows    []Follows
	promotions []Promotion
	heldBack   []HeldBack
}

// copyInfo is one reachable node as the planner sees it. A survey has one
// per node, so it holds no more than the rounds read: the node's key is
// the survey's (survey.nodes at pos), its family the name of familyID.
type copyInfo struct {
	// planFacts are the node's source, branch and newest (the locked
	// lastModified), shared with the survey's facts rather than copied
	// into each copy. Its libOnly is the copy's own (below), which the
	// input name can set too.
	*planFacts
	path []string
	// familyID and sourceID are the numbers (planner.ids) of the copy's
	// family, its source ID or "nixpkgs" for every nixpkgs copy, and of
	// its source ID.
	familyID, sourceID int32
	uses               int // edges resolving to this node
	// pos is the copy's place in the survey's walk order.
	pos int32
	// isRoot tells a node some root input denotes.
	isRoot bool
	// libOnly marks a copy that only nixpkgs' lib is taken from:
	// nix-community/nixpkgs.lib, or nixpkgs with dir=lib.
	libOnly bool
	// nixLike is nixpkgsLike, kept here since every round asks it of
	// every copy, and the source is a pointer away.
	nixLike bool
}

// cacheHit is a binary cache an input is served by, and why flakedup
// thinks so (cacheOf).
type cacheHit struct{ host, why string }

// nixpkgsLike reports whether c is planned as a nixpkgs copy.
func (c *copyInfo) nixpkgsLike() bool { return c.nixLike }

// pinned reports whether c is pinned to a revision (a rev and no ref).
func (c *copyInfo) pinned() bool { return strings.HasPrefix(c.branch.Class, classPinnedPrefix) }

// rootInput is a root input as a possible target.
type rootInput struct {
	name string
	node *copyInfo
}

// survey is what a round knows about the current graph.
type survey struct {
	// copies holds every reachable node with a source, shallowest first.
	copies []*copyInfo
	// at holds them by place in the walk's order (nil for the nodes with
	// no source); copyAt and copyOf find them by input path and by key.
	at []*copyInfo
	// nodes and targets are the graph by place in the walk's order: each
	// node, and per input (in Inputs order) the place of its target, -1
	// when it is not a reachable node.
	nodes   []*Node
	targets [][]int32
	// g is the graph surveyed; keyPos maps its keys to places when its
	// index does not (a graph that no prediction built).
	g      *Graph
	keyPos map[string]int32
	// perFamily counts the copies of each family, by familyID.
	perFamily []int
	// roots are the root inputs that denote one of copies and may be a
	// target (flake.nix still declares them), by name.
	roots []rootInput

	// rootsBySource holds the elements of roots by their node's source
	// number (copyInfo.sourceID), in the order of roots, so that targetOf
	// looks at a copy's own source instead of scanning every root input
	// for each copy (rootsOf).
	rootsBySource [][]rootInput
	// perSource counts the copies of each source ID.
	perSource map[string]int
	// paths and parent are, by place in the walk's order, each node's
	// input path and its parent on that path (-1 for the root).
	paths  [][]string
	parent []int32
	// cacheTop is, by place, the topmost node of the path that a binary
	// cache serves (see preHeld), or -1; caches says which cache.
	cacheTop []int32
	caches   map[int32]cacheHit

	// facts are what was read about each node, by place.
	facts []surveyFacts

	// rootByName finds the elements of roots by name.
	rootByName map[string]int
	// libRoot is the first element of roots that is lib-only and not
	// pinned, or -1.
	libRoot int
}

// libOnlyID is the Source ID of the lib-only mirror of nixpkgs.
const libOnlyID = "github:nix-community/nixpkgs.lib"

// isLibOnly reports whether a node is a lib-only nixpkgs: the
// nix-community mirror, or nixpkgs with dir=lib.
func isLibOnly(n *Node, src Source) bool {
	if src.ID == libOnlyID {
		return true
	}
	if !src.Nixpkgs {
		return false
	}
	dir := n.Original.String("dir")
	if raw := n.Original.String("url"); dir == "" && strings.Contains(raw, "dir=") {
		if u, err := url.Parse(raw); err == nil {
			dir = u.Query().Get("dir")
		}
	}
	return strings.Trim(dir, "/") == "lib"
}

// planFacts are what the planner reads from a node's attribute sets.
type planFacts struct {
	// nodeAttrs are the node's source and branch, shared with the table
	// of its graph (sourcecache.go); never nil.
	*nodeAttrs
	// libOnly is isLibOnly of the node.
	libOnly bool
	// newest is the locked lastModified.
	newest int64
	// id is the source ID's number (planner.ids).
	id int32
}

// interned numbers strings (source IDs, and "nixpkgs" for the nixpkgs
// family), so that a survey counts copies by number, not in a map.
type interned struct {
	ids   map[string]int32
	names []string
}

// of returns the number of s, numbering it when new.
func (in *interned) of(s string) int32 {
	if id, ok := in.ids[s]; ok {
		return id
	}
	id := int32(len(in.names))
	in.ids[s] = id
	in.names = append(in.names, s)
	return id
}

// factsKey identifies the attribute sets a node's facts come from. Predict
// and Promote copy nodes but share their attribute sets, which are never
// changed in place, so the facts of a node found in one round hold for its
// copies in the next; the planner's map keeps the sets alive, so an
// address is never reused for other contents while it is a key.
type factsKey struct {
	locked, original *Attr
	nLocked, nOrig   int
}

// factStore carves the facts factsOf reads from shared blocks.
type factStore struct {
	slab slab[planFacts]
	none planFacts // the facts of a node with no attributes
	// noneAttrs are none's nodeAttrs; attrs holds those factsOf reads.
	noneAttrs nodeAttrs
	attrs     slab[nodeAttrs]
}

// newFactStore returns an empty factStore.
func newFactStore() *factStore {
	st := &factStore{}
	st.none.nodeAttrs = &st.noneAttrs
	return st
}

// factsOf returns the facts of n, a node of g, read once per pair of
// attribute sets when a promotion can need them again, else once per
// survey that does not have them carried over. They are never modified.
func (pl planner) factsOf(g *Graph, n *Node) *planFacts {
	var k factsKey
	if len(n.Locked) > 0 {
		k.locked, k.nLocked = &n.Locked[0], len(n.Locked)
	}
	if len(n.Original) > 0 {
		k.original, k.nOrig = &n.Original[0], len(n.Original)
	}
	if k.locked == nil && k.original == nil {
		return &pl.store.none // no source
	}
	// Only a promotion's graph has nodes whose facts were not carried
	// over (see carryFacts): without one, every node is read once anyway.
	keep := pl.policy.Promote || pl.policy.AddInputs
	if f, ok := pl.facts[k]; ok && keep {
		return f
	}
	f := &pl.store.slab.alloc(1)[0]
	if keep {
		// The map above reads each pair of attribute sets once across
		// the graphs of the plan, and a promotion's graph (whose sources
		// nothing carries over) has only its promoted node to read: its
		// table of every node's source would cost more than it saves.
		a := &pl.store.attrs.alloc(1)[0]
		*a = readNodeAttrs(n)
		*f = readPlanFacts(n, a)
		pl.facts[k] = f
	} else {
		*f = readPlanFacts(n, g.attrsOf(n))
	}
	f.id = pl.ids.of(f.source.ID)
	return f
}

// readPlanFacts reads the facts of a node with attributes, whose nodeAttrs
// are a, but for id.
func readPlanFacts(n *Node, a *nodeAttrs) planFacts {
	f := planFacts{nodeAttrs: a}
	f.libOnly = isLibOnly(n, f.source)
	f.newest, _ = n.Locked.Int("lastModified")
	return f
}

// readAllFacts is factsOf of every node of g (nodes) but the root that
// carried has no facts for, read on every core, on a big graph when no
// promotion can need them again (else nil: factsOf reads them one by one).
func (pl planner) readAllFacts(g *Graph, nodes []*Node, carried []surveyFacts) []*planFacts {
	if len(nodes) < parallelMin || runtime.GOMAXPROCS(0) < 2 || pl.policy.Promote || pl.policy.AddInputs {
		return nil
	}
	if carried != nil {
		// The graph of a round after the first has nearly every node's
		// facts carried over: read the few others one by one.
		missing := 0
		for i := 1; i < len(nodes) && i < len(carried); i++ {
			if carried[i].facts == nil {
				missing++
			}
		}
		if missing < parallelMin {
			return nil
		}
	}
	out := make([]*planFacts, len(nodes))
	read := make([]planFacts, len(nodes))
	g.sources() // read here, on every core, rather than by the first worker alone
	inParallel(len(nodes), 1024, runtime.GOMAXPROCS(0), func() func(int) {
		return func(i int) {
			n := nodes[i]
			if i == 0 || carried != nil && carried[i].facts != nil {
				return
			}
			if len(n.Locked) == 0 && len(n.Original) == 0 {
				out[i] = &pl.store.none
				return
			}
			read[i] = readPlanFacts(n, g.attrsOf(n))
			out[i] = &read[i]
		}
	})
	for _, f := range out { // numbering the sources in walk order, as factsOf does
		if f != nil && f != &pl.store.none {
			f.id = pl.ids.of(f.source.ID)
		}
	}
	return out
}

// cacheKey is what cacheOf's answer depends on, besides Substituters.
type cacheKey struct{ name, id string }

// cacheOf is cacheOf(name, src, Policy.Substituters' hosts), asked once
// per input name and source.
func (pl planner) cacheOf(name string, src Source) cacheHit {
	k := cacheKey{name, src.ID}
	if hit, ok := pl.caches[k]; ok {
		return hit
	}
	host, why := cacheOf(name, src, pl.subs)
	pl.caches[k] = cacheHit{host, why}
	return pl.caches[k]
}

// sourceCaches holds, by source number (planner.ids), cacheOf a node of
// that source when the flake lists no substituters.
type sourceCaches struct {
	hits  []cacheHit
	known []bool
}

// cacheOfFacts is cacheOf(name, f.source), asked once per source when the
// flake lists no substituters: then only knownCaches' entries by source
// can match (an owner entry, and a cache named after the input, need the
// cache among the substituters), so the input name does not matter and a
// slice by source number answers without hashing two strings per node.
func (pl planner) cacheOfFacts(name string, f *planFacts) cacheHit {
	if len(pl.subs) > 0 {
		return pl.cacheOf(name, f.source)
	}
	if f.source.ID == "" {
		return cacheHit{} // no knownCaches entry has an empty source
	}
	sc := pl.sourceCaches
	if int(f.id) >= len(sc.hits) {
		n := max(int(f.id)+1, 2*len(sc.hits))
		sc.hits = append(sc.hits, make([]cacheHit, n-len(sc.hits))...)
		sc.known = append(sc.known, make([]bool, n-len(sc.known))...)
	}
	if !sc.known[f.id] {
		host, why := cacheOf(name, f.source, pl.subs)
		sc.hits[f.id], sc.known[f.id] = cacheHit{host, why}, true
	}
	return sc.hits[f.id]
}

// survey describes every reachable node of g for a round. A survey
// depends on g and on the root inputs Plan added (isStale): the last one
// is kept until either changes. Its callers only read it.
func (pl planner) survey(g *Graph) survey {
	m := pl.memo
	if m.g == g && m.sv != nil && m.added == len(pl.added) {
		return *m.sv
	}
	// The facts carried over from the graph g was predicted from were
	// made for g alone: the survey keeps them as its own.
	carried, own := m.carriedFor(g), true
	if m.g == g && m.sv != nil && g.nixOrder {
		// A survey again of the graph last surveyed (Plan added a root
		// input): the facts that survey read by place are those of the
		// same nodes, every one that carried holds and the others. They
		// stay that survey's.
		carried, own = m.sv.facts, false
	}
	sv := pl.surveyOrder(g, carried, own)
	// The survey's facts are what the next survey of g would be given: the
	// facts carried over are not kept beside them.
	*m = planMemo{g: g, sv: &sv, added: len(pl.added)}
	return sv
}

// surveyOrder is survey's work. It walks g by number in NixKeys' order:
// the order of the index a prediction left in g, else one made here.
// carried are facts by place that hold for g's nodes (nil: none); when own,
// they are the survey's to keep and fill in rather than copy, and the
// caller must not use them again.
func (pl planner) surveyOrder(g *Graph, carried []surveyFacts, own bool) survey {
	sv := survey{g: g}
	var order []string
	if g.nixOrder {
		order, sv.nodes, sv.targets = g.index.keys, g.index.nodes, g.index.targets
	} else {
		order, _ = NixKeys(g)
		sv.keyPos = make(map[string]int32, len(order))
		for i, key := range order {
			sv.keyPos[key] = int32(i)
		}
		sv.nodes = make([]*Node, len(order))
		sv.targets = make([][]int32, len(order))
		for i, key := range order {
			n := g.Nodes[key]
			sv.nodes[i] = n
			sv.targets[i] = make([]int32, len(n.Inputs))
			for k, e := range n.Inputs {
				sv.targets[i][k] = -1
				if j, ok := sv.keyPos[e.Target]; ok {
					sv.targets[i][k] = j
				}
			}
		}
	}
	paths := make([][]string, len(order))
	parent := make([]int32, len(order))
	seen := make([]bool, len(order))
	via := make([]int32, len(order)) // the input of parent that path ends in
	uses := make([]int, len(order))
	if len(order) > 0 {
		paths[0], seen[0], parent[0] = []string{}, true, -1 // order starts at the root
	}
	var buf slab[string]
	for i := range order {
		for k, e := range sv.nodes[i].Inputs {
			j := sv.targets[i][k]
			if j < 0 {
				continue
			}
			uses[j]++
			if !seen[j] && !e.IsFollows() {
				p := buf.alloc(len(paths[i]) + 1)
				copy(p, paths[i])
				p[len(p)-1] = e.Name
				paths[j], seen[j], parent[j], via[j] = p, true, int32(i), int32(k)
			}
		}
	}
	sv.at = make([]*copyInfo, len(order))
	sv.copies = make([]*copyInfo, 0, len(order)) // most nodes are copies
	infos := make([]copyInfo, len(order))        // one allocation, not one per copy
	nixpkgsID := pl.ids.of("nixpkgs")
	read := pl.readAllFacts(g, sv.nodes, carried)
	if own && len(carried) == len(order) {
		sv.facts = carried
		if len(order) > 0 {
			sv.facts[0] = surveyFacts{} // the root's, which a fresh survey leaves empty
		}
	} else {
		own = false
		sv.facts = make([]surveyFacts, len(order))
	}
	sv.paths, sv.parent, sv.cacheTop, sv.caches = paths, parent, make([]int32, len(order)), make(map[int32]cacheHit)
	for i := range order {
		sv.cacheTop[i] = -1
		if i == 0 {
			continue // the root
		}
		n := sv.nodes[i]
		nf := &sv.facts[i]
		switch {
		case carried != nil && carried[i].facts != nil:
			if !own {
				*nf = carried[i]
			}
		case read != nil:
			*nf = surveyFacts{facts: read[i]}
		default:
			*nf = surveyFacts{facts: pl.factsOf(g, n)}
		}
		f := nf.facts
		// The topmost node on the way here (the root excluded, this one
		// included) that is served by a binary cache (preHeld); order
		// has every parent before its children.
		if p := parent[i]; p > 0 && sv.cacheTop[p] >= 0 {
			sv.cacheTop[i] = sv.cacheTop[p]
		} else {
			name := paths[i][len(paths[i])-1]
			if nf.cache == nil || nf.cacheName != name {
				nf.cache, nf.cacheName = pl.hits.intern(pl.cacheOfFacts(name, f)), name
			}
			if hit := *nf.cache; hit.host != "" {
				sv.cacheTop[i] = int32(i)
				sv.caches[int32(i)] = hit
			}
		}
		if f.source.ID == "" {
			continue
		}
		c := &infos[i]
		*c = copyInfo{planFacts: f, path: paths[i], uses: uses[i], pos: int32(i)}
		// flake-parts' nixpkgs-lib is also a nixpkgs tarball pinned to a
		// rev: the input name says it only needs lib.
		c.libOnly = f.libOnly || c.source.Nixpkgs && len(c.path) > 0 && c.path[len(c.path)-1] == "nixpkgs-lib"
		c.familyID, c.sourceID = f.id, f.id
		c.nixLike = c.source.Nixpkgs || c.libOnly
		if c.nixpkgsLike() {
			c.familyID = nixpkgsID
		}
		sv.at[i] = c
		sv.copies = append(sv.copies, c)
	}
	sv.copies = byPath(sv.copies, sv.at, sv.nodes, sv.targets, parent, via)
	var rootIns Inputs
	if len(order) > 0 {
		rootIns = sv.nodes[0].Inputs
	}
	for k, in := range rootIns {
		if j := sv.targets[0][k]; j >= 0 && sv.at[j] != nil {
			c := sv.at[j]
			c.isRoot = true
			if !pl.isStale(in.Name) {
				sv.roots = append(sv.roots, rootInput{name: in.Name, node: c})
			}
		}
	}
	sv.rootsBySource = make([][]rootInput, len(pl.ids.names))
	sv.rootByName = make(map[string]int, len(sv.roots))
	sv.libRoot = -1
	for i, r := range sv.roots {
		sv.rootsBySource[r.node.sourceID] = append(sv.rootsBySource[r.node.sourceID], r)
		sv.rootByName[r.name] = i
		if sv.libRoot < 0 && r.node.libOnly && !r.node.pinned() {
			sv.libRoot = i
		}
	}
	perSource := make([]int, len(pl.ids.names))
	sv.perFamily = make([]int, len(pl.ids.names))
	for _, c := range sv.copies {
		perSource[c.sourceID]++
		sv.perFamily[c.familyID]++
	}
	sv.perSource = make(map[string]int)
	for id, n := range perSource {
		if n > 0 {
			sv.perSource[pl.ids.names[id]] = n
		}
	}
	return sv
}

// byPath returns copies (those of at, in walk order) sorted by path
// (comparePath): the path tree (parent, via) breadth first, each node's
// children in input order, which is by name, meets the paths shortest
// first and equal lengths in segment-wise byte order, with no comparison
// of paths at all. It sorts when some node is off the tree.
func byPath(copies, at []*copyInfo, nodes []*Node, targets [][]int32, parent, via []int32) []*copyInfo {
	if len(nodes) == 0 {
		return copies
	}
	queue := make([]int32, 1, len(nodes))
	for h := 0; h < len(queue); h++ {
		u := queue[h]
		for k, j := range targets[u] {
			if j > 0 && parent[j] == u && via[j] == int32(k) {
				queue = append(queue, j)
			}
		}
	}
	if len(queue) != len(nodes) {
		slices.SortStableFunc(copies, func(a, b *copyInfo) int { return comparePath(a.path, b.path) })
		return copies
	}
	out := copies[:0]
	for _, u := range queue {
		if at[u] != nil {
			out = append(out, at[u])
		}
	}
	return out
}

// rootsOf returns the root inputs of c's source.
func (sv survey) rootsOf(c *copyInfo) []rootInput {
	if int(c.sourceID) < len(sv.rootsBySource) {
		return sv.rootsBySource[c.sourceID]
	}
	return nil
}

// copyAt returns the copy at path, walking direct edges only (as
// directTarget does), or nil.
func (sv survey) copyAt(path []string) *copyInfo {
	if len(sv.nodes) == 0 {
		return nil
	}
	cur := int32(0)
	for _, seg := range path {
		k, ok := sv.nodes[cur].Inputs.find(seg)
		if !ok || sv.nodes[cur].Inputs[k].IsFollows() {
			return nil
		}
		if cur = sv.targets[cur][k]; cur < 0 {
			return nil
		}
	}
	return sv.at[cur]
}

// copyAbove is copyAt(c.path[:depth]) for a copy c deeper than depth: the
// node at that depth on c's path. A survey builds every path along direct
// edges, each node's from its parent's, so walking c.path[:depth] from the
// root, as copyAt does, meets exactly c's ancestors by parent; climbing
// those saves looking each segment up by name (among the root's inputs,
// thousands on a big lock).
func (sv survey) copyAbove(c *copyInfo, depth int) *copyInfo {
	node := c.pos
	for d := len(c.path); d > depth; d-- {
		node = sv.parent[node]
	}
	return sv.at[node]
}

// copyOf returns the copy whose node has the given key, or nil.
func (sv survey) copyOf(key string) *copyInfo {
	if sv.keyPos != nil {
		if i, ok := sv.keyPos[key]; ok {
			return sv.at[i]
		}
		return nil
	}
	if i, ok := sv.g.index.lookup(sv.g, key); ok {
		return sv.at[i]
	}
	return nil
}

// isStale reports whether the root input name is in the lock but no longer
// in flake.nix.
func (pl planner) isStale(name string) bool {
	return pl.policy.RootInputs != nil && !pl.declaredRoot(name) && !pl.added[name]
}

// declaredRoot reports whether flake.nix declares the root input name.
func (pl planner) declaredRoot(name string) bool { return pl.declaredRoots[name] }

// primaryOf picks the primary root nixpkgs input: `nixpkgs` when it is one,
// else the upstream one most lock edges resolve to (then the newest, then
// the first by name); "" when the flake has none.
func (pl planner) primaryOf(sv survey) string {
	var cands []rootInput
	for _, r := range sv.roots {
		if r.node.source.Nixpkgs && !r.node.libOnly {
			if r.name == "nixpkgs" {
				return r.name
			}
			cands = append(cands, r)
		}
	}
	if r := bestRoot(cands, func(r rootInput) bool { return !r.node.source.Fork }, "", ""); r != nil {
		return r.name
	}
	if r := bestRoot(cands, anyRoot, "", ""); r != nil {
		return r.name
	}
	return ""
}

// lockedFollows reports whether g already has the declared follows f.
func lockedFollows(g *Graph, f Follows) bool {
	parent := g.Nodes[directTarget(g, f.Input[:len(f.Input)-1])]
	if parent == nil {
		return false
	}
	e, ok := parent.Inputs.Get(f.Input[len(f.Input)-1])
	return ok && e.IsFollows() && JoinPath(e.Follows) == JoinPath(f.Target)
}

// primaryRoot returns the primary root input in sv, or nil.
func (pl planner) primaryRoot(sv survey) *rootInput {
	if i, ok := sv.rootByName[pl.primary]; ok && pl.primary != "" {
		return &sv.roots[i]
	}
	return nil
}

// convention decides Policy.Target. TargetInfer becomes TargetPrimary when
// the flake has root nixpkgs inputs on at least two branch classes and
// every declared follows from a dependency's input to one of them goes to
// the primary (at least one does), else TargetBranch. Only declared follows
// that the lock g already has count: those not locked yet (a plan's own,
// declared before re-locking) must not change the convention that chose
// them.
func (pl planner) convention(g *Graph, sv survey) Convention {
	conv := Convention{Target: pl.policy.Target, Primary: pl.primary}
	classes := make(map[string]bool)
	isNixRoot := make(map[string]bool)
	for _, r := range sv.roots {
		if r.node.source.Nixpkgs && !r.node.libOnly {
			classes[r.node.branch.Class] = true
			isNixRoot[r.name] = true
		}
	}
	if conv.Target == TargetInfer {
		conv.Inferred = true
		conv.Target = TargetBranch
		toPrimary, toOther := 0, 0
		for _, f := range pl.declared {
			if len(f.Input) < 2 || len(f.Target) != 1 || !isNixRoot[f.Target[0]] || !lockedFollows(g, f) {
				continue
			}
			if f.Target[0] == pl.primary {
				toPrimary++
			} else {
				toOther++
			}
		}
		if len(classes) >= 2 && toPrimary > 0 && toOther == 0 {
			conv.Target = TargetPrimary
		}
	}
	if pl.primary == "" || len(classes) < 2 && !(conv.Target == TargetPrimary && !conv.Inferred) {
		return conv
	}
	lead := "policy " + conv.Target.String()
	if conv.Inferred {
		lead = "following this flake's convention"
	}
	if conv.Target == TargetPrimary {
		conv.Summary = fmt.Sprintf("%s: everything follows %s", lead, pl.primary)
	} else {
		conv.Summary = lead + ": each copy follows the root input on its branch"
	}
	return conv
}

// addable returns, by branch class, the upstream nixpkgs copies that no
// root input on their branch can take and that a new root input could
// (issue 12, rule 1), for the classes with at least two of them, and
// those classes sorted.
func (pl planner) addable(g *Graph) (map[string][]*copyInfo, []string) {
	pl.terse = true // only verdicts count here, never their reasons
	sv := pl.survey(g)
	byClass := make(map[string][]*copyInfo)
	var classes []string
	for _, c := range sv.copies {
		if c.isRoot || !c.source.Nixpkgs || c.source.Fork || c.libOnly || c.pinned() {
			continue
		}
		if _, held := pl.preHeld(g, c, sv); held {
			continue
		}
		if v := pl.targetOf(c, sv); v.target != nil || !v.noBranchRoot || newInputName(c.branch.Class) == "" {
			continue
		}
		if len(c.path) > 2 && !pl.policy.Deep && !pl.policy.Promote && !pl.midCollapsible(g, sv, c.path[:2]) {
			continue // it could not follow the new input either
		}
		if byClass[c.branch.Class] == nil {
			classes = append(classes, c.branch.Class)
		}
		byClass[c.branch.Class] = append(byClass[c.branch.Class], c)
	}
	kept := classes[:0]
	for _, class := range classes {
		if len(byClass[class]) >= 2 {
			kept = append(kept, class)
		} else {
			delete(byClass, class)
		}
	}
	sort.Strings(kept)
	return byClass, kept
}

// addInputs adds, for each class addable returns, a root input named
// after the role (newInputName), as a copy of the newest of its copies
// whose original tracks the branch, never a revision.
func (pl planner) addInputs(g *Graph) (*Graph, []NewInput, error) {
	byClass, classes := pl.addable(g)
	sort.Strings(classes)
	var out []NewInput
	root := g.Nodes[g.Root]
	taken := make(map[string]bool)
	for _, class := range classes {
		copies := byClass[class]
		name := newInputName(class)
		for n := 2; ; n++ {
			if _, ok := root.Inputs.Get(name); !ok && !taken[name] {
				break
			}
			name = fmt.Sprintf("%s-%d", newInputName(class), n)
		}
		taken[name] = true
		pl.added[name] = true
		best := copies[0]
		for _, c := range copies {
			if c.newest > best.newest {
				best = c
			}
		}
		u := newInputURL(class)
		ni := NewInput{Name: name, URL: u, Class: class, Line: newInputLine(name, u), From: append([]string(nil), best.path...)}
		next, err := applyNewInput(g, ni)
		if err != nil {
			return nil, nil, err
		}
		g = next
		root = g.Nodes[g.Root]
		for _, c := range copies {
			ni.Copies = append(ni.Copies, append([]string(nil), c.path...))
		}
		out = append(out, ni)
	}
	return g, out, nil
}

// midCollapsible reports whether the intermediate at mid could be made to
// follow a root input of its source on its branch, as round does to reach
// the copies below it.
func (pl planner) midCollapsible(g *Graph, sv survey, mid []string) bool {
	if pl.heldOverride(mid) || pl.declaredBelow(mid) {
		return false
	}
	m := sv.copyAt(mid)
	if m == nil {
		return false
	}
	fit := func(r rootInput) bool { return pl.policy.CrossBranch || r.node.branch.Class == m.branch.Class }
	return bestRoot(sv.rootsOf(m), fit, "", "") != nil
}

// applyNewInput adds the root input n to g as Nix would lock it from the
// copy at n.From: a copy of that node whose original tracks n's branch.
func applyNewInput(g *Graph, n NewInput) (*Graph, error) {
	g, err := Promote(g, n.Name, n.From)
	if err != nil {
		return nil, err
	}
	if e, ok := g.Nodes[g.Root].Inputs.Get(n.Name); ok {
		ref := strings.TrimPrefix(n.URL, "github:NixOS/nixpkgs/")
		g.Nodes[e.Target].Original = NewAttrs(Attr{Key: "owner", Raw: `"NixOS"`}, Attr{Key: "ref", Raw: strconv.Quote(ref)},
			Attr{Key: "repo", Raw: `"nixpkgs"`}, Attr{Key: "type", Raw: `"github"`})
	}
	return g, nil
}

// preHeld is the reason a copy stays whatever its target: Policy.Ignore, a
// Hold of the author's, a root input flake.nix no longer declares, or a
// binary cache (unless Policy.Include lifts it).
func (pl planner) preHeld(g *Graph, c *copyInfo, sv survey) (reason string, held bool) {
	pathStr := func() string { return pl.join(c.path) } // only for a copy held
	for _, entry := range pl.policy.Ignore {
		if related(splitEntry(entry), c.path) {
			return pl.sprintf("%s is ignored (--ignore %s)", pathStr(), entry), true
		}
	}
	for _, h := range pl.policy.Holds {
		if len(h.Input) > 0 && hasPrefix(c.path, h.Input) {
			return h.Reason, true
		}
	}
	if pl.isStale(c.path[0]) {
		return pl.sprintf("%s is below %s, which flake.nix no longer declares: %s", pathStr(), c.path[0], staleLockReason), true
	}
	if !pl.included[c.path[0]] {
		// The topmost input above c (c excluded) that a binary cache
		// serves, as the survey found it.
		if p := sv.parent[c.pos]; p > 0 {
			if top := sv.cacheTop[p]; top >= 0 {
				hit := sv.caches[top]
				return pl.sprintf("%s is what %s's binary cache %s is built with (%s): --include %s collapses it anyway",
					pathStr(), pl.join(sv.paths[top]), hit.host, hit.why, c.path[0]), true
			}
		}
	}
	return "", false
}

// heldOverride reports whether an override at path (an intermediate about
// to be collapsed) would touch something Policy.Ignore or a Hold keeps.
func (pl planner) heldOverride(path []string) bool {
	if pl.ignored(path) {
		return true
	}
	for _, h := range pl.policy.Holds {
		if len(h.Input) > 0 && related(h.Input, path) {
			return true
		}
	}
	return false
}

// round looks at the current graph and proposes the next moves, top-down:
// copies at depth two get a follows, deeper ones a collapse of their
// depth-two ancestor (or a deep follows, or a promotion; or, when the
// target Nix refused that collapse, the reroutes that make it possible).
func (pl planner) round(g *Graph) step {
	sv := pl.survey(g)
	root := g.Nodes[g.Root]
	var st step
	if !pl.terse {
		// At most one held-back copy per copy, but for reroutes: sized once
		// rather than grown by appending, on a big lock.
		st.heldBack = make([]HeldBack, 0, len(sv.copies))
	}
	promoted := make(map[string]bool) // source IDs promoted this round
	newNames := make(map[string]bool) // root input names promoted this round
	hold := func(c *copyInfo, reason, line, needsNix string) {
		if pl.terse {
			return
		}
		st.heldBack = append(st.heldBack, HeldBack{Path: c.path, Reason: reason, Line: line, NeedsNix: needsNix})
	}
	emitted := make(map[string]bool)
	// emit proposes f for the copy c, unless f was rejected before.
	emit := func(c *copyInfo, f Follows) {
		k := JoinPath(f.Input)
		if rej, ok := pl.rejected[k]; ok {
			hold(c, pl.join(c.path)+" stays: "+rej.reason, "", rej.needsNix)
			return
		}
		if !emitted[k] {
			emitted[k] = true
			st.follows = append(st.follows, f)
			pl.recordCross(g, sv, f)
		}
	}

	for _, c := range sv.copies {
		if c.isRoot || sv.perFamily[c.familyID] < 2 {
			continue
		}
		if !c.nixpkgsLike() && !pl.policy.All {
			continue
		}
		v := pl.targetOf(c, sv)
		if reason, held := pl.preHeld(g, c, sv); held {
			hold(c, reason, pl.lineFor(c, v, sv), "")
			continue
		}
		if v.target == nil {
			hold(c, v.reason, v.line, "")
			continue
		}
		target := v.target
		if len(c.path) == 2 {
			emit(c, Follows{Input: append([]string(nil), c.path...), Target: target})
			continue
		}
		// Deeper: collapse the depth-two ancestor onto a root input of its
		// source, or go deep, or promote it.
		mid := c.path[:2]
		midStr := JoinPath(mid)
		// The reasons and the line are only written for the copies held
		// back, and not at all in a terse round.
		line := func() string { return pl.followsLine(Follows{Input: c.path, Target: target}) }
		if pl.heldOverride(mid) || pl.declaredBelow(mid) {
			line := line()
			hold(c, pl.sprintf("%s is below %s, which has declared, ignored or held follows below it: write %s with --deep", pl.join(c.path), midStr, line), line, "")
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
		midNode := sv.copyAbove(c, len(mid))
		if midNode != nil {
			sameClass := func(r rootInput) bool { return r.node.branch.Class == midNode.branch.Class }
			fit := sameClass
			if pl.policy.CrossBranch {
				fit = anyRoot
			}
			if r := bestRoot(sv.rootsOf(midNode), fit, midNode.branch.Class, ""); r != nil {
				emit(c, Follows{Input: append([]string(nil), mid...), Target: []string{r.name}})
				continue
			}
		}
		switch {
		case pl.policy.Deep:
			emit(c, Follows{Input: append([]string(nil), c.path...), Target: target})
		case pl.policy.Promote && midNode != nil:
			if rej, ok := pl.rejected[midStr]; ok {
				hold(c, pl.join(c.path)+" stays: "+rej.reason, line(), rej.needsNix)
			} else if !promoted[midNode.source.ID] {
				promoted[midNode.source.ID] = true
				name := freeName(root, newNames, mid)
				newNames[name] = true
				pl.added[name] = true
				st.promotions = append(st.promotions, Promotion{Name: name, Path: append([]string(nil), mid...)})
				emit(c, Follows{Input: append([]string(nil), mid...), Target: []string{name}})
			}
		default:
			if !pl.terse {
				reason, needsNix := pl.noRootReason(c.path, midStr, midNode != nil)
				hold(c, reason, line(), needsNix)
			}
		}
	}
	if len(st.heldBack) == 0 {
		st.heldBack = nil // as appending to nil leaves it
	}
	st.follows = deferThroughMoved(st.follows)
	sort.SliceStable(st.follows, func(i, j int) bool { return LessPath(st.follows[i].Input, st.follows[j].Input) })
	return st
}

// recordCross notes f when its target is a root input on another branch
// class than the copy it replaces.
func (pl planner) recordCross(g *Graph, sv survey, f Follows) {
	if len(f.Target) != 1 {
		return
	}
	c := sv.copyAt(f.Input)
	var t *copyInfo
	if i, ok := sv.rootByName[f.Target[0]]; ok {
		t = sv.roots[i].node
	}
	if c == nil || t == nil || c.branch.Class == t.branch.Class {
		return
	}
	pl.cross[JoinPath(f.Input)] = CrossBranchFollows{Input: append([]string(nil), f.Input...),
		From: branchName(c.branch), Target: f.Target[0], To: branchName(t.branch)}
}

// lineFor is the follows line that would collapse c: onto its target when
// it has one, else onto the primary nixpkgs (for nixpkgs copies), else "".
func (pl planner) lineFor(c *copyInfo, v verdict, sv survey) string {
	if v.target != nil {
		return FollowsLine(Follows{Input: c.path, Target: v.target})
	}
	return v.line
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
		c := sv.copyOf(edge.Target)
		if len(e.input) != 2 || pl.heldOverride(e.input) || pl.isDeclared(e.input) ||
			c == nil || c.isRoot || !c.nixpkgsLike() && !pl.policy.All {
			return nil
		}
		if _, held := pl.preHeld(g, c, sv); held {
			return nil
		}
		target := pl.targetOf(c, sv).target
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
func (pl planner) noRootReason(path []string, mid string, promotable bool) (reason, needsNix string) {
	deep := nixversion.DeepOverrides.String()
	var needs string
	switch {
	case pl.nix.AtLeast(nixversion.DeepOverrides):
		needs = "needs --promote or --deep"
	case pl.policy.Promote && !promotable:
		needs, needsNix = "needs --deep, which needs Nix ≥ "+deep, deep
	default:
		needs = "needs --promote, or --deep with Nix ≥ " + deep
	}
	return pl.pathCat(path, " is below ", mid, ", which has no root input of its source: ", needs), needsNix
}

// deferThroughMoved drops the follows whose target runs through an input
// that another follows of the same round overrides: once that one is in,
// the target would pass through a follows, which Nix before 2.18 refuses.
// The next round, seeing the new graph, picks their targets again. When
// that would drop everything, it keeps follows as they are.
func deferThroughMoved(follows []Follows) []Follows {
	// Only a target longer than some follows' input can run through it:
	// look the target's proper prefixes up among the inputs.
	var inputs map[string]bool
	for _, f := range follows {
		if len(f.Target) > 1 || len(f.Input) == 0 {
			inputs = make(map[string]bool, len(follows))
			break
		}
	}
	if inputs == nil {
		return follows
	}
	for _, o := range follows {
		inputs[pathKey(o.Input)] = true
	}
	var kept []Follows
	for _, f := range follows {
		through := false
		for l := 0; l < len(f.Target) && !through; l++ {
			through = inputs[pathKey(f.Target[:l])]
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

// verdict is where a copy should point, or why it stays.
type verdict struct {
	// target is the root input path to follow, or nil.
	target []string
	// reason says why the copy stays, when target is nil.
	reason string
	// line is the follows line that would collapse it anyway, or "".
	line string
	// noBranchRoot marks a copy held only because no root input tracks
	// its branch (what Policy.AddInputs mends).
	noBranchRoot bool
}

// targetOf returns the root input the copy c should follow (issue 12,
// rules 1-5), or why it stays where it is. Targets are root inputs only.
func (pl planner) targetOf(c *copyInfo, sv survey) verdict {
	// The reasons and lines are written only for a copy that stays, and
	// only when pl is not terse: most copies get a target.
	pathStr := func() string { return pl.join(c.path) }
	primary := pl.primaryRoot(sv)
	toPrimary := func() verdict { return verdict{target: []string{primary.name}} }
	lineToPrimary := func() string {
		if primary == nil {
			return ""
		}
		return pl.followsLine(Follows{Input: c.path, Target: []string{primary.name}})
	}
	if c.libOnly {
		// A lib-only root input first (the flake's own nixpkgs-lib), else
		// the primary.
		if sv.libRoot >= 0 {
			return verdict{target: []string{sv.roots[sv.libRoot].name}}
		}
		if primary != nil {
			return toPrimary()
		}
		return verdict{reason: pl.sprintf("%s only needs nixpkgs' lib, but the flake has no root nixpkgs input: add %s", pathStr(), newInputLine("nixpkgs", newInputURL(ClassRolling)))}
	}
	sameClass := func(r rootInput) bool { return r.node.branch.Class == c.branch.Class }
	own := sv.rootsOf(c)
	if !c.nixpkgsLike() {
		if r := bestRoot(own, sameClass, "", ""); r != nil {
			return verdict{target: []string{r.name}}
		}
		if len(own) == 0 {
			return verdict{reason: pl.pathCat(c.path, " has no root input of its source (", c.source.ID, ") to follow: add one to flake.nix, or --promote")}
		}
		r := bestRoot(own, anyRoot, "", "")
		if pl.policy.CrossBranch {
			return verdict{target: []string{r.name}}
		}
		line := pl.followsLine(Follows{Input: c.path, Target: []string{r.name}})
		return verdict{reason: pl.sprintf("%s is on %s and root input %s on %s: --cross-branch makes it follow %s", pathStr(), branchName(c.branch), r.name, branchName(r.node.branch), r.name), line: line}
	}
	// The root input of the copy's own source that stands for the primary:
	// the primary itself when it is of that source, else the best of them.
	var srcPrimary *rootInput
	if primary != nil && primary.node.source.ID == c.source.ID {
		srcPrimary = primary
	} else {
		srcPrimary = bestRoot(own, anyRoot, "", "")
	}
	if c.pinned() {
		if r := bestRoot(own, sameClass, "", pl.primary); r != nil {
			return verdict{target: []string{r.name}} // the same revision
		}
		return verdict{reason: pl.sprintf("%s is pinned to %s on purpose (a revision pin is never collapsed): write the follows yourself to drop it", pathStr(), branchName(c.branch)), line: lineToPrimary()}
	}
	if pl.target == TargetPrimary && srcPrimary != nil {
		return verdict{target: []string{srcPrimary.name}}
	}
	if r := bestRoot(own, sameClass, "", pl.primary); r != nil {
		return verdict{target: []string{r.name}}
	}
	if primary == nil {
		return verdict{reason: pl.sprintf("%s has no root nixpkgs input to follow: add nixpkgs.url to flake.nix", pathStr())}
	}
	if srcPrimary == nil {
		// A fork with no root input of its own source, or upstream nixpkgs
		// in a flake whose root nixpkgs are forks.
		if pl.policy.CrossBranch {
			return toPrimary()
		}
		what := pl.sprintf("a fork (%s)", c.source.ID)
		if !c.source.Fork {
			what = pl.sprintf("upstream nixpkgs and %s a fork (%s)", primary.name, primary.node.source.ID)
		}
		return verdict{reason: pl.sprintf("%s is %s: --cross-branch makes it follow %s", pathStr(), what, primary.name), line: lineToPrimary()}
	}
	if pl.policy.CrossBranch {
		return verdict{target: []string{srcPrimary.name}}
	}
	reason := pl.sprintf("%s is on %s, which no root input tracks: --cross-branch makes it follow %s (%s)", pathStr(), branchName(c.branch), srcPrimary.name, branchName(srcPrimary.node.branch))
	line := pl.followsLine(Follows{Input: c.path, Target: []string{srcPrimary.name}})
	if name := newInputName(c.branch.Class); name != "" && !c.source.Fork && !pl.terse {
		add := newInputLine(name, newInputURL(c.branch.Class))
		if pl.addClasses[c.branch.Class] {
			reason += ", --add-inputs adds " + add
		} else {
			reason += ", or add " + add
		}
	}
	return verdict{reason: reason, line: line, noBranchRoot: !c.source.Fork}
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

// bestRoot picks among the root inputs that fit: the one named preferName
// first (when not empty), then those of class preferClass (when not
// empty), then the one most edges resolve to, then the newest, then the
// first by name (roots are sorted by name).
func bestRoot(roots []rootInput, fit func(rootInput) bool, preferClass, preferName string) *rootInput {
	var best *rootInput
	for i := range roots {
		r := &roots[i]
		if !fit(*r) {
			continue
		}
		if preferName != "" && r.name == preferName {
			return r
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

// comparePath is LessPath as a three-way comparison.
func comparePath(a, b []string) int {
	if len(a) != len(b) {
		return cmp.Compare(len(a), len(b))
	}
	for i := range a {
		if c := strings.Compare(a[i], b[i]); c != 0 {
			return c
		}
	}
	return 0
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
