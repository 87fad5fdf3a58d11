// Command genlock writes a synthetic flake.lock, for timing whole programs
// on big inputs:
//
//	genlock -nodes 100000 -o big.lock
//	genlock -ladder 60 -o ladder.lock
//	genlock -nodes 100000 -flake dir   # dir/flake.lock and dir/flake.nix
//	genlock -shape wide -nodes 100000 -o wide.lock
//	genlock -shape merged -flakes 23 -o merged.lock
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/flakedup/flakedup/internal/genlock"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "genlock:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("genlock", flag.ContinueOnError)
	nodes := fs.Int("nodes", 100000, "number of nodes of a realistic tree")
	ladder := fs.Int("ladder", 0, "write a ladder of this many diamonds instead (2^n paths)")
	shape := fs.String("shape", "tree", "tree (the realistic tree), wide (a root with nodes/4 inputs) or merged (-flakes flakes under one root)")
	flakes := fs.Int("flakes", 23, "number of flakes under the root of the merged shape")
	out := fs.String("o", "", "output file (default: standard output)")
	flake := fs.String("flake", "", "write flake.lock and a flake.nix declaring its root inputs into this directory")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var data []byte
	switch {
	case *ladder > 0:
		data = genlock.Ladder(*ladder)
	case *shape == "tree":
		data = genlock.Generate(*nodes)
	case *shape == "wide":
		data = genlock.Wide(*nodes)
	case *shape == "merged":
		data = genlock.Merged(*flakes)
	default:
		return fmt.Errorf("-shape %q: want tree, wide or merged", *shape)
	}
	if *flake != "" {
		nix, err := genlock.FlakeNix(data)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(*flake, 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(*flake, "flake.nix"), nix, 0o644); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(*flake, "flake.lock"), data, 0o644)
	}
	if *out == "" {
		_, err := os.Stdout.Write(data)
		return err
	}
	return os.WriteFile(*out, data, 0o644)
}
