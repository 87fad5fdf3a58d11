// Command flakedup finds the duplicated copies of nixpkgs (and of any other
// source) in a flake's lock, explains where each comes from, and writes the
// follows edges that collapse them into flake.nix.
//
// main is deliberately thin: it hands the arguments and the standard streams
// to run, and maps the error run returns to an exit code. Tests call run
// in-process with buffers.
package main

import (
	"context"
	"errors"
	"fmt"
	"github.com/flakedup/flakedup/internal/suggest"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/flakedup/flakedup/internal/gcpace"
	"github.com/flakedup/flakedup/internal/nixversion"
)

// Exit codes shared by every command.
const (
	exitOK      = 0 // success, or nothing to do
	exitFailed  = 1 // a check found violations
	exitBadUsed = 2 // bad input, bad usage, or an I/O error
)

// version is the module version; release builds set it with
// -ldflags "-X main.version=v1.2.3". `go install ...@vX` builds report the
// module version from the build info instead (see versionString).
var version = ""

func main() {
	ctx := context.Background()
	cache := nixversion.Cache{}
	if dir, err := os.UserCacheDir(); err == nil {
		cache.Dir = filepath.Join(dir, "flakedup")
	}
	detect := once(func() (nixversion.Version, bool) { return cache.Detect(ctx) })
	os.Exit(run(ctx, os.Args, os.Stdin, os.Stdout, os.Stderr, os.Getenv, detect))
}

// once returns detect that runs f on its first call only and then repeats
// its answer, so that a run checking several flakes asks nix once, and a
// run that needs no target Nix never does.
func once(f func() (nixversion.Version, bool)) func() (nixversion.Version, bool) {
	var (
		done bool
		v    nixversion.Version
		ok   bool
	)
	return func() (nixversion.Version, bool) {
		if !done {
			v, ok = f()
			done = true
		}
		return v, ok
	}
}

// exitError carries an exit code through cli's error return. The message,
// when not empty, is printed on stderr as one line.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return ""
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// failed returns an error that makes run exit with code 1 without printing
// anything more (the command has already reported the violations).
func failed() error { return &exitError{code: exitFailed} }

// badInput wraps err so that run exits with code 2 and prints it.
func badInput(err error) error { return &exitError{code: exitBadUsed, err: err} }

// env is what every command needs from its surroundings; it replaces global
// state so tests can run commands in-process.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	// detectNix reports the version of the nix on PATH. Commands call it
	// only when they need the target Nix and neither --nix-version nor
	// flakedup.toml gives it; the real program answers from the
	// nixversion.Cache in the user cache dir and runs `nix --version` at
	// most once per binary (tests pin it).
	detectNix func() (nixversion.Version, bool)
	// release holds what to undo when run returns (file mappings).
	release []func()
	// pacer paces the collector for the largest lock the run has read
	// (paceGC); nil until a big lock is read. run stops it when it returns.
	pacer *gcpace.Pacer
}

// run executes flakedup with args (args[0] is the program name) and returns
// the process exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer,
	getenv func(string) string, detectNix func() (nixversion.Version, bool)) (code int) {
	out := &countingWriter{w: stdout}
	e := &env{stdin: stdin, stdout: out, stderr: stderr, getenv: getenv, detectNix: detectNix}
	// fail prints an error; set below once the arguments are known.
	fail := func(err error) int {
		fmt.Fprintf(stderr, "flakedup: %s\n", oneLine(err.Error()))
		return exitBadUsed
	}
	// A fault reading a mapped file (another process truncated it) panics
	// instead of killing the process, so that the recover below reports it.
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		for _, release := range e.release {
			release()
		}
		if e.pacer != nil {
			e.pacer.Stop()
		}
	}()
	defer func() {
		// The one recover of the program: a bug must still end in one line
		// and exit code 2, never a goroutine dump.
		if r := recover(); r != nil {
			var msg error
			if _, fault := r.(interface{ Addr() uintptr }); fault {
				msg = fmt.Errorf("a file changed while flakedup was reading it (%v); run again", r)
			} else {
				msg = fmt.Errorf("internal error: %v (please report this)", r)
			}
			code = fail(msg)
		}
	}()
	app := newApp(e)
	args = flagsFirst(app, helpAsFlag(args))
	wantJSON := wantsJSON(func(name string) []string { return commandFlags(app, name) }, args)
	// fail reports err as one line on stderr and, under --format json,
	// as the error document on stdout, unless the command already wrote
	// its report there (stdout holds exactly one document).
	fail = func(err error) int {
		fmt.Fprintf(stderr, "flakedup: %s\n", oneLine(err.Error()))
		if wantJSON && out.n == 0 {
			if werr := writeErrorDocument(out, err); werr != nil {
				fmt.Fprintf(stderr, "flakedup: %s\n", oneLine(werr.Error()))
			}
		}
		return exitBadUsed
	}
	err := unknownCommand(app, args)
	if err == nil {
		err = app.RunContext(ctx, args)
	}
	if err == nil {
		return exitOK
	}
	code = exitBadUsed
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
		if ee.err == nil {
			return code
		}
		err = ee.err
	}
	// Anything that is not an exitError is a usage error from cli (unknown
	// flag, bad value).
	fail(err)
	return code
}

// helpAsFlag turns `flakedup help [COMMAND]` into `flakedup [COMMAND]
// --help` (the help command itself is hidden).
func helpAsFlag(args []string) []string {
	if len(args) < 2 || args[1] != "help" {
		return args
	}
	out := append([]string{args[0]}, args[2:]...)
	return append(out, "--help")
}

// unknownCommand returns a usage error when args name a command the app
// does not have: it says so, suggests the closest command, and lists them
// all (urfave/cli would say "No help topic for ..."). It returns nil when
// args name a command or none.
func unknownCommand(app *cli.App, args []string) error {
	if len(args) < 2 || strings.HasPrefix(args[1], "-") || app.Command(args[1]) != nil {
		return nil
	}
	name := args[1]
	var names []string
	for _, c := range app.Commands {
		if !c.Hidden {
			names = append(names, c.Name)
		}
	}
	msg := fmt.Sprintf("unknown command %q", name)
	if best := closestName(name, names); best != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", best)
	}
	return badInput(fmt.Errorf("%s; the commands are %s (see 'flakedup --help')", msg, strings.Join(names, ", ")))
}

// closestName returns the command that word most likely misspells: the
// one it starts (two letters or more), else the nearest by edit distance
// (suggest.Best); "" when none is close.
func closestName(word string, names []string) string {
	w := strings.ToLower(word)
	for _, n := range names {
		if len(w) >= 2 && strings.HasPrefix(n, w) {
			return n
		}
	}
	return suggest.Best(w, names)
}

// commandFlags returns the names of the flags of app's command name (nil
// when there is no such command).
func commandFlags(app *cli.App, name string) []string {
	cmd := app.Command(name)
	if cmd == nil {
		return nil
	}
	var names []string
	for _, f := range cmd.Flags {
		names = append(names, f.Names()...)
	}
	return names
}

// countingWriter counts the bytes written through it, so that run knows
// whether a command printed anything on stdout before it failed.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// flagsFirst lets flags follow the positional arguments, as in
// `flakedup analyze . --format json`: urfave/cli stops reading flags at the
// first positional argument, so the flags of the subcommand (and their
// values) are moved in front of its positional arguments. Everything after a
// literal "--" stays where it is.
func flagsFirst(app *cli.App, args []string) []string {
	if len(args) < 3 {
		return args
	}
	cmd := app.Command(args[1])
	if cmd == nil {
		return args
	}
	takesValue := map[string]bool{}
	for _, f := range cmd.Flags {
		for _, name := range f.Names() {
			takesValue[name] = !isBoolFlag(f)
		}
	}
	var flags, positional []string
	rest := args[2:]
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		if a == "--" {
			positional = append(positional, rest[i:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			positional = append(positional, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") {
			continue
		}
		if takesValue[name] && i+1 < len(rest) {
			i++
			flags = append(flags, rest[i])
		}
	}
	out := append([]string{args[0], args[1]}, flags...)
	return append(out, positional...)
}

// oneLine folds a message onto a single line so errors stay one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.TrimSpace(s)), " ")
}

// newApp builds the command tree. Each command lives in its own file.
func newApp(e *env) *cli.App {
	onUsageError := func(c *cli.Context, err error, _ bool) error {
		name := "flakedup"
		if c.Command != nil && c.Command.Name != "" && c.Command.Name != "flakedup" {
			name += " " + c.Command.Name
		}
		return badInput(fmt.Errorf("%w (see '%s --help')", err, name))
	}
	cmds := commands(e)
	for _, cmd := range cmds {
		cmd.HideHelpCommand = true
		cmd.Flags = withNamesOnce(cmd.Flags)
		if cmd.OnUsageError == nil {
			cmd.OnUsageError = onUsageError
		}
	}
	return &cli.App{
		Name:  "flakedup",
		Usage: "find and collapse duplicated nixpkgs copies in a flake's lock",
		Description: `Every flake input that brings its own nixpkgs adds one more copy of nixpkgs to
flake.lock: one more download, one more evaluation. flakedup finds those copies,
explains where each comes from, and writes the follows edges that collapse them
into flake.nix. It needs no nix at run time.

A typical session, in a flake directory:
   flakedup analyze              # how many copies, which revisions, who pulls them in
   flakedup fix --dry-run        # the follows it would add, as a diff
   flakedup fix && nix flake lock
   flakedup check                # in CI: exit 1 while a copy could still follow the root's`,
		Version:   versionString(),
		Reader:    e.stdin,
		Writer:    e.stdout,
		ErrWriter: e.stderr,
		// Errors are printed once, by run; cli must not print or exit.
		ExitErrHandler:       func(*cli.Context, error) {},
		HideHelpCommand:      true,
		EnableBashCompletion: true,
		Commands:             cmds,
		OnUsageError:         onUsageError,
	}
}

// commands lists the subcommands; each file adds its own constructor here.
func commands(e *env) []*cli.Command {
	return []*cli.Command{
		analyzeCommand(e),
		fixCommand(e),
		checkCommand(e),
		whyCommand(e),
		graphCommand(e),
		inputsCommand(e),
		completionCommand(e),
	}
}
