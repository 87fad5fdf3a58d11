package flake

import (
	"errors"
	"fmt"
	"github.com/flakedup/flakedup/internal/suggest"
	"sort"
	"strings"

	"github.com/flakedup/flakedup/internal/nixversion"
	"github.com/flakedup/flakedup/internal/savings"
	"github.com/flakedup/flakedup/lockgraph"
	"github.com/flakedup/flakedup/rewrite"
)

// Options steer Plan: the planner's policy and the Nix the edits are for.
type Options struct {
	// Policy is passed to lockgraph.Plan; its Nix is set from Target.
	Policy lockgraph.Policy
	// Target is the Nix that will lock the flake, and where that came from.
	Target nixversion.Target
	// ConfigIgnore is how many leading entries of Policy.Ignore come from
	// flakedup.toml (errors about them name the file, not --ignore).
	ConfigIgnore int
	// Sources are source IDs whose copies Outcome.Copies lists even when
	// the lock has only one (check's --max-copies); nixpkgs copies and
	// copies of every duplicated source are always listed.
	Sources []string
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
	// Before analyzes the lock as given; its CouldFollowRoot flags and
	// count are the plan's (Follow).
	Before lockgraph.Report
	// After counts the nixpkgs copies of the predicted lock
	// (Result.Predicted) as Before.Nixpkgs counts them.
	After NixpkgsCount
	// Copies lists the copies of nixpkgs, of every duplicated source and of
	// Options.Sources with their status, root inputs first, then by path.
	Copies []Copy
	// Edits in the order they are applied: promotions, new root inputs
	// (Policy.AddInputs), then follows.
	Edits []rewrite.Edit
	// NewNix is flake.nix with the edits (the old bytes when none apply)
	// and Diff the unified diff of flake.nix ("" when unchanged), both set
	// by Edit.
	NewNix []byte
	Diff   string
	// Stale lists root inputs that flake.nix declares but the lock lacks.
	Stale []string
	// Manual is set when flake.nix cannot be edited safely; ManualLines
	// are then what the user should add by hand.
	Manual      error
	ManualLines []string
	// Written lists the files Write wrote.
	Written []string

	edited  bool
	newLock []byte
	// beforeNix and afterNix are the reachable nixpkgs nodes of the lock
	// and of the predicted one, for Savings.
	beforeNix, afterNix []*lockgraph.Node
}

// NixpkgsCount counts the nixpkgs copies of a lock as
// lockgraph.NixpkgsSummary does.
type NixpkgsCount struct {
	// Copies counts the reachable nixpkgs nodes, forks included.
	Copies int
	// Revisions counts their distinct locked revisions (narHash for a copy
	// locked without a rev).
	Revisions int
}

// Plan plans the follows for fl under o. It applies what flake.nix already
// declares (follows, and root inputs added by `fix --promote` that the lock
// lacks) before planning, so that a second run before re-locking proposes
// nothing. A flake.nix that cannot be modelled, or that Nix refuses
// (Flake.Refusal), is planned on the lock alone: fix and check refuse such
// a flake before planning, analyze reports on its lock. Plan does not touch
// flake.nix's text: Outcome.Edit does.
func (fl *Flake) Plan(o Options) (*Outcome, error) {
	if o.Target.Version != (nixversion.Version{}) {
		o.Policy.Nix = o.Target.Version
	}
	inputs := fl.Inputs
	if fl.Refusal() != nil {
		inputs = nil // Nix refuses flake.nix: plan on the lock alone
	}
	if inputs != nil {
		o.Policy = intentPolicy(fl, o.Policy)
	}
	out := &Outcome{Flake: fl, Options: o}
	g, unknown, err := applyDeclaredPromotions(inputs, fl.Graph)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fl.NixPath, err)
	}
	declared, stale := lockFollows(inputs, g)
	out.Stale = append(unknown, stale...)
	sort.Strings(out.Stale)
	out.Stale = dedupSorted(out.Stale)

	if err := checkNames(g, o.Policy, o.ConfigIgnore); err != nil {
		return nil, err
	}
	// The lock's own report does not depend on the plan: on a big lock,
	// it is built on the other core while the plan is made (both only
	// read fl.Graph, whose methods are safe for concurrent use).
	before := make(chan lockgraph.Report, 1)
	go func() { before <- lockgraph.Analyze(fl.Graph) }()
	res, err := lockgraph.Plan(g, declared, o.Policy)
	out.Before = <-before
	var tooOld *lockgraph.NixTooOldError
	if errors.As(err, &tooOld) {
		return nil, err // already says what to do: "--deep needs Nix >= 2.30 (target is 2.18)"
	}
	if err != nil {
		return nil, fmt.Errorf("plan: %w", err)
	}
	out.Result = res

	for _, p := range res.Promotions {
		out.Edits = append(out.Edits, rewrite.AddInput{Name: p.Name, URL: PromotionURL(res.Predicted, p)})
	}
	for _, ni := range res.NewInputs {
		out.Edits = append(out.Edits, rewrite.AddInput{Name: ni.Name, URL: ni.URL})
	}
	for _, f := range res.Follows {
		out.Edits = append(out.Edits, rewrite.AddFollows{Path: f.Input, Target: strings.Join(f.Target, "/")})
	}
	out.classify(declared)
	return out, nil
}

// Edit applies the plan's edits to flake.nix, setting NewNix and Diff, or,
// when flake.nix cannot be edited safely, Manual and ManualLines. Only fix
// needs it (analyze and check report the plan without editing); it does
// nothing the second time.
func (o *Outcome) Edit() {
	if o.edited {
		return
	}
	o.edited = true
	fl := o.Flake
	if fl.NixErr != nil {
		if len(o.Edits) > 0 {
			o.Manual = fmt.Errorf("%w; cannot edit it safely: add the lines above to flake.nix by hand", fl.NixErr)
			o.ManualLines = ManualLines(o.Edits)
			return
		}
		o.NewNix = fl.NixSrc
		return
	}
	newNix, diff, err := editNix(fl, o.Edits)
	if err != nil {
		o.Manual = fmt.Errorf("%w; add the lines above to flake.nix by hand", err)
		o.ManualLines = ManualLines(o.Edits)
		return
	}
	o.NewNix = newNix
	o.Diff = diff()
}

// PredictedLock is the predicted lock in Nix's own format (what `fix
// --lock` writes), computed on first use.
func (o *Outcome) PredictedLock() []byte {
	if o.newLock == nil {
		o.newLock = lockgraph.Marshal(o.Result.Predicted)
	}
	return o.newLock
}

// Savings is savings.Compare of the lock and the predicted one, from the
// nixpkgs nodes the plan already found (sizes not measured).
func (o *Outcome) Savings() savings.Savings {
	return savings.CompareNodes(o.beforeNix, o.afterNix)
}

// Counts returns the nixpkgs numbers of the outcome.
func (o *Outcome) Counts() Counts {
	c := Counts{Copies: o.Before.Nixpkgs.Copies, After: o.After.Copies}
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
		g, paths = next, nil // Promote renames nodes, as Nix does
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

// Summary is the plan's summary lines that every command prints the same
// way: the convention it followed (when it said something), then one line
// per planned follows that crosses a branch
// ("sops-nix/nixpkgs: nixos-unstable → nixpkgs (nixos-25.11)"), then one
// per new root input.
type Summary struct {
	Convention string
	Crossings  []string
	NewInputs  []string
}

// Summary returns the outcome's summary lines.
func (o *Outcome) Summary() Summary {
	s := Summary{Convention: o.Result.Convention.Summary, Crossings: []string{}, NewInputs: []string{}}
	for _, c := range o.Result.CrossBranch {
		s.Crossings = append(s.Crossings, c.String())
	}
	for _, ni := range o.Result.NewInputs {
		s.NewInputs = append(s.NewInputs, fmt.Sprintf("%s (%s), followed by %d copies", ni.Name, ni.URL, len(ni.Copies)))
	}
	return s
}

// Lines renders the summary as indented text lines (without newlines).
func (s Summary) Lines() []string {
	var lines []string
	if s.Convention != "" {
		lines = append(lines, s.Convention)
	}
	switch len(s.Crossings) {
	case 0:
	case 1:
		lines = append(lines, "1 follows crosses a branch: "+s.Crossings[0])
	default:
		lines = append(lines, fmt.Sprintf("%d follows cross a branch:", len(s.Crossings)))
		for _, c := range s.Crossings {
			lines = append(lines, "  "+c)
		}
	}
	for _, n := range s.NewInputs {
		lines = append(lines, "new root input: "+n)
	}
	return lines
}

// checkNames returns an *lockgraph.UnknownNameError for the first ignore
// entry (the first fromConfig of them from flakedup.toml, the rest from
// --ignore) that names no input path of the lock, and the first --include
// entry that names no root input, each with the closest existing name as a
// suggestion.
func checkNames(g *lockgraph.Graph, p lockgraph.Policy, fromConfig int) error {
	var candidates []string // every input path of the lock, lazily
	suggest := func(name string, roots bool) string {
		if roots {
			var names []string
			for _, in := range g.Nodes[g.Root].Inputs {
				names = append(names, in.Name)
			}
			return suggest.Best(name, names)
		}
		if candidates == nil {
			for _, np := range g.Paths() {
				candidates = append(candidates, lockgraph.JoinPath(np.Canonical))
			}
			sort.Strings(candidates)
		}
		return suggest.Best(name, candidates)
	}
	for i, name := range p.Ignore {
		if _, err := g.Resolve(SplitTarget(strings.Trim(name, "/"))); err != nil {
			flag := "--ignore"
			if i < fromConfig {
				flag = "flakedup.toml: ignore"
			}
			return &lockgraph.UnknownNameError{Flag: flag, Name: name, Suggestion: suggest(name, false)}
		}
	}
	for _, name := range p.Include {
		if _, ok := g.Nodes[g.Root].Inputs.Get(name); !ok {
			hint := suggest(name, true)
			if first, _, ok := strings.Cut(name, "/"); ok {
				if _, root := g.Nodes[g.Root].Inputs.Get(first); root {
					hint = first // --include takes a root input's name
				}
			}
			return &lockgraph.UnknownNameError{Flag: "--include", Name: name, Suggestion: hint}
		}
	}
	return nil
}
