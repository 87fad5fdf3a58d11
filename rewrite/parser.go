package rewrite

import (
	"fmt"
	"strings"
)

// maxDepth bounds how deeply expressions may nest; deeper input is an
// error (ErrTooDeep) rather than a stack overflow.
const maxDepth = 5000

// Parse parses src, the contents of the Nix file filename, into a File.
// It accepts exactly what `nix-instantiate --parse` (Nix 2.8) accepts:
// besides syntax errors it rejects duplicate attributes and formals,
// dynamic attributes in let and inherit, and undefined variables. The
// returned error is an *Error. File.Bytes() is always equal to src.
func Parse(filename string, src []byte) (f *File, err error) {
	starts := lineStartsOf(src)
	defer func() {
		if r := recover(); r != nil {
			f = nil
			var b bailout
			if e, ok := r.(bailout); ok {
				b = e
			} else {
				b = bailout{offset: 0, msg: fmt.Sprintf("internal error: %v", r), kind: ErrInternal}
			}
			err = &Error{Pos: positionIn(filename, starts, len(src), b.offset), Msg: b.msg, Err: b.kind}
		}
	}()
	tokens, lexErr := lex(src)
	p := &parser{src: src, text: string(src), tokens: tokens, lexErr: lexErr, models: map[Node]*attrModel{}}
	expr := p.parseExpr()
	if p.kind() != TokenEOF {
		p.unexpected("end of file")
	}
	p.checkScope(expr)
	return &File{Name: filename, Tokens: tokens, Expr: expr, src: src, lineStarts: starts}, nil
}

// bailout is the panic value that carries a parse error to Parse.
type bailout struct {
	offset int
	msg    string
	kind   error
}

// parser is a recursive-descent parser over the token list, following
// the grammar of Nix 2.8's parser.y.
type parser struct {
	src []byte
	// text is src as a string, copied once, so that names and literals
	// are views of it rather than a copy each.
	text   string
	tokens []Token
	i      int // index of the current token
	lexErr *lexError
	depth  int
	models map[Node]*attrModel // the attributes of each attrset, let and legacy let, after merges
}

func (p *parser) tok() Token      { return p.tokens[p.i] }
func (p *parser) kind() TokenKind { return p.tokens[p.i].Kind }
func (p *parser) next()           { p.i++ }
func (p *parser) fail(offset int, kind error, format string, args ...any) {
	panic(bailout{offset: offset, msg: fmt.Sprintf(format, args...), kind: kind})
}

// tokText is the current token's text, a view of p.text.
func (p *parser) tokText() string {
	t := &p.tokens[p.i]
	return p.text[t.Offset : t.Offset+len(t.Text)]
}

// peek returns the kind of the token n places ahead (TokenEOF past the end).
func (p *parser) peek(n int) TokenKind {
	if p.i+n < len(p.tokens) {
		return p.tokens[p.i+n].Kind
	}
	return TokenEOF
}

// enter counts one level of nesting (an expression in parentheses,
// braces, brackets or an interpolation, an operand, a select default);
// leave undoes it.
func (p *parser) enter() {
	p.depth++
	if p.depth > maxDepth {
		p.fail(p.tok().Offset, ErrTooDeep, "expression nested more than %d levels deep", maxDepth)
	}
}

func (p *parser) leave() { p.depth-- }

// describe names a token for an error message.
func describe(t Token) string {
	switch t.Kind {
	case TokenEOF:
		return "end of file"
	case TokenPathEnd:
		return "end of path"
	case TokenIdent, TokenInt, TokenFloat, TokenPath, TokenHomePath, TokenSearchPath,
		TokenURI, TokenPathText, TokenStringText, TokenIndText:
		return fmt.Sprintf("%s %q", t.Kind, t.Text)
	}
	if t.Kind == TokenOther {
		return fmt.Sprintf("character %q", t.Text)
	}
	return fmt.Sprintf("'%s'", t.Text)
}

// unexpected reports the current token as unexpected (or the lexer's
// error, when the current token is where the lexer gave up).
func (p *parser) unexpected(expecting string) {
	t := p.tok()
	if t.Kind == TokenIllegal && p.lexErr != nil {
		p.fail(p.lexErr.offset, ErrSyntax, "%s", p.lexErr.msg)
	}
	if t.Kind == TokenEOF && len(t.Text) == 0 {
		// Like Nix, point at the end of the last token or comment, not at
		// the whitespace after it: a truncated file's error names the line
		// where it was cut.
		end := len(p.src)
		for end > 0 && (p.src[end-1] == ' ' || p.src[end-1] == '\t' || p.src[end-1] == '\r' || p.src[end-1] == '\n') {
			end--
		}
		p.fail(end, ErrSyntax, "unexpected end of file, expecting %s (is the file cut short?)", expecting)
	}
	if t.Kind == TokenOther {
		if what := p.invisible(t.Offset); what != "" {
			p.fail(t.Offset, ErrSyntax, "unexpected %s; Nix allows only spaces, tabs, CR and LF between tokens (remove it)", what)
		}
	}
	p.fail(t.Offset, ErrSyntax, "unexpected %s, expecting %s", describe(t), expecting)
}

// invisible names the byte sequence at offset when it is one a user cannot
// see in an editor and Nix's lexer does not take as whitespace (its
// whitespace is [ \t\r\n]; anything else outside a string or comment is a
// token of its own that the parser rejects: "unexpected invalid token").
func (p *parser) invisible(offset int) string {
	rest := p.src[offset:]
	switch {
	case len(rest) >= 3 && rest[0] == 0xef && rest[1] == 0xbb && rest[2] == 0xbf:
		return "UTF-8 byte order mark (U+FEFF)"
	case len(rest) >= 2 && rest[0] == 0xc2 && rest[1] == 0xa0:
		return "no-break space (U+00A0)"
	case rest[0] == '\f':
		return "form feed (\\f)"
	case rest[0] == '\v':
		return "vertical tab (\\v)"
	}
	return ""
}

// expect consumes a token of the given kind or fails.
func (p *parser) expect(k TokenKind) {
	if p.kind() != k {
		p.unexpected(k.String())
	}
	p.next()
}

// finish sets a node's span and token range: from token start to the last
// consumed token.
func (p *parser) finish(b *nodeBase, start int) {
	b.firstTok, b.endTok = start, p.i
	b.span = Span{Start: p.tokens[start].Offset, End: p.tokens[p.i-1].End()}
}

// parseExpr parses Nix's expr_function: lambdas, assert, with, let, if,
// or an operator expression.
func (p *parser) parseExpr() Node {
	p.enter()
	defer p.leave()
	start := p.i
	switch p.kind() {
	case TokenIdent:
		switch p.peek(1) {
		case TokenColon:
			param := p.parseIdent()
			p.next()
			n := &Lambda{Param: param, Body: p.parseExpr()}
			p.finish(&n.nodeBase, start)
			return n
		case TokenAt:
			param := p.parseIdent()
			p.next()
			n := &Lambda{Param: param, Formals: p.parseFormals()}
			checkFormals(p, n)
			p.expect(TokenColon)
			n.Body = p.parseExpr()
			p.finish(&n.nodeBase, start)
			return n
		}
	case TokenLBrace:
		if p.isFormals() {
			n := &Lambda{Formals: p.parseFormals()}
			if p.kind() == TokenAt {
				p.next()
				if p.kind() != TokenIdent {
					p.unexpected("identifier")
				}
				n.Param = p.parseIdent()
			}
			checkFormals(p, n)
			p.expect(TokenColon)
			n.Body = p.parseExpr()
			p.finish(&n.nodeBase, start)
			return n
		}
	case TokenAssert:
		p.next()
		n := &Assert{Cond: p.parseExpr()}
		p.expect(TokenSemicolon)
		n.Body = p.parseExpr()
		p.finish(&n.nodeBase, start)
		return n
	case TokenWith:
		p.next()
		n := &With{Scope: p.parseExpr()}
		p.expect(TokenSemicolon)
		n.Body = p.parseExpr()
		p.finish(&n.nodeBase, start)
		return n
	case TokenLet:
		if p.peek(1) == TokenLBrace {
			break // the legacy let { }, an expr_simple
		}
		p.next()
		n := &Let{}
		model := newAttrModel(false)
		n.Bindings = p.parseBindings(model, TokenIn)
		if len(model.dynamic) > 0 {
			p.fail(p.tokens[start].Offset, ErrDynamic, "dynamic attributes not allowed in let")
		}
		p.expect(TokenIn)
		n.Body = p.parseExpr()
		p.finish(&n.nodeBase, start)
		p.models[n] = model
		return n
	case TokenIf:
		p.next()
		n := &If{Cond: p.parseExpr()}
		p.expect(TokenThen)
		n.Then = p.parseExpr()
		p.expect(TokenElse)
		n.Else = p.parseExpr()
		p.finish(&n.nodeBase, start)
		return n
	}
	return p.parsePipes()
}

// parsePipes parses Nix's expr_if alternatives other than `if`: an
// operator expression, or a chain of them joined by pipe operators. The
// grammar is Nix 2.24's parser.y (the operators do not exist in Nix 2.8,
// which cannot judge them):
//
//	expr_pipe_from: expr_op '<|' expr_pipe_from | expr_op '<|' expr_op
//	expr_pipe_into: expr_pipe_into '|>' expr_op | expr_op '|>' expr_op
//
// so `|>` is left-associative, `<|` right-associative, both bind more
// loosely than every other operator, their operands are operator
// expressions (not a lambda, `if`, `let`, `with` or `assert`), and the two
// cannot be mixed without parentheses. `a |> f` is a *Binary with Op
// TokenPipeInto (Nix reads it as `f a`), `f <| a` one with TokenPipeFrom.
func (p *parser) parsePipes() Node {
	start := p.i
	left := p.parseOp(0)
	switch op := p.kind(); op {
	case TokenPipeInto:
		for p.kind() == TokenPipeInto {
			p.next()
			n := &Binary{Op: op, Left: left, Right: p.nestedOp(0)}
			p.finish(&n.nodeBase, start)
			left = n
		}
		if p.kind() == TokenPipeFrom {
			p.unexpected("end of the '|>' chain ('|>' and '<|' do not mix without parentheses)")
		}
	case TokenPipeFrom:
		// Right-associative: collect the operands, then nest from the right.
		operands := []Node{left}
		starts := []int{start}
		for p.kind() == TokenPipeFrom {
			p.next()
			p.enter()
			defer p.leave()
			starts = append(starts, p.i)
			operands = append(operands, p.parseOp(0))
		}
		if p.kind() == TokenPipeInto {
			p.unexpected("end of the '<|' chain ('|>' and '<|' do not mix without parentheses)")
		}
		right := operands[len(operands)-1]
		for i := len(operands) - 2; i >= 0; i-- {
			n := &Binary{Op: op, Left: operands[i], Right: right}
			p.finishFrom(&n.nodeBase, starts[i], right)
			right = n
		}
		return right
	}
	return left
}

// finishFrom sets the span of a node that runs from token start to the end
// of last, an already finished node.
func (p *parser) finishFrom(b *nodeBase, start int, last Node) {
	_, end := last.Tokens()
	b.firstTok, b.endTok = start, end
	b.span = Span{Start: p.tokens[start].Offset, End: last.Span().End}
}

// isFormals decides, at a '{', whether a lambda pattern follows rather
// than an attribute set (Nix's GLR parser tries both).
func (p *parser) isFormals() bool {
	switch p.peek(1) {
	case TokenRBrace:
		return p.peek(2) == TokenColon || p.peek(2) == TokenAt
	case TokenEllipsis:
		return true
	case TokenIdent:
		k := p.peek(2)
		return k == TokenComma || k == TokenQuestion || k == TokenRBrace
	}
	return false
}

// parseFormals parses `{ a, b ? d, ... }`.
func (p *parser) parseFormals() *Formals {
	start := p.i
	p.expect(TokenLBrace)
	n := &Formals{}
	for {
		switch p.kind() {
		case TokenRBrace:
		case TokenEllipsis:
			p.next()
			n.Ellipsis = true
			if p.kind() != TokenRBrace {
				p.unexpected("'}'")
			}
		case TokenIdent:
			fstart := p.i
			f := &Formal{Name: p.parseIdent()}
			if p.kind() == TokenQuestion {
				p.next()
				f.Default = p.parseExpr()
			}
			p.finish(&f.nodeBase, fstart)
			n.Formals = append(n.Formals, f)
			if p.kind() == TokenComma {
				p.next()
				continue
			}
			if p.kind() != TokenRBrace {
				p.unexpected("',' or '}'")
			}
		default:
			p.unexpected("identifier, '...' or '}'")
		}
		break
	}
	p.next() // '}'
	p.finish(&n.nodeBase, start)
	return n
}

// checkFormals rejects a formal named twice, or named like the parameter.
func checkFormals(p *parser, l *Lambda) {
	seen := map[string]bool{}
	for _, f := range l.Formals.Formals {
		if seen[f.Name.Name] {
			p.fail(f.Name.span.Start, ErrDuplicate, "duplicate formal function argument '%s'", f.Name.Name)
		}
		seen[f.Name.Name] = true
	}
	if l.Param != nil && seen[l.Param.Name] {
		p.fail(l.Param.span.Start, ErrDuplicate, "duplicate formal function argument '%s'", l.Param.Name)
	}
}

// Operator precedence levels, lowest first, as parser.y declares them.
const (
	precImpl   = 1  // -> (right)
	precOr     = 2  // || (left)
	precAnd    = 3  // && (left)
	precEq     = 4  // == != (nonassoc)
	precCmp    = 5  // < > <= >= (nonassoc)
	precUpdate = 6  // // (right)
	precNot    = 7  // ! (prefix)
	precAdd    = 8  // + - (left)
	precMul    = 9  // * / (left)
	precConcat = 10 // ++ (right)
	precHas    = 11 // ? (declared nonassoc; `a ? b ? c` parses as left)
	precNegate = 12 // unary - (prefix)
)

type assoc int

const (
	assocLeft assoc = iota
	assocRight
	assocNone
)

// binaryOp returns the precedence and associativity of a binary
// operator token, or precedence 0 when the token is not one.
func binaryOp(k TokenKind) (int, assoc) {
	switch k {
	case TokenImpl:
		return precImpl, assocRight
	case TokenOr:
		return precOr, assocLeft
	case TokenAnd:
		return precAnd, assocLeft
	case TokenEq, TokenNeq:
		return precEq, assocNone
	case TokenLess, TokenGreater, TokenLeq, TokenGeq:
		return precCmp, assocNone
	case TokenUpdate:
		return precUpdate, assocRight
	case TokenPlus, TokenMinus:
		return precAdd, assocLeft
	case TokenStar, TokenSlash:
		return precMul, assocLeft
	case TokenConcat:
		return precConcat, assocRight
	case TokenQuestion:
		return precHas, assocLeft // nonassoc in parser.y, but no conflict ever arises
	}
	return 0, assocLeft
}

// parseOp parses Nix's expr_op with operators of precedence minPrec or
// higher (precedence climbing).
func (p *parser) parseOp(minPrec int) Node {
	start := p.i
	var left Node
	switch p.kind() {
	case TokenNot:
		p.next()
		n := &Unary{Op: TokenNot, Expr: p.nestedOp(precNot + 1)}
		p.finish(&n.nodeBase, start)
		left = n
	case TokenMinus:
		p.next()
		n := &Unary{Op: TokenMinus, Expr: p.nestedOp(precNegate + 1)}
		p.finish(&n.nodeBase, start)
		left = n
	default:
		left = p.parseApp()
	}
	for {
		op := p.kind()
		prec, as := binaryOp(op)
		if prec == 0 || prec < minPrec {
			return left
		}
		p.next()
		if op == TokenQuestion {
			n := &HasAttr{Expr: left, Path: p.parseAttrPath()}
			p.finish(&n.nodeBase, start)
			left = n
		} else {
			rhsMin := prec + 1
			if as == assocRight {
				rhsMin = prec
			}
			n := &Binary{Op: op, Left: left, Right: p.nestedOp(rhsMin)}
			p.finish(&n.nodeBase, start)
			left = n
		}
		if as == assocNone {
			if next, _ := binaryOp(p.kind()); next == prec {
				p.unexpected("the end of the comparison (comparisons do not chain)")
			}
		}
	}
}

// nestedOp is parseOp for an operand, counted as one level of nesting.
func (p *parser) nestedOp(minPrec int) Node {
	p.enter()
	defer p.leave()
	return p.parseOp(minPrec)
}

// startsSelect reports whether the current token can start an expr_select
// (an argument of a function application or a list element).
func (p *parser) startsSelect() bool {
	switch p.kind() {
	case TokenIdent, TokenInt, TokenFloat, TokenQuote, TokenIndOpen, TokenPath,
		TokenHomePath, TokenSearchPath, TokenURI, TokenLParen, TokenLBrace,
		TokenLBracket, TokenRec, TokenLet:
		return true
	}
	return false
}

// parseApp parses function application: expr_select expr_select ...
func (p *parser) parseApp() Node {
	start := p.i
	fn := p.parseSelect()
	for p.startsSelect() {
		n := &Call{Func: fn, Arg: p.parseSelect()}
		p.finish(&n.nodeBase, start)
		fn = n
	}
	return fn
}

// parseSelect parses `e`, `e.a.b`, `e.a.b or d`, and `e or` (which Nix
// reads as applying e to a variable named "or").
func (p *parser) parseSelect() Node {
	start := p.i
	e := p.parseSimple()
	switch p.kind() {
	case TokenDot:
		p.next()
		n := &Select{Expr: e, Path: p.parseAttrPath()}
		if p.kind() == TokenOrKw {
			p.next()
			p.enter()
			n.Default = p.parseSelect()
			p.leave()
		}
		p.finish(&n.nodeBase, start)
		return n
	case TokenOrKw:
		orStart := p.i
		p.next()
		arg := &Ident{Name: "or"}
		p.finish(&arg.nodeBase, orStart)
		n := &Call{Func: e, Arg: arg}
		p.finish(&n.nodeBase, start)
		return n
	}
	return e
}

// parseIdent consumes an identifier (or the keyword `or`) as an *Ident.
func (p *parser) parseIdent() *Ident {
	start := p.i
	n := &Ident{Name: p.tokText()}
	p.next()
	p.finish(&n.nodeBase, start)
	return n
}

// parseSimple parses Nix's expr_simple.
func (p *parser) parseSimple() Node {
	start := p.i
	switch p.kind() {
	case TokenIdent:
		return p.parseIdent()
	case TokenInt, TokenFloat, TokenSearchPath, TokenURI:
		n := &Literal{Kind: p.kind(), Text: p.tokText()}
		p.next()
		p.finish(&n.nodeBase, start)
		return n
	case TokenQuote, TokenIndOpen:
		return p.parseString()
	case TokenPath, TokenHomePath:
		return p.parsePath()
	case TokenLParen:
		p.next()
		n := &Paren{Expr: p.parseExpr()}
		p.expect(TokenRParen)
		p.finish(&n.nodeBase, start)
		return n
	case TokenLet:
		if p.peek(1) != TokenLBrace {
			p.unexpected("'{'")
		}
		p.next()
		p.next()
		model := newAttrModel(true)
		n := &LegacyLet{Bindings: p.parseBindings(model, TokenRBrace)}
		p.expect(TokenRBrace)
		p.finish(&n.nodeBase, start)
		p.models[n] = model
		return n
	case TokenRec, TokenLBrace:
		n := &AttrSet{Rec: p.kind() == TokenRec}
		if n.Rec {
			p.next()
			if p.kind() != TokenLBrace {
				p.unexpected("'{'")
			}
		}
		n.Open = p.i
		p.next()
		model := newAttrModel(n.Rec)
		n.Bindings = p.parseBindings(model, TokenRBrace)
		n.Close = p.i
		p.expect(TokenRBrace)
		p.finish(&n.nodeBase, start)
		p.models[n] = model
		return n
	case TokenLBracket:
		p.next()
		n := &List{}
		p.enter()
		for p.startsSelect() {
			n.Elems = append(n.Elems, p.parseSelect())
		}
		p.leave()
		p.expect(TokenRBracket)
		p.finish(&n.nodeBase, start)
		return n
	}
	p.unexpected("an expression")
	return nil
}

// parseString parses a "..." or ”...” string.
func (p *parser) parseString() Node {
	start := p.i
	n := &String{Indented: p.kind() == TokenIndOpen}
	closer, text := TokenQuote, TokenStringText
	if n.Indented {
		closer, text = TokenIndClose, TokenIndText
	}
	p.next()
	for p.kind() != closer {
		switch p.kind() {
		case text:
			n.Parts = append(n.Parts, p.parseText())
		case TokenDollarCurly:
			n.Parts = append(n.Parts, p.parseInterp())
		default:
			p.unexpected("string text, '${' or the string's end")
		}
	}
	p.next()
	p.finish(&n.nodeBase, start)
	return n
}

// parseText consumes one literal piece of a string or path.
func (p *parser) parseText() *StringText {
	start := p.i
	t := p.tok()
	n := &StringText{Raw: p.tokText()}
	switch t.Kind {
	case TokenStringText:
		n.Value = unescapeString(n.Raw)
	case TokenIndText:
		n.Value = unescapeIndented(n.Raw)
	default:
		n.Value = n.Raw
	}
	p.next()
	p.finish(&n.nodeBase, start)
	return n
}

// parseInterp parses `${ expr }`.
func (p *parser) parseInterp() *Interp {
	start := p.i
	p.expect(TokenDollarCurly)
	n := &Interp{Expr: p.parseExpr()}
	p.expect(TokenRBrace)
	p.finish(&n.nodeBase, start)
	return n
}

// parsePath parses a path, with its interpolated pieces, up to PATH_END.
func (p *parser) parsePath() Node {
	start := p.i
	n := &Path{}
	n.Parts = append(n.Parts, p.parseText())
	for p.kind() != TokenPathEnd {
		switch p.kind() {
		case TokenPathText:
			n.Parts = append(n.Parts, p.parseText())
		case TokenDollarCurly:
			n.Parts = append(n.Parts, p.parseInterp())
		default:
			p.unexpected("the rest of the path")
		}
	}
	p.next()
	p.finish(&n.nodeBase, start)
	return n
}

// unescapeString resolves the escapes of "..." text: \n \r \t, \x for
// any other x, and (as Nix does) CR and CRLF become LF.
func unescapeString(raw string) string {
	if strings.IndexByte(raw, '\\') < 0 && strings.IndexByte(raw, '\r') < 0 {
		return raw // nothing to unescape, the common case
	}
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c == '\\' && i+1 < len(raw) {
			i++
			switch c = raw[i]; c {
			case 'n':
				c = '\n'
			case 'r':
				c = '\r'
			case 't':
				c = '\t'
			}
			b.WriteByte(c)
			continue
		}
		if c == '\r' {
			b.WriteByte('\n')
			if i+1 < len(raw) && raw[i+1] == '\n' {
				i++
			}
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// unescapeIndented gives the value of one ”...” text piece: ”$ is $,
// ”' is ”, ”\x is the escape \x, anything else is itself.
func unescapeIndented(raw string) string {
	switch {
	case raw == "''$":
		return "$"
	case raw == "'''":
		return "''"
	case strings.HasPrefix(raw, "''\\"):
		return unescapeString(raw[2:])
	}
	return raw
}

// parseAttrPath parses `a.b."c".${d}`.
func (p *parser) parseAttrPath() *AttrPath {
	start := p.i
	names := make([]Node, 1, 2) // most paths have one or two names
	names[0] = p.parseAttrName()
	n := &AttrPath{Names: names}
	for p.kind() == TokenDot {
		p.next()
		n.Names = append(n.Names, p.parseAttrName())
	}
	p.finish(&n.nodeBase, start)
	return n
}

// parseAttrName parses one attribute name: an identifier, `or`, a "..."
// string or `${ expr }`.
func (p *parser) parseAttrName() Node {
	switch p.kind() {
	case TokenIdent, TokenOrKw:
		return p.parseIdent()
	case TokenQuote:
		return p.parseString()
	case TokenDollarCurly:
		return p.parseInterp()
	}
	p.unexpected("an attribute name")
	return nil
}

// parseBindings parses bindings up to (not including) the closer token,
// adding each to model with Nix's duplicate and merge rules.
func (p *parser) parseBindings(model *attrModel, closer TokenKind) []Binding {
	var out []Binding
	for p.kind() != closer {
		start := p.i
		if p.kind() == TokenInherit {
			p.next()
			n := &Inherit{}
			if p.kind() == TokenLParen {
				p.next()
				n.From = p.parseExpr()
				p.expect(TokenRParen)
			}
			for p.kind() == TokenIdent || p.kind() == TokenOrKw || p.kind() == TokenQuote || p.kind() == TokenDollarCurly {
				n.Names = append(n.Names, p.parseAttrName())
			}
			p.expect(TokenSemicolon)
			p.finish(&n.nodeBase, start)
			p.addInherit(model, n)
			out = append(out, n)
			continue
		}
		switch p.kind() {
		case TokenIdent, TokenOrKw, TokenQuote, TokenDollarCurly:
		default:
			p.unexpected(fmt.Sprintf("an attribute name, 'inherit' or %s", closer))
		}
		n := &AttrDef{Path: p.parseAttrPath()}
		p.expect(TokenAssign)
		n.Value = p.parseExpr()
		p.expect(TokenSemicolon)
		p.finish(&n.nodeBase, start)
		p.addAttr(model, n)
		out = append(out, n)
	}
	return out
}
