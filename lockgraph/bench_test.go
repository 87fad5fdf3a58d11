package lockgraph

import (
	"fmt"
	"os"
	"testing"

	"github.com/flakedup/flakedup/internal/genlock"
	"github.com/flakedup/flakedup/internal/testenv"
)

// benchLock is one input of the scale benchmarks: a lock and how many nodes
// Paths must report for it (the reachable ones, root excluded).
type benchLock struct {
	name  string
	data  func(testing.TB) []byte
	nodes int
}

// benchLocks are the inputs every scale benchmark runs on, as sub-benchmarks
// named after them: the largest corpus lock, generated trees of 10,000,
// 100,000 and 1,000,000 nodes, the wide 100,000-node lock (25,000 root
// inputs), 23 real-shaped flakes merged under one root, and the 2^60-path
// ladder. Each is generated
// when its sub-benchmark starts (the 1M-node one takes a few seconds).
var benchLocks = []benchLock{
	{"nyx", corpusLock("NotAShelf__nyx"), 208},
	{"gen10k", generated(10_000), 9_999},
	{"gen100k", generated(100_000), 99_999},
	{"gen1M", generated(1_000_000), 999_999},
	{"wide100k", func(testing.TB) []byte { return genlock.Wide(100_000) }, 99_999},
	{"merged23", func(testing.TB) []byte { return genlock.Merged(23) }, 1_016},
	{"ladder60", func(testing.TB) []byte { return genlock.Ladder(60) }, 181},
}

// corpusLock reads the flake.lock of one corpus flake, skipping when the
// corpus is missing.
func corpusLock(name string) func(testing.TB) []byte {
	return func(tb testing.TB) []byte {
		data, err := os.ReadFile(testenv.CorpusFile(tb, name, "flake.lock"))
		if err != nil {
			tb.Fatal(err)
		}
		return data
	}
}

// generated returns a generator of an n-node lock.
func generated(n int) func(testing.TB) []byte {
	return func(testing.TB) []byte { return genlock.Generate(n) }
}

// forEachLock runs bench as a sub-benchmark for every benchLock, with the
// timer and allocation counts reset after the lock is generated. skip, when
// not nil, is asked first: a non-empty answer skips that lock with it as the
// reason, before the lock is generated.
func forEachLock(b *testing.B, skip func(benchLock) string, bench func(b *testing.B, l benchLock, data []byte)) {
	for _, l := range benchLocks {
		b.Run(l.name, func(b *testing.B) {
			if skip != nil {
				if why := skip(l); why != "" {
					b.Skip(why)
				}
			}
			data := l.data(b)
			b.ReportAllocs()
			b.ResetTimer()
			bench(b, l, data)
		})
	}
}

// BenchmarkScaleLoad parses and resolves each lock.
func BenchmarkScaleLoad(b *testing.B) {
	forEachLock(b, nil, func(b *testing.B, _ benchLock, data []byte) {
		b.SetBytes(int64(len(data)))
		for i := 0; i < b.N; i++ {
			if _, err := Load(data); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// fresh returns a copy of g without the cached walk, so that a benchmark
// measures the whole of Paths, but with the index Load built (the walk of a
// loaded graph starts from it; without it, the walk would index the nodes
// by hand, which no caller of Load pays for).
func fresh(g *Graph) *Graph {
	return &Graph{Version: g.Version, Root: g.Root, Nodes: g.Nodes, index: g.index}
}

// BenchmarkScalePaths computes the canonical path and path count of every node
// of each lock, the walk included.
func BenchmarkScalePaths(b *testing.B) {
	forEachLock(b, nil, func(b *testing.B, l benchLock, data []byte) {
		g := mustLoad(b, data)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if got := len(fresh(g).Paths()); got != l.nodes {
				b.Fatalf("Paths: %d nodes, want %d", got, l.nodes)
			}
		}
	})
}

// BenchmarkScaleAnalyze finds the duplicate groups of each lock, sample paths
// included, on a graph whose walk is not cached yet.
func BenchmarkScaleAnalyze(b *testing.B) {
	forEachLock(b, nil, func(b *testing.B, l benchLock, data []byte) {
		g := mustLoad(b, data)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if got := Analyze(fresh(g)).Nodes; got != l.nodes {
				b.Fatalf("Analyze: %d nodes, want %d", got, l.nodes)
			}
		}
	})
}

// slowPlanEnv names the environment variable that lets BenchmarkScalePlan
// run on the 1M-node lock too, which takes some 20 s per plan (and a minute to generate).
const slowPlanEnv = "FLAKEDUP_BENCH_SLOW"

// skipUnlessSlow skips the locks of over 100,000 nodes, which a benchmark
// must plan, unless FLAKEDUP_BENCH_SLOW is set (forEachLock's skip).
func skipUnlessSlow(l benchLock) string {
	if l.nodes > 100_000 && os.Getenv(slowPlanEnv) == "" {
		return fmt.Sprintf("planning %d nodes takes some 20 s; set %s to run it", l.nodes, slowPlanEnv)
	}
	return ""
}

// BenchmarkScalePlan plans the follows for every duplicated source of each lock
// (Policy.All, no follows declared), the predicted lock included. The 1M-node
// lock is skipped unless FLAKEDUP_BENCH_SLOW is set, to keep `make bench` short.
func BenchmarkScalePlan(b *testing.B) {
	forEachLock(b, skipUnlessSlow, func(b *testing.B, _ benchLock, data []byte) {
		g := mustLoad(b, data)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := Plan(fresh(g), nil, Policy{All: true}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkSamplePaths2e60 asks for 100 of the 2^60 paths of the ladder's
// bottom node (the walk, shared by all calls on a graph, is built before).
func BenchmarkSamplePaths2e60(b *testing.B) {
	g := mustLoad(b, genlock.Ladder(60))
	bottom, err := g.Resolve(ladderBottom(60, 0))
	if err != nil {
		b.Fatal(err)
	}
	g.Reachable()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if len(g.SamplePaths(bottom, 100)) != 100 {
			b.Fatal("wrong number of paths")
		}
	}
}

// BenchmarkScaleAnalyzePredicted is BenchmarkScaleAnalyze on the lock Plan
// predicts for each lock (default policy): a graph built by Predict, whose
// walk starts from the index Predict leaves, as Analyze(Result.Predicted)
// does in every command.
func BenchmarkScaleAnalyzePredicted(b *testing.B) {
	forEachLock(b, skipUnlessSlow, func(b *testing.B, _ benchLock, data []byte) {
		res, err := Plan(mustLoad(b, data), nil, Policy{})
		if err != nil {
			b.Fatal(err)
		}
		want := Analyze(fresh(res.Predicted)).Nodes
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if got := Analyze(fresh(res.Predicted)).Nodes; got != want {
				b.Fatalf("Analyze: %d nodes, want %d", got, want)
			}
		}
	})
}
