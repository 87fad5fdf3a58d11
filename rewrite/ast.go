package rewrite

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Span is a half-open byte range [Start, End) of the source. A node's span
// starts at its first token's Text and ends after its last token's Text: it
// never includes the whitespace or comments before the node.
type Span struct {
	Start, End int
}

// Node is any node of the syntax tree.
type Node interface {
	// Span is the node's byte range in the source.
	Span() Span
	// Tokens is the half-open range [first, end) of indexes into
	// File.Tokens that make up the node.
	Tokens() (first, end int)
	node()
}

// nodeBase carries the span and token range every node has.
type nodeBase struct {
	span             Span
	firstTok, endTok int
}

// Span is the node's byte range in the source.
func (b *nodeBase) Span() Span { return b.span }

// Tokens is the half-open range [first, end) of indexes into File.Tokens
// that make up the node.
func (b *nodeBase) Tokens() (first, end int) { return b.firstTok, b.endTok }

func (b *nodeBase) node() {}

// Ident is a name: a variable reference, an attribute name, a lambda's
// parameter or a formal. The keyword `or` used as an attribute name
// (`a.or`) or as a variable (`map or [ ]`) is an Ident named "or".
type Ident struct {
	nodeBase
	Name string
}

// Literal is an integer, float, search path (`<nixpkgs>`) or URI, kept
// as written. Kind is TokenInt, TokenFloat, TokenSearchPath or TokenURI.
type Literal struct {
	nodeBase
	Kind TokenKind
	Text string
}

// StringText is a literal piece of a string, indented string or path.
// Raw is the bytes as written; Value is what the piece means after Nix
// unescapes it (for indented strings: before indentation is stripped).
type StringText struct {
	nodeBase
	Raw   string
	Value string
}

// Interp is an interpolation `${ Expr }`, in a string, a path or an
// attribute path.
type Interp struct {
	nodeBase
	Expr Node
}

// String is a "..." string (Indented false) or an ”...” string
// (Indented true). Parts are *StringText and *Interp in source order.
type String struct {
	nodeBase
	Indented bool
	Parts    []Node
}

// Path is a path literal: ./a, a/b, /a, ~/a, possibly with interpolation
// (./a/${b}). Parts are *StringText and *Interp in source order.
type Path struct {
	nodeBase
	Parts []Node
}

// Paren is an expression in parentheses.
type Paren struct {
	nodeBase
	Expr Node
}

// List is `[ Elems ]`.
type List struct {
	nodeBase
	Elems []Node
}

// AttrSet is `{ bindings }` or `rec { bindings }`. Open and Close are the
// indexes in File.Tokens of its `{` and `}`.
type AttrSet struct {
	nodeBase
	Rec         bool
	Bindings    []Binding
	Open, Close int
}

// Binding is one binding of an attribute set or let: *AttrDef or *Inherit.
type Binding interface {
	Node
	binding()
}

// AttrPath is a dotted attribute path `a.b."c".${d}`. Each name is an
// *Ident, a *String or an *Interp; see StaticName.
type AttrPath struct {
	nodeBase
	Names []Node
}

// AttrDef is the binding `Path = Value;`.
type AttrDef struct {
	nodeBase
	Path  *AttrPath
	Value Node
}

func (*AttrDef) binding() {}

// Inherit is `inherit a b;` (From nil) or `inherit (From) a b;`. Each name
// is an *Ident or a *String (or an *Interp of a constant string).
type Inherit struct {
	nodeBase
	From  Node
	Names []Node
}

func (*Inherit) binding() {}

// Select is `Expr.Path` or `Expr.Path or Default` (Default nil when absent).
type Select struct {
	nodeBase
	Expr    Node
	Path    *AttrPath
	Default Node
}

// HasAttr is `Expr ? Path`.
type HasAttr struct {
	nodeBase
	Expr Node
	Path *AttrPath
}

// Call is the function application `Func Arg` (Nix's ExprApp). It was
// briefly named Apply, which is the name of the edit function.
type Call struct {
	nodeBase
	Func, Arg Node
}

// Unary is `!Expr` (Op TokenNot) or `-Expr` (Op TokenMinus).
type Unary struct {
	nodeBase
	Op   TokenKind
	Expr Node
}

// Binary is `Left Op Right` for every binary operator but `?`.
type Binary struct {
	nodeBase
	Op          TokenKind
	Left, Right Node
}

// If is `if Cond then Then else Else`.
type If struct {
	nodeBase
	Cond, Then, Else Node
}

// Assert is `assert Cond; Body`.
type Assert struct {
	nodeBase
	Cond, Body Node
}

// With is `with Scope; Body`.
type With struct {
	nodeBase
	Scope, Body Node
}

// Let is `let bindings in Body`.
type Let struct {
	nodeBase
	Bindings []Binding
	Body     Node
}

// LegacyLet is the old `let { bindings }` form, whose value is its `body`
// attribute.
type LegacyLet struct {
	nodeBase
	Bindings []Binding
}

// Lambda is a function. Param is the `x` of `x: …`, `x@{…}: …` or
// `{…}@x: …` (nil when absent); Formals is the `{ a, b ? d, ... }` pattern
// (nil for `x: …`).
type Lambda struct {
	nodeBase
	Param   *Ident
	Formals *Formals
	Body    Node
}

// Formals is the pattern `{ a, b ? d, ... }` of a lambda.
type Formals struct {
	nodeBase
	Formals  []*Formal
	Ellipsis bool
}

// Formal is one `Name` or `Name ? Default` of a pattern (Default nil when absent).
type Formal struct {
	nodeBase
	Name    *Ident
	Default Node
}

// StaticName returns the name an attribute path element stands for when it
// is known without evaluation: an identifier, a string without
// interpolation, or `${…}` around such a string, the way Nix decides.
func StaticName(n Node) (string, bool) {
	switch n := n.(type) {
	case *Ident:
		return n.Name, true
	case *String:
		if n.Indented {
			return "", false
		}
		return plainStringValue(n)
	case *Interp:
		return constantString(n.Expr)
	}
	return "", false
}

// Value returns the string's value when it has no interpolation: the
// escapes resolved and, for an indented string, the indentation stripped.
func (s *String) Value() (string, bool) {
	if s.Indented {
		var b strings.Builder
		for _, p := range stripIndentation(s.Parts) {
			t, ok := p.(string)
			if !ok {
				return "", false
			}
			b.WriteString(t)
		}
		return b.String(), true
	}
	return plainStringValue(s)
}

// plainStringValue is the value of a "..." string with no interpolation.
func plainStringValue(s *String) (string, bool) {
	if len(s.Parts) == 1 { // the common case, without a copy
		t, ok := s.Parts[0].(*StringText)
		if !ok {
			return "", false
		}
		return t.Value, true
	}
	var b strings.Builder
	for _, p := range s.Parts {
		t, ok := p.(*StringText)
		if !ok {
			return "", false
		}
		b.WriteString(t.Value)
	}
	return b.String(), true
}

// constantString reports whether e is, to Nix's parser, a constant string
// (an ExprString): a "..." string without interpolation, an indented string
// that strips down to one literal piece (or to nothing), or such an
// indented string made of one interpolated constant string; parentheses
// are transparent.
func constantString(e Node) (string, bool) {
	switch e := e.(type) {
	case *Paren:
		return constantString(e.Expr)
	case *String:
		if !e.Indented {
			return plainStringValue(e)
		}
		parts := stripIndentation(e.Parts)
		if len(parts) == 0 {
			return "", true
		}
		if len(parts) != 1 {
			return "", false
		}
		switch p := parts[0].(type) {
		case string:
			return p, true
		case *Interp:
			return constantString(p.Expr)
		}
	}
	return "", false
}

// stripIndentation mirrors Nix's stripIndentation for an indented string:
// it returns the parts that remain, each a string (literal text with the
// common indentation removed) or an *Interp.
func stripIndentation(parts []Node) []any {
	// Find the minimum indentation over lines with content.
	atStart := true
	minIndent := 1000000
	curIndent := 0
	for _, p := range parts {
		t, ok := p.(*StringText)
		if !ok || !hasIndentation(t) {
			if atStart {
				atStart = false
				if curIndent < minIndent {
					minIndent = curIndent
				}
			}
			continue
		}
		for i := 0; i < len(t.Value); i++ {
			c := t.Value[i]
			if atStart {
				if c == ' ' {
					curIndent++
				} else if c == '\n' {
					curIndent = 0
				} else {
					atStart = false
					if curIndent < minIndent {
						minIndent = curIndent
					}
				}
			} else if c == '\n' {
				atStart = true
				curIndent = 0
			}
		}
	}
	// Strip the indentation and drop the last line when it has only spaces.
	var out []any
	atStart = true
	curDropped := 0
	for n, p := range parts {
		t, ok := p.(*StringText)
		if !ok {
			atStart = false
			curDropped = 0
			out = append(out, p)
			continue
		}
		var s strings.Builder
		for i := 0; i < len(t.Value); i++ {
			c := t.Value[i]
			if atStart {
				if c == ' ' {
					if curDropped >= minIndent {
						s.WriteByte(c)
					}
					curDropped++
				} else if c == '\n' {
					curDropped = 0
					s.WriteByte(c)
				} else {
					atStart = false
					curDropped = 0
					s.WriteByte(c)
				}
			} else {
				s.WriteByte(c)
				if c == '\n' {
					atStart = true
				}
			}
		}
		str := s.String()
		if n == len(parts)-1 {
			if p := strings.LastIndexByte(str, '\n'); p >= 0 && strings.Trim(str[p+1:], " ") == "" {
				str = str[:p+1]
			}
		}
		out = append(out, str)
	}
	return out
}

// hasIndentation reports whether an indented string's text piece takes
// part in finding the common indentation: escapes (”$ ”' ”\x) and a
// lone $ or ' do not, as in Nix.
func hasIndentation(t *StringText) bool {
	return !strings.HasPrefix(t.Raw, "''") && t.Raw != "$" && t.Raw != "'"
}

// File is a parsed Nix file: its tokens, which concatenate to the source
// byte for byte, and its syntax tree.
type File struct {
	// Name is the file name used in positions and errors.
	Name string
	// Tokens are all tokens of the file; the last one is TokenEOF and its
	// Leading holds whatever trails the expression.
	Tokens []Token
	// Expr is the file's single top-level expression.
	Expr Node

	src        []byte
	lineStarts []int
}

// Bytes returns the file's bytes, rebuilt from its tokens: always equal to
// the source Parse was given.
func (f *File) Bytes() []byte {
	out := make([]byte, 0, len(f.src))
	for _, t := range f.Tokens {
		out = append(out, t.Leading...)
		out = append(out, t.Text...)
	}
	return out
}

// Position is a place in a file. Line and Column are 1-based; Column counts
// bytes, not characters (a tab is one column).
type Position struct {
	Filename string
	Offset   int
	Line     int
	Column   int
}

// String formats the position as "file:line:col".
func (p Position) String() string {
	return fmt.Sprintf("%s:%d:%d", p.Filename, p.Line, p.Column)
}

// Position maps a byte offset of the source to its line and column. An
// offset past the end maps to the position just after the last byte.
func (f *File) Position(offset int) Position {
	return positionIn(f.Name, f.lineStarts, len(f.src), offset)
}

// lineStartsOf returns the offset of the start of every line of src. Only
// "\n" ends a line, so "\r\n" files count lines the same way.
func lineStartsOf(src []byte) []int {
	starts := []int{0}
	for i, c := range src {
		if c == '\n' {
			starts = append(starts, i+1)
		}
	}
	return starts
}

func positionIn(name string, starts []int, size, offset int) Position {
	if offset < 0 {
		offset = 0
	}
	if offset > size {
		offset = size
	}
	line := sort.Search(len(starts), func(i int) bool { return starts[i] > offset }) - 1
	return Position{Filename: name, Offset: offset, Line: line + 1, Column: offset - starts[line] + 1}
}

// The kinds of error Parse returns, to test with errors.Is.
var (
	// ErrSyntax is a lexical or grammatical error.
	ErrSyntax = errors.New("syntax error")
	// ErrDuplicate is an attribute, inherited name or formal defined twice.
	ErrDuplicate = errors.New("duplicate definition")
	// ErrUndefined is a variable that is neither bound nor under a `with`.
	ErrUndefined = errors.New("undefined variable")
	// ErrDynamic is a dynamic attribute where Nix does not allow one
	// (in let, in inherit).
	ErrDynamic = errors.New("dynamic attribute not allowed")
	// ErrTooDeep is an expression nested deeper than the parser allows.
	ErrTooDeep = errors.New("expression nested too deeply")
	// ErrInternal is a bug in the parser, caught at the package boundary.
	ErrInternal = errors.New("internal parser error")
)

// Error is a positioned error from Parse: "flake.nix:12:5: message". It
// unwraps to one of ErrSyntax, ErrDuplicate, ErrUndefined, ErrDynamic,
// ErrTooDeep or ErrInternal.
type Error struct {
	Pos Position
	Msg string
	Err error
}

// Error formats the error as "file:line:col: message".
func (e *Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// Unwrap returns the kind of the error.
func (e *Error) Unwrap() error { return e.Err }
