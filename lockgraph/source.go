package lockgraph

import (
	"net/url"
	"path"
	"regexp"
	"sort"
	"strings"
)

// Source says which repository's code a node is, independent of how the
// flake reference was spelled and of which revision was locked. Two nodes
// with the same Source ID are copies of the same thing, and one of them can
// follow the other.
type Source struct {
	// ID identifies the repository (never the revision):
	//
	//	github:owner/repo             GitHub, case-folded; also git URLs on
	//	                              github.com and GitHub archive tarballs
	//	gitlab:owner/repo             GitLab, case-folded (?host=h when not gitlab.com)
	//	sourcehut:~owner/repo         sourcehut (?host=h when not git.sr.ht)
	//	flakehub:owner/repo           FlakeHub flakes, case-folded
	//	git+https://host/path         git and hg (hg+...) URLs: scheme and host
	//	                              lower-case, user, trailing ".git" and "/",
	//	                              ref, rev and shallow dropped
	//	tarball:URL, file:URL         other URLs, scheme and host lower-case
	//	path:/some/dir                path inputs
	//	indirect:id                   a registry name not resolved to a repository
	//
	// A "dir" attribute (a flake in a subdirectory) is part of the identity,
	// appended as ?dir=d, except for nixpkgs (see withDir). Every copy of upstream nixpkgs, however it is
	// fetched (GitHub, git, channel tarball, a releases.nixos.org nixpkgs
	// release tarball, FlakeHub, the registry name "nixpkgs" however the
	// registry resolved it), has the ID "github:nixos/nixpkgs". Unknown fetcher types get
	// "<type>?k=v&..." built from their original attributes minus ref and rev.
	ID string
	// Kind is the fetcher type as the reference was written (original.type):
	// github, gitlab, sourcehut, git, hg, tarball, file, path, indirect, ...
	Kind string
	// Nixpkgs reports whether the node is a copy of nixpkgs: upstream, a
	// snapshot of it with its own ID (FlakeHub's
	// DeterminateSystems/nixpkgs-weekly), or a fork.
	Nixpkgs bool
	// Fork reports a nixpkgs copy whose code is not upstream NixOS/nixpkgs
	// (Mic92/nixpkgs, a self-hosted git mirror named nixpkgs, ...).
	Fork bool
}

// upstreamNixpkgs is the ID of every copy of NixOS/nixpkgs.
const upstreamNixpkgs = "github:nixos/nixpkgs"

// nixpkgsSnapshots are the sources that are a full upstream nixpkgs
// published on their own schedule: copies of nixpkgs (Nixpkgs) with their
// own ID, but not forks (their code is upstream's).
var nixpkgsSnapshots = map[string]bool{
	// Weekly snapshots of the rolling branch, versioned 0.1.*.
	"flakehub:determinatesystems/nixpkgs-weekly": true,
}

// nixpkgsForks are forks of nixpkgs whose repository is not named nixpkgs
// (which isNixpkgsID would recognise), found in real locks.
var nixpkgsForks = map[string]bool{
	// devenv's nixpkgs: upstream plus patches, on its branch "rolling".
	"github:cachix/devenv-nixpkgs": true,
}

// SourceOf returns the identity of a node. It reads original (what the user
// meant) and falls back on locked where original says too little: an
// indirect reference (flake:nixpkgs) is identified by the repository the
// registry resolved it to, so indirect nixpkgs and github:NixOS/nixpkgs are
// the same source. The root node and nodes without attributes get an empty
// ID.
func SourceOf(n *Node) Source {
	attrs := n.Original
	if len(attrs) == 0 {
		attrs = n.Locked
	}
	kind := attrs.String("type")
	src := Source{Kind: kind}
	switch kind {
	case "":
		return src
	case "indirect":
		src.ID = indirectID(attrs.String("id"), n.Locked)
	default:
		src.ID = sourceID(attrs)
	}
	src.Nixpkgs = src.ID == upstreamNixpkgs || isNixpkgsID(src.ID) || nixpkgsSnapshots[src.ID] || nixpkgsForks[src.ID]
	src.Fork = src.Nixpkgs && src.ID != upstreamNixpkgs && !nixpkgsSnapshots[src.ID]
	return src
}

// indirectID identifies a registry reference by what it was locked to. A
// lock to a local store path (a pinned system registry) says nothing about
// the repository, so then only the well-known name "nixpkgs" is mapped, to
// upstream, and other names keep "indirect:<id>".
func indirectID(id string, locked Attrs) string {
	switch locked.String("type") {
	case "", "indirect", "path":
		if id == "nixpkgs" {
			return upstreamNixpkgs
		}
		return "indirect:" + id
	}
	return sourceID(locked)
}

// sourceID builds the ID of a direct (non-indirect) reference.
func sourceID(a Attrs) string {
	kind := a.String("type")
	var id string
	switch kind {
	case "github", "gitlab", "sourcehut":
		id = forgeID(kind, a.String("host"), a.String("owner"), a.String("repo"))
	case "git", "hg":
		id = repoURLID(kind, a.String("url"))
	case "tarball", "file":
		id = archiveURLID(kind, a.String("url"))
	case "path":
		id = "path:" + a.String("path")
	default:
		return unknownID(kind, a)
	}
	return withDir(id, a)
}

// withDir appends the "dir" of a reference (attribute or URL parameter) to
// its ID: a flake in a subdirectory is another flake than the one at the
// top. nixpkgs is the exception: its only subflake, lib, offers nothing the
// top-level flake's lib output does not, so nixpkgs?dir=lib is counted as a
// copy of nixpkgs that may follow it.
func withDir(id string, a Attrs) string {
	dir := a.String("dir")
	if raw := a.String("url"); dir == "" && strings.Contains(raw, "dir=") {
		if u, err := url.Parse(raw); err == nil {
			dir = u.Query().Get("dir")
		}
	}
	dir = strings.Trim(dir, "/")
	if dir == "" || isNixpkgsID(id) || strings.Contains(id, "dir=") {
		return id
	}
	return id + "?dir=" + dir
}

// defaultHosts are the hosts a forge reference means when it names none.
var defaultHosts = map[string]string{
	"github":    "github.com",
	"gitlab":    "gitlab.com",
	"sourcehut": "git.sr.ht",
}

// forgeID builds github:owner/repo and its siblings. GitHub and GitLab
// names are case-insensitive, so they are folded; sourcehut names are kept.
func forgeID(kind, host, owner, repo string) string {
	if kind != "sourcehut" {
		owner, repo = strings.ToLower(owner), strings.ToLower(repo)
	}
	id := kind + ":" + owner + "/" + repo
	if host = strings.ToLower(host); host != "" && host != defaultHosts[kind] {
		id += "?host=" + host
	}
	if id == upstreamNixpkgs {
		return upstreamNixpkgs
	}
	return id
}

// droppedQuery are URL parameters that select a revision or a fetch mode,
// not a repository.
var droppedQuery = map[string]bool{"ref": true, "rev": true, "shallow": true}

// repoURLID normalises a git or hg URL. A repository on github.com is the
// same code as github:owner/repo and gets that ID.
func repoURLID(kind, raw string) string {
	u, err := url.Parse(strings.TrimPrefix(strings.TrimPrefix(raw, kind+"+"), "git+"))
	if err != nil || u.Host == "" && u.Path == "" {
		return kind + "+" + raw
	}
	host := strings.ToLower(u.Hostname())
	repoPath := strings.TrimSuffix(strings.TrimRight(u.Path, "/"), ".git")
	if host == "github.com" {
		if parts := strings.Split(strings.Trim(repoPath, "/"), "/"); len(parts) == 2 {
			return forgeID("github", "", parts[0], parts[1])
		}
	}
	hostPort := host
	if port := u.Port(); port != "" {
		hostPort += ":" + port
	}
	id := kind + "+" + strings.ToLower(u.Scheme) + "://" + hostPort + repoPath
	return id + keptQuery(u.Query())
}

// keptQuery renders the parameters that are part of the identity, sorted.
func keptQuery(q url.Values) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		if !droppedQuery[k] && k != "dir" { // withDir adds dir
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return ""
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		for _, v := range q[k] {
			parts = append(parts, k+"="+v)
		}
	}
	return "?" + strings.Join(parts, "&")
}

// archiveURLID identifies a tarball or file URL. nixpkgs channels and
// FlakeHub's NixOS/nixpkgs are upstream nixpkgs; GitHub archive tarballs are
// their repository; FlakeHub flakes are flakehub:owner/repo; anything else
// is its URL with the scheme and host lower-cased.
func archiveURLID(kind, raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return kind + ":" + raw
	}
	host := strings.ToLower(u.Hostname())
	segs := strings.Split(strings.Trim(u.Path, "/"), "/")
	switch {
	case channelName(host, segs) != "":
		return upstreamNixpkgs
	case host == "github.com" && len(segs) >= 4 && segs[2] == "archive":
		return forgeID("github", "", segs[0], segs[1])
	case (host == "flakehub.com" || host == "api.flakehub.com") && len(segs) >= 3 && segs[0] == "f":
		if segs[1] == "pinned" {
			segs = segs[1:]
		}
		if len(segs) >= 3 {
			owner, repo := strings.ToLower(segs[1]), strings.ToLower(segs[2])
			if owner == "nixos" && repo == "nixpkgs" {
				return upstreamNixpkgs
			}
			return "flakehub:" + owner + "/" + repo
		}
	}
	u.Scheme = strings.ToLower(u.Scheme)
	u.Host = strings.ToLower(u.Host)
	return kind + ":" + u.String()
}

// channelName returns the channel a nixos.org channel URL names
// ("nixos-unstable", "nixos-24.05"), or "" for other URLs. It knows
// channels.nixos.org/<channel>/..., nixos.org/channels/<channel>/...,
// releases.nixos.org/nixos/<version>/... (the URL a NixOS channel
// redirects to, whose <version> is "unstable" or "24.05") and
// releases.nixos.org/nixpkgs/nixpkgs-<release>/... (where a nixpkgs channel
// redirects to, and what recent Nix locks the registry's "nixpkgs" to; see
// releaseChannel).
func channelName(host string, segs []string) string {
	switch {
	case host == "channels.nixos.org" && len(segs) >= 1 && segs[0] != "":
		return segs[0]
	case (host == "nixos.org" || host == "www.nixos.org") && len(segs) >= 2 && segs[0] == "channels":
		return segs[1]
	case host == "releases.nixos.org" && len(segs) >= 2 && segs[0] == "nixos":
		return "nixos-" + segs[1]
	case host == "releases.nixos.org" && len(segs) >= 2 && segs[0] == "nixpkgs":
		return releaseChannel(segs[1])
	}
	return ""
}

// nixpkgsRelease finds the YY.MM of a nixpkgs channel release directory
// ("nixpkgs-26.11pre1023445.3d46470bb303") and whether it is a pre-release.
var nixpkgsRelease = regexp.MustCompile(`(\d\d\.\d\d)(pre)?`)

// releaseChannel names the channel of a nixpkgs release directory: a
// "pre" release (YY.MMpre...) is a snapshot of the rolling branch before
// YY.MM branches off, so nixpkgs-unstable; any other YY.MM is that
// release, nixpkgs-YY.MM-darwin (the only stable nixpkgs-* channel); a
// name without a YY.MM is kept as it is.
func releaseChannel(name string) string {
	m := nixpkgsRelease.FindStringSubmatch(name)
	switch {
	case name == "":
		return ""
	case m == nil:
		return name
	case m[2] != "":
		return "nixpkgs-unstable"
	}
	return "nixpkgs-" + m[1] + "-darwin"
}

// unknownID keeps a stable identity for a fetcher type flakedup does not
// know: the type and every original attribute except ref and rev, sorted.
func unknownID(kind string, a Attrs) string {
	parts := make([]string, 0, len(a))
	for _, f := range a { // in key order
		if f.Key != "type" && !droppedQuery[f.Key] {
			parts = append(parts, f.Key+"="+f.Raw)
		}
	}
	if len(parts) == 0 {
		return kind
	}
	return kind + "?" + strings.Join(parts, "&")
}

// isNixpkgsID reports whether an ID names a repository called nixpkgs: a
// forge or FlakeHub repository, or the last segment of a git or hg URL.
func isNixpkgsID(id string) bool {
	if i := strings.IndexByte(id, '?'); i >= 0 {
		id = id[:i]
	}
	switch {
	case strings.HasPrefix(id, "github:"), strings.HasPrefix(id, "gitlab:"),
		strings.HasPrefix(id, "sourcehut:"), strings.HasPrefix(id, "flakehub:"),
		strings.HasPrefix(id, "git+"), strings.HasPrefix(id, "hg+"):
		return path.Base(id) == "nixpkgs"
	}
	return false
}
