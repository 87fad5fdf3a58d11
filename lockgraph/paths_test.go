package lockgraph

import (
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/flakedup/flakedup/internal/genlock"
	"github.com/flakedup/flakedup/internal/testenv"
)

// mustLoad loads data, failing the test on an error.
func mustLoad(t testing.TB, data []byte) *Graph {
	t.Helper()
	g, err := Load(data)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return g
}

// bruteForcePaths enumerates every input path from the root one by one,
// without the DAG machinery of paths.go: a plain recursive walk over
// Inputs[name].Target that does not take an edge back to a node already on
// the path (the root included; real locks have follows to an ancestor, such
// as nix/git-hooks-nix/flake-compat following "nix"). That is the same as
// leaving out the back edges of one depth-first walk whenever every path to
// such an edge's source runs through its target, as in every corpus lock.
// It fails the test after max paths.
func bruteForcePaths(t *testing.T, g *Graph, max int) map[string][][]string {
	t.Helper()
	found := map[string][][]string{}
	total := 0
	var walk func(key string, path []string, onPath map[string]bool)
	walk = func(key string, path []string, onPath map[string]bool) {
		for _, in := range g.Nodes[key].Inputs {
			if onPath[in.Target] {
				continue
			}
			p := append(slices.Clip(path), in.Name)
			found[in.Target] = append(found[in.Target], p)
			if total++; total > max {
				t.Fatalf("more than %d paths", max)
			}
			onPath[in.Target] = true
			walk(in.Target, p, onPath)
			delete(onPath, in.Target)
		}
	}
	walk(g.Root, []string{}, map[string]bool{g.Root: true})
	return found
}

// shortestThenBytes orders paths shortest first, then segment by segment.
func shortestThenBytes(a, b []string) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	return slices.Compare(a, b)
}

// TestPathsCorpus checks Count, Canonical, Reachable and SamplePaths of
// every corpus lock against brute-force enumeration.
func TestPathsCorpus(t *testing.T) {
	nodes, paths := 0, 0
	for _, file := range testenv.CorpusFiles(t, "flake.lock") {
		name := filepath.Base(filepath.Dir(file))
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			g := mustLoad(t, data)
			want := bruteForcePaths(t, g, 1_000_000)
			got := g.Paths()
			if reach := g.Reachable(); len(reach) != len(want) || len(got) != len(want) {
				t.Fatalf("Reachable has %d nodes, Paths %d, brute force %d", len(reach), len(got), len(want))
			}
			for key, all := range want {
				slices.SortFunc(all, shortestThenBytes)
				p := got[key]
				if p.Count != uint64(len(all)) || p.Saturated || !reflect.DeepEqual(p.Canonical, all[0]) {
					t.Errorf("%s: got count %d canonical %q, brute force %d %q", key, p.Count, p.Canonical, len(all), all[0])
				}
				if sample := g.SamplePaths(key, 3); !reflect.DeepEqual(sample, all[:min(3, len(all))]) {
					t.Errorf("%s: SamplePaths = %q, want %q", key, sample, all[:min(3, len(all))])
				}
				for _, p := range all {
					if target, err := g.Resolve(p); err != nil || target != key {
						t.Errorf("Resolve(%q) = %q, %v; want %q", p, target, err, key)
					}
				}
				nodes++
				paths += len(all)
			}
		})
	}
	t.Logf("corpus: %d reachable nodes, %d paths checked", nodes, paths)
}

// ladderBottom is the path of the bottom node of genlock.Ladder(n) with
// the diamonds whose bit is set in choice taken on the right, the last
// diamond being bit 0.
func ladderBottom(n int, choice uint) []string {
	p := []string{"top"}
	for i := 0; i < n; i++ {
		side := "left"
		if choice&(1<<(n-1-i)) != 0 {
			side = "right"
		}
		p = append(p, side, "next")
	}
	return p
}

func TestPathsLadder(t *testing.T) {
	tests := []struct {
		diamonds  int
		count     uint64
		saturated bool
	}{
		{0, 1, false},
		{1, 2, false},
		{60, 1 << 60, false},
		{63, 1 << 63, false},
		{64, math.MaxUint64, true},
		{70, math.MaxUint64, true},
	}
	for _, tt := range tests {
		g := mustLoad(t, genlock.Ladder(tt.diamonds))
		bottom, err := g.Resolve(ladderBottom(tt.diamonds, 0))
		if err != nil {
			t.Fatal(err)
		}
		p := g.Paths()[bottom]
		if p.Count != tt.count || p.Saturated != tt.saturated {
			t.Errorf("ladder %d: count %d saturated %v, want %d %v", tt.diamonds, p.Count, p.Saturated, tt.count, tt.saturated)
		}
		if !reflect.DeepEqual(p.Canonical, ladderBottom(tt.diamonds, 0)) {
			t.Errorf("ladder %d: canonical %q", tt.diamonds, p.Canonical)
		}
		if got := len(g.Reachable()); got != 3*tt.diamonds+1 {
			t.Errorf("ladder %d: %d reachable nodes, want %d", tt.diamonds, got, 3*tt.diamonds+1)
		}
	}
}

func TestSamplePathsLadder(t *testing.T) {
	g := mustLoad(t, genlock.Ladder(60))
	bottom, err := g.Resolve(ladderBottom(60, 0))
	if err != nil {
		t.Fatal(err)
	}
	got := g.SamplePaths(bottom, 1000)
	if len(got) != 1000 {
		t.Fatalf("got %d paths, want 1000", len(got))
	}
	for i, p := range got {
		if want := ladderBottom(60, uint(i)); !reflect.DeepEqual(p, want) {
			t.Fatalf("path %d = %q, want %q", i, JoinPath(p), JoinPath(want))
		}
	}
}

func TestSamplePathsEdgeCases(t *testing.T) {
	g := mustLoad(t, []byte(`{"version": 7, "root": "r", "nodes": {
		"r": {"inputs": {"a": "a", "b": "b", "z": ["a", "x"]}},
		"a": {"inputs": {"x": "x"}}, "b": {"inputs": {"x": ["a", "x"]}}, "x": {}, "orphan": {}}}`))
	tests := []struct {
		key   string
		limit int
		want  [][]string
	}{
		{"x", 10, [][]string{{"z"}, {"a", "x"}, {"b", "x"}}},
		{"x", 2, [][]string{{"z"}, {"a", "x"}}},
		{"x", 0, nil},
		{"r", 5, [][]string{{}}},
		{"orphan", 5, nil},
		{"missing", 5, nil},
	}
	for _, tt := range tests {
		if got := g.SamplePaths(tt.key, tt.limit); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("SamplePaths(%q, %d) = %q, want %q", tt.key, tt.limit, got, tt.want)
		}
	}
}

func TestResolve(t *testing.T) {
	g := mustLoad(t, []byte(`{"version": 7, "root": "r", "nodes": {
		"r": {"inputs": {"a": "a", "b": "b_2"}},
		"a": {"inputs": {"nixpkgs": ["b", "nixpkgs"]}}, "b_2": {"inputs": {"nixpkgs": "n"}}, "n": {}}}`))
	tests := []struct {
		path    []string
		want    string
		wantErr string
	}{
		{nil, "r", ""},
		{[]string{}, "r", ""},
		{[]string{"a", "nixpkgs"}, "n", ""},
		{[]string{"b"}, "b_2", ""},
		{[]string{"b", "x"}, "", `input path "b/x" leads nowhere: node "b_2" has no input "x"`},
		{[]string{"a", "nixpkgs", "y"}, "", `input path "a/nixpkgs/y" leads nowhere: node "n" has no input "y"`},
	}
	for _, tt := range tests {
		got, err := g.Resolve(tt.path)
		gotErr := ""
		if err != nil {
			gotErr = err.Error()
		}
		if got != tt.want || gotErr != tt.wantErr {
			t.Errorf("Resolve(%q) = %q, %q; want %q, %q", tt.path, got, gotErr, tt.want, tt.wantErr)
		}
	}
}

func TestJoinPath(t *testing.T) {
	tests := []struct {
		path []string
		want string
	}{
		{nil, ""},
		{[]string{}, ""},
		{[]string{"nixpkgs"}, "nixpkgs"},
		{[]string{"home-manager", "nixpkgs"}, "home-manager/nixpkgs"},
	}
	g := &Graph{}
	for _, tt := range tests {
		if got := JoinPath(tt.path); got != tt.want {
			t.Errorf("JoinPath(%q) = %q, want %q", tt.path, got, tt.want)
		}
		if got := g.PathString(tt.path); got != tt.want {
			t.Errorf("PathString(%q) = %q, want %q", tt.path, got, tt.want)
		}
	}
}

// TestPathsHandBuilt checks graphs made without Load, as other packages'
// tests make them: edges to missing keys are skipped, a missing root gives
// no paths.
func TestPathsHandBuilt(t *testing.T) {
	g := &Graph{Root: "r", Nodes: map[string]*Node{
		"r": {Key: "r", Inputs: NewInputs(Input{Name: "a", Target: "a"}, Input{Name: "ghost", Target: "nope"})},
		"a": {Key: "a", Inputs: NewInputs(Input{Name: "up", Target: "r", Follows: []string{}})},
	}}
	want := map[string]NodePaths{"a": {Canonical: []string{"a"}, Count: 1}}
	if got := g.Paths(); !reflect.DeepEqual(got, want) {
		t.Errorf("Paths = %+v, want %+v", got, want)
	}
	if got := strings.Join(g.Reachable(), ","); got != "a" {
		t.Errorf("Reachable = %q, want a", got)
	}
	empty := &Graph{Root: "gone", Nodes: map[string]*Node{}}
	if got := len(empty.Paths()) + len(empty.Reachable()) + len(empty.SamplePaths("gone", 3)); got != 0 {
		t.Errorf("graph without its root: %d results, want none", got)
	}
}

// TestPathsConcurrent calls the walking methods from several goroutines at
// once, as a report renderer might; run with -race to check the shared walk.
func TestPathsConcurrent(t *testing.T) {
	g := mustLoad(t, genlock.Ladder(10))
	bottom, err := g.Resolve(ladderBottom(10, 0))
	if err != nil {
		t.Fatal(err)
	}
	counts := make(chan uint64, 4)
	for i := 0; i < 4; i++ {
		go func() {
			g.Reachable()
			g.SamplePaths(bottom, 2)
			counts <- g.Paths()[bottom].Count
		}()
	}
	for i := 0; i < 4; i++ {
		if got := <-counts; got != 1<<10 {
			t.Errorf("count = %d, want %d", got, 1<<10)
		}
	}
}

// TestSamplePathsEveryLimit checks SamplePaths against brute force at the
// limits around each node's path count, on every corpus lock and on small
// wide and merged generated locks: below the count the best-first search
// answers, from the count on the listing of every path.
func TestSamplePathsEveryLimit(t *testing.T) {
	locks := map[string][]byte{"wide": genlock.Wide(200), "merged": genlock.Merged(4), "ladder": genlock.Ladder(4)}
	for _, file := range testenv.CorpusFiles(t, "flake.lock") {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		locks[filepath.Base(filepath.Dir(file))] = data
	}
	for name, data := range locks {
		t.Run(name, func(t *testing.T) {
			g := mustLoad(t, data)
			for key, all := range bruteForcePaths(t, g, 1_000_000) {
				slices.SortFunc(all, shortestThenBytes)
				for _, limit := range []int{1, 2, len(all) - 1, len(all), len(all) + 1, 2 * len(all)} {
					if limit < 1 {
						continue
					}
					want := all[:min(limit, len(all))]
					if got := g.SamplePaths(key, limit); !reflect.DeepEqual(got, want) {
						t.Errorf("%s: SamplePaths(%d) = %q, want %q", key, limit, got, want)
					}
				}
			}
		})
	}
}
