package savings

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/flakedup/flakedup/internal/store"
	"github.com/flakedup/flakedup/lockgraph"
)

const (
	hashA = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
	hashB = "sha256-LCa0a2j/xo/5m0U8HTBBNBNCLXBkg7+g+YpeiGJm564="
)

// lock builds a flake.lock whose root has nixpkgs (hashA) and inputs a and
// b, each with its own nixpkgs: a's has hashA again, b's has hashB, unless
// follows says they follow the root's.
func lock(t *testing.T, follows bool) *lockgraph.Graph {
	t.Helper()
	nixpkgs := func(hash string) string {
		return `{"locked": {"type": "github", "owner": "NixOS", "repo": "nixpkgs", "rev": "` + hash[7:15] + `", "narHash": "` + hash + `"}, "original": {"type": "github", "owner": "NixOS", "repo": "nixpkgs"}}`
	}
	dep := func(name, input string) string {
		return `{"inputs": {"nixpkgs": ` + input + `}, "locked": {"type": "github", "owner": "o", "repo": "` + name + `", "rev": "1", "narHash": "sha256-x"}, "original": {"type": "github", "owner": "o", "repo": "` + name + `"}}`
	}
	var text string
	if follows {
		text = `{"nodes": {"a": ` + dep("a", `["nixpkgs"]`) + `, "b": ` + dep("b", `["nixpkgs"]`) + `, "nixpkgs": ` + nixpkgs(hashA) +
			`, "root": {"inputs": {"a": "a", "b": "b", "nixpkgs": "nixpkgs"}}}, "root": "root", "version": 7}`
	} else {
		text = `{"nodes": {"a": ` + dep("a", `"nixpkgs"`) + `, "b": ` + dep("b", `"nixpkgs_2"`) + `, "nixpkgs": ` + nixpkgs(hashA) +
			`, "nixpkgs_2": ` + nixpkgs(hashB) + `, "nixpkgs_3": ` + nixpkgs(hashA) +
			`, "root": {"inputs": {"a": "a", "b": "b", "nixpkgs": "nixpkgs_3"}}}, "root": "root", "version": 7}`
	}
	g, err := lockgraph.Load([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestCompare(t *testing.T) {
	before, after := lock(t, false), lock(t, true)
	pathB, _ := store.SourcePath(hashB)
	got := Compare(before, after)
	want := Savings{CopiesBefore: 3, CopiesAfter: 1, RevisionsBefore: 2, RevisionsAfter: 1, Removed: []string{pathB}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Compare = %+v, want %+v", got, want)
	}
	if got.CopiesRemoved() != 2 || got.RevisionsRemoved() != 1 {
		t.Errorf("removed %d copies, %d revisions", got.CopiesRemoved(), got.RevisionsRemoved())
	}
	if none := Compare(after, after); none.Download() != "none" || none.CopiesRemoved() != 0 {
		t.Errorf("no change: %+v, %s", none, none.Download())
	}
}

// fakeNix writes a nix stand-in that answers `path-info --offline --json P` with
// narSize 40100000 for the one path it knows, and fails for any other.
func fakeNix(t *testing.T, known string) string {
	t.Helper()
	// The fake's store is not this machine's /nix/store: say so, or
	// store.NarSizes would not ask about paths /nix/store lacks.
	t.Setenv("NIX_REMOTE", "fake://store")
	p := filepath.Join(t.TempDir(), "nix")
	script := "#!/bin/sh\nfor a; do last=$a; done\n[ \"$#\" -eq 6 ] && [ \"$last\" = '" + known + "' ] || exit 1\n" +
		"printf '[{\"path\":\"%s\",\"narSize\":40100000}]' \"$last\"\n"
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMeasure(t *testing.T) {
	pathB, _ := store.SourcePath(hashB)
	s := Compare(lock(t, false), lock(t, true))
	if s.Download() != "unknown (not in the local store)" {
		t.Errorf("before Measure: %s", s.Download())
	}
	if err := s.Measure(context.Background(), fakeNix(t, pathB)); err != nil {
		t.Fatal(err)
	}
	if s.Bytes != 40100000 || s.Known != 1 || s.Download() != "40.1 MB" {
		t.Errorf("Measure: %+v, %s", s, s.Download())
	}
	two := Savings{Removed: []string{"x", "y"}, Bytes: 1500, Known: 1}
	if got := two.Download(); got != "at least 1.5 kB (1 of 2 revisions not in the local store)" {
		t.Errorf("partial: %s", got)
	}
	s = Compare(lock(t, false), lock(t, true))
	if err := s.Measure(context.Background(), fakeNix(t, "/nix/store/other-source")); err != nil || s.Known != 0 {
		t.Errorf("unknown path: %+v, %v", s, err)
	}
}

func TestSize(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 999: "999 B", 1000: "1.0 kB", 40100000: "40.1 MB", 1234567890: "1.2 GB"} {
		if got := Size(n); got != want {
			t.Errorf("Size(%d) = %s, want %s", n, got, want)
		}
	}
}

func TestDownloadAndAdd(t *testing.T) {
	for _, c := range []struct {
		name  string
		s     Savings
		want  string
		known bool
	}{
		{"nothing removed", Savings{}, "none", true},
		{"no narHash", Savings{Unlocated: 1}, "unknown (not in the local store)", false},
		{"one sized, one without narHash", Savings{Removed: []string{"x"}, Unlocated: 1, Bytes: 2000, Known: 1}, "at least 2.0 kB (1 of 2 revisions not in the local store)", false},
		{"all sized", Savings{Removed: []string{"x", "y"}, Bytes: 3000, Known: 2}, "3.0 kB", true},
	} {
		if got := c.s.Download(); got != c.want || c.s.DownloadKnown() != c.known {
			t.Errorf("%s: Download %q known %v, want %q %v", c.name, got, c.s.DownloadKnown(), c.want, c.known)
		}
	}
	a := Savings{CopiesBefore: 3, CopiesAfter: 1, RevisionsBefore: 2, RevisionsAfter: 1, Removed: []string{"x"}, Bytes: 10, Known: 1}
	b := Savings{CopiesBefore: 2, CopiesAfter: 2, RevisionsBefore: 1, RevisionsAfter: 1, Unlocated: 1}
	got := a.Add(b)
	want := Savings{CopiesBefore: 5, CopiesAfter: 3, RevisionsBefore: 3, RevisionsAfter: 2, Removed: []string{"x"}, Unlocated: 1, Bytes: 10, Known: 1}
	if !reflect.DeepEqual(got, want) || got.CopiesRemoved() != 2 || got.RevisionsRemoved() != 1 {
		t.Errorf("Add = %+v, want %+v", got, want)
	}
}

func TestMeasureAll(t *testing.T) {
	pathB, _ := store.SourcePath(hashB)
	a := Compare(lock(t, false), lock(t, true))
	b := Compare(lock(t, false), lock(t, true))
	none := Compare(lock(t, true), lock(t, true))
	// Two flakes remove the same revision, one removes nothing: both of
	// the first get its size from the one query.
	if err := MeasureAll(context.Background(), fakeNix(t, pathB), []*Savings{&a, &none, &b}); err != nil {
		t.Fatal(err)
	}
	for i, s := range []Savings{a, b} {
		if s.Bytes != 40100000 || s.Known != 1 || s.Download() != "40.1 MB" {
			t.Errorf("flake %d: %+v", i, s)
		}
	}
	if none.Known != 0 || none.Download() != "none" {
		t.Errorf("nothing removed: %+v", none)
	}
}
