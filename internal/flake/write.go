package flake

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/flakedup/flakedup/rewrite"
)

// Write saves flake.nix (and, with lock, the predicted flake.lock)
// atomically; each file is refused when it changed since it was read, and
// both are checked before either is written, so that Write writes all or
// none. The files written are appended to o.Written.
//
// Write calls Edit first; it writes nothing when Edit set Manual.
func (o *Outcome) Write(lock bool) error {
	o.Edit()
	if o.Manual != nil {
		return o.Manual
	}
	fl := o.Flake
	writeNix := !bytes.Equal(o.NewNix, fl.NixSrc)
	writeLock := lock && string(o.PredictedLock()) != fl.LockSrc
	if writeNix {
		if err := rewrite.CheckWritable(fl.NixPath); err != nil {
			return err
		}
	}
	if writeLock {
		if err := rewrite.CheckWritable(fl.LockPath); err != nil {
			return err
		}
	}
	if writeNix {
		if err := rewrite.WriteFile(fl.NixPath, o.NewNix, fl.NixSrc); err != nil {
			return err
		}
		o.Written = append(o.Written, fl.NixPath)
	}
	if writeLock {
		if len(o.Stale) > 0 {
			return fmt.Errorf("%s: not written: flake.nix declares inputs the lock does not have (%s); run `nix flake lock` instead",
				fl.LockPath, strings.Join(o.Stale, ", "))
		}
		if err := rewrite.WriteFile(fl.LockPath, o.PredictedLock(), []byte(fl.LockSrc)); err != nil {
			if len(o.Written) > 0 {
				return fmt.Errorf("%w (flake.nix was written; run `nix flake lock` to update the lock)", err)
			}
			return err
		}
		o.Written = append(o.Written, fl.LockPath)
	}
	return nil
}

// ManualLines renders edits as the lines a user adds to the top-level
// attribute set of flake.nix by hand.
func ManualLines(edits []rewrite.Edit) []string {
	var lines []string
	for _, e := range edits {
		switch e := e.(type) {
		case rewrite.AddInput:
			lines = append(lines, fmt.Sprintf("inputs.%s.url = %s;", NixAttrName(e.Name), NixString(e.URL)))
		case rewrite.AddFollows:
			lines = append(lines, FollowsLine(e.Path, e.Target))
		}
	}
	return lines
}

// FollowsLine is the top-level flake.nix line that makes the input at path
// follow target: inputs.a.inputs.nixpkgs.follows = "nixpkgs";
func FollowsLine(path []string, target string) string {
	var b strings.Builder
	for i, seg := range path {
		if i > 0 {
			b.WriteString(".")
		}
		b.WriteString("inputs.")
		b.WriteString(NixAttrName(seg))
	}
	return fmt.Sprintf("%s.follows = %s;", b.String(), NixString(target))
}

// NixAttrName quotes an attribute name when it is not a plain identifier
// (or is a keyword).
func NixAttrName(s string) string {
	switch s {
	case "if", "then", "else", "assert", "with", "let", "in", "rec", "inherit", "or", "":
		return NixString(s)
	}
	for i, r := range s {
		ok := r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') ||
			(i > 0 && (r >= '0' && r <= '9' || r == '\'' || r == '-'))
		if !ok {
			return NixString(s)
		}
	}
	return s
}

// NixString writes s as a double-quoted Nix string.
func NixString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "${", `\${`, "\n", `\n`, "\r", `\r`, "\t", `\t`)
	return `"` + r.Replace(s) + `"`
}
