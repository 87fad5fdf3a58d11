package lockgraph

import (
	"fmt"
	"github.com/flakedup/flakedup/internal/suggest"
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
	// From is the copy whose locked revision Result.Predicted gives the new
	// input (the newest of Copies); Nix will lock the branch's newest.
	From []string
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

// checkNames returns an *UnknownNameError for the first Ignore entry that
// names no input path of g and no root input, or Include entry that names
// no root input of g.
func checkNames(g *Graph, p Policy) error {
	root := g.Nodes[g.Root]
	rootNames := root.Inputs.Names()
	for _, entry := range p.Ignore {
		path := splitEntry(entry)
		if len(path) == 0 || path[0] == "" {
			return &UnknownNameError{Flag: "--ignore", Name: entry}
		}
		if _, err := g.Resolve(path); err == nil {
			continue
		}
		sugg := suggest.Best(path[len(path)-1], rootNames)
		if len(path) > 1 {
			if _, ok := root.Inputs.Get(path[0]); ok {
				if key, err := g.Resolve(path[:len(path)-1]); err == nil {
					if n := g.Nodes[key]; n != nil {
						if s := suggest.Best(path[len(path)-1], n.Inputs.Names()); s != "" {
							sugg = JoinPath(append(append([]string(nil), path[:len(path)-1]...), s))
						} else {
							sugg = ""
						}
					}
				}
			} else if s := suggest.Best(path[0], rootNames); s != "" {
				sugg = JoinPath(append([]string{s}, path[1:]...))
			} else {
				sugg = "" // the root input is unknown: its last segment says nothing
			}
		}
		return &UnknownNameError{Flag: "--ignore", Name: entry, Suggestion: sugg}
	}
	for _, name := range p.Include {
		if _, ok := root.Inputs.Get(name); !ok {
			return &UnknownNameError{Flag: "--include", Name: name, Suggestion: suggest.Best(name, rootNames)}
		}
	}
	return nil
}

// promoteDeclared gives the lock the root inputs that flake.nix declares
// (rootInputs) but the lock lacks, when a declared follows `P -> X` says
// where X comes from: a root input X added by an earlier `fix --promote`
// or `--add-inputs` that nobody has locked yet is the node at P, as Promote
// makes it. Chains (X promoted from a path through another promoted input)
// are resolved in as many passes as they need. It returns the lock and the
// declared follows that apply to it: those under a declared root input the
// lock lacks and that no follows accounts for are dropped (Nix has not
// locked that input: there is nothing to plan against).
func promoteDeclared(g *Graph, declared []Follows, rootInputs []string) (*Graph, []Follows, error) {
	if rootInputs == nil {
		return g, declared, nil
	}
	want := make(map[string]bool)
	for _, name := range rootInputs {
		if _, ok := g.Nodes[g.Root].Inputs.Get(name); !ok {
			want[name] = true
		}
	}
	for progress := true; progress && len(want) > 0; {
		progress = false
		for _, f := range declared {
			if len(f.Target) != 1 || !want[f.Target[0]] || len(f.Input) < 2 {
				continue
			}
			if directTarget(g, f.Input) == "" {
				continue
			}
			next, err := Promote(g, f.Target[0], f.Input)
			if err != nil {
				return nil, nil, fmt.Errorf("root input %q, declared in flake.nix and not yet locked: %w", f.Target[0], err)
			}
			g, progress = next, true
			delete(want, f.Target[0])
		}
	}
	var kept []Follows
	for _, f := range declared {
		if want[f.Input[0]] || len(f.Target) > 0 && want[f.Target[0]] {
			continue
		}
		kept = append(kept, f)
	}
	return g, kept, nil
}

// isIdent reports whether s can be written as a Nix attribute name without
// quotes.
func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z':
		case i > 0 && (r >= '0' && r <= '9' || r == '-' || r == '\''):
		default:
			return false
		}
	}
	return true
}

// attrName writes an input name as a Nix attribute name, quoted when needed.
func attrName(s string) string {
	if isIdent(s) {
		return s
	}
	return `"` + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), `"`, `\"`) + `"`
}

// FollowsLine is the flat flake.nix line that declares f:
// `inputs.sops-nix.inputs.nixpkgs.follows = "nixpkgs";`.
func FollowsLine(f Follows) string {
	var b strings.Builder
	for _, seg := range f.Input {
		b.WriteString("inputs.")
		b.WriteString(attrName(seg))
		b.WriteString(".")
	}
	b.WriteString(`follows = "`)
	b.WriteString(JoinPath(f.Target))
	b.WriteString(`";`)
	return b.String()
}

// newInputName is the role name of a new root nixpkgs input on a branch
// class: "nixpkgs-2505" for 25.05, "nixpkgs-unstable" for the rolling
// branches; "" for other classes (pins, staging, pull requests), which get
// none.
func newInputName(class string) string {
	switch {
	case class == ClassRolling:
		return "nixpkgs-unstable"
	case len(class) == 5 && class[2] == '.':
		return "nixpkgs-" + class[:2] + class[3:]
	}
	return ""
}

// newInputURL is the flake reference a new root input on a branch class
// tracks: nixos-YY.MM for a release, nixos-unstable for the rolling
// branches.
func newInputURL(class string) string {
	if class == ClassRolling {
		return "github:NixOS/nixpkgs/nixos-unstable"
	}
	return "github:NixOS/nixpkgs/nixos-" + class
}

// newInputLine is the flake.nix line that adds a root input.
func newInputLine(name, url string) string {
	return fmt.Sprintf("%s.url = %q;", attrName(name), url)
}
