package flake

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/flakedup/flakedup/internal/genlock"
)

// benchFlake writes a generated n-node flake (lock and flake.nix) and
// loads it.
func benchFlake(b *testing.B, n int) *Flake {
	b.Helper()
	dir := b.TempDir()
	lock := genlock.Generate(n)
	nix, err := genlock.FlakeNix(lock)
	if err != nil {
		b.Fatal(err)
	}
	for name, data := range map[string][]byte{"flake.lock": lock, "flake.nix": nix} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	fl, err := Load(dir)
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
