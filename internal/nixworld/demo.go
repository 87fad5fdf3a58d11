package nixworld

import (
	"fmt"
	"strings"
	"testing"
)

// The fake nixpkgs revisions of the demo world (issue 13, `fix --verify`).
// Revision 1 lacks wlroots_0_18 (hyprland uses it) and its libfoo
// evaluates but fails to build (waybar uses it); revision 3 renamed oldtool
// (waybar uses it) to newtool. Only revision 2 has everything.
const (
	demoNixpkgsHead = `{
  outputs = _: let
    mk = name: deps: derivation {
      inherit name;
      system = "x86_64-linux";
      builder = "/bin/sh";
      args = [ "-c" "echo ${name} ${toString deps} > $out" ];
    };
    broken = name: derivation {
      inherit name;
      system = "x86_64-linux";
      builder = "/bin/sh";
      args = [ "-c" "exit 1" ];
    };
  in {
    lib = { inherit mk; };
`
	demoNixpkgsRev1 = demoNixpkgsHead + `    legacyPackages.x86_64-linux = { hello = mk "hello" [ ]; oldtool = mk "oldtool" [ ]; libfoo = broken "libfoo"; };
  };
}
`
	demoNixpkgsRev2 = demoNixpkgsHead + `    legacyPackages.x86_64-linux = { hello = mk "hello" [ ]; oldtool = mk "oldtool" [ ]; libfoo = mk "libfoo" [ ];
      wlroots_0_18 = mk "wlroots" [ ]; };
  };
}
`
	demoNixpkgsRev3 = demoNixpkgsHead + `    legacyPackages.x86_64-linux = { hello = mk "hello" [ ]; newtool = mk "newtool" [ ]; libfoo = mk "libfoo" [ ];
      wlroots_0_18 = mk "wlroots" [ ]; };
  };
}
`
)

// DemoOutputs are the outputs of the demo world's main and retarget roots:
// one package from each input.
const DemoOutputs = `{
    packages.x86_64-linux = {
      hello = nixpkgs.legacyPackages.x86_64-linux.hello;
      hyprland = hyprland.packages.x86_64-linux.default;
      waybar = waybar.packages.x86_64-linux.default;
      fmt = waybar.packages.x86_64-linux.fmt;
    };
  }`

// Demo is the `--verify` demo world: one fake nixpkgs (branch
// nixos-unstable) with three revisions whose packages differ, two
// dependencies locked at later revisions, and three root flakes.
type Demo struct {
	// W is the world; build with W.BuildEnv().
	W *World
	// Nixpkgs is the fake nixpkgs repository.
	Nixpkgs *Repo
	// Rev1, Rev2 and Rev3 are its revisions on nixos-unstable, oldest
	// first.
	Rev1, Rev2, Rev3 string
	// Main is a root with nixpkgs (rev 1), hyprland (whose nixpkgs is rev
	// 3; it needs wlroots_0_18, missing in rev 1) and waybar (nixpkgs rev 2;
	// it needs oldtool, missing in rev 3, and builds libfoo, broken in rev 1;
	// its treefmt-nix input is used by packages.x86_64-linux.fmt, hyprland's
	// flake-compat by nothing).
	Main string
	// Retarget is Main plus a root input nixpkgs-unstable (rev 3).
	Retarget string
	// Broken is a root whose own output needs wlroots_0_18 on rev 1: its
	// baseline fails.
	Broken string
}

// DemoRoot returns the flake.nix of a demo root: nixpkgs at np, the extra
// inputs given as name=url, and the outputs expression.
func DemoRoot(np string, extraInputs []string, outputs string) string {
	var b strings.Builder
	b.WriteString("{\n")
	fmt.Fprintf(&b, "  inputs.nixpkgs.url = %q;\n", np)
	names := []string{"self", "nixpkgs"}
	for _, in := range extraInputs {
		name, url, _ := strings.Cut(in, "=")
		fmt.Fprintf(&b, "  inputs.%s.url = %q;\n", name, url)
		names = append(names, name)
	}
	fmt.Fprintf(&b, "  outputs = { %s }: %s;\n}\n", strings.Join(names, ", "), outputs)
	return b.String()
}

// BuildDemo builds the demo world in a fresh World of t (skipping t
// without nix, as New does) and locks its roots with Nix.
func BuildDemo(t testing.TB) *Demo {
	t.Helper()
	w := New(t)
	d := &Demo{W: w, Nixpkgs: w.Nixpkgs("NixOS", 0)}
	url := d.Nixpkgs.URL("nixos-unstable")
	d.Rev1 = d.Nixpkgs.CommitFlake("nixos-unstable", demoNixpkgsRev1)
	// The roots lock their nixpkgs while the branch is at revision 1.
	d.Main = w.Root("main", DemoRoot(url, nil, "{ }"))
	d.Retarget = w.Root("retarget", DemoRoot(url, nil, "{ }"))
	d.Broken = w.Root("broken", DemoRoot(url, nil,
		"{ packages.x86_64-linux.default = nixpkgs.legacyPackages.x86_64-linux.wlroots_0_18; }"))
	for _, dir := range []string{d.Main, d.Retarget, d.Broken} {
		if _, err := w.Lock(dir); err != nil {
			t.Fatal(err)
		}
	}
	d.Rev2 = d.Nixpkgs.CommitFlake("nixos-unstable", demoNixpkgsRev2)
	treefmt := w.FlakeDir("treefmt-nix", "{ outputs = _: { lib.wrap = drv: drv; }; }\n")
	waybar := w.FlakeRepo("waybar", fmt.Sprintf(`{
  inputs.nixpkgs.url = %q;
  inputs.treefmt-nix.url = %q;
  outputs = { self, nixpkgs, treefmt-nix }: let pkgs = nixpkgs.legacyPackages.x86_64-linux; in {
    packages.x86_64-linux.default = nixpkgs.lib.mk "waybar" [ pkgs.oldtool pkgs.libfoo ];
    packages.x86_64-linux.fmt = treefmt-nix.lib.wrap pkgs.hello;
  };
}
`, url, treefmt))
	d.Rev3 = d.Nixpkgs.CommitFlake("nixos-unstable", demoNixpkgsRev3)
	compat := w.NonFlake("flake-compat")
	hyprland := w.FlakeRepo("hyprland", fmt.Sprintf(`{
  inputs.nixpkgs.url = %q;
  inputs.flake-compat = { url = %q; flake = false; };
  outputs = { self, nixpkgs, flake-compat }: {
    packages.x86_64-linux.default = nixpkgs.lib.mk "hyprland" [ nixpkgs.legacyPackages.x86_64-linux.wlroots_0_18 ];
  };
}
`, url, compat))
	deps := []string{"hyprland=" + hyprland, "waybar=" + waybar}
	w.Root("main", DemoRoot(url, deps, DemoOutputs))
	w.Root("retarget", DemoRoot(url, append([]string{"nixpkgs-unstable=" + url}, deps...), DemoOutputs))
	for _, dir := range []string{d.Main, d.Retarget} {
		if _, err := w.Lock(dir); err != nil {
			t.Fatal(err)
		}
	}
	return d
}
