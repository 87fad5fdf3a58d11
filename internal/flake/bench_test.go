package flake

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/flakedup/flakedup/internal/genlock"
	"github.com/flakedup/flakedup/internal/testenv"
	"github.com/flakedup/flakedup/lockgraph"
)

// benchFlake writes a generated n-node flake (lock and flake.nix) and
// loads it.
func benchFlake(b *testing.B, n int) *Flake {
	b.Helper()
	return benchFlakeOf(b, genlock.Generate(n))
}

// benchFlakeOf writes a flake of the given lock (generatedFlakeDir) and
// loads it.
func benchFlakeOf(b *testing.B, lock []byte) *Flake {
	b.Helper()
	fl, err := Load(generatedFlakeDir(b, lock))
	if err != nil {
		b.Fatal(err)
	}
	return fl
}

// BenchmarkPlan10k is the plan every command makes (what analyze and check
// add to reading the lock), on a generated 10,000-node flake.
func BenchmarkPlan10k(b *testing.B) {
	fl := benchFlake(b, 10_000)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := fl.Plan(Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPlanAndEdit10k is fix's part: the plan, then the flake.nix edit
// and the predicted lock.
func BenchmarkPlanAndEdit10k(b *testing.B) {
	fl := benchFlake(b, 10_000)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out, err := fl.Plan(Options{})
		if err != nil {
			b.Fatal(err)
		}
		out.Edit()
		_ = out.PredictedLock()
	}
}

// benchOutcome plans a generated n-node flake once.
func benchOutcome(b *testing.B, n int) *Outcome {
	b.Helper()
	return benchOutcomeOf(b, benchFlake(b, n))
}

// benchOutcomeOf plans fl once.
func benchOutcomeOf(b *testing.B, fl *Flake) *Outcome {
	b.Helper()
	out, err := fl.Plan(Options{})
	if err != nil {
		b.Fatal(err)
	}
	return out
}

// BenchmarkClassify100k is what Plan adds to lockgraph's Plan and Analyze
// on a generated 100,000-node flake: every copy's status, Before marked,
// the predicted lock's nixpkgs copies.
func BenchmarkClassify100k(b *testing.B) {
	benchClassify(b, benchOutcome(b, 100_000))
}

// BenchmarkClassifyWide100k is BenchmarkClassify100k on the wide shape
// (genlock.Wide: copies reached by two names).
func BenchmarkClassifyWide100k(b *testing.B) {
	benchClassify(b, benchOutcomeOf(b, benchFlakeOf(b, genlock.Wide(100_000))))
}

// benchClassify classifies out again and again.
func benchClassify(b *testing.B, out *Outcome) {
	b.Helper()
	inputs := out.Flake.Inputs
	declared, _ := lockFollows(inputs, out.Flake.Graph)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out.classify(declared)
	}
}

// BenchmarkWalkLock100k is the numbering walk of a 100,000-node lock.
func BenchmarkWalkLock100k(b *testing.B) {
	g := benchOutcome(b, 100_000).Flake.Graph
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		walkLock(g, -1)
	}
}

// BenchmarkClassifyCorpus classifies every corpus flake once per
// iteration (real locks are small: the cost there is the fixed part).
func BenchmarkClassifyCorpus(b *testing.B) {
	var outs []*Outcome
	var declared [][]lockgraph.Follows
	for _, lock := range testenv.CorpusFiles(b, "flake.lock") {
		fl, err := Load(filepath.Dir(lock))
		if err != nil {
			continue
		}
		out, err := fl.Plan(Options{})
		if err != nil {
			continue
		}
		d, _ := lockFollows(out.Flake.Inputs, out.Flake.Graph)
		outs, declared = append(outs, out), append(declared, d)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for k, out := range outs {
			out.classify(declared[k])
		}
	}
}

// generatedFlakeDir writes lock and the flake.nix genlock.FlakeNix gives it
// into a new temporary directory, and returns the directory.
func generatedFlakeDir(tb testing.TB, lock []byte) string {
	tb.Helper()
	dir := tb.TempDir()
	nix, err := genlock.FlakeNix(lock)
	if err != nil {
		tb.Fatal(err)
	}
	for name, data := range map[string][]byte{"flake.lock": lock, "flake.nix": nix} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return dir
}
