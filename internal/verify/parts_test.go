package verify

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/flakedup/flakedup/lockgraph"
)

func TestCheckNixTooOld(t *testing.T) {
	dir := t.TempDir()
	fake := filepath.Join(dir, "nix")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\necho 'nix (Nix) 2.3.16'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, v, err := CheckNix(context.Background(), fake, nil)
	var ne *NixError
	if !errors.As(err, &ne) {
		t.Fatalf("err = %v, want a *NixError", err)
	}
	want := "--verify needs Nix ≥ 2.8 (the nix command, with flakes): " + fake + " is Nix 2.3"
	if err.Error() != want || v.String() != "2.3" {
		t.Errorf("err = %q (version %s), want %q", err, v, want)
	}
	if err := os.WriteFile(fake, []byte("#!/bin/sh\necho 'nix (Determinate Nix 3.4.1) 2.28.2'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	path, v, err := CheckNix(context.Background(), fake, nil)
	if err != nil || path != fake || v.String() != "2.28" {
		t.Errorf("CheckNix = %q, %s, %v; want %q, 2.28, nil", path, v, err, fake)
	}
}

func TestCopyTree(t *testing.T) {
	src := t.TempDir()
	for name, text := range map[string]string{
		"flake.nix": "{ }", "modules/a.nix": "{ }", ".git/HEAD": "ref: x", "sub/.git": "gitdir: y",
	} {
		p := filepath.Join(src, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o444); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("modules/a.nix", filepath.Join(src, "link.nix")); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "copy")
	if err := copyTree(src, dst); err != nil {
		t.Fatal(err)
	}
	var got []string
	_ = filepath.WalkDir(dst, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dst, p)
			got = append(got, filepath.ToSlash(rel))
		}
		return nil
	})
	want := []string{"flake.nix", "link.nix", "modules/a.nix", "sub/.git"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("copied %q, want %q (no .git directory)", got, want)
	}
	if link, err := os.Readlink(filepath.Join(dst, "link.nix")); err != nil || link != "modules/a.nix" {
		t.Errorf("link = %q, %v", link, err)
	}
	// The copy is writable, so that candidates can be written into it.
	if err := os.WriteFile(filepath.Join(dst, "flake.nix"), []byte("{ x = 1; }"), 0o644); err != nil {
		t.Errorf("copy not writable: %v", err)
	}
}

// twoRevLock has the root's nixpkgs at rev "aaa" (older) and a's at "bbb",
// both github:NixOS/nixpkgs, b's at "ccc" on a fork, and flake-compat
// inputs: a's direct, b's already a follows.
const twoRevLock = `{"nodes":{
 "a":{"inputs":{"flake-compat":"fc","nixpkgs":"nixpkgs_2","treefmt-nix":"tf"},"locked":{"path":"/a","type":"path"},"original":{"path":"/a","type":"path"}},
 "b":{"inputs":{"flake-compat":["a","flake-compat"],"nixpkgs":"nixpkgs_3"},"locked":{"path":"/b","type":"path"},"original":{"path":"/b","type":"path"}},
 "fc":{"flake":false,"locked":{"path":"/fc","type":"path"},"original":{"path":"/fc","type":"path"}},
 "tf":{"locked":{"path":"/tf","type":"path"},"original":{"path":"/tf","type":"path"}},
 "nixpkgs":{"locked":{"lastModified":1000,"narHash":"sha256-a","owner":"NixOS","repo":"nixpkgs","rev":"aaa","type":"github"},"original":{"owner":"NixOS","ref":"nixos-unstable","repo":"nixpkgs","type":"github"}},
 "nixpkgs_2":{"locked":{"lastModified":2000,"narHash":"sha256-b","owner":"NixOS","repo":"nixpkgs","rev":"bbb","type":"github"},"original":{"owner":"NixOS","ref":"nixos-unstable","repo":"nixpkgs","type":"github"}},
 "nixpkgs_3":{"locked":{"lastModified":3000,"narHash":"sha256-c","owner":"Mic92","repo":"nixpkgs","rev":"ccc","type":"github"},"original":{"owner":"Mic92","repo":"nixpkgs","type":"github"}},
 "root":{"inputs":{"a":"a","b":"b","nixpkgs":"nixpkgs"}}},
 "root":"root","version":7}`

func TestRevisionsAndPrimary(t *testing.T) {
	g, err := lockgraph.LoadString(twoRevLock)
	if err != nil {
		t.Fatal(err)
	}
	e := newEngine(Options{Lock: g, Jobs: 1, Plan: plan("a/nixpkgs -> nixpkgs", "b/nixpkgs -> nixpkgs", "b/x -> a/x")}, nil)
	if got := e.primary(); !reflect.DeepEqual(got, []string{"nixpkgs"}) {
		t.Errorf("primary = %q", got)
	}
	var got []Revision
	if got := e.revisions("github:nixos/nixpkgs", "git"); len(got) != 0 {
		t.Errorf("revisions fetched with git = %+v, want none", got)
	}
	for _, r := range e.revisions("github:nixos/nixpkgs", "github") {
		got = append(got, r.Revision)
	}
	want := []Revision{
		{Rev: "bbb", LastModified: time.Unix(2000, 0).UTC(), Path: []string{"a", "nixpkgs"}, URL: "github:NixOS/nixpkgs/bbb"},
		{Rev: "aaa", LastModified: time.Unix(1000, 0).UTC(), Path: []string{"nixpkgs"}, URL: "github:NixOS/nixpkgs/aaa"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("revisions = %+v\nwant %+v", got, want)
	}

	// The primary at bbb: only "locked" of the primary's node changes.
	lock, err := withLocked([]byte(twoRevLock), "nixpkgs", g.Nodes["nixpkgs_2"].Locked)
	if err != nil {
		t.Fatal(err)
	}
	moved, err := lockgraph.Load(lock)
	if err != nil {
		t.Fatal(err)
	}
	n := moved.Nodes["nixpkgs"]
	if n.Locked.String("rev") != "bbb" || n.Original.String("ref") != "nixos-unstable" || len(moved.Nodes) != len(g.Nodes) {
		t.Errorf("moved node = %+v", n)
	}
	if _, err := withLocked([]byte(twoRevLock), "nope", nil); err == nil {
		t.Error("withLocked of a missing node: no error")
	}
}

func TestDropCandidates(t *testing.T) {
	g, err := lockgraph.LoadString(twoRevLock)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		extra []string
		want  []string
	}{
		// b/flake-compat already follows a's: left alone.
		{nil, []string{"a/flake-compat -> ", "a/treefmt-nix -> "}},
		{[]string{"nixpkgs"}, []string{"a/flake-compat -> ", "a/nixpkgs -> ", "a/treefmt-nix -> ", "b/nixpkgs -> "}},
	}
	for _, tc := range tests {
		if got := strs(DropCandidates(g, tc.extra)); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("DropCandidates(%q) = %q, want %q", tc.extra, got, tc.want)
		}
	}
}

func TestRemovedNodes(t *testing.T) {
	g, err := lockgraph.LoadString(twoRevLock)
	if err != nil {
		t.Fatal(err)
	}
	after, err := lockgraph.Predict(g, []lockgraph.Follows{fl("a/flake-compat", ""), fl("a/treefmt-nix", "")})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range removedNodes(g, after) {
		got = append(got, lockgraph.JoinPath(p))
	}
	if want := []string{"a/flake-compat", "a/treefmt-nix"}; !reflect.DeepEqual(got, want) {
		t.Errorf("removed = %q, want %q", got, want)
	}
}

// staleRunner rejects every lock.
type staleRunner struct{}

func (staleRunner) run(context.Context, int, []byte, []byte) (Outcome, error) {
	return Outcome{}, &LockError{Message: "error: cannot write modified lock file of flake 'path:/x' (use '--no-write-lock-file' to ignore)"}
}

func TestStaleBaselineLock(t *testing.T) {
	g, _ := lockgraph.LoadString(fakeLock)
	o := Options{Plan: plan("a/nixpkgs -> nixpkgs"), Candidate: fakeCandidate, Lock: g}
	res, err := verify(context.Background(), o, staleRunner{}, []byte("baseline\n"), []byte(fakeLock))
	if err != nil {
		t.Fatal(err)
	}
	want := Outcome{Attr: "flake.lock", Error: "flake.lock is out of date (run `nix flake lock`): " +
		"error: cannot write modified lock file of flake 'path:/x' (use '--no-write-lock-file' to ignore)"}
	if res.Baseline != want || res.Evaluations != 1 {
		t.Errorf("baseline = %+v (%d evaluations), want %+v", res.Baseline, res.Evaluations, want)
	}
}

func TestCandidateErrorAndCancel(t *testing.T) {
	g, _ := lockgraph.LoadString(fakeLock)
	bad := func(context.Context, []lockgraph.Follows) ([]byte, []byte, error) {
		return nil, nil, errors.New("flake.nix:3:5: inputs.a: cannot add follows")
	}
	o := Options{Plan: plan("a/nixpkgs -> nixpkgs"), Candidate: bad, Lock: g}
	_, err := verify(context.Background(), o, &fakeRunner{}, []byte("baseline\n"), []byte(fakeLock))
	if err == nil || err.Error() != "verify: candidate a/nixpkgs -> nixpkgs: flake.nix:3:5: inputs.a: cannot add follows" {
		t.Errorf("err = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	o.Candidate = fakeCandidate
	if _, err := verify(ctx, o, &fakeRunner{}, []byte("baseline\n"), []byte(fakeLock)); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v", err)
	}
}

func TestProgressString(t *testing.T) {
	p := Progress{What: "hyprland/nixpkgs -> nixpkgs", N: 3, M: 4, Elapsed: 2140 * time.Millisecond}
	if got, want := p.String(), "verify [3/4] 2.1s hyprland/nixpkgs -> nixpkgs"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
}

func TestLines(t *testing.T) {
	day := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		res  Result
		want []string
	}{{
		name: "culprit and common revision",
		res: Result{Mode: Eval, Baseline: Outcome{OK: true}, Evaluations: 6,
			Accepted: []lockgraph.Follows{fl("waybar/nixpkgs", "nixpkgs")},
			Culprits: []Culprit{{Input: []string{"hyprland", "nixpkgs"}, Target: []string{"nixpkgs"},
				Outcome: Outcome{Attr: "packages.x86_64-linux.default", Error: "error: attribute 'wlroots_0_18' missing"}}},
			Primary:        []string{"nixpkgs"},
			CommonRevision: &Revision{Rev: "5ba78cf4ac04", LastModified: day, Path: []string{"waybar", "nixpkgs"}, URL: "github:NixOS/nixpkgs/5ba78cf4ac04"}},
		want: []string{
			"verify (eval): 1 of 2 follows evaluate (6 evaluations)",
			"held back: hyprland/nixpkgs breaks packages.x86_64-linux.default: error: attribute 'wlroots_0_18' missing",
			"common revision of nixpkgs: 5ba78cf (2024-05-01), locked at waybar/nixpkgs: github:NixOS/nixpkgs/5ba78cf4ac04",
		},
	}, {
		name: "drops, no common revision",
		res: Result{Mode: Build, Baseline: Outcome{OK: true}, Evaluations: 5, Primary: []string{"nixpkgs"},
			Dropped: []lockgraph.Follows{fl("hyprland/flake-compat", "")},
			KeptInputs: []Culprit{{Input: []string{"waybar", "treefmt-nix"}, Target: []string{},
				Outcome: Outcome{Attr: "packages.x86_64-linux.fmt", Error: "error: attribute 'lib' missing"}}},
			RemovedNodes: [][]string{{"hyprland", "flake-compat"}}},
		want: []string{
			"verify (build): 0 of 0 follows evaluate (5 evaluations)",
			`dropped: hyprland/flake-compat (follows = "")`,
			"kept: waybar/treefmt-nix breaks packages.x86_64-linux.fmt: error: attribute 'lib' missing",
			"nodes removed from the lock: hyprland/flake-compat",
			"common revision of nixpkgs: none in the lock evaluates with every dependent",
		},
	}, {
		name: "failing baseline",
		res:  Result{Mode: Eval, Evaluations: 1, Baseline: Outcome{Error: "error: attribute 'x' missing"}},
		want: []string{"verify (eval): the flake as it is already fails, nothing verified (1 evaluation): breaks the flake: error: attribute 'x' missing"},
	}}
	for _, tc := range tests {
		if got := tc.res.Lines(); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
	}
}
