package flake

import (
	"fmt"
	"strings"

	"github.com/flakedup/flakedup/lockgraph"
	"github.com/flakedup/flakedup/rewrite"
)

// maxQuote is how much of an author's comment a reason quotes.
const maxQuote = 60

// intentPolicy adds what flake.nix says about its inputs to p: the holds
// from its comments (rewrite.Intent), its nixConfig substituters and its
// root inputs.
func intentPolicy(fl *Flake, p lockgraph.Policy) lockgraph.Policy {
	in := fl.Inputs.Intent()
	p.Holds = append(append([]lockgraph.Hold(nil), p.Holds...), holds(fl, in)...)
	p.Substituters = append(append([]string(nil), p.Substituters...), in.Substituters...)
	p.RootInputs = in.RootInputs
	return p
}

// holds turns the author's comments into the planner's holds, each with
// its one reason naming the flake.nix line that would change it.
//
//   - A commented-out follows of a dependency's input holds that copy. (A
//     commented-out follows of a root input says nothing about copies: the
//     planner never moves root inputs.)
//   - `# flakedup: ignore` holds the input it marks, and everything below.
//   - A pin comment holds the input and everything below, except on a root
//     input that is itself a nixpkgs copy: that one is never collapsed
//     anyway, and the comment says it tracks what it tracks on purpose, not
//     that the flake's other copies must not follow it.
func holds(fl *Flake, in *rewrite.Intent) []lockgraph.Hold {
	var out []lockgraph.Hold
	for _, c := range in.CommentedFollows {
		if len(c.Path) < 2 {
			continue
		}
		reason := fmt.Sprintf("%s: its follows is commented out at flake.nix line %d", lockgraph.JoinPath(c.Path), c.Line)
		if c.Comment != "" {
			reason += " (" + quote(strings.TrimSpace(strings.TrimLeft(c.Comment, "#"))) + ")"
		}
		out = append(out, lockgraph.Hold{Input: c.Path, Reason: reason + ": uncomment it to collapse the copy"})
	}
	for _, m := range in.Ignored {
		out = append(out, lockgraph.Hold{Input: m.Path,
			Reason: fmt.Sprintf("%s: marked `# flakedup: ignore` at flake.nix line %d: remove the comment to collapse it", lockgraph.JoinPath(m.Path), m.Line)})
	}
	for _, m := range in.Pinned {
		if len(m.Path) == 1 && rootIsNixpkgs(fl.Graph, m.Path[0]) {
			continue
		}
		out = append(out, lockgraph.Hold{Input: m.Path,
			Reason: fmt.Sprintf("%s: pinned on purpose, says flake.nix line %d (%s): remove the comment to collapse it",
				lockgraph.JoinPath(m.Path), m.Line, quote(m.Comment))})
	}
	return out
}

// rootIsNixpkgs reports whether the root input name of g is a nixpkgs copy.
func rootIsNixpkgs(g *lockgraph.Graph, name string) bool {
	in, ok := g.Nodes[g.Root].Inputs.Get(name)
	if !ok || in.IsFollows() {
		return false
	}
	n, ok := g.Nodes[in.Target]
	return ok && lockgraph.SourceOf(n).Nixpkgs
}

// quote puts a comment in quotes, shortened to maxQuote runes.
func quote(s string) string {
	r := []rune(s)
	if len(r) > maxQuote {
		s = strings.TrimSpace(string(r[:maxQuote])) + "…"
	}
	return `"` + s + `"`
}
