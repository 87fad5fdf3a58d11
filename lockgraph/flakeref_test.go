package lockgraph

import (
	"encoding/json"
	"testing"
)

func attrsOf(t *testing.T, js string) Attrs {
	t.Helper()
	var a Attrs
	if err := json.Unmarshal([]byte(js), &a); err != nil {
		t.Fatal(err)
	}
	return a
}

func TestFlakeRefURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"type":"github","owner":"NixOS","repo":"nixpkgs","rev":"abc","narHash":"sha256-x","lastModified":1}`, "github:NixOS/nixpkgs/abc"},
		{`{"type":"github","owner":"NixOS","repo":"nixpkgs","ref":"nixos-unstable"}`, "github:NixOS/nixpkgs/nixos-unstable"},
		{`{"type":"github","owner":"a","repo":"b"}`, "github:a/b"},
		{`{"type":"gitlab","owner":"o","repo":"r","rev":"abc","host":"gitlab.gnome.org"}`, "gitlab:o/r/abc?host=gitlab.gnome.org"},
		{`{"type":"sourcehut","owner":"~r","repo":"x","dir":"sub"}`, "sourcehut:~r/x?dir=sub"},
		{`{"type":"git","url":"https://github.com/NixOS/nixpkgs","ref":"nixos-24.05","rev":"abc","shallow":true}`, "git+https://github.com/NixOS/nixpkgs?ref=nixos-24.05&rev=abc&shallow=1"},
		{`{"type":"git","url":"file:///w/repo","submodules":true}`, "git+file:///w/repo?submodules=1"},
		{`{"type":"hg","url":"https://hg.example/x"}`, "hg+https://hg.example/x"},
		{`{"type":"tarball","url":"https://channels.nixos.org/nixos-24.05/nixexprs.tar.xz"}`, "https://channels.nixos.org/nixos-24.05/nixexprs.tar.xz"},
		{`{"type":"tarball","url":"https://example.com/download?id=3"}`, "tarball+https://example.com/download?id=3"},
		{`{"type":"file","url":"https://example.com/x.nix"}`, "file+https://example.com/x.nix"},
		{`{"type":"path","path":"/abs/dir"}`, "path:/abs/dir"},
		{`{"type":"indirect","id":"nixpkgs","ref":"nixos-24.05"}`, "flake:nixpkgs/nixos-24.05"},
		{`{"type":"mercurial2","repo":"x","narHash":"h"}`, "mercurial2:?repo=x"},
	}
	for _, tt := range tests {
		if got := FlakeRefURL(attrsOf(t, tt.in)); got != tt.want {
			t.Errorf("FlakeRefURL(%s) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
