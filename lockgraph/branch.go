package lockgraph

import (
	"net/url"
	"strings"
)

// Branch says which line of development a node tracks, as the reference was
// written (original), so that copies which may follow each other can be
// told apart from copies that must not: a nixos-24.05 input must not be
// replaced by a nixos-unstable one.
type Branch struct {
	// Class groups refs that may follow each other:
	//
	//	"rolling"        nixos-unstable, nixos-unstable-small, nixpkgs-unstable,
	//	                 master, or no ref at all (the default branch)
	//	"YY.MM"          a release: nixos-YY.MM, nixos-YY.MM-small,
	//	                 nixpkgs-YY.MM-darwin, release-YY.MM
	//	"pinned:<rev>"   a rev and no ref; only the same rev is the same class
	//	anything else    the ref itself (staging, pull/323401/head, v1.2)
	Class string
	// Ref is the branch the reference tracks, with a leading refs/heads/
	// removed: the ref attribute, a ?ref= URL parameter, the channel a
	// nixos.org channel or release URL names, or the ref in a GitHub
	// archive URL. A FlakeHub version of nixpkgs is replaced by the branch
	// it stands for (0.1 is nixpkgs-unstable, 0.2505.* is nixos-25.05; a
	// range such as "0" or "*" by the branch of the version it was locked
	// to); a FlakeHub version of another flake is kept as written. A
	// registry name with no ref ("nixpkgs") gets the channel of the tarball
	// the registry resolved it to, when it resolved to one. Ref is "" when
	// nothing names a branch.
	Ref string
	// Rev is the revision the reference pins, when it pins one.
	Rev string
	// Version is the FlakeHub version as written ("0.1", "0.2505.*", "*"),
	// "" for other references.
	Version string
}

// Branch classes that are not a release, a pin or a plain ref.
const (
	// ClassRolling is the class of the rolling branches and of the default
	// branch.
	ClassRolling = "rolling"
	// classPinnedPrefix starts the class of a reference that pins a rev.
	classPinnedPrefix = "pinned:"
)

// rollingRefs are the branches that move continuously.
var rollingRefs = map[string]bool{
	"nixos-unstable":       true,
	"nixos-unstable-small": true,
	"nixpkgs-unstable":     true,
	"master":               true,
}

// The three patterns below are matched by hand (their regexps' compile was
// a tenth of a millisecond on every run); TestBranchMatchers checks each
// against its regexp, kept in the test as the definition.

// releaseVersion returns the YY.MM of a release branch, as
// ^(?:nixos-(YY.MM)(?:-small)?|nixpkgs-(YY.MM)-darwin|release-(YY.MM))$
// captures it, and whether ref is one.
func releaseVersion(ref string) (string, bool) {
	var rest string
	switch {
	case strings.HasPrefix(ref, "nixos-"):
		rest = ref[len("nixos-"):]
		if len(rest) == 5+len("-small") && strings.HasSuffix(rest, "-small") {
			rest = rest[:5]
		}
	case strings.HasPrefix(ref, "nixpkgs-") && strings.HasSuffix(ref, "-darwin"):
		rest = strings.TrimSuffix(ref[len("nixpkgs-"):], "-darwin")
	case strings.HasPrefix(ref, "release-"):
		rest = ref[len("release-"):]
	}
	if len(rest) == 5 && isDigits(rest[:2]) && rest[2] == '.' && isDigits(rest[3:]) {
		return rest, true
	}
	return "", false
}

// flakehubRelease returns the YY and MM of a FlakeHub nixpkgs version of a
// release (0.2405, 0.2405.*, 0.2405.811770+rev-...), as
// ^0\.(\d\d)(\d\d)(?:\..*)?$ captures them, and whether version is one.
func flakehubRelease(version string) (yy, mm string, ok bool) {
	if len(version) < 6 || version[:2] != "0." || !isDigits(version[2:6]) {
		return "", "", false
	}
	// After the four digits: nothing, or '.' and a rest without a
	// newline (. matches no newline, $ only the end).
	if rest := version[6:]; rest != "" && (rest[0] != '.' || strings.IndexByte(rest, '\n') >= 0) {
		return "", "", false
	}
	return version[2:4], version[4:6], true
}

// isFullRev reports whether s is a full git commit hash, ^[0-9a-f]{40}$.
func isFullRev(s string) bool {
	if len(s) != 40 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// isDigits reports whether s is all ASCII digits (\d in Go's regexps).
func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// BranchOf returns the branch a node tracks, read from its original
// reference and, where that names no branch but the lock shows one (a
// registry name resolved to a channel tarball, a FlakeHub range), from
// its locked reference. The root node and nodes without attributes are
// "rolling" with no ref.
func BranchOf(n *Node) Branch {
	ref, rev, version := refOf(n.Original, n.Locked)
	return Branch{Class: branchClass(ref, rev), Ref: ref, Rev: rev, Version: version}
}

// refOf finds the ref and rev a reference names, wherever its fetcher type
// keeps them, and the FlakeHub version when it is a FlakeHub reference.
func refOf(orig, locked Attrs) (ref, rev, version string) {
	ref, rev = orig.String("ref"), orig.String("rev")
	if raw := orig.String("url"); raw != "" {
		if u, err := url.Parse(raw); err == nil {
			q := u.Query()
			if ref == "" {
				ref = q.Get("ref")
			}
			if rev == "" {
				rev = q.Get("rev")
			}
			if ref == "" && rev == "" {
				ref, rev, version = urlRef(u, locked)
			}
		}
	}
	if ref == "" && rev == "" && orig.String("type") == "indirect" {
		// The registry chose the branch; a channel tarball says which.
		if raw := locked.String("url"); raw != "" {
			if u, err := url.Parse(raw); err == nil {
				ref = channelName(strings.ToLower(u.Hostname()), strings.Split(strings.Trim(u.Path, "/"), "/"))
			}
		}
	}
	ref = strings.TrimPrefix(ref, "refs/heads/")
	return ref, rev, version
}

// urlRef reads the ref or rev that a tarball URL carries in its path: a
// nixos.org channel, a GitHub archive, or a FlakeHub version (then version
// is that version as written, and locked may say what a range resolved
// to).
func urlRef(u *url.URL, locked Attrs) (ref, rev, version string) {
	host := strings.ToLower(u.Hostname())
	segs := strings.Split(strings.Trim(u.Path, "/"), "/")
	if ch := channelName(host, segs); ch != "" {
		return ch, "", ""
	}
	switch {
	case host == "github.com" && len(segs) >= 4 && segs[2] == "archive":
		name := strings.Join(segs[3:], "/")
		for _, ext := range []string{".tar.gz", ".tar.xz", ".tar.bz2", ".tgz", ".zip"} {
			name = strings.TrimSuffix(name, ext)
		}
		if isFullRev(name) {
			return "", name, ""
		}
		name = strings.TrimPrefix(name, "refs/heads/")
		name = strings.TrimPrefix(name, "refs/tags/")
		return name, "", ""
	}
	owner, repo, version, ok := flakehubRef(host, segs)
	if !ok {
		return "", "", ""
	}
	if !flakehubNixpkgs(owner, repo) {
		return version, "", version
	}
	ref = flakehubNixpkgsRef(strings.TrimLeft(version, "=~^"))
	if ref == "" {
		// A range ("0", "*", ">=0.2405"): the version it was locked to.
		if raw := locked.String("url"); raw != "" {
			if lu, err := url.Parse(raw); err == nil {
				lo, lr, lv, ok := flakehubRef(strings.ToLower(lu.Hostname()), strings.Split(strings.Trim(lu.Path, "/"), "/"))
				if ok && strings.EqualFold(lo, owner) && strings.EqualFold(lr, repo) {
					ref = flakehubNixpkgsRef(lv)
				}
			}
		}
	}
	if ref == "" {
		ref = version
	}
	return ref, "", version
}

// flakehubRef splits a FlakeHub URL path (f/OWNER/REPO/VERSION[.tar.gz] or
// f/pinned/OWNER/REPO/VERSION/...) into its parts, the version unescaped.
func flakehubRef(host string, segs []string) (owner, repo, version string, ok bool) {
	if host != "flakehub.com" && host != "api.flakehub.com" || len(segs) < 4 || segs[0] != "f" {
		return "", "", "", false
	}
	if segs[1] == "pinned" {
		segs = segs[1:]
	}
	if len(segs) < 4 {
		return "", "", "", false
	}
	version = strings.TrimSuffix(segs[3], ".tar.gz")
	if unescaped, err := url.PathUnescape(version); err == nil {
		version = unescaped
	}
	return segs[1], segs[2], version, true
}

// flakehubNixpkgs reports whether a FlakeHub flake is a full nixpkgs whose
// versions follow NixOS/nixpkgs's scheme: NixOS/nixpkgs itself, and
// DeterminateSystems/nixpkgs-weekly (weekly snapshots of the rolling
// branch, versioned 0.1.*).
func flakehubNixpkgs(owner, repo string) bool {
	return strings.EqualFold(owner, "NixOS") && strings.EqualFold(repo, "nixpkgs") ||
		strings.EqualFold(owner, "DeterminateSystems") && strings.EqualFold(repo, "nixpkgs-weekly")
}

// flakehubNixpkgsRef turns a FlakeHub nixpkgs version into the branch it
// follows: 0.1 (and 0.1.*) is nixpkgs-unstable, 0.YYMM (and 0.YYMM.*) is
// nixos-YY.MM. It returns "" for a version that names no branch by itself
// ("0", "*", "0.*").
func flakehubNixpkgsRef(version string) string {
	if version == "0.1" || strings.HasPrefix(version, "0.1.") {
		return "nixpkgs-unstable"
	}
	if yy, mm, ok := flakehubRelease(version); ok {
		return "nixos-" + yy + "." + mm
	}
	return ""
}

// branchClass classifies a ref (and rev) as documented on Branch.Class.
func branchClass(ref, rev string) string {
	switch {
	case ref == "" && rev != "":
		return classPinnedPrefix + rev
	case ref == "" || rollingRefs[ref]:
		return ClassRolling
	}
	if v, ok := releaseVersion(ref); ok {
		return v
	}
	return ref
}
