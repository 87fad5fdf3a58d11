// Package discover finds the flakes under a directory: what `--recursive`
// walks in a repository that holds several flakes (hosts/a, hosts/b, ...).
//
// A flake is a directory that holds a flake.nix. The walk skips what is
// never a user's flake:
//
//   - `.git` directories and `node_modules`;
//   - `result` and `result-*` (the symlinks `nix build` leaves; they point
//     into the store, which holds other people's flakes);
//   - symbolic links to directories (not followed, so no cycles);
//   - inside a git repository, whatever its `.gitignore` files and
//     `.git/info/exclude` ignore (see Ignore for what is understood). The
//     user's global excludes file (core.excludesFile) is not read: it
//     differs from machine to machine, and a CI run would then find other
//     flakes than the developer's.
//
// Discovery reads directories only; it never runs git.
package discover

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Flakes returns the flake directories under root (root itself included
// when it holds a flake.nix), as paths that start with root, sorted.
// Unreadable directories below root are errors, since a flake silently
// missed would make a CI gate pass.
func Flakes(root string) ([]string, error) {
	info, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", root, unwrap(err))
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("%s: not a directory", root)
	}
	var ign *Ignore
	if top, ok := gitTop(root); ok {
		ign = &Ignore{}
		if err := ign.addFile(filepath.Join(top, ".git", "info", "exclude"), top); err != nil {
			return nil, err
		}
		// .gitignore files between the repository's top and root apply to
		// root's contents as well.
		if err := addAncestors(ign, top, root); err != nil {
			return nil, err
		}
	}
	var found []string
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("%s: %w", path, unwrap(err))
		}
		if !d.IsDir() {
			return nil
		}
		if path != root {
			name := d.Name()
			if skippedName(name) {
				return filepath.SkipDir
			}
			if ign != nil && ign.Ignored(path, true) {
				return filepath.SkipDir
			}
		}
		if ign != nil {
			if err := ign.addFile(filepath.Join(path, ".gitignore"), path); err != nil {
				return err
			}
		}
		nix := filepath.Join(path, "flake.nix")
		if st, err := os.Stat(nix); err == nil && st.Mode().IsRegular() {
			if ign == nil || !ign.Ignored(nix, false) {
				found = append(found, path)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(found)
	return found, nil
}

// skippedName reports whether a directory of that name is never walked.
func skippedName(name string) bool {
	switch {
	case name == ".git", name == "node_modules":
		return true
	case name == "result", strings.HasPrefix(name, "result-"):
		return true
	}
	return false
}

// gitTop finds the top of the git work tree that holds dir: the nearest
// directory at or above dir with a `.git` entry (a directory, or the file
// a worktree or submodule has).
func gitTop(dir string) (string, bool) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", false
	}
	for d := abs; ; {
		if _, err := os.Lstat(filepath.Join(d, ".git")); err == nil {
			rel, err := filepath.Rel(abs, d)
			if err != nil {
				return "", false
			}
			return filepath.Join(dir, rel), true
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", false
		}
		d = parent
	}
}

// addAncestors adds the .gitignore files of the directories from top down
// to root's parent.
func addAncestors(ign *Ignore, top, root string) error {
	rel, err := filepath.Rel(top, root)
	if err != nil || rel == "." {
		return nil
	}
	dir := top
	for _, seg := range strings.Split(rel, string(filepath.Separator)) {
		if seg == ".." {
			return nil
		}
		if err := ign.addFile(filepath.Join(dir, ".gitignore"), dir); err != nil {
			return err
		}
		dir = filepath.Join(dir, seg)
	}
	return nil
}

func unwrap(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
