package rewrite

import (
	"errors"
	"testing"
)

func TestSetURL(t *testing.T) {
	const rev = "github:NixOS/nixpkgs/0123456789abcdef0123456789abcdef01234567"
	tests := []struct {
		name, src string
		edit      SetURL
		want      string // "" with err set
		err       string
	}{
		{
			name: "dotted string",
			src:  "{\n  inputs.nixpkgs.url = \"github:NixOS/nixpkgs/nixos-unstable\"; # primary\n  outputs = _: { };\n}\n",
			edit: SetURL{Name: "nixpkgs", URL: rev},
			want: "{\n  inputs.nixpkgs.url = \"" + rev + "\"; # primary\n  outputs = _: { };\n}\n",
		},
		{
			name: "block",
			src:  "{\n  inputs = {\n    nixpkgs = { url = \"github:NixOS/nixpkgs/nixos-unstable\"; };\n  };\n  outputs = _: { };\n}\n",
			edit: SetURL{Name: "nixpkgs", URL: rev},
			want: "{\n  inputs = {\n    nixpkgs = { url = \"" + rev + "\"; };\n  };\n  outputs = _: { };\n}\n",
		},
		{
			name: "indented string stays indented",
			src:  "{\n  inputs.nixpkgs.url = ''github:NixOS/nixpkgs/nixos-unstable'';\n  outputs = _: { };\n}\n",
			edit: SetURL{Name: "nixpkgs", URL: rev},
			want: "{\n  inputs.nixpkgs.url = ''" + rev + "'';\n  outputs = _: { };\n}\n",
		},
		{
			name: "bare URI stays bare",
			src:  "{\n  inputs.nixpkgs.url = github:NixOS/nixpkgs/nixos-unstable;\n  outputs = _: { };\n}\n",
			edit: SetURL{Name: "nixpkgs", URL: rev},
			want: "{\n  inputs.nixpkgs.url = " + rev + ";\n  outputs = _: { };\n}\n",
		},
		{
			name: "bare URI quoted when the new url is no URI literal",
			src:  "{\n  inputs.nixpkgs.url = github:NixOS/nixpkgs/nixos-unstable;\n  outputs = _: { };\n}\n",
			edit: SetURL{Name: "nixpkgs", URL: "git+file:///tmp/a b?ref=x"},
			want: "{\n  inputs.nixpkgs.url = \"git+file:///tmp/a b?ref=x\";\n  outputs = _: { };\n}\n",
		},
		{
			name: "quoted name, other inputs untouched",
			src:  "{\n  inputs.\"nixpkgs\".url = \"github:NixOS/nixpkgs/nixos-unstable\";\n  inputs.home.url = \"github:nix-community/home-manager\";\n  outputs = _: { };\n}\n",
			edit: SetURL{Name: "nixpkgs", URL: rev},
			want: "{\n  inputs.\"nixpkgs\".url = \"" + rev + "\";\n  inputs.home.url = \"github:nix-community/home-manager\";\n  outputs = _: { };\n}\n",
		},
		{
			name: "equal url is a no-op",
			src:  "{\n  inputs.nixpkgs.url = \"" + rev + "\";\n  outputs = _: { };\n}\n",
			edit: SetURL{Name: "nixpkgs", URL: rev},
			want: "{\n  inputs.nixpkgs.url = \"" + rev + "\";\n  outputs = _: { };\n}\n",
		},
		{
			name: "no such input",
			src:  "{\n  inputs.nixpkgs.url = \"github:NixOS/nixpkgs/nixos-unstable\";\n  outputs = _: { };\n}\n",
			edit: SetURL{Name: "nixpkgz", URL: rev},
			err:  "set-url nixpkgz: no url declared for inputs.nixpkgz",
		},
		{
			name: "url not a string",
			src:  "{\n  inputs.nixpkgs.url = true;\n  outputs = _: { };\n}\n",
			edit: SetURL{Name: "nixpkgs", URL: rev},
			err:  "flake.nix:2:3: set-url nixpkgs: the url is not a string",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, changed, err := Apply([]byte(tt.src), "flake.nix", tt.edit)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err || !errors.Is(err, ErrEdit) {
					t.Fatalf("err = %v, want %q (an ErrEdit)", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != tt.want {
				t.Errorf("got\n%s\nwant\n%s", out, tt.want)
			}
			if changed != (tt.want != tt.src) {
				t.Errorf("changed = %v", changed)
			}
		})
	}
	if got := (SetURL{Name: "nixpkgs", URL: rev}).String(); got != "set-url nixpkgs "+rev {
		t.Errorf("String() = %q", got)
	}
}
