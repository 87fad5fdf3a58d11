package main

// Output helpers shared by every command: the --format flag, the decision
// to colour, JSON writing, and the injectable clock.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
)

// Output formats. Each command renders one report value in the formats it
// accepts; text is always the default.
const (
	formatText = "text"
	formatJSON = "json"
)

// formatFlag is the --format flag of a command that accepts the given
// formats (the first one is the default).
func formatFlag(formats ...string) *cli.StringFlag {
	return &cli.StringFlag{
		Name:  "format",
		Usage: "output format: " + strings.Join(formats, ", "),
		Value: formats[0],
	}
}

// outputFormat returns the --format value, checked against the formats the
// command accepts.
func outputFormat(c *cli.Context, formats ...string) (string, error) {
	f := c.String("format")
	for _, ok := range formats {
		if f == ok {
			return f, nil
		}
	}
	return "", badInput(fmt.Errorf("--format %q: want one of %s", f, strings.Join(formats, ", ")))
}

// useColor reports whether text output to e.stdout may be coloured: only
// when stdout is a terminal and NO_COLOR is unset or empty
// (https://no-color.org) and TERM is not "dumb". Tests write to buffers, so
// they never get colour.
func useColor(e *env) bool {
	if e.getenv("NO_COLOR") != "" || e.getenv("TERM") == "dumb" {
		return false
	}
	return isTerminal(e.stdout)
}

// palette wraps text in ANSI styles when colour is on and leaves it alone
// otherwise, so renderers never test the decision themselves.
type palette struct{ on bool }

func (p palette) wrap(code, s string) string {
	if !p.on || s == "" {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

// bold is for headings.
func (p palette) bold(s string) string { return p.wrap("1", s) }

// dim is for secondary detail.
func (p palette) dim(s string) string { return p.wrap("2", s) }

// yellow is for what the user may want to act on.
func (p palette) yellow(s string) string { return p.wrap("33", s) }

// green is for what is already fine.
func (p palette) green(s string) string { return p.wrap("32", s) }

// writeJSON writes v as indented JSON followed by a newline. Keys come out
// in struct field order, so a report type fixes its own schema; '<', '>'
// and '&' are written as they are.
func writeJSON(w io.Writer, v any) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("encoding JSON: %w", err)
	}
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("writing output: %w", err)
	}
	return nil
}

// nowEnv names the environment variable that fixes the clock, for tests and
// reproducible reports: an RFC 3339 time or a YYYY-MM-DD date (UTC).
const nowEnv = "FLAKEDUP_NOW"

// now returns the current time, or the time FLAKEDUP_NOW fixes.
func now(e *env) (time.Time, error) {
	v := e.getenv(nowEnv)
	if v == "" {
		return time.Now().UTC(), nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, badInput(fmt.Errorf("%s=%q: want an RFC 3339 time or a YYYY-MM-DD date", nowEnv, v))
}

// plural returns "1 copy" or "2 copies": n and the singular or plural noun.
func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
