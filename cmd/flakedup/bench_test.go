package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/flakedup/flakedup/internal/genlock"
	"github.com/flakedup/flakedup/internal/nixversion"
	"github.com/flakedup/flakedup/internal/testenv"
)

// benchRun runs flakedup in-process b.N times with args, output discarded,
// and fails the benchmark on a non-zero exit code.
func benchRun(b *testing.B, args ...string) {
	b.Helper()
	benchRunExit(b, exitOK, args...)
}

// benchRunExit is benchRun for a command that must exit with want.
func benchRunExit(b *testing.B, want int, args ...string) {
	b.Helper()
	getenv := func(string) string { return "" }
	detect := func() (nixversion.Version, bool) { return nixversion.Version{}, false }
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if code := run(context.Background(), append([]string{"flakedup"}, args...), nil, io.Discard, io.Discard,
			getenv, detect); code != want {
			b.Fatalf("flakedup %v: exit code %d", args, code)
		}
	}
}

// writeGenerated writes a generated n-node lock into a temporary directory
// and returns its path.
func writeGenerated(b *testing.B, n int) string {
	b.Helper()
	return writeLock(b, genlock.Generate(n))
}

// writeLock writes a lock into a temporary directory and returns its path.
func writeLock(b *testing.B, lock []byte) string {
	b.Helper()
	path := filepath.Join(b.TempDir(), "flake.lock")
	if err := os.WriteFile(path, lock, 0o644); err != nil {
		b.Fatal(err)
	}
	return path
}

// BenchmarkAnalyzeJSON100k is `flakedup analyze --format json` on a
// generated 100,000-node lock, reading the file included.
func BenchmarkAnalyzeJSON100k(b *testing.B) {
	benchRun(b, "analyze", "--format", "json", writeGenerated(b, 100_000))
}

// BenchmarkAnalyzeText100k is `flakedup analyze` (text: at most 20
// copies per source) on a generated 100,000-node lock.
func BenchmarkAnalyzeText100k(b *testing.B) {
	benchRun(b, "analyze", writeGenerated(b, 100_000))
}

// BenchmarkAnalyzeTextWide100k is `flakedup analyze` on the wide
// 100,000-node lock: 25,000 root inputs, copies reached by two names.
func BenchmarkAnalyzeTextWide100k(b *testing.B) {
	benchRun(b, "analyze", writeLock(b, genlock.Wide(100_000)))
}

// BenchmarkAnalyzeTextMerged23 is `flakedup analyze` on 23 real-shaped
// flakes merged under one root (about 1,000 nodes).
func BenchmarkAnalyzeTextMerged23(b *testing.B) {
	benchRun(b, "analyze", writeLock(b, genlock.Merged(23)))
}

// BenchmarkAnalyzeTextVerbose100k is `flakedup analyze --verbose` (every
// copy) on a generated 100,000-node lock.
func BenchmarkAnalyzeTextVerbose100k(b *testing.B) {
	benchRun(b, "analyze", "--verbose", writeGenerated(b, 100_000))
}

// writeGeneratedFlake writes a generated n-node flake.lock and a flake.nix
// declaring its root inputs into a temporary directory and returns it.
func writeGeneratedFlake(b *testing.B, n int) string {
	b.Helper()
	return writeFlake(b, genlock.Generate(n))
}

// writeFlake writes lock and a flake.nix declaring its root inputs into a
// temporary directory and returns it.
func writeFlake(b *testing.B, lock []byte) string {
	b.Helper()
	dir := b.TempDir()
	nix, err := genlock.FlakeNix(lock)
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "flake.lock"), lock, 0o644); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "flake.nix"), nix, 0o644); err != nil {
		b.Fatal(err)
	}
	return dir
}

// BenchmarkFixDryRun10k is `flakedup fix --dry-run --lock` on a generated
// 10,000-node flake: plan, flake.nix edit, predicted lock, diff.
func BenchmarkFixDryRun10k(b *testing.B) {
	benchRun(b, "fix", "--dry-run", "--lock", writeGeneratedFlake(b, 10_000))
}

// BenchmarkFixDryRun100k is `flakedup fix --dry-run --lock` on a generated
// 100,000-node flake: some 900 follows edits, made in one splice.
func BenchmarkFixDryRun100k(b *testing.B) {
	benchRun(b, "fix", "--dry-run", "--lock", writeGeneratedFlake(b, 100_000))
}

// BenchmarkCheckMerged23 is `flakedup check` on 23 real-shaped flakes
// merged under one root that has a nixpkgs of its own (about 1,000
// nodes), which fails: 10 of its 288 nixpkgs copies could follow the
// root's.
func BenchmarkCheckMerged23(b *testing.B) {
	benchRunExit(b, exitFailed, "check", "--nix-version", "2.18", writeFlake(b, genlock.Merged(23)))
}

// BenchmarkCheck100k is `flakedup check` on a generated 100,000-node
// flake, which fails: some of its nixpkgs copies could be collapsed.
func BenchmarkCheck100k(b *testing.B) {
	benchRunExit(b, exitFailed, "check", "--nix-version", "2.18", writeGeneratedFlake(b, 100_000))
}

// largestCorpusFlake returns the corpus flake with the largest lock
// (NotAShelf__nyx, 209 nodes), read in place: check and fix --dry-run
// write nothing.
func largestCorpusFlake(b *testing.B) string {
	b.Helper()
	return filepath.Dir(testenv.CorpusFile(b, "NotAShelf__nyx", "flake.lock"))
}

// BenchmarkCheckCorpusLargest is `flakedup check` on the largest real lock
// of the corpus, which fails (6 of its 16 nixpkgs copies could follow the
// root's): issue 14's "real locks in milliseconds", without process start.
func BenchmarkCheckCorpusLargest(b *testing.B) {
	benchRunExit(b, exitFailed, "check", "--nix-version", "2.18", largestCorpusFlake(b))
}

// BenchmarkFixDryRunCorpusLargest is `flakedup fix --dry-run` on the
// largest real lock of the corpus: plan, edit, predicted lock and diff.
func BenchmarkFixDryRunCorpusLargest(b *testing.B) {
	benchRun(b, "fix", "--dry-run", "--nix-version", "2.18", largestCorpusFlake(b))
}
