package rewrite

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flakedup/flakedup/internal/testenv"
)

// mustParse parses src, failing the test on an error or a broken round trip.
func mustParse(t *testing.T, src string) *File {
	t.Helper()
	f, err := Parse("t.nix", []byte(src))
	if err != nil {
		t.Fatalf("Parse(%q): %v", src, err)
	}
	if got := string(f.Bytes()); got != src {
		t.Fatalf("Parse(%q).Bytes() = %q", src, got)
	}
	return f
}

func TestParseTree(t *testing.T) {
	cases := []struct{ src, want string }{
		// attribute sets, the bulk of a flake.nix
		{`{ }`, `(attrs)`},
		{`{ a = 1; }`, `(attrs (= a 1))`},
		{`{ a.b."c".${"d"} = 1; }`, `(attrs (= a.b.(str "c").($ (str "d")) 1))`},
		{`{ inputs.nixpkgs.url = "github:NixOS/nixpkgs"; }`, `(attrs (= inputs.nixpkgs.url (str "github:NixOS/nixpkgs")))`},
		{`x: { inherit x; inherit (x) a "b"; }`, `(lambda x (attrs (inherit x) (inherit-from x a (str "b"))))`},
		{`rec { a = 1; b = a; }`, `(rec (= a 1) (= b a))`},
		{`{ or = 1; }`, `(attrs (= or 1))`},
		{`{ "a b" = 1; }`, `(attrs (= (str "a b") 1))`},
		// strings
		{`"a\n${"b"}c\$"`, `(str "a\n" ($ (str "b")) "c$")`},
		{`"$${a}"`, `(str "$${a}")`}, // $$ keeps ${ literal, both dollars stay
		{"''\n  a\n  ''${b}'''\n''", `(istr "  a\n  " "$" "{b}" "''" "\n")`},
		{`''a''\nb''`, `(istr "a" "\n" "b")`},
		{`"${"${"x"}"}"`, `(str ($ (str ($ (str "x")))))`},
		// paths, search paths, URIs, numbers
		{`./a/b.nix`, `(path "./a/b.nix")`},
		{`a/b`, `(path "a/b")`},
		{`./a/${"b"}/c`, `(path "./a/" ($ (str "b")) "/c")`},
		{`~/a`, `(path "~/a")`},
		{`~/${"a"}`, `(path "~/" ($ (str "a")))`},
		{`<nixpkgs/lib>`, `<nixpkgs/lib>`},
		{`https://x.org/a?b=c`, `https://x.org/a?b=c`},
		{`[ 1 1. .5 0.5 1.5e3 ]`, `(list 1 1. .5 0.5 1.5e3)`},
		// selects, has-attr, application
		{`x: x.a.b or 1`, `(lambda x (select x a.b 1))`},
		{`x: x.a or x.b or 2`, `(lambda x (select x a (select x b 2)))`},
		{`x: x.or`, `(lambda x (select x or))`},
		{`with { }; map or [ ]`, `(with (attrs) (call (call map or) (list)))`},
		{`f: a: c: f a.b c`, `(lambda f (lambda a (lambda c (call (call f (select a b)) c))))`},
		{`x: x ? a.b`, `(lambda x (? x a.b))`},
		// operators: precedence and associativity
		{`1 + 2 * 3`, `(+ 1 (* 2 3))`},
		{`1 - 2 - 3`, `(- (- 1 2) 3)`},
		{`[ ] ++ [ ] ++ [ ]`, `(++ (list) (++ (list) (list)))`},
		{`{ } // { } // { }`, `(// (attrs) (// (attrs) (attrs)))`},
		{`true -> false -> true`, `(-> true (-> false true))`},
		{`true || false && true`, `(|| true (&& false true))`},
		{`1 < 2 == true`, `(== (< 1 2) true)`},
		{`!true == false`, `(== (! true) false)`},
		{`!x: x`, ``}, // not an expression: see TestParseErrors
		{`x: !x + 1`, `(lambda x (! (+ x 1)))`},
		{`x: -x ? a`, `(lambda x (? (neg x) a))`},
		{`x: -x.a`, `(lambda x (neg (select x a)))`},
		{`f: - f 1`, `(lambda f (neg (call f 1)))`},
		{`x: x ++ x ? a`, `(lambda x (++ x (? x a)))`},
		{`x: x ? a ? b`, `(lambda x (? (? x a) b))`},
		{`1 - -1`, `(- 1 (neg 1))`},
		{`1 + 2 // { }`, `(// (+ 1 2) (attrs))`},
		{`x: x // x == x`, `(lambda x (== (// x x) x))`},
		// functions and binding forms
		{`{ a, b ? 1, ... }: a`, `(lambda {a b?1 ...} a)`},
		{`args@{ a, ... }: a`, `(lambda args@{a ...} a)`},
		{`{ a, }@args: a`, `(lambda args@{a} a)`},
		{`{ }: 1`, `(lambda {} 1)`},
		{`let a = 1; in a`, `(let (= a 1) a)`},
		{`let { body = 1; }`, `(let-legacy (= body 1))`},
		{`with { }; x`, `(with (attrs) x)`},
		{`assert true; 1`, `(assert true 1)`},
		{`if true then 1 else x: x`, `(if true 1 (lambda x x))`},
		{`(x: x) 1`, `(call (paren (lambda x x)) 1)`},
		{`__curPos`, `__curPos`},
	}
	for _, c := range cases {
		if c.want == "" {
			continue
		}
		f := mustParse(t, c.src)
		if got := dump(f.Expr); got != c.want {
			t.Errorf("Parse(%q)\n got %s\nwant %s", c.src, got, c.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		src, msg string
		kind     error
	}{
		{"{\n  a = 1;\n  b = ;\n}", `t.nix:3:7: unexpected ';', expecting an expression`, ErrSyntax},
		{`{ a = 1 }`, `t.nix:1:9: unexpected '}', expecting ';'`, ErrSyntax},
		{`!x: x`, `t.nix:1:3: unexpected ':', expecting end of file`, ErrSyntax},
		{`1 == 2 == 3`, `t.nix:1:8: unexpected '==', expecting the end of the comparison (comparisons do not chain)`, ErrSyntax},
		{`[ -1 ]`, `t.nix:1:3: unexpected '-', expecting ']'`, ErrSyntax},
		{`1 + if true then 1 else 2`, `t.nix:1:5: unexpected 'if', expecting an expression`, ErrSyntax},
		{`"abc`, `t.nix:1:5: unterminated string`, ErrSyntax},
		{"''abc", `t.nix:1:6: unterminated indented string`, ErrSyntax},
		{`./a/`, `t.nix:1:5: path has a trailing slash`, ErrSyntax},
		{`9223372036854775808`, `t.nix:1:1: invalid integer '9223372036854775808'`, ErrSyntax},
		{`1.0e-400`, `t.nix:1:1: invalid float '1.0e-400'`, ErrSyntax},
		{"\xef\xbb\xbf1", `t.nix:1:1: unexpected UTF-8 byte order mark (U+FEFF); Nix allows only spaces, tabs, CR and LF between tokens (remove it)`, ErrSyntax},
		{"{\n  a = 1;\f}", `t.nix:2:9: unexpected form feed (\f); Nix allows only spaces, tabs, CR and LF between tokens (remove it)`, ErrSyntax},
		{"{\xc2\xa0a = 1; }", `t.nix:1:2: unexpected no-break space (U+00A0); Nix allows only spaces, tabs, CR and LF between tokens (remove it)`, ErrSyntax},
		{"{ a = 1;\v}", `t.nix:1:9: unexpected vertical tab (\v); Nix allows only spaces, tabs, CR and LF between tokens (remove it)`, ErrSyntax},
		{"{ a = \"\f\xc2\xa0\"; \xc2 }", `t.nix:1:14: unexpected character "\xc2", expecting an attribute name, 'inherit' or '}'`, ErrSyntax}, // inside a string they are text
		// Nix 2.8 puts "unexpected end of file" after the last token or
		// comment: these positions are its own.
		{"{ a = 1; # c\n\n", `t.nix:1:13: unexpected end of file, expecting an attribute name, 'inherit' or '}' (is the file cut short?)`, ErrSyntax},
		{"{ a = 1; /* c */   ", `t.nix:1:17: unexpected end of file, expecting an attribute name, 'inherit' or '}' (is the file cut short?)`, ErrSyntax},
		{"{ a =\n\n  ", `t.nix:1:6: unexpected end of file, expecting an expression (is the file cut short?)`, ErrSyntax},
		{"", `t.nix:1:1: unexpected end of file, expecting an expression (is the file cut short?)`, ErrSyntax},
		{"  \n", `t.nix:1:1: unexpected end of file, expecting an expression (is the file cut short?)`, ErrSyntax},
		{"{ a = 1;\n  a = 2; }", `t.nix:2:3: attribute 'a' already defined at 1:3`, ErrDuplicate},
		{`{ a = 1; a.b = 2; }`, `t.nix:1:10: attribute 'a.b' already defined at 1:3`, ErrDuplicate},
		{`{ a = { b = 1; }; a = { b = 2; }; }`, `t.nix:1:9: attribute 'b' already defined at 1:25`, ErrDuplicate},
		{`x: { inherit x x; }`, `t.nix:1:14: attribute 'x' already defined at 1:14`, ErrDuplicate},
		{`{ a, a }: 1`, `t.nix:1:6: duplicate formal function argument 'a'`, ErrDuplicate},
		{`a@{ a }: 1`, `t.nix:1:1: duplicate formal function argument 'a'`, ErrDuplicate},
		{`let ${"a" + "b"} = 1; in 1`, `t.nix:1:1: dynamic attributes not allowed in let`, ErrDynamic},
		{`x: { inherit ${x}; }`, `t.nix:1:14: dynamic attributes not allowed in inherit`, ErrDynamic},
		{`{ a = b; }`, `t.nix:1:7: undefined variable 'b'`, ErrUndefined},
		{`1e3`, `t.nix:1:2: undefined variable 'e3'`, ErrUndefined},
		{`{ inherit __curPos; }`, `t.nix:1:11: undefined variable '__curPos'`, ErrUndefined},
		{`{ a = { c = b; }; a = rec { b = 1; }; }`, `t.nix:1:13: undefined variable 'b'`, ErrUndefined},
		{strings.Repeat("[", 6000), `t.nix:1:5001: expression nested more than 5000 levels deep`, ErrTooDeep},
		{strings.Repeat("!", 6000), `t.nix:1:5001: expression nested more than 5000 levels deep`, ErrTooDeep},
		{"x: x" + strings.Repeat(".a or x", 6000), `t.nix:1:34997: expression nested more than 5000 levels deep`, ErrTooDeep},
		{strings.Repeat("(", 6000) + "1" + strings.Repeat(")", 6000), `t.nix:1:5001: expression nested more than 5000 levels deep`, ErrTooDeep},
	}
	for _, c := range cases {
		f, err := Parse("t.nix", []byte(c.src))
		if err == nil {
			t.Errorf("Parse(%q) = %s, want error %q", c.src, dump(f.Expr), c.msg)
			continue
		}
		if err.Error() != c.msg {
			t.Errorf("Parse(%q) error\n got %s\nwant %s", c.src, err, c.msg)
		}
		var pe *Error
		if !errors.As(err, &pe) || !errors.Is(err, c.kind) {
			t.Errorf("Parse(%q) error %v is not an *Error wrapping %v", c.src, err, c.kind)
		}
	}
}

// Every accepted file round-trips, whatever its bytes.
func TestParseRoundTripBytes(t *testing.T) {
	cases := []string{
		"{ a = 1;\r\n  b = 2;\r\n}\r\n",
		"{\ta = 1; }",
		"{ a = 1; }", // no final newline
		"{ a = \"\xff\xfe\"; } # \xff\n",
		"  /* lead */ 1 /* trail */  \n\n",
		"1\x00 ignored after a NUL )(",
		"''\r\n  a\r\n''",
		"# only a comment\n1",
	}
	for _, src := range cases {
		f := mustParse(t, src)
		if n := len(f.Tokens); f.Tokens[n-1].Kind != TokenEOF {
			t.Errorf("Parse(%q): last token is %v, want end of file", src, f.Tokens[n-1].Kind)
		}
	}
}

func TestPosition(t *testing.T) {
	f := mustParse(t, "{\r\n\ta = 1;\n  b = \"é\"; }")
	cases := []struct {
		offset int
		want   string
	}{
		{0, "t.nix:1:1"},
		{3, "t.nix:2:1"},
		{4, "t.nix:2:2"},
		{12, "t.nix:3:2"},
		{13, "t.nix:3:3"},
		{20, "t.nix:3:10"}, // bytes, not characters: é is two columns
		{1000, "t.nix:3:14"},
	}
	for _, c := range cases {
		if got := f.Position(c.offset).String(); got != c.want {
			t.Errorf("Position(%d) = %s, want %s", c.offset, got, c.want)
		}
	}
}

// Spans cover a node's tokens without the trivia before them.
func TestSpans(t *testing.T) {
	src := "# head\n{ a.b = \"x\"; /* c */ c = [ 1 ]; }\n"
	f := mustParse(t, src)
	set := f.Expr.(*AttrSet)
	cases := []struct {
		node Node
		want string
	}{
		{set, `{ a.b = "x"; /* c */ c = [ 1 ]; }`},
		{set.Bindings[0], `a.b = "x";`},
		{set.Bindings[0].(*AttrDef).Path, `a.b`},
		{set.Bindings[0].(*AttrDef).Value, `"x"`},
		{set.Bindings[1], `c = [ 1 ];`},
		{set.Bindings[1].(*AttrDef).Value, `[ 1 ]`},
	}
	for _, c := range cases {
		s := c.node.Span()
		if got := src[s.Start:s.End]; got != c.want {
			t.Errorf("span of %s = %q, want %q", dump(c.node), got, c.want)
		}
		first, end := c.node.Tokens()
		if f.Tokens[first].Offset != s.Start || f.Tokens[end-1].End() != s.End {
			t.Errorf("tokens [%d,%d) of %s do not match its span %v", first, end, dump(c.node), s)
		}
	}
	if got := string(f.Tokens[set.Open].Text) + string(f.Tokens[set.Close].Text); got != "{}" {
		t.Errorf("Open/Close tokens = %q, want \"{}\"", got)
	}
}

func TestStaticNameAndValue(t *testing.T) {
	cases := []struct {
		src    string
		want   string
		static bool
	}{
		{`{ a = 1; }`, "a", true},
		{`{ "a\tb" = 1; }`, "a\tb", true},
		{`{ ${"a"} = 1; }`, "a", true},
		{`{ ${("a")} = 1; }`, "a", true},
		{"{ ${''\n  a\n  ''} = 1; }", "a\n", true},
		{`{ ${''${"a"}''} = 1; }`, "a", true},
		{`{ ${''a''${"b"}''} = 1; }`, "", false},
		{`{ "${"a"}" = 1; }`, "", false},
	}
	for _, c := range cases {
		f := mustParse(t, c.src)
		name := f.Expr.(*AttrSet).Bindings[0].(*AttrDef).Path.Names[0]
		got, ok := StaticName(name)
		if got != c.want || ok != c.static {
			t.Errorf("StaticName in %s = %q, %v; want %q, %v", c.src, got, ok, c.want, c.static)
		}
	}
}

// TestParseFixtures runs every fixtures/parse/<case>/input.nix: it must
// round-trip, and its tree (tree.txt) or error (error.txt) must match the
// golden file beside it. Cases named error-* must fail, others must parse.
// -update rewrites the golden files.
func TestParseFixtures(t *testing.T) {
	inputs, err := filepath.Glob("../fixtures/parse/*/input.nix")
	if err != nil {
		t.Fatal(err)
	}
	if len(inputs) < 10 {
		t.Fatalf("found %d fixtures, want at least 10", len(inputs))
	}
	for _, input := range inputs {
		dir := filepath.Dir(input)
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(input)
			if err != nil {
				t.Fatal(err)
			}
			f, err := Parse("input.nix", src)
			golden, got := filepath.Join(dir, "tree.txt"), ""
			switch {
			case err != nil:
				golden, got = filepath.Join(dir, "error.txt"), err.Error()+"\n"
				if !strings.HasPrefix(name, "error-") {
					t.Errorf("unexpected error: %v", err)
				}
			default:
				got = dump(f.Expr) + "\n"
				if string(f.Bytes()) != string(src) {
					t.Errorf("Bytes() does not reproduce input.nix")
				}
				if strings.HasPrefix(name, "error-") {
					t.Errorf("parsed, want an error")
				}
			}
			testenv.Golden(t, golden, []byte(got), *update)
		})
	}
}

// Long runs of path characters (a.b.c..., 1+2+3...) once made the lexer
// rescan the rest of the run at every token: 100 KB took 50 s. Linear
// lexing parses each of these in well under a second on an idle machine;
// the bound leaves room for a loaded one.
func TestParseLongRunsAreLinear(t *testing.T) {
	inputs := []string{
		"x: x" + strings.Repeat(".a-b", 50000),
		"[" + strings.Repeat(" 1.1", 50000) + " ]",
		"x: [" + strings.Repeat(" x+x", 50000) + " ]",
		"[" + strings.Repeat(" a:", 50000) + " ]",
	}
	for _, src := range inputs {
		start := time.Now()
		_, _ = Parse("t.nix", []byte(src))
		if d := time.Since(start); d > 20*time.Second {
			t.Errorf("Parse of %d bytes starting %q took %v", len(src), src[:12], d)
		}
	}
}

func TestStringValue(t *testing.T) {
	cases := []struct {
		src    string
		want   string
		static bool
	}{
		{`"a\n\"b\\"`, "a\n\"b\\", true},
		{`""`, "", true},
		{"''\n    a\n      b\n  ''", "a\n  b\n", true},   // common indentation and the last line stripped
		{"''\n  a\n\n  b\n''", "a\n\nb\n", true},         // empty lines do not count
		{"''\n  ''$x ''' ''\\t\n''", "$x '' \t\n", true}, // escapes
		{"''\n  a\n ''\\tb\n''", " a\n\tb\n", true},      // an escape ends the indentation
		{`"a${"b"}"`, "", false},
		{"''a${b}''", "", false},
	}
	for _, c := range cases {
		f := mustParse(t, "with { }; "+c.src)
		s := f.Expr.(*With).Body.(*String)
		got, ok := s.Value()
		if got != c.want || ok != c.static {
			t.Errorf("Value of %q = %q, %v; want %q, %v", c.src, got, ok, c.want, c.static)
		}
	}
}
