package rewrite

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flakedup/flakedup/internal/testenv"
)

// parseInputs parses src and reads its inputs.
func parseInputs(t *testing.T, src string) (*Inputs, error) {
	t.Helper()
	f, err := Parse("flake.nix", []byte(src))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return f.Inputs()
}

// TestInputsJSON checks the evaluated inputs of every spelling against the
// JSON Nix prints for them (checked by hand with nix-instantiate 2.8).
func TestInputsJSON(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"no-inputs", `{ outputs = _: { }; }`, `{}`},
		{"empty-block", `{ inputs = { }; }`, `{}`},
		{"block-dotted", `{ inputs = { a.url = "github:o/a"; b.url = "github:o/b"; }; }`,
			`{"a":{"url":"github:o/a"},"b":{"url":"github:o/b"}}`},
		{"top-level-dotted", `{ inputs.b.url = "u"; inputs.a.url = "v"; inputs.b.inputs.n.follows = "a"; }`,
			`{"a":{"url":"v"},"b":{"inputs":{"n":{"follows":"a"}},"url":"u"}}`},
		{"nested", `{ inputs = { a = { url = "u"; inputs.n.follows = ""; flake = false; }; }; }`,
			`{"a":{"flake":false,"inputs":{"n":{"follows":""}},"url":"u"}}`},
		{"x-inputs-block", `{ inputs = { a.url = "u"; a.inputs = { n.follows = "m"; }; }; }`,
			`{"a":{"inputs":{"n":{"follows":"m"}},"url":"u"}}`},
		{"mixed", `{ inputs = { a.url = "u"; }; inputs.b = { url = "v"; }; inputs.a.inputs.x.follows = "b"; }`,
			`{"a":{"inputs":{"x":{"follows":"b"}},"url":"u"},"b":{"url":"v"}}`},
		{"quoted-names", `{ inputs."foo.bar".url = "u"; inputs.${"baz"}.url = "v"; }`,
			`{"baz":{"url":"v"},"foo.bar":{"url":"u"}}`},
		{"attrset-ref", `{ inputs.n = { type = "github"; owner = "NixOS"; repo = "nixpkgs"; ref = "x"; dir = "lib"; submodules = true; revCount = 12; }; }`,
			`{"n":{"dir":"lib","owner":"NixOS","ref":"x","repo":"nixpkgs","revCount":12,"submodules":true,"type":"github"}}`},
		{"rec", "rec { x = \"u\"; inputs.a.url = \"u\"; }", `{"a":{"url":"u"}}`},
		{"paren", "({ inputs.a.url = \"u\"; })", `{"a":{"url":"u"}}`},
		{"uri-literals", `{ inputs.a.url = github:nix-community/home-manager; inputs.b.url = gitlab:rycee/nur-expressions?dir=pkgs/firefox-addons; }`,
			`{"a":{"url":"github:nix-community/home-manager"},"b":{"url":"gitlab:rycee/nur-expressions?dir=pkgs/firefox-addons"}}`},
		{"uri-every-char", `{ inputs.a.url = git+ssh.x-y:aZ09%/?:@&=+$,-_.!~*'; }`, `{"a":{"url":"git+ssh.x-y:aZ09%/?:@&=+$,-_.!~*'"}}`},
		{"constant-interpolation", "{ inputs.a.url = \"${\"github\"}:o/${''r''}\"; inputs.b.url = ''\n    x${\"y\"}\n  ''; }",
			`{"a":{"url":"github:o/r"},"b":{"url":"xy\n"}}`},
		{"parenthesized-constants", `{ inputs.a = { url = ("u"); flake = (false); n = ((1)); }; }`, `{"a":{"flake":false,"n":1,"url":"u"}}`},
		{"floats-as-nix-prints-them", `{ inputs.a = { x = 0.1234567; y = 1.0e21; z = 100000000.0; w = -1.5; v = -0.0; u = 123456.7; t = 1234567.0; s = -5; r = 0.0001; q = 0.00001234; o = 1.0; n = .5; m = 1.5E-7; l = - -2; k = -(3); j = 1.e2; h = 2.5e-5; g = 1.0e300; }; }`,
			`{"a":{"g":1e+300,"h":2.5e-05,"j":100,"k":-3,"l":2,"m":1.5e-07,"n":0.5,"o":1,"q":1.234e-05,"r":0.0001,"s":-5,"t":1.23457e+06,"u":123457,"v":0,"w":-1.5,"x":0.123457,"y":1e+21,"z":1e+08}}`},
		{"indented-string", "{ inputs.a.url = ''\n    github:o/a\n  ''; }", `{"a":{"url":"github:o/a\n"}}`},
		{"escapes", `{ inputs.a.url = "a\"b\\c\td"; }`, `{"a":{"url":"a\"b\\c\td"}}`},
		{"byte-order", `{ inputs = { b.url = "1"; B.url = "2"; a-b.url = "3"; a.url = "4"; _a.url = "5"; }; }`,
			`{"B":{"url":"2"},"_a":{"url":"5"},"a":{"url":"4"},"a-b":{"url":"3"},"b":{"url":"1"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, err := parseInputs(t, tt.src)
			if err != nil {
				t.Fatal(err)
			}
			if got := string(in.JSON()); got != tt.want {
				t.Errorf("JSON:\ngot  %s\nwant %s", got, tt.want)
			}
		})
	}
}

// TestInputsComputed checks that inputs flakedup cannot read give a
// positioned ErrComputed naming the line.
func TestInputsComputed(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"variable", "rec { d = { };\n  inputs = d;\n}",
			"flake.nix:2:12: inputs: computed by an expression (a variable); flakedup can only edit inputs written as attribute sets"},
		{"let-inside", "{\n  inputs = let d = { }; in d;\n}",
			"flake.nix:2:12: inputs: computed by an expression (a let expression); flakedup can only edit inputs written as attribute sets"},
		{"negated-string", "{\n  inputs.a.url = -\"u\";\n}",
			"flake.nix:2:18: inputs.a.url: computed by an expression (an expression); flakedup can only edit inputs written as attribute sets"},
		{"update", "{\n  inputs = { } // { };\n}",
			"flake.nix:2:12: inputs: computed by an expression (the // operator); flakedup can only edit inputs written as attribute sets"},
		{"call", "{\n  inputs.a = builtins.fromJSON \"{}\";\n}",
			"flake.nix:2:14: inputs.a: computed by an expression (a function call); flakedup can only edit inputs written as attribute sets"},
		{"interpolated-url", "rec { v = \"1\";\n  inputs.a.url = \"github:o/a/${v}\";\n}",
			"flake.nix:2:18: inputs.a.url: computed by an expression (a string with interpolation); flakedup can only edit inputs written as attribute sets"},
		{"dynamic-name", "rec { n = \"a\";\n  inputs.${n}.url = \"u\";\n}",
			"flake.nix:2:10: inputs: computed by an expression (a dynamic attribute name); flakedup can only edit inputs written as attribute sets"},
		{"inherit-inputs", "{\n  inherit ({ inputs = { }; }) inputs;\n}",
			"flake.nix:2:3: inputs: computed by an expression (inherit); flakedup can only edit inputs written as attribute sets"},
		{"inherit-inside", "rec { a = { };\n  inputs = { inherit a; };\n}",
			"flake.nix:2:14: inputs: computed by an expression (inherit); flakedup can only edit inputs written as attribute sets"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseInputs(t, tt.src)
			if err == nil {
				t.Fatal("Inputs succeeded, want an error")
			}
			if err.Error() != tt.want {
				t.Errorf("error:\ngot  %s\nwant %s", err, tt.want)
			}
			if !errors.Is(err, ErrComputed) {
				t.Errorf("error does not unwrap to ErrComputed")
			}
		})
	}
}

// TestInputsTyped checks the typed view: url, flake, follows, attrs,
// nested overrides, lines and syntax.
func TestInputsTyped(t *testing.T) {
	src := `{
  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
    hm = {
      url = "github:nix-community/home-manager";
      inputs.nixpkgs.follows = "nixpkgs";
    };
    src = { type = "github"; owner = "o"; repo = "r"; flake = false; };
  };
  inputs.hm.inputs.utils.inputs.systems.follows = "";
}
`
	in, err := parseInputs(t, src)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	var describe func(x *Input)
	describe = func(x *Input) {
		line := fmt.Sprintf("%s url=%q line=%d defs=%d", strings.Join(x.Path, "/"), x.URL, x.Line, len(x.Syntax))
		if x.Flake != nil {
			line += fmt.Sprintf(" flake=%v", *x.Flake)
		}
		if x.Follows != nil {
			line += fmt.Sprintf(" follows=%q", *x.Follows)
		}
		for _, k := range sortedKeys(x.Attrs) {
			line += fmt.Sprintf(" %s=%v", k, x.Attrs[k])
		}
		got = append(got, line)
		for _, name := range x.InputNames() {
			describe(x.Inputs[name])
		}
	}
	for _, name := range in.Names() {
		describe(in.Inputs[name])
	}
	want := []string{
		`hm url="github:nix-community/home-manager" line=4 defs=2`,
		`hm/nixpkgs url="" line=6 defs=1 follows="nixpkgs"`,
		`hm/utils url="" line=10 defs=1`,
		`hm/utils/systems url="" line=10 defs=1 follows=""`,
		`nixpkgs url="github:NixOS/nixpkgs/nixos-unstable" line=3 defs=1`,
		`src url="" line=8 defs=1 flake=false owner=o repo=r type=github`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("inputs:\ngot\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if in.Lookup("hm", "utils", "systems") == nil || in.Lookup("hm", "nope") != nil {
		t.Errorf("Lookup does not find hm/utils/systems or finds hm/nope")
	}
	hm := in.Inputs["hm"]
	if s := src[hm.Span.Start:hm.Span.End]; !strings.HasPrefix(s, "hm = {") || !strings.HasSuffix(s, `follows = "";`) {
		t.Errorf("hm span = %q", s)
	}

	var follows []string
	for _, f := range in.DeclaredFollows() {
		follows = append(follows, fmt.Sprintf("%s -> %q (line %d)", strings.Join(f.Path, "/"), f.Target, f.Line))
	}
	wantFollows := []string{`hm/nixpkgs -> "nixpkgs" (line 6)`, `hm/utils/systems -> "" (line 10)`}
	if strings.Join(follows, "\n") != strings.Join(wantFollows, "\n") {
		t.Errorf("DeclaredFollows:\ngot\n%s\nwant\n%s", strings.Join(follows, "\n"), strings.Join(wantFollows, "\n"))
	}
}

// TestInputsNotAnAttrSet checks that a flake.nix whose expression is not
// an attribute set literal is refused as Nix refuses it (`nix flake
// metadata` on Nix 2.8: "file '…/flake.nix' must be an attribute set"),
// while parentheses and rec are fine.
func TestInputsNotAnAttrSet(t *testing.T) {
	const nixSays = ` (Nix refuses it: "file 'flake.nix' must be an attribute set")`
	tests := []struct{ name, src, want string }{
		{"function", "{ self }: {\n  inputs = { };\n}", "flake.nix:1:1: a flake must be an attribute set, not a function" + nixSays},
		{"let-wrapper", "# c\nlet x = 1; in { inputs.a.url = \"u\"; }", "flake.nix:2:1: a flake must be an attribute set, not a let expression" + nixSays},
		{"let-in-parens", "(let x = 1; in { })", "flake.nix:1:2: a flake must be an attribute set, not a let expression" + nixSays},
		{"legacy-let", "let { body = { }; }", "flake.nix:1:1: a flake must be an attribute set, not a let expression" + nixSays},
		{"with", "with builtins; { }", "flake.nix:1:1: a flake must be an attribute set, not a with expression" + nixSays},
		{"call", "import ./f.nix { }", "flake.nix:1:1: a flake must be an attribute set, not a function call" + nixSays},
		{"update", "{ } // { }", "flake.nix:1:1: a flake must be an attribute set, not the // operator" + nixSays},
		{"string", `"x"`, "flake.nix:1:1: a flake must be an attribute set, not a string" + nixSays},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseInputs(t, tt.src)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("error:\ngot  %v\nwant %s", err, tt.want)
			}
			if !errors.Is(err, ErrNotAttrSet) {
				t.Errorf("error does not unwrap to ErrNotAttrSet")
			}
		})
	}
}

// corpusDirs lists the corpus flakes: skipped when the corpus is missing,
// failed when FLAKEDUP_CORPUS is set.
func corpusDirs(t *testing.T) []string {
	t.Helper()
	dirs := testenv.CorpusFiles(t, "flake.nix")
	for i := range dirs {
		dirs[i] = filepath.Dir(dirs[i])
	}
	return dirs
}

// TestInputsCorpus reads the inputs of every corpus flake.nix and, with
// Nix on PATH, compares them with what Nix evaluates.
func TestInputsCorpus(t *testing.T) {
	var nixFiles, ours []string
	for _, dir := range corpusDirs(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join(dir, "flake.nix"))
			if err != nil {
				t.Fatal(err)
			}
			f, err := Parse("flake.nix", src)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			in, err := f.Inputs()
			if err != nil {
				t.Fatalf("Inputs: %v", err)
			}
			nixFiles = append(nixFiles, filepath.Join(dir, "flake.nix"))
			ours = append(ours, string(in.JSON()))
		})
	}
	for i, want := range testenv.NixInputs(t, nixFiles) {
		if ours[i] != want {
			t.Errorf("inputs of %s:\nflakedup %s\nnix      %s", nixFiles[i], ours[i], want)
		}
	}
}

// TestInputsErrorIsFirstByName: typedInputs reads the tree in map order,
// but of several inputs it cannot type, the error names the first by name,
// every time (map order changes from run to run).
func TestInputsErrorIsFirstByName(t *testing.T) {
	cases := []struct{ src, want string }{
		{`{ inputs = { z = "x"; m.url = "path:/m"; b.inputs = 1; a = "y"; c.inputs.d = "e"; }; outputs = _: { }; }`,
			`flake.nix:1:56: inputs.a: computed by an expression (a constant where an attribute set is needed)`},
		{`{ inputs = { z = "x"; m.url = "path:/m"; b.inputs = 1; }; outputs = _: { }; }`,
			`flake.nix:1:42: inputs.b.inputs: computed by an expression (a constant where an attribute set is needed)`},
		{`{ inputs = { z = "x"; m.url = "path:/m"; m.inputs.q.inputs = 2; m.inputs.p = 3; }; outputs = _: { }; }`,
			`flake.nix:1:65: inputs.m.inputs.p: computed by an expression (a constant where an attribute set is needed)`},
	}
	for _, c := range cases {
		for i := 0; i < 50; i++ {
			_, err := parseInputs(t, c.src)
			if err == nil || !strings.HasPrefix(err.Error(), c.want) {
				t.Fatalf("%s:\ngot  %v\nwant %s...", c.src, err, c.want)
			}
		}
	}
}
