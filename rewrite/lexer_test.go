package rewrite

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// shortKind names token kinds compactly for the lexer tables.
var shortKind = map[TokenKind]string{
	TokenEOF: "eof", TokenIllegal: "illegal", TokenIdent: "id", TokenInt: "int",
	TokenFloat: "float", TokenPath: "path", TokenHomePath: "hpath",
	TokenSearchPath: "spath", TokenURI: "uri", TokenPathText: "ptext",
	TokenPathEnd: "pend", TokenQuote: "quote", TokenStringText: "str",
	TokenIndOpen: "iopen", TokenIndClose: "iclose", TokenIndText: "istr",
	TokenDollarCurly: "dollar", TokenOther: "other",
}

// renderTokens shows each token as kind(text), or just its text for
// operators and keywords, with leading trivia as [trivia].
func renderTokens(tokens []Token) string {
	var parts []string
	for _, t := range tokens {
		s := ""
		if len(t.Leading) > 0 {
			s = fmt.Sprintf("[%s]", t.Leading)
		}
		if name, ok := shortKind[t.Kind]; ok {
			s += fmt.Sprintf("%s(%s)", name, t.Text)
		} else {
			s += string(t.Text)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

func TestLex(t *testing.T) {
	cases := []struct{ src, want string }{
		// identifiers and keywords
		{`foo foo-bar foo' _x`, `id(foo) [ ]id(foo-bar) [ ]id(foo') [ ]id(_x) eof()`},
		{`if then else assert with let in rec inherit or`, `if [ ]then [ ]else [ ]assert [ ]with [ ]let [ ]in [ ]rec [ ]inherit [ ]or eof()`},
		{`iff orx`, `id(iff) [ ]id(orx) eof()`},
		// numbers, by Nix's rules
		{`1 1. .5 0.5 1.5e3 1.e3 1e3 01.5`, `int(1) [ ]float(1.) [ ]float(.5) [ ]float(0.5) [ ]float(1.5e3) [ ]float(1.e3) [ ]int(1) id(e3) [ ]int(01) float(.5) eof()`},
		// operators
		{`== != <= >= && || -> // ++ ... @ ? ! + - * / < > = : ; , .`, `== [ ]!= [ ]<= [ ]>= [ ]&& [ ]|| [ ]-> [ ]// [ ]++ [ ]... [ ]@ [ ]? [ ]! [ ]+ [ ]- [ ]* [ ]/ [ ]< [ ]> [ ]= [ ]: [ ]; [ ], [ ]. eof()`},
		{`{ } [ ] ( )`, `{ [ ]} [ ][ [ ]] [ ]( [ ]) eof()`},
		{"%", `other(%) eof()`},
		// trivia
		{"# c\n/* d */ 1 #e", `[# c
/* d */ ]int(1) [ #e]eof()`},
		{"1 /* unterminated", `int(1) [ ]/ * [ ]id(unterminated) eof()`},
		// paths, home paths, search paths, URIs
		{`./a ../b/c a/b /x`, `path(./a) pend() [ ]path(../b/c) pend() [ ]path(a/b) pend() [ ]path(/x) pend() eof()`},
		{`./a${b}c/d`, `path(./a) dollar(${) id(b) } ptext(c/d) pend() eof()`},
		{`./${b}`, `path(./) dollar(${) id(b) } pend() eof()`},
		{`~/a ~/${b}`, `hpath(~/a) pend() [ ]hpath(~/) dollar(${) id(b) } pend() eof()`},
		{`<nixpkgs/lib> <a`, `spath(<nixpkgs/lib>) [ ]< id(a) eof()`},
		{`https://x.org/a?b=c a:b x: x`, `uri(https://x.org/a?b=c) [ ]uri(a:b) [ ]id(x) : [ ]id(x) eof()`},
		{`1/2 a//b`, `path(1/2) pend() [ ]id(a) // id(b) eof()`},
		{`./a/`, `path(./a/) illegal() eof()`},
		// strings
		{`"a\"b${c}d"`, `quote(") str(a\"b) dollar(${) id(c) } str(d) quote(") eof()`},
		{`"$${a}$"`, `quote(") str($${a}$) quote(") eof()`},
		{`"${"${x}"}"`, `quote(") dollar(${) quote(") dollar(${) id(x) } quote(") } quote(") eof()`},
		{`"abc`, `quote(") str(abc) illegal() eof()`},
		{"''\n  a ''$ ''' ''\\n ${b} $ ' ''", "iopen(''\n) istr(  a ) istr(''$) istr( ) istr(''') istr( ) istr(''\\n) istr( ) dollar(${) id(b) } istr( $ ' ) iclose('') eof()"},
		{"''a'", `iopen('') istr(a) istr(') illegal() eof()`},
		// a NUL ends the input for Nix; the rest rides on the EOF token
		{"1\x00)", "int(1) eof(\x00))"},
	}
	for _, c := range cases {
		tokens, _ := lex([]byte(c.src))
		if got := renderTokens(tokens); got != c.want {
			t.Errorf("lex(%q)\n got %s\nwant %s", c.src, got, c.want)
		}
		var b strings.Builder
		for _, tok := range tokens {
			b.Write(tok.Leading)
			b.Write(tok.Text)
		}
		if b.String() != c.src {
			t.Errorf("lex(%q) tokens concatenate to %q", c.src, b.String())
		}
		for i := 1; i < len(tokens); i++ {
			if tokens[i].LeadingOffset() != tokens[i-1].End() {
				t.Errorf("lex(%q): token %d starts at %d, token %d ends at %d", c.src, i, tokens[i].LeadingOffset(), i-1, tokens[i-1].End())
			}
		}
	}
}

func TestLexErrors(t *testing.T) {
	cases := []struct {
		src    string
		offset int
		msg    string
	}{
		{`"abc`, 4, "unterminated string"},
		{"''abc", 5, "unterminated indented string"},
		{`./a/ x`, 4, "path has a trailing slash"},
		{`99999999999999999999`, 0, "invalid integer '99999999999999999999'"},
		{`1.0e400`, 0, "invalid float '1.0e400'"},
		{`x: x`, -1, ""},
	}
	for _, c := range cases {
		_, err := lex([]byte(c.src))
		switch {
		case c.offset < 0 && err != nil:
			t.Errorf("lex(%q) error %q, want none", c.src, err.msg)
		case c.offset >= 0 && (err == nil || err.offset != c.offset || err.msg != c.msg):
			t.Errorf("lex(%q) error %+v, want {offset:%d msg:%s}", c.src, err, c.offset, c.msg)
		}
	}
}

// TestObviousDefault: wherever obviousDefault decides a token, it is the
// token longestDefaultRules picks, at every byte of every corpus and
// fixture .nix file and of cases made to defeat it; and it decides most of
// a flake.nix's tokens (else it would be no shortcut).
func TestObviousDefault(t *testing.T) {
	sources := []string{
		"in inputs or order if iff then thenx inherit rec recx assert with let else",
		"a/b a:b a.b/c a.b.c a-b'c _a:b _a/b x+y:z x+y/z foo.bar:baz",
		".5 ... .. ./x .a/b .a.b . a.5 =a == => = ; , ( ) [ ] : @ ? { } \" ${",
		"http://x.org/a.tar.gz github:NixOS/nixpkgs/nixos-24.05 <nixpkgs> ~/x",
		"a", ".", "=", "in", "x/", "x:", "ab.",
	}
	for _, path := range append(corpusFiles(t), fixtureNixFiles(t)...) {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		sources = append(sources, string(src))
	}
	decided, tokens := 0, 0
	for _, src := range sources {
		b := []byte(src)
		for i := range b {
			fast := &lexer{src: b, pos: i}
			kind, n, ok := fast.obviousDefault()
			if !ok {
				continue
			}
			decided++
			slow := &lexer{src: b, pos: i}
			wantKind, wantN := slow.longestDefaultRules()
			if kind != wantKind || n != wantN {
				t.Fatalf("at byte %d of %.40q...: obviousDefault = %v %q, the rules pick %v %q", i, src[i:], kind, b[i:i+n], wantKind, b[i:i+wantN])
			}
		}
		toks, _ := lex(b)
		tokens += len(toks)
	}
	if decided < 100000 {
		t.Errorf("obviousDefault decided only %d times", decided)
	}
	t.Logf("obviousDefault decided at %d bytes (the files have %d tokens)", decided, tokens)
}

// fixtureNixFiles lists every .nix file under ../fixtures.
func fixtureNixFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir("../fixtures", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".nix") {
			files = append(files, path)
		}
		return err
	})
	if err != nil || len(files) < 100 {
		t.Fatalf("fixtures: %d .nix files, %v", len(files), err)
	}
	return files
}
