package lockgraph

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/flakedup/flakedup/internal/genlock"
)

// BenchmarkLoadCorpusLargest loads the largest corpus lock (NotAShelf/nyx,
// 209 nodes).
func BenchmarkLoadCorpusLargest(b *testing.B) {
	corpusFiles(b)
	data, err := os.ReadFile(filepath.Join(corpusDir, "NotAShelf__nyx", "flake.lock"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Load(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoad100k loads a generated 100,000-node lock.
func BenchmarkLoad100k(b *testing.B) {
	data := genlock.Generate(100_000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Load(data); err != nil {
			b.Fatal(err)
		}
	}
}

// fresh returns a copy of g without the cached walk, so that a benchmark
// measures the whole of Paths.
func fresh(g *Graph) *Graph { return &Graph{Version: g.Version, Root: g.Root, Nodes: g.Nodes} }

// BenchmarkPaths100k computes the paths of every node of the generated
// 100,000-node lock.
func BenchmarkPaths100k(b *testing.B) {
	g := mustLoad(b, genlock.Generate(100_000))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if len(fresh(g).Paths()) != 99_999 {
			b.Fatal("wrong number of nodes")
		}
	}
}

// BenchmarkPaths2e60 counts the paths of a ladder of 60 diamonds, whose
// bottom node has 2^60 of them.
func BenchmarkPaths2e60(b *testing.B) {
	g := mustLoad(b, genlock.Ladder(60))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if len(fresh(g).Paths()) != 181 {
			b.Fatal("wrong number of nodes")
		}
	}
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
