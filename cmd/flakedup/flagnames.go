package main

import "github.com/urfave/cli/v2"

// urfave/cli works a flag's names out anew each time it asks for them, with
// a regular expression per name, and it asks O(flags²) times per command
// run: runFlagActions calls IsSet for every flag, and IsSet of a flag that
// is not set scans the names of every flag before it. The flag types below
// answer Names from the list they worked out the first time; everything
// else is the embedded urfave/cli flag's. On the largest corpus lock that
// took `flakedup check` from 21.1M to 19.5M instructions (callgrind).
// newApp wraps every command's flags in them (withNamesOnce), and
// unwrapFlag gives the urfave/cli flag back for the type switches that need
// it (isBoolFlag).
//
// urfave/cli itself asks for the concrete types in two places, both about
// flags flakedup does not have: a *BoolFlag with DisableDefaultText (help
// text) and a hidden *BoolFlag (flag suggestions). TestNamesOnce and
// TestHelpUnchangedByNamesOnce hold the rest.

// namesOnce keeps a flag's names from the first time they are asked for
// (urfave/cli runs a command from one goroutine).
type namesOnce struct{ names []string }

// once returns the names kept, working them out with names the first time.
func (n *namesOnce) once(names func() []string) []string {
	if n.names == nil {
		n.names = names()
	}
	return n.names
}

type boolFlagNames struct {
	*cli.BoolFlag
	namesOnce
}

func (f *boolFlagNames) Names() []string { return f.once(f.BoolFlag.Names) }

type stringFlagNames struct {
	*cli.StringFlag
	namesOnce
}

func (f *stringFlagNames) Names() []string { return f.once(f.StringFlag.Names) }

type stringSliceFlagNames struct {
	*cli.StringSliceFlag
	namesOnce
}

func (f *stringSliceFlagNames) Names() []string { return f.once(f.StringSliceFlag.Names) }

type intFlagNames struct {
	*cli.IntFlag
	namesOnce
}

func (f *intFlagNames) Names() []string { return f.once(f.IntFlag.Names) }

type genericFlagNames struct {
	*cli.GenericFlag
	namesOnce
}

func (f *genericFlagNames) Names() []string { return f.once(f.GenericFlag.Names) }

// withNamesOnce returns flags with each flag of the types above wrapped so
// that its names are worked out once, when first asked for; other flags are kept as they are.
func withNamesOnce(flags []cli.Flag) []cli.Flag {
	out := make([]cli.Flag, len(flags))
	for i, f := range flags {
		switch f := f.(type) {
		case *cli.BoolFlag:
			out[i] = &boolFlagNames{BoolFlag: f}
		case *cli.StringFlag:
			out[i] = &stringFlagNames{StringFlag: f}
		case *cli.StringSliceFlag:
			out[i] = &stringSliceFlagNames{StringSliceFlag: f}
		case *cli.IntFlag:
			out[i] = &intFlagNames{IntFlag: f}
		case *cli.GenericFlag:
			out[i] = &genericFlagNames{GenericFlag: f}
		default:
			out[i] = f
		}
	}
	return out
}

// unwrapFlag returns the urfave/cli flag that withNamesOnce wrapped (f
// itself when it is not wrapped).
func unwrapFlag(f cli.Flag) cli.Flag {
	switch f := f.(type) {
	case *boolFlagNames:
		return f.BoolFlag
	case *stringFlagNames:
		return f.StringFlag
	case *stringSliceFlagNames:
		return f.StringSliceFlag
	case *intFlagNames:
		return f.IntFlag
	case *genericFlagNames:
		return f.GenericFlag
	}
	return f
}
