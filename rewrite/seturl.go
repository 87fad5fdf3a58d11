package rewrite

import (
	"fmt"
	"strings"
)

// SetURL changes the url of the root input Name to URL (`fix --align`
// moves the primary nixpkgs to the common revision with it). It replaces
// only the url's value and keeps how it is written: a "..." string stays
// one, an indented string stays indented, and a bare URI literal stays bare when
// the new url is one too (else it becomes a "..." string). An input
// without a constant url is an error; an equal url makes it a no-op.
type SetURL struct {
	Name, URL string
}

// String is the edit in ParseEdit's form.
func (e SetURL) String() string { return "set-url " + e.Name + " " + editArg(e.URL) }

func (e SetURL) plan(s *Inputs) ([]textChange, error) {
	n := s.root.lookup(e.Name, "url")
	if n == nil {
		return nil, failf("set-url %s: no url declared for inputs.%s", e.Name, dotted([]string{e.Name}))
	}
	v, ok := n.value.(string)
	if !ok || n.attrs != nil || n.expr == nil {
		return nil, s.file.editError(n.pos, fmt.Sprintf("set-url %s: the url is not a string", e.Name))
	}
	if v == e.URL {
		return nil, nil
	}
	sp := n.expr.Span()
	return []textChange{{start: sp.Start, end: sp.End, text: urlText(n.expr, e.URL)}}, nil
}

// urlText writes url in the style of the expression it replaces.
func urlText(old Node, url string) string {
	switch old := old.(type) {
	case *String:
		if old.Indented {
			return "''" + strings.NewReplacer("''", "'''", "${", "''${").Replace(url) + "''"
		}
	case *Literal:
		if old.Kind == TokenURI && isURILiteral(url) {
			return url
		}
	}
	return nixString(url)
}

// isURILiteral reports whether Nix reads s, written bare, as one URI
// literal.
func isURILiteral(s string) bool {
	scheme := span([]byte(s), 0, isSchemeChar)
	return scheme > 0 && matchURI([]byte(s), scheme) == len(s)
}

func (e SetURL) expect(root *attrNode) { root.set(e.URL, e.Name, "url") }

func (e SetURL) check(*Inputs) error { return nil }
