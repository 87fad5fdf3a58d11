// Package lockgraph turns a flake.lock into a graph of flake inputs and
// answers questions about it: which nodes are copies of the same source,
// which input paths reach each copy, which follows edges would collapse the
// duplicates, and what lock Nix would write after those follows are added.
//
// Everything here is a pure function over bytes and values: the package never
// opens a file and never imports rewrite. It speaks in input paths
// ([]string{"home-manager", "nixpkgs"}), never in node keys, because Nix
// renames node keys on every write (see ../shared/NIX-NOTES.md).
//
// Load and Analyze are built for locks of 100,000 nodes and more as well as
// for the usual few hundred: one pass over the text (gjson checks the
// syntax, a small scanner reads), attribute sets and inputs as sorted
// slices carved from shared blocks, nodes numbered once and walked by
// number, and, on a big lock, the work spread over the cores (the text read
// in two halves, node facts read while the graph is walked, groups built
// side by side). Every parallel path gives exactly what one goroutine
// gives; parallel_test.go checks it.
package lockgraph

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Graph is a flake.lock with every input edge resolved to the node it
// denotes. Build one with Load (or by hand, in tests) and do not modify it
// afterwards: a graph from Load, Predict or Promote keeps an index of its
// nodes and edges, and every graph caches its walk once Reachable, Paths,
// SamplePaths or Analyze has run. To change a graph, work on a copy (as
// Predict does; its result shares attribute sets, follows paths and the
// inputs of the nodes it leaves unchanged with the graph it came from, so
// none of those may be changed in place). Its
// methods are safe for concurrent use.
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
	// index is what Load learnt about the nodes (load.go); nil for a graph
	// built by hand. The walk starts from it when it is there, which is why
	// a loaded graph must not be modified at all.
	index *nodeIndex
	// nixOrder marks an index that lists exactly the nodes reachable from
	// the root, in the order NixKeys names them (the root first), each
	// under the name NixKeys gives it: the index of a graph Predict or
	// Promote built (numbered.go).
	nixOrder bool
	// srcCache holds the sources of the index's nodes, read once
	// (sourcecache.go).
	srcCache sourceCache
}

// Node is one entry of the lock's "nodes" object.
type Node struct {
	// Key is the node's key in the lock. It carries no meaning beyond this
	// one file: identify nodes by input path instead.
	Key string
	// Inputs are the node's resolved input edges, sorted by name.
	Inputs Inputs
	// Locked is the node's "locked" attribute set; for version 5 locks the
	// fields of "info" (lastModified, narHash) are folded into it.
	Locked Attrs
	// Original is the flake reference as the user (or the dependency) wrote it.
	Original Attrs
	// Extra keeps every other field of the node ("parent", and fields future
	// Nix versions add) so that a lock written back loses nothing.
	Extra Attrs
	// IsFlake is false for inputs declared with flake = false.
	IsFlake bool

	// pos is the node's position in the index of the graph Load read it
	// into (nodeIndex.lookup checks that it is that graph's).
	pos int32
}

// Inputs are the input edges of a node, sorted by name in byte order, each
// name once; Get looks one up. A slice rather than a map, for the same
// reason as Attrs. Build one with NewInputs, change one with With.
type Inputs []Input

// NewInputs builds the inputs of a node from edges in any order; when a
// name is given twice, the last one counts.
func NewInputs(edges ...Input) Inputs {
	return sortLastWins(slices.Clone(edges), func(in Input) string { return in.Name })
}

// sortLastWins sorts s in place by name and keeps, of the elements with
// the same name, only the last one given; a nil s stays nil.
func sortLastWins[T any](s []T, name func(T) string) []T {
	if len(s) < 2 {
		return s
	}
	slices.SortStableFunc(s, func(x, y T) int { return strings.Compare(name(x), name(y)) })
	out := s[:0]
	for i, v := range s {
		if i+1 < len(s) && name(s[i+1]) == name(v) {
			continue // a later element has the same name
		}
		out = append(out, v)
	}
	return out
}

// Get returns the input called name and whether there is one.
func (ins Inputs) Get(name string) (Input, bool) {
	if i, ok := ins.find(name); ok {
		return ins[i], true
	}
	return Input{}, false
}

// find returns the index of the input called name, or where it would go.
func (ins Inputs) find(name string) (int, bool) {
	if len(ins) <= 8 {
		for i, in := range ins {
			if c := strings.Compare(in.Name, name); c >= 0 {
				return i, c == 0
			}
		}
		return len(ins), false
	}
	return slices.BinarySearchFunc(ins, name, func(in Input, n string) int { return strings.Compare(in.Name, n) })
}

// Names returns the input names in byte order.
func (ins Inputs) Names() []string {
	names := make([]string, len(ins))
	for i, in := range ins {
		names[i] = in.Name
	}
	return names
}

// With returns a copy of ins with in added, replacing the input of the
// same name if there is one; ins itself is not modified.
func (ins Inputs) With(in Input) Inputs {
	i, found := ins.find(in.Name)
	out := make(Inputs, 0, len(ins)+1)
	out = append(out, ins[:i]...)
	out = append(out, in)
	if found {
		i++
	}
	return append(out, ins[i:]...)
}

// Input is one input edge of a node, resolved.
type Input struct {
	// Name is the input's name within its node ("nixpkgs").
	Name string
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

// Attrs is a JSON attribute set: its fields sorted by key in byte order,
// each key once, each value kept as compact raw JSON text so that unknown
// fetcher types and fields survive a round trip unchanged. A nil Attrs is an
// absent attribute set, a non-nil empty one is {}.
//
// A slice rather than a map: a lock has two or three small attribute sets
// per node, and on a 100,000-node lock maps cost several times the memory
// (and the time to build) of these few fields.
type Attrs []Attr

// Attr is one field of an attribute set.
type Attr struct {
	// Key is the field name.
	Key string
	// Raw is the value as compact JSON text: `"github"`, `1700000000`,
	// `false`, `["a","b"]`.
	Raw string
}

// NewAttrs builds an attribute set from fields in any order; when a key is
// given twice, the last one counts (as in encoding/json).
func NewAttrs(fields ...Attr) Attrs {
	a := make(Attrs, len(fields))
	copy(a, fields)
	return a.normalize()
}

// normalize sorts a in place by key and drops every field but the last of
// each key, keeping a nil Attrs nil.
func (a Attrs) normalize() Attrs {
	if a.sortedUnique() {
		return a
	}
	return sortLastWins(a, func(f Attr) string { return f.Key })
}

// sortedUnique reports whether a is sorted by key with no key twice, as
// every attribute set Nix writes is.
func (a Attrs) sortedUnique() bool {
	for i := 1; i < len(a); i++ {
		if a[i-1].Key >= a[i].Key {
			return false
		}
	}
	return true
}

// Get returns the raw JSON value of key and whether it is present.
func (a Attrs) Get(key string) (string, bool) {
	if len(a) <= 8 {
		for _, f := range a {
			if f.Key == key {
				return f.Raw, true
			}
		}
		return "", false
	}
	i, ok := slices.BinarySearchFunc(a, key, func(f Attr, k string) int { return strings.Compare(f.Key, k) })
	if !ok {
		return "", false
	}
	return a[i].Raw, true
}

// Keys returns the field names in byte order.
func (a Attrs) Keys() []string {
	keys := make([]string, len(a))
	for i, f := range a {
		keys[i] = f.Key
	}
	return keys
}

// String returns the string value of key, or "" when it is absent or not a
// JSON string.
func (a Attrs) String(key string) string {
	raw, ok := a.Get(key)
	if !ok {
		return ""
	}
	if isPlainString(raw) {
		return raw[1 : len(raw)-1]
	}
	var s string
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		return ""
	}
	return s
}

// isPlainString reports whether raw is a JSON string made of printable
// ASCII without escapes (every rev, hash, owner and type in a real lock):
// its value is the bytes between the quotes, no json.Unmarshal needed.
func isPlainString(raw string) bool {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return false
	}
	for i := 1; i < len(raw)-1; i++ {
		if c := raw[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// Int returns the integer value of key and whether it was present and an
// integer.
func (a Attrs) Int(key string) (int64, bool) {
	raw, ok := a.Get(key)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		return 0, false
	}
	return n, true
}

// UnmarshalJSON reads a JSON object, keeping each value as compact raw
// JSON; null gives a nil Attrs.
func (a *Attrs) UnmarshalJSON(data []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return err
	}
	if m == nil {
		*a = nil
		return nil
	}
	out := make(Attrs, 0, len(m))
	for k, v := range m {
		var buf bytes.Buffer
		if err := json.Compact(&buf, v); err != nil {
			return err
		}
		out = append(out, Attr{Key: k, Raw: buf.String()})
	}
	*a = out.normalize()
	return nil
}
