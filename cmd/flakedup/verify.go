package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/flakedup/flakedup/internal/flake"
	"github.com/flakedup/flakedup/internal/verify"
)

// optionalValue is the value of a flag that may be given bare (--verify)
// or with a value (--verify=build). It reports itself as a boolean flag to
// the flag package, which then never takes the next argument as its
// value; flagsFirst does the same (see isBoolFlag).
type optionalValue struct {
	bare  string // the value of the bare flag
	set   bool
	value string
}

// Set records the flag; the flag package passes "true" for the bare form.
func (v *optionalValue) Set(s string) error {
	switch s {
	case "true":
		s = v.bare
	case "false":
		v.set, v.value = false, ""
		return nil
	}
	v.set, v.value = true, s
	return nil
}

func (v *optionalValue) String() string {
	if v == nil {
		return ""
	}
	return v.value
}

// IsBoolFlag makes the flag package accept the bare form.
func (v *optionalValue) IsBoolFlag() bool { return true }

// isBoolFlag reports whether f takes no separate value argument: a
// BoolFlag, or a flag whose value may be given bare.
func isBoolFlag(f cli.Flag) bool {
	switch f := unwrapFlag(f).(type) {
	case *cli.BoolFlag:
		return true
	case *cli.GenericFlag:
		b, ok := f.Value.(interface{ IsBoolFlag() bool })
		return ok && b.IsBoolFlag()
	}
	return false
}

// verifyFlags are the flags of --verify: fix has all of them, check the
// first three.
func verifyFlags(fix bool) []cli.Flag {
	flags := []cli.Flag{
		&cli.GenericFlag{Name: "verify", Value: &optionalValue{bare: string(verify.Eval)},
			Usage: "prove with nix that the flake still evaluates (--verify, --verify=eval) or builds (--verify=build) with the follows; needs nix ≥ " + verify.MinNix.String()},
		&cli.StringSliceFlag{Name: "verify-attr", Usage: "with --verify, evaluate only this flake attribute (repeatable), e.g. packages.x86_64-linux.default"},
		&cli.IntFlag{Name: "jobs", Value: runtime.NumCPU(), DefaultText: "the number of CPUs", Usage: "with --verify, run up to N evaluations at once"},
	}
	if fix {
		flags = append(flags,
			&cli.GenericFlag{Name: "drop-unused", Value: &optionalValue{},
				Usage: `with --verify, add follows = "" for dependencies' development inputs nobody uses (flake-compat, treefmt-nix, ...; --drop-unused=NAME,NAME adds names)`},
			&cli.BoolFlag{Name: "align", Usage: "with --verify, move the primary nixpkgs input to the common revision"},
		)
	}
	return flags
}

// verification is a --verify run as the commands render it; a nil
// *verification (no --verify) renders nothing and changes nothing.
type verification struct {
	*flake.Verification
}

// verifyOutcome runs --verify on out when c asks for it (nil otherwise).
// A missing or too old nix is exit 2 naming what is needed; a predicted
// lock Nix rejects is an internal error carrying Nix's message.
func verifyOutcome(c *cli.Context, e *env, out *flake.Outcome) (*verification, error) {
	flag, _ := c.Generic("verify").(*optionalValue)
	if flag == nil || !flag.set {
		for _, name := range []string{"verify-attr", "jobs", "drop-unused", "align"} {
			if c.IsSet(name) {
				return nil, badInput(fmt.Errorf("--%s needs --verify", name))
			}
		}
		return nil, nil
	}
	mode, err := verify.ParseMode(flag.value)
	if err != nil {
		return nil, badInput(err)
	}
	jobs := c.Int("jobs")
	if jobs < 1 {
		return nil, badInput(fmt.Errorf("--jobs %d: want 1 or more", jobs))
	}
	vo := flake.VerifyOptions{Mode: mode, Attrs: c.StringSlice("verify-attr"), Jobs: jobs, Align: c.Bool("align")}
	if drop, _ := c.Generic("drop-unused").(*optionalValue); drop != nil && drop.set {
		vo.DropUnused = true
		for _, name := range strings.Split(drop.value, ",") {
			if name = strings.TrimSpace(name); name != "" {
				vo.DropNames = append(vo.DropNames, name)
			}
		}
	}
	if isTerminal(e.stderr) {
		vo.Progress = func(p verify.Progress) { fmt.Fprintln(e.stderr, p) }
	}
	v, err := out.Verify(c.Context, vo)
	var nixErr *verify.NixError
	var lockErr *verify.LockError
	switch {
	case errors.As(err, &nixErr):
		return nil, badInput(err)
	case errors.As(err, &lockErr):
		return nil, badInput(fmt.Errorf("internal error: the predicted lock is wrong (please report this): %w", err))
	case err != nil:
		return nil, badInput(err)
	}
	return &verification{v}, nil
}

// outcome is the outcome to write and render: the verified one, or out
// without --verify or when the baseline failed.
func (v *verification) outcome(out *flake.Outcome) *flake.Outcome {
	if v == nil || !v.Result.Baseline.OK {
		return out
	}
	return v.Outcome
}

// canWrite reports whether fix may write: always without --verify, never
// when the flake as it is already fails.
func (v *verification) canWrite() bool { return v == nil || v.Result.Baseline.OK }

// exit is fix's result after its report: exit 1 when the baseline failed.
func (v *verification) exit() error {
	if v.canWrite() {
		return nil
	}
	return failed()
}

// lines are the text lines of the verify section (none without --verify).
func (v *verification) lines() []string {
	if v == nil {
		return nil
	}
	lines := v.Result.Lines()
	if a := v.Aligned; a != nil {
		lines = append(lines, fmt.Sprintf("aligned: %s.url = %q (every follows onto %s evaluates there)", a.Name, a.URL, a.Name))
	}
	return lines
}

// writeText prints the verify section after a text report.
func (v *verification) writeText(w io.Writer) error {
	var b strings.Builder
	for _, l := range v.lines() {
		b.WriteString(l + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeMarkdown prints the verify section as a markdown list.
func (v *verification) writeMarkdown(w io.Writer) error {
	lines := v.lines()
	if len(lines) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString("\n**verify**\n\n")
	for _, l := range lines {
		b.WriteString("- " + mdEscape(l) + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// violations are check's violations from --verify: a flake that already
// fails to evaluate.
func (v *verification) violations() []violation {
	if v == nil || v.Result.Baseline.OK {
		return nil
	}
	return []violation{{Rule: "verify", Source: "nixpkgs", Limit: 0, Actual: 1, Message: v.Result.Lines()[0]}}
}

// verifyJSON is the verify section of a JSON report: verify.Result's
// object plus "aligned": {"input", "url"} (null without --align or when
// nothing moved).
type verifyJSON struct{ v *verification }

// MarshalJSON splices "aligned" into the engine's object.
func (j verifyJSON) MarshalJSON() ([]byte, error) {
	doc, err := j.v.Result.MarshalJSON()
	if err != nil {
		return nil, err
	}
	aligned := []byte("null")
	if a := j.v.Aligned; a != nil {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(struct {
			Input string `json:"input"`
			URL   string `json:"url"`
		}{a.Name, a.URL}); err != nil {
			return nil, err
		}
		aligned = bytes.TrimSuffix(b.Bytes(), []byte("\n"))
	}
	doc = bytes.TrimSuffix(doc, []byte("}"))
	return append(append(append(doc, `,"aligned":`...), aligned...), '}'), nil
}

// json returns doc (a command's JSON report) with the "verify" key added
// last, or doc itself without --verify.
func (v *verification) json(doc any) any {
	if v == nil {
		return doc
	}
	return withVerify{doc: doc, verify: verifyJSON{v}}
}

// withVerify is a report document with "verify" appended to its keys.
type withVerify struct {
	doc    any
	verify verifyJSON
}

func (w withVerify) MarshalJSON() ([]byte, error) {
	doc, err := marshalNoEscape(w.doc)
	if err != nil {
		return nil, err
	}
	ver, err := w.verify.MarshalJSON()
	if err != nil {
		return nil, err
	}
	doc = bytes.TrimSuffix(doc, []byte("}"))
	return append(append(append(doc, `,"verify":`...), ver...), '}'), nil
}

func marshalNoEscape(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
