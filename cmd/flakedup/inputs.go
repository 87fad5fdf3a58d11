package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/flakedup/flakedup/rewrite"
)

// inputsCommand is `flakedup inputs [PATH]`: it lists the inputs flake.nix
// declares, as flakedup reads them.
func inputsCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "inputs",
		Usage:     "list the inputs flake.nix declares, with their urls and follows",
		ArgsUsage: "[PATH]",
		Description: "PATH is a flake directory (default: the current one), its flake.lock, or a flake.nix file.\n" +
			"--format json prints the inputs exactly as " +
			"`nix-instantiate --eval --strict --json -E '(import ./flake.nix).inputs'` does,\n" +
			"without evaluating anything. Inputs computed by an expression are an error (exit 2).\n\n" +
			"Examples:\n" +
			"   flakedup inputs\n" +
			"   flakedup inputs --format json path/to/flake.nix | jq 'keys'",
		Flags: []cli.Flag{formatFlag(formatText, formatJSON)},
		Action: func(c *cli.Context) error {
			format, err := outputFormat(c, formatText, formatJSON)
			if err != nil {
				return err
			}
			if c.NArg() > 1 {
				return badInput(fmt.Errorf("inputs takes one PATH, got %d arguments", c.NArg()))
			}
			in, err := loadInputs(c.Args().First())
			if err != nil {
				return badInput(err)
			}
			if format == formatJSON {
				_, err := fmt.Fprintf(e.stdout, "%s\n", in.JSON())
				return err
			}
			return writeInputsText(e.stdout, in)
		},
	}
}

// loadInputs reads the flake.nix that PATH names (a flake directory, ""
// meaning ".", or the file itself) and returns its inputs. Errors name the
// file, and the line when the file is at fault.
func loadInputs(arg string) (*rewrite.Inputs, error) {
	if arg == "" {
		arg = "."
	}
	path := arg
	if info, err := os.Stat(arg); err == nil && info.IsDir() {
		path = filepath.Join(arg, "flake.nix")
	} else if filepath.Base(arg) == "flake.lock" {
		path = filepath.Join(filepath.Dir(arg), "flake.nix")
	}
	src, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("%s: no such file (pass a flake directory or its flake.nix)", path)
	case err != nil:
		return nil, fmt.Errorf("%s: %w", path, unwrapPathError(err))
	}
	f, err := rewrite.Parse(path, src)
	if err != nil {
		return nil, err
	}
	return f.Inputs()
}

// writeInputsText prints one line per declared input, by name: its name,
// the line that declares it, where it comes from, and the follows declared
// for its own inputs.
//
//	home-manager  line 4  github:nix-community/home-manager  follows nixpkgs=nixpkgs
//	nixpkgs       line 3  github:NixOS/nixpkgs/nixos-unstable
//	wallpapers    line 9  github:me/walls (flake = false)
func writeInputsText(w io.Writer, in *rewrite.Inputs) error {
	if len(in.Inputs) == 0 {
		_, err := fmt.Fprintln(w, "no inputs declared")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, name := range in.Names() {
		x := in.Inputs[name]
		line := fmt.Sprintf("%s\tline %d\t%s", name, x.Line, inputSource(x))
		if follows := declaredFollows(x, nil); len(follows) > 0 {
			line += "\tfollows " + strings.Join(follows, ", ")
		}
		fmt.Fprintln(tw, line)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("writing output: %w", err)
	}
	return nil
}

// inputSource describes where an input comes from: its url, its flake
// reference attributes, or the input it follows.
func inputSource(x *rewrite.Input) string {
	var s string
	switch {
	case x.Follows != nil:
		s = "follows " + followsTarget(*x.Follows)
	case x.URL != "":
		s = x.URL
	case len(x.Attrs) > 0:
		keys := make([]string, 0, len(x.Attrs))
		for k := range x.Attrs {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + "=" + attrText(x.Attrs[k])
		}
		s = "{" + strings.Join(parts, " ") + "}"
	default:
		s = "(no url)"
	}
	if x.Flake != nil && !*x.Flake {
		s += " (flake = false)"
	}
	return s
}

// attrText shows an attribute's value; a float as Nix prints it
// (0.1234567 is 0.123457), null as null.
func attrText(v any) string {
	switch v := v.(type) {
	case float64:
		return rewrite.FormatFloat(v)
	case nil:
		return "null"
	}
	return fmt.Sprint(v)
}

// declaredFollows lists the follows declared below x as
// "path/below/x=target", sorted by path.
func declaredFollows(x *rewrite.Input, prefix []string) []string {
	var out []string
	for _, name := range x.InputNames() {
		sub := x.Inputs[name]
		p := append(append([]string(nil), prefix...), name)
		if sub.Follows != nil {
			out = append(out, strings.Join(p, "/")+"="+followsTarget(*sub.Follows))
		}
		out = append(out, declaredFollows(sub, p)...)
	}
	return out
}

// followsTarget shows a follows target; "" (the root flake) as `""`.
func followsTarget(t string) string {
	if t == "" {
		return `""`
	}
	return t
}
