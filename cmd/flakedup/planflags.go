package main

import (
	"strings"

	"github.com/urfave/cli/v2"
)

// planFlags are the flags that change what the plan is: fix takes them to
// decide what to write, check and analyze to report the same plan, so that
// a CI gate run with the flags of fix means what fix would do. Each call
// returns new flag values (cli keeps state in them).
func planFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "all", Usage: "deduplicate every duplicated source, not only nixpkgs"},
		&cli.StringFlag{Name: "policy", Usage: "which root nixpkgs a copy follows: primary or branch (default: the flake's convention, from its follows)"},
		&cli.BoolFlag{Name: "cross-branch", Usage: "let copies with no root input on their branch, and forks, follow the primary nixpkgs"},
		&cli.BoolFlag{Name: "add-inputs", Usage: "add a root nixpkgs input per branch that has 2 or more copies and none"},
		&cli.StringSliceFlag{Name: "include", Usage: "collapse this root input's copies although its binary cache says not to (repeatable)"},
		&cli.StringSliceFlag{Name: "ignore", Usage: "leave this root input or input path (a/nixpkgs) alone (repeatable)"},
		&cli.BoolFlag{Name: "promote", Usage: "add an intermediate input as a root input when a deep copy needs it"},
		&cli.BoolFlag{Name: "deep", Usage: "emit overrides deeper than two levels (needs Nix >= 2.30)"},
		&cli.StringFlag{Name: "nix-version", Usage: "the Nix that will lock the flake, e.g. 2.18 (default: nix --version, else 2.18)"},
	}
}

// fixCommandLine is the `flakedup fix` command that plans what c's
// planning flags planned, for messages that say what to run: "flakedup fix"
// when none is set, else with each set flag in planFlags' order
// ("flakedup fix --cross-branch --include hyprland"). Values are quoted
// when a shell would split them.
func fixCommandLine(c *cli.Context) string {
	line := "flakedup fix"
	for _, f := range planFlags() {
		name := f.Names()[0]
		if !c.IsSet(name) {
			continue
		}
		switch f.(type) {
		case *cli.BoolFlag:
			if c.Bool(name) {
				line += " --" + name
			}
		case *cli.StringSliceFlag:
			for _, v := range c.StringSlice(name) {
				line += " --" + name + " " + shellWord(v)
			}
		default:
			line += " --" + name + " " + shellWord(c.String(name))
		}
	}
	return line
}

// shellWord quotes s for a POSIX shell when it is not a plain word.
func shellWord(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@+,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
