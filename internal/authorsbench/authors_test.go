package authorsbench

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/flakedup/flakedup/internal/flake"
	"github.com/flakedup/flakedup/internal/testenv"
	"github.com/flakedup/flakedup/lockgraph"
)

var update = flag.Bool("update", false, "rewrite testdata/figures.golden")

// plan loads dir through internal/flake, exactly as analyze, check and fix
// do (flake.nix's declared follows, promotions, intent holds and root
// inputs; the lock alone when Nix would refuse flake.nix), and plans it
// under policy for the default target Nix. fromLockOnly reports a flake.nix
// that could not be used.
func plan(dir string, policy lockgraph.Policy) (out *flake.Outcome, fromLockOnly bool, err error) {
	fl, err := flake.Load(dir)
	if err != nil {
		return nil, false, err
	}
	fromLockOnly = fl.Inputs == nil || fl.Refusal() != nil
	out, err = fl.Plan(flake.Options{Policy: policy})
	return out, fromLockOnly, err
}

// authorsFile is the part of authors.json the measurement reads.
type authorsFile struct {
	AddedFollows []struct {
		Input            string `json:"input"`
		Follows          string `json:"follows"`
		PathInParentLock bool   `json:"path_in_parent_lock"`
		// Was is the earlier target when the author changed a follows.
		Was *string `json:"was"`
	} `json:"added_follows"`
}

// outcome is what the plan did with one follows an author added.
type outcome string

const (
	reproduced outcome = "reproduced (same input, same target)"
	elsewhere  outcome = "points elsewhere"
	viaAbove   outcome = "removed by a follows above it"
	held       outcome = "held back"
	changed    outcome = "author changed an existing follows"
	already    outcome = "the lock already follows it"
	untouched  outcome = "not planned (no duplicate left there)"
	planError  outcome = "plan error"
)

// reasonKind sorts a held-back reason into the rule that held it.
func reasonKind(reason string) string {
	for _, k := range []struct{ word, kind string }{
		{"which no root input tracks", "another branch, no root input on it (rule 3)"},
		{"is a fork", "fork (rule 4)"},
		{"upstream nixpkgs and", "fork (rule 4)"},
		{"pinned to", "revision pin (rule 4)"},
		{"binary cache", "binary cache (rule 6)"},
		{"is commented out", "its follows is commented out (rule 7)"},
		{"flakedup: ignore", "ignored in flake.nix (rule 7)"},
		{"is ignored", "ignored"},
		{"no longer declares", "flake.lock older than flake.nix (rule 7)"},
		{"no root nixpkgs input", "no root nixpkgs input (rule 1)"},
		{"no root input of its source", "no root input of its source (rule 1)"},
		{"is below", "below an intermediate (needs --promote/--deep)"},
		{"would break the lock", "would break the lock"},
	} {
		if strings.Contains(reason, k.word) {
			return k.kind
		}
	}
	return "other"
}

// isNixpkgsNode reports whether the node at key is a copy of nixpkgs
// (forks and lib-only copies included).
func isNixpkgsNode(g *lockgraph.Graph, key string) bool {
	src := lockgraph.SourceOf(g.Nodes[key])
	return src.Nixpkgs || src.ID == "github:nix-community/nixpkgs.lib"
}

// authorFigures are the totals over the authors sample.
type authorFigures struct {
	commits, pairsFailed, considered int
	outcomes                         map[outcome]int
	heldBy                           map[string]int
	// examples holds, per outcome other than reproduced, a few cases.
	examples map[outcome][]string
}

func measureAuthors(t *testing.T, authorsDir string) authorFigures {
	dirs, err := filepath.Glob(filepath.Join(authorsDir, "*__*"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no author commits under %s: %v", authorsDir, err)
	}
	sort.Strings(dirs)
	fig := authorFigures{outcomes: map[outcome]int{}, heldBy: map[string]int{}, examples: map[outcome][]string{}}
	note := func(o outcome, s string) {
		fig.outcomes[o]++
		if len(fig.examples[o]) < 25 {
			fig.examples[o] = append(fig.examples[o], s)
		}
	}
	for _, dir := range dirs {
		name := filepath.Base(dir)
		data, err := os.ReadFile(filepath.Join(dir, "authors.json"))
		if err != nil {
			t.Fatal(err)
		}
		var af authorsFile
		if err := json.Unmarshal(data, &af); err != nil {
			t.Fatalf("%s: authors.json: %v", name, err)
		}
		fig.commits++
		out, lockOnly, err := plan(dir, lockgraph.Policy{})
		if lockOnly {
			fig.pairsFailed++
		}
		g := graphOf(t, dir)
		var wanted [][2]string
		for _, a := range af.AddedFollows {
			if !a.PathInParentLock || !strings.Contains(a.Input, "/") {
				continue
			}
			key, err := g.Resolve(strings.Split(a.Input, "/"))
			if err != nil || !isNixpkgsNode(g, key) {
				continue
			}
			if a.Was != nil {
				fig.considered++
				fig.outcomes[changed]++
				continue
			}
			wanted = append(wanted, [2]string{a.Input, strings.Trim(a.Follows, "/")})
		}
		if len(wanted) == 0 {
			continue
		}
		fig.considered += len(wanted)
		if err != nil {
			for _, w := range wanted {
				note(planError, fmt.Sprintf("%s %s: %v", name, w[0], err))
			}
			continue
		}
		res := out.Result
		planned := make(map[string]string)
		for _, f := range res.Follows {
			planned[lockgraph.JoinPath(f.Input)] = lockgraph.JoinPath(f.Target)
		}
		heldKeys := make(map[string]lockgraph.HeldBack)
		for _, h := range res.HeldBack {
			if k, err := res.Predicted.Resolve(h.Path); err == nil {
				heldKeys[k] = h
			}
		}
		for _, w := range wanted {
			input, target := w[0], w[1]
			path := strings.Split(input, "/")
			if got, ok := planned[input]; ok {
				if got == target {
					fig.outcomes[reproduced]++
				} else {
					note(elsewhere, fmt.Sprintf("%s %s: author %q, plan %q", name, input, target, got))
				}
				continue
			}
			above := ""
			for i := len(path) - 1; i >= 2; i-- {
				if got, ok := planned[lockgraph.JoinPath(path[:i])]; ok {
					above = lockgraph.JoinPath(path[:i]) + " -> " + got
				}
			}
			if above != "" {
				note(viaAbove, fmt.Sprintf("%s %s: plan %s", name, input, above))
				continue
			}
			if k, err := res.Predicted.Resolve(path); err == nil {
				if h, ok := heldKeys[k]; ok {
					kind := reasonKind(h.Reason)
					fig.heldBy[kind]++
					note(held, fmt.Sprintf("%s %s (author %q): %s", name, input, target, h.Reason))
					continue
				}
			}
			if alreadyFollows(g, path, target) {
				fig.outcomes[already]++
				continue
			}
			note(untouched, fmt.Sprintf("%s %s (author %q)", name, input, target))
		}
	}
	return fig
}

// alreadyFollows reports whether the lock's edge at path is already a
// follows of target, or resolves to the node target resolves to.
func alreadyFollows(g *lockgraph.Graph, path []string, target string) bool {
	parent, err := g.Resolve(path[:len(path)-1])
	if err != nil {
		return false
	}
	e, ok := g.Nodes[parent].Inputs.Get(path[len(path)-1])
	if !ok {
		return false
	}
	if e.IsFollows() && lockgraph.JoinPath(e.Follows) == target {
		return true
	}
	tk, err := g.Resolve(strings.Split(target, "/"))
	return err == nil && tk == e.Target
}

// corpusFigures are the totals of one policy over the corpus.
type corpusFigures struct {
	locks, failed, before, after, follows, cross, held int
}

func measureCorpus(t *testing.T, corpusDir string, policy lockgraph.Policy) corpusFigures {
	dirs, err := filepath.Glob(filepath.Join(corpusDir, "*"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(dirs)
	var fig corpusFigures
	for _, dir := range dirs {
		if _, err := os.Stat(filepath.Join(dir, "flake.lock")); err != nil {
			continue
		}
		fig.locks++
		out, _, err := plan(dir, policy)
		if err != nil {
			t.Logf("%s: %v", filepath.Base(dir), err)
			fig.failed++
			continue
		}
		res := out.Result
		c := out.Counts()
		fig.before += c.Copies
		fig.after += c.After
		fig.held += c.HeldBack
		fig.follows += len(res.Follows)
		fig.cross += len(res.CrossBranch)
	}
	return fig
}

// graphOf loads dir/flake.lock as it is (the authors' paths are paths of
// the lock before any plan).
func graphOf(t *testing.T, dir string) *lockgraph.Graph {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "flake.lock"))
	if err != nil {
		t.Fatal(err)
	}
	g, err := lockgraph.Load(data)
	if err != nil {
		t.Fatalf("%s: flake.lock: %v", filepath.Base(dir), err)
	}
	return g
}

func TestAuthorsAndCorpus(t *testing.T) {
	corpus := testenv.CorpusDir(t)
	authors := filepath.Join(filepath.Dir(corpus), "authors")
	var b strings.Builder
	af := measureAuthors(t, authors)
	fmt.Fprintf(&b, "authors: %d commits (%d with a flake.nix planned from the lock alone), %d nixpkgs follows added on inputs the lock had\n", af.commits, af.pairsFailed, af.considered)
	sum := 0
	for _, o := range []outcome{reproduced, elsewhere, viaAbove, held, changed, already, untouched, planError} {
		fmt.Fprintf(&b, "  %-40s %d\n", o, af.outcomes[o])
		sum += af.outcomes[o]
	}
	if sum != af.considered {
		t.Errorf("outcomes add up to %d, want %d", sum, af.considered)
	}
	var kinds []string
	heldSum := 0
	for k, n := range af.heldBy {
		kinds = append(kinds, k)
		heldSum += n
	}
	if heldSum != af.outcomes[held] {
		t.Errorf("held-back reasons add up to %d, want %d", heldSum, af.outcomes[held])
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		fmt.Fprintf(&b, "    held: %-50s %d\n", k, af.heldBy[k])
	}
	for _, pol := range []struct {
		name string
		p    lockgraph.Policy
	}{
		{"default", lockgraph.Policy{}},
		{"--cross-branch", lockgraph.Policy{CrossBranch: true}},
		{"--add-inputs", lockgraph.Policy{AddInputs: true}},
	} {
		cf := measureCorpus(t, corpus, pol.p)
		if cf.after > cf.before {
			t.Errorf("%s: nixpkgs copies %d -> %d", pol.name, cf.before, cf.after)
		}
		if cf.cross > cf.follows {
			t.Errorf("%s: %d cross-branch follows of %d", pol.name, cf.cross, cf.follows)
		}
		fmt.Fprintf(&b, "corpus %s: %d pairs (%d failed), nixpkgs copies %d -> %d, %d follows (%d across a branch), %d nixpkgs copies held back\n",
			pol.name, cf.locks, cf.failed, cf.before, cf.after, cf.follows, cf.cross, cf.held)
	}
	got := b.String()
	t.Logf("\n%s", got)
	for _, o := range []outcome{elsewhere, viaAbove, held, untouched, planError} {
		for _, ex := range af.examples[o] {
			t.Logf("%s: %s", o, ex)
		}
	}
	testenv.Golden(t, filepath.Join("testdata", "figures.golden"), []byte(got), *update)
}
