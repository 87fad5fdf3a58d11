package rewrite

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flakedup/flakedup/internal/testenv"
)

// flakeCheckCases are flakes that nix-instantiate evaluates; want is
// CheckFlake's error ("" for a flake Nix locks). DEP is a local flake with
// no inputs, DEP2 one with an input x.
var flakeCheckCases = []struct{ name, src, want string }{
	{"minimal", `{ outputs = { self }: { }; }`, ``},
	{"every-top-level-attribute", `{ description = "d"; nixConfig = { }; inputs = { }; outputs = { self }: { }; }`, ``},
	{"rec-and-parens", `(rec { outputs = { self }: { }; })`, ``},
	{"unsupported-attribute", "{\n  outputs = { self }: { };\n  foo = 1;\n}",
		`flake.nix:3:3: unsupported top-level attribute "foo": a flake has only description, inputs, outputs and nixConfig (Nix: "flake has an unsupported attribute 'foo'")`},
	{"unsupported-self", `{ outputs = { self }: { }; self = 1; }`,
		`flake.nix:1:28: unsupported top-level attribute "self": a flake has only description, inputs, outputs and nixConfig (Nix: "flake has an unsupported attribute 'self'")`},
	{"no-outputs", `{ description = "x"; }`,
		"flake.nix:1:1: the flake has no outputs (Nix: \"flake lacks attribute 'outputs'\"); add `outputs = { self, ... }: { };`"},
	{"outputs-a-set", `{ outputs = { }; }`, `flake.nix:1:13: outputs must be a function, not an attribute set (Nix: "expected a function")`},
	{"outputs-dotted", `{ outputs.x = 1; }`, `flake.nix:1:3: outputs must be a function, not an attribute set (Nix: "expected a function")`},
	{"description-an-integer", `{ description = 1; outputs = { self }: { }; }`, `flake.nix:1:17: description must be a string, not an integer (Nix: "expected a string")`},
	{"input-a-string", `{ outputs = { self }: { }; inputs.a = "path:DEP"; }`,
		`flake.nix:1:28: inputs.a: computed by an expression (a constant where an attribute set is needed); flakedup can only edit inputs written as attribute sets`},
	{"url-an-integer", `{ outputs = { self }: { }; inputs.a.url = 1; }`, `flake.nix:1:43: inputs.a.url must be a string, not an integer (Nix: "expected a string")`},
	{"flake-a-string", `{ outputs = { self }: { }; inputs.a = { url = "path:DEP"; flake = "x"; }; }`,
		`flake.nix:1:67: inputs.a.flake must be true or false, not a string (Nix: "expected a Boolean")`},
	{"attribute-a-float", `{ outputs = { self }: { }; inputs.a = { type = "path"; path = "DEP"; x = 1.5; }; }`,
		`flake.nix:1:74: inputs.a.x is a float; a flake input attribute is a string, a Boolean or an integer (Nix: "flake input attribute 'x' is a float while a string, Boolean, or integer is expected")`},
	{"attribute-null", `{ outputs = { self }: { }; inputs.a = { type = "path"; path = "DEP"; x = null; }; }`,
		`flake.nix:1:74: inputs.a.x is null; a flake input attribute is a string, a Boolean or an integer (Nix: "flake input attribute 'x' is null while a string, Boolean, or integer is expected")`},
	{"attribute-a-set", `{ outputs = { self }: { }; inputs.a = { url = "path:DEP"; foo = { }; }; }`,
		`flake.nix:1:59: inputs.a.foo is an attribute set; a flake input attribute is a string, a Boolean or an integer (Nix: "flake input attribute 'foo' is an attribute set while a string, Boolean, or integer is expected")`},
	{"attribute-beside-url", `{ outputs = { self }: { }; inputs.a = { url = "path:DEP"; foo = 1; }; }`,
		"flake.nix:1:65: inputs.a.foo: unexpected flake input attribute; without `type = …;` an input has only url, flake, follows and inputs (Nix: \"unexpected flake input attribute 'foo'\")"},
	{"attribute-in-override", `{ outputs = { self }: { }; inputs.a = { url = "path:DEP2"; inputs.x = { foo = 1; }; }; }`,
		"flake.nix:1:79: inputs.a.inputs.x.foo: unexpected flake input attribute; without `type = …;` an input has only url, flake, follows and inputs (Nix: \"unexpected flake input attribute 'foo'\")"},
	{"attribute-style", `{ outputs = { self }: { }; inputs.a = { type = "path"; path = "DEP"; }; }`, ``},
	{"follows-typo", `{ outputs = { self, ... }: { }; inputs.a.url = "path:DEP2"; inputs.b.url = "path:DEP"; inputs.a.inputs.x.follows = "bb"; }`,
		`flake.nix:1:116: inputs.a.inputs.x.follows: no input "bb"`},
	{"follows-old-style-root-slash", `{ outputs = { self, ... }: { }; inputs.a.url = "path:DEP2"; inputs.b.url = "path:DEP"; inputs.a.inputs.x.follows = "/b"; }`, ``},
	{"follows-root", `{ outputs = { self, ... }: { }; inputs.a.url = "path:DEP2"; inputs.a.inputs.x.follows = ""; }`, ``},
	{"follows-invalid-element", `{ outputs = { self, ... }: { }; inputs.a.url = "path:DEP2"; inputs.a.inputs.x.follows = "a.b"; }`,
		`flake.nix:1:89: inputs.a.inputs.x.follows: invalid flake input path element "a.b"`},
	{"follows-root-input", `{ outputs = { self, ... }: { }; inputs.b.url = "path:DEP"; inputs.a.follows = "b"; }`, ``},
}

// TestCheckFlake checks CheckFlake's verdicts and messages; with Nix on
// PATH (TestCheckFlakeNix) each is also Nix's own.
func TestCheckFlake(t *testing.T) {
	for _, c := range flakeCheckCases {
		t.Run(c.name, func(t *testing.T) {
			in, err := parseInputs(t, c.src)
			if err == nil {
				err = in.CheckFlake() // else Inputs refused it already
				if err != nil && !errors.Is(err, ErrNixRefuses) {
					t.Errorf("error does not unwrap to ErrNixRefuses")
				}
			}
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != c.want {
				t.Errorf("CheckFlake:\ngot  %s\nwant %s", got, c.want)
			}
		})
	}
}

// TestCheckFlakeNix asks real Nix (2.8: `nix flake metadata
// --no-write-lock-file` on a local flake, offline, with an empty registry
// and a store of its own) about every case of TestCheckFlake: it must
// refuse exactly the ones CheckFlake refuses.
func TestCheckFlakeNix(t *testing.T) {
	nix := testenv.RequireTools(t, "nix")[0]
	dir := t.TempDir()
	env := append(os.Environ(),
		"HOME="+filepath.Join(dir, "home"), "XDG_CACHE_HOME="+filepath.Join(dir, "cache"),
		"NIX_CONFIG=experimental-features = nix-command flakes\nflake-registry = "+filepath.Join(dir, "registry.json")+
			"\nstore = "+filepath.Join(dir, "store")+"\nsandbox = false\nbuild-users-group =\nsubstituters =\nwarn-dirty = false\n")
	write := func(path, text string) {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dep, dep2 := filepath.Join(dir, "dep"), filepath.Join(dir, "dep2")
	write(filepath.Join(dir, "registry.json"), `{"flakes":[],"version":2}`)
	write(filepath.Join(dep, "flake.nix"), `{ outputs = { self }: { }; }`)
	write(filepath.Join(dep2, "flake.nix"), `{ inputs.x.url = "path:`+dep+`"; outputs = { self, x }: { }; }`)
	start := time.Now()
	agree := 0
	for _, c := range flakeCheckCases {
		root := filepath.Join(dir, "cases", c.name)
		write(filepath.Join(root, "flake.nix"), strings.NewReplacer("DEP2", dep2, "DEP", dep).Replace(c.src))
		cmd := exec.Command(nix, "flake", "metadata", "--json", "--no-write-lock-file", "path:"+root)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if _, isExit := err.(*exec.ExitError); err != nil && !isExit {
			t.Fatal(err)
		}
		if refused := err != nil; refused != (c.want != "") {
			t.Errorf("%s: Nix refuses=%v, CheckFlake says %q; Nix printed:\n%s", c.name, refused, c.want, out)
			continue
		}
		agree++
	}
	t.Logf("nix flake metadata agrees on %d of %d flakes (%v)", agree, len(flakeCheckCases), time.Since(start).Round(time.Millisecond))
}

// TestCheckFlakeCorpus: every corpus flake is one Nix has locked, so
// CheckFlake must pass on each.
func TestCheckFlakeCorpus(t *testing.T) {
	for _, path := range corpusFiles(t) {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		in, _, err := flakedupVerdict(src)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if err := in.CheckFlake(); err != nil {
			t.Errorf("%s: %v", path, err)
		}
	}
}
