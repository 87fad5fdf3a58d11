package nixversion

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flakedup/flakedup/internal/testenv"
)

// fakeNix is a nix binary on disk (so that it has an mtime and a size)
// whose --version output the test chooses, counting the runs.
type fakeNix struct {
	path   string
	output string
	runs   int
}

func newFakeNix(t *testing.T, output string) *fakeNix {
	t.Helper()
	path := filepath.Join(t.TempDir(), "nix")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return &fakeNix{path: path, output: output}
}

func (f *fakeNix) look(name string) (string, error) {
	if name != "nix" {
		return "", errors.New("not found")
	}
	return f.path, nil
}

func (f *fakeNix) run(_ context.Context, path string) (string, error) {
	f.runs++
	if path != f.path {
		return "", errors.New("ran " + path + ", want " + f.path)
	}
	if f.output == "" {
		return "", errors.New("exit status 1")
	}
	return f.output, nil
}

func (f *fakeNix) detect(t *testing.T, c Cache) Version {
	t.Helper()
	v, ok := c.detect(context.Background(), f.look, f.run)
	if !ok {
		t.Fatalf("detect: no version")
	}
	return v
}

// TestCacheDetect checks that nix runs once per binary, and again when the
// binary changes or the cache is unusable, and that nothing the cache does
// wrong is an error.
func TestCacheDetect(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cache", "flakedup") // created on first write
	c := Cache{Dir: dir}
	f := newFakeNix(t, "nix (Nix) 2.8.0")
	if v := f.detect(t, c); v != nix(2, 8) || f.runs != 1 {
		t.Fatalf("first detect = %v after %d runs, want 2.8 after 1", v, f.runs)
	}
	if v := f.detect(t, c); v != nix(2, 8) || f.runs != 1 {
		t.Fatalf("second detect = %v after %d runs, want 2.8 from the cache", v, f.runs)
	}
	// Only the cache file is left: the temporary file was renamed.
	if entries, err := os.ReadDir(dir); err != nil || len(entries) != 1 || entries[0].Name() != cacheFile {
		t.Fatalf("cache dir holds %v (%v), want only %s", entries, err, cacheFile)
	}

	// An upgrade in place: same path, new mtime.
	f.output = "nix (Nix) 2.24.9"
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(f.path, later, later); err != nil {
		t.Fatal(err)
	}
	if v := f.detect(t, c); v != nix(2, 24) || f.runs != 2 {
		t.Fatalf("after an upgrade: %v after %d runs, want 2.24 after 2", v, f.runs)
	}
	// Same mtime, another size.
	f.output = "nix (Lix, like Nix) 2.93.0"
	if err := os.WriteFile(f.path, []byte("#!/bin/sh\n# lix\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(f.path, later, later); err != nil {
		t.Fatal(err)
	}
	if v := f.detect(t, c); v != lix(2, 93) || f.runs != 3 {
		t.Fatalf("after a new size: %v after %d runs, want Lix 2.93 after 3", v, f.runs)
	}

	// A broken cache file is ignored and rewritten.
	if err := os.WriteFile(filepath.Join(dir, cacheFile), []byte("{\"entries\": {"), 0o644); err != nil {
		t.Fatal(err)
	}
	if v := f.detect(t, c); v != lix(2, 93) || f.runs != 4 {
		t.Fatalf("broken cache: %v after %d runs, want Lix 2.93 after 4", v, f.runs)
	}
	if v := f.detect(t, c); v != lix(2, 93) || f.runs != 4 {
		t.Fatalf("rewritten cache: %v after %d runs, want no new run", v, f.runs)
	}

	// An entry whose output no longer parses is asked again.
	data, err := os.ReadFile(filepath.Join(dir, cacheFile))
	if err != nil {
		t.Fatal(err)
	}
	garbled := strings.Replace(string(data), "nix (Lix, like Nix) 2.93.0", "garbage", 1)
	if err := os.WriteFile(filepath.Join(dir, cacheFile), []byte(garbled), 0o644); err != nil {
		t.Fatal(err)
	}
	if v := f.detect(t, c); v != lix(2, 93) || f.runs != 5 {
		t.Fatalf("garbled entry: %v after %d runs, want Lix 2.93 after 5", v, f.runs)
	}
}

// TestCacheUnwritable checks that a cache that cannot be written costs a
// run each time, never an error.
func TestCacheUnwritable(t *testing.T) {
	blocker := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	f := newFakeNix(t, "nix (Nix) 2.30.1")
	for _, c := range []Cache{{Dir: filepath.Join(blocker, "flakedup")}, {Dir: ""}} {
		for i := 0; i < 2; i++ {
			if v := f.detect(t, c); v != nix(2, 30) {
				t.Fatalf("%+v: detect = %v, want 2.30", c, v)
			}
		}
	}
	if f.runs != 4 {
		t.Errorf("%d runs, want 4 (nothing cached)", f.runs)
	}
}

// TestCacheNoNix checks the answers when there is no usable nix: none is
// cached.
func TestCacheNoNix(t *testing.T) {
	c := Cache{Dir: t.TempDir()}
	missing := func(string) (string, error) { return "", errors.New("not found") }
	if _, ok := c.detect(context.Background(), missing, nil); ok {
		t.Error("no nix on PATH: got a version")
	}
	f := newFakeNix(t, "")
	for i := 0; i < 2; i++ {
		if _, ok := c.detect(context.Background(), f.look, f.run); ok {
			t.Error("nix that fails: got a version")
		}
	}
	f.output = "something else"
	if _, ok := c.detect(context.Background(), f.look, f.run); ok {
		t.Error("unrecognised output: got a version")
	}
	if f.runs != 3 {
		t.Errorf("%d runs, want 3 (failures are not cached)", f.runs)
	}
	if _, err := os.Stat(filepath.Join(c.Dir, cacheFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a cache file was written for a failure: %v", err)
	}
}

// TestCacheBounded checks that the file keeps at most maxCacheEntries
// binaries, always including the one just asked.
func TestCacheBounded(t *testing.T) {
	c := Cache{Dir: t.TempDir()}
	var last *fakeNix
	for i := 0; i < maxCacheEntries+3; i++ {
		last = newFakeNix(t, "nix (Nix) 2.8.0")
		last.detect(t, c)
	}
	doc := c.read()
	if len(doc.Entries) != maxCacheEntries {
		t.Errorf("%d entries, want %d", len(doc.Entries), maxCacheEntries)
	}
	if _, ok := doc.Entries[last.path]; !ok {
		t.Error("the binary just asked is not in the cache")
	}
}

// TestDetectRealNix runs Detect and the cache against the nix on PATH,
// when there is one, and requires the same answer from both.
func TestDetectRealNix(t *testing.T) {
	testenv.RequireTools(t, "nix")
	v, ok := Detect(context.Background())
	if !ok {
		t.Fatal("nix is on PATH but Detect finds no version")
	}
	c := Cache{Dir: t.TempDir()}
	for i := 0; i < 2; i++ {
		if got, ok := c.Detect(context.Background()); !ok || got != v {
			t.Errorf("Cache.Detect = %v, %v; want %v", got, ok, v)
		}
	}
}
