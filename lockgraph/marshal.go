package lockgraph

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"unicode/utf8"
)

// lockVersion is the lock file format version Nix writes, whatever it read.
const lockVersion = 7

// Marshal returns the lock exactly as Nix writes it (libflake lockfile.cc
// LockFile::toJSON, then nlohmann::json::dump(2) and a final newline):
//
//   - object keys sorted in byte order (nlohmann objects are std::maps),
//     two-space indentation, one array element per line, "{}" and "[]" for
//     empty values, ": " between key and value;
//   - strings escaped the nlohmann way: only '"', '\\' and control
//     characters are escaped (\b \f \n \r \t, others as \u00xx), while '<',
//     '>', '&' and non-ASCII characters are written raw;
//   - "version" is always 7 and only nodes reachable from the root through
//     direct edges are written, each under the key Nix would give it on
//     write (see NixKeys);
//   - per node: "inputs" (omitted when empty; a node key for a direct edge,
//     the follows path as an array otherwise), "locked" and "original"
//     (omitted for the root, which has neither), "flake": false for a
//     non-flake input, and every Extra field.
//
// Numbers are copied as they appear in the input; Nix only writes integers
// there. Raw JSON that does not parse (which Load never produces) is written
// as it is. Marshal(Load(x)) == x for a lock written by Nix 2.8 or later.
func Marshal(g *Graph) []byte {
	order, names := NixKeys(g)

	nodes := make(map[string]any, len(order))
	for _, key := range order {
		nodes[names[key]] = nodeValue(g.Nodes[key], names, key == g.Root)
	}
	doc := map[string]any{
		"nodes":   nodes,
		"root":    names[g.Root],
		"version": json.Number(strconv.Itoa(lockVersion)),
	}

	var b bytes.Buffer
	writeValue(&b, doc, 0)
	b.WriteByte('\n')
	return b.Bytes()
}

// NixKeys names the nodes the way Nix does when it writes a lock: a
// pre-order depth-first walk from the root over direct edges (follows edges
// are not walked), inputs in sorted byte order, the root named "root" and
// every other node named after the input through which it is first reached.
// A name already taken gets the first free suffix "_2", "_3", ...; a node
// reached again keeps the name it got first.
//
// It returns the keys of the reachable nodes in the order they were named,
// and the new name of each of them keyed by its current key. Edges to keys
// missing from g.Nodes (or mapped to nil) are skipped.
func NixKeys(g *Graph) (order []string, names map[string]string) {
	names = make(map[string]string)
	taken := make(map[string]bool)
	// nextSuffix remembers, per clashing name, the suffix that was free last
	// time: names are only ever taken, never released, so the smallest free
	// suffix never goes down and the search can resume there. Without it a
	// lock with k nodes named "nixpkgs" costs k² lookups.
	nextSuffix := make(map[string]int)

	var visit func(name, key string)
	visit = func(name, key string) {
		if _, done := names[key]; done {
			return
		}
		node := g.Nodes[key]
		if node == nil {
			return
		}
		if taken[name] {
			base := name
			for n := max(nextSuffix[base], 2); ; n++ {
				candidate := base + "_" + strconv.Itoa(n)
				if !taken[candidate] {
					name, nextSuffix[base] = candidate, n
					break
				}
			}
		}
		taken[name] = true
		names[key] = name
		order = append(order, key)
		for _, edge := range node.Inputs {
			if !edge.IsFollows() {
				visit(edge.Name, edge.Target)
			}
		}
	}
	visit("root", g.Root)
	return order, names
}

// nodeValue builds the JSON value of one node, with direct edges written as
// the new names of their targets. The root has no locked and original
// unless it carries them.
func nodeValue(n *Node, names map[string]string, isRoot bool) map[string]any {
	v := make(map[string]any, len(n.Extra)+4)
	for _, f := range n.Extra {
		v[f.Key] = json.RawMessage(f.Raw)
	}
	if len(n.Inputs) > 0 {
		inputs := make(map[string]any, len(n.Inputs))
		for _, edge := range n.Inputs {
			name := edge.Name
			if edge.IsFollows() {
				path := make([]any, len(edge.Follows))
				for i, seg := range edge.Follows {
					path[i] = seg
				}
				inputs[name] = path
			} else if target, ok := names[edge.Target]; ok {
				inputs[name] = target
			} else {
				inputs[name] = edge.Target
			}
		}
		v["inputs"] = inputs
	}
	if !isRoot || n.Locked != nil || n.Original != nil {
		v["locked"] = attrsValue(n.Locked)
		v["original"] = attrsValue(n.Original)
		if !n.IsFlake {
			v["flake"] = false
		}
	}
	return v
}

// attrsValue converts an attribute set for writeValue.
func attrsValue(a Attrs) map[string]any {
	v := make(map[string]any, len(a))
	for _, f := range a {
		v[f.Key] = json.RawMessage(f.Raw)
	}
	return v
}

// writeValue writes v the way nlohmann::json::dump(2) does, with the value
// starting at the current position and nested lines indented by depth+1
// levels. v is a map[string]any, []any, string, bool, json.Number or
// json.RawMessage (decoded and written again in the same style).
func writeValue(b *bytes.Buffer, v any, depth int) {
	switch v := v.(type) {
	case map[string]any:
		if len(v) == 0 {
			b.WriteString("{}")
			return
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteString("{\n")
		for i, k := range keys {
			indent(b, depth+1)
			writeString(b, k)
			b.WriteString(": ")
			writeValue(b, v[k], depth+1)
			if i < len(keys)-1 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		indent(b, depth)
		b.WriteByte('}')
	case []any:
		if len(v) == 0 {
			b.WriteString("[]")
			return
		}
		b.WriteString("[\n")
		for i, e := range v {
			indent(b, depth+1)
			writeValue(b, e, depth+1)
			if i < len(v)-1 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		indent(b, depth)
		b.WriteByte(']')
	case string:
		writeString(b, v)
	case bool:
		b.WriteString(strconv.FormatBool(v))
	case json.Number:
		b.WriteString(string(v))
	case json.RawMessage:
		if isPlainScalar(v) {
			// Written back unchanged, as decoding and writing it would do;
			// this skips a JSON decoder per value, which on a big lock is
			// most of the time Marshal takes.
			b.Write(v)
			return
		}
		decoded, err := decodeRaw(v)
		if err != nil {
			b.Write(v)
			return
		}
		writeValue(b, decoded, depth)
	case nil:
		b.WriteString("null")
	default:
		// Unreachable for the values this file builds; written as Go's
		// JSON rather than dropped.
		out, _ := json.Marshal(v)
		b.Write(out)
	}
}

// isPlainScalar reports whether raw is a JSON value that writeValue would
// write back byte for byte: a string of printable ASCII without escapes, or
// a non-negative integer without leading zeros.
func isPlainScalar(raw json.RawMessage) bool {
	if isPlainString(string(raw)) {
		return true
	}
	if len(raw) == 0 || (raw[0] == '0' && len(raw) > 1) {
		return false
	}
	for _, c := range raw {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// decodeRaw decodes raw JSON into the value types writeValue knows, keeping
// numbers as written.
func decodeRaw(raw json.RawMessage) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("decode %.40q: %w", raw, err)
	}
	return v, nil
}

func indent(b *bytes.Buffer, depth int) {
	for i := 0; i < depth; i++ {
		b.WriteString("  ")
	}
}

// writeString writes s as a JSON string escaped the way nlohmann's
// serializer does with ensure_ascii off. Invalid UTF-8 (which nlohmann
// refuses to dump) is written as U+FFFD.
func writeString(b *bytes.Buffer, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b.WriteString("\uFFFD")
			} else {
				b.WriteString(s[i : i+size])
			}
			i += size
			continue
		}
		switch c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if c < 0x20 {
				b.WriteString(`\u00`)
				b.WriteByte(hex[c>>4])
				b.WriteByte(hex[c&0xf])
			} else {
				b.WriteByte(c)
			}
		}
		i++
	}
	b.WriteByte('"')
}
