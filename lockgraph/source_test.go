package lockgraph

import (
	"encoding/json"
	"testing"
)

// attrsNode builds a node from the JSON of its original and locked attributes
// ("" for none).
func attrsNode(t *testing.T, original, locked string) *Node {
	t.Helper()
	n := &Node{Key: "n", IsFlake: true}
	for _, f := range []struct {
		src string
		dst *Attrs
	}{{original, &n.Original}, {locked, &n.Locked}} {
		if f.src == "" {
			continue
		}
		if err := json.Unmarshal([]byte(f.src), f.dst); err != nil {
			t.Fatalf("bad test attrs %s: %v", f.src, err)
		}
	}
	return n
}

func TestSourceOf(t *testing.T) {
	tests := []struct {
		name     string
		original string
		locked   string
		want     Source
	}{
		{"github upstream, case folded",
			`{"type":"github","owner":"NixOS","repo":"nixpkgs","ref":"nixos-unstable"}`, "",
			Source{ID: "github:nixos/nixpkgs", Kind: "github", Nixpkgs: true}},
		{"github lower-case owner is the same source",
			`{"type":"github","owner":"nixos","repo":"nixpkgs"}`, "",
			Source{ID: "github:nixos/nixpkgs", Kind: "github", Nixpkgs: true}},
		{"github fork",
			`{"type":"github","owner":"Mic92","repo":"nixpkgs","ref":"main"}`, "",
			Source{ID: "github:mic92/nixpkgs", Kind: "github", Nixpkgs: true, Fork: true}},
		{"nixpkgs.lib is not nixpkgs",
			`{"type":"github","owner":"nix-community","repo":"nixpkgs.lib"}`, "",
			Source{ID: "github:nix-community/nixpkgs.lib", Kind: "github"}},
		{"nixpkgs-weekly is not nixpkgs",
			`{"type":"github","owner":"DeterminateSystems","repo":"nixpkgs-weekly"}`, "",
			Source{ID: "github:determinatesystems/nixpkgs-weekly", Kind: "github"}},
		{"github enterprise host kept",
			`{"type":"github","host":"GHE.example.com","owner":"a","repo":"b"}`, "",
			Source{ID: "github:a/b?host=ghe.example.com", Kind: "github"}},
		{"github subflake dir is part of the identity",
			`{"type":"github","owner":"hercules-ci","repo":"flake-parts","dir":"lib/"}`, "",
			Source{ID: "github:hercules-ci/flake-parts?dir=lib", Kind: "github"}},
		{"nixpkgs lib subflake is a copy of nixpkgs",
			`{"type":"github","owner":"NixOS","repo":"nixpkgs","dir":"lib","ref":"nixos-unstable"}`, "",
			Source{ID: "github:nixos/nixpkgs", Kind: "github", Nixpkgs: true}},
		{"dir in a git URL",
			`{"type":"git","url":"https://github.com/Owner/Repo.git?dir=sub&ref=main"}`, "",
			Source{ID: "github:owner/repo?dir=sub", Kind: "git"}},
		{"gitlab default host",
			`{"type":"gitlab","owner":"Rycee","repo":"nur-expressions","dir":"pkgs/firefox-addons"}`, "",
			Source{ID: "gitlab:rycee/nur-expressions?dir=pkgs/firefox-addons", Kind: "gitlab"}},
		{"gitlab other host",
			`{"type":"gitlab","host":"gitlab.gnome.org","owner":"GNOME","repo":"gnome-shell","ref":"50.1"}`, "",
			Source{ID: "gitlab:gnome/gnome-shell?host=gitlab.gnome.org", Kind: "gitlab"}},
		{"gitlab nixpkgs is a fork",
			`{"type":"gitlab","owner":"someone","repo":"nixpkgs"}`, "",
			Source{ID: "gitlab:someone/nixpkgs", Kind: "gitlab", Nixpkgs: true, Fork: true}},
		{"sourcehut keeps case",
			`{"type":"sourcehut","owner":"~rycee","repo":"nmd"}`, "",
			Source{ID: "sourcehut:~rycee/nmd", Kind: "sourcehut"}},
		{"git on github is the github repository",
			`{"type":"git","url":"https://github.com/NixOS/nixpkgs?ref=nixos-unstable&shallow=1"}`, "",
			Source{ID: "github:nixos/nixpkgs", Kind: "git", Nixpkgs: true}},
		{"git ssh on github with .git",
			`{"type":"git","url":"ssh://git@github.com/ryan4yin/nix-secrets.git","shallow":true}`, "",
			Source{ID: "github:ryan4yin/nix-secrets", Kind: "git"}},
		{"git fork on github",
			`{"type":"git","url":"https://github.com/Mic92/nixpkgs","ref":"main","shallow":true}`, "",
			Source{ID: "github:mic92/nixpkgs", Kind: "git", Nixpkgs: true, Fork: true}},
		{"git elsewhere: scheme and host lower-case, user and .git dropped",
			`{"type":"git","url":"HTTPS://git@GitLab.Haskell.org/ghc/ghc.git/?ref=ghc-9.10&rev=abc&submodules=1"}`, "",
			Source{ID: "git+https://gitlab.haskell.org/ghc/ghc?submodules=1", Kind: "git"}},
		{"git self-hosted nixpkgs mirror is a fork",
			`{"type":"git","url":"https://git.example.org/mirrors/nixpkgs.git"}`, "",
			Source{ID: "git+https://git.example.org/mirrors/nixpkgs", Kind: "git", Nixpkgs: true, Fork: true}},
		{"git file URL",
			`{"type":"git","url":"file:///srv/repo"}`, "",
			Source{ID: "git+file:///srv/repo", Kind: "git"}},
		{"hg URL",
			`{"type":"hg","url":"https://hg.example.org/Proj/"}`, "",
			Source{ID: "hg+https://hg.example.org/Proj", Kind: "hg"}},
		{"channel tarball is upstream nixpkgs",
			`{"type":"tarball","url":"https://channels.nixos.org/nixos-24.05/nixexprs.tar.xz"}`, "",
			Source{ID: "github:nixos/nixpkgs", Kind: "tarball", Nixpkgs: true}},
		{"old channel URL",
			`{"type":"tarball","url":"https://nixos.org/channels/nixos-unstable/nixexprs.tar.xz"}`, "",
			Source{ID: "github:nixos/nixpkgs", Kind: "tarball", Nixpkgs: true}},
		{"releases URL",
			`{"type":"tarball","url":"https://releases.nixos.org/nixos/unstable/nixos-26.11pre1031299.0bb7ec54c848/nixexprs.tar.xz"}`, "",
			Source{ID: "github:nixos/nixpkgs", Kind: "tarball", Nixpkgs: true}},
		{"GitHub archive of nixpkgs",
			`{"type":"tarball","url":"https://github.com/NixOS/nixpkgs/archive/5daf0514482af3f97abaefc78a6606365c9108e2.tar.gz"}`, "",
			Source{ID: "github:nixos/nixpkgs", Kind: "tarball", Nixpkgs: true}},
		{"GitHub archive of another repository",
			`{"type":"tarball","url":"https://github.com/e-tho/bzmenu/archive/refs/tags/v0.4.0.tar.gz"}`, "",
			Source{ID: "github:e-tho/bzmenu", Kind: "tarball"}},
		{"FlakeHub nixpkgs",
			`{"type":"tarball","url":"https://flakehub.com/f/NixOS/nixpkgs/0.2405.*.tar.gz"}`, "",
			Source{ID: "github:nixos/nixpkgs", Kind: "tarball", Nixpkgs: true}},
		{"FlakeHub pinned nixpkgs",
			`{"type":"tarball","url":"https://flakehub.com/f/pinned/NixOS/nixpkgs/0.2505.811770%2Brev-78e34d1667d32d8a0ffc3eba4591ff256e80576e/019a2/source.tar.gz"}`, "",
			Source{ID: "github:nixos/nixpkgs", Kind: "tarball", Nixpkgs: true}},
		{"nixpkgs release tarball",
			`{"type":"tarball","url":"https://releases.nixos.org/nixpkgs/nixpkgs-26.11pre1023445.3d46470bb303/nixexprs.tar.xz"}`, "",
			Source{ID: "github:nixos/nixpkgs", Kind: "tarball", Nixpkgs: true}},
		{"indirect nixpkgs locked to a nixpkgs release tarball is upstream",
			`{"type":"indirect","id":"nixpkgs"}`,
			`{"type":"tarball","url":"https://releases.nixos.org/nixpkgs/nixpkgs-26.11pre1023445.3d46470bb303/nixexprs.tar.xz","rev":"3d46470bb3030020f7e1361f33514854f5bfa86d"}`,
			Source{ID: "github:nixos/nixpkgs", Kind: "indirect", Nixpkgs: true}},
		{"indirect other name locked to a nixpkgs release tarball is upstream nixpkgs",
			`{"type":"indirect","id":"pkgs"}`,
			`{"type":"tarball","url":"https://releases.nixos.org/nixpkgs/nixpkgs-25.05.1.abc/nixexprs.tar.xz"}`,
			Source{ID: "github:nixos/nixpkgs", Kind: "indirect", Nixpkgs: true}},
		{"FlakeHub nixpkgs-weekly is nixpkgs, its own source, not a fork",
			`{"type":"tarball","url":"https://flakehub.com/f/DeterminateSystems/nixpkgs-weekly/0.1"}`, "",
			Source{ID: "flakehub:determinatesystems/nixpkgs-weekly", Kind: "tarball", Nixpkgs: true}},
		{"FlakeHub pinned nixpkgs-weekly",
			`{"type":"tarball","url":"https://api.flakehub.com/f/pinned/DeterminateSystems/nixpkgs-weekly/0.1.1042126%2Brev-624af665418d3c65d544145b4d34ad696439570e/019f/source.tar.gz"}`, "",
			Source{ID: "flakehub:determinatesystems/nixpkgs-weekly", Kind: "tarball", Nixpkgs: true}},
		{"devenv-nixpkgs is a nixpkgs fork",
			`{"type":"github","owner":"cachix","repo":"devenv-nixpkgs","ref":"rolling"}`, "",
			Source{ID: "github:cachix/devenv-nixpkgs", Kind: "github", Nixpkgs: true, Fork: true}},
		{"nixpkgs.lib is not nixpkgs",
			`{"type":"github","owner":"nix-community","repo":"nixpkgs.lib"}`, "",
			Source{ID: "github:nix-community/nixpkgs.lib", Kind: "github"}},
		{"FlakeHub repository named nixpkgs is a fork",
			`{"type":"tarball","url":"https://flakehub.com/f/someone/nixpkgs/0.1"}`, "",
			Source{ID: "flakehub:someone/nixpkgs", Kind: "tarball", Nixpkgs: true, Fork: true}},
		{"FlakeHub other flake",
			`{"type":"tarball","url":"https://flakehub.com/f/ipetkov/crane/0"}`, "",
			Source{ID: "flakehub:ipetkov/crane", Kind: "tarball"}},
		{"plain tarball keeps its URL",
			`{"type":"tarball","url":"HTTPS://SQLite.org/2024/sqlite-amalgamation-3450100.zip"}`, "",
			Source{ID: "tarball:https://sqlite.org/2024/sqlite-amalgamation-3450100.zip", Kind: "tarball"}},
		{"file URL",
			`{"type":"file","url":"https://github.com/pinpox.keys"}`, "",
			Source{ID: "file:https://github.com/pinpox.keys", Kind: "file"}},
		{"path",
			`{"type":"path","path":"./ci/font-flake-fallback"}`, "",
			Source{ID: "path:./ci/font-flake-fallback", Kind: "path"}},
		{"indirect nixpkgs locked to github is upstream",
			`{"type":"indirect","id":"nixpkgs","ref":"nixos-unstable"}`,
			`{"type":"github","owner":"NixOS","repo":"nixpkgs","rev":"3e3afe5174c561dee0df6f2c2b2236990146329f"}`,
			Source{ID: "github:nixos/nixpkgs", Kind: "indirect", Nixpkgs: true}},
		{"indirect nixpkgs locked to a store path is upstream",
			`{"type":"indirect","id":"nixpkgs"}`,
			`{"type":"path","path":"/nix/store/x20avpqcrk6my01n6h1blfslb6l4imw2-source"}`,
			Source{ID: "github:nixos/nixpkgs", Kind: "indirect", Nixpkgs: true}},
		{"indirect other name locked to github",
			`{"type":"indirect","id":"flake-parts"}`,
			`{"type":"github","owner":"hercules-ci","repo":"flake-parts","rev":"9126214d0a59633752a136528f5f3b9aa8565b7d"}`,
			Source{ID: "github:hercules-ci/flake-parts", Kind: "indirect"}},
		{"indirect locked to a fork is the fork",
			`{"type":"indirect","id":"nixpkgs"}`,
			`{"type":"github","owner":"Mic92","repo":"nixpkgs"}`,
			Source{ID: "github:mic92/nixpkgs", Kind: "indirect", Nixpkgs: true, Fork: true}},
		{"indirect unresolved",
			`{"type":"indirect","id":"my-flake"}`, "",
			Source{ID: "indirect:my-flake", Kind: "indirect"}},
		{"unknown type keeps its fields, minus ref and rev",
			`{"type":"s3","bucket":"b","key":"k","ref":"x","rev":"y"}`, "",
			Source{ID: `s3?bucket="b"&key="k"`, Kind: "s3"}},
		{"root has no source", "", "", Source{}},
		{"locked only", "", `{"type":"github","owner":"A","repo":"B"}`,
			Source{ID: "github:a/b", Kind: "github"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := SourceOf(attrsNode(t, tt.original, tt.locked))
			if got != tt.want {
				t.Errorf("SourceOf = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// FuzzSourceOf feeds arbitrary original and locked attribute sets to
// SourceOf and BranchOf: they must not panic, must be deterministic, and
// must keep their invariants.
func FuzzSourceOf(f *testing.F) {
	f.Add(`{"type":"github","owner":"NixOS","repo":"nixpkgs","ref":"nixos-24.05"}`, ``)
	f.Add(`{"type":"indirect","id":"nixpkgs"}`, `{"type":"path","path":"/nix/store/x"}`)
	f.Add(`{"type":"git","url":"ssh://git@github.com/a/nixpkgs.git?ref=main&dir=lib"}`, ``)
	f.Add(`{"type":"tarball","url":"https://flakehub.com/f/pinned/NixOS/nixpkgs/0.2405.1%2Brev-x/y/source.tar.gz"}`, ``)
	f.Add(`{"type":"tarball","url":"https://github.com/NixOS/nixpkgs/archive/refs/heads/master.tar.gz"}`, ``)
	f.Add(`{"type":"mystery","x":[1,{"y":null}]}`, `{"type":"mystery"}`)
	f.Fuzz(func(t *testing.T, original, locked string) {
		n := &Node{Key: "n"}
		if json.Unmarshal([]byte(original), &n.Original) != nil || json.Unmarshal([]byte(locked), &n.Locked) != nil {
			return
		}
		src, br := SourceOf(n), BranchOf(n)
		if src != SourceOf(n) || br != BranchOf(n) {
			t.Fatalf("not deterministic: %+v %+v", src, br)
		}
		if src.Fork && !src.Nixpkgs {
			t.Errorf("Fork without Nixpkgs: %+v", src)
		}
		if src.Kind != "" && src.ID == "" {
			t.Errorf("empty ID for kind %q", src.Kind)
		}
		if br.Class == "" && br.Ref == "" {
			t.Errorf("empty class with no ref: %+v", br)
		}
	})
}
