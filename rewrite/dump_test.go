package rewrite

import (
	"fmt"
	"strconv"
	"strings"
)

// dump renders a syntax tree as a compact S-expression, the golden format
// of the parser tests: `(+ 1 (* 2 3))`, `(attrs (= a.b 1) (inherit x))`.
func dump(n Node) string {
	var b strings.Builder
	dumpTo(&b, n)
	return b.String()
}

func dumpTo(b *strings.Builder, n Node) {
	w := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	list := func(head string, nodes ...Node) {
		w("(%s", head)
		for _, c := range nodes {
			b.WriteByte(' ')
			dumpTo(b, c)
		}
		b.WriteByte(')')
	}
	switch n := n.(type) {
	case *Ident:
		b.WriteString(n.Name)
	case *Literal:
		b.WriteString(n.Text)
	case *StringText:
		b.WriteString(strconv.Quote(n.Value))
	case *Interp:
		list("$", n.Expr)
	case *String:
		head := "str"
		if n.Indented {
			head = "istr"
		}
		list(head, n.Parts...)
	case *Path:
		list("path", n.Parts...)
	case *Paren:
		list("paren", n.Expr)
	case *List:
		list("list", n.Elems...)
	case *AttrSet:
		head := "attrs"
		if n.Rec {
			head = "rec"
		}
		dumpBindings(b, head, n.Bindings)
	case *AttrPath:
		for i, name := range n.Names {
			if i > 0 {
				b.WriteByte('.')
			}
			dumpTo(b, name)
		}
	case *AttrDef:
		list("=", n.Path, n.Value)
	case *Inherit:
		if n.From != nil {
			list("inherit-from", append([]Node{n.From}, n.Names...)...)
		} else {
			list("inherit", n.Names...)
		}
	case *Select:
		if n.Default != nil {
			list("select", n.Expr, n.Path, n.Default)
		} else {
			list("select", n.Expr, n.Path)
		}
	case *HasAttr:
		list("?", n.Expr, n.Path)
	case *Call:
		list("call", n.Func, n.Arg)
	case *Unary:
		if n.Op == TokenMinus {
			list("neg", n.Expr)
		} else {
			list("!", n.Expr)
		}
	case *Binary:
		list(strings.Trim(n.Op.String(), "'"), n.Left, n.Right)
	case *If:
		list("if", n.Cond, n.Then, n.Else)
	case *Assert:
		list("assert", n.Cond, n.Body)
	case *With:
		list("with", n.Scope, n.Body)
	case *Let:
		bindings := dump(&LegacyLet{Bindings: n.Bindings})
		w("(let%s %s)", strings.TrimSuffix(strings.TrimPrefix(bindings, "(let-legacy"), ")"), dump(n.Body))
	case *LegacyLet:
		dumpBindings(b, "let-legacy", n.Bindings)
	case *Lambda:
		b.WriteString("(lambda ")
		if n.Param != nil {
			b.WriteString(n.Param.Name)
			if n.Formals != nil {
				b.WriteByte('@')
			}
		}
		if n.Formals != nil {
			dumpTo(b, n.Formals)
		}
		b.WriteByte(' ')
		dumpTo(b, n.Body)
		b.WriteByte(')')
	case *Formals:
		var parts []string
		for _, f := range n.Formals {
			if f.Default != nil {
				parts = append(parts, f.Name.Name+"?"+dump(f.Default))
			} else {
				parts = append(parts, f.Name.Name)
			}
		}
		if n.Ellipsis {
			parts = append(parts, "...")
		}
		w("{%s}", strings.Join(parts, " "))
	default:
		w("<%T>", n)
	}
}

func dumpBindings(b *strings.Builder, head string, bs []Binding) {
	nodes := make([]Node, len(bs))
	for i, x := range bs {
		nodes[i] = x
	}
	fmt.Fprintf(b, "(%s", head)
	for _, c := range nodes {
		b.WriteByte(' ')
		dumpTo(b, c)
	}
	b.WriteByte(')')
}
