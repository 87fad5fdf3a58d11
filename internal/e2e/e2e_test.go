package e2e

import (
	"slices"
	"strings"
	"testing"
)

// TestNixpkgsCount counts nixpkgs copies in small hand-written locks.
func TestNixpkgsCount(t *testing.T) {
	node := func(original, locked string) string {
		return `{"locked": ` + locked + `, "original": ` + original + `}`
	}
	gh := func(owner, repo string) string {
		return `{"type": "github", "owner": "` + owner + `", "repo": "` + repo + `"}`
	}
	rev := func(r string) string { return `{"type": "github", "rev": "` + r + `"}` }
	lock := func(rootInputs string, nodes ...string) []byte {
		return []byte(`{"version": 7, "root": "root", "nodes": {"root": {"inputs": {` + rootInputs + `}}` +
			strings.Join(append([]string{""}, nodes...), ", ") + `}}`)
	}
	tests := []struct {
		name      string
		lock      []byte
		copies    []string
		revisions int
	}{
		{"none", lock(``), nil, 0},
		{"github, fork and a follows",
			lock(`"nixpkgs": "n1", "A": "a", "F": "f"`,
				`"n1": `+node(gh("NixOS", "nixpkgs"), rev("r1")),
				`"a": {"inputs": {"nixpkgs": ["nixpkgs"], "lib": "l"}, "locked": {}, "original": {}}`,
				`"l": `+node(gh("nix-community", "nixpkgs.lib"), rev("r9")),
				`"f": {"inputs": {"nixpkgs": "n2"}, "locked": {}, "original": {}}`,
				`"n2": `+node(gh("someone", "NixPkgs"), rev("r1"))),
			[]string{"F/nixpkgs", "nixpkgs"}, 1},
		{"git, channel tarball, flakehub and indirect",
			lock(`"a": "a", "b": "b", "c": "c", "d": "d", "e": "e"`,
				`"a": `+node(`{"type": "git", "url": "https://github.com/NixOS/nixpkgs.git?ref=x"}`, rev("r1")),
				`"b": `+node(`{"type": "tarball", "url": "https://channels.nixos.org/nixos-24.05/nixexprs.tar.xz"}`,
					`{"type": "tarball", "narHash": "sha256-b"}`),
				`"c": `+node(`{"type": "tarball", "url": "https://flakehub.com/f/NixOS/nixpkgs/0.1.tar.gz"}`, rev("r3")),
				`"d": `+node(`{"type": "indirect", "id": "nixpkgs"}`, rev("r3")),
				`"e": `+node(`{"type": "git", "url": "https://example.org/nixpkgs-tools"}`, rev("r5"))),
			[]string{"a", "b", "c", "d"}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NixpkgsCount(tt.lock)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Copies, tt.copies) || got.Revisions != tt.revisions {
				t.Errorf("got %q, %d revisions; want %q, %d", got.Copies, got.Revisions, tt.copies, tt.revisions)
			}
		})
	}
	if _, err := NixpkgsCount([]byte(`{"nodes": {}`)); err == nil {
		t.Error("a truncated lock: no error")
	}
}
