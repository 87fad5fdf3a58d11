package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/flakedup/flakedup/lockgraph"
	"github.com/flakedup/flakedup/rewrite"
)

// flake is a flake directory as read from disk: both files' bytes, the lock
// graph, and the declared inputs of flake.nix when they could be modelled.
type flake struct {
	dir      string
	nixPath  string
	lockPath string
	nixSrc   []byte
	lockSrc  string
	graph    *lockgraph.Graph
	// inputs is nil when flake.nix could not be parsed or its inputs are
	// computed; nixErr then says why (positioned: flake.nix:12:5: ...).
	inputs *rewrite.Inputs
	nixErr error
}

// flakeDir turns a PATH argument (a flake directory, or its flake.nix or
// flake.lock) into the flake directory.
func flakeDir(arg string) (string, error) {
	if arg == "" {
		arg = "."
	}
	info, err := os.Stat(arg)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("%s: no such file or directory", arg)
		}
		return "", fmt.Errorf("%s: %w", arg, unwrapPathError(err))
	}
	if info.IsDir() {
		return arg, nil
	}
	switch filepath.Base(arg) {
	case "flake.nix", "flake.lock":
		return filepath.Dir(arg), nil
	}
	return "", fmt.Errorf("%s: not a flake directory, flake.nix or flake.lock", arg)
}

// loadFlake reads flake.nix and flake.lock from the flake that arg names.
// A missing or broken flake.lock is an error; a flake.nix that cannot be
// modelled is recorded in nixErr, so that callers can still report on the
// lock and print the lines to add by hand.
func loadFlake(arg string) (*flake, error) {
	dir, err := flakeDir(arg)
	if err != nil {
		return nil, err
	}
	fl := &flake{
		dir:      dir,
		nixPath:  filepath.Join(dir, "flake.nix"),
		lockPath: filepath.Join(dir, "flake.lock"),
	}
	fl.nixSrc, err = os.ReadFile(fl.nixPath)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: no such file (is %s a flake directory?)", fl.nixPath, dir)
		}
		return nil, fmt.Errorf("%s: %w", fl.nixPath, unwrapPathError(err))
	}
	fl.graph, _, fl.lockSrc, err = loadLockText(fl.lockPath, readFileText)
	if err != nil {
		return nil, err
	}
	file, err := rewrite.Parse(fl.nixPath, fl.nixSrc)
	if err == nil {
		fl.inputs, err = file.Inputs()
	}
	fl.nixErr = err
	return fl, nil
}

// lockFollows converts the follows written in flake.nix into the
// planner's form. Follows under a root input the lock does not know yet are
// dropped (Nix has not locked that input, so there is nothing to plan
// against) and their input names returned as stale.
func lockFollows(in *rewrite.Inputs, g *lockgraph.Graph) (follows []lockgraph.Follows, stale []string) {
	if in == nil {
		return nil, nil
	}
	root := g.Nodes[g.Root]
	seen := map[string]bool{}
	for _, f := range in.DeclaredFollows() {
		if _, ok := root.Inputs.Get(f.Path[0]); !ok {
			if !seen[f.Path[0]] {
				seen[f.Path[0]] = true
				stale = append(stale, f.Path[0])
			}
			continue
		}
		follows = append(follows, lockgraph.Follows{Input: f.Path, Target: splitTarget(f.Target)})
	}
	return follows, stale
}

// splitTarget turns a follows string into a path; "" is the root itself
// (an empty, non-nil path).
func splitTarget(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, "/")
}

// applyDeclaredPromotions finds root inputs that flake.nix declares but the
// lock does not have yet, whose url pins a node the lock already holds (as
// `flakedup fix --promote` writes them), and adds them to the graph the way
// Nix will lock them. It returns the graph and the names it could not
// account for (inputs the user added and has not locked yet).
func applyDeclaredPromotions(in *rewrite.Inputs, g *lockgraph.Graph) (*lockgraph.Graph, []string, error) {
	if in == nil {
		return g, nil, nil
	}
	root := g.Nodes[g.Root]
	var unknown []string
	paths := g.Paths()
	for _, name := range in.Names() {
		if _, ok := root.Inputs.Get(name); ok {
			continue
		}
		url := in.Inputs[name].URL
		var from []string
		for _, key := range g.Reachable() {
			if url != "" && lockgraph.FlakeRefURL(g.Nodes[key].Locked) == url {
				from = paths[key].Canonical
				break
			}
		}
		if from == nil {
			unknown = append(unknown, name)
			continue
		}
		next, err := lockgraph.Promote(g, name, from)
		if err != nil {
			return nil, nil, fmt.Errorf("input %q: %w", name, err)
		}
		g = next
	}
	return g, unknown, nil
}
