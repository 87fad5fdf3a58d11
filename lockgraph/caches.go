package lockgraph

import (
	"net/url"
	"strings"
)

// cacheEntry is an input whose prebuilt outputs live in a binary cache
// built against the input's own nixpkgs: making its nixpkgs follow the
// root's changes every derivation hash, and the cache no longer serves it.
type cacheEntry struct {
	// sources are the Source IDs of the input.
	sources []string
	// ownerPrefix, when not "", matches every GitHub repository of an
	// owner ("github:input-output-hk/"); such inputs are held only when
	// the flake lists host among its substituters.
	ownerPrefix string
	// host is the cache's host name.
	host string
	// doc is where the input's own documentation says so.
	doc string
}

// knownCaches is the table of issue 12, rule 6. An input listed by its
// sources is held back whatever the flake's substituters; an owner entry
// only when the flake's nixConfig lists its cache.
var knownCaches = []cacheEntry{
	// "Do not override Hyprland's nixpkgs input unless you know what you
	// are doing. Doing so will render the cache useless."
	{sources: []string{"github:hyprwm/hyprland"}, host: "hyprland.cachix.org", doc: "https://wiki.hypr.land/Nix/Cachix/"},
	// "IMPORTANT: you must do this or you will build several copies of
	// GHC!" (the cache is built against haskell.nix's own nixpkgs pins).
	{sources: []string{"github:input-output-hk/haskell.nix"}, host: "cache.iog.io", doc: "https://input-output-hk.github.io/haskell.nix/tutorials/getting-started-flakes"},
	// Every IOG project is built on cache.iog.io with its own pins.
	{ownerPrefix: "github:input-output-hk/", host: "cache.iog.io", doc: "https://input-output-hk.github.io/haskell.nix/tutorials/getting-started-flakes"},
	{ownerPrefix: "github:intersectmbo/", host: "cache.iog.io", doc: "https://input-output-hk.github.io/haskell.nix/tutorials/getting-started-flakes"},
	// nix-gaming's README: its cachix is built with its own nixpkgs.
	{sources: []string{"github:fufexan/nix-gaming"}, host: "nix-gaming.cachix.org", doc: "https://github.com/fufexan/nix-gaming#readme"},
	// Chaotic's Nyx README, "Binary Cache notes".
	{sources: []string{"github:chaotic-cx/nyx", "github:chaotic-aur/nyx"}, host: "chaotic-nyx.cachix.org", doc: "https://github.com/chaotic-cx/nyx#binary-cache-notes"},
	// nixos-cosmic's README has the root nixpkgs follow nixos-cosmic's, for
	// cosmic.cachix.org, not the other way round.
	{sources: []string{"github:lilyinstarlight/nixos-cosmic"}, host: "cosmic.cachix.org", doc: "https://github.com/lilyinstarlight/nixos-cosmic#readme"},
}

// substituterHosts returns the lower-case host names of substituter URLs
// (several may be in one string, separated by spaces).
func substituterHosts(subs []string) map[string]bool {
	hosts := make(map[string]bool)
	for _, s := range subs {
		for _, f := range strings.Fields(s) {
			if u, err := url.Parse(f); err == nil && u.Host != "" {
				hosts[strings.ToLower(u.Hostname())] = true
			}
		}
	}
	return hosts
}

// cacheOf returns the binary cache that makes the node (an input named
// name, of Source src) keep its own nixpkgs, and where that is documented:
// a knownCaches entry, or a substituter of the flake named after the input
// or its repository (`hyprland.cachix.org` for an input `hyprland`).
func cacheOf(name string, src Source, subs map[string]bool) (host, why string) {
	for _, e := range knownCaches {
		for _, id := range e.sources {
			if src.ID == id {
				return e.host, e.doc
			}
		}
		if e.ownerPrefix != "" && strings.HasPrefix(src.ID, e.ownerPrefix) && subs[e.host] {
			return e.host, "the flake's nixConfig"
		}
	}
	repo := src.ID
	if i := strings.LastIndexAny(repo, "/:"); i >= 0 {
		repo = repo[i+1:]
	}
	if i := strings.IndexByte(repo, '?'); i >= 0 {
		repo = repo[:i]
	}
	for _, cand := range []string{strings.ToLower(name), strings.ToLower(strings.TrimSuffix(repo, ".nix"))} {
		if cand != "" && subs[cand+".cachix.org"] {
			return cand + ".cachix.org", "the flake's nixConfig"
		}
	}
	return "", ""
}
