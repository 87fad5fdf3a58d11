// Command genlock writes a synthetic flake.lock, for timing whole programs
// on big inputs:
//
//	genlock -nodes 100000 -o big.lock
//	genlock -ladder 60 -o ladder.lock
package main

import (
	"flag"
	"fmt"
	"os"

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
	out := fs.String("o", "", "output file (default: standard output)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	data := genlock.Generate(*nodes)
	if *ladder > 0 {
		data = genlock.Ladder(*ladder)
	}
	if *out == "" {
		_, err := os.Stdout.Write(data)
		return err
	}
	return os.WriteFile(*out, data, 0o644)
}
