package nixworld

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Entry is what one input path of a lock denotes, independent of the node
// keys Nix happened to choose.
type Entry struct {
	// Follows is the follows path for a follows input, resolved from the
	// root as the lock stores it; empty but not nil for `follows = ""` (the
	// root itself); nil for an input locked on its own.
	Follows []string
	// Locked is the node's "locked" attribute set in canonical JSON (keys
	// sorted; for lock versions below 7 the "info" fields folded in), or
	// nil for a follows.
	Locked json.RawMessage
	// Original is the node's "original" attribute set in canonical JSON, or
	// nil for a follows.
	Original json.RawMessage
	// Flake is false for inputs declared with flake = false, and for
	// follows (which carry no node of their own).
	Flake bool
}

// IsFollows reports whether the entry is a follows.
func (e Entry) IsFollows() bool { return e.Follows != nil }

// lockFile is the part of a flake.lock that Flatten reads.
type lockFile struct {
	Nodes   map[string]lockNode `json:"nodes"`
	Root    string              `json:"root"`
	Version int                 `json:"version"`
}

type lockNode struct {
	Inputs   map[string]json.RawMessage `json:"inputs"`
	Locked   map[string]json.RawMessage `json:"locked"`
	Info     map[string]json.RawMessage `json:"info"`
	Original map[string]json.RawMessage `json:"original"`
	Flake    *bool                      `json:"flake"`
}

// edge is one input of a node: a node key, or a follows path.
type edge struct {
	name    string
	key     string   // target node key for a direct edge
	follows []string // follows path (non-nil) for a follows
}

// edges returns the inputs of n sorted by name.
func (n lockNode) edges(owner string) ([]edge, error) {
	var out []edge
	for name, raw := range n.Inputs {
		e := edge{name: name}
		if err := json.Unmarshal(raw, &e.key); err != nil {
			if err := json.Unmarshal(raw, &e.follows); err != nil {
				return nil, fmt.Errorf("node %q input %q: neither a node key nor a follows path: %s", owner, name, raw)
			}
			if e.follows == nil {
				e.follows = []string{}
			}
		}
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

// Flatten reads a flake.lock (version 5, 6 or 7) and returns one Entry per
// input path ("home-manager/nixpkgs"), the way scenario.sh's flatten.jq
// does: direct edges are walked into, follows are not. Two locks that Nix
// treats as the same have equal Flatten results whatever their node keys.
//
// Locks below version 7 store a follows as a second edge to the same node;
// as in NIX-NOTES.md, the first path reaching a node (breadth first, inputs
// in sorted order) owns it and every other edge to it becomes a follows of
// that path.
func Flatten(lockJSON []byte) (map[string]Entry, error) {
	var lf lockFile
	if err := json.Unmarshal(lockJSON, &lf); err != nil {
		return nil, fmt.Errorf("nixworld: flatten: %w", err)
	}
	if _, ok := lf.Nodes[lf.Root]; !ok {
		return nil, fmt.Errorf("nixworld: flatten: root node %q is missing", lf.Root)
	}
	out := map[string]Entry{}
	if err := flatten(lf, out); err != nil {
		return nil, fmt.Errorf("nixworld: flatten: %w", err)
	}
	return out, nil
}

// flatten walks lf breadth first from the root and fills out.
func flatten(lf lockFile, out map[string]Entry) error {
	type item struct {
		key  string
		path []string
	}
	owner := map[string][]string{lf.Root: {}} // node key -> first path (v < 7)
	queue := []item{{lf.Root, nil}}
	for len(queue) > 0 {
		it := queue[0]
		queue = queue[1:]
		if len(it.path) > 64 {
			return fmt.Errorf("input path %s is too deep: a cycle of direct edges?", strings.Join(it.path, "/"))
		}
		edges, err := lf.Nodes[it.key].edges(it.key)
		if err != nil {
			return err
		}
		for _, e := range edges {
			path := append(append([]string(nil), it.path...), e.name)
			name := strings.Join(path, "/")
			if e.follows != nil {
				out[name] = Entry{Follows: e.follows}
				continue
			}
			node, ok := lf.Nodes[e.key]
			if !ok {
				return fmt.Errorf("node %q input %q: no node %q", it.key, e.name, e.key)
			}
			if lf.Version < 7 {
				if first, seen := owner[e.key]; seen {
					out[name] = Entry{Follows: first}
					continue
				}
				owner[e.key] = path
			}
			entry, err := nodeEntry(node)
			if err != nil {
				return fmt.Errorf("node %q: %w", e.key, err)
			}
			out[name] = entry
			queue = append(queue, item{e.key, path})
		}
	}
	return nil
}

// nodeEntry builds the Entry of a locked node.
func nodeEntry(n lockNode) (Entry, error) {
	locked := map[string]json.RawMessage{}
	for k, v := range n.Info {
		locked[k] = v
	}
	for k, v := range n.Locked {
		locked[k] = v
	}
	l, err := json.Marshal(locked)
	if err != nil {
		return Entry{}, err
	}
	o, err := json.Marshal(n.Original)
	if err != nil {
		return Entry{}, err
	}
	return Entry{Locked: l, Original: o, Flake: n.Flake == nil || *n.Flake}, nil
}

// SameLock reports whether locks a and b denote the same inputs: the same
// input paths, follows, locked and original references and flake flags,
// whatever their node keys and layout. When they differ, or one does not
// parse, the string says how, one line per input path.
func SameLock(a, b []byte) (bool, string) {
	return compare(a, b, true)
}

// SameShape is SameLock without the locked and original references: the
// same input paths, the same follows paths and the same flake = false
// inputs. It compares a replayed lock with the real lock it imitates.
func SameShape(a, b []byte) (bool, string) {
	return compare(a, b, false)
}

// maxDiffLines bounds the difference SameLock and SameShape report.
const maxDiffLines = 20

func compare(a, b []byte, refs bool) (bool, string) {
	fa, err := Flatten(a)
	if err != nil {
		return false, "a: " + err.Error()
	}
	fb, err := Flatten(b)
	if err != nil {
		return false, "b: " + err.Error()
	}
	var diffs []string
	for _, p := range sortedKeys(fa, fb) {
		ea, inA := fa[p]
		eb, inB := fb[p]
		switch {
		case !inA:
			diffs = append(diffs, fmt.Sprintf("%s: only in b (%s)", p, eb.describe(refs)))
		case !inB:
			diffs = append(diffs, fmt.Sprintf("%s: only in a (%s)", p, ea.describe(refs)))
		case !ea.equal(eb, refs):
			diffs = append(diffs, fmt.Sprintf("%s: a %s, b %s", p, ea.describe(refs), eb.describe(refs)))
		}
	}
	if len(diffs) == 0 {
		return true, ""
	}
	if len(diffs) > maxDiffLines {
		diffs = append(diffs[:maxDiffLines], fmt.Sprintf("... and %d more", len(diffs)-maxDiffLines))
	}
	return false, strings.Join(diffs, "\n")
}

func (e Entry) equal(o Entry, refs bool) bool {
	if e.IsFollows() || o.IsFollows() {
		return e.IsFollows() && o.IsFollows() && slices.Equal(e.Follows, o.Follows)
	}
	if e.Flake != o.Flake {
		return false
	}
	return !refs || (bytes.Equal(e.Locked, o.Locked) && bytes.Equal(e.Original, o.Original))
}

// describe renders e for a difference line.
func (e Entry) describe(refs bool) string {
	if e.IsFollows() {
		return fmt.Sprintf("follows %q", strings.Join(e.Follows, "/"))
	}
	s := "locked"
	if !e.Flake {
		s += ", flake = false"
	}
	if refs {
		s += " " + string(e.Locked) + " from " + string(e.Original)
	}
	return s
}

// sortedKeys returns the union of the keys of a and b, sorted.
func sortedKeys(a, b map[string]Entry) []string {
	var keys []string
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// LockedRev returns the "rev" that lock pins for the input path (like
// "A/B/nixpkgs"), which must be an input locked on its own, not a follows.
func LockedRev(lockJSON []byte, path string) (string, error) {
	flat, err := Flatten(lockJSON)
	if err != nil {
		return "", err
	}
	e, ok := flat[path]
	switch {
	case !ok:
		return "", fmt.Errorf("nixworld: no input %q in the lock", path)
	case e.IsFollows():
		return "", fmt.Errorf("nixworld: input %q is a follows of %q", path, strings.Join(e.Follows, "/"))
	}
	var locked struct {
		Rev string `json:"rev"`
	}
	if err := json.Unmarshal(e.Locked, &locked); err != nil {
		return "", fmt.Errorf("nixworld: input %q: %w", path, err)
	}
	if locked.Rev == "" {
		return "", fmt.Errorf("nixworld: input %q has no locked rev", path)
	}
	return locked.Rev, nil
}
