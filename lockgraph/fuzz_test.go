package lockgraph

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzLoad feeds Load arbitrary bytes: it must return, never panic (Load
// turns a panic into KindInternal, which counts as a failure here), and a
// graph it returns must have every edge pointing at an existing node, with
// paths that resolve back to their node.
func FuzzLoad(f *testing.F) {
	addLockSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := Load(data)
		if err != nil {
			var le *LoadError
			if !errors.As(err, &le) || le.Kind == KindInternal {
				t.Fatalf("Load: %v", err)
			}
			return
		}
		for key, n := range g.Nodes {
			for _, in := range n.Inputs {
				if _, ok := g.Nodes[in.Target]; !ok {
					t.Fatalf("node %q input %q: target %q does not exist", key, in.Name, in.Target)
				}
			}
		}
		paths := g.Paths()
		for _, key := range g.Reachable() {
			p := paths[key]
			if p.Count == 0 {
				t.Fatalf("node %q: reachable but no paths", key)
			}
			if got, err := g.Resolve(p.Canonical); err != nil || got != key {
				t.Fatalf("node %q: canonical %q resolves to %q, %v", key, p.Canonical, got, err)
			}
			sample := g.SamplePaths(key, 3)
			if len(sample) == 0 || !reflect.DeepEqual(sample[0], p.Canonical) {
				t.Fatalf("node %q: SamplePaths %q does not start with canonical %q", key, sample, p.Canonical)
			}
		}
	})
}

// FuzzLoadSplit checks, on arbitrary input, that reading "nodes" in two
// halves (whenever a line looks like a node key near the middle, however
// small the lock) gives what reading it in one go gives: the same error,
// or the same lock written back.
func FuzzLoadSplit(f *testing.F) {
	addLockSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		text := string(data)
		whole, wholeErr := loadString(text, 1<<62)
		split, splitErr := loadString(text, 0)
		switch {
		case (wholeErr == nil) != (splitErr == nil):
			t.Fatalf("in one go: %v; in two halves: %v", wholeErr, splitErr)
		case wholeErr != nil:
			if wholeErr.Error() != splitErr.Error() {
				t.Fatalf("in one go: %v; in two halves: %v", wholeErr, splitErr)
			}
		case !bytes.Equal(Marshal(whole), Marshal(split)):
			t.Fatalf("the lock read in two halves differs from the one read in one go")
		}
	})
}

// addLockSeeds seeds f with every lock of the lockgraph fixtures.
func addLockSeeds(f *testing.F) {
	f.Helper()
	files, err := filepath.Glob(filepath.Join(lockgraphFixtures, "*", "flake.lock"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seeds in %s: %v", lockgraphFixtures, err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}
