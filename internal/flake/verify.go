package flake

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"github.com/flakedup/flakedup/internal/verify"
	"github.com/flakedup/flakedup/lockgraph"
	"github.com/flakedup/flakedup/rewrite"
)

// VerifyOptions steer Outcome.Verify (`fix --verify`, issue 13).
type VerifyOptions struct {
	// Mode is verify.Eval (the default) or verify.Build.
	Mode verify.Mode
	// Attrs limits the evaluation to these attributes (--verify-attr).
	Attrs []string
	// Jobs bounds the evaluations running at once.
	Jobs int
	// DropUnused proposes `follows = ""` for the inputs of dependencies
	// named in verify.DefaultDropNames and DropNames (--drop-unused).
	DropUnused bool
	DropNames  []string
	// Align moves the primary nixpkgs input to the common revision
	// (--align).
	Align bool
	// Progress, when not nil, is called as each evaluation starts.
	Progress func(verify.Progress)
	// Nix, Env and TempDir are passed to verify.Options.
	Nix     string
	Env     []string
	TempDir string
}

// Verification is what Outcome.Verify found and the outcome it leads to.
type Verification struct {
	// Result is the engine's answer.
	Result *verify.Result
	// Outcome is the plan with the result applied: the accepted follows
	// (retried ones with their new target), the culprits held back with
	// their reason, the drops as `follows = ""` edits, the primary's url
	// moved with --align. It is the original outcome when the baseline
	// failed.
	Outcome *Outcome
	// Aligned is the edit --align made, nil when it made none (no common
	// revision, or the primary already tracks it: its branch head is that
	// revision).
	Aligned *rewrite.SetURL
}

// candidates is the part of a flake the candidates are built from: the lock
// as Plan planned on (declared promotions applied), the follows flake.nix
// declares, and the root inputs a follows may need added first.
type candidates struct {
	fl       *Flake
	base     *lockgraph.Graph
	declared []lockgraph.Follows
	// added maps a root input the flake does not have yet to how it is
	// added (plan promotions, new inputs and retry targets).
	added map[string]newRoot
}

// newRoot is a root input a candidate adds when a follows targets it.
type newRoot struct {
	// from is the input path of the node it copies (lockgraph.Promote).
	from []string
	// url is its url in flake.nix; "" pins the copied node's revision.
	url string
	// original replaces the copy's "original" in the lock (nil: the pinned
	// reference Promote writes).
	original lockgraph.Attrs
}

func newCandidates(fl *Flake, o *Outcome) (*candidates, error) {
	base, _, err := applyDeclaredPromotions(fl.Inputs, fl.Graph)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fl.NixPath, err)
	}
	declared, _ := lockFollows(fl.Inputs, base)
	c := &candidates{fl: fl, base: base, declared: declared, added: map[string]newRoot{}}
	for _, p := range o.Result.Promotions {
		c.added[p.Name] = newRoot{from: p.Path}
	}
	pred := o.Result.Predicted
	for _, ni := range o.Result.NewInputs {
		nr := newRoot{from: ni.From, url: ni.URL}
		if in, ok := pred.Nodes[pred.Root].Inputs.Get(ni.Name); ok && !in.IsFollows() {
			nr.original = pred.Nodes[in.Target].Original
		}
		c.added[ni.Name] = nr
	}
	return c, nil
}

// build returns the edits and the predicted lock of the flake with follows
// (and, with align, the primary input pinned to rev): root inputs that a
// follows targets and the flake lacks are added first (rewrite.AddInput,
// lockgraph.Promote), in the order first targeted. It only reads c, so it
// is safe for concurrent calls.
func (c *candidates) build(follows []lockgraph.Follows, align *alignment) ([]rewrite.Edit, *lockgraph.Graph, []lockgraph.Promotion, error) {
	var edits []rewrite.Edit
	var promos []lockgraph.Promotion
	g := c.base
	done := map[string]bool{}
	for _, f := range follows {
		if len(f.Target) == 0 || done[f.Target[0]] {
			continue
		}
		name := f.Target[0]
		nr, ok := c.added[name]
		if !ok {
			continue
		}
		done[name] = true
		key, err := c.base.Resolve(nr.from)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("new root input %s: %w", name, err)
		}
		url := nr.url
		if url == "" {
			url = lockgraph.FlakeRefURL(c.base.Nodes[key].Locked)
			promos = append(promos, lockgraph.Promotion{Name: name, Path: nr.from})
		}
		edits = append(edits, rewrite.AddInput{Name: name, URL: url})
		if g, err = lockgraph.Promote(g, name, nr.from); err != nil {
			return nil, nil, nil, err
		}
		if nr.original != nil {
			in, _ := g.Nodes[g.Root].Inputs.Get(name)
			g.Nodes[in.Target].Original = nr.original // g is Promote's own copy
		}
	}
	for _, f := range follows {
		edits = append(edits, rewrite.AddFollows{Path: f.Input, Target: lockgraph.JoinPath(f.Target)})
	}
	pred, err := lockgraph.Predict(g, append(append([]lockgraph.Follows(nil), c.declared...), follows...))
	if err != nil {
		return nil, nil, nil, err
	}
	if align != nil {
		edits = append(edits, align.edit)
		if pred, err = align.apply(pred); err != nil {
			return nil, nil, nil, err
		}
	}
	return edits, pred, promos, nil
}

// candidate is the verify.Candidate of the flake.
func (c *candidates) candidate(_ context.Context, follows []lockgraph.Follows) ([]byte, []byte, error) {
	edits, pred, _, err := c.build(follows, nil)
	if err != nil {
		return nil, nil, err
	}
	out, _, err := editNix(c.fl, edits)
	if err != nil {
		return nil, nil, err
	}
	return out, lockgraph.Marshal(pred), nil
}

// Planned turns the plan's follows into the engine's, each with the
// targets to retry it onto: the other root nixpkgs inputs (in input
// order), then, when the policy adds inputs, a new root input pinned to
// the copy's own revision, named nixpkgs-<the input above it>
// (nixpkgs-hyprland for hyprland/nixpkgs). The new inputs are recorded in
// c.added.
func (c *candidates) planned(o *Outcome) []verify.Planned {
	root := c.base.Nodes[c.base.Root]
	var nixpkgsRoots [][]string
	names := map[string]bool{}
	for _, in := range root.Inputs {
		names[in.Name] = true
		if n := c.base.Nodes[in.Target]; !in.IsFollows() && n != nil && lockgraph.SourceOf(n).Nixpkgs {
			nixpkgsRoots = append(nixpkgsRoots, []string{in.Name})
		}
	}
	for name := range c.added {
		names[name] = true
	}
	var out []verify.Planned
	for _, f := range o.Result.Follows {
		p := verify.Planned{Follows: f}
		for _, r := range nixpkgsRoots {
			if !slices.Equal(r, f.Target) {
				p.Next = append(p.Next, r)
			}
		}
		if o.Options.Policy.AddInputs && len(f.Input) >= 2 {
			if key, err := c.base.Resolve(f.Input); err == nil && lockgraph.SourceOf(c.base.Nodes[key]).Nixpkgs {
				name := "nixpkgs-" + f.Input[len(f.Input)-2]
				for i := 2; names[name]; i++ {
					name = fmt.Sprintf("nixpkgs-%s-%d", f.Input[len(f.Input)-2], i)
				}
				names[name] = true
				c.added[name] = newRoot{from: f.Input}
				p.Next = append(p.Next, []string{name})
			}
		}
		out = append(out, p)
	}
	return out
}

// Verify proves the outcome's plan with real Nix (verify.Verify on
// temporary copies; the flake's files are not touched) and returns the
// result with the outcome it leads to. The outcome must be editable
// (Manual nil). Errors are the engine's: a *verify.NixError when nix is
// missing or too old, a *verify.LockError when Nix rejects a predicted
// lock.
func (o *Outcome) Verify(ctx context.Context, vo VerifyOptions) (*Verification, error) {
	if o.Manual != nil {
		return nil, fmt.Errorf("--verify: %w", o.Manual)
	}
	fl := o.Flake
	c, err := newCandidates(fl, o)
	if err != nil {
		return nil, err
	}
	opts := verify.Options{
		Dir: fl.Dir, Lock: fl.Graph, Mode: vo.Mode, Attrs: vo.Attrs, Jobs: vo.Jobs,
		Plan: c.planned(o), Candidate: c.candidate, Progress: vo.Progress,
		Nix: vo.Nix, Env: vo.Env, TempDir: vo.TempDir,
	}
	if p := o.Result.Convention.Primary; p != "" {
		opts.Primary = []string{p}
	}
	if vo.DropUnused {
		opts.Drops = verify.DropCandidates(fl.Graph, vo.DropNames)
	}
	res, err := verify.Verify(ctx, opts)
	if err != nil {
		return nil, err
	}
	v := &Verification{Result: res, Outcome: o}
	if !res.Baseline.OK {
		return v, nil
	}
	follows, culprits := res.Accepted, res.Culprits
	var align *alignment
	if vo.Align {
		if align, err = c.alignment(res); err != nil {
			return nil, err
		}
	}
	if align != nil {
		// The common revision was proven with every planned follows onto
		// the primary in place, next to the other accepted ones.
		follows, culprits = alignedFollows(opts.Plan, res)
		v.Aligned = &align.edit
	}
	v.Outcome, err = o.rebuild(c, append(append([]lockgraph.Follows(nil), follows...), res.Dropped...), culprits, align)
	if err != nil {
		return nil, err
	}
	return v, nil
}

// alignedFollows is the follows set the common revision was evaluated
// with (verify's commonRevision): every planned follows onto the primary,
// and the accepted ones of the others, in plan order; the culprits left are
// those not onto the primary.
func alignedFollows(plan []verify.Planned, res *verify.Result) ([]lockgraph.Follows, []verify.Culprit) {
	accepted := map[string]lockgraph.Follows{}
	for _, f := range res.Accepted {
		accepted[lockgraph.JoinPath(f.Input)] = f
	}
	var follows []lockgraph.Follows
	for _, p := range plan {
		if slices.Equal(p.Follows.Target, res.Primary) {
			follows = append(follows, p.Follows)
		} else if f, ok := accepted[lockgraph.JoinPath(p.Follows.Input)]; ok {
			follows = append(follows, f)
		}
	}
	var culprits []verify.Culprit
	for _, cu := range res.Culprits {
		if !slices.Equal(cu.Target, res.Primary) {
			culprits = append(culprits, cu)
		}
	}
	return follows, culprits
}

// alignment is --align's change: the primary root input's url set to the
// common revision, and its lock node locked there.
type alignment struct {
	edit   rewrite.SetURL
	locked lockgraph.Attrs
}

// alignment returns the change --align makes, nil when there is none: no
// common revision, or the primary is locked at it already (it then stays a
// branch).
func (c *candidates) alignment(res *verify.Result) (*alignment, error) {
	cr := res.CommonRevision
	if cr == nil || len(res.Primary) != 1 {
		return nil, nil
	}
	key, err := c.base.Resolve(res.Primary)
	if err != nil {
		return nil, fmt.Errorf("--align: primary input %s: %w", lockgraph.JoinPath(res.Primary), err)
	}
	if c.base.Nodes[key].Locked.String("rev") == cr.Rev {
		return nil, nil
	}
	from, err := c.base.Resolve(cr.Path)
	if err != nil {
		return nil, fmt.Errorf("--align: common revision at %s: %w", lockgraph.JoinPath(cr.Path), err)
	}
	return &alignment{edit: rewrite.SetURL{Name: res.Primary[0], URL: cr.URL},
		locked: c.base.Nodes[from].Locked}, nil
}

// apply pins the primary's node of the predicted lock g to the common
// revision: its "locked" attributes become the revision's and its
// "original" the url written (the locked ones without narHash,
// lastModified and revCount). g is not modified.
func (a *alignment) apply(g *lockgraph.Graph) (*lockgraph.Graph, error) {
	in, ok := g.Nodes[g.Root].Inputs.Get(a.edit.Name)
	if !ok || in.IsFollows() {
		return nil, fmt.Errorf("--align: the predicted lock has no root input %q", a.edit.Name)
	}
	out := &lockgraph.Graph{Version: g.Version, Root: g.Root, Nodes: make(map[string]*lockgraph.Node, len(g.Nodes))}
	for k, n := range g.Nodes {
		out.Nodes[k] = n
	}
	n := *g.Nodes[in.Target]
	n.Locked = append(lockgraph.Attrs(nil), a.locked...)
	n.Original = nil
	for _, at := range a.locked {
		switch at.Key {
		case "narHash", "lastModified", "revCount":
		default:
			n.Original = append(n.Original, at)
		}
	}
	out.Nodes[in.Target] = &n
	return out, nil
}

// rebuild returns a copy of o with follows (accepted, then dropped) as its
// plan, the culprits held back, and the alignment made.
func (o *Outcome) rebuild(c *candidates, follows []lockgraph.Follows, culprits []verify.Culprit, align *alignment) (*Outcome, error) {
	fl := o.Flake
	edits, pred, promos, err := c.build(follows, align)
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	res := *o.Result
	res.Follows = follows
	res.Promotions = promos
	res.Predicted = pred
	res.After = copyCounts(pred)
	res.HeldBack = append([]lockgraph.HeldBack(nil), o.Result.HeldBack...)
	for _, cu := range culprits {
		res.HeldBack = append(res.HeldBack, lockgraph.HeldBack{Path: cu.Input, Reason: cu.Reason()})
	}
	sort.SliceStable(res.HeldBack, func(i, j int) bool {
		return lockgraph.LessPath(res.HeldBack[i].Path, res.HeldBack[j].Path)
	})
	res.NewInputs = nil
	for _, ni := range o.Result.NewInputs {
		for _, e := range edits {
			if a, ok := e.(rewrite.AddInput); ok && a.Name == ni.Name {
				res.NewInputs = append(res.NewInputs, ni)
			}
		}
	}
	out := &Outcome{Flake: fl, Options: o.Options, Result: &res, Before: lockgraph.Analyze(fl.Graph),
		Edits: edits, Stale: o.Stale, edited: true, newLock: lockgraph.Marshal(pred)}
	out.classify(c.declared)
	newNix, diff, err := editNix(fl, edits)
	if err != nil {
		return nil, err
	}
	out.NewNix = newNix
	out.Diff = diff()
	return out, nil
}

// editNix is rewrite.Apply on fl's flake.nix, made on the file Load parsed
// when there is one (rewrite.ApplyInputs); diff returns the diff of the
// result.
func editNix(fl *Flake, edits []rewrite.Edit) (out []byte, diff func() string, err error) {
	if fl.Inputs == nil {
		out, _, err := rewrite.Apply(fl.NixSrc, fl.NixPath, edits...)
		return out, func() string { return rewrite.Diff("flake.nix", fl.NixSrc, out) }, err
	}
	ed, err := rewrite.ApplyInputs(fl.Inputs, edits...)
	if err != nil {
		return nil, nil, err
	}
	return ed.Out, func() string { return ed.Diff("flake.nix") }, nil
}

// copyCounts counts the reachable nodes of each source, as
// lockgraph.Result.After does.
func copyCounts(g *lockgraph.Graph) map[string]int {
	counts := map[string]int{}
	for _, key := range g.Reachable() {
		if id := lockgraph.SourceOf(g.Nodes[key]).ID; id != "" {
			counts[id]++
		}
	}
	return counts
}
