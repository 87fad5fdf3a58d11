package lockgraph

import (
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"testing"

	"github.com/flakedup/flakedup/internal/genlock"
	"github.com/flakedup/flakedup/internal/testenv"
)

// numberedShapes are the locks the numbered paths are checked on: every
// generated shape, small enough for a test, and every corpus lock.
func numberedShapes(t *testing.T) map[string][]byte {
	t.Helper()
	shapes := map[string][]byte{
		"tree3000": genlock.Generate(3_000),
		"wide4000": genlock.Wide(4_000),
		"merged23": genlock.Merged(23),
		"ladder12": genlock.Ladder(12),
		"tree200":  genlock.Generate(200),
		"merged3":  genlock.Merged(3),
		"wide400":  genlock.Wide(400),
		"ladder3":  genlock.Ladder(3),
		"tree10":   genlock.Generate(10),
		"merged1":  genlock.Merged(1),
		"wide40":   genlock.Wide(40),
		"tree1":    genlock.Generate(1),
		"tree2":    genlock.Generate(2),
		"merged2":  genlock.Merged(2),
		"ladder1":  genlock.Ladder(1),
		"tree25":   genlock.Generate(25),
		"wide8":    genlock.Wide(8),
		// Node x is reached first through an edge called a and takes the
		// name a, which is node a's key: node a, reached later through an
		// edge called a (its own key), must become a_2, not share it.
		"renamedOntoKey": []byte(`{"version":7,"root":"root","nodes":{
"root":{"inputs":{"a":"x","z":"y"}},
"x":{"locked":{"type":"path","path":"/x"},"original":{"type":"path","path":"/x"}},
"y":{"inputs":{"a":"a","x":"x"},"locked":{"type":"path","path":"/y"},"original":{"type":"path","path":"/y"}},
"a":{"inputs":{"y":["z"]},"locked":{"type":"path","path":"/a"},"original":{"type":"path","path":"/a"}}}}`),
	}
	for _, path := range testenv.CorpusFiles(t, "flake.lock") {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		shapes["corpus/"+filepath.Base(filepath.Dir(path))] = data
	}
	return shapes
}

// followsFor returns follows lists to predict g with: none, Plan's (for
// every source), and random ones over the lock's own paths, some of them
// overriding inputs that do not exist, some making cycles.
func followsFor(t *testing.T, g *Graph, rng *rand.Rand) [][]Follows {
	t.Helper()
	lists := [][]Follows{nil}
	if res, err := Plan(g, nil, Policy{All: true}); err == nil {
		lists = append(lists, res.Follows)
	}
	var paths [][]string
	for _, p := range g.Paths() {
		paths = append(paths, p.Canonical)
	}
	sort.Slice(paths, func(i, j int) bool { return LessPath(paths[i], paths[j]) })
	if len(paths) == 0 {
		return lists
	}
	pick := func() []string { return paths[rng.Intn(len(paths))] }
	for range 6 {
		var fs []Follows
		for range 1 + rng.Intn(12) {
			in, to := pick(), pick()
			switch rng.Intn(8) {
			case 0:
				in = append(slices.Clone(in), "no-such-input")
			case 1:
				in = append([]string{"no-such-input"}, in...)
			case 2:
				to = append(slices.Clone(to), "no-such-input")
			case 3:
				to = in[:1] // a cycle when in is deeper
			}
			fs = append(fs, Follows{Input: in, Target: to})
		}
		lists = append(lists, fs)
	}
	return lists
}

// predictByMap is predict's map-based path, which the numbered one must
// equal.
func predictByMap(g *Graph, follows []Follows) (*Graph, error) {
	w := cloneGraph(g)
	for _, f := range follows {
		if err := applyFollows(w, f); err != nil {
			return nil, err
		}
	}
	out, _, err := finishOrder(w)
	return out, err
}

// nodeView is what a node says, without the index's bookkeeping.
type nodeView struct {
	Key                     string
	Inputs                  Inputs
	Locked, Original, Extra Attrs
	IsFlake                 bool
}

func viewOf(g *Graph) map[string]nodeView {
	out := make(map[string]nodeView, len(g.Nodes))
	for k, n := range g.Nodes {
		out[k] = nodeView{n.Key, n.Inputs, n.Locked, n.Original, n.Extra, n.IsFlake}
	}
	return out
}

// TestPredictNumberedAsByMap checks that predicting by number gives what
// the map-based path gives: the same nodes, keys, edges and bytes, or the
// same error, on every shape and follows list; and that the result's
// index, in NixKeys order, is the one NixKeys gives.
func TestPredictNumberedAsByMap(t *testing.T) {
	rng := rand.New(rand.NewSource(14))
	errs, oks := 0, 0
	for name, data := range numberedShapes(t) {
		g := mustLoad(t, data)
		for i, fs := range followsFor(t, g, rng) {
			want, wantErr := predictByMap(g, fs)
			got, srcOf, gotErr := predict(g, fs)
			if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
				t.Fatalf("%s, follows %d: error %v, want %v", name, i, gotErr, wantErr)
			}
			if wantErr != nil {
				errs++
				continue
			}
			oks++
			if got.Root != want.Root || got.Version != want.Version || !reflect.DeepEqual(viewOf(got), viewOf(want)) {
				t.Fatalf("%s, follows %d: the numbered prediction differs from the map-based one", name, i)
			}
			if !bytes.Equal(Marshal(got), Marshal(want)) {
				t.Fatalf("%s, follows %d: Marshal differs", name, i)
			}
			order, names := NixKeys(got)
			if !got.nixOrder || !slices.Equal(order, got.index.keys) || len(srcOf) != len(order) {
				t.Fatalf("%s, follows %d: index keys are not NixKeys' order", name, i)
			}
			for j, key := range order {
				src := g.index.nodes[srcOf[j]]
				if names[key] != key || got.index.nodes[j] != got.Nodes[key] || got.Nodes[key].pos != int32(j) ||
					!reflect.DeepEqual(src.Locked, got.Nodes[key].Locked) || !reflect.DeepEqual(src.Original, got.Nodes[key].Original) {
					t.Fatalf("%s, follows %d: node %d (%s) is not where the index says", name, i, j, key)
				}
			}
			// Predicting the prediction (numbered from its own index) renames nothing.
			again, _, err := predict(got, nil)
			if err != nil || !reflect.DeepEqual(viewOf(again), viewOf(got)) {
				t.Fatalf("%s, follows %d: predicting the prediction changed it (%v)", name, i, err)
			}
			// ... so every node keeps its inputs: predictNumbered shares
			// them instead of copying.
			for key, n := range again.Nodes {
				if len(n.Inputs) > 0 && &n.Inputs[0] != &got.Nodes[key].Inputs[0] {
					t.Fatalf("%s, follows %d: predicting the prediction copied the inputs of %s", name, i, key)
				}
			}
		}
	}
	if errs == 0 || oks == 0 {
		t.Fatalf("%d failing and %d succeeding predictions: both paths must be exercised", errs, oks)
	}
}

// TestPredictedIndexAsByHand checks that the index a prediction leaves
// gives the walk, Paths, Reachable, SamplePaths and Analyze that a graph
// indexed by hand gives.
func TestPredictedIndexAsByHand(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	for name, data := range numberedShapes(t) {
		g := mustLoad(t, data)
		fss := followsFor(t, g, rng)
		for i, fs := range fss[:min(2, len(fss))] {
			got, err := Predict(g, fs)
			if err != nil {
				t.Fatalf("%s, follows %d: %v", name, i, err)
			}
			bare := &Graph{Version: got.Version, Root: got.Root, Nodes: got.Nodes}
			if !reflect.DeepEqual(got.Paths(), bare.Paths()) {
				t.Fatalf("%s, follows %d: Paths differ from a graph indexed by hand", name, i)
			}
			if !slices.Equal(got.Reachable(), bare.Reachable()) {
				t.Fatalf("%s, follows %d: Reachable differs", name, i)
			}
			if !reflect.DeepEqual(Analyze(got), Analyze(bare)) {
				t.Fatalf("%s, follows %d: Analyze differs", name, i)
			}
			for _, key := range got.Reachable()[:min(50, len(got.Reachable()))] {
				if !reflect.DeepEqual(got.SamplePaths(key, 3), bare.SamplePaths(key, 3)) {
					t.Fatalf("%s, follows %d: SamplePaths(%s) differs", name, i, key)
				}
			}
		}
	}
}

// surveyView is what a survey says, by copy.
type surveyView struct {
	Key, Family     string
	Path            []string
	Source          Source
	Branch          Branch
	Newest          int64
	Uses            int
	Pos             int32
	LibOnly, IsRoot bool
	CacheTop        int32
}

func viewSurvey(sv survey) ([]surveyView, []string, []int, map[string]int) {
	var order []string // the walk's order, as surveyOrder took it
	if sv.g.nixOrder {
		order = sv.g.index.keys
	} else {
		order, _ = NixKeys(sv.g)
	}
	family := func(c *copyInfo) string {
		if c.nixpkgsLike() {
			return "nixpkgs"
		}
		return c.source.ID
	}
	var out []surveyView
	for _, c := range sv.copies {
		top := sv.cacheTop[c.pos]
		out = append(out, surveyView{order[c.pos], family(c), c.path, c.source, c.branch, c.newest, c.uses, c.pos, c.libOnly, c.isRoot, top})
	}
	var roots []string
	for _, r := range sv.roots {
		roots = append(roots, r.name+"="+order[r.node.pos])
	}
	return out, roots, sv.perFamily, sv.perSource
}

// TestSurveyNumberedAsByKey checks that a survey walking a prediction's
// index, with or without the facts carried over from the graph it was
// predicted from, equals one walking the same graph by key.
func TestSurveyNumberedAsByKey(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	subs := []string{"https://cache.nixos.org", "https://hyprland.cachix.org", "https://nix-community.cachix.org"}
	for name, data := range numberedShapes(t) {
		g := mustLoad(t, data)
		pl := newPlanner(Policy{All: true, Substituters: subs}, targetNix(Policy{}), nil)
		first, _, err := predict(g, nil)
		if err != nil {
			t.Fatal(err)
		}
		sv0 := pl.surveyOrder(first, nil, false)
		for i, fs := range followsFor(t, g, rng) {
			next, srcOf, err := predict(first, fs)
			if err != nil {
				continue
			}
			bare := &Graph{Version: next.Version, Root: next.Root, Nodes: next.Nodes}
			want := pl.surveyOrder(bare, nil, false)
			fresh := pl.surveyOrder(next, nil, false)
			carried := pl.surveyOrder(next, carryFacts(sv0.facts, srcOf), true)
			w := fmt.Sprint(viewSurvey(want))
			if got := fmt.Sprint(viewSurvey(fresh)); got != w {
				t.Fatalf("%s, follows %d: the survey by number differs from the survey by key", name, i)
			}
			if got := fmt.Sprint(viewSurvey(carried)); got != w {
				t.Fatalf("%s, follows %d: the survey with carried facts differs", name, i)
			}
			sorted := slices.Clone(want.copies)
			slices.SortStableFunc(sorted, func(a, b *copyInfo) int { return comparePath(a.path, b.path) })
			if !slices.Equal(sorted, want.copies) {
				t.Fatalf("%s, follows %d: copies are not sorted by path", name, i)
			}
		}
	}
}

// deferThroughMovedByPairs is deferThroughMoved as it was, comparing
// every pair.
func deferThroughMovedByPairs(follows []Follows) []Follows {
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

func TestDeferThroughMoved(t *testing.T) {
	p := func(s ...string) []string { return s }
	tests := []struct {
		name    string
		follows []Follows
		want    []Follows
	}{
		{"none", nil, nil},
		{"root targets", []Follows{{p("a", "nixpkgs"), p("nixpkgs")}, {p("b", "nixpkgs"), p("nixpkgs")}},
			[]Follows{{p("a", "nixpkgs"), p("nixpkgs")}, {p("b", "nixpkgs"), p("nixpkgs")}}},
		{"through a moved input", []Follows{{p("a", "nixpkgs"), p("b", "nixpkgs")}, {p("b"), p("c")}},
			[]Follows{{p("b"), p("c")}}},
		{"through itself", []Follows{{p("a"), p("a", "x")}, {p("b", "y"), p("c")}},
			[]Follows{{p("b", "y"), p("c")}}},
		{"a deeper input is not on the way", []Follows{{p("a", "nixpkgs"), p("b")}, {p("b", "x"), p("c")}},
			[]Follows{{p("a", "nixpkgs"), p("b")}, {p("b", "x"), p("c")}}},
		{"all through: kept as they are", []Follows{{p("a"), p("b", "x")}, {p("b"), p("a", "y")}},
			[]Follows{{p("a"), p("b", "x")}, {p("b"), p("a", "y")}}},
		{"a segment with a slash", []Follows{{p("a/b"), p("c")}, {p("d"), p("a", "b", "e")}},
			[]Follows{{p("a/b"), p("c")}, {p("d"), p("a", "b", "e")}}},
	}
	for _, tt := range tests {
		if got := deferThroughMoved(tt.follows); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
	rng := rand.New(rand.NewSource(1))
	seg := []string{"a", "b", "c", "a/b"}
	path := func(min int) []string {
		out := make([]string, min+rng.Intn(3))
		for i := range out {
			out[i] = seg[rng.Intn(len(seg))]
		}
		return out
	}
	for i := range 2000 {
		fs := make([]Follows, rng.Intn(6))
		for k := range fs {
			fs[k] = Follows{Input: path(1), Target: path(0)}
		}
		if got, want := deferThroughMoved(fs), deferThroughMovedByPairs(fs); !reflect.DeepEqual(got, want) {
			t.Fatalf("case %d %v: got %v, want %v", i, fs, got, want)
		}
	}
}

// TestSurveyFactsInParallel checks that a survey of a big graph, which
// reads the node facts on every core, equals one that reads them one by
// one (as it does when a promotion may need them again).
func TestSurveyFactsInParallel(t *testing.T) {
	for name, data := range map[string][]byte{"tree20000": genlock.Generate(20_000), "wide12000": genlock.Wide(12_000)} {
		g := mustLoad(t, data)
		first, _, err := predict(g, nil)
		if err != nil {
			t.Fatal(err)
		}
		par := func() planner { return newPlanner(Policy{All: true}, targetNix(Policy{}), nil) }
		one := func() planner { return newPlanner(Policy{All: true, Promote: true}, targetNix(Policy{}), nil) }
		if par().readAllFacts(first, first.index.nodes, nil) == nil || one().readAllFacts(first, first.index.nodes, nil) != nil {
			t.Fatalf("%s: the facts must be read on every core in one survey only", name)
		}
		if got, want := fmt.Sprint(viewSurvey(par().surveyOrder(first, nil, false))), fmt.Sprint(viewSurvey(one().surveyOrder(first, nil, false))); got != want {
			t.Fatalf("%s: the survey reading facts in parallel differs", name)
		}
	}
}

// TestIndexResolvesFollows checks what predictNumbered's fast path for a
// prediction without overrides relies on: the index of a graph from Load,
// Predict or Promote records, for every follows edge, the node resolvePath
// resolves its path to; and that the fast path gives what resolving every
// follows gives.
func TestIndexResolvesFollows(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	for name, data := range numberedShapes(t) {
		g := mustLoad(t, data)
		graphs := map[string]*Graph{"loaded": g}
		for i, fs := range followsFor(t, g, rng) {
			if p, err := Predict(g, fs); err == nil {
				graphs[fmt.Sprint("predicted", i)] = p
			}
		}
		if p, ok := g.Paths()[g.index.keys[len(g.index.keys)/2]]; ok && len(p.Canonical) > 0 {
			if p, err := Promote(g, "promoted-copy", p.Canonical); err == nil {
				graphs["promoted"] = p
			}
		}
		for what, h := range graphs {
			checked := 0
			for i, n := range h.index.nodes {
				for k, in := range n.Inputs {
					if !in.IsFollows() {
						continue
					}
					want, err := resolvePath(h, in.Follows, 0)
					if err != nil {
						t.Fatalf("%s, %s: %s.%s: %v", name, what, h.index.keys[i], in.Name, err)
					}
					if got := h.index.targets[i][k]; got < 0 || h.index.keys[got] != want {
						t.Fatalf("%s, %s: %s.%s: the index says %d, resolvePath %s", name, what, h.index.keys[i], in.Name, got, want)
					}
					checked++
				}
			}
			nb, ok := numberingOf(h)
			if !ok || !nb.resolved {
				t.Fatalf("%s, %s: not numbered from a resolved index", name, what)
			}
			fast, fastSrc, err := predictNumbered(nb, nil)
			if err != nil {
				t.Fatalf("%s, %s: %v", name, what, err)
			}
			nb.resolved = false
			slow, slowSrc, err := predictNumbered(nb, nil)
			if err != nil {
				t.Fatalf("%s, %s: %v", name, what, err)
			}
			if !reflect.DeepEqual(viewOf(fast), viewOf(slow)) || !slices.Equal(fastSrc, slowSrc) ||
				!reflect.DeepEqual(fast.index.targets, slow.index.targets) || !bytes.Equal(Marshal(fast), Marshal(slow)) {
				t.Fatalf("%s, %s: the prediction from the index differs from the one resolving every follows (%d follows)", name, what, checked)
			}
		}
	}
}
