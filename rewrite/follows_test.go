package rewrite

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestSplitInputPath checks follows targets against what Nix's
// parseInputPath makes of them (checked with Nix 2.8's `nix flake
// metadata`: "/b" and "b//" lock as ["b"], "/" as [] like "").
func TestSplitInputPath(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"", []string{}},
		{"/", []string{}},
		{"nixpkgs", []string{"nixpkgs"}},
		{"/nixpkgs", []string{"nixpkgs"}},
		{"nix/flake-compat", []string{"nix", "flake-compat"}},
		{"/nix//flake-compat/", []string{"nix", "flake-compat"}},
	}
	for _, c := range cases {
		got := SplitInputPath(c.in)
		if got == nil || fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("SplitInputPath(%q) = %#v, want %#v", c.in, got, c.want)
		}
	}
}

func TestDeclaredFollowsPaths(t *testing.T) {
	src := `{
  inputs.nix.url = "github:NixOS/nix";
  inputs.a.inputs.nixpkgs.follows = "/nixpkgs";
  inputs.a.inputs.compat.follows = "nix/flake-compat";
  inputs.a.inputs.self-ref.follows = "";
  outputs = { self, ... }: { };
}`
	in, err := parseInputs(t, src)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range in.DeclaredFollows() {
		got = append(got, fmt.Sprintf("%s %q %q %s", strings.Join(f.Path, "/"), f.Target, f.TargetPath, f.Pos))
	}
	want := []string{
		`a/compat "nix/flake-compat" ["nix" "flake-compat"] flake.nix:4:36`,
		`a/nixpkgs "/nixpkgs" ["nixpkgs"] flake.nix:3:37`,
		`a/self-ref "" [] flake.nix:5:38`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("DeclaredFollows:\ngot\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The list is worked out once; a caller changing its copy (as
	// CheckFollowsTargets sorts it) leaves the next caller's alone.
	first := in.DeclaredFollows()
	first[0], first[2] = first[2], first[0]
	if again := in.DeclaredFollows(); again[0].Target != "nix/flake-compat" || len(again) != 3 {
		t.Errorf("DeclaredFollows after a caller changed its list: %v", again)
	}
	if p := in.Lookup("a", "nixpkgs").FollowsPath; fmt.Sprint(p) != "[nixpkgs]" {
		t.Errorf("FollowsPath of a/nixpkgs = %q", p)
	}
	if p := in.Lookup("nix").FollowsPath; p != nil {
		t.Errorf("FollowsPath of nix = %q, want nil", p)
	}
}

// TestCheckFollowsTargets checks the positioned errors for follows that
// Nix refuses when locking ("input 'a/x' follows a non-existent input
// 'nixpkgz'", "invalid flake input path element 'a.b'"), and that what Nix
// accepts passes: the root (""), an old-style "/name", a path whose first
// element exists, and an input that only outputs' formals declare.
func TestCheckFollowsTargets(t *testing.T) {
	const head = "{\n  inputs.nixpkgs.url = \"github:NixOS/nixpkgs\";\n  inputs.home-manager.url = \"github:nix-community/home-manager\";\n"
	cases := []struct {
		name, body, want string
	}{
		{"typo", `  inputs.a.inputs.nixpkgs.follows = "nixpkgz";`,
			`flake.nix:4:37: inputs.a.inputs.nixpkgs.follows: no input "nixpkgz" (did you mean "nixpkgs"?)`},
		{"typo-in-block", "  inputs.a = {\n    url = \"u\";\n    inputs.hm.follows = \"home-manger/x\";\n  };",
			`flake.nix:6:25: inputs.a.inputs.hm.follows: no input "home-manger" (did you mean "home-manager"?)`},
		{"no-suggestion", `  inputs.a.inputs.nixpkgs.follows = "unrelated";`,
			`flake.nix:4:37: inputs.a.inputs.nixpkgs.follows: no input "unrelated"`},
		{"old-style-missing", `  inputs.a.inputs.nixpkgs.follows = "/nixpkg";`,
			`flake.nix:4:37: inputs.a.inputs.nixpkgs.follows: no input "nixpkg" (did you mean "nixpkgs"?)`},
		{"invalid-element", `  inputs.a.inputs.nixpkgs.follows = "nixpkgs/a.b";`,
			`flake.nix:4:37: inputs.a.inputs.nixpkgs.follows: invalid flake input path element "a.b"`},
		{"invalid-first-element", `  inputs.a.inputs.nixpkgs.follows = "1nixpkgs";`,
			`flake.nix:4:37: inputs.a.inputs.nixpkgs.follows: invalid flake input path element "1nixpkgs"`},
		{"first-in-source-order", "  inputs.z.inputs.n.follows = \"zz\";\n  inputs.a.inputs.n.follows = \"aa\";",
			`flake.nix:4:31: inputs.z.inputs.n.follows: no input "zz"`},
		{"quoted-name", `  inputs."a.b".inputs.nixpkgs.follows = "nixpkgz";`,
			`flake.nix:4:41: inputs."a.b".inputs.nixpkgs.follows: no input "nixpkgz" (did you mean "nixpkgs"?)`},
		{"root", `  inputs.a.inputs.nixpkgs.follows = "";`, ``},
		{"root-slash", `  inputs.a.inputs.nixpkgs.follows = "/";`, ``},
		{"old-style-root-slash", `  inputs.a.inputs.nixpkgs.follows = "/nixpkgs";`, ``},
		{"path", `  inputs.a.inputs.nixpkgs.follows = "home-manager/nixpkgs";`, ``},
		{"root-input-follows", `  inputs.n2.follows = "nixpkgs";`, ``},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in, err := parseInputs(t, head+c.body+"\n  outputs = { self, ... }: { };\n}\n")
			if err != nil {
				t.Fatal(err)
			}
			err = in.CheckFollowsTargets()
			if c.want == "" {
				if err != nil {
					t.Fatalf("CheckFollowsTargets: %v, want nil", err)
				}
				return
			}
			if err == nil || err.Error() != c.want {
				t.Fatalf("CheckFollowsTargets:\ngot  %v\nwant %s", err, c.want)
			}
			var pe *Error
			if !errors.As(err, &pe) || !errors.Is(err, ErrFollowsTarget) {
				t.Errorf("error %v is not an *Error wrapping ErrFollowsTarget", err)
			}
		})
	}
}

// TestCheckFollowsTargetsOutputsFormals: Nix adds every formal of a literal
// outputs function but self as a root input (from the registry), so a
// follows may name one; when outputs is computed its formals are unknown
// and names are not checked.
func TestCheckFollowsTargetsOutputsFormals(t *testing.T) {
	cases := []struct{ src, want string }{
		{`{ inputs.a.inputs.x.follows = "b"; outputs = { self, a, b }: { }; }`, ``},
		{`{ inputs.a.inputs.x.follows = "b"; outputs = ({ self, a, b }: { }); }`, ``},
		{`{ inputs.a.inputs.x.follows = "self"; outputs = { self, a }: { }; }`, `flake.nix:1:31: inputs.a.inputs.x.follows: no input "self"`},
		{`{ inputs.a.inputs.x.follows = "b"; outputs = inputs: { }; }`, `flake.nix:1:31: inputs.a.inputs.x.follows: no input "b"`},
		{`{ inputs.a.inputs.x.follows = "b"; outputs = import ./outputs.nix; }`, ``},
		{`{ inputs.a.inputs.x.follows = "b/c.d"; outputs = import ./outputs.nix; }`, `flake.nix:1:31: inputs.a.inputs.x.follows: invalid flake input path element "c.d"`},
		{`{ inputs.a.inputs.x.follows = "b"; }`, `flake.nix:1:31: inputs.a.inputs.x.follows: no input "b"`},
	}
	for _, c := range cases {
		in, err := parseInputs(t, c.src)
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		if err := in.CheckFollowsTargets(); err != nil {
			got = err.Error()
		}
		if got != c.want {
			t.Errorf("%s:\ngot  %s\nwant %s", c.src, got, c.want)
		}
	}
}
