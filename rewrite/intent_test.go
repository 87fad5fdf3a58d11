package rewrite

import (
	"reflect"
	"testing"
)

func TestIntent(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want Intent
	}{
		{"commented-out follows in an inputs block, with its reason",
			"{\n  inputs = {\n    nixpkgs.url = \"github:NixOS/nixpkgs\";\n    impermanence.url = \"github:nix-community/impermanence\";\n" +
				"    # impermanence.inputs.nixpkgs.follows = \"nixpkgs\"; # breaks the build\n  };\n  outputs = _: { };\n}\n",
			Intent{RootInputs: []string{"impermanence", "nixpkgs"},
				CommentedFollows: []CommentedFollows{{Path: []string{"impermanence", "nixpkgs"}, Target: "nixpkgs", Line: 5, Comment: "# breaks the build"}}}},
		{"commented-out follows inside an input's block and at the top level",
			"{\n  inputs.hm = {\n    url = \"github:nix-community/home-manager\";\n    #inputs.nixpkgs.follows = \"nixpkgs-stable\";\n  };\n" +
				"  # inputs.\"sops-nix\".inputs.nixpkgs.follows = \"nixpkgs\";\n  outputs = _: { };\n}\n",
			Intent{RootInputs: []string{"hm"},
				CommentedFollows: []CommentedFollows{
					{Path: []string{"hm", "nixpkgs"}, Target: "nixpkgs-stable", Line: 4},
					{Path: []string{"sops-nix", "nixpkgs"}, Target: "nixpkgs", Line: 6}}}},
		{"a comment that mentions follows in prose is not a follows line",
			"{\n  # The `follows` keyword keeps copies together.\n  inputs.a.url = \"github:o/a\";\n  outputs = _: { };\n}\n",
			Intent{RootInputs: []string{"a"}}},
		{"flakedup: ignore on an input's line, in its block, and on an override",
			"{\n  inputs = {\n    a.url = \"github:o/a\"; # flakedup: ignore\n    b = {\n      # flakedup: ignore\n      url = \"github:o/b\";\n    };\n" +
				"    c.url = \"github:o/c\";\n    c.inputs.nixpkgs.url = \"github:NixOS/nixpkgs/nixos-24.05\"; # FlakeDup:ignore\n  };\n  outputs = _: { };\n}\n",
			Intent{RootInputs: []string{"a", "b", "c"},
				Ignored: []MarkedInput{
					{Path: []string{"a"}, Line: 3, Comment: "flakedup: ignore"},
					{Path: []string{"b"}, Line: 5, Comment: "flakedup: ignore"},
					{Path: []string{"c", "nixpkgs"}, Line: 9, Comment: "FlakeDup:ignore"}}}},
		{"a pin comment right above an input, over two lines, is quoted whole",
			"{\n  inputs = {\n    nixpkgs.url = \"github:NixOS/nixpkgs\";\n\n    # pinned: a newer nixpkgs\n    # breaks the build\n    old.url = \"github:o/old\";\n  };\n  outputs = _: { };\n}\n",
			Intent{RootInputs: []string{"nixpkgs", "old"},
				Pinned: []MarkedInput{{Path: []string{"old"}, Line: 5, Comment: "pinned: a newer nixpkgs breaks the build"}}}},
		{"a pin word on the input's own line; words glued by - or ' do not count",
			"{\n  inputs.a.url = \"github:o/a\"; # do NOT update, see #12\n  inputs.b.url = \"github:o/b\"; # unpinned, pin-point\n" +
				"  # keep-sorted start\n  inputs.c.url = \"github:o/c\";\n  outputs = _: { };\n}\n",
			Intent{RootInputs: []string{"a", "b", "c"},
				Pinned: []MarkedInput{{Path: []string{"a"}, Line: 2, Comment: "do NOT update, see #12"}}}},
		{"a commented-out input above an input is not a comment about it",
			"{\n  inputs = {\n    # pin a working commit when that occurs\n    # nixpkgs-pinned.url = \"github:NixOS/nixpkgs/abc\";\n    nixpkgs.url = \"github:NixOS/nixpkgs\";\n  };\n  outputs = _: { };\n}\n",
			Intent{RootInputs: []string{"nixpkgs"}}},
		{"nixConfig substituters: lists, a space-separated string, both spellings",
			"{\n  nixConfig = {\n    extra-substituters = [ \"https://hyprland.cachix.org\" \"https://cache.iog.io\" ];\n    trusted-substituters = \"https://a.example https://b.example\";\n" +
				"    extra-trusted-public-keys = [ \"k\" ];\n  };\n  nixConfig.substituters = [ \"https://cache.nixos.org\" ];\n  inputs = { };\n  outputs = _: { };\n}\n",
			Intent{Substituters: []string{"https://hyprland.cachix.org", "https://cache.iog.io", "https://a.example", "https://b.example", "https://cache.nixos.org"},
				RootInputs: []string{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse("flake.nix", []byte(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			in, err := f.Inputs()
			if err != nil {
				t.Fatal(err)
			}
			got := in.Intent()
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("Intent() =\n%#v\nwant\n%#v", *got, tt.want)
			}
		})
	}
}
