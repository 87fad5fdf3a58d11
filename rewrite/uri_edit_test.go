package rewrite

import "testing"

// TestApplyNextToURILiterals: a follows added to inputs whose urls are
// unquoted URI literals keeps the file's style; only the new line is
// added, and the literals stay as written.
func TestApplyNextToURILiterals(t *testing.T) {
	cases := []struct {
		name, src, want string
		edits           []Edit
	}{
		{"flat",
			"{\n  inputs.nixpkgs.url = github:NixOS/nixpkgs/nixos-unstable;\n  inputs.hm.url = github:nix-community/home-manager;\n  outputs = { self, ... }: { };\n}\n",
			"{\n  inputs.nixpkgs.url = github:NixOS/nixpkgs/nixos-unstable;\n  inputs.hm.url = github:nix-community/home-manager;\n  inputs.hm.inputs.nixpkgs.follows = \"nixpkgs\";\n  outputs = { self, ... }: { };\n}\n",
			[]Edit{AddFollows{Path: []string{"hm", "nixpkgs"}, Target: "nixpkgs"}}},
		{"nested",
			"{\n  inputs = {\n    nixpkgs.url = github:NixOS/nixpkgs;\n    addons = {\n      url = gitlab:rycee/nur-expressions?dir=pkgs/firefox-addons;\n    };\n  };\n  outputs = { self, ... }: { };\n}\n",
			"{\n  inputs = {\n    nixpkgs.url = github:NixOS/nixpkgs;\n    addons = {\n      url = gitlab:rycee/nur-expressions?dir=pkgs/firefox-addons;\n      inputs.nixpkgs.follows = \"nixpkgs\";\n    };\n  };\n  outputs = { self, ... }: { };\n}\n",
			[]Edit{AddFollows{Path: []string{"addons", "nixpkgs"}, Target: "nixpkgs"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, changed, err := Apply([]byte(c.src), "flake.nix", c.edits...)
			if err != nil || !changed {
				t.Fatalf("Apply: changed=%v, %v", changed, err)
			}
			if string(out) != c.want {
				t.Fatalf("Apply:\n%s", Diff("want", []byte(c.want), out))
			}
			if _, again, err := Apply(out, "flake.nix", c.edits...); err != nil || again {
				t.Errorf("second Apply: changed=%v, %v", again, err)
			}
		})
	}
}
