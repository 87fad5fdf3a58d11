package lockgraph

import (
	"net/url"
	"strings"
)

// FlakeRefURL renders a lock attribute set ("locked" or "original") as the
// flake reference URL a user would write in flake.nix, the way Nix prints
// it: `github:NixOS/nixpkgs/nixos-unstable`, `git+https://host/x?ref=main`,
// `path:/abs/dir`. It is used for new root inputs (promotions) and for
// display. Attributes that a URL cannot carry (narHash, lastModified,
// revCount) are dropped; unknown fetcher types come out as
// `<type>:?k=v&...` so that they are at least recognisable.
func FlakeRefURL(a Attrs) string {
	typ := a.String("type")
	q := url.Values{}
	addQuery := func(keys ...string) {
		for _, k := range keys {
			if v := a.String(k); v != "" {
				q.Set(k, v)
			}
		}
	}
	switch typ {
	case "github", "gitlab", "sourcehut":
		s := typ + ":" + a.String("owner") + "/" + a.String("repo")
		if rev := a.String("rev"); rev != "" {
			s += "/" + rev
		} else if ref := a.String("ref"); ref != "" {
			s += "/" + ref
		}
		addQuery("host", "dir")
		return withQuery(s, q)
	case "git", "hg":
		raw := a.String("url")
		s := raw
		if !strings.HasPrefix(raw, typ+"+") {
			s = typ + "+" + raw
		}
		addQuery("ref", "rev", "dir")
		if sub, ok := a.Get("submodules"); ok && sub == "true" {
			q.Set("submodules", "1")
		}
		if sh, ok := a.Get("shallow"); ok && sh == "true" {
			q.Set("shallow", "1")
		}
		return withQuery(s, q)
	case "tarball", "file":
		raw := a.String("url")
		if typ == "file" || !looksLikeArchive(raw) {
			return typ + "+" + raw
		}
		return raw
	case "path":
		s := "path:" + a.String("path")
		addQuery("rev")
		return withQuery(s, q)
	case "indirect":
		s := "flake:" + a.String("id")
		for _, k := range []string{"ref", "rev"} {
			if v := a.String(k); v != "" {
				s += "/" + v
			}
		}
		addQuery("dir")
		return withQuery(s, q)
	}
	for _, f := range a { // in key order
		switch f.Key {
		case "type", "narHash", "lastModified", "revCount":
			continue
		}
		if v := a.String(f.Key); v != "" {
			q.Set(f.Key, v)
		} else {
			q.Set(f.Key, f.Raw)
		}
	}
	return withQuery(typ+":", q)
}

func withQuery(s string, q url.Values) string {
	if len(q) == 0 {
		return s
	}
	return s + "?" + q.Encode()
}

// looksLikeArchive mirrors Nix's rule that a plain http(s) URL is a tarball
// flake reference when it names an archive.
func looksLikeArchive(u string) bool {
	for _, ext := range []string{".zip", ".tar", ".tgz", ".tar.gz", ".tar.xz", ".tar.bz2", ".tar.zst"} {
		if strings.HasSuffix(u, ext) {
			return true
		}
	}
	return false
}
