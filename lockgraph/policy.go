package lockgraph

import (
	"fmt"
	"strings"
)

// TargetPolicy says which root input a copy of nixpkgs follows when the
// flake has several root nixpkgs inputs (issue 12, rule 2).
type TargetPolicy int

const (
	// TargetInfer (the zero value) infers the flake's convention from the
	// follows flake.nix already declares: when they send dependencies'
	// nixpkgs to the primary nixpkgs even though a root input on the copy's
	// own branch exists, or across branches, it is TargetPrimary, else
	// TargetBranch.
	TargetInfer TargetPolicy = iota
	// TargetPrimary sends every nixpkgs copy to the primary root nixpkgs
	// (`nixpkgs`, else the root input most lock edges resolve to), across
	// branches too: following that convention is what the author asked for.
	TargetPrimary
	// TargetBranch sends each copy to the root input on its own branch
	// class; a copy with no such root input is held back unless
	// Policy.CrossBranch or Policy.AddInputs.
	TargetBranch
)

// String is the word flakedup.toml and --policy use: "infer", "primary"
// or "branch".
func (t TargetPolicy) String() string {
	switch t {
	case TargetPrimary:
		return "primary"
	case TargetBranch:
		return "branch"
	default:
		return "infer"
	}
}

// ParseTargetPolicy reads "primary", "branch" or "infer" (or "", which is
// "infer"), as flakedup.toml's policy key and --policy write them.
func ParseTargetPolicy(s string) (TargetPolicy, error) {
	switch s {
	case "", "infer":
		return TargetInfer, nil
	case "primary":
		return TargetPrimary, nil
	case "branch":
		return TargetBranch, nil
	}
	return TargetInfer, fmt.Errorf("policy %q: want \"primary\" or \"branch\"", s)
}

// Hold is something the flake's author held back in flake.nix: a copy or a
// root input that Plan must not collapse. internal/flake finds them (a
// commented-out follows line, a `# flakedup: ignore` comment, a comment that
// says an input is pinned on purpose); Plan honours them with Reason.
type Hold struct {
	// Input is the input path held back: a root input name ([name]) holds
	// every copy below that input, and the input itself as a target of
	// nothing else; a longer path holds that copy.
	Input []string
	// Reason is the text shown for each copy it holds, naming the line,
	// e.g. `flake.nix:12: the follows is commented out ("# breaks the
	// build"): remove the comment to collapse it`.
	Reason string
}

// NewInput is a root input Plan asks to add to flake.nix (Policy.AddInputs):
// a nixpkgs on a branch class that has at least two copies and no root
// input, tracking the branch (never pinned to a revision).
type NewInput struct {
	// Name is the new root input's name, after the role: "nixpkgs-2505" for
	// nixos-25.05, "nixpkgs-unstable" for the rolling branches.
	Name string
	// URL is the flake reference to write, e.g.
	// "github:NixOS/nixpkgs/nixos-25.05".
	URL string
	// Class is the branch class it stands for (Branch.Class).
	Class string
	// Line is the exact line to write among the inputs, e.g.
	// `nixpkgs-2505.url = "github:NixOS/nixpkgs/nixos-25.05";`.
	Line string
	// Copies are the input paths of the copies that follow it.
	Copies [][]string
}

// Convention is how Plan chose targets among several root nixpkgs inputs.
type Convention struct {
	// Target is the policy applied: TargetPrimary or TargetBranch (never
	// TargetInfer).
	Target TargetPolicy
	// Inferred reports that Target was inferred from the declared follows
	// (Policy.Target was TargetInfer).
	Inferred bool
	// Primary is the name of the primary root nixpkgs input, or "" when the
	// flake has none.
	Primary string
	// Summary is one line for the user, e.g. "following this flake's
	// convention: everything follows nixpkgs", or "" when the flake has at
	// most one root nixpkgs input and nothing needed saying.
	Summary string
}

// CrossBranchFollows records a planned follows whose target is on another
// branch class than the copy it replaces.
type CrossBranchFollows struct {
	// Input is the copy's input path.
	Input []string
	// From is the branch the copy was on (its ref, "rev abc1234", or "the
	// default branch").
	From string
	// Target is the root input it now follows.
	Target string
	// To is the branch of the target.
	To string
}

// String renders c as `sops-nix/nixpkgs: nixos-unstable → nixpkgs (nixos-25.11)`.
func (c CrossBranchFollows) String() string {
	return fmt.Sprintf("%s: %s → %s (%s)", JoinPath(c.Input), c.From, c.Target, c.To)
}

// UnknownNameError is a Policy.Ignore or Policy.Include entry that names no
// input of the lock. cmd exits 2 on it.
type UnknownNameError struct {
	// Flag is the option the name came from: "--ignore" or "--include".
	Flag string
	// Name is the entry as given.
	Name string
	// Suggestion is the closest existing name or path, or "".
	Suggestion string
}

func (e *UnknownNameError) Error() string {
	msg := fmt.Sprintf("%s %s: no such input in flake.lock", e.Flag, e.Name)
	if e.Suggestion != "" {
		msg += fmt.Sprintf(" (did you mean %s?)", e.Suggestion)
	}
	return msg
}

// staleLockReason is the HeldBack reason of the copies below a root input
// that the lock has and flake.nix no longer declares.
const staleLockReason = "flake.lock is older than flake.nix: run `nix flake lock` first"

// splitEntry turns an Ignore or Include entry into an input path.
func splitEntry(entry string) []string {
	return strings.Split(strings.Trim(entry, "/"), "/")
}
