package verify

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/flakedup/flakedup/lockgraph"
)

// runner checks and evaluates one candidate in the working copy slot (0 to
// Jobs-1; no two calls share a slot at the same time). A failed evaluation
// is an Outcome; the error is for everything else (a *LockError, nix that
// cannot be run, a cancelled context).
type runner interface {
	run(ctx context.Context, slot int, flakeNix, flakeLock []byte) (Outcome, error)
}

// engine runs candidates through the runner with a cache and a pool of
// working copies.
type engine struct {
	o     Options
	run   runner
	slots chan int
	start time.Time

	mu        sync.Mutex
	cache     map[[32]byte]*entry
	asked     int // distinct candidates asked for
	evaluated int // evaluations started
}

// entry is a cached evaluation; done is closed once out and err are set.
type entry struct {
	done chan struct{}
	out  Outcome
	err  error
}

func newEngine(o Options, run runner) *engine {
	e := &engine{o: o, run: run, slots: make(chan int, o.Jobs), start: time.Now(), cache: map[[32]byte]*entry{}}
	for i := 0; i < o.Jobs; i++ {
		e.slots <- i
	}
	return e
}

func (e *engine) evaluations() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.evaluated
}

// try evaluates the candidate with follows.
func (e *engine) try(ctx context.Context, what string, follows []lockgraph.Follows) (Outcome, error) {
	flakeNix, flakeLock, err := e.o.Candidate(ctx, follows)
	if err != nil {
		return Outcome{}, fmt.Errorf("verify: candidate %s: %w", followsList(follows), err)
	}
	return e.evalFiles(ctx, what, follows, flakeNix, flakeLock)
}

// evalFiles evaluates a candidate's files once per run: a candidate whose
// lock and flake.nix were seen before gets the earlier result (waiting for
// it when it is still running).
func (e *engine) evalFiles(ctx context.Context, what string, follows []lockgraph.Follows, flakeNix, flakeLock []byte) (Outcome, error) {
	if err := ctx.Err(); err != nil {
		return Outcome{}, err
	}
	h := sha256.New()
	fmt.Fprintf(h, "%d\n", len(flakeLock))
	h.Write(flakeLock)
	h.Write(flakeNix)
	var key [32]byte
	copy(key[:], h.Sum(nil))

	e.mu.Lock()
	if en, ok := e.cache[key]; ok {
		e.mu.Unlock()
		select {
		case <-en.done:
			return en.out, en.err
		case <-ctx.Done():
			return Outcome{}, ctx.Err()
		}
	}
	en := &entry{done: make(chan struct{})}
	e.cache[key] = en
	e.asked++
	e.mu.Unlock()
	defer close(en.done)

	var slot int
	select {
	case slot = <-e.slots:
	case <-ctx.Done():
		en.err = ctx.Err()
		return Outcome{}, en.err
	}
	defer func() { e.slots <- slot }()

	e.mu.Lock()
	e.evaluated++
	if e.o.Progress != nil {
		e.o.Progress(Progress{What: what, N: e.evaluated, M: e.asked, Elapsed: time.Since(e.start)})
	}
	e.mu.Unlock()

	en.out, en.err = e.run.run(ctx, slot, flakeNix, flakeLock)
	var le *LockError
	if errors.As(en.err, &le) {
		le.Follows = follows
	}
	return en.out, en.err
}

// tryAll evaluates candidates in parallel (the engine's slots bound how
// many run) and returns their outcomes in order; the first error cancels
// the rest and is returned.
func (e *engine) tryAll(ctx context.Context, whats []string, sets [][]lockgraph.Follows) ([]Outcome, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	outs := make([]Outcome, len(sets))
	errs := make([]error, len(sets))
	var wg sync.WaitGroup
	for i := range sets {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			outs[i], errs[i] = e.try(ctx, whats[i], sets[i])
			if errs[i] != nil {
				cancel()
			}
		}(i)
	}
	wg.Wait()
	// Report the error that caused the cancellation, not its consequences.
	var first error
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return nil, err
		}
		if first == nil {
			first = err
		}
	}
	if first != nil {
		return nil, first
	}
	return outs, nil
}

// unit is one follows under search; id is its index in the caller's list.
type unit struct {
	id int
	f  lockgraph.Follows
}

// failed is a unit that breaks the flake on its own, and how.
type failed struct {
	unit
	out Outcome
}

// search finds which units evaluate on top of base and which break it.
// It evaluates base with every unit; when that fails, it splits each
// failing set in two (split) and evaluates all halves of a level together,
// until every failing set is a single unit. The passing units are then
// evaluated together (usually a cached set); when that fails, they are
// added to base one at a time and each kept only if it passes. Both
// results are sorted by id.
func (e *engine) search(ctx context.Context, base []lockgraph.Follows, units []unit, label string) (ok []unit, bad []failed, err error) {
	if len(units) == 0 {
		return nil, nil, nil
	}
	frontier := [][]unit{units}
	first := true
	for len(frontier) > 0 {
		whats := make([]string, len(frontier))
		sets := make([][]lockgraph.Follows, len(frontier))
		for i, set := range frontier {
			whats[i] = describe(set)
			if first {
				whats[i] = fmt.Sprintf("%s (%d follows)", label, len(set))
			}
			sets[i] = withUnits(base, set)
		}
		first = false
		outs, err := e.tryAll(ctx, whats, sets)
		if err != nil {
			return nil, nil, err
		}
		var next [][]unit
		for i, set := range frontier {
			switch {
			case outs[i].OK:
				ok = append(ok, set...)
			case len(set) == 1:
				bad = append(bad, failed{set[0], outs[i]})
			default:
				a, b := split(set)
				next = append(next, a, b)
			}
		}
		frontier = next
	}
	sortUnits(ok)
	slices.SortFunc(bad, func(a, b failed) int { return a.id - b.id })
	if len(bad) == 0 || len(ok) == 0 {
		return ok, bad, nil
	}
	out, err := e.try(ctx, "accepted together ("+fmt.Sprint(len(ok))+" follows)", withUnits(base, ok))
	if err != nil || out.OK {
		return ok, bad, err
	}
	// The passing sets break the flake together: add them one at a time.
	var kept []unit
	for _, u := range ok {
		acc := append(append([]unit(nil), kept...), u)
		out, err := e.try(ctx, describe([]unit{u})+" with the accepted", withUnits(base, acc))
		if err != nil {
			return nil, nil, err
		}
		if out.OK {
			kept = acc
		} else {
			bad = append(bad, failed{u, out})
		}
	}
	slices.SortFunc(bad, func(a, b failed) int { return a.id - b.id })
	return kept, bad, nil
}

// split halves a set of units: by groups (the first element of the input
// path, `sops-nix/*`) while it holds more than one group, the first half
// taking the larger share of groups; then by units.
func split(set []unit) (a, b []unit) {
	var groups []string
	of := map[string][]unit{}
	for _, u := range set {
		g := groupOf(u.f)
		if _, ok := of[g]; !ok {
			groups = append(groups, g)
		}
		of[g] = append(of[g], u)
	}
	if len(groups) > 1 {
		half := (len(groups) + 1) / 2
		for i, g := range groups {
			if i < half {
				a = append(a, of[g]...)
			} else {
				b = append(b, of[g]...)
			}
		}
		return a, b
	}
	half := (len(set) + 1) / 2
	return set[:half:half], set[half:]
}

// groupOf is the intermediate input a follows belongs to.
func groupOf(f lockgraph.Follows) string {
	if len(f.Input) == 0 {
		return ""
	}
	return f.Input[0]
}

// describe names a set for the progress line: `sops-nix/*` for a whole
// group, the follows for a single one, else the groups' names.
func describe(set []unit) string {
	if len(set) == 1 {
		return set[0].f.String()
	}
	var groups []string
	for _, u := range set {
		g := groupOf(u.f) + "/*"
		if !slices.Contains(groups, g) {
			groups = append(groups, g)
		}
	}
	s := groups[0]
	for _, g := range groups[1:] {
		s += " " + g
	}
	return fmt.Sprintf("%s (%d follows)", s, len(set))
}

// withUnits is base followed by the set's follows in id order, so that
// equal sets give equal candidates.
func withUnits(base []lockgraph.Follows, set []unit) []lockgraph.Follows {
	sorted := append([]unit(nil), set...)
	sortUnits(sorted)
	out := append([]lockgraph.Follows(nil), base...)
	for _, u := range sorted {
		out = append(out, u.f)
	}
	return out
}

func sortUnits(us []unit) {
	slices.SortFunc(us, func(a, b unit) int { return a.id - b.id })
}
