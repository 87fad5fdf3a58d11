package rewrite

import (
	"errors"
	"testing"
)

// TestParsePipes checks the pipe operators `|>` and `<|`. Nix 2.8 rejects
// both (it has no '|' token), so these cases are judged by the documented
// grammar of Nix 2.24+'s parser.y (expr_pipe_into / expr_pipe_from), not
// by running a Nix: `|>` is left-associative, `<|` right-associative, both
// bind more loosely than every other operator, and they do not mix.
func TestParsePipes(t *testing.T) {
	cases := []struct{ src, want string }{
		{`f: x: x |> f`, `(lambda f (lambda x (|> x f)))`},
		{`f: g: x: x |> f |> g`, `(lambda f (lambda g (lambda x (|> (|> x f) g))))`},
		{`f: g: x: f <| g <| x`, `(lambda f (lambda g (lambda x (<| f (<| g x)))))`},
		{`f: x: x + 1 |> f`, `(lambda f (lambda x (|> (+ x 1) f)))`},
		{`f: x: f <| x // { }`, `(lambda f (lambda x (<| f (// x (attrs)))))`},
		{`f: x: x == 1 |> f`, `(lambda f (lambda x (|> (== x 1) f)))`},
		{`f: x: x -> x |> f`, `(lambda f (lambda x (|> (-> x x) f)))`},
		{`f: x: (x |> f) <| x`, `(lambda f (lambda x (<| (paren (|> x f)) x)))`},
		{`f: x: if x |> f then x <| f else x`, `(lambda f (lambda x (if (|> x f) (<| x f) x)))`},
		{`f: x: x|>f`, `(lambda f (lambda x (|> x f)))`},
		{`f: x: { a = x |> f; }`, `(lambda f (lambda x (attrs (= a (|> x f)))))`},
		{`f: x: [ (x |> f) ]`, `(lambda f (lambda x (list (paren (|> x f)))))`},
		{`x: x || x`, `(lambda x (|| x x))`}, // `||` is still one token
		{`x: x <x`, `(lambda x (< x x))`},
	}
	for _, c := range cases {
		f := mustParse(t, c.src)
		if got := dump(f.Expr); got != c.want {
			t.Errorf("Parse(%q)\n got %s\nwant %s", c.src, got, c.want)
		}
	}
}

func TestParsePipeErrors(t *testing.T) {
	cases := []struct{ src, msg string }{
		{`f: x: x |> f <| x`, `t.nix:1:14: unexpected '<|', expecting end of the '|>' chain ('|>' and '<|' do not mix without parentheses)`},
		{`f: x: f <| x |> f`, `t.nix:1:14: unexpected '|>', expecting end of the '<|' chain ('|>' and '<|' do not mix without parentheses)`},
		{`f: x: x |> y: y`, `t.nix:1:13: unexpected ':', expecting end of file`},
		{`f: x: x |> if x then f else f`, `t.nix:1:12: unexpected 'if', expecting an expression`},
		{`f: x: f <| let y = x; in y`, `t.nix:1:12: unexpected 'let', expecting '{'`},
		{`x: x |>`, `t.nix:1:8: unexpected end of file, expecting an expression (is the file cut short?)`},
		{`x: |> x`, `t.nix:1:4: unexpected '|>', expecting an expression`},
		{`x: x | x`, `t.nix:1:6: unexpected character "|", expecting end of file`},
	}
	for _, c := range cases {
		_, err := Parse("t.nix", []byte(c.src))
		if err == nil {
			t.Errorf("Parse(%q) succeeded, want %s", c.src, c.msg)
			continue
		}
		if err.Error() != c.msg || !errors.Is(err, ErrSyntax) {
			t.Errorf("Parse(%q) error\n got %v\nwant %s", c.src, err, c.msg)
		}
	}
}
