package flake

import (
	"fmt"
	"sort"
	"strings"

	"github.com/flakedup/flakedup/lockgraph"
	"github.com/flakedup/flakedup/rewrite"
)

// StaleLock lists how flake.lock falls behind flake.nix, one positioned
// message each, sorted by position; nil when the lock reflects what
// flake.nix declares (or when flake.nix cannot be modelled, so nothing can
// be compared). `nix flake lock` would change the lock in each case:
//
//   - a declared follows the lock does not have: the input is locked on its
//     own, or follows something else
//     (flake.nix:12:40: inputs.a.inputs.nixpkgs.follows = "nixpkgs" is not in flake.lock);
//   - a root input flake.nix declares that the lock lacks
//     (flake.nix:8:5: input "b" is not in flake.lock);
//   - a root input of the lock that flake.nix no longer declares, neither in
//     its inputs nor as an argument of its outputs function (which Nix
//     locks from the registry)
//     (flake.lock: root input "c" is no longer declared in flake.nix).
//
// A declared follows of an input the lock's node does not have is not
// stale: Nix ignores it (with a warning), and re-locking keeps it so.
// Neither is one under an input that itself follows another: Nix applies
// no override below a follows.
func (fl *Flake) StaleLock() []string {
	if fl.Inputs == nil || fl.Graph == nil {
		return nil
	}
	type entry struct {
		line, col int
		msg       string
	}
	var found []entry
	g := fl.Graph
	root := g.Nodes[g.Root]
	for _, f := range fl.Inputs.DeclaredFollows() {
		if staleFollows(g, f) {
			found = append(found, entry{f.Pos.Line, f.Pos.Column, fmt.Sprintf("flake.nix:%d:%d: %s = %q is not in flake.lock",
				f.Pos.Line, f.Pos.Column, followsAttr(f.Path), f.Target)})
		}
	}
	for _, name := range fl.Inputs.Names() {
		if _, ok := root.Inputs.Get(name); ok {
			continue
		}
		line, col := inputPosition(fl.File, fl.Inputs.Inputs[name])
		found = append(found, entry{line, col, fmt.Sprintf("flake.nix:%d:%d: input %q is not in flake.lock", line, col, name)})
	}
	declared := map[string]bool{"self": true}
	for _, name := range fl.Inputs.Names() {
		declared[name] = true
	}
	for _, name := range outputsFormals(fl.File) {
		declared[name] = true
	}
	for _, in := range root.Inputs {
		if !declared[in.Name] {
			found = append(found, entry{1 << 30, 0, fmt.Sprintf("flake.lock: root input %q is no longer declared in flake.nix", in.Name)})
		}
	}
	sort.SliceStable(found, func(i, j int) bool {
		if found[i].line != found[j].line {
			return found[i].line < found[j].line
		}
		return found[i].col < found[j].col
	})
	var out []string
	for _, e := range found {
		out = append(out, e.msg)
	}
	return out
}

// staleFollows reports whether the lock lacks the declared follows f: the
// input it overrides exists in the lock but does not denote the node its
// target path denotes.
func staleFollows(g *lockgraph.Graph, f rewrite.Follows) bool {
	cur := g.Root
	for i, seg := range f.Path {
		n, ok := g.Nodes[cur]
		if !ok {
			return false
		}
		in, ok := n.Inputs.Get(seg)
		if !ok {
			// A root input the lock lacks is reported on its own; an
			// override of an input the node does not have is ignored by Nix.
			return false
		}
		if i < len(f.Path)-1 {
			if in.IsFollows() {
				return false // no override applies below a follows
			}
			cur = in.Target
			continue
		}
		want, err := g.Resolve(f.TargetPath)
		if err != nil {
			return true // the target is not locked yet
		}
		return in.Target != want
	}
	return false
}

// followsAttr writes the attribute path of a follows as a user would at the
// top level: inputs.a.inputs.nixpkgs.follows.
func followsAttr(path []string) string {
	var b strings.Builder
	for _, seg := range path {
		b.WriteString("inputs." + seg + ".")
	}
	b.WriteString("follows")
	return b.String()
}

// inputPosition is the line and column of the first binding that mentions
// the input (column 0 when only the line is known).
func inputPosition(f *rewrite.File, in *rewrite.Input) (int, int) {
	if f != nil && len(in.Syntax) > 0 {
		pos := f.Position(in.Syntax[0].Span().Start)
		return pos.Line, pos.Column
	}
	return in.Line, 0
}

// outputsFormals are the argument names of the outputs function, `self`
// excluded: Nix locks each one that inputs does not declare from the flake
// registry, so the lock may hold them as root inputs.
func outputsFormals(f *rewrite.File) []string {
	if f == nil {
		return nil
	}
	top := f.Expr
	for {
		p, ok := top.(*rewrite.Paren)
		if !ok {
			break
		}
		top = p.Expr
	}
	set, ok := top.(*rewrite.AttrSet)
	if !ok {
		return nil
	}
	var names []string
	for _, b := range set.Bindings {
		def, ok := b.(*rewrite.AttrDef)
		if !ok || len(def.Path.Names) != 1 {
			continue
		}
		if name, _ := rewrite.StaticName(def.Path.Names[0]); name != "outputs" {
			continue
		}
		l, ok := def.Value.(*rewrite.Lambda)
		if !ok || l.Formals == nil {
			continue
		}
		for _, x := range l.Formals.Formals {
			if x.Name.Name != "self" {
				names = append(names, x.Name.Name)
			}
		}
	}
	return names
}
