package rewrite

// TokenKind says what a Token is.
type TokenKind int

// The token kinds. They follow Nix 2.x's lexer.l; a string, an indented
// string and a path with interpolation are split into an opening token,
// text and `${`…`}` pieces, and a closing token, as Nix's lexer does.
const (
	// TokenEOF ends every token list; its Leading holds the trailing
	// whitespace and comments of the file and its Text is empty, except
	// when a NUL byte ends the input early (as it does for Nix): then Text
	// is the NUL and everything after it.
	TokenEOF TokenKind = iota
	// TokenIllegal holds bytes the lexer could not turn into a token (an
	// unterminated string's rest, a path with a trailing slash, ...),
	// kept so that the file still round-trips. It runs to the end of the file.
	TokenIllegal

	TokenIdent      // foo, foo-bar, foo'
	TokenInt        // 42
	TokenFloat      // 1.5, 1., .5, 1.5e3
	TokenPath       // ./a, a/b, /a, ../a; the first piece of an interpolated path
	TokenHomePath   // ~/a; the first piece of an interpolated home path
	TokenSearchPath // <nixpkgs>
	TokenURI        // https://example.org/x?y=z
	TokenPathText   // a later literal piece of an interpolated path
	TokenPathEnd    // the empty token that ends a path (no bytes, no trivia)

	TokenQuote       // " opening or closing a string
	TokenStringText  // literal text inside "..." (escapes left as written)
	TokenIndOpen     // '' opening an indented string (with spaces and a newline after it)
	TokenIndClose    // '' closing an indented string
	TokenIndText     // literal text inside ''...'' (escapes left as written)
	TokenDollarCurly // ${
	TokenLBrace      // {
	TokenRBrace      // }
	TokenLBracket    // [
	TokenRBracket    // ]
	TokenLParen      // (
	TokenRParen      // )
	TokenSemicolon   // ;
	TokenColon       // :
	TokenComma       // ,
	TokenDot         // .
	TokenEllipsis    // ...
	TokenAt          // @
	TokenAssign      // =
	TokenQuestion    // ?
	TokenPlus        // +
	TokenMinus       // -
	TokenStar        // *
	TokenSlash       // /
	TokenNot         // !
	TokenLess        // <
	TokenGreater     // >
	TokenEq          // ==
	TokenNeq         // !=
	TokenLeq         // <=
	TokenGeq         // >=
	TokenAnd         // &&
	TokenOr          // ||
	TokenImpl        // ->
	TokenUpdate      // //
	TokenConcat      // ++
	TokenOther       // any other single byte (Nix's parser rejects it)
	TokenIf          // if
	TokenThen        // then
	TokenElse        // else
	TokenAssert      // assert
	TokenWith        // with
	TokenLet         // let
	TokenIn          // in
	TokenRec         // rec
	TokenInherit     // inherit
	TokenOrKw        // or
	// TokenPipeInto and TokenPipeFrom are the pipe operators of Nix 2.24+
	// (behind the pipe-operators experimental feature) and Lix. Nix 2.8
	// has no such tokens: it rejects the '|' byte.
	TokenPipeInto // |>
	TokenPipeFrom // <|
)

var tokenNames = map[TokenKind]string{
	TokenEOF: "end of file", TokenIllegal: "illegal bytes",
	TokenIdent: "identifier", TokenInt: "integer", TokenFloat: "float",
	TokenPath: "path", TokenHomePath: "path", TokenSearchPath: "search path",
	TokenURI: "URI", TokenPathText: "path", TokenPathEnd: "end of path",
	TokenQuote: `'"'`, TokenStringText: "string text", TokenIndOpen: `"''"`,
	TokenIndClose: `"''"`, TokenIndText: "string text", TokenDollarCurly: "'${'",
	TokenLBrace: "'{'", TokenRBrace: "'}'", TokenLBracket: "'['", TokenRBracket: "']'",
	TokenLParen: "'('", TokenRParen: "')'", TokenSemicolon: "';'", TokenColon: "':'",
	TokenComma: "','", TokenDot: "'.'", TokenEllipsis: "'...'", TokenAt: "'@'",
	TokenAssign: "'='", TokenQuestion: "'?'", TokenPlus: "'+'", TokenMinus: "'-'",
	TokenStar: "'*'", TokenSlash: "'/'", TokenNot: "'!'", TokenLess: "'<'",
	TokenGreater: "'>'", TokenEq: "'=='", TokenNeq: "'!='", TokenLeq: "'<='",
	TokenGeq: "'>='", TokenAnd: "'&&'", TokenOr: "'||'", TokenImpl: "'->'",
	TokenUpdate: "'//'", TokenConcat: "'++'", TokenOther: "character",
	TokenIf: "'if'", TokenThen: "'then'", TokenElse: "'else'", TokenAssert: "'assert'",
	TokenWith: "'with'", TokenLet: "'let'", TokenIn: "'in'", TokenRec: "'rec'",
	TokenInherit: "'inherit'", TokenOrKw: "'or'",
	TokenPipeInto: "'|>'", TokenPipeFrom: "'<|'",
}

// String names the kind the way error messages do: "identifier", "';'".
func (k TokenKind) String() string {
	if s, ok := tokenNames[k]; ok {
		return s
	}
	return "unknown token"
}

// Token is one lexical token with the whitespace and comments before it.
// Leading followed by Text are exactly the bytes of the source the token
// covers, so the source is the concatenation of all tokens of a File.
type Token struct {
	Kind    TokenKind
	Leading []byte // whitespace and comments before the token
	Text    []byte // the token itself; empty for TokenPathEnd (and TokenEOF, see there)
	Offset  int    // byte offset of Text in the source
}

// End is the byte offset just after the token's Text.
func (t Token) End() int { return t.Offset + len(t.Text) }

// LeadingOffset is the byte offset where the token's Leading trivia starts.
func (t Token) LeadingOffset() int { return t.Offset - len(t.Leading) }
