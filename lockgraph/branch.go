package lockgraph

import (
	"net/url"
	"regexp"
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
	// Ref is the ref as written, with a leading refs/heads/ removed: the ref
	// attribute, a ?ref= URL parameter, the channel a nixos.org channel URL
	// names, the ref in a GitHub archive URL, or a FlakeHub version as
	// written ("0.2405.*", classed by the nixpkgs branch it stands for). It
	// is "" when the reference names none.
	Ref string
	// Rev is the revision the reference pins, when it pins one.
	Rev string
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

// releaseRef matches the release branches and captures their YY.MM.
var releaseRef = regexp.MustCompile(`^(?:nixos-(\d\d\.\d\d)(?:-small)?|nixpkgs-(\d\d\.\d\d)-darwin|release-(\d\d\.\d\d))$`)

// flakehubNixpkgsRelease matches FlakeHub nixpkgs versions of a release
// (0.2405, 0.2405.*, 0.2405.811770+rev-...) and captures YY and MM.
var flakehubNixpkgsRelease = regexp.MustCompile(`^0\.(\d\d)(\d\d)(?:\..*)?$`)

// fullRev matches a full git commit hash.
var fullRev = regexp.MustCompile(`^[0-9a-f]{40}$`)

// BranchOf returns the branch a node tracks, read from its original
// reference. The root node and nodes without attributes are "rolling" with
// no ref.
func BranchOf(n *Node) Branch {
	ref, rev, meaning := refOf(n.Original)
	return Branch{Class: branchClass(meaning, rev), Ref: ref, Rev: rev}
}

// refOf finds the ref and rev a reference names, wherever its fetcher type
// keeps them. meaning is the branch name the ref stands for; it differs
// from ref only for FlakeHub nixpkgs versions (0.2405.* means nixos-24.05).
func refOf(a Attrs) (ref, rev, meaning string) {
	ref, rev = a.String("ref"), a.String("rev")
	if raw := a.String("url"); raw != "" {
		if u, err := url.Parse(raw); err == nil {
			q := u.Query()
			if ref == "" {
				ref = q.Get("ref")
			}
			if rev == "" {
				rev = q.Get("rev")
			}
			if ref == "" && rev == "" {
				ref, rev, meaning = urlRef(u)
			}
		}
	}
	ref = strings.TrimPrefix(ref, "refs/heads/")
	if meaning == "" {
		meaning = ref
	}
	return ref, rev, meaning
}

// urlRef reads the ref or rev that a tarball URL carries in its path: a
// nixos.org channel, a GitHub archive, or a FlakeHub version.
func urlRef(u *url.URL) (ref, rev, meaning string) {
	host := strings.ToLower(u.Hostname())
	segs := strings.Split(strings.Trim(u.Path, "/"), "/")
	if ch := channelName(host, segs); ch != "" {
		return ch, "", ch
	}
	switch {
	case host == "github.com" && len(segs) >= 4 && segs[2] == "archive":
		name := strings.Join(segs[3:], "/")
		for _, ext := range []string{".tar.gz", ".tar.xz", ".tar.bz2", ".tgz", ".zip"} {
			name = strings.TrimSuffix(name, ext)
		}
		if fullRev.MatchString(name) {
			return "", name, ""
		}
		name = strings.TrimPrefix(name, "refs/heads/")
		name = strings.TrimPrefix(name, "refs/tags/")
		return name, "", name
	case (host == "flakehub.com" || host == "api.flakehub.com") && len(segs) >= 4 && segs[0] == "f":
		if segs[1] == "pinned" {
			segs = segs[1:]
		}
		if len(segs) < 4 {
			return "", "", ""
		}
		version := strings.TrimSuffix(segs[3], ".tar.gz")
		if unescaped, err := url.PathUnescape(version); err == nil {
			version = unescaped
		}
		if strings.EqualFold(segs[1], "NixOS") && strings.EqualFold(segs[2], "nixpkgs") {
			return version, "", flakehubNixpkgsRef(strings.TrimLeft(version, "=~^"))
		}
		return version, "", version
	}
	return "", "", ""
}

// flakehubNixpkgsRef turns a FlakeHub NixOS/nixpkgs version into the
// branch it follows: 0.1 (and 0.1.*) is nixpkgs-unstable, 0.YYMM.* is
// nixos-YY.MM. Other versions ("*", "0") are kept as written.
func flakehubNixpkgsRef(version string) string {
	if version == "0.1" || strings.HasPrefix(version, "0.1.") {
		return "nixpkgs-unstable"
	}
	if m := flakehubNixpkgsRelease.FindStringSubmatch(version); m != nil {
		return "nixos-" + m[1] + "." + m[2]
	}
	return version
}

// branchClass classifies a ref (and rev) as documented on Branch.Class.
func branchClass(ref, rev string) string {
	switch {
	case ref == "" && rev != "":
		return classPinnedPrefix + rev
	case ref == "" || rollingRefs[ref]:
		return ClassRolling
	}
	if m := releaseRef.FindStringSubmatch(ref); m != nil {
		return m[1] + m[2] + m[3]
	}
	return ref
}
