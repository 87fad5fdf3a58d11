// Package flake is the flake-level work every command shares: it reads a
// flake's flake.nix and flake.lock (Load), plans the follows that collapse
// its duplicated copies under a policy (Flake.Plan), and writes the result
// (Outcome.Write). analyze, check, fix and why render the one Outcome, so
// their numbers come from one value and cannot disagree.
//
// It is the only package that knows both files: lockgraph never reads
// flake.nix and rewrite never reads flake.lock; what the planner needs from
// flake.nix (declared follows, declared promotions, the author's intent)
// is turned here into lockgraph's plain data.
package flake

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/flakedup/flakedup/lockgraph"
	"github.com/flakedup/flakedup/rewrite"
)

// ErrNoFlakeNix reports a flake directory without a flake.nix; Load records
// it in Flake.NixErr when the lock could still be read (analyze reports
// from a bare lock), and returns it when there is neither file.
var ErrNoFlakeNix = errors.New("no flake.nix")

// Flake is a flake as read from disk: both files' bytes, the lock graph,
// and the declared inputs of flake.nix when they could be modelled.
type Flake struct {
	// Dir is the flake directory; NixPath and LockPath are the two files
	// in it (LockPath may be a lock of another name given on the command
	// line).
	Dir, NixPath, LockPath string
	// NixSrc is flake.nix as read (nil when there is none).
	NixSrc []byte
	// LockSrc is flake.lock as read.
	LockSrc string
	// Graph is the parsed lock.
	Graph *lockgraph.Graph
	// File is the parsed flake.nix, nil when it does not parse.
	File *rewrite.File
	// Inputs is nil when flake.nix is missing, does not parse, or its
	// inputs are computed; NixErr then says why (positioned:
	// flake.nix:12:5: ...).
	Inputs *rewrite.Inputs
	// NixErr is why Inputs is nil (wraps ErrNoFlakeNix when flake.nix is
	// missing).
	NixErr error
}

// LoadOptions steer Load.
type LoadOptions struct {
	// ReadLock reads the lock file; nil means a private copy
	// (os.ReadFile). analyze passes a reader that maps large files.
	ReadLock func(path string) (string, error)
}

// Load reads the flake that path names: a flake directory ("" is "."),
// its flake.nix, or its flake.lock; a lock file of another name is read on
// its own, as a flake without flake.nix. A missing or broken flake.lock is an error, as
// is a directory with neither file; a flake.nix that is missing or cannot
// be modelled is recorded in NixErr, so that callers can still report on
// the lock (analyze) or refuse with a positioned message (fix, check).
func Load(path string) (*Flake, error) { return LoadWith(path, LoadOptions{}) }

// LoadWith is Load with options.
func LoadWith(path string, o LoadOptions) (*Flake, error) {
	if path == "" {
		path = "."
	}
	fl := &Flake{}
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("%s: no such file or directory", path)
	case err != nil:
		return nil, fmt.Errorf("%s: %w", path, unwrapPathError(err))
	case info.IsDir():
		fl.Dir = path
		fl.NixPath = filepath.Join(path, "flake.nix")
		fl.LockPath = filepath.Join(path, "flake.lock")
	case filepath.Base(path) == "flake.nix":
		fl.Dir = filepath.Dir(path)
		fl.NixPath = path
		fl.LockPath = filepath.Join(fl.Dir, "flake.lock")
	default:
		// flake.lock, whose flake.nix is beside it, or a lock of another
		// name, read on its own (a flake.nix beside it may belong to
		// another lock).
		fl.Dir = filepath.Dir(path)
		fl.NixPath = filepath.Join(fl.Dir, "flake.nix")
		fl.LockPath = path
	}
	bareLock := filepath.Base(fl.LockPath) != "flake.lock"
	if !bareLock {
		fl.NixSrc, err = os.ReadFile(fl.NixPath)
	} else {
		err = fs.ErrNotExist
	}
	noNix := errors.Is(err, fs.ErrNotExist)
	if err != nil && !noNix {
		return nil, fmt.Errorf("%s: %w", fl.NixPath, unwrapPathError(err))
	}
	read := o.ReadLock
	if read == nil {
		read = readFile
	}
	fl.LockSrc, err = read(fl.LockPath)
	switch {
	case errors.Is(err, fs.ErrNotExist) && noNix && info.IsDir():
		return nil, fmt.Errorf("%s: %w here (not a flake directory)", path, ErrNoFlakeNix)
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("%s: no such file (run `nix flake lock` to create it, or pass the flake directory)", fl.LockPath)
	case err != nil:
		return nil, fmt.Errorf("%s: %w", fl.LockPath, unwrapPathError(err))
	}
	// flake.nix is read while the lock is (they do not depend on each
	// other); a lock that does not load is still the error reported.
	parsed := make(chan struct{})
	if !noNix {
		go func() {
			defer close(parsed)
			fl.readNix()
		}()
	} else {
		close(parsed)
	}
	fl.Graph, err = lockgraph.LoadString(fl.LockSrc)
	<-parsed
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fl.LockPath, err)
	}
	if noNix {
		fl.NixErr = fmt.Errorf("%s: %w (is %s a flake directory?)", fl.NixPath, ErrNoFlakeNix, fl.Dir)
	}
	return fl, nil
}

// readNix parses fl.NixSrc into fl.File and fl.Inputs, or sets fl.NixErr.
func (fl *Flake) readNix() {
	file, err := rewrite.Parse(fl.NixPath, fl.NixSrc)
	if err != nil {
		fl.NixErr = err
		return
	}
	fl.File = file
	fl.Inputs, fl.NixErr = fl.File.Inputs()
	if fl.NixErr != nil {
		fl.Inputs = nil
	}
}

func readFile(path string) (string, error) {
	data, err := os.ReadFile(path)
	return string(data), err
}

// unwrapPathError drops the "open PATH:" prefix of an *fs.PathError, whose
// path the caller already names.
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Rel names a file the way summaries show it: "flake.nix" and
// "flake.lock" for the flake's own files, else the path as given.
func (fl *Flake) Rel(path string) string {
	switch path {
	case fl.NixPath:
		return "flake.nix"
	case fl.LockPath:
		return "flake.lock"
	}
	return path
}

// Refusal returns why fix and check must not go on with this flake.nix:
// it is missing (ErrNoFlakeNix), or Nix rejects it (a syntax error, a
// duplicate attribute, a file that is not an attribute set, ...; a
// positioned error, flake.nix:L:C: ...). It is nil when Nix reads the
// file, including when its inputs are computed by an expression (then
// flakedup cannot edit them, and fix prints the lines to add by hand).
//
// What Nix's flake commands refuse beyond syntax is a refusal too
// (rewrite.Inputs.CheckFlake: unsupported top-level attributes, an outputs
// that is not a function, input attributes of the wrong kind, and a
// declared follows whose target does not exist: flake.nix:L:C:
// inputs.a.inputs.nixpkgs.follows: no input "nixpkgz" (did you mean
// "nixpkgs"?)).
func (fl *Flake) Refusal() error {
	if fl.Inputs != nil {
		return fl.Inputs.CheckFlake()
	}
	if fl.NixErr == nil || errors.Is(fl.NixErr, rewrite.ErrComputed) {
		return nil
	}
	return fl.NixErr
}

// SyntaxError reports whether Refusal's error is one of flake.nix's
// syntax (the file does not parse at all).
func (fl *Flake) SyntaxError() bool {
	return fl.NixErr != nil && fl.File == nil && !errors.Is(fl.NixErr, ErrNoFlakeNix)
}
