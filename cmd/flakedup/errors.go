package main

// The error document: under --format json every command prints exactly one
// JSON document on stdout, its report or, when it fails, this object. The
// one-line message still goes to stderr as in text mode.

import (
	"errors"
	"io"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/flakedup/flakedup/lockgraph"
	"github.com/flakedup/flakedup/rewrite"
)

// errorDoc is the JSON object a failed command prints under --format json.
// Every key is always present, with the same shape for every command:
//
//	{"error": "flake.nix:3:5: ...", "file": "flake.nix", "line": 3, "column": 5, "manual_lines": []}
//
// file is "" when the error concerns no file; line and column are 0 when
// it carries no position; manual_lines holds the lines to add to flake.nix
// by hand when fix refuses to edit it (see refused), else [].
type errorDoc struct {
	Error       string   `json:"error"`
	File        string   `json:"file"`
	Line        int      `json:"line"`
	Column      int      `json:"column"`
	ManualLines []string `json:"manual_lines"`
}

// refusalError is a refusal to edit flake.nix that comes with the lines to
// add by hand.
type refusalError struct {
	err   error
	lines []string
}

func (e *refusalError) Error() string { return e.err.Error() }

func (e *refusalError) Unwrap() error { return e.err }

// refused returns an error that makes run exit with code 2, print err as
// one line on stderr and, under --format json, print the error document
// with manualLines in "manual_lines". In text mode the caller prints the
// lines itself before returning the error; run prints only the message.
// Under --format json the caller must print nothing on stdout: run writes
// the error document only when stdout is still empty.
func refused(err error, manualLines []string) error {
	lines := append([]string{}, manualLines...)
	return &exitError{code: exitBadUsed, err: &refusalError{err: err, lines: lines}}
}

// positionPrefix matches a message that starts with "FILE:LINE:COLUMN: ",
// compiled on first use (only errors need it).
var positionPrefix = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^([^\s:][^:]*):([0-9]+):([0-9]+): `) })

// errorDocument builds the error document for err. The position comes, in
// order, from a rewrite.Error (a flake.nix parse error), from a
// lockgraph.LoadError that has one (a flake.lock syntax error, whose file
// is the prefix callers put in front of it), or from a message that starts
// with "FILE:LINE:COLUMN: "; a message that starts with a path to a
// flake.nix or flake.lock ("dir/flake.lock: ...") names that file.
func errorDocument(err error) errorDoc {
	msg := oneLine(err.Error())
	doc := errorDoc{Error: msg, ManualLines: []string{}}
	var re *refusalError
	if errors.As(err, &re) && re.lines != nil {
		doc.ManualLines = append(doc.ManualLines, re.lines...)
	}
	var pe *rewrite.Error
	if errors.As(err, &pe) {
		doc.File, doc.Line, doc.Column = pe.Pos.Filename, pe.Pos.Line, pe.Pos.Column
		return doc
	}
	if m := positionPrefix().FindStringSubmatch(msg); m != nil {
		line, lerr := strconv.Atoi(m[2])
		col, cerr := strconv.Atoi(m[3])
		if lerr == nil && cerr == nil {
			doc.File, doc.Line, doc.Column = m[1], line, col
			return doc
		}
	}
	doc.File = leadingFlakeFile(msg)
	var le *lockgraph.LoadError
	if errors.As(err, &le) && le.Line > 0 {
		doc.Line, doc.Column = le.Line, le.Column
	}
	return doc
}

// leadingFlakeFile returns the path msg starts with when that is a
// flake.nix or flake.lock followed by ": " ("dir/flake.lock: ..."), else "".
func leadingFlakeFile(msg string) string {
	path, _, ok := strings.Cut(msg, ": ")
	if !ok {
		return ""
	}
	if base := filepath.Base(path); base == "flake.lock" || base == "flake.nix" {
		return path
	}
	return ""
}

// writeErrorDocument prints the error document for err on w.
func writeErrorDocument(w io.Writer, err error) error {
	return writeJSON(w, errorDocument(err))
}

// wantsJSON reports whether the command that args run (args as flagsFirst
// returns them) was asked for --format json: the command exists, has a
// --format flag, and its last --format before "--" is json.
func wantsJSON(cmdFlags func(name string) []string, args []string) bool {
	if len(args) < 2 {
		return false
	}
	hasFormat := false
	for _, n := range cmdFlags(args[1]) {
		if n == "format" {
			hasFormat = true
		}
	}
	if !hasFormat {
		return false
	}
	json := false
	for i := 2; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		if !strings.HasPrefix(a, "-") {
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if name != "format" {
			continue
		}
		if !hasValue {
			if i+1 >= len(args) {
				break
			}
			i++
			value = args[i]
		}
		json = value == formatJSON
	}
	return json
}
