package rewrite

import (
	"math"
	"strconv"
)

// lexState is a start condition of Nix's flex lexer.
type lexState int

const (
	stateDefault     lexState = iota // expressions
	stateString                      // inside "..."
	stateIndString                   // inside ''...''
	stateInPath                      // just after a path piece
	stateInPathSlash                 // just after a path piece ending in '/'
)

// lexError is the first lexical error: where and what.
type lexError struct {
	offset int
	msg    string
}

// lexer turns source bytes into tokens the way Nix 2.8's lexer.l does:
// the longest match wins, ties go to the rule written first, and a stack
// of start conditions tracks strings, interpolations and paths.
type lexer struct {
	src    []byte
	pos    int
	lead   int // start of the current token's leading trivia
	stack  []lexState
	tokens []Token
	err    *lexError

	// pathRun and schemeRun remember where the current run of path
	// characters and of URI scheme characters ends, so that the tokens
	// inside one long run (a.b.c.d..., 1+2+3...) do not each rescan it.
	pathRun, schemeRun int
}

// lex returns the tokens of src, ending with TokenEOF, and the first
// lexical error if any (the bytes from there on are one TokenIllegal).
func lex(src []byte) ([]Token, *lexError) {
	l := &lexer{src: src, stack: []lexState{stateDefault}, tokens: make([]Token, 0, len(src)/4+1)}
	for l.step() {
	}
	return l.tokens, l.err
}

func (l *lexer) top() lexState { return l.stack[len(l.stack)-1] }

func (l *lexer) push(s lexState) { l.stack = append(l.stack, s) }

// pop leaves the bottom state alone, as Nix's lexer does for a stray '}'.
func (l *lexer) pop() {
	if len(l.stack) > 1 {
		l.stack = l.stack[:len(l.stack)-1]
	}
}

// emit appends a token of n bytes starting at l.pos.
func (l *lexer) emit(kind TokenKind, n int) {
	l.tokens = append(l.tokens, Token{
		Kind:    kind,
		Leading: l.src[l.lead:l.pos],
		Text:    l.src[l.pos : l.pos+n],
		Offset:  l.pos,
	})
	l.pos += n
	l.lead = l.pos
}

// fail records a lexical error at l.pos and ends the token list with the
// rest of the source as one illegal token and an empty EOF.
func (l *lexer) fail(msg string) {
	l.err = &lexError{offset: l.pos, msg: msg}
	l.emit(TokenIllegal, len(l.src)-l.pos)
	l.emit(TokenEOF, 0)
}

func (l *lexer) at(i int) byte {
	if i < len(l.src) {
		return l.src[i]
	}
	return 0
}

func (l *lexer) hasPrefix(s string) bool {
	return len(l.src)-l.pos >= len(s) && string(l.src[l.pos:l.pos+len(s)]) == s
}

// step lexes one token; it returns false after TokenEOF.
func (l *lexer) step() bool {
	if l.err != nil {
		return false
	}
	switch l.top() {
	case stateString:
		return l.stepString()
	case stateIndString:
		return l.stepIndString()
	case stateInPath, stateInPathSlash:
		return l.stepInPath()
	}
	return l.stepDefault()
}

func (l *lexer) stepDefault() bool {
	l.skipTrivia()
	if l.pos >= len(l.src) {
		l.emit(TokenEOF, 0)
		return false
	}
	if l.src[l.pos] == 0 {
		// Nix's lexer returns a NUL byte as token 0, which its parser
		// takes for the end of the input: the rest is ignored.
		l.emit(TokenEOF, len(l.src)-l.pos)
		return false
	}
	kind, n := l.longestDefault()
	switch kind {
	case TokenInt:
		if _, err := strconv.ParseInt(string(l.src[l.pos:l.pos+n]), 10, 64); err != nil {
			l.fail("invalid integer '" + string(l.src[l.pos:l.pos+n]) + "'")
			return false
		}
	case TokenFloat:
		if !validFloat(string(l.src[l.pos : l.pos+n])) {
			l.fail("invalid float '" + string(l.src[l.pos:l.pos+n]) + "'")
			return false
		}
	case TokenDollarCurly, TokenLBrace:
		l.push(stateDefault)
	case TokenRBrace:
		l.pop()
	case TokenQuote:
		l.push(stateString)
	case TokenIndOpen:
		l.push(stateIndString)
	case TokenPath, TokenHomePath:
		if l.src[l.pos+n-1] == '/' {
			l.push(stateInPathSlash)
		} else {
			l.push(stateInPath)
		}
	}
	l.emit(kind, n)
	return true
}

// validFloat reports whether C's strtod reads s without ERANGE.
func validFloat(s string) bool {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return false
	}
	if f == 0 {
		for _, c := range s {
			if c >= '1' && c <= '9' {
				return false // underflow to zero
			}
			if c == 'e' || c == 'E' {
				break
			}
		}
		return true
	}
	return math.Abs(f) >= 0x1p-1022
}

// skipTrivia moves l.pos over whitespace and complete comments.
func (l *lexer) skipTrivia() {
	for l.pos < len(l.src) {
		switch c := l.src[l.pos]; {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			l.pos++
		case c == '#':
			for l.pos < len(l.src) && l.src[l.pos] != '\r' && l.src[l.pos] != '\n' {
				l.pos++
			}
		case c == '/' && l.at(l.pos+1) == '*':
			n := blockComment(l.src[l.pos:])
			if n == 0 {
				return
			}
			l.pos += n
		default:
			return
		}
	}
}

// blockComment returns the length of the /* ... */ comment at the start
// of b, or 0 when it is not terminated.
func blockComment(b []byte) int {
	for i := 2; i+1 < len(b); i++ {
		if b[i] == '*' && b[i+1] == '/' {
			return i + 2
		}
	}
	return 0
}

// fixedTokens are the keywords and operators in lexer.l's rule order. The
// pipe operators come last, as in Nix 2.24's lexer.l; Parse accepts them as
// if the pipe-operators feature were enabled (see parsePipes).
var fixedTokens = []struct {
	text string
	kind TokenKind
}{
	{"if", TokenIf}, {"then", TokenThen}, {"else", TokenElse}, {"assert", TokenAssert},
	{"with", TokenWith}, {"let", TokenLet}, {"in", TokenIn}, {"rec", TokenRec},
	{"inherit", TokenInherit}, {"or", TokenOrKw}, {"...", TokenEllipsis},
	{"==", TokenEq}, {"!=", TokenNeq}, {"<=", TokenLeq}, {">=", TokenGeq},
	{"&&", TokenAnd}, {"||", TokenOr}, {"->", TokenImpl}, {"//", TokenUpdate},
	{"++", TokenConcat}, {"|>", TokenPipeInto}, {"<|", TokenPipeFrom},
}

// singleTokens are the one-byte tokens of the {ANY} rule the parser knows.
var singleTokens = map[byte]TokenKind{
	'[': TokenLBracket, ']': TokenRBracket, '(': TokenLParen, ')': TokenRParen,
	';': TokenSemicolon, ':': TokenColon, ',': TokenComma, '.': TokenDot,
	'@': TokenAt, '=': TokenAssign, '?': TokenQuestion, '+': TokenPlus,
	'-': TokenMinus, '*': TokenStar, '/': TokenSlash, '!': TokenNot,
	'<': TokenLess, '>': TokenGreater,
}

// longestDefault picks the token at l.pos in the default state: the
// longest match over lexer.l's rules, the earlier rule on a tie.
func (l *lexer) longestDefault() (TokenKind, int) {
	if kind, n, ok := l.obviousDefault(); ok {
		return kind, n
	}
	return l.longestDefaultRules()
}

// obviousDefault decides the commonest tokens of a flake.nix (identifiers,
// keywords, attribute-path dots, braces, quotes and one-byte punctuation)
// without trying every rule, where it can tell that no other rule matches
// longer; ok is false where it cannot, and longestDefaultRules decides.
// TestObviousDefault checks it against longestDefaultRules at every byte
// of the corpus and fixture files.
func (l *lexer) obviousDefault() (kind TokenKind, n int, ok bool) {
	rest := l.src[l.pos:]
	switch c := rest[0]; {
	case isIdentStart(c):
		// Of the other rules only a path (a '/' after the run of path
		// characters) and a URI (a ':' after the run of scheme
		// characters) start with a letter or '_' and can be longer. A
		// keyword ties with the identifier only when it is all of it, and
		// then wins as the earlier rule.
		if end := l.runEnd(&l.pathRun, isPathChar); end < len(l.src) && l.src[end] == '/' {
			return 0, 0, false
		}
		if end := l.runEnd(&l.schemeRun, isSchemeChar); end < len(l.src) && l.src[end] == ':' {
			return 0, 0, false
		}
		n := matchIdent(rest)
		for _, f := range fixedTokens {
			if len(f.text) == n && string(rest[:n]) == f.text {
				return f.kind, n, true
			}
		}
		return TokenIdent, n, true
	case c == '.':
		// A dot starts "...", a float (.5), a path (./a, .a/b) or itself.
		next := l.at(l.pos + 1)
		if next == '.' || isDigit(next) {
			return 0, 0, false
		}
		if end := l.runEnd(&l.pathRun, isPathChar); end < len(l.src) && l.src[end] == '/' {
			return 0, 0, false
		}
		return TokenDot, 1, true
	case c == '=':
		if l.at(l.pos+1) == '=' {
			return 0, 0, false // ==
		}
		return TokenAssign, 1, true
	case c == '{':
		return TokenLBrace, 1, true
	case c == '}':
		return TokenRBrace, 1, true
	case c == '"':
		return TokenQuote, 1, true
	case c == ';' || c == ',' || c == '(' || c == ')' || c == '[' || c == ']' || c == ':' || c == '@' || c == '?':
		// No rule but the one-byte one matches these.
		return singleTokens[c], 1, true
	}
	return 0, 0, false
}

// longestDefaultRules is longestDefault trying every rule of lexer.l.
func (l *lexer) longestDefaultRules() (TokenKind, int) {
	rest := l.src[l.pos:]
	best, bestLen, keep := TokenOther, 0, 0
	try := func(kind TokenKind, n int) {
		if n > bestLen {
			best, bestLen, keep = kind, n, n
		}
	}
	for _, f := range fixedTokens {
		// The first byte rules out nearly every token, without a compare.
		if f.text[0] == rest[0] && len(rest) >= len(f.text) && string(rest[:len(f.text)]) == f.text {
			try(f.kind, len(f.text))
		}
	}
	try(TokenIdent, matchIdent(rest))
	try(TokenInt, matchDigits(rest))
	try(TokenFloat, matchFloat(rest))
	if l.hasPrefix("${") {
		try(TokenDollarCurly, 2)
	}
	switch rest[0] {
	case '}':
		try(TokenRBrace, 1)
	case '{':
		try(TokenLBrace, 1)
	case '"':
		try(TokenQuote, 1)
	}
	if l.hasPrefix("''") {
		n := 2
		for n < len(rest) && rest[n] == ' ' {
			n++
		}
		if n < len(rest) && rest[n] == '\n' {
			try(TokenIndOpen, n+1)
		} else {
			try(TokenIndOpen, 2)
		}
	}
	// {PATH_SEG}\$\{ and {HPATH_START}\$\{ match with the ${ but keep only
	// the first segment (yyless), the rest is lexed in the path states.
	pathChars := l.runEnd(&l.pathRun, isPathChar) - l.pos
	if n := matchPathSeg(rest, pathChars); n > 0 && hasPrefixAt(rest, n, "${") && n+2 > bestLen {
		best, bestLen, keep = TokenPath, n+2, n
	}
	if hasPrefixAt(rest, 0, "~/${") && 4 > bestLen {
		best, bestLen, keep = TokenHomePath, 4, 2
	}
	try(TokenPath, matchPathTail(rest, pathChars))
	try(TokenHomePath, matchHomePath(rest))
	try(TokenSearchPath, matchSearchPath(rest))
	try(TokenURI, matchURI(rest, l.runEnd(&l.schemeRun, isSchemeChar)-l.pos))
	if bestLen == 0 {
		if k, ok := singleTokens[rest[0]]; ok {
			return k, 1
		}
		return TokenOther, 1
	}
	return best, keep
}

// runEnd returns where the run of bytes satisfying ok that holds l.pos
// ends (l.pos itself when the byte there does not), remembering it in
// *memo: every byte from an earlier position up to *memo satisfies ok.
func (l *lexer) runEnd(memo *int, ok func(byte) bool) int {
	if l.pos < *memo {
		return *memo
	}
	end := l.pos
	for end < len(l.src) && ok(l.src[end]) {
		end++
	}
	*memo = end
	return end
}

func hasPrefixAt(b []byte, i int, s string) bool {
	return len(b)-i >= len(s) && string(b[i:i+len(s)]) == s
}

func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isIdentChar(c byte) bool {
	return isIdentStart(c) || isDigit(c) || c == '\'' || c == '-'
}

// isPathChar is Nix's PATH_CHAR: [a-zA-Z0-9\.\_\-\+].
func isPathChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || isDigit(c) ||
		c == '.' || c == '_' || c == '-' || c == '+'
}

// isURIChar is the class after the ':' of Nix's URI rule.
func isURIChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || isDigit(c) ||
		c == '%' || c == '/' || c == '?' || c == ':' || c == '@' || c == '&' ||
		c == '=' || c == '+' || c == '$' || c == ',' || c == '-' || c == '_' ||
		c == '.' || c == '!' || c == '~' || c == '*' || c == '\''
}

// span counts the leading bytes of b[i:] that satisfy ok.
func span(b []byte, i int, ok func(byte) bool) int {
	n := 0
	for i+n < len(b) && ok(b[i+n]) {
		n++
	}
	return n
}

// matchIdent matches [a-zA-Z\_][a-zA-Z0-9\_\'\-]*.
func matchIdent(b []byte) int {
	if len(b) == 0 || !isIdentStart(b[0]) {
		return 0
	}
	return 1 + span(b, 1, isIdentChar)
}

// matchDigits matches [0-9]+.
func matchDigits(b []byte) int { return span(b, 0, isDigit) }

// matchFloat matches (([1-9][0-9]*\.[0-9]*)|(0?\.[0-9]+))([Ee][+-]?[0-9]+)?.
func matchFloat(b []byte) int {
	best := 0
	// [1-9][0-9]*\.[0-9]*
	if len(b) > 0 && b[0] >= '1' && b[0] <= '9' {
		i := 1 + span(b, 1, isDigit)
		if i < len(b) && b[i] == '.' {
			i++
			i += span(b, i, isDigit)
			best = i
		}
	}
	// 0?\.[0-9]+
	i := 0
	if len(b) > 0 && b[0] == '0' {
		i = 1
	}
	if i < len(b) && b[i] == '.' {
		if d := span(b, i+1, isDigit); d > 0 && i+1+d > best {
			best = i + 1 + d
		}
	}
	if best == 0 {
		return 0
	}
	if best < len(b) && (b[best] == 'e' || b[best] == 'E') {
		j := best + 1
		if j < len(b) && (b[j] == '+' || b[j] == '-') {
			j++
		}
		if d := span(b, j, isDigit); d > 0 {
			return j + d
		}
	}
	return best
}

// matchPathTail matches (\/{PATH_CHAR}+)+\/? from b[i:], returning the
// end offset, or 0 when not even one segment matches.
func matchPathTail(b []byte, i int) int {
	end := 0
	for i < len(b) && b[i] == '/' {
		n := span(b, i+1, isPathChar)
		if n == 0 {
			break
		}
		i += 1 + n
		end = i
	}
	if end == 0 {
		return 0
	}
	if end < len(b) && b[end] == '/' {
		end++
	}
	return end
}

// matchPath matches {PATH_CHAR}*(\/{PATH_CHAR}+)+\/?.
func matchPath(b []byte) int { return matchPathTail(b, span(b, 0, isPathChar)) }

// matchPathSeg matches {PATH_CHAR}*\/, given that b starts with n path
// characters.
func matchPathSeg(b []byte, n int) int {
	if n < len(b) && b[n] == '/' {
		return n + 1
	}
	return 0
}

// matchHomePath matches \~(\/{PATH_CHAR}+)+\/?.
func matchHomePath(b []byte) int {
	if len(b) == 0 || b[0] != '~' {
		return 0
	}
	return matchPathTail(b, 1)
}

// matchSearchPath matches \<{PATH_CHAR}+(\/{PATH_CHAR}+)*\>.
func matchSearchPath(b []byte) int {
	if len(b) == 0 || b[0] != '<' {
		return 0
	}
	n := span(b, 1, isPathChar)
	if n == 0 {
		return 0
	}
	i := 1 + n
	for i < len(b) && b[i] == '/' {
		m := span(b, i+1, isPathChar)
		if m == 0 {
			break
		}
		i += 1 + m
	}
	if i < len(b) && b[i] == '>' {
		return i + 1
	}
	return 0
}

// isSchemeChar is the class of a URI scheme: [a-zA-Z0-9\+\-\.].
func isSchemeChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || isDigit(c) || c == '+' || c == '-' || c == '.'
}

// matchURI matches [a-zA-Z][a-zA-Z0-9\+\-\.]*\:[a-zA-Z0-9\%\/\?\:\@\&\=\+\$\,\-\_\.\!\~\*\']+,
// given that b starts with i scheme characters.
func matchURI(b []byte, i int) int {
	if len(b) == 0 || !(b[0] >= 'a' && b[0] <= 'z' || b[0] >= 'A' && b[0] <= 'Z') {
		return 0
	}
	if i >= len(b) || b[i] != ':' {
		return 0
	}
	n := span(b, i+1, isURIChar)
	if n == 0 {
		return 0
	}
	return i + 1 + n
}

// stepString lexes inside "...": text, ${, or the closing quote.
func (l *lexer) stepString() bool {
	if l.pos >= len(l.src) {
		l.fail("unterminated string")
		return false
	}
	switch {
	case l.src[l.pos] == '"':
		l.pop()
		l.emit(TokenQuote, 1)
		return true
	case l.hasPrefix("${"):
		l.push(stateDefault)
		l.emit(TokenDollarCurly, 2)
		return true
	}
	// ([^\$\"\\]|\$[^\{\"\\]|\\{ANY}|\$\\{ANY})+, or with a final \$ before a quote.
	i := l.pos
	for i < len(l.src) {
		c := l.src[i]
		if c == '"' {
			break
		}
		if c == '\\' {
			if i+1 >= len(l.src) {
				break
			}
			i += 2
			continue
		}
		if c == '$' {
			next := l.at(i + 1)
			if i+1 >= len(l.src) || next == '{' {
				break
			}
			if next == '"' {
				i++ // the trailing-context rule: "$" right before the quote
				break
			}
			if next == '\\' {
				if i+2 >= len(l.src) {
					break
				}
				i += 3
				continue
			}
			i += 2
			continue
		}
		i++
	}
	if i == l.pos {
		// A lone "$", "\" or "$\" at the end of the file.
		l.fail("unterminated string")
		return false
	}
	l.emit(TokenStringText, i-l.pos)
	return true
}

// stepIndString lexes inside ”...”: one IND_STR piece, ${, or the end.
func (l *lexer) stepIndString() bool {
	rest := l.src[l.pos:]
	if len(rest) == 0 {
		l.fail("unterminated indented string")
		return false
	}
	// The text rule ([^\$\']|\$[^\{\']|\'[^\'\$])+ ...
	text := 0
	for text < len(rest) {
		c := rest[text]
		if c != '$' && c != '\'' {
			text++
			continue
		}
		if text+1 >= len(rest) {
			break
		}
		next := rest[text+1]
		if c == '$' && next != '{' && next != '\'' || c == '\'' && next != '\'' && next != '$' {
			text += 2
			continue
		}
		break
	}
	// ... against the other rules, longest first, earlier rule on a tie.
	kind, n := TokenIndText, text
	try := func(k TokenKind, prefix string, m int) {
		if hasPrefixAt(rest, 0, prefix) && len(rest) >= m && m > n {
			kind, n = k, m
		}
	}
	try(TokenIndText, "''$", 3)
	try(TokenIndText, "$", 1)
	try(TokenIndText, "'''", 3)
	try(TokenIndText, "''\\", 4)
	try(TokenDollarCurly, "${", 2)
	try(TokenIndClose, "''", 2)
	try(TokenIndText, "'", 1)
	switch kind {
	case TokenDollarCurly:
		l.push(stateDefault)
	case TokenIndClose:
		l.pop()
	}
	l.emit(kind, n)
	return true
}

// stepInPath lexes right after a path piece: more path, ${, or the end.
func (l *lexer) stepInPath() bool {
	rest := l.src[l.pos:]
	if hasPrefixAt(rest, 0, "${") {
		l.pop()
		l.push(stateInPath)
		l.push(stateDefault)
		l.emit(TokenDollarCurly, 2)
		return true
	}
	// {PATH}|{PATH_SEG}|{PATH_CHAR}+
	pathChars := span(rest, 0, isPathChar)
	n := max(matchPath(rest), matchPathSeg(rest, pathChars), pathChars)
	if n > 0 {
		l.pop()
		if rest[n-1] == '/' {
			l.push(stateInPathSlash)
		} else {
			l.push(stateInPath)
		}
		l.emit(TokenPathText, n)
		return true
	}
	if l.top() == stateInPathSlash {
		l.fail("path has a trailing slash")
		return false
	}
	l.pop()
	// PATH_END owns no bytes: the trivia after the path belongs to the next token.
	l.tokens = append(l.tokens, Token{Kind: TokenPathEnd, Leading: l.src[l.pos:l.pos], Text: l.src[l.pos:l.pos], Offset: l.pos})
	return true
}
