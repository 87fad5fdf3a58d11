package rewrite

import (
	"errors"
	"fmt"
)

// ErrNixRefuses is a flake.nix that Nix parses and evaluates, but that
// every `nix flake` command refuses: an unsupported top-level attribute, no
// outputs function, an input attribute of the wrong kind, a follows to a
// missing input (see CheckFlake). ErrFollowsTarget errors also unwrap to it.
var ErrNixRefuses = errors.New("Nix refuses this flake")

// CheckFlake checks what Nix's flake commands check on a flake.nix beyond
// its syntax, as far as flake.nix alone can tell, and returns the first
// problem as an *Error unwrapping to ErrNixRefuses, or nil. Each rule is
// what Nix 2.8 does (`nix flake metadata` on a local flake; see
// TestCheckFlakeNix, which asks it):
//
//   - the top-level attributes are description, inputs, outputs and
//     nixConfig ("flake '…' has an unsupported attribute 'foo'");
//   - outputs is there ("flake '…' lacks attribute 'outputs'") and is a
//     function ("expected a function but got a set"), when written as a
//     constant; description is a string;
//   - every input, and every override of a dependency's input, is an
//     attribute set ("expected a set but got a string"); its url and
//     follows are strings, its flake a Boolean, its inputs a set; any other
//     attribute is a string, a Boolean or an integer ("flake input attribute
//     'x' is a float while a string, Boolean, or integer is expected"), and
//     without a `type` attribute there is none ("unexpected flake input
//     attribute 'foo'"; with one, the fetcher decides, which is not
//     checked here);
//   - the follows targets: see CheckFollowsTargets.
//
// Inputs does not call it, since nix-instantiate evaluates such files and
// `flakedup inputs` shows what Nix evaluates; fix and check should call it
// (it includes CheckFollowsTargets) and refuse, exit 2, before planning.
func (s *Inputs) CheckFlake() error {
	if err := s.checkTopLevel(); err != nil {
		return err
	}
	for _, name := range sortedKeys(s.root.attrs) {
		if err := s.checkInput(s.root.attrs[name], []string{name}); err != nil {
			return err
		}
	}
	return s.CheckFollowsTargets()
}

func (s *Inputs) refuse(offset int, format string, args ...any) error {
	return &Error{Pos: s.file.Position(offset), Msg: fmt.Sprintf(format, args...), Err: ErrNixRefuses}
}

// checkTopLevel checks the top-level attribute names, outputs and
// description.
func (s *Inputs) checkTopLevel() error {
	var outputs Node
	sawOutputs := false
	for _, b := range s.top.Bindings {
		var names []Node
		var value Node
		switch x := b.(type) {
		case *AttrDef:
			names = x.Path.Names[:1]
			value = x.Value
			if len(x.Path.Names) > 1 {
				value = x.Path // `outputs.x = …;` makes a set
			}
		case *Inherit:
			names = x.Names
		}
		for _, n := range names {
			name, ok := StaticName(n)
			if !ok {
				continue // Inputs has refused a dynamic top-level name
			}
			switch name {
			case "inputs", "nixConfig":
			case "description":
				if v, ok := constantValue(value); value != nil && ok {
					if _, isString := v.(string); !isString {
						return s.refuse(value.Span().Start, "description must be a string, not %s (Nix: \"expected a string\")", kindOfValue(v))
					}
				}
			case "outputs":
				sawOutputs, outputs = true, value
			default:
				return s.refuse(n.Span().Start, "unsupported top-level attribute %q: a flake has only description, inputs, outputs and nixConfig (Nix: \"flake has an unsupported attribute '%s'\")", name, name)
			}
		}
	}
	if !sawOutputs {
		return s.refuse(s.top.Span().Start, "the flake has no outputs (Nix: \"flake lacks attribute 'outputs'\"); add `outputs = { self, ... }: { };`")
	}
	if outputs != nil {
		e := outputs
		for {
			p, ok := e.(*Paren)
			if !ok {
				break
			}
			e = p.Expr
		}
		var what string
		switch e.(type) {
		case *AttrSet, *AttrPath:
			what = "an attribute set"
		case *List:
			what = "a list"
		case *String, *Literal:
			what = describeExpr(e)
			if v, ok := constantValue(e); ok {
				what = kindOfValue(v)
			}
		case *Ident:
			if v, ok := constantValue(e); ok {
				what = kindOfValue(v)
			}
		}
		if what != "" {
			return s.refuse(outputs.Span().Start, "outputs must be a function, not %s (Nix: \"expected a function\")", what)
		}
	}
	return nil
}

// kindOfValue names a constant's type the way messages do.
func kindOfValue(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case bool:
		return "a Boolean"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	}
	return "null"
}

// checkInput checks one input (or override) node at path.
func (s *Inputs) checkInput(n *attrNode, path []string) error {
	what := "inputs." + dotted(inputPathToAttrPath(path))
	if n.attrs == nil {
		return s.refuse(n.offset(), "%s must be an attribute set, not %s (Nix: \"expected a set\")", what, kindOfValue(n.value))
	}
	_, hasType := n.attrs["type"]
	for _, key := range sortedKeys(n.attrs) {
		a := n.attrs[key]
		attr := what + "." + nixAttrName(key, false)
		switch key {
		case "url", "follows":
			if _, ok := a.value.(string); !ok || a.attrs != nil {
				return s.refuse(a.offset(), "%s must be a string, not %s (Nix: \"expected a string\")", attr, a.kind())
			}
		case "flake":
			if _, ok := a.value.(bool); !ok || a.attrs != nil {
				return s.refuse(a.offset(), "%s must be true or false, not %s (Nix: \"expected a Boolean\")", attr, a.kind())
			}
		case "inputs":
			if a.attrs == nil {
				return s.refuse(a.offset(), "%s must be an attribute set, not %s (Nix: \"expected a set\")", attr, a.kind())
			}
			for _, sub := range sortedKeys(a.attrs) {
				if err := s.checkInput(a.attrs[sub], append(append([]string(nil), path...), sub)); err != nil {
					return err
				}
			}
		default:
			ok := false
			switch a.value.(type) {
			case string, bool, int64:
				ok = a.attrs == nil
			}
			if !ok {
				return s.refuse(a.offset(), "%s is %s; a flake input attribute is a string, a Boolean or an integer (Nix: \"flake input attribute '%s' is %s while a string, Boolean, or integer is expected\")",
					attr, a.kind(), key, a.kind())
			}
			if !hasType && key != "type" {
				return s.refuse(a.offset(), "%s: unexpected flake input attribute; without `type = …;` an input has only url, flake, follows and inputs (Nix: \"unexpected flake input attribute '%s'\")", attr, key)
			}
		}
	}
	return nil
}

// offset is where the node's value is written (its first binding for a set).
func (n *attrNode) offset() int {
	if n.attrs == nil && n.expr != nil {
		return n.expr.Span().Start
	}
	return n.pos
}

// kind names what the node holds.
func (n *attrNode) kind() string {
	if n.attrs != nil {
		return "an attribute set"
	}
	return kindOfValue(n.value)
}
