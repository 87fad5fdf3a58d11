package main

import (
	"bytes"
	"slices"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/flakedup/flakedup/internal/testenv"
)

// TestNamesOnce: every flag of every command is wrapped, and answers Names
// as the urfave/cli flag it wraps does.
func TestNamesOnce(t *testing.T) {
	app := newApp(&env{})
	for _, cmd := range app.Commands {
		for _, f := range cmd.Flags {
			inner := unwrapFlag(f)
			if inner == f {
				t.Errorf("%s: flag %T (%v) is not wrapped", cmd.Name, f, f.Names())
				continue
			}
			if !slices.Equal(f.Names(), inner.Names()) {
				t.Errorf("%s: Names() = %v, the flag's own are %v", cmd.Name, f.Names(), inner.Names())
			}
		}
	}
	plain := &cli.BoolFlag{Name: "x"}
	if unwrapFlag(plain) != cli.Flag(plain) {
		t.Error("unwrapFlag changed a flag that is not wrapped")
	}
}

// TestHelpUnchangedByNamesOnce: the help of every command is the same bytes
// with the wrapped flags as with urfave/cli's own.
func TestHelpUnchangedByNamesOnce(t *testing.T) {
	help := func(name string, unwrap bool) string {
		app := newApp(&env{})
		var out bytes.Buffer
		app.Writer, app.ErrWriter = &out, &out
		if unwrap {
			for _, cmd := range app.Commands {
				for i, f := range cmd.Flags {
					cmd.Flags[i] = unwrapFlag(f)
				}
			}
		}
		if err := app.Run([]string{"flakedup", name, "--help"}); err != nil {
			t.Fatalf("flakedup %s --help: %v", name, err)
		}
		return out.String()
	}
	for _, cmd := range newApp(&env{}).Commands {
		got, want := help(cmd.Name, false), help(cmd.Name, true)
		if got != want {
			t.Errorf("flakedup %s --help differs with the wrapped flags:\n%s", cmd.Name, testenv.FirstDiff(want, got))
		}
		if len(got) < 200 {
			t.Errorf("flakedup %s --help printed only %q", cmd.Name, got)
		}
	}
}
