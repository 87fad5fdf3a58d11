package lockgraph

import "testing"

func TestBranchOf(t *testing.T) {
	const rev = "5daf0514482af3f97abaefc78a6606365c9108e2"
	tests := []struct {
		name     string
		original string
		want     Branch
	}{
		{"nixos-unstable", `{"type":"github","owner":"NixOS","repo":"nixpkgs","ref":"nixos-unstable"}`,
			Branch{Class: "rolling", Ref: "nixos-unstable"}},
		{"nixos-unstable-small", `{"type":"github","owner":"NixOS","repo":"nixpkgs","ref":"nixos-unstable-small"}`,
			Branch{Class: "rolling", Ref: "nixos-unstable-small"}},
		{"nixpkgs-unstable", `{"type":"indirect","id":"nixpkgs","ref":"nixpkgs-unstable"}`,
			Branch{Class: "rolling", Ref: "nixpkgs-unstable"}},
		{"master", `{"type":"github","owner":"NixOS","repo":"nixpkgs","ref":"master"}`,
			Branch{Class: "rolling", Ref: "master"}},
		{"refs/heads/ prefix dropped", `{"type":"git","url":"https://example.org/r","ref":"refs/heads/master"}`,
			Branch{Class: "rolling", Ref: "master"}},
		{"no ref is the default branch", `{"type":"github","owner":"NixOS","repo":"nixpkgs"}`,
			Branch{Class: "rolling"}},
		{"release", `{"type":"github","owner":"NixOS","repo":"nixpkgs","ref":"nixos-24.05"}`,
			Branch{Class: "24.05", Ref: "nixos-24.05"}},
		{"release small", `{"type":"indirect","id":"nixpkgs","ref":"nixos-21.05-small"}`,
			Branch{Class: "21.05", Ref: "nixos-21.05-small"}},
		{"darwin release", `{"type":"github","owner":"NixOS","repo":"nixpkgs","ref":"nixpkgs-24.11-darwin"}`,
			Branch{Class: "24.11", Ref: "nixpkgs-24.11-darwin"}},
		{"release branch", `{"type":"github","owner":"NixOS","repo":"nixpkgs","ref":"release-23.11"}`,
			Branch{Class: "23.11", Ref: "release-23.11"}},
		{"pinned rev", `{"type":"github","owner":"NixOS","repo":"nixpkgs","rev":"` + rev + `"}`,
			Branch{Class: "pinned:" + rev, Rev: rev}},
		{"ref wins over rev", `{"type":"github","owner":"NixOS","repo":"nixpkgs","ref":"nixos-24.05","rev":"` + rev + `"}`,
			Branch{Class: "24.05", Ref: "nixos-24.05", Rev: rev}},
		{"other ref is its own class", `{"type":"github","owner":"NixOS","repo":"nixpkgs","ref":"staging"}`,
			Branch{Class: "staging", Ref: "staging"}},
		{"pull request ref", `{"type":"github","owner":"NixOS","repo":"nixpkgs","ref":"pull/323401/head"}`,
			Branch{Class: "pull/323401/head", Ref: "pull/323401/head"}},
		{"ref in a git URL", `{"type":"git","url":"https://github.com/NixOS/nixpkgs?ref=nixos-24.05&shallow=1"}`,
			Branch{Class: "24.05", Ref: "nixos-24.05"}},
		{"rev in a git URL", `{"type":"git","url":"https://github.com/NixOS/nixpkgs?rev=` + rev + `"}`,
			Branch{Class: "pinned:" + rev, Rev: rev}},
		{"channel", `{"type":"tarball","url":"https://channels.nixos.org/nixos-24.05/nixexprs.tar.xz"}`,
			Branch{Class: "24.05", Ref: "nixos-24.05"}},
		{"unstable channel", `{"type":"tarball","url":"https://channels.nixos.org/nixos-unstable/nixexprs.tar.xz"}`,
			Branch{Class: "rolling", Ref: "nixos-unstable"}},
		{"old channel URL", `{"type":"tarball","url":"https://nixos.org/channels/nixpkgs-unstable/nixexprs.tar.xz"}`,
			Branch{Class: "rolling", Ref: "nixpkgs-unstable"}},
		{"releases URL", `{"type":"tarball","url":"https://releases.nixos.org/nixos/26.05/nixos-26.05.3250.4062d36ebeae/nixexprs.tar.xz"}`,
			Branch{Class: "26.05", Ref: "nixos-26.05"}},
		{"GitHub archive of a rev", `{"type":"tarball","url":"https://github.com/NixOS/nixpkgs/archive/` + rev + `.tar.gz"}`,
			Branch{Class: "pinned:" + rev, Rev: rev}},
		{"GitHub archive of a branch", `{"type":"tarball","url":"https://github.com/NixOS/nixpkgs/archive/nixos-24.05.tar.gz"}`,
			Branch{Class: "24.05", Ref: "nixos-24.05"}},
		{"GitHub archive of a tag", `{"type":"tarball","url":"https://github.com/e-tho/bzmenu/archive/refs/tags/v0.4.0.tar.gz"}`,
			Branch{Class: "v0.4.0", Ref: "v0.4.0"}},
		{"FlakeHub nixpkgs release", `{"type":"tarball","url":"https://flakehub.com/f/NixOS/nixpkgs/0.2405.*.tar.gz"}`,
			Branch{Class: "24.05", Ref: "0.2405.*"}},
		{"FlakeHub nixpkgs release, no wildcard", `{"type":"tarball","url":"https://flakehub.com/f/NixOS/nixpkgs/0.2605"}`,
			Branch{Class: "26.05", Ref: "0.2605"}},
		{"FlakeHub nixpkgs unstable", `{"type":"tarball","url":"https://flakehub.com/f/NixOS/nixpkgs/0.1"}`,
			Branch{Class: "rolling", Ref: "0.1"}},
		{"FlakeHub nixpkgs unstable, escaped exact version", `{"type":"tarball","url":"https://flakehub.com/f/NixOS/nixpkgs/%3D0.1.2375.tar.gz"}`,
			Branch{Class: "rolling", Ref: "=0.1.2375"}},
		{"FlakeHub pinned nixpkgs", `{"type":"tarball","url":"https://flakehub.com/f/pinned/NixOS/nixpkgs/0.2505.811770%2Brev-78e34d1667d32d8a0ffc3eba4591ff256e80576e/019a2/source.tar.gz"}`,
			Branch{Class: "25.05", Ref: "0.2505.811770+rev-78e34d1667d32d8a0ffc3eba4591ff256e80576e"}},
		{"FlakeHub nixpkgs any 0.x is its own class", `{"type":"tarball","url":"https://flakehub.com/f/NixOS/nixpkgs/0"}`,
			Branch{Class: "0", Ref: "0"}},
		{"FlakeHub other flake: the version is the ref", `{"type":"tarball","url":"https://flakehub.com/f/nix-community/fenix/0.1"}`,
			Branch{Class: "0.1", Ref: "0.1"}},
		{"plain tarball", `{"type":"tarball","url":"https://example.org/a.tar.gz"}`,
			Branch{Class: "rolling"}},
		{"root", "", Branch{Class: "rolling"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := BranchOf(attrsNode(t, tt.original, ""))
			if got != tt.want {
				t.Errorf("BranchOf = %+v, want %+v", got, tt.want)
			}
		})
	}
}
