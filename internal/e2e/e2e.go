// Package e2e holds the end-to-end tests of the flakedup binary: the tests
// build cmd/flakedup once, run it as a real process on flakes locked by the
// real Nix 2.8 (internal/nixworld), on replays of real locks from the shared
// corpus, and on every class of bad input, and check exit codes, the
// stdout/stderr split and the files left on disk.
//
// The only non-test code is NixpkgsCount, which counts the nixpkgs copies of
// a lock from its input paths (nixworld.Flatten), independently of
// lockgraph, so that the binary's numbers are checked against a second
// reading of the same lock.
package e2e

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"

	"github.com/flakedup/flakedup/internal/nixworld"
)

// Count is what a lock holds of nixpkgs.
type Count struct {
	// Copies are the input paths of the nixpkgs inputs locked on their own
	// (follows are not copies), sorted.
	Copies []string
	// Revisions is the number of distinct locked revisions among them (the
	// narHash for a copy locked without a rev).
	Revisions int
}

// NixpkgsCount reads lockJSON with nixworld.Flatten and counts its nixpkgs
// copies by the rules of NIX-NOTES.md ("Where nixpkgs comes from"): github,
// gitlab and sourcehut repositories named nixpkgs (forks included), git
// URLs whose last path segment is nixpkgs, nixpkgs tarballs (channels,
// FlakeHub, GitHub archives) and the indirect id nixpkgs. nixpkgs.lib
// mirrors are not nixpkgs.
func NixpkgsCount(lockJSON []byte) (Count, error) {
	flat, err := nixworld.Flatten(lockJSON)
	if err != nil {
		return Count{}, fmt.Errorf("e2e: counting nixpkgs: %w", err)
	}
	var c Count
	revs := map[string]bool{}
	for path, e := range flat {
		if e.IsFollows() || !isNixpkgs(e.Original) {
			continue
		}
		c.Copies = append(c.Copies, path)
		var locked struct{ Rev, NarHash string }
		if err := json.Unmarshal(e.Locked, &locked); err != nil {
			return Count{}, fmt.Errorf("e2e: input %s: locked: %w", path, err)
		}
		rev := locked.Rev
		if rev == "" {
			rev = locked.NarHash
		}
		revs[rev] = true
	}
	sort.Strings(c.Copies)
	c.Revisions = len(revs)
	return c, nil
}

var nixpkgsTarball = regexp.MustCompile(`(?i)(channels\.nixos\.org/|nixos\.org/channels/|releases\.nixos\.org/nixos/|flakehub\.com/f/(pinned/)?[^/]+/nixpkgs/|github\.com/[^/]+/nixpkgs/archive/)`)

// isNixpkgs tells from a node's "original" whether it is a nixpkgs input.
func isNixpkgs(original json.RawMessage) bool {
	var o struct {
		Type, Owner, Repo, URL, ID string
	}
	if err := json.Unmarshal(original, &o); err != nil {
		return false
	}
	switch o.Type {
	case "github", "gitlab", "sourcehut":
		return strings.EqualFold(o.Repo, "nixpkgs")
	case "git":
		u, err := url.Parse(o.URL)
		if err != nil {
			return false
		}
		p := strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), ".git")
		return strings.EqualFold(p[strings.LastIndexByte(p, '/')+1:], "nixpkgs")
	case "tarball", "file":
		return nixpkgsTarball.MatchString(o.URL)
	case "indirect":
		return o.ID == "nixpkgs"
	}
	return false
}
