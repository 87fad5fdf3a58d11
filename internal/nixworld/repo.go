package nixworld

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// nixpkgsFlake is the flake.nix of every fake nixpkgs commit: no inputs,
// nothing to build, so locking never evaluates anything heavy.
const nixpkgsFlake = "{ outputs = _: { lib = { }; }; }\n"

// Repo is a fake nixpkgs git repository at <world>/<owner>/nixpkgs, so that
// flakedup's rule "a git URL whose last path segment is nixpkgs is nixpkgs"
// applies to it. Its branches (nixos-unstable, nixos-24.05, ...) all grow
// from one initial commit on main.
type Repo struct {
	// Owner is the directory above nixpkgs: "NixOS", or another owner for
	// a fork.
	Owner string
	// Dir is the repository's absolute path.
	Dir string

	w    *World
	revs map[string][]string // commits per branch, oldest first
}

// Nixpkgs returns owner's fake nixpkgs repository, creating it on first use,
// and makes sure each branch has at least commits commits of its own.
func (w *World) Nixpkgs(owner string, commits int, branches ...string) *Repo {
	w.t.Helper()
	r, ok := w.repos[owner]
	if !ok {
		r = &Repo{Owner: owner, Dir: w.Path(owner + "/nixpkgs"), w: w, revs: map[string][]string{}}
		mustMkdir(w.t, r.Dir)
		w.git(r.Dir, "init", "-q")
		mustWrite(w.t, filepath.Join(r.Dir, "flake.nix"), nixpkgsFlake)
		mustWrite(w.t, filepath.Join(r.Dir, "version"), owner+" main 0\n")
		r.revs["main"] = []string{w.commit(r.Dir, "initial")}
		w.repos[owner] = r
	}
	for _, b := range branches {
		for len(r.revs[b]) < commits {
			r.Commit(b)
		}
	}
	return r
}

// Commit adds one commit to branch (created from the initial commit when it
// does not exist yet) and returns its hash.
func (r *Repo) Commit(branch string) string {
	r.w.t.Helper()
	if _, ok := r.revs[branch]; ok {
		r.w.git(r.Dir, "checkout", "-q", branch)
	} else {
		r.w.git(r.Dir, "checkout", "-q", "-b", branch, r.revs["main"][0])
	}
	n := len(r.revs[branch])
	if branch == "main" {
		n-- // the initial commit is not one of main's own
	}
	mustWrite(r.w.t, filepath.Join(r.Dir, "version"), fmt.Sprintf("%s %s %d\n", r.Owner, branch, n+1))
	rev := r.w.commit(r.Dir, fmt.Sprintf("%s %d", branch, n+1))
	r.revs[branch] = append(r.revs[branch], rev)
	r.w.git(r.Dir, "checkout", "-q", "main")
	return rev
}

// Branch creates branch at the commit rev unless the branch exists.
func (r *Repo) Branch(branch, rev string) {
	r.w.t.Helper()
	if _, ok := r.revs[branch]; ok {
		return
	}
	r.w.git(r.Dir, "branch", branch, rev)
	r.revs[branch] = []string{rev}
}

// Rev returns the i-th commit (0 = oldest) of branch, counting the commit
// the branch was created at by Branch, or "" when there is none.
func (r *Repo) Rev(branch string, i int) string {
	revs := r.revs[branch]
	if i < 0 || i >= len(revs) {
		return ""
	}
	return revs[i]
}

// Tip returns the newest commit of branch, or "" when it has none.
func (r *Repo) Tip(branch string) string {
	return r.Rev(branch, len(r.revs[branch])-1)
}

// URL returns the flake reference of branch ref: git+file://<dir>?ref=<ref>.
func (r *Repo) URL(ref string) string {
	return "git+file://" + r.Dir + "?ref=" + ref
}

// URLRev returns a flake reference pinned to rev, on branch ref when ref is
// not empty: git+file://<dir>?ref=<ref>&rev=<rev>.
func (r *Repo) URLRev(ref, rev string) string {
	if ref == "" {
		return "git+file://" + r.Dir + "?rev=" + rev
	}
	return r.URL(ref) + "&rev=" + rev
}

// FlakeRepo creates a dependency flake as a git repository at rel (a path
// inside the world) with the given flake.nix, locks it with Nix and commits
// its flake.lock, as real flakes do. It returns the flake's URL,
// git+file://<dir>. Locking failures stop the test.
func (w *World) FlakeRepo(rel, flakeNix string) string {
	w.t.Helper()
	dir := w.Path(rel)
	mustWrite(w.t, filepath.Join(dir, "flake.nix"), flakeNix)
	if _, err := os.Stat(filepath.Join(dir, ".git")); err != nil {
		w.git(dir, "init", "-q")
	}
	w.commit(dir, "flake.nix")
	if _, err := w.Lock(dir); err != nil {
		w.t.Fatalf("locking dependency %s: %v", rel, err)
	}
	w.commit(dir, "flake.lock")
	return "git+file://" + dir
}

// CommitFile writes text to name in the git repository at rel and commits
// it, returning the new commit's hash; use it to move a dependency on after
// others have locked it.
func (w *World) CommitFile(rel, name, text string) string {
	w.t.Helper()
	dir := w.Path(rel)
	mustWrite(w.t, filepath.Join(dir, filepath.FromSlash(name)), text)
	return w.commit(dir, "update "+name)
}

// HeadRev returns the commit checked out in the git repository at rel.
func (w *World) HeadRev(rel string) string {
	w.t.Helper()
	return w.git(w.Path(rel), "rev-parse", "HEAD")
}

// FlakeDir writes flakeNix into a plain directory at rel and returns its
// path: URL. Plain directories are not locked on their own.
func (w *World) FlakeDir(rel, flakeNix string) string {
	w.t.Helper()
	dir := w.Path(rel)
	mustWrite(w.t, filepath.Join(dir, "flake.nix"), flakeNix)
	return "path:" + dir
}

// NonFlake creates a plain directory at rel holding no flake.nix, for an
// input declared with flake = false, and returns its path: URL.
func (w *World) NonFlake(rel string) string {
	w.t.Helper()
	dir := w.Path(rel)
	mustWrite(w.t, filepath.Join(dir, "README"), "not a flake: "+rel+"\n")
	return "path:" + dir
}

// Root writes flakeNix as the flake.nix of a root flake in the plain
// directory rel and returns the directory.
func (w *World) Root(rel, flakeNix string) string {
	w.t.Helper()
	dir := w.Path(rel)
	mustWrite(w.t, filepath.Join(dir, "flake.nix"), flakeNix)
	return dir
}

// Outputs returns an outputs line for a flake.nix: a function of self and
// the given inputs, with "..." so that any further input is accepted.
func Outputs(inputs ...string) string {
	return "outputs = { " + strings.Join(append(append([]string{"self"}, inputs...), "..."), ", ") + " }: { };"
}
