package lockgraph

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unsafe"

	"github.com/tidwall/gjson"
)

// ErrorKind tells the classes of Load errors apart.
type ErrorKind int

// The classes of Load errors.
const (
	// KindSyntax: the bytes are not JSON (malformed, truncated or empty).
	KindSyntax ErrorKind = iota + 1
	// KindNotObject: the document is JSON but not an object.
	KindNotObject
	// KindVersion: "version" is missing, not a number, or not 5, 6 or 7.
	KindVersion
	// KindRoot: "root" is missing, not a string, or names no node.
	KindRoot
	// KindType: a value has the wrong JSON type ("nodes" not an object,
	// "inputs" not an object, an edge neither a string nor an array of
	// strings, "flake" not a boolean, ...).
	KindType
	// KindDuplicate: a node key or an input name appears twice.
	KindDuplicate
	// KindMissingNode: an input names a node key that does not exist.
	KindMissingNode
	// KindFollowsNowhere: a follows path runs into an input that does not
	// exist.
	KindFollowsNowhere
	// KindFollowsCycle: resolving a follows path needs that same path.
	KindFollowsCycle
	// KindDirectCycle: direct (string) edges form a cycle, which Nix never
	// writes.
	KindDirectCycle
	// KindInternal: a bug in this package (a recovered panic).
	KindInternal
)

var kindNames = map[ErrorKind]string{
	KindSyntax:         "syntax",
	KindNotObject:      "not-object",
	KindVersion:        "version",
	KindRoot:           "root",
	KindType:           "type",
	KindDuplicate:      "duplicate",
	KindMissingNode:    "missing-node",
	KindFollowsNowhere: "follows-nowhere",
	KindFollowsCycle:   "follows-cycle",
	KindDirectCycle:    "direct-cycle",
	KindInternal:       "internal",
}

// String returns a short name for the kind, such as "follows-cycle".
func (k ErrorKind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return "ErrorKind(" + strconv.Itoa(int(k)) + ")"
}

// LoadError is the error Load returns. Its message is one line and names
// the node and input where one is at fault; callers prefix the file name.
// Use errors.As to read the Kind.
type LoadError struct {
	// Kind is the class of the error.
	Kind ErrorKind
	// Node is the key of the node at fault, "" when none is.
	Node string
	// Input is the input name at fault, "" when none is.
	Input string
	// Offset is the 0-based byte offset of a KindSyntax error.
	Offset int
	// Line and Column (1-based, column in bytes) locate a KindSyntax error.
	Line, Column int

	msg string
}

// Error returns the one-line message.
func (e *LoadError) Error() string { return e.msg }

// nodeError builds an error about node (and input, when not "").
func nodeError(kind ErrorKind, node, input, format string, args ...any) *LoadError {
	prefix := fmt.Sprintf("node %q: ", node)
	if input != "" {
		prefix = fmt.Sprintf("node %q input %q: ", node, input)
	}
	return &LoadError{Kind: kind, Node: node, Input: input, msg: prefix + fmt.Sprintf(format, args...)}
}

// docError builds an error about the document as a whole.
func docError(kind ErrorKind, format string, args ...any) *LoadError {
	return &LoadError{Kind: kind, msg: fmt.Sprintf(format, args...)}
}

// Load reads a flake.lock (versions 5, 6 and 7) and resolves every input
// edge of every node, reachable or not:
//   - a string edge is a node key and becomes a direct edge;
//   - an array edge is a follows path, resolved from the root segment by
//     segment, where a segment that is itself a follows is resolved again;
//     [] denotes the root itself;
//   - in versions 5 and 6, which have no follows arrays, the first path
//     reaching a node (breadth first from the root, inputs in sorted byte
//     order) is its own, and every other string edge to it is reported as a
//     follows of that path.
//
// For version 5 the fields of a node's "info" go into Locked (a field
// already in "locked" wins). Fields Load does not know are kept in Extra.
// When the document or a node has the same field twice, the last one counts
// (as in encoding/json); a node key or input name given twice is an error.
// Values in Locked, Original and Extra are compact raw JSON. The graph
// shares no memory with data, which the caller may reuse.
//
// Every error is a *LoadError; checks run in a fixed order (syntax, top
// level, nodes in document order, then edges in key and input-name order),
// so the same input always gives the same error.
func Load(data []byte) (g *Graph, err error) {
	defer func() {
		if r := recover(); r != nil {
			g, err = nil, docError(KindInternal, "internal error: %v", r)
		}
	}()
	if err := checkSyntax(data); err != nil {
		return nil, err
	}
	lr := newLockReader(data)
	doc := gjson.Parse(lr.text)
	if !doc.IsObject() {
		return nil, docError(KindNotObject, "not a JSON object: the document is %s", typeName(doc))
	}
	// One pass over the top level: gjson's Get would scan past the whole
	// of "nodes" again for each of "root" and "version".
	var version, root, nodes gjson.Result
	doc.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "version":
			version = v
		case "root":
			root = v
		case "nodes":
			nodes = v
		}
		return true
	})
	g = &Graph{}
	if g.Version, err = readVersion(version); err != nil {
		return nil, err
	}
	if g.Root, err = readRoot(root); err != nil {
		return nil, err
	}
	g.Root = lr.str(g.Root)
	if g.Nodes, err = lr.readNodes(nodes, g.Version); err != nil {
		return nil, err
	}
	if _, ok := g.Nodes[g.Root]; !ok {
		return nil, docError(KindRoot, "root node %q is not in \"nodes\"", g.Root)
	}
	ix := newNodeIndex(g)
	if err := checkDirectEdges(g, ix); err != nil {
		return nil, err
	}
	if err := resolveAllFollows(g, ix); err != nil {
		return nil, err
	}
	if g.Version < 7 {
		markSharedEdges(g, ix)
	}
	return g, nil
}

// checkSyntax returns a KindSyntax error locating the first byte where
// data stops being JSON, or nil when it is JSON.
func checkSyntax(data []byte) error {
	if gjson.ValidBytes(data) {
		return nil
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return docError(KindSyntax, "empty input: want a JSON object")
	}
	// gjson says where nothing; encoding/json does, and is only run on
	// input already known to be broken.
	var syn *json.SyntaxError
	if err := json.Unmarshal(data, new(json.RawMessage)); !errors.As(err, &syn) {
		return docError(KindSyntax, "malformed JSON")
	}
	what, detail, off := "malformed", syn.Error(), int(syn.Offset)-1
	if int(syn.Offset) >= len(data) && strings.HasPrefix(detail, "unexpected end") {
		what, detail, off = "truncated", "unexpected end of input", len(data)
	}
	off = max(off, 0)
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	col := off - bytes.LastIndexByte(data[:off], '\n')
	return &LoadError{
		Kind: KindSyntax, Offset: off, Line: line, Column: col,
		msg: fmt.Sprintf("%s JSON at line %d, column %d (byte %d): %s", what, line, col, off, detail),
	}
}

// typeName names the JSON type of r for messages: "an object", "a string".
func typeName(r gjson.Result) string {
	switch {
	case !r.Exists():
		return "missing"
	case r.IsObject():
		return "an object"
	case r.IsArray():
		return "an array"
	}
	switch r.Type {
	case gjson.String:
		return "a string"
	case gjson.Number:
		return "a number"
	case gjson.True, gjson.False:
		return "a boolean"
	}
	return "null"
}

// readVersion checks the "version" field.
func readVersion(v gjson.Result) (int, error) {
	if !v.Exists() {
		return 0, docError(KindVersion, "missing \"version\"")
	}
	if v.Type != gjson.Number {
		return 0, docError(KindVersion, "\"version\" is %s, want a number", typeName(v))
	}
	n, err := strconv.Atoi(v.Raw)
	if err != nil || n < 5 || n > 7 {
		return 0, docError(KindVersion, "unsupported version %s: flakedup reads versions 5, 6 and 7", v.Raw)
	}
	return n, nil
}

// readRoot checks the "root" field and returns the root key.
func readRoot(v gjson.Result) (string, error) {
	if !v.Exists() {
		return "", docError(KindRoot, "missing \"root\"")
	}
	if v.Type != gjson.String {
		return "", docError(KindRoot, "\"root\" is %s, want a node key (a string)", typeName(v))
	}
	return v.Str, nil
}

// lockReader reads the input in place, through a string view of the
// caller's bytes that lives only while Load runs. Everything the graph keeps
// is copied out into two arenas: one for strings (node keys, input names,
// follows segments), one for raw JSON values. A few large blocks instead of
// hundreds of thousands of small allocations is what makes a 100,000-node
// lock quick to load.
type lockReader struct {
	text   string
	strs   arena // read only through strings made by str
	values arena // handed out as json.RawMessage
}

func newLockReader(data []byte) *lockReader {
	if len(data) == 0 {
		return &lockReader{}
	}
	// The view is safe: data is not modified during Load (the caller's
	// contract) and nothing derived from it outlives Load uncopied.
	return &lockReader{text: unsafe.String(&data[0], len(data))}
}

// str copies s into the string arena.
func (lr *lockReader) str(s string) string {
	if s == "" {
		return ""
	}
	b := lr.strs.copy(s)
	// Nothing writes to the string arena after copy, so the bytes are as
	// immutable as a string's must be.
	return unsafe.String(&b[0], len(b))
}

// arena hands out copies of strings carved from large blocks.
type arena struct{ block []byte }

const arenaBlock = 64 << 10

// copy returns a copy of s whose capacity ends with it, so that appending
// to it reallocates instead of overwriting the next value.
func (a *arena) copy(s string) []byte {
	if len(s) > cap(a.block)-len(a.block) {
		a.block = make([]byte, 0, max(arenaBlock, len(s)))
	}
	start := len(a.block)
	a.block = append(a.block, s...)
	return a.block[start:len(a.block):len(a.block)]
}

// readNodes reads the "nodes" object, in document order.
func (lr *lockReader) readNodes(v gjson.Result, version int) (map[string]*Node, error) {
	if !v.Exists() {
		return nil, docError(KindType, "missing \"nodes\"")
	}
	if !v.IsObject() {
		return nil, docError(KindType, "\"nodes\" is %s, want an object", typeName(v))
	}
	nodes := make(map[string]*Node)
	var err error
	v.ForEach(func(k, val gjson.Result) bool {
		key := lr.str(k.Str)
		if _, dup := nodes[key]; dup {
			err = docError(KindDuplicate, "node %q appears twice in \"nodes\"", key)
			return false
		}
		var n *Node
		if n, err = lr.readNode(key, val, version); err != nil {
			return false
		}
		nodes[key] = n
		return true
	})
	return nodes, err
}

// readNode reads one node; inputs are left unresolved.
func (lr *lockReader) readNode(key string, v gjson.Result, version int) (*Node, error) {
	if !v.IsObject() {
		return nil, nodeError(KindType, key, "", "node is %s, want an object", typeName(v))
	}
	n := &Node{Key: key, IsFlake: true}
	var info Attrs
	var err error
	v.ForEach(func(k, val gjson.Result) bool {
		field := k.Str
		switch {
		case field == "inputs":
			n.Inputs, err = lr.readInputs(key, val)
		case field == "locked" || field == "original" || (field == "info" && version == 5):
			if !val.IsObject() {
				err = nodeError(KindType, key, "", "%q is %s, want an object", field, typeName(val))
				break
			}
			switch field {
			case "locked":
				n.Locked = lr.readAttrs(val)
			case "original":
				n.Original = lr.readAttrs(val)
			default:
				info = lr.readAttrs(val)
			}
		case field == "flake":
			if val.Type != gjson.True && val.Type != gjson.False {
				err = nodeError(KindType, key, "", "\"flake\" is %s, want true or false", typeName(val))
				break
			}
			n.IsFlake = val.Type == gjson.True
		default:
			if n.Extra == nil {
				n.Extra = Attrs{}
			}
			n.Extra[lr.str(field)] = lr.rawValue(val)
		}
		return err == nil
	})
	if err != nil {
		return nil, err
	}
	for k, raw := range info {
		if n.Locked == nil {
			n.Locked = Attrs{}
		}
		if _, ok := n.Locked[k]; !ok {
			n.Locked[k] = raw
		}
	}
	return n, nil
}

// readInputs reads an "inputs" object. Direct edges get their Target, follows
// edges their Follows (always non-nil); follows targets are resolved later.
func (lr *lockReader) readInputs(key string, v gjson.Result) (map[string]Input, error) {
	if !v.IsObject() {
		return nil, nodeError(KindType, key, "", "\"inputs\" is %s, want an object", typeName(v))
	}
	inputs := make(map[string]Input)
	var err error
	v.ForEach(func(k, val gjson.Result) bool {
		name := lr.str(k.Str)
		if _, dup := inputs[name]; dup {
			err = nodeError(KindDuplicate, key, name, "input appears twice")
			return false
		}
		switch {
		case val.Type == gjson.String:
			inputs[name] = Input{Target: lr.str(val.Str)}
		case val.IsArray():
			path := []string{}
			val.ForEach(func(_, seg gjson.Result) bool {
				if seg.Type != gjson.String {
					err = nodeError(KindType, key, name, "follows path element %d is %s, want a string",
						len(path), typeName(seg))
					return false
				}
				path = append(path, lr.str(seg.Str))
				return true
			})
			inputs[name] = Input{Follows: path}
		default:
			err = nodeError(KindType, key, name,
				"edge is %s, want a node key (a string) or a follows path (an array of strings)", typeName(val))
		}
		return err == nil
	})
	return inputs, err
}

// readAttrs keeps every field of an object as compact raw JSON.
func (lr *lockReader) readAttrs(v gjson.Result) Attrs {
	a := make(Attrs)
	v.ForEach(func(k, val gjson.Result) bool {
		a[lr.str(k.Str)] = lr.rawValue(val)
		return true
	})
	return a
}

// rawValue returns a copy of a value's JSON text, compacted when it is an
// object or array.
func (lr *lockReader) rawValue(v gjson.Result) json.RawMessage {
	if v.Type != gjson.JSON {
		return lr.values.copy(v.Raw)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, []byte(v.Raw)); err != nil {
		// Unreachable: the whole document was validated.
		return json.RawMessage(v.Raw)
	}
	return buf.Bytes()
}

// nodeIndex numbers the nodes in key byte order and lists each node's
// input names in byte order, so that every check and walk below is
// deterministic and works on slices instead of maps.
type nodeIndex struct {
	keys  []string       // node keys, sorted
	pos   map[string]int // key → its position in keys
	names [][]string     // per position, the input names, sorted
}

func newNodeIndex(g *Graph) *nodeIndex {
	ix := &nodeIndex{keys: make([]string, 0, len(g.Nodes)), pos: make(map[string]int, len(g.Nodes))}
	for key := range g.Nodes {
		ix.keys = append(ix.keys, key)
	}
	sort.Strings(ix.keys)
	ix.names = make([][]string, len(ix.keys))
	var buf []string // all names, one node after another
	for i, key := range ix.keys {
		ix.pos[key] = i
		start := len(buf)
		for name := range g.Nodes[key].Inputs {
			buf = append(buf, name)
		}
		names := buf[start:len(buf):len(buf)]
		sort.Strings(names)
		ix.names[i] = names
	}
	return ix
}

// checkDirectEdges walks the direct edges depth first from every node in
// key order, inputs in name order, and reports the first edge naming a node
// that does not exist or closing a cycle.
func checkDirectEdges(g *Graph, ix *nodeIndex) error {
	const (
		unseen = iota
		onStack
		done
	)
	type frame struct {
		node int
		next int // index into ix.names[node] of the next input to look at
	}
	// edgeName names the input a frame last followed.
	edgeName := func(f frame) string { return ix.names[f.node][f.next-1] }
	state := make([]uint8, len(ix.keys))
	var stack []frame
	for start := range ix.keys {
		if state[start] != unseen {
			continue
		}
		stack = append(stack[:0], frame{node: start})
		state[start] = onStack
		for len(stack) > 0 {
			top := &stack[len(stack)-1]
			key, names := ix.keys[top.node], ix.names[top.node]
			if top.next == len(names) {
				state[top.node] = done
				stack = stack[:len(stack)-1]
				continue
			}
			name := names[top.next]
			top.next++
			in := g.Nodes[key].Inputs[name]
			if in.IsFollows() {
				continue
			}
			target, ok := ix.pos[in.Target]
			if !ok {
				return nodeError(KindMissingNode, key, name, "node %q does not exist", in.Target)
			}
			switch state[target] {
			case unseen:
				state[target] = onStack
				stack = append(stack, frame{node: target})
			case onStack:
				i := len(stack) - 1
				for stack[i].node != target {
					i--
				}
				var b strings.Builder
				for _, f := range stack[i:] {
					fmt.Fprintf(&b, "node %q input %q -> ", ix.keys[f.node], edgeName(f))
				}
				fmt.Fprintf(&b, "node %q", in.Target)
				first := stack[i]
				return nodeError(KindDirectCycle, ix.keys[first.node], edgeName(first),
					"cycle of direct edges: %s", b.String())
			}
		}
	}
	return nil
}

// resolver resolves follows paths from the root, remembering every path it
// has resolved and the chain of paths it is resolving now (to catch cycles).
type resolver struct {
	g      *Graph
	memo   map[string]string // pathKey → node key
	active map[string]int    // pathKey → its index in chain, while being resolved
	chain  []string          // JoinPath of the paths being resolved, outermost first
}

// pathKey encodes a path without ambiguity, whatever bytes its segments hold.
func pathKey(path []string) string {
	var b strings.Builder
	for _, seg := range path {
		b.WriteString(strconv.Itoa(len(seg)))
		b.WriteByte(':')
		b.WriteString(seg)
	}
	return b.String()
}

// resolve returns the key of the node path denotes. node and input name the
// edge whose follows path it is, and at is that edge's input path when it
// was met while resolving another path (for the cycle message).
func (r *resolver) resolve(path []string, node, input, at string) (string, error) {
	pk := pathKey(path)
	if key, ok := r.memo[pk]; ok {
		return key, nil
	}
	if i, ok := r.active[pk]; ok {
		cycle := append(append([]string{at}, r.chain[i:]...), at)
		if r.chain[len(r.chain)-1] == at {
			cycle = cycle[:len(cycle)-1]
		}
		return "", nodeError(KindFollowsCycle, node, input, "follows cycle: %s", strings.Join(cycle, " -> "))
	}
	r.active[pk] = len(r.chain)
	r.chain = append(r.chain, JoinPath(path))
	cur := r.g.Root
	for i, seg := range path {
		in, ok := r.g.Nodes[cur].Inputs[seg]
		if !ok {
			return "", nodeError(KindFollowsNowhere, node, input,
				"follows path %q leads nowhere: node %q has no input %q", JoinPath(path), cur, seg)
		}
		if !in.IsFollows() {
			cur = in.Target
			continue
		}
		next, err := r.resolve(in.Follows, cur, seg, JoinPath(path[:i+1]))
		if err != nil {
			return "", err
		}
		cur = next
	}
	r.chain = r.chain[:len(r.chain)-1]
	delete(r.active, pk)
	r.memo[pk] = cur
	return cur, nil
}

// resolveAllFollows sets the Target of every follows edge.
func resolveAllFollows(g *Graph, ix *nodeIndex) error {
	r := &resolver{g: g, memo: map[string]string{}, active: map[string]int{}}
	for i, key := range ix.keys {
		n := g.Nodes[key]
		for _, name := range ix.names[i] {
			in := n.Inputs[name]
			if !in.IsFollows() {
				continue
			}
			target, err := r.resolve(in.Follows, key, name, "")
			if err != nil {
				return err
			}
			in.Target = target
			n.Inputs[name] = in
		}
	}
	return nil
}

// markSharedEdges turns the extra string edges of a version 5 or 6 lock
// into follows: the first path reaching a node, breadth first from the root
// with inputs in sorted order, is its own; every other string edge to it
// becomes a follows of that path.
func markSharedEdges(g *Graph, ix *nodeIndex) {
	type edge struct {
		from int
		name string
	}
	root := ix.pos[g.Root]
	first := make([][]string, len(ix.keys)) // nil: not reached
	treeEdge := make([]edge, len(ix.keys))
	first[root] = []string{}
	treeEdge[root] = edge{from: -1}
	queue := []int{root}
	for i := 0; i < len(queue); i++ {
		from := queue[i]
		for _, name := range ix.names[from] {
			in := g.Nodes[ix.keys[from]].Inputs[name]
			to := ix.pos[in.Target]
			if in.IsFollows() || first[to] != nil {
				continue
			}
			first[to] = append(append(make([]string, 0, len(first[from])+1), first[from]...), name)
			treeEdge[to] = edge{from, name}
			queue = append(queue, to)
		}
	}
	for from, key := range ix.keys {
		n := g.Nodes[key]
		for _, name := range ix.names[from] {
			in := n.Inputs[name]
			to := ix.pos[in.Target]
			if in.IsFollows() || first[to] == nil || treeEdge[to] == (edge{from, name}) {
				continue
			}
			in.Follows = append([]string{}, first[to]...)
			n.Inputs[name] = in
		}
	}
}
