// Package nixworld builds small offline "worlds" of flakes and runs the real
// Nix on them, so that tests can compare what flakedup predicts with the lock
// Nix actually writes.
//
// A World is a directory (a test's temporary directory) holding fake nixpkgs
// git repositories, dependency flakes, a root flake, and everything Nix
// needs to run offline and isolated: its own HOME, XDG directories, git
// configuration, an empty flake registry and a chroot store under the world
// directory. Nothing touches /nix or the real home directory. Git commit
// dates are fixed, so revisions and locks repeat from run to run.
//
// The recipe follows ../shared/NIX-NOTES.md ("Real Nix offline") and
// ../shared/nix-offline/scenario.sh. Build steps that cannot fail in a
// well-formed world (writing files, git commits, locking a dependency) stop
// the test with t.Fatal; the Nix commands a test wants to observe (Lock,
// Metadata, Parse, EvalInputs) return Nix's stderr in their errors.
package nixworld

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/flakedup/flakedup/internal/testenv"
)

// commandTimeout bounds every git and nix command, so that a Nix that
// tries the network (or waits on a lock) fails the test instead of hanging.
const commandTimeout = 2 * time.Minute

// firstCommit is the author and committer date of a world's first commit;
// each further commit is one hour later.
var firstCommit = time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)

// World is one offline Nix environment rooted at Dir. Create it with New.
// A World is not safe for concurrent use.
type World struct {
	// Dir is the directory the flakes live in. Absolute paths under it end
	// up in flake.lock files.
	Dir string
	// Nix is the Nix installation every nix and nix-instantiate command of
	// the world runs.
	Nix testenv.Nix

	t       testing.TB
	env     []string          // environment of every git and nix command
	commits int               // commits made so far, for deterministic dates
	repos   map[string]*Repo  // nixpkgs repositories by owner
	flakes  map[string]string // dependency flake URLs by directory
	replays int               // replays built so far, for their directories
}

// New creates a World in a fresh temporary directory of t, run by the
// system's Nix (the nix on PATH). It skips t when nix, nix-instantiate or
// git is not on PATH, unless the environment variable FLAKEDUP_NIX is set,
// in which case it fails t.
func New(t testing.TB) *World {
	t.Helper()
	return NewFor(t, testenv.Nixes(t)[0])
}

// NewFor is New with the Nix installation nix (one of testenv.Nixes): the
// world's store, state and caches are its own, so every Nix gets a store
// of its own.
func NewFor(t testing.TB, nix testenv.Nix) *World {
	t.Helper()
	testenv.RequireTools(t, "git")
	base := t.TempDir()
	// Nix makes store paths read-only; make them writable again so that
	// the temporary directory can be removed (t.TempDir's cleanup runs
	// after this one).
	t.Cleanup(func() { makeWritable(filepath.Join(base, "store")) })

	w := &World{
		Dir:    filepath.Join(base, "w"),
		Nix:    nix,
		t:      t,
		repos:  map[string]*Repo{},
		flakes: map[string]string{},
	}
	mustMkdir(t, w.Dir)
	env, err := nix.Env(base)
	if err != nil {
		t.Fatal(err)
	}
	gitconfig := filepath.Join(base, "gitconfig")
	mustWrite(t, gitconfig, "[user]\n\tname = nixworld\n\temail = nixworld@example.invalid\n"+
		"[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n")
	w.env = append(env, "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+gitconfig)
	return w
}

// Path returns the absolute path of rel, a slash-separated path inside the
// world directory.
func (w *World) Path(rel string) string {
	return filepath.Join(w.Dir, filepath.FromSlash(rel))
}

// Lock runs `nix flake lock` with args in the flake directory dir and
// returns the flake.lock it leaves there. The error carries Nix's stderr.
func (w *World) Lock(dir string, args ...string) ([]byte, error) {
	if _, err := w.run(dir, "nix", append([]string{"flake", "lock"}, args...)...); err != nil {
		return nil, err
	}
	lock, err := os.ReadFile(filepath.Join(dir, "flake.lock"))
	if err != nil {
		return nil, fmt.Errorf("nixworld: reading the lock nix wrote: %w", err)
	}
	return lock, nil
}

// Metadata runs `nix flake metadata --json` with args in dir and returns its
// standard output. Pass --no-write-lock-file to keep flake.lock untouched:
// the output's "locks" is then the lock Nix would write.
func (w *World) Metadata(dir string, args ...string) ([]byte, error) {
	return w.run(dir, "nix", append([]string{"flake", "metadata", "--json"}, args...)...)
}

// Parse runs `nix-instantiate --parse` on file (a syntax check that needs
// no store) and returns the expression Nix printed.
func (w *World) Parse(file string) ([]byte, error) {
	return w.run(filepath.Dir(file), "nix-instantiate", "--store", "dummy://", "--parse", file)
}

// EvalInputs returns `(import ./flake.nix).inputs` of the flake in dir as
// JSON, the way Nix sees it: flat, nested and dotted spellings alike.
func (w *World) EvalInputs(dir string) ([]byte, error) {
	return w.run(dir, "nix-instantiate", "--store", "dummy://", "--eval", "--strict", "--json",
		"-E", "(import ./flake.nix).inputs")
}

// ansi matches the colour escapes Nix puts in its messages.
var ansi = regexp.MustCompile("\x1b\\[[0-9;]*m")

// run executes name with args in dir under the world's environment and
// returns its standard output; on failure the error holds the command and
// its standard error with colour codes removed.
func (w *World) run(dir, name string, args ...string) ([]byte, error) {
	return w.runEnv(dir, nil, name, args...)
}

// runEnv is run with extra environment variables.
func (w *World) runEnv(dir string, extra []string, name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	prog := name
	switch name {
	case "nix":
		prog = w.Nix.Nix
	case "nix-instantiate":
		prog = w.Nix.Instantiate
	}
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Dir = dir
	cmd.Env = append(append([]string(nil), w.env...), extra...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(ansi.ReplaceAllString(stderr.String(), ""))
		return stdout.Bytes(), fmt.Errorf("nixworld: %s %s (in %s): %w: %s",
			name, strings.Join(args, " "), dir, err, msg)
	}
	return stdout.Bytes(), nil
}

// git runs git in dir and stops the test when it fails.
func (w *World) git(dir string, args ...string) string {
	w.t.Helper()
	out, err := w.run(dir, "git", args...)
	if err != nil {
		w.t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

// commit commits everything in the repository dir with the next fixed date
// and returns the new commit's hash.
func (w *World) commit(dir, msg string) string {
	w.t.Helper()
	date := firstCommit.Add(time.Duration(w.commits) * time.Hour).Format(time.RFC3339)
	w.commits++
	if _, err := w.run(dir, "git", "add", "-A"); err != nil {
		w.t.Fatal(err)
	}
	dates := []string{"GIT_AUTHOR_DATE=" + date, "GIT_COMMITTER_DATE=" + date}
	if _, err := w.runEnv(dir, dates, "git", "commit", "-q", "--allow-empty", "-m", msg); err != nil {
		w.t.Fatal(err)
	}
	return w.git(dir, "rev-parse", "HEAD")
}

// makeWritable gives the owner write permission on every directory under
// root, so that it can be removed. Errors are ignored: this is cleanup.
func makeWritable(root string) {
	_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			_ = os.Chmod(path, 0o755)
		}
		return nil
	})
}

func mustMkdir(t testing.TB, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}

func mustWrite(t testing.TB, file, text string) {
	t.Helper()
	if err := writeFile(file, text); err != nil {
		t.Fatal(err)
	}
}

// writeFile writes text to file, creating its directory.
func writeFile(file, text string) error {
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return fmt.Errorf("nixworld: %w", err)
	}
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		return fmt.Errorf("nixworld: %w", err)
	}
	return nil
}
