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
	"io"
	"os"
	"strings"

	"github.com/urfave/cli/v2"
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
	os.Exit(run(context.Background(), os.Args, os.Stdin, os.Stdout, os.Stderr, os.Getenv))
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
}

// run executes flakedup with args (args[0] is the program name) and returns
// the process exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) (code int) {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}
	defer func() {
		// The one recover of the program: a bug must still end in one line
		// and exit code 2, never a goroutine dump.
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "flakedup: internal error: %v (please report this)\n", r)
			code = exitBadUsed
		}
	}()
	app := newApp(e)
	err := app.RunContext(ctx, args)
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintf(stderr, "flakedup: %s\n", oneLine(ee.err.Error()))
		}
		return ee.code
	}
	// Anything else is a usage error from cli (unknown flag, bad value).
	fmt.Fprintf(stderr, "flakedup: %s\n", oneLine(err.Error()))
	return exitBadUsed
}

// oneLine folds a message onto a single line so errors stay one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.TrimSpace(s)), " ")
}

// newApp builds the command tree. Each command lives in its own file.
func newApp(e *env) *cli.App {
	return &cli.App{
		Name:      "flakedup",
		Usage:     "find and collapse duplicated nixpkgs copies in a flake's lock",
		Version:   versionString(),
		Reader:    e.stdin,
		Writer:    e.stdout,
		ErrWriter: e.stderr,
		// Errors are printed once, by run; cli must not print or exit.
		ExitErrHandler:       func(*cli.Context, error) {},
		HideHelpCommand:      true,
		EnableBashCompletion: true,
		Commands:             commands(e),
		OnUsageError: func(c *cli.Context, err error, _ bool) error {
			return badInput(fmt.Errorf("%w (see 'flakedup %s --help')", err, c.Command.Name))
		},
	}
}

// commands lists the subcommands; each file adds its own constructor here.
func commands(e *env) []*cli.Command {
	return []*cli.Command{
		completionCommand(e),
		analyzeCommand(e),
	}
}
