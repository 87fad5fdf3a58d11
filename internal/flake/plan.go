package flake

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/flakedup/flakedup/internal/nixversion"
	"github.com/flakedup/flakedup/lockgraph"
	"github.com/flakedup/flakedup/rewrite"
)

// Options steer Plan: the planner's policy and the Nix the edits are for.
type Options struct {
	// Policy is passed to lockgraph.Plan; its Nix is set from Target.
	Policy lockgraph.Policy
	// Target is the Nix that will lock the flake, and where that came from.
	Target nixversion.Target
}

// Status is what the plan does with one copy.
type Status int

// The statuses of a copy.
const (
	// Kept: nothing to do (a copy of a source the plan does not touch).
	Kept Status = iota
	// Root: a root input denotes the copy.
	Root
	// Follow: a follows the plan adds (on the copy or an input above it)
	// removes the copy.
	Follow
	// Pending: a follows flake.nix already declares removes the copy once
	// Nix re-locks (`nix flake lock`).
	Pending
	// Held: the plan leaves the copy in place, with a reason.
	Held
)

// Copy is one node of the lock and what the plan does with it.
type Copy struct {
	// Key is the node key in the lock as given.
	Key string
	// Path is the input path that reaches the node through direct edges
	// (the canonical path when none does).
	Path []string
	// Source and Branch are the node's.
	Source lockgraph.Source
	Branch lockgraph.Branch
	// Rev is the locked revision, "" when none.
	Rev string
	// Status is what the plan does with the copy.
	Status Status
	// Fix is the flake.nix line that removes the copy (Follow), as a user
	// would write it at the top level: inputs.a.inputs.nixpkgs.follows = "nixpkgs";
	Fix string
	// Reason says why the copy is held back (Held), naming the flag or
	// flake.nix line that would change it.
	Reason string
	// NeedsNix is the Nix version that would let the plan remove a held
	// copy, when the target version is what holds it.
	NeedsNix string
	// Line is the flake.nix line of the root input that pulls the copy in,
	// 0 when unknown.
	Line int
}

// Counts are the nixpkgs numbers every command reports.
type Counts struct {
	// Copies counts the nixpkgs copies in the lock (forks included).
	Copies int
	// CouldFollow counts those the plan's new follows remove.
	CouldFollow int
	// Pending counts those that follows already in flake.nix remove once
	// Nix re-locks.
	Pending int
	// HeldBack counts those the plan holds back.
	HeldBack int
	// After counts the nixpkgs copies of the predicted lock.
	After int
}

// Outcome is one plan of a flake: what to add, what stays and why, the
// counts before and after, the predicted lock and the new flake.nix.
type Outcome struct {
	// Flake is the flake the plan is for.
	Flake *Flake
	// Options are the options it was planned with.
	Options Options
	// Result is the planner's answer.
	Result *lockgraph.Result
	// Before and After analyze the lock as given and the predicted one.
	// Before's CouldFollowRoot flags and count are the plan's (Follow).
	Before, After lockgraph.Report
	// Copies lists every reachable node of the lock with its status,
	// root inputs first, then by path.
	Copies []Copy
	// Edits in the order they are applied: promotions, then follows.
	Edits []rewrite.Edit
	// NewNix is flake.nix with the edits (the old bytes when none apply);
	// NewLock the predicted lock in Nix's format; Diff the unified diff of
	// flake.nix ("" when unchanged).
	NewNix, NewLock []byte
	Diff            string
	// Stale lists root inputs that flake.nix declares but the lock lacks.
	Stale []string
	// Manual is set when flake.nix cannot be edited safely; ManualLines
	// are then what the user should add by hand.
	Manual      error
	ManualLines []string
	// Written lists the files Write wrote.
	Written []string
}

// Plan plans the follows for fl under o. It applies what flake.nix already
// declares (follows, and root inputs added by `fix --promote` that the lock
// lacks) before planning, so that a second run before re-locking proposes
// nothing. A flake.nix that cannot be modelled is planned on the lock
// alone; the edits then become Outcome.ManualLines.
func (fl *Flake) Plan(o Options) (*Outcome, error) {
	if o.Target.Version != (nixversion.Version{}) {
		o.Policy.Nix = o.Target.Version
	}
	out := &Outcome{Flake: fl, Options: o}
	g, unknown, err := applyDeclaredPromotions(fl.Inputs, fl.Graph)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fl.NixPath, err)
	}
	declared, stale := lockFollows(fl.Inputs, g)
	out.Stale = append(unknown, stale...)
	sort.Strings(out.Stale)
	out.Stale = dedupSorted(out.Stale)

	res, err := lockgraph.Plan(g, declared, o.Policy)
	var tooOld *lockgraph.NixTooOldError
	if errors.As(err, &tooOld) {
		return nil, err // already says what to do: "--deep needs Nix >= 2.30 (target is 2.18)"
	}
	if err != nil {
		return nil, fmt.Errorf("plan: %w", err)
	}
	out.Result = res
	out.Before = lockgraph.Analyze(fl.Graph)
	out.After = lockgraph.Analyze(res.Predicted)
	out.NewLock = lockgraph.Marshal(res.Predicted)

	for _, p := range res.Promotions {
		out.Edits = append(out.Edits, rewrite.AddInput{Name: p.Name, URL: PromotionURL(res.Predicted, p)})
	}
	for _, f := range res.Follows {
		out.Edits = append(out.Edits, rewrite.AddFollows{Path: f.Input, Target: strings.Join(f.Target, "/")})
	}
	out.Copies = copies(fl, out, declared)
	out.markBefore()

	if fl.NixErr != nil {
		if len(out.Edits) > 0 {
			out.Manual = fmt.Errorf("%w; cannot edit it safely: add the lines above to flake.nix by hand", fl.NixErr)
			out.ManualLines = ManualLines(out.Edits)
			return out, nil
		}
		out.NewNix = fl.NixSrc
		return out, nil
	}
	newNix, _, err := rewrite.Apply(fl.NixSrc, fl.NixPath, out.Edits...)
	if err != nil {
		out.Manual = fmt.Errorf("%w; add the lines above to flake.nix by hand", err)
		out.ManualLines = ManualLines(out.Edits)
		return out, nil
	}
	out.NewNix = newNix
	out.Diff = rewrite.Diff("flake.nix", fl.NixSrc, newNix)
	return out, nil
}

// Counts returns the nixpkgs numbers of the outcome.
func (o *Outcome) Counts() Counts {
	c := Counts{Copies: o.Before.Nixpkgs.Copies, After: o.After.Nixpkgs.Copies}
	for _, cp := range o.Copies {
		if !cp.Source.Nixpkgs {
			continue
		}
		switch cp.Status {
		case Follow:
			c.CouldFollow++
		case Pending:
			c.Pending++
		case Held:
			c.HeldBack++
		}
	}
	return c
}

// markBefore sets Before's CouldFollowRoot flags and count from the plan,
// so that analyze shows exactly what fix would do.
func (o *Outcome) markBefore() {
	follow := map[string]bool{}
	n := 0
	for _, cp := range o.Copies {
		if cp.Status == Follow {
			follow[cp.Key] = true
			if cp.Source.Nixpkgs {
				n++
			}
		}
	}
	groups := make([]lockgraph.Group, len(o.Before.Groups))
	for i, g := range o.Before.Groups {
		g.Copies = append([]lockgraph.Copy(nil), g.Copies...)
		for j := range g.Copies {
			g.Copies[j].CouldFollowRoot = follow[g.Copies[j].Key]
		}
		groups[i] = g
	}
	o.Before.Groups = groups
	o.Before.Nixpkgs.CouldFollowRoot = n
}

// copies gives every reachable node of the lock its status.
func copies(fl *Flake, out *Outcome, declared []lockgraph.Follows) []Copy {
	g := fl.Graph
	direct := directPaths(g)
	rootTargets := map[string]bool{}
	for _, in := range g.Nodes[g.Root].Inputs {
		rootTargets[in.Target] = true
	}
	lines := ManualLines(out.Edits)
	held := map[string]lockgraph.HeldBack{}
	for _, h := range out.Result.HeldBack {
		held[lockgraph.JoinPath(h.Path)] = h
	}
	var paths map[string]lockgraph.NodePaths
	var list []Copy
	for _, key := range g.Reachable() {
		n := g.Nodes[key]
		cp := Copy{Key: key, Path: direct[key], Source: lockgraph.SourceOf(n), Branch: lockgraph.BranchOf(n),
			Rev: n.Locked.String("rev")}
		if cp.Path == nil {
			if paths == nil {
				paths = g.Paths()
			}
			cp.Path = paths[key].Canonical
		}
		if fl.Inputs != nil && len(cp.Path) > 0 {
			if in := fl.Inputs.Inputs[cp.Path[0]]; in != nil && in.Line > 0 {
				cp.Line = in.Line
			}
		}
		switch {
		case rootTargets[key]:
			cp.Status = Root
		default:
			for i, e := range out.Edits {
				if f, ok := e.(rewrite.AddFollows); ok && hasPathPrefix(cp.Path, f.Path) {
					cp.Status, cp.Fix = Follow, lines[i]
					break
				}
			}
			if cp.Status != Kept {
				break
			}
			for _, f := range declared {
				if hasPathPrefix(cp.Path, f.Input) {
					cp.Status = Pending
					break
				}
			}
			if cp.Status != Kept {
				break
			}
			if h, ok := held[lockgraph.JoinPath(cp.Path)]; ok {
				cp.Status, cp.Reason, cp.NeedsNix = Held, h.Reason, h.NeedsNix
			}
		}
		list = append(list, cp)
	}
	sort.SliceStable(list, func(i, j int) bool {
		if (list[i].Status == Root) != (list[j].Status == Root) {
			return list[i].Status == Root
		}
		return lockgraph.JoinPath(list[i].Path) < lockgraph.JoinPath(list[j].Path)
	})
	return list
}

// directPaths maps every node reachable through direct (non-follows) edges
// to the input path of those edges; in a lock Nix wrote, each node has
// exactly one.
func directPaths(g *lockgraph.Graph) map[string][]string {
	out := map[string][]string{}
	type item struct {
		key  string
		path []string
	}
	queue := []item{{g.Root, nil}}
	seen := map[string]bool{g.Root: true}
	for len(queue) > 0 {
		it := queue[0]
		queue = queue[1:]
		n := g.Nodes[it.key]
		for _, in := range n.Inputs {
			if in.IsFollows() || seen[in.Target] {
				continue
			}
			seen[in.Target] = true
			p := append(append([]string(nil), it.path...), in.Name)
			out[in.Target] = p
			queue = append(queue, item{in.Target, p})
		}
	}
	return out
}

func hasPathPrefix(p, prefix []string) bool {
	if len(prefix) > len(p) {
		return false
	}
	for i := range prefix {
		if p[i] != prefix[i] {
			return false
		}
	}
	return true
}

// lockFollows converts the follows written in flake.nix into the
// planner's form. Follows under a root input the lock does not know yet are
// dropped (Nix has not locked that input, so there is nothing to plan
// against) and their input names returned as stale.
func lockFollows(in *rewrite.Inputs, g *lockgraph.Graph) (follows []lockgraph.Follows, stale []string) {
	if in == nil {
		return nil, nil
	}
	root := g.Nodes[g.Root]
	seen := map[string]bool{}
	for _, f := range in.DeclaredFollows() {
		if _, ok := root.Inputs.Get(f.Path[0]); !ok {
			if !seen[f.Path[0]] {
				seen[f.Path[0]] = true
				stale = append(stale, f.Path[0])
			}
			continue
		}
		target := f.TargetPath
		if target == nil {
			target = []string{} // the root flake itself
		}
		follows = append(follows, lockgraph.Follows{Input: f.Path, Target: target})
	}
	return follows, stale
}

// SplitTarget turns a follows string into a path; "" is the root itself
// (an empty, non-nil path).
func SplitTarget(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, "/")
}

// applyDeclaredPromotions finds root inputs that flake.nix declares but the
// lock does not have yet, whose url pins a node the lock already holds (as
// `flakedup fix --promote` writes them), and adds them to the graph the way
// Nix will lock them. It returns the graph and the names it could not
// account for (inputs the user added and has not locked yet).
func applyDeclaredPromotions(in *rewrite.Inputs, g *lockgraph.Graph) (*lockgraph.Graph, []string, error) {
	if in == nil {
		return g, nil, nil
	}
	root := g.Nodes[g.Root]
	var unknown []string
	var paths map[string]lockgraph.NodePaths
	for _, name := range in.Names() {
		if _, ok := root.Inputs.Get(name); ok {
			continue
		}
		url := in.Inputs[name].URL
		var from []string
		if url != "" {
			if paths == nil {
				paths = g.Paths()
			}
			for _, key := range g.Reachable() {
				if lockgraph.FlakeRefURL(g.Nodes[key].Locked) == url {
					from = paths[key].Canonical
					break
				}
			}
		}
		if from == nil {
			unknown = append(unknown, name)
			continue
		}
		next, err := lockgraph.Promote(g, name, from)
		if err != nil {
			return nil, nil, fmt.Errorf("input %q: %w", name, err)
		}
		g = next
	}
	return g, unknown, nil
}

// PromotionURL is the flake reference of a promoted root input: its locked
// ref, pinned to the revision the lock already has.
func PromotionURL(pred *lockgraph.Graph, p lockgraph.Promotion) string {
	root := pred.Nodes[pred.Root]
	if in, ok := root.Inputs.Get(p.Name); ok {
		return lockgraph.FlakeRefURL(pred.Nodes[in.Target].Locked)
	}
	return ""
}

func dedupSorted(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}
