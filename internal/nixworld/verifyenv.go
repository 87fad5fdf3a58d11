package nixworld

import (
	"path/filepath"
	"strings"
)

// Env returns a copy of the environment every git and nix command of the
// world runs with (its own HOME, XDG directories, git configuration and a
// NIX_CONFIG with the world's registry and chroot store), for code under
// test that runs nix itself, such as internal/verify.
func (w *World) Env() []string {
	return append([]string(nil), w.env...)
}

// BuildEnv is Env with NIX_CONFIG extended so that derivations whose
// builder is /bin/sh can be built in the world's chroot store: a chroot
// store builds in a private mount namespace even with sandbox = false, so
// the host's /bin, /usr, /lib and /lib64 (the shell and the libraries it
// loads) are made visible there with extra-sandbox-paths.
func (w *World) BuildEnv() []string {
	env := w.Env()
	var paths []string
	for _, p := range []string{"/bin", "/usr", "/lib", "/lib64"} {
		if resolved, err := filepath.EvalSymlinks(p); err == nil && resolved == p {
			paths = append(paths, p)
		} else if err == nil {
			paths = append(paths, p+"="+resolved)
		}
	}
	for i, kv := range env {
		if strings.HasPrefix(kv, "NIX_CONFIG=") {
			env[i] = kv + "\nextra-sandbox-paths = " + strings.Join(paths, " ")
		}
	}
	return env
}

// CommitFlake writes flakeNix as the flake.nix of the fake nixpkgs on
// branch (created from the initial commit when it does not exist yet),
// commits it and returns the new commit's hash. It lets a world give its
// nixpkgs revisions different packages and lib functions, where Commit
// only changes a version file.
func (r *Repo) CommitFlake(branch, flakeNix string) string {
	r.w.t.Helper()
	if _, ok := r.revs[branch]; ok {
		r.w.git(r.Dir, "checkout", "-q", branch)
	} else {
		r.w.git(r.Dir, "checkout", "-q", "-b", branch, r.revs["main"][0])
	}
	mustWrite(r.w.t, filepath.Join(r.Dir, "flake.nix"), flakeNix)
	rev := r.w.commit(r.Dir, "flake.nix on "+branch)
	r.revs[branch] = append(r.revs[branch], rev)
	r.w.git(r.Dir, "checkout", "-q", "main")
	return rev
}
