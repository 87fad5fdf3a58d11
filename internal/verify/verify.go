// Package verify proves that a flake still evaluates (or builds) with the
// follows flakedup plans, finds the follows that break it, and finds the
// common nixpkgs revision (issue 13, `fix --verify`).
//
// Everything happens in temporary copies of the flake directory: the user's
// files are never written. For each candidate (a subset of the planned
// follows) the caller's Candidate function produces the flake.nix and the
// predicted flake.lock; Verify writes both into a copy, checks with
// `nix flake lock --no-update-lock-file` that Nix derives exactly that lock
// (a mismatch is a *LockError that stops the run: the prediction is wrong,
// no follows is to blame), and then evaluates the copy:
//
//   - Eval: `nix flake check --no-build` (every output's derivations are
//     evaluated, for every system the flake lists), or, with Options.Attrs,
//     `nix eval` of each attribute (a derivation's drvPath, anything else
//     forced deeply).
//   - Build: the same evaluation, then `nix build --no-link` of each
//     attribute, or without Options.Attrs of every derivation the flake
//     outputs for the current system (packages, checks, devShells,
//     defaultPackage, devShell, and each nixosConfigurations entry's
//     config.system.build.toplevel), one at a time so that a failure names
//     its attribute.
//
// The copies (one per job, under Options.TempDir, removed at the end) hold
// every file of the flake directory except .git, as a plain `path:` flake:
// files git does not track are visible there, unlike in a git flake. Every
// nix command gets --extra-experimental-features "nix-command flakes", so
// the user's nix.conf need not enable them.
//
// The flake as it is (the baseline) is evaluated first; when it fails,
// Result.Baseline says why and nothing else is evaluated. Then the whole
// plan is evaluated: when it passes, the plan costs exactly two evaluations.
// Otherwise the culprits are found by adaptive group testing (see search):
// the plan is split into its groups (one per intermediate input, the first
// element of the follows' input path: `sops-nix/*`), a failing set is split
// in two halves (by groups while it has several, then by follows), and both
// halves are evaluated in parallel, up to Options.Jobs at a time; a follows
// that fails on its own is a culprit. Both halves are always evaluated, so
// that each culprit carries its own error and the count does not depend on
// Jobs. The search assumes that follows of different groups break the flake
// independently; the passing follows are evaluated together once more (free
// when that exact set was already evaluated) and, if they fail together,
// they are added one at a time instead.
//
// A culprit is retried onto its next target (Planned.Next: other root
// nixpkgs inputs, then a new root input), all culprits of a round together,
// on top of the follows already accepted; one with no target left is held
// back, with the error of its planned target. Results are cached by the
// hash of the predicted lock and flake.nix within a run, so no candidate is
// evaluated twice.
//
// Drops (`follows = ""` for inputs that only a dependency's own development
// uses, see DropCandidates) are searched the same way on top of the
// accepted follows; the kept ones are reported with the lock nodes they
// remove.
//
// The common revision is searched only when some follows onto the primary
// nixpkgs input was held back (otherwise the primary's own revision is the
// answer, already proven by the accepted plan, at no cost): every distinct
// revision of the primary's source found in the lock is tried, newest
// first, Jobs at a time (only copies locked with the primary's fetcher
// type: their "locked" attributes replace the primary's, its "original",
// what flake.nix says, unchanged), as the primary's revision with every
// planned follows onto the primary in place; the newest that evaluates is
// Result.CommonRevision.
package verify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/flakedup/flakedup/lockgraph"
)

// Mode says how far a candidate is taken.
type Mode string

// The modes of --verify.
const (
	// Eval evaluates every output's derivations (nix flake check --no-build).
	Eval Mode = "eval"
	// Build also realises them.
	Build Mode = "build"
)

// ParseMode reads the value of --verify: "" and "eval" are Eval, "build" is
// Build.
func ParseMode(s string) (Mode, error) {
	switch s {
	case "", "eval":
		return Eval, nil
	case "build":
		return Build, nil
	}
	return "", fmt.Errorf("--verify=%s: want eval or build", s)
}

// Candidate returns the flake.nix and the predicted flake.lock of the flake
// with exactly the given follows added to it (on top of what flake.nix
// already declares). internal/flake implements it with rewrite.Apply and
// lockgraph.Predict. A target that names a root input the flake does not
// have yet (a new input the caller offers in Planned.Next) is the caller's
// to add, in both files, whenever some follows targets it. Candidate is
// called from several goroutines at once.
type Candidate func(ctx context.Context, follows []lockgraph.Follows) (flakeNix, flakeLock []byte, err error)

// Planned is one follows of the plan and the targets to retry it onto.
type Planned struct {
	// Follows is the follows as planned (Target is the first one tried).
	Follows lockgraph.Follows
	// Next lists the further targets to try, in order, when the planned one
	// breaks the flake: other root nixpkgs inputs, then a new root input on
	// the copy's own branch.
	Next [][]string
}

// Progress reports one evaluation as it starts.
type Progress struct {
	// What is being evaluated: "baseline", "whole plan (3 follows)",
	// "sops-nix/* (2 follows)", "nixpkgs at 1a2b3c4", ...
	What string
	// N is this evaluation's number; M the number of evaluations asked for
	// so far (it grows as the search goes on).
	N, M int
	// Elapsed is the time since Verify started.
	Elapsed time.Duration
}

// String is the progress line cmd prints on a terminal:
// `verify [3/4] 2.1s hyprland/nixpkgs -> nixpkgs`.
func (p Progress) String() string {
	return fmt.Sprintf("verify [%d/%d] %.1fs %s", p.N, p.M, p.Elapsed.Seconds(), p.What)
}

// Options are the inputs of Verify.
type Options struct {
	// Dir is the flake directory: its flake.nix and flake.lock are the
	// baseline, and everything else in it (except .git) is copied along.
	Dir string
	// Lock is Dir's flake.lock loaded; nil means Verify loads it.
	Lock *lockgraph.Graph
	// Plan lists the planned follows, in plan order.
	Plan []Planned
	// Drops lists candidate `follows = ""` overrides (Target empty), for
	// --drop-unused; see DropCandidates.
	Drops []lockgraph.Follows
	// Candidate produces the files of a candidate. Required.
	Candidate Candidate
	// Mode is Eval (the default) or Build.
	Mode Mode
	// Attrs limits the evaluation to these flake attributes
	// (--verify-attr, e.g. packages.x86_64-linux.default).
	Attrs []string
	// Jobs bounds the evaluations running at once; below 1 means 1.
	Jobs int
	// Primary is the root input whose revision the common revision is for;
	// nil means the target most planned follows point to.
	Primary []string
	// Progress, when not nil, is called as each evaluation starts, from one
	// goroutine at a time.
	Progress func(Progress)
	// Nix is the nix program; "" means `nix` on PATH.
	Nix string
	// Env is the environment of every nix command; nil means the process's.
	Env []string
	// TempDir is where the copies are made; "" means os.TempDir().
	TempDir string
}

// Outcome is the result of evaluating one candidate.
type Outcome struct {
	// OK reports that every attribute evaluated (and, in Build mode, built).
	OK bool
	// Attr is the attribute whose evaluation or build failed
	// ("packages.x86_64-linux.default"), "" when Nix did not say.
	Attr string
	// Error is the first line of Nix's error ("error: attribute
	// 'wlroots_0_18' missing").
	Error string
}

// Reason renders a failed outcome as `breaks ATTR: ERROR`.
func (o Outcome) Reason() string {
	attr := o.Attr
	if attr == "" {
		attr = "the flake"
	}
	return "breaks " + attr + ": " + o.Error
}

// Attempt is one target a culprit was tried onto, and how that failed.
type Attempt struct {
	Target  []string
	Outcome Outcome
}

// Culprit is a planned follows (or drop) that breaks the flake on every
// target tried, and is held back.
type Culprit struct {
	// Input is the overridden input path.
	Input []string
	// Target is the planned target.
	Target []string
	// Outcome is how the planned target failed.
	Outcome Outcome
	// Tried lists every target tried, the planned one first.
	Tried []Attempt
}

// Reason is the held-back line:
// `hyprland/nixpkgs breaks packages.x86_64-linux.default: error: attribute 'wlroots_0_18' missing`.
func (c Culprit) Reason() string {
	return lockgraph.JoinPath(c.Input) + " " + c.Outcome.Reason()
}

// Revision is a nixpkgs revision found in the lock.
type Revision struct {
	// Rev is the locked revision.
	Rev string
	// LastModified is its locked lastModified time (UTC).
	LastModified time.Time
	// Path is the canonical input path of a copy locked at it.
	Path []string
	// URL is the flake reference the primary input would get to be pinned
	// there: the copy's locked reference without narHash, lastModified and
	// revCount (`github:NixOS/nixpkgs/<rev>`).
	URL string
}

// Result is what Verify found.
type Result struct {
	// Mode is the mode the candidates were taken through.
	Mode Mode
	// Baseline is the outcome of the flake as it is. When it failed,
	// nothing else was evaluated and the other fields are empty. A lock that
	// `nix flake lock --no-update-lock-file` rejects fails the baseline with
	// Attr "flake.lock".
	Baseline Outcome
	// Evaluations counts the candidates evaluated (the baseline included;
	// cached results are not counted again).
	Evaluations int
	// Accepted lists the planned follows that evaluate, with the target
	// they evaluate with (a retried one carries its new target), in plan
	// order.
	Accepted []lockgraph.Follows
	// Culprits are the planned follows held back, in plan order.
	Culprits []Culprit
	// Dropped are the drops that evaluate, in the order given.
	Dropped []lockgraph.Follows
	// KeptInputs are the drops whose removal breaks the flake.
	KeptInputs []Culprit
	// RemovedNodes are the canonical input paths (in the lock with the
	// accepted follows) of the nodes the dropped inputs remove, sorted.
	RemovedNodes [][]string
	// Primary is the root input the common revision is for (nil when the
	// plan has no follows onto a root nixpkgs input).
	Primary []string
	// CommonRevision is the newest revision of the primary's source in the
	// lock that every dependent following the primary evaluates with; nil
	// when none does or there is no primary.
	CommonRevision *Revision
}

// MarshalJSON writes the report's `verify` object:
// {mode, baseline, evaluations, accepted, culprits: [{input, target, attr,
// error, tried}], dropped, kept_inputs, removed_nodes, common_revision}.
func (r *Result) MarshalJSON() ([]byte, error) {
	type outcomeJSON struct {
		OK    bool   `json:"ok"`
		Attr  string `json:"attr,omitempty"`
		Error string `json:"error,omitempty"`
	}
	type culpritJSON struct {
		Input  string   `json:"input"`
		Target string   `json:"target"`
		Attr   string   `json:"attr,omitempty"`
		Error  string   `json:"error"`
		Tried  []string `json:"tried"`
	}
	type revisionJSON struct {
		Input        string `json:"input"`
		Rev          string `json:"rev"`
		LastModified string `json:"last_modified,omitempty"`
		From         string `json:"from"`
		URL          string `json:"url"`
	}
	culprits := func(cs []Culprit) []culpritJSON {
		out := []culpritJSON{}
		for _, c := range cs {
			cj := culpritJSON{Input: lockgraph.JoinPath(c.Input), Target: lockgraph.JoinPath(c.Target),
				Attr: c.Outcome.Attr, Error: c.Outcome.Error, Tried: []string{}}
			for _, a := range c.Tried {
				cj.Tried = append(cj.Tried, lockgraph.JoinPath(a.Target))
			}
			out = append(out, cj)
		}
		return out
	}
	follows := func(fs []lockgraph.Follows) []string {
		out := []string{}
		for _, f := range fs {
			out = append(out, f.String())
		}
		return out
	}
	v := struct {
		Mode           Mode          `json:"mode"`
		Baseline       outcomeJSON   `json:"baseline"`
		Evaluations    int           `json:"evaluations"`
		Accepted       []string      `json:"accepted"`
		Culprits       []culpritJSON `json:"culprits"`
		Dropped        []string      `json:"dropped"`
		KeptInputs     []culpritJSON `json:"kept_inputs"`
		RemovedNodes   []string      `json:"removed_nodes"`
		CommonRevision *revisionJSON `json:"common_revision"`
	}{
		Mode:         r.Mode,
		Baseline:     outcomeJSON(r.Baseline),
		Evaluations:  r.Evaluations,
		Accepted:     follows(r.Accepted),
		Culprits:     culprits(r.Culprits),
		Dropped:      follows(r.Dropped),
		KeptInputs:   culprits(r.KeptInputs),
		RemovedNodes: []string{},
	}
	for _, p := range r.RemovedNodes {
		v.RemovedNodes = append(v.RemovedNodes, lockgraph.JoinPath(p))
	}
	if c := r.CommonRevision; c != nil {
		v.CommonRevision = &revisionJSON{Input: lockgraph.JoinPath(r.Primary), Rev: c.Rev,
			From: lockgraph.JoinPath(c.Path), URL: c.URL}
		if !c.LastModified.IsZero() {
			v.CommonRevision.LastModified = c.LastModified.Format(time.RFC3339)
		}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // "a/nixpkgs -> nixpkgs", not "-\u003e"
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// LockError reports a candidate whose predicted lock Nix does not accept:
// `nix flake lock --no-update-lock-file` refused it. It is a bug in the
// prediction (or a follows Nix cannot lock), never a culprit, and it stops
// Verify.
type LockError struct {
	// Follows are the candidate's follows.
	Follows []lockgraph.Follows
	// Message is the first line of Nix's error.
	Message string
	// Stderr is everything Nix printed.
	Stderr string
}

func (e *LockError) Error() string {
	names := make([]string, len(e.Follows))
	for i, f := range e.Follows {
		names[i] = f.String()
	}
	what := "the flake as it is"
	if len(names) > 0 {
		what = "the candidate with " + strings.Join(names, ", ")
	}
	return "flake.lock: nix flake lock --no-update-lock-file rejects the predicted lock of " + what + ": " + e.Message
}

// Verify runs the verification described in the package comment. It fails
// when nix is missing or too old (a *NixError), when the copies cannot be
// made, when Candidate fails, and when Nix rejects a predicted lock (a
// *LockError); a failing baseline is not an error but Result.Baseline.
func Verify(ctx context.Context, o Options) (*Result, error) {
	if o.Candidate == nil {
		return nil, errors.New("verify: no Candidate function")
	}
	if o.Mode == "" {
		o.Mode = Eval
	}
	if o.Mode != Eval && o.Mode != Build {
		return nil, fmt.Errorf("verify: mode %q: want eval or build", o.Mode)
	}
	if o.Jobs < 1 {
		o.Jobs = 1
	}
	nix, _, err := CheckNix(ctx, o.Nix, o.Env)
	if err != nil {
		return nil, err
	}
	lockPath := filepath.Join(o.Dir, "flake.lock")
	flakeNix, err := os.ReadFile(filepath.Join(o.Dir, "flake.nix"))
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	flakeLock, err := os.ReadFile(lockPath)
	if err != nil {
		return nil, fmt.Errorf("verify: %w (run `nix flake lock` first)", err)
	}
	if o.Lock == nil {
		if o.Lock, err = lockgraph.Load(flakeLock); err != nil {
			return nil, fmt.Errorf("flake.lock: %w", err)
		}
	}
	tmp, err := os.MkdirTemp(o.TempDir, "flakedup-verify-")
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	defer func() { _ = os.RemoveAll(tmp) }()
	slots := make([]string, o.Jobs)
	for i := range slots {
		slots[i] = filepath.Join(tmp, fmt.Sprint(i+1))
		if err := copyTree(o.Dir, slots[i]); err != nil {
			return nil, fmt.Errorf("verify: copying %s: %w", o.Dir, err)
		}
	}
	run := &nixRunner{nix: nix, env: o.Env, mode: o.Mode, attrs: o.Attrs, slots: slots}
	return verify(ctx, o, run, flakeNix, flakeLock)
}

// verify is Verify with the runner given, for tests with a fake one.
func verify(ctx context.Context, o Options, run runner, flakeNix, flakeLock []byte) (*Result, error) {
	if o.Jobs < 1 {
		o.Jobs = 1
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	e := newEngine(o, run)
	res := &Result{Mode: o.Mode}
	defer func() { res.Evaluations = e.evaluations() }()

	base, err := e.evalFiles(ctx, "baseline", nil, flakeNix, flakeLock)
	var le *LockError
	if errors.As(err, &le) {
		// The user's own lock is not what flake.nix says: a failing
		// baseline, not a wrong prediction.
		base, err = Outcome{Attr: "flake.lock", Error: "flake.lock is out of date (run `nix flake lock`): " + le.Message}, nil
	}
	if err != nil {
		return nil, err
	}
	res.Baseline = base
	if !base.OK {
		return res, nil
	}

	accepted, culprits, err := e.followsRounds(ctx)
	if err != nil {
		return nil, err
	}
	res.Accepted, res.Culprits = accepted, culprits

	if len(o.Drops) > 0 {
		if err := e.drops(ctx, res); err != nil {
			return nil, err
		}
	}
	if err := e.commonRevision(ctx, res); err != nil {
		return nil, err
	}
	return res, nil
}

// followsRounds searches the plan, then retries the culprits onto their
// next targets round by round.
func (e *engine) followsRounds(ctx context.Context) ([]lockgraph.Follows, []Culprit, error) {
	type state struct {
		accepted *lockgraph.Follows
		culprit  *Culprit
	}
	states := make([]state, len(e.o.Plan))
	var units []unit
	for i, p := range e.o.Plan {
		units = append(units, unit{id: i, f: p.Follows})
	}
	var base []lockgraph.Follows
	for round := 0; len(units) > 0; round++ {
		label := "whole plan"
		if round > 0 {
			label = fmt.Sprintf("retry %d", round)
		}
		ok, bad, err := e.search(ctx, base, units, label)
		if err != nil {
			return nil, nil, err
		}
		for _, u := range ok {
			f := u.f
			states[u.id].accepted = &f
			base = append(base, f)
		}
		units = nil
		for _, b := range bad {
			st := &states[b.id]
			if st.culprit == nil {
				p := e.o.Plan[b.id].Follows
				st.culprit = &Culprit{Input: p.Input, Target: p.Target, Outcome: b.out}
			}
			st.culprit.Tried = append(st.culprit.Tried, Attempt{Target: b.f.Target, Outcome: b.out})
			if next := e.o.Plan[b.id].Next; round < len(next) {
				units = append(units, unit{id: b.id, f: lockgraph.Follows{Input: b.f.Input, Target: next[round]}})
			}
		}
	}
	var accepted []lockgraph.Follows
	var culprits []Culprit
	for i := range states {
		switch {
		case states[i].accepted != nil:
			accepted = append(accepted, *states[i].accepted)
		case states[i].culprit != nil:
			culprits = append(culprits, *states[i].culprit)
		}
	}
	return accepted, culprits, nil
}

// drops searches the candidate drops on top of the accepted follows and
// fills in Dropped, KeptInputs and RemovedNodes.
func (e *engine) drops(ctx context.Context, res *Result) error {
	units := make([]unit, len(e.o.Drops))
	for i, f := range e.o.Drops {
		units[i] = unit{id: i, f: f}
	}
	ok, bad, err := e.search(ctx, res.Accepted, units, "drops")
	if err != nil {
		return err
	}
	for _, u := range ok {
		res.Dropped = append(res.Dropped, u.f)
	}
	for _, b := range bad {
		res.KeptInputs = append(res.KeptInputs, Culprit{Input: b.f.Input, Target: b.f.Target, Outcome: b.out,
			Tried: []Attempt{{Target: b.f.Target, Outcome: b.out}}})
	}
	if len(res.Dropped) == 0 {
		return nil
	}
	before, err := e.graphOf(ctx, res.Accepted)
	if err != nil {
		return err
	}
	after, err := e.graphOf(ctx, concat(res.Accepted, res.Dropped))
	if err != nil {
		return err
	}
	res.RemovedNodes = removedNodes(before, after)
	return nil
}

// graphOf loads the predicted lock of a candidate (the lock as it is for
// no follows).
func (e *engine) graphOf(ctx context.Context, follows []lockgraph.Follows) (*lockgraph.Graph, error) {
	if len(follows) == 0 {
		return e.o.Lock, nil
	}
	_, lock, err := e.o.Candidate(ctx, follows)
	if err != nil {
		return nil, fmt.Errorf("verify: candidate %s: %w", followsList(follows), err)
	}
	g, err := lockgraph.Load(lock)
	if err != nil {
		return nil, fmt.Errorf("verify: predicted flake.lock of %s: %w", followsList(follows), err)
	}
	return g, nil
}

// removedNodes lists the canonical paths of before's reachable nodes that
// no reachable node of after has as its canonical path.
func removedNodes(before, after *lockgraph.Graph) [][]string {
	kept := map[string]bool{}
	for _, np := range after.Paths() {
		kept[lockgraph.JoinPath(np.Canonical)] = true
	}
	var out [][]string
	for _, np := range before.Paths() {
		if len(np.Canonical) > 0 && !kept[lockgraph.JoinPath(np.Canonical)] {
			out = append(out, np.Canonical)
		}
	}
	slices.SortFunc(out, func(a, b []string) int {
		if lockgraph.LessPath(a, b) {
			return -1
		}
		if lockgraph.LessPath(b, a) {
			return 1
		}
		return 0
	})
	return out
}

func concat(a, b []lockgraph.Follows) []lockgraph.Follows {
	return append(append([]lockgraph.Follows(nil), a...), b...)
}

func followsList(fs []lockgraph.Follows) string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.String()
	}
	return strings.Join(names, ", ")
}

// Lines renders the result as the text report's lines (markdown renders
// the same lines as a list), in a fixed order: the summary, each held-back
// follows, each dropped and kept input, the common revision.
func (r *Result) Lines() []string {
	n := "evaluations"
	if r.Evaluations == 1 {
		n = "evaluation"
	}
	if !r.Baseline.OK {
		return []string{fmt.Sprintf("verify (%s): the flake as it is already fails, nothing verified (%d %s): %s",
			r.Mode, r.Evaluations, n, r.Baseline.Reason())}
	}
	out := []string{fmt.Sprintf("verify (%s): %d of %d follows evaluate (%d %s)",
		r.Mode, len(r.Accepted), len(r.Accepted)+len(r.Culprits), r.Evaluations, n)}
	for _, c := range r.Culprits {
		out = append(out, "held back: "+c.Reason())
	}
	for _, f := range r.Dropped {
		out = append(out, "dropped: "+lockgraph.JoinPath(f.Input)+` (follows = "")`)
	}
	for _, c := range r.KeptInputs {
		out = append(out, "kept: "+c.Reason())
	}
	if len(r.RemovedNodes) > 0 {
		paths := make([]string, len(r.RemovedNodes))
		for i, p := range r.RemovedNodes {
			paths[i] = lockgraph.JoinPath(p)
		}
		out = append(out, "nodes removed from the lock: "+strings.Join(paths, ", "))
	}
	switch c := r.CommonRevision; {
	case c != nil:
		line := fmt.Sprintf("common revision of %s: %s", lockgraph.JoinPath(r.Primary), shortRev(c.Rev))
		if !c.LastModified.IsZero() {
			line += " (" + c.LastModified.Format("2006-01-02") + ")"
		}
		out = append(out, line+", locked at "+lockgraph.JoinPath(c.Path)+": "+c.URL)
	case r.Primary != nil:
		out = append(out, "common revision of "+lockgraph.JoinPath(r.Primary)+": none in the lock evaluates with every dependent")
	}
	return out
}
