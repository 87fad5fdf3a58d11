package lockgraph

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"

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
// shares no memory with data, which the caller may reuse; LoadString avoids
// that copy.
//
// Every error is a *LoadError; checks run in a fixed order (syntax, top
// level, nodes in document order, then edges in key and input-name order),
// so the same input always gives the same error.
func Load(data []byte) (*Graph, error) {
	return LoadString(string(data))
}

// LoadString is Load over a string: the graph's strings are views of text
// rather than copies, which saves copying a large lock once more.
//
// text may be a file mapped into memory. If reading it faults (another
// process truncated the file), LoadString, Analyze and the rest of the
// package do not turn the fault into an error: it panics in the caller's
// goroutine, whichever goroutine met it, so that a caller that has called
// debug.SetPanicOnFault can recover it there.
func LoadString(text string) (*Graph, error) {
	return loadString(text, splitMin)
}

// loadString is LoadString, reading "nodes" in two halves from minSplit
// bytes on (tests make it small).
func loadString(text string, minSplit int) (*Graph, error) {
	// gjson checks the syntax while the scanner reads: on a big lock that
	// is a tenth of the time, done on another core. The scanner is written
	// to end (or panic, recovered in load) on any input, and a syntax error
	// wins over whatever it made of broken input.
	type checked struct {
		err   error
		fault any
	}
	syntax := make(chan checked, 1)
	go func() {
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
		defer func() {
			if r := recover(); r != nil {
				if isFault(r) {
					syntax <- checked{fault: r}
					return
				}
				syntax <- checked{err: docError(KindInternal, "internal error: %v", r)}
			}
		}()
		syntax <- checked{err: checkSyntax(text)}
	}()
	g, fault, err := loadOrFault(text, minSplit)
	c := <-syntax
	if fault == nil {
		fault = c.fault
	}
	if fault != nil {
		panic(fault)
	}
	if c.err != nil {
		return nil, c.err
	}
	return g, err
}

// isFault reports whether a recovered panic is a memory fault (turned into
// a panic by debug.SetPanicOnFault) rather than a bug.
func isFault(r any) bool {
	_, ok := r.(interface{ Addr() uintptr })
	return ok
}

// loadOrFault is load, with a memory fault returned for LoadString to
// raise again once the syntax check is done too.
func loadOrFault(text string, minSplit int) (g *Graph, fault any, err error) {
	defer func() {
		if r := recover(); r != nil {
			g, fault = nil, r // load lets only faults through
		}
	}()
	g, err = load(text, minSplit)
	return g, nil, err
}

// load is LoadString once the syntax is known to be right (or while it is
// being checked).
func load(text string, minSplit int) (g *Graph, err error) {
	defer func() {
		if r := recover(); r != nil {
			if isFault(r) {
				panic(r) // for the caller: see LoadString
			}
			g, err = nil, docError(KindInternal, "internal error: %v", r)
		}
	}()
	sc := &scanner{s: text}
	if sc.peek() != '{' {
		return nil, docError(KindNotObject, "not a JSON object: the document is %s", sc.kind())
	}
	// One pass over the document. Nix writes "nodes" before "version", so
	// the nodes are read before the version is known, as if it were 6 or
	// 7, and read again in the rare case that it turns out to be 5 and the
	// reading depended on it.
	var (
		version, root   string // raw JSON, "" when absent
		versionK, rootK string // their JSON types, for messages
		nodesAt         = -1   // offset of the last "nodes" value
		nodes           map[string]*Node
		nodesErr        error
		nodesSawInfo    bool
	)
	lr := &lockReader{sc: sc, minSplit: minSplit}
	_ = sc.fields(func(key string) error {
		switch key {
		case "version":
			versionK, version = sc.kind(), sc.skip()
		case "root":
			rootK = sc.kind()
			if rootK == "a string" {
				root = sc.str()
			} else {
				root = sc.skip()
			}
		case "nodes":
			sc.ws()
			nodesAt = sc.i
			nodes, nodesErr = lr.readNodes(7)
			nodesSawInfo = lr.sawInfo
			if nodesErr != nil { // go on after the value
				sc.i = nodesAt
				sc.skip()
			}
		default:
			sc.skip()
		}
		return nil
	})
	g = &Graph{}
	if g.Version, err = readVersion(version, versionK); err != nil {
		return nil, err
	}
	if g.Root, err = readRoot(root, rootK); err != nil {
		return nil, err
	}
	if nodesAt < 0 {
		return nil, docError(KindType, "missing \"nodes\"")
	}
	if g.Version == 5 && nodesSawInfo {
		sc.i = nodesAt
		nodes, nodesErr = lr.readNodes(5)
	}
	if nodesErr != nil {
		return nil, nodesErr
	}
	g.Nodes = nodes
	if _, ok := g.Nodes[g.Root]; !ok {
		return nil, docError(KindRoot, "root node %q is not in \"nodes\"", g.Root)
	}
	ix := newNodeIndex(g, lr.read)
	if err := checkDirectEdges(ix); err != nil {
		return nil, err
	}
	rootPos, _ := ix.lookup(g, g.Root)
	if err := resolveAllFollows(ix, rootPos); err != nil {
		return nil, err
	}
	if g.Version < 7 {
		markSharedEdges(ix, rootPos)
	}
	g.index = ix
	return g, nil
}

// checkSyntax returns a KindSyntax error locating the first byte where
// text stops being JSON, or nil when it is JSON.
func checkSyntax(text string) error {
	if gjson.Valid(text) {
		return nil
	}
	if len(strings.TrimSpace(text)) == 0 {
		return docError(KindSyntax, "empty input: want a JSON object")
	}
	// gjson says where nothing; encoding/json does, and is only run on
	// input already known to be broken.
	data := []byte(text)
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

// readVersion checks the "version" field, given as raw JSON ("" when
// absent) and its JSON type.
func readVersion(raw, kind string) (int, error) {
	if raw == "" {
		return 0, docError(KindVersion, "missing \"version\"")
	}
	if kind != "a number" {
		return 0, docError(KindVersion, "\"version\" is %s, want a number", kind)
	}
	n, err := strconv.Atoi(raw)
	switch {
	case err == nil && n > 7:
		// A format Nix introduced after flakedup was written: the file is
		// most likely fine, flakedup is what is out of date.
		return 0, docError(KindVersion, "lock version %d was written by a newer Nix than flakedup knows: upgrade flakedup (it reads versions 5, 6 and 7)", n)
	case err != nil || n < 5:
		return 0, docError(KindVersion, "unsupported version %s: flakedup reads versions 5, 6 and 7", raw)
	}
	return n, nil
}

// readRoot checks the "root" field, given as its string value (raw JSON
// when it is not a string, "" when absent) and its JSON type.
func readRoot(root, kind string) (string, error) {
	if kind == "" {
		return "", docError(KindRoot, "missing \"root\"")
	}
	if kind != "a string" {
		return "", docError(KindRoot, "\"root\" is %s, want a node key (a string)", kind)
	}
	return root, nil
}

// lockReader reads the nodes of a lock with a scanner, carving the graph's
// nodes, attribute sets and follows paths from a few large slabs.
type lockReader struct {
	sc      *scanner
	sawInfo bool // a node has an "info" field

	minSplit int     // the size of "nodes" from which it is read in two halves
	read     []*Node // the nodes read, in document order
	failed   *string // the key of the node that failed to read
	nodes    slab[Node]
	attrs    slab[Attr]
	edges    slab[Input]
	strs     slab[string]
	inputs   []Input  // the inputs of the node being read
	path     []string // the follows path being read
}

// readNodes reads the "nodes" value, in document order. With version 5,
// "info" is folded into "locked"; otherwise it is kept in Extra. After an
// error the scanner is left inside the value.
//
// A big lock is read in two halves at once (see readHalf); the result is
// the same as reading it in one go.
func (lr *lockReader) readNodes(version int) (map[string]*Node, error) {
	sc := lr.sc
	lr.sawInfo = false
	if sc.peek() != '{' {
		return nil, docError(KindType, "\"nodes\" is %s, want an object", sc.kind())
	}
	sc.i++
	// Read every node first and build the map at its final size after:
	// growing a map of 100,000 nodes rehashes it a dozen times. A key given
	// twice is found then, and reported if it comes before the node that
	// failed to read, as if it had been checked on the way.
	//
	// A node takes 300 to 600 bytes of a lock: the list has room for them
	// all from the start (memory not written to costs nothing).
	lr.read, lr.failed = make([]*Node, 0, (len(sc.s)-sc.i)/256+8), nil
	var second *half
	if len(sc.s)-sc.i >= lr.minSplit && runtime.GOMAXPROCS(0) > 1 {
		if at := splitPoint(sc.s, sc.i); at > 0 {
			second = readHalf(sc.s, at, version)
		}
	}
	stop := -1
	if second != nil {
		stop = second.start
	}
	var (
		stopped  bool
		err      error
		panicked any // raised again once the second half is done
	)
	func() {
		defer func() { panicked = recover() }()
		stopped, err = lr.readEntries(version, stop)
	}()
	if second != nil {
		<-second.done
		if panicked == nil && second.fault != nil {
			panicked = second.fault // for the caller: see LoadString
		}
	}
	if panicked != nil {
		panic(panicked)
	}
	if second != nil && stopped { // the guess was right: the second half is ours
		err = second.err
		sc.i = second.end
		lr.read = append(lr.read, second.lr.read...)
		lr.failed = second.lr.failed
		lr.sawInfo = lr.sawInfo || second.lr.sawInfo
	}
	nodes := make(map[string]*Node, len(lr.read))
	for _, n := range lr.read {
		if _, dup := nodes[n.Key]; dup {
			return nil, docError(KindDuplicate, "node %q appears twice in \"nodes\"", n.Key)
		}
		nodes[n.Key] = n
	}
	if lr.failed != nil {
		if _, dup := nodes[*lr.failed]; dup {
			return nil, docError(KindDuplicate, "node %q appears twice in \"nodes\"", *lr.failed)
		}
	}
	if err != nil {
		return nil, err
	}
	return nodes, nil
}

// readEntries reads the fields of the "nodes" object, the opening brace
// read, up to its closing brace or, when it gets there, up to the key that
// starts at offset stop; stopped reports the latter.
func (lr *lockReader) readEntries(version, stop int) (stopped bool, err error) {
	sc := lr.sc
	for {
		switch sc.peek() {
		case '}':
			sc.i++
			return false, nil
		case ',':
			sc.i++
			continue
		}
		if sc.i == stop {
			return true, nil
		}
		key := sc.str()
		sc.ws()
		sc.i++ // ':'
		n, err := lr.readNode(key, version)
		if err != nil {
			lr.failed = &key
			return false, err
		}
		lr.read = append(lr.read, n)
	}
}

// splitMin is the size of "nodes" from which readNodes reads it in two
// halves.
const splitMin = 1 << 20

// splitPoint guesses where a node key starts near the middle of the nodes
// that start at from: Nix writes each node key on a line of its own,
// indented by exactly four spaces, and a JSON string never holds a raw
// newline. It returns -1 when there is no such line. The guess is checked
// (readNodes reads the first half up to it), so a lock written otherwise is
// read correctly, in one go.
func splitPoint(text string, from int) int {
	mid := from + (len(text)-from)/2
	i := strings.Index(text[mid:], "\n    \"")
	if i < 0 {
		return -1
	}
	return mid + i + len("\n    ")
}

// half is the second half of the nodes, read by another goroutine from a
// guessed node key on (splitPoint) to the end of "nodes".
type half struct {
	start int         // where the guessed key starts
	lr    *lockReader // what it read
	end   int         // where it stopped: after the closing brace of "nodes"
	err   error       // the first error, or an internal one on a bad guess
	fault any         // a memory fault met while reading
	done  chan struct{}
}

// readHalf starts reading the nodes from the key at start.
func readHalf(text string, start, version int) *half {
	h := &half{start: start, lr: &lockReader{sc: &scanner{s: text, i: start}}, done: make(chan struct{})}
	go func() {
		defer close(h.done)
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
		defer func() {
			// A wrong guess reads from the middle of something else and may
			// run into anything; the result is then thrown away. A fault is
			// raised again by readNodes.
			if r := recover(); r != nil {
				h.err = docError(KindInternal, "internal error: %v", r)
				if isFault(r) {
					h.fault = r
				}
			}
		}()
		_, h.err = h.lr.readEntries(version, -1)
		h.end = h.lr.sc.i
	}()
	return h
}

// readNode reads one node; inputs are left unresolved.
func (lr *lockReader) readNode(key string, version int) (*Node, error) {
	sc := lr.sc
	if sc.peek() != '{' {
		return nil, nodeError(KindType, key, "", "node is %s, want an object", sc.kind())
	}
	n := &lr.nodes.alloc(1)[0]
	n.Key, n.IsFlake = key, true
	var info Attrs
	var extra []Attr
	err := sc.fields(func(field string) error {
		switch {
		case field == "inputs":
			inputs, err := lr.readInputs(key)
			if err != nil {
				return err
			}
			n.Inputs = inputs
		case field == "locked" || field == "original" || (field == "info" && version == 5):
			if sc.peek() != '{' {
				return nodeError(KindType, key, "", "%q is %s, want an object", field, sc.kind())
			}
			a := lr.readAttrs()
			switch field {
			case "locked":
				n.Locked = a
			case "original":
				n.Original = a
			default:
				info = a
			}
		case field == "flake":
			switch sc.peek() {
			case 't', 'f':
				n.IsFlake = sc.skip() == "true"
			default:
				return nodeError(KindType, key, "", "\"flake\" is %s, want true or false", sc.kind())
			}
		default:
			if field == "info" {
				lr.sawInfo = true
			}
			extra = append(extra, Attr{Key: field, Raw: sc.compact()})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if extra != nil {
		n.Extra = NewAttrs(extra...)
	}
	if len(info) > 0 {
		merged := append(slices.Clone(info), n.Locked...) // locked wins
		n.Locked = NewAttrs(merged...)
	}
	return n, nil
}

// readInputs reads an "inputs" object. Direct edges get their Target, follows
// edges their Follows (always non-nil); follows targets are resolved later.
func (lr *lockReader) readInputs(key string) (Inputs, error) {
	sc := lr.sc
	if sc.peek() != '{' {
		return nil, nodeError(KindType, key, "", "\"inputs\" is %s, want an object", sc.kind())
	}
	lr.inputs = lr.inputs[:0]
	var seen map[string]bool // for nodes with many inputs
	err := sc.fields(func(name string) error {
		if lr.isDuplicate(name, &seen) {
			return nodeError(KindDuplicate, key, name, "input appears twice")
		}
		switch sc.peek() {
		case '"':
			lr.inputs = append(lr.inputs, Input{Name: name, Target: sc.str()})
		case '[':
			lr.path = lr.path[:0]
			err := sc.elements(func(i int) error {
				if sc.peek() != '"' {
					return nodeError(KindType, key, name, "follows path element %d is %s, want a string",
						i, sc.kind())
				}
				lr.path = append(lr.path, sc.str())
				return nil
			})
			if err != nil {
				return err
			}
			lr.inputs = append(lr.inputs, Input{Name: name, Follows: lr.strs.take(lr.path)})
		default:
			return nodeError(KindType, key, name,
				"edge is %s, want a node key (a string) or a follows path (an array of strings)", sc.kind())
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	inputs := Inputs(lr.edges.take(lr.inputs))
	// Nix writes inputs sorted; sort the others (names are unique).
	if !slices.IsSortedFunc(inputs, func(x, y Input) int { return strings.Compare(x.Name, y.Name) }) {
		slices.SortFunc(inputs, func(x, y Input) int { return strings.Compare(x.Name, y.Name) })
	}
	return inputs, nil
}

// isDuplicate reports whether the node being read already has an input
// called name: by looking through the inputs so far, or, once there are
// many, through the set *seen it builds.
func (lr *lockReader) isDuplicate(name string, seen *map[string]bool) bool {
	const linear = 16
	if len(lr.inputs) < linear {
		for _, in := range lr.inputs {
			if in.Name == name {
				return true
			}
		}
		return false
	}
	if *seen == nil {
		*seen = make(map[string]bool, 2*linear)
		for _, in := range lr.inputs {
			(*seen)[in.Name] = true
		}
	}
	if (*seen)[name] {
		return true
	}
	(*seen)[name] = true
	return false
}

// readAttrs reads an object into an attribute set, every value as compact
// raw JSON.
func (lr *lockReader) readAttrs() Attrs {
	sc := lr.sc
	lr.attrs.begin()
	_ = sc.fields(func(key string) error {
		lr.attrs.push(Attr{Key: key, Raw: sc.compact()})
		return nil
	})
	return Attrs(lr.attrs.end()).normalize()
}

// nodeIndex numbers the nodes in key byte order and resolves every direct
// edge to the number of its target, so that every check and walk below is
// deterministic and works on slices instead of maps. Load keeps it in the
// graph, where the walk of paths.go starts from it.
type nodeIndex struct {
	keys  []string // node keys, sorted
	nodes []*Node  // per position, the node
	// pos maps a key to its position in an index built by hand
	// (indexByHand); an index Load built leaves it nil and numbers the
	// nodes themselves (Node.pos), which saves a second map of every key.
	pos map[string]int
	// targets holds, per position and per input (in Inputs order), the
	// position of the input's target; -1 for a follows not yet resolved and
	// for a direct edge to a node that does not exist.
	targets [][]int32
}

// lookup returns the position of the node of g with the given key.
func (ix *nodeIndex) lookup(g *Graph, key string) (int, bool) {
	if ix.pos != nil {
		p, ok := ix.pos[key]
		return p, ok
	}
	n := g.Nodes[key]
	if n == nil || int(n.pos) >= len(ix.nodes) || ix.nodes[n.pos] != n {
		return 0, false
	}
	return int(n.pos), true
}

// newNodeIndex indexes the nodes Load read, in document order (Nix writes
// them sorted by key, which saves sorting them here), and numbers them
// (Node.pos).
func newNodeIndex(g *Graph, nodes []*Node) *nodeIndex {
	ix := &nodeIndex{nodes: nodes}
	byKey := func(a, b *Node) int { return strings.Compare(a.Key, b.Key) }
	if !slices.IsSortedFunc(nodes, byKey) {
		ix.nodes = slices.Clone(nodes)
		slices.SortFunc(ix.nodes, byKey)
	}
	ix.keys = make([]string, len(ix.nodes))
	for i, n := range ix.nodes {
		ix.keys[i] = n.Key
	}
	edges := 0
	for i, n := range ix.nodes {
		n.pos = int32(i)
		edges += len(n.Inputs)
	}
	buf := make([]int32, edges)
	ix.targets = make([][]int32, len(ix.keys))
	for i, n := range ix.nodes {
		ix.targets[i] = buf[:len(n.Inputs):len(n.Inputs)]
		buf = buf[len(n.Inputs):]
	}
	// One map lookup per edge, on a map nobody writes to now: on every core.
	workers := 1
	if len(ix.nodes) >= parallelMin {
		workers = runtime.GOMAXPROCS(0)
	}
	inParallel(len(ix.nodes), 1024, workers, func() func(int) {
		return func(i int) {
			for k, in := range ix.nodes[i].Inputs {
				ix.targets[i][k] = -1
				if !in.IsFollows() {
					if p, ok := ix.lookup(g, in.Target); ok {
						ix.targets[i][k] = int32(p)
					}
				}
			}
		}
	})
	return ix
}

// checkDirectEdges walks the direct edges depth first from every node in
// key order, inputs in name order, and reports the first edge naming a node
// that does not exist or closing a cycle.
func checkDirectEdges(ix *nodeIndex) error {
	const (
		unseen = iota
		onStack
		done
	)
	type frame struct {
		node int
		next int // index into the node's inputs of the next one to look at
	}
	// edgeName names the input a frame last followed.
	edgeName := func(f frame) string { return ix.nodes[f.node].Inputs[f.next-1].Name }
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
			inputs := ix.nodes[top.node].Inputs
			if top.next == len(inputs) {
				state[top.node] = done
				stack = stack[:len(stack)-1]
				continue
			}
			k := top.next
			top.next++
			in := inputs[k]
			if in.IsFollows() {
				continue
			}
			target := int(ix.targets[top.node][k])
			if target < 0 {
				return nodeError(KindMissingNode, ix.keys[top.node], in.Name, "node %q does not exist", in.Target)
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
	ix     *nodeIndex
	root   int
	memo   map[string]int // pathKey → node position
	active map[string]int // pathKey → its index in chain, while being resolved
	chain  []string       // JoinPath of the paths being resolved, outermost first
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

// resolve returns the position of the node path denotes. node and input
// name the edge whose follows path it is, and at is that edge's input path
// when it was met while resolving another path (for the cycle message).
func (r *resolver) resolve(path []string, node, input, at string) (int, error) {
	if len(path) == 1 { // the usual case, ["nixpkgs"]: no need to remember it
		if k, ok := r.ix.nodes[r.root].Inputs.find(path[0]); ok && r.ix.targets[r.root][k] >= 0 {
			return int(r.ix.targets[r.root][k]), nil
		}
	}
	pk := pathKey(path)
	if p, ok := r.memo[pk]; ok {
		return p, nil
	}
	if i, ok := r.active[pk]; ok {
		cycle := append(append([]string{at}, r.chain[i:]...), at)
		if r.chain[len(r.chain)-1] == at {
			cycle = cycle[:len(cycle)-1]
		}
		return 0, nodeError(KindFollowsCycle, node, input, "follows cycle: %s", strings.Join(cycle, " -> "))
	}
	r.active[pk] = len(r.chain)
	r.chain = append(r.chain, JoinPath(path))
	cur := r.root
	for i, seg := range path {
		k, ok := r.ix.nodes[cur].Inputs.find(seg)
		if !ok {
			return 0, nodeError(KindFollowsNowhere, node, input,
				"follows path %q leads nowhere: node %q has no input %q", JoinPath(path), r.ix.keys[cur], seg)
		}
		if t := r.ix.targets[cur][k]; t >= 0 {
			cur = int(t)
			continue
		}
		in := r.ix.nodes[cur].Inputs[k]
		next, err := r.resolve(in.Follows, r.ix.keys[cur], seg, JoinPath(path[:i+1]))
		if err != nil {
			return 0, err
		}
		cur = next
	}
	r.chain = r.chain[:len(r.chain)-1]
	delete(r.active, pk)
	r.memo[pk] = cur
	return cur, nil
}

// resolveAllFollows sets the Target of every follows edge, in key and
// input-name order.
func resolveAllFollows(ix *nodeIndex, root int) error {
	r := &resolver{ix: ix, root: root, memo: map[string]int{}, active: map[string]int{}}
	for i, n := range ix.nodes {
		for k := range n.Inputs {
			in := &n.Inputs[k]
			if !in.IsFollows() {
				continue
			}
			target, err := r.resolve(in.Follows, ix.keys[i], in.Name, "")
			if err != nil {
				return err
			}
			in.Target = ix.keys[target]
			ix.targets[i][k] = int32(target)
		}
	}
	return nil
}

// markSharedEdges turns the extra string edges of a version 5 or 6 lock
// into follows: the first path reaching a node, breadth first from the root
// with inputs in sorted order, is its own; every other string edge to it
// becomes a follows of that path.
func markSharedEdges(ix *nodeIndex, root int) {
	type edge struct{ from, input int }
	first := make([][]string, len(ix.keys)) // nil: not reached
	treeEdge := make([]edge, len(ix.keys))
	first[root] = []string{}
	treeEdge[root] = edge{-1, -1}
	queue := []int{root}
	for i := 0; i < len(queue); i++ {
		from := queue[i]
		for k, in := range ix.nodes[from].Inputs {
			to := int(ix.targets[from][k])
			if in.IsFollows() || first[to] != nil {
				continue
			}
			first[to] = append(append(make([]string, 0, len(first[from])+1), first[from]...), in.Name)
			treeEdge[to] = edge{from, k}
			queue = append(queue, to)
		}
	}
	for from, n := range ix.nodes {
		for k := range n.Inputs {
			in := &n.Inputs[k]
			to := int(ix.targets[from][k])
			if in.IsFollows() || first[to] == nil || treeEdge[to] == (edge{from, k}) {
				continue
			}
			in.Follows = append([]string{}, first[to]...)
		}
	}
}
