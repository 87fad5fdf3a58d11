package lockgraph

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/flakedup/flakedup/internal/nixversion"
	"github.com/flakedup/flakedup/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite the expected.txt files of fixtures/plan")

// readPolicy parses a fixture's policy.txt: one directive a line, among
// "cross-branch", "all", "promote", "deep", "add-inputs", "ignore <path>",
// "include <name>", "policy primary|branch", "hold <path> <reason...>",
// "substituter <url...>", "roots <name...>" (Policy.RootInputs) and
// "nix <version>" (the target Nix, e.g. "nix 2.8"); a missing file is the
// zero Policy.
func readPolicy(t *testing.T, file string) Policy {
	t.Helper()
	var p Policy
	for _, line := range fixtureLines(t, file) {
		switch f := strings.Fields(line); {
		case line == "cross-branch":
			p.CrossBranch = true
		case line == "all":
			p.All = true
		case line == "promote":
			p.Promote = true
		case line == "deep":
			p.Deep = true
		case len(f) == 2 && f[0] == "ignore":
			p.Ignore = append(p.Ignore, f[1])
		case line == "add-inputs":
			p.AddInputs = true
		case len(f) == 2 && f[0] == "include":
			p.Include = append(p.Include, f[1])
		case len(f) == 2 && f[0] == "policy":
			tp, err := ParseTargetPolicy(f[1])
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			p.Target = tp
		case len(f) >= 3 && f[0] == "hold":
			p.Holds = append(p.Holds, Hold{Input: strings.Split(f[1], "/"), Reason: strings.Join(f[2:], " ")})
		case len(f) >= 2 && f[0] == "substituter":
			p.Substituters = append(p.Substituters, f[1:]...)
		case len(f) >= 1 && f[0] == "roots":
			p.RootInputs = append([]string{}, f[1:]...)
		case len(f) == 2 && f[0] == "nix":
			v, err := nixversion.Parse(f[1])
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			p.Nix = v
		default:
			t.Fatalf("%s: unknown directive %q", file, line)
		}
	}
	return p
}

// readDeclared parses a fixture's declared.txt: one "a/b -> c" a line.
func readDeclared(t *testing.T, file string) []Follows {
	t.Helper()
	var out []Follows
	for _, line := range fixtureLines(t, file) {
		in, target, ok := strings.Cut(line, " -> ")
		if !ok {
			t.Fatalf("%s: %q is not `input/path -> target/path`", file, line)
		}
		f := Follows{Input: strings.Split(in, "/"), Target: []string{}}
		if target != "" {
			f.Target = strings.Split(target, "/")
		}
		out = append(out, f)
	}
	return out
}

// fixtureLines returns the non-empty, non-comment lines of file, or none
// when it does not exist.
func fixtureLines(t *testing.T, file string) []string {
	t.Helper()
	data, err := os.ReadFile(file)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	return out
}

// renderResult prints a Result the way expected.txt spells it: the
// convention (when it says something), warnings, new root inputs,
// promotions, follows, follows across a branch, held-back copies (with the
// Nix version that would allow them, if any, and the line that would
// collapse them), then the copy counts of every source that has more than
// one copy before or after.
func renderResult(r *Result) string {
	var b strings.Builder
	if r.Convention.Summary != "" {
		fmt.Fprintf(&b, "convention %s\n", r.Convention.Summary)
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(&b, "warning %s\n", w)
	}
	for _, n := range r.NewInputs {
		var copies []string
		for _, c := range n.Copies {
			copies = append(copies, JoinPath(c))
		}
		fmt.Fprintf(&b, "new-input %s (for %s)\n", n.Line, strings.Join(copies, ", "))
	}
	for _, p := range r.Promotions {
		fmt.Fprintf(&b, "promote %s\n", p)
	}
	for _, f := range r.Follows {
		fmt.Fprintf(&b, "follows %s\n", f)
	}
	for _, c := range r.CrossBranch {
		fmt.Fprintf(&b, "cross-branch %s\n", c)
	}
	for _, h := range r.HeldBack {
		if h.NeedsNix != "" {
			fmt.Fprintf(&b, "held-back (nix %s) %s\n", h.NeedsNix, h.Reason)
		} else {
			fmt.Fprintf(&b, "held-back %s\n", h.Reason)
		}
		if h.Line != "" {
			fmt.Fprintf(&b, "  line %s\n", h.Line)
		}
	}
	var ids []string
	for id, n := range r.Before {
		if n > 1 || r.After[id] > 1 {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	for _, id := range ids {
		fmt.Fprintf(&b, "copies %s %d -> %d\n", id, r.Before[id], r.After[id])
	}
	return b.String()
}

func TestPlanFixtures(t *testing.T) {
	dirs, err := filepath.Glob("../fixtures/plan/*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no fixtures under ../fixtures/plan: %v", err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, "flake.lock"))
			if err != nil {
				t.Fatal(err)
			}
			g := loadLock(t, data)
			declared := readDeclared(t, filepath.Join(dir, "declared.txt"))
			policy := readPolicy(t, filepath.Join(dir, "policy.txt"))
			res, planErr := Plan(g, declared, policy)
			got := "error " + fmt.Sprint(planErr) + "\n"
			if planErr == nil {
				got = renderResult(res)
			}
			testenv.Golden(t, filepath.Join(dir, "expected.txt"), []byte(got), *update)
			if planErr == nil {
				checkSettled(t, g, declared, policy, res)
				checkTarget(t, g, declared, policy, res)
			}
		})
	}
}

// checkSettled asserts the idempotence of a plan: the predicted lock is
// what Promote and Predict give for the result, and planning again, on the
// predicted lock or with the proposed follows declared, proposes nothing.
func checkSettled(t *testing.T, g *Graph, declared []Follows, policy Policy, res *Result) {
	t.Helper()
	again, err := Plan(res.Predicted, nil, policy)
	if err != nil {
		t.Fatalf("second Plan on the prediction: %v", err)
	}
	if len(again.Follows) != 0 || len(again.Promotions) != 0 {
		t.Errorf("second Plan on the prediction proposes:\n%s", renderResult(again))
	}
	want, err := Predict(g, declared)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range res.NewInputs {
		if want, err = applyNewInput(want, n); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range res.Promotions {
		if want, err = Promote(want, p.Name, p.Path); err != nil {
			t.Fatal(err)
		}
	}
	if want, err = Predict(want, res.Follows); err != nil {
		t.Fatal(err)
	}
	if a, b := string(Marshal(want)), string(Marshal(res.Predicted)); a != b {
		t.Errorf("Predicted differs from Predict(Promote(lock), follows):\n%s\nwant:\n%s", b, a)
	}
	// Declaring the plan in flake.nix and planning again before Nix
	// re-locks: the root inputs the plan adds are declared, not locked.
	p := policy
	if len(res.Promotions) > 0 || len(res.NewInputs) > 0 {
		if p.RootInputs == nil {
			p.RootInputs = g.Nodes[g.Root].Inputs.Names()
		}
		p.RootInputs = append([]string(nil), p.RootInputs...)
		for _, pr := range res.Promotions {
			p.RootInputs = append(p.RootInputs, pr.Name)
		}
		for _, n := range res.NewInputs {
			p.RootInputs = append(p.RootInputs, n.Name)
		}
	}
	again, err = Plan(g, append(append([]Follows(nil), declared...), res.Follows...), p)
	if err != nil {
		t.Fatalf("Plan with the proposed follows declared: %v", err)
	}
	if len(again.Follows) != 0 || len(again.Promotions) != 0 || len(again.NewInputs) != 0 {
		t.Errorf("Plan with the proposed follows declared proposes:\n%s", renderResult(again))
	}
}

// checkTarget asserts that res is something the target Nix can lock:
// below 2.30 no follows deeper than two levels, below 2.18 no follows
// running through another follows that the lock (with the declared follows)
// did not already have, each reported as a warning; and that every copy
// held back for the target says which version would allow it.
func checkTarget(t *testing.T, g *Graph, declared []Follows, policy Policy, res *Result) {
	t.Helper()
	nix := targetNix(policy)
	if res.Nix != nix {
		t.Errorf("Result.Nix = %v, want %v", res.Nix, nix)
	}
	if !nix.AtLeast(nixversion.DeepOverrides) {
		for _, f := range res.Follows {
			if len(f.Input) > 2 {
				t.Errorf("Nix %s: %s is deeper than two levels", nix, f)
			}
		}
	}
	start, err := Predict(g, declared)
	if err != nil {
		t.Fatal(err)
	}
	wantWarnings := 0
	if !nix.AtLeast(nixversion.FollowsThroughFollows) {
		had := make(map[string]bool)
		for _, p := range FollowsThroughFollows(start) {
			had[JoinPath(p)] = true
		}
		wantWarnings = len(had)
		for _, p := range FollowsThroughFollows(res.Predicted) {
			if !had[JoinPath(p)] {
				t.Errorf("Nix %s: the predicted lock's %s runs through a follows", nix, JoinPath(p))
			}
		}
	}
	if len(res.Warnings) != wantWarnings {
		t.Errorf("Nix %s: %d warnings, want %d: %q", nix, len(res.Warnings), wantWarnings, res.Warnings)
	}
	for _, h := range res.HeldBack {
		if h.NeedsNix != "" && !strings.HasSuffix(h.Reason, "needs Nix ≥ "+h.NeedsNix) {
			t.Errorf("held back with NeedsNix %s, but the reason is %q", h.NeedsNix, h.Reason)
		}
	}
}

// nixpkgsCopies counts the reachable nixpkgs nodes (forks and lib-only
// copies included).
func nixpkgsCopies(g *Graph) int {
	n := 0
	order, _ := NixKeys(g)
	for _, key := range order {
		if src := SourceOf(g.Nodes[key]); src.Nixpkgs || isLibOnly(g.Nodes[key], src) {
			n++
		}
	}
	return n
}

// rootNixpkgs counts the distinct nixpkgs nodes (lib-only ones included)
// the root's inputs denote.
func rootNixpkgs(g *Graph) int {
	seen := make(map[string]bool)
	for _, e := range g.Nodes[g.Root].Inputs {
		if src := SourceOf(g.Nodes[e.Target]); src.Nixpkgs || isLibOnly(g.Nodes[e.Target], src) {
			seen[e.Target] = true
		}
	}
	return len(seen)
}

func TestPlanCorpus(t *testing.T) {
	locks := corpusLocks(t)
	v2_8, v2_30 := nixversion.Version{Major: 2, Minor: 8}, nixversion.DeepOverrides
	policies := []struct {
		name string
		p    Policy
	}{
		{"default nix 2.8", Policy{Nix: v2_8}},
		{"default nix 2.18", Policy{}},
		{"default nix 2.30", Policy{Nix: v2_30}},
		{"cross-branch", Policy{CrossBranch: true}},
		{"all+promote nix 2.8", Policy{All: true, Promote: true, Nix: v2_8}},
		{"all+promote", Policy{All: true, Promote: true}},
		{"all+cross-branch+deep nix 2.30", Policy{All: true, CrossBranch: true, Deep: true, Nix: v2_30}},
		{"all+deep nix 2.30", Policy{All: true, Deep: true, Nix: v2_30}},
	}
	for _, pol := range policies {
		before, after, proposed, held, needs, warned := 0, 0, 0, 0, 0, 0
		for name, data := range locks {
			g := loadLock(t, data)
			res, err := Plan(g, nil, pol.p)
			if err != nil {
				t.Errorf("%s %s: %v", pol.name, name, err)
				continue
			}
			b, a := nixpkgsCopies(g), nixpkgsCopies(res.Predicted)
			if a > b || (a == b && len(res.Follows) > 0 && !pol.p.All) {
				t.Errorf("%s %s: nixpkgs copies %d -> %d with %d follows", pol.name, name, b, a, len(res.Follows))
			}
			// Every copy left is a root input or held back with a reason.
			if roots := rootNixpkgs(res.Predicted); a > 1 && a > roots+len(res.HeldBack) {
				t.Errorf("%s %s: %d nixpkgs copies left, %d root inputs, %d held back:\n%s", pol.name, name, a, roots, len(res.HeldBack), renderResult(res))
			}
			for _, f := range res.Follows {
				if len(f.Target) > 1 && directTarget(res.Predicted, f.Target[:len(f.Target)-1]) == "" {
					t.Errorf("%s %s: %s: the target runs through a follows", pol.name, name, f)
				}
			}
			before, after = before+b, after+a
			proposed += len(res.Follows)
			held += len(res.HeldBack)
			for _, h := range res.HeldBack {
				if h.NeedsNix != "" {
					needs++
				}
			}
			if len(res.Warnings) > 0 {
				warned++
			}
			checkSettled(t, g, nil, pol.p, res)
			checkTarget(t, g, nil, pol.p, res)
		}
		t.Logf("corpus, policy %s: %d locks, nixpkgs copies %d -> %d, %d follows proposed, %d copies held back (%d for the Nix version), %d locks with warnings",
			pol.name, len(locks), before, after, proposed, held, needs, warned)
	}
}

func TestPlanErrors(t *testing.T) {
	data, err := os.ReadFile("../fixtures/plan/flat/flake.lock")
	if err != nil {
		t.Fatal(err)
	}
	g := loadLock(t, data)
	before := string(Marshal(g))
	_, err = Plan(g, []Follows{{Input: []string{"A", "nixpkgs"}, Target: []string{"nixpkgsX"}}}, Policy{})
	want := "apply the declared follows: input 'A/nixpkgs' follows 'nixpkgsX': input 'nixpkgsX' does not exist"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
	if _, err := Plan(g, nil, Policy{CrossBranch: true, All: true, Promote: true, Deep: true, Nix: nixversion.DeepOverrides}); err != nil {
		t.Errorf("every policy at once: %v", err)
	}
	if after := string(Marshal(g)); after != before {
		t.Errorf("Plan modified its input graph")
	}
}

// FuzzPlan checks that Plan never panics on a lock Load accepts, under any
// policy and target Nix, that whatever it predicts is settled (planning it
// again proposes nothing) and, below Nix 2.18, that it adds no follows
// running through another follows.
func FuzzPlan(f *testing.F) {
	dirs, _ := filepath.Glob("../fixtures/plan/*/flake.lock")
	for _, file := range dirs {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data, uint8(0))
			f.Add(data, uint8(0xff))
			f.Add(data, uint8(0x17)) // cross-branch, all, promote at Nix 2.8
			f.Add(data, uint8(0x66)) // add-inputs, primary, all, promote
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, bits uint8) {
		g, err := Load(data)
		if err != nil {
			return
		}
		p := Policy{CrossBranch: bits&1 != 0, All: bits&2 != 0, Promote: bits&4 != 0, Deep: bits&8 != 0, AddInputs: bits&32 != 0}
		if bits&64 != 0 {
			p.Target = TargetPrimary
		}
		switch {
		case p.Deep:
			p.Nix = nixversion.DeepOverrides
		case bits&16 != 0:
			p.Nix = nixversion.Version{Major: 2, Minor: 8}
		}
		res, err := Plan(g, nil, p)
		if err != nil {
			return
		}
		again, err := Plan(res.Predicted, nil, p)
		if err != nil {
			t.Fatalf("second Plan: %v", err)
		}
		if len(again.Follows) != 0 || len(again.Promotions) != 0 {
			t.Fatalf("second Plan proposes:\n%s", renderResult(again))
		}
		if p.Nix == (nixversion.Version{Major: 2, Minor: 8}) {
			had := make(map[string]bool)
			for _, path := range FollowsThroughFollows(g) {
				had[JoinPath(path)] = true
			}
			for _, path := range FollowsThroughFollows(res.Predicted) {
				if !had[JoinPath(path)] {
					t.Fatalf("Nix 2.8: the predicted %s runs through a follows:\n%s", JoinPath(path), renderResult(res))
				}
			}
		}
	})
}

func BenchmarkPlanCorpus(b *testing.B) {
	data, err := os.ReadFile("../../shared/corpus/spikespaz__dotfiles/flake.lock")
	if err != nil {
		b.Skip("corpus lock missing")
	}
	g, err := Load(data)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Plan(g, nil, Policy{All: true, Promote: true}); err != nil {
			b.Fatal(err)
		}
	}
}
