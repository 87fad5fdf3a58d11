package lockgraph

import (
	"regexp"
	"strings"
	"testing"
)

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
			Branch{Class: "24.05", Ref: "nixos-24.05", Version: "0.2405.*"}},
		{"FlakeHub nixpkgs release, no wildcard", `{"type":"tarball","url":"https://flakehub.com/f/NixOS/nixpkgs/0.2605"}`,
			Branch{Class: "26.05", Ref: "nixos-26.05", Version: "0.2605"}},
		{"FlakeHub nixpkgs unstable", `{"type":"tarball","url":"https://flakehub.com/f/NixOS/nixpkgs/0.1"}`,
			Branch{Class: "rolling", Ref: "nixpkgs-unstable", Version: "0.1"}},
		{"FlakeHub nixpkgs unstable, escaped exact version", `{"type":"tarball","url":"https://flakehub.com/f/NixOS/nixpkgs/%3D0.1.2375.tar.gz"}`,
			Branch{Class: "rolling", Ref: "nixpkgs-unstable", Version: "=0.1.2375"}},
		{"FlakeHub pinned nixpkgs", `{"type":"tarball","url":"https://flakehub.com/f/pinned/NixOS/nixpkgs/0.2505.811770%2Brev-78e34d1667d32d8a0ffc3eba4591ff256e80576e/019a2/source.tar.gz"}`,
			Branch{Class: "25.05", Ref: "nixos-25.05", Version: "0.2505.811770+rev-78e34d1667d32d8a0ffc3eba4591ff256e80576e"}},
		{"FlakeHub nixpkgs range, not locked: its own class", `{"type":"tarball","url":"https://flakehub.com/f/NixOS/nixpkgs/0"}`,
			Branch{Class: "0", Ref: "0", Version: "0"}},
		{"FlakeHub other flake: the version is the ref", `{"type":"tarball","url":"https://flakehub.com/f/nix-community/fenix/0.1"}`,
			Branch{Class: "0.1", Ref: "0.1", Version: "0.1"}},
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

// TestBranchOfLocked checks the references whose branch the lock tells:
// FlakeHub ranges, the FlakeHub nixpkgs-weekly snapshots, and the
// registry's nixpkgs resolved to a release tarball.
func TestBranchOfLocked(t *testing.T) {
	const weekly = `{"type":"tarball","url":"https://api.flakehub.com/f/pinned/DeterminateSystems/nixpkgs-weekly/0.1.1042126%2Brev-624af665418d3c65d544145b4d34ad696439570e/019f/source.tar.gz"}`
	const pinned2505 = `{"type":"tarball","url":"https://api.flakehub.com/f/pinned/NixOS/nixpkgs/0.2505.811770%2Brev-78e34d1667d32d8a0ffc3eba4591ff256e80576e/019a/source.tar.gz"}`
	tests := []struct {
		name, original, locked string
		want                   Branch
	}{
		{"FlakeHub nixpkgs 0 locked to a 25.05 version", `{"type":"tarball","url":"https://flakehub.com/f/NixOS/nixpkgs/0"}`, pinned2505,
			Branch{Class: "25.05", Ref: "nixos-25.05", Version: "0"}},
		{"FlakeHub nixpkgs * locked to a 25.05 version", `{"type":"tarball","url":"https://flakehub.com/f/NixOS/nixpkgs/*"}`, pinned2505,
			Branch{Class: "25.05", Ref: "nixos-25.05", Version: "*"}},
		{"FlakeHub nixpkgs 0.1.* is rolling", `{"type":"tarball","url":"https://flakehub.com/f/NixOS/nixpkgs/0.1.*"}`, pinned2505,
			Branch{Class: "rolling", Ref: "nixpkgs-unstable", Version: "0.1.*"}},
		{"FlakeHub nixpkgs 0.2505.* ignores the lock", `{"type":"tarball","url":"https://flakehub.com/f/NixOS/nixpkgs/0.2505.*.tar.gz"}`, weekly,
			Branch{Class: "25.05", Ref: "nixos-25.05", Version: "0.2505.*"}},
		{"FlakeHub range locked to another flake: its own class", `{"type":"tarball","url":"https://flakehub.com/f/NixOS/nixpkgs/0"}`, weekly,
			Branch{Class: "0", Ref: "0", Version: "0"}},
		{"nixpkgs-weekly 0.1", `{"type":"tarball","url":"https://flakehub.com/f/DeterminateSystems/nixpkgs-weekly/0.1"}`, weekly,
			Branch{Class: "rolling", Ref: "nixpkgs-unstable", Version: "0.1"}},
		{"nixpkgs-weekly *", `{"type":"tarball","url":"https://flakehub.com/f/DeterminateSystems/nixpkgs-weekly/*"}`, weekly,
			Branch{Class: "rolling", Ref: "nixpkgs-unstable", Version: "*"}},
		{"other FlakeHub flake: a range stays as written", `{"type":"tarball","url":"https://flakehub.com/f/ipetkov/crane/0"}`,
			`{"type":"tarball","url":"https://api.flakehub.com/f/pinned/ipetkov/crane/0.20.0/01/source.tar.gz"}`,
			Branch{Class: "0", Ref: "0", Version: "0"}},
		{"registry nixpkgs locked to a pre-release tarball", `{"type":"indirect","id":"nixpkgs"}`,
			`{"type":"tarball","url":"https://releases.nixos.org/nixpkgs/nixpkgs-26.11pre1023445.3d46470bb303/nixexprs.tar.xz","rev":"3d46470bb3030020f7e1361f33514854f5bfa86d"}`,
			Branch{Class: "rolling", Ref: "nixpkgs-unstable"}},
		{"registry nixpkgs locked to a release tarball", `{"type":"indirect","id":"nixpkgs"}`,
			`{"type":"tarball","url":"https://releases.nixos.org/nixpkgs/nixpkgs-25.05.806273.650e572363c0/nixexprs.tar.xz"}`,
			Branch{Class: "25.05", Ref: "nixpkgs-25.05-darwin"}},
		{"registry nixpkgs locked to a NixOS release tarball", `{"type":"indirect","id":"nixpkgs"}`,
			`{"type":"tarball","url":"https://releases.nixos.org/nixos/unstable/nixos-26.11pre1.abc/nixexprs.tar.xz"}`,
			Branch{Class: "rolling", Ref: "nixos-unstable"}},
		{"registry nixpkgs with a ref: the ref wins", `{"type":"indirect","id":"nixpkgs","ref":"nixos-25.05"}`,
			`{"type":"tarball","url":"https://releases.nixos.org/nixpkgs/nixpkgs-26.11pre1023445.3d46470bb303/nixexprs.tar.xz"}`,
			Branch{Class: "25.05", Ref: "nixos-25.05"}},
		{"registry nixpkgs locked to GitHub: the default branch", `{"type":"indirect","id":"nixpkgs"}`,
			`{"type":"github","owner":"NixOS","repo":"nixpkgs","rev":"3d46470bb3030020f7e1361f33514854f5bfa86d"}`,
			Branch{Class: "rolling"}},
		{"release tarball written directly", `{"type":"tarball","url":"https://releases.nixos.org/nixpkgs/nixpkgs-26.11pre1023445.3d46470bb303/nixexprs.tar.xz"}`, "",
			Branch{Class: "rolling", Ref: "nixpkgs-unstable"}},
		{"channel tarball locked to its release", `{"type":"tarball","url":"https://channels.nixos.org/nixpkgs-unstable/nixexprs.tar.xz"}`,
			`{"type":"tarball","url":"https://releases.nixos.org/nixpkgs/nixpkgs-25.05.1.abc/nixexprs.tar.xz"}`,
			Branch{Class: "rolling", Ref: "nixpkgs-unstable"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := BranchOf(attrsNode(t, tt.original, tt.locked)); got != tt.want {
				t.Errorf("BranchOf = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestReleaseChannel(t *testing.T) {
	for name, want := range map[string]string{
		"nixpkgs-26.11pre1023445.3d46470bb303": "nixpkgs-unstable",
		"nixpkgs-25.05.806273.650e572363c0":    "nixpkgs-25.05-darwin",
		"nixpkgs-darwin-24.11.1.abc":           "nixpkgs-24.11-darwin",
		"something":                            "something",
		"":                                     "",
	} {
		if got := releaseChannel(name); got != want {
			t.Errorf("releaseChannel(%q) = %q, want %q", name, got, want)
		}
	}
}

// The regexps releaseVersion, flakehubRelease and isFullRev stand for.
var (
	releaseRefRE             = regexp.MustCompile(`^(?:nixos-(\d\d\.\d\d)(?:-small)?|nixpkgs-(\d\d\.\d\d)-darwin|release-(\d\d\.\d\d))$`)
	flakehubNixpkgsReleaseRE = regexp.MustCompile(`^0\.(\d\d)(\d\d)(?:\..*)?$`)
	fullRevRE                = regexp.MustCompile(`^[0-9a-f]{40}$`)
)

// branchMatcherCases are texts on both sides of each pattern's every part.
var branchMatcherCases = []string{
	"", "nixos-24.05", "nixos-24.05-small", "nixos-24.05-smal", "nixos-24.05-smallx", "nixos-24.5", "nixos-2405",
	"nixos-24.0a", "nixos-24x05", "release-24-05", "nixpkgs-24_05-darwin", "nixos-unstable", "nixos-", "xnixos-24.05", "nixos-24.05\n", "nixpkgs-24.05-darwin", "nixpkgs-darwin",
	"nixpkgs-24.05", "nixpkgs-24.05-darwinx", "nixpkgs--darwin", "release-24.05", "release-24.05-small", "release-4.05",
	"0.2405", "0.2405.", "0.2405.811770+rev-abc", "0.2405.1\n", "0.2405\n", "0.240", "0.24051", "0.1", "0.1.2", "1.2405",
	"0.24x5", "00.2405", "0.2405.\n1", strings.Repeat("a", 40), strings.Repeat("a", 39), strings.Repeat("a", 41),
	strings.Repeat("0", 39) + "g", strings.Repeat("0", 39) + "A", "0123456789abcdef0123456789abcdef01234567",
	"nixos-٢٤.05", "0.٢٤05",
}

// TestBranchMatchers: releaseVersion, flakehubRelease and isFullRev answer
// as their regexps do on branchMatcherCases and every ref, rev and version
// of the corpus locks.
func TestBranchMatchers(t *testing.T) {
	texts := append([]string{}, branchMatcherCases...)
	for name, data := range corpusLocks(t) {
		g, err := Load(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, n := range g.Nodes {
			for _, a := range []Attrs{n.Original, n.Locked} {
				for _, k := range []string{"ref", "rev", "version", "url"} {
					texts = append(texts, a.String(k))
				}
			}
		}
	}
	releases := 0
	for _, text := range texts {
		checkBranchMatchers(t, text)
		if _, ok := releaseVersion(text); ok {
			releases++
		}
	}
	if releases < 20 {
		t.Errorf("only %d of %d texts are release branches", releases, len(texts))
	}
}

// FuzzBranchMatchers: the same on any text.
func FuzzBranchMatchers(f *testing.F) {
	for _, text := range branchMatcherCases {
		f.Add(text)
	}
	f.Fuzz(func(t *testing.T, text string) { checkBranchMatchers(t, text) })
}

// checkBranchMatchers fails t where a matcher and its regexp differ on text.
func checkBranchMatchers(t *testing.T, text string) {
	t.Helper()
	v, ok := releaseVersion(text)
	if m := releaseRefRE.FindStringSubmatch(text); (m != nil) != ok || ok && v != m[1]+m[2]+m[3] {
		t.Errorf("releaseVersion(%q) = %q, %v; the regexp gives %q", text, v, ok, m)
	}
	yy, mm, ok := flakehubRelease(text)
	if m := flakehubNixpkgsReleaseRE.FindStringSubmatch(text); (m != nil) != ok || ok && (yy != m[1] || mm != m[2]) {
		t.Errorf("flakehubRelease(%q) = %q, %q, %v; the regexp gives %q", text, yy, mm, ok, m)
	}
	if got, want := isFullRev(text), fullRevRE.MatchString(text); got != want {
		t.Errorf("isFullRev(%q) = %v, the regexp says %v", text, got, want)
	}
}
