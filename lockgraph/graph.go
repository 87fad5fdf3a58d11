// Package lockgraph turns a flake.lock into a graph of flake inputs and
// answers questions about it: which nodes are copies of the same source,
// which input paths reach each copy, which follows edges would collapse the
// duplicates, and what lock Nix would write after those follows are added.
//
// Everything here is a pure function over bytes and values: the package never
// opens a file and never imports rewrite. It speaks in input paths
// ([]string{"home-manager", "nixpkgs"}), never in node keys, because Nix
// renames node keys on every write (see ../shared/NIX-NOTES.md).
package lockgraph

import (
	"encoding/json"
	"strconv"
	"sync"
)

// Graph is a flake.lock with every input edge resolved to the node it
// denotes. Build one with Load (or by hand, in tests); it is not modified
// afterwards, and must not be once Reachable, Paths or SamplePaths has run.
// Its methods are safe for concurrent use.
type Graph struct {
	// Version is the lock file format version (5, 6 or 7).
	Version int
	// Root is the key of the root node, as read from the lock's "root" field.
	Root string
	// Nodes holds every node of the lock by key, reachable or not.
	Nodes map[string]*Node

	// walkOnce and walked cache the depth-first walk that Reachable, Paths
	// and SamplePaths share (paths.go). They make a Graph unsafe to modify
	// once one of those has been called.
	walkOnce sync.Once
	walked   *dag
}

// Node is one entry of the lock's "nodes" object.
type Node struct {
	// Key is the node's key in the lock. It carries no meaning beyond this
	// one file: identify nodes by input path instead.
	Key string
	// Inputs maps each input name to its resolved edge.
	Inputs map[string]Input
	// Locked is the node's "locked" attribute set; for version 5 locks the
	// fields of "info" (lastModified, narHash) are folded into it.
	Locked Attrs
	// Original is the flake reference as the user (or the dependency) wrote it.
	Original Attrs
	// IsFlake is false for inputs declared with flake = false.
	IsFlake bool
	// Extra keeps every other field of the node ("parent", and fields future
	// Nix versions add) so that a lock written back loses nothing.
	Extra Attrs
}

// Input is one input edge of a node, resolved.
type Input struct {
	// Target is the key of the node this input denotes, after following
	// every follows path to its end.
	Target string
	// Follows is nil for a direct edge (the lock stored a node key) and the
	// follows path as stored otherwise: resolved from the root, where an
	// empty, non-nil slice means the root flake itself. For version 5 and 6
	// locks, every string edge to a node other than the first one reaching it
	// (breadth first, inputs in sorted order) is reported as a follows of
	// that first path.
	Follows []string
}

// IsFollows reports whether the edge is a follows rather than a direct edge.
func (in Input) IsFollows() bool { return in.Follows != nil }

// Attrs is a JSON attribute set whose values are kept as raw JSON, so that
// unknown fetcher types and fields survive a round trip unchanged.
type Attrs map[string]json.RawMessage

// String returns the string value of key, or "" when it is absent or not a
// JSON string.
func (a Attrs) String(key string) string {
	raw, ok := a[key]
	if !ok {
		return ""
	}
	if isPlainString(raw) {
		return string(raw[1 : len(raw)-1])
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return ""
	}
	return s
}

// isPlainString reports whether raw is a JSON string made of printable
// ASCII without escapes (every rev, hash, owner and type in a real lock):
// its value is the bytes between the quotes, no json.Unmarshal needed.
func isPlainString(raw []byte) bool {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return false
	}
	for _, c := range raw[1 : len(raw)-1] {
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// Int returns the integer value of key and whether it was present and an
// integer.
func (a Attrs) Int(key string) (int64, bool) {
	raw, ok := a[key]
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		return 0, false
	}
	return n, true
}
