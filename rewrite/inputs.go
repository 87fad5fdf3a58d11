package rewrite

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/flakedup/flakedup/internal/suggest"
)

// ErrComputed reports inputs that are built by an expression (a variable,
// a function call, `//`, an interpolated string, ...) rather than written
// as attribute sets and constants: flakedup cannot read or edit them
// without evaluating Nix.
var ErrComputed = errors.New("inputs computed by an expression")

// Input is one declared input of a flake, or an override of an input of a
// dependency (an entry of another Input's Inputs), in any of the spellings
// Nix accepts: `inputs = { x.url = …; }`, `inputs.x.url = …;`,
// `x = { url = …; inputs.y.follows = …; }`, `x.inputs = { … }`, mixes.
type Input struct {
	// Name is the input's name; Path is the input path from the root
	// flake, ending in Name (["home-manager", "nixpkgs"]).
	Name string
	Path []string
	// URL is the `url` attribute ("" when not given).
	URL string
	// Flake is the `flake` attribute (nil when not given).
	Flake *bool
	// Follows is the `follows` attribute (nil when not given; it may be
	// "" — `follows = ""` — meaning the root flake itself).
	Follows *string
	// FollowsPath is Follows read as Nix reads it (see SplitInputPath:
	// "/nixpkgs" is ["nixpkgs"], "" is []); nil when Follows is nil.
	FollowsPath []string
	// Attrs holds every other constant attribute (type, owner, repo,
	// ref, rev, dir, host, submodules, ...): a string, bool, int64,
	// float64 or nil.
	Attrs map[string]any
	// Inputs are the overrides declared for this input's own inputs,
	// by name.
	Inputs map[string]*Input
	// Line is the line of the first binding that mentions the input.
	Line int
	// Span runs from the first to the end of the last binding that
	// defines the input or something inside it.
	Span Span
	// Syntax lists those bindings in source order.
	Syntax []*AttrDef
}

// InputNames returns the names of in.Inputs, sorted.
func (in *Input) InputNames() []string { return sortedKeys(in.Inputs) }

// Inputs is the typed view of a flake.nix's `inputs` attribute.
type Inputs struct {
	// Inputs are the root inputs, by name.
	Inputs map[string]*Input

	file   *File
	root   *attrNode // the value of `inputs`
	top    *AttrSet  // the flake's top-level attribute set
	syntax *syntaxIndex

	declaredOnce sync.Once
	declared     []Follows // DeclaredFollows' list
}

// Names returns the names of the root inputs, sorted.
func (s *Inputs) Names() []string { return sortedKeys(s.Inputs) }

// Lookup returns the input at path (["home-manager", "nixpkgs"] is the
// override of home-manager's nixpkgs), or nil when none is declared.
func (s *Inputs) Lookup(path ...string) *Input {
	inputs := s.Inputs
	var in *Input
	for _, name := range path {
		in = inputs[name]
		if in == nil {
			return nil
		}
		inputs = in.Inputs
	}
	return in
}

// Follows is one declared follows: the input at Path follows Target.
type Follows struct {
	Path []string
	// Target is the follows string as written ("nixpkgs", "/nixpkgs",
	// "home-manager/nixpkgs"; "" is the root flake itself).
	Target string
	// TargetPath is Target read the way Nix's parseInputPath reads it: split
	// at every "/", empty elements dropped, so a leading "/" (the old
	// spelling of "from the root") changes nothing: "/nixpkgs" is
	// ["nixpkgs"], "" and "/" are [] (the root flake). Never nil. Elements
	// are not validated here: see CheckFollowsTargets.
	TargetPath []string
	// Line is the line of the follows attribute's value; Pos is its
	// position.
	Line int
	Pos  Position
}

// SplitInputPath splits a follows target the way Nix's parseInputPath
// does, without validating the elements: at every "/", dropping empty
// elements (Nix's tokenizeString). The result is never nil; [] is the
// root flake.
func SplitInputPath(s string) []string {
	out := []string{}
	for _, elem := range strings.Split(s, "/") {
		if elem != "" {
			out = append(out, elem)
		}
	}
	return out
}

// validInputName reports whether name matches Nix's flakeIdRegex,
// [a-zA-Z][a-zA-Z0-9_-]*, which every element of a follows path must.
func validInputName(name string) bool {
	for i := 0; i < len(name); i++ {
		c := name[i]
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if i == 0 && !letter || !letter && !isDigit(c) && c != '_' && c != '-' {
			return false
		}
	}
	return name != ""
}

// DeclaredFollows lists every follows declared in flake.nix, at any depth,
// sorted by path. The list is worked out once (a run asks for it three
// times); each call returns a copy of it the caller may change.
func (s *Inputs) DeclaredFollows() []Follows {
	s.declaredOnce.Do(func() { s.declared = s.declaredFollows() })
	return slices.Clone(s.declared)
}

// declaredFollows is DeclaredFollows, worked out.
func (s *Inputs) declaredFollows() []Follows {
	var out []Follows
	var walk func(inputs map[string]*Input)
	walk = func(inputs map[string]*Input) {
		for _, name := range sortedKeys(inputs) {
			in := inputs[name]
			if in.Follows != nil {
				n := s.root.lookup(inputPathToAttrPath(in.Path)...).attrs["follows"]
				pos := s.file.Position(n.expr.Span().Start)
				out = append(out, Follows{Path: in.Path, Target: *in.Follows, TargetPath: SplitInputPath(*in.Follows), Line: pos.Line, Pos: pos})
			}
			walk(in.Inputs)
		}
	}
	walk(s.Inputs)
	return out
}

// RootInputNames returns the names Nix gives the root flake's inputs, sorted:
// every input declared under `inputs`, and every formal of `outputs` but
// `self` (Nix adds an undeclared formal as an input from the registry:
// `outputs = { self, nixpkgs }: …` alone makes nixpkgs an input). known is
// false when outputs is not written as a function literal with formals
// (`outputs = inputs: …` has none, which is known; `outputs = import
// ./outputs.nix;` or a call is not), so the list may miss inputs.
func (s *Inputs) RootInputNames() (names []string, known bool) {
	seen := map[string]bool{}
	for name := range s.Inputs {
		seen[name] = true
	}
	known = true
	if e, ok := s.outputsExpr(); ok {
		for {
			p, isParen := e.(*Paren)
			if !isParen {
				break
			}
			e = p.Expr
		}
		switch l := e.(type) {
		case *Lambda:
			if l.Formals != nil {
				for _, f := range l.Formals.Formals {
					if f.Name.Name != "self" {
						seen[f.Name.Name] = true
					}
				}
			}
		default:
			known = false
		}
	}
	return sortedKeys(seen), known
}

// outputsExpr returns the value of the top-level `outputs = …;` binding.
func (s *Inputs) outputsExpr() (Node, bool) {
	for _, b := range s.top.Bindings {
		def, ok := b.(*AttrDef)
		if !ok || len(def.Path.Names) != 1 {
			continue
		}
		if name, ok := StaticName(def.Path.Names[0]); ok && name == "outputs" {
			return def.Value, true
		}
	}
	return nil, false
}

// CheckFollowsTargets checks every declared follows target the way Nix
// checks it when it locks the flake, as far as flake.nix alone can tell,
// and returns the first problem (in source order) as an *Error wrapping
// ErrFollowsTarget, or nil:
//
//	flake.nix:12:31: inputs.a.inputs.nixpkgs.follows: no input "nixpkgz" (did you mean "nixpkgs"?)
//	flake.nix:12:31: inputs.a.inputs.nixpkgs.follows: invalid flake input path element "a.b"
//
// The position is that of the follows value. Nix (parseInputPath) splits a
// target at "/" and drops empty elements, so "/nixpkgs" is "nixpkgs" and
// "" or "/" is the root flake itself (always fine); every element must
// match [a-zA-Z][a-zA-Z0-9_-]* ("invalid flake input path element" from
// every Nix command). Only the first element can be checked without the
// lock: it must name a root input (see RootInputNames); Nix 2.8 then fails
// with "input 'a/nixpkgs' follows a non-existent input 'nixpkgz'". When
// outputs is not a function literal, its formals cannot be known and the
// names are not checked (only the elements' syntax).
//
// Inputs does not call it: nix-instantiate evaluates such a file, and
// `flakedup inputs` shows what Nix evaluates. fix and check should call it
// and refuse (exit 2) on an error, before planning.
func (s *Inputs) CheckFollowsTargets() error {
	names, known := s.RootInputNames()
	root := map[string]bool{}
	for _, n := range names {
		root[n] = true
	}
	follows := s.DeclaredFollows()
	slices.SortStableFunc(follows, func(a, b Follows) int { return cmp.Compare(a.Pos.Offset, b.Pos.Offset) })
	what := func(f Follows) string { return "inputs." + dotted(inputPathToAttrPath(f.Path)) + ".follows" }
	for _, f := range follows {
		for _, elem := range f.TargetPath {
			if !validInputName(elem) {
				return &Error{Pos: f.Pos, Msg: fmt.Sprintf("%s: invalid flake input path element %q", what(f), elem), Err: ErrFollowsTarget}
			}
		}
		if len(f.TargetPath) == 0 || !known || root[f.TargetPath[0]] {
			continue
		}
		msg := fmt.Sprintf("%s: no input %q", what(f), f.TargetPath[0])
		if best := suggest.Best(f.TargetPath[0], names); best != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", best)
		}
		return &Error{Pos: f.Pos, Msg: msg, Err: ErrFollowsTarget}
	}
	return nil
}

// ErrFollowsTarget is a declared follows whose target Nix will refuse. It
// unwraps to ErrNixRefuses.
var ErrFollowsTarget = fmt.Errorf("follows target does not exist: %w", ErrNixRefuses)

// JSON returns the inputs attribute set as JSON, exactly as
// `nix-instantiate --eval --strict --json -E '(import ./flake.nix).inputs'`
// prints it: no spaces, attribute names in byte order, strings escaped as
// Nix escapes them. A flake without inputs gives "{}".
func (s *Inputs) JSON() []byte {
	var b strings.Builder
	s.root.writeJSON(&b)
	return []byte(b.String())
}

// Inputs reads the declared inputs of a parsed flake.nix. The top-level
// expression must be an attribute set literal (see topAttrSet: a
// `let … in { … }` wrapper is refused, as every `nix flake` command refuses
// it). Inputs that are computed rather than written (see ErrComputed) give
// an *Error naming the line.
//
// Inputs does not check the follows targets (nix-instantiate evaluates a
// flake whose follows name a missing input; only locking fails): see
// CheckFollowsTargets.
func (f *File) Inputs() (in *Inputs, err error) { return f.inputs(true) }

// inputs is Inputs; without typed, the Inputs field is left nil, which
// skips no check that a tree equal (sameJSON) to one whose typed inputs
// were read could fail: the typed view refuses only constants where sets
// are needed, and that is the shape of the tree.
func (f *File) inputs(typed bool) (in *Inputs, err error) {
	defer func() {
		if r := recover(); r != nil {
			in, err = nil, &Error{Pos: f.Position(0), Msg: fmt.Sprintf("internal error reading inputs: %v", r), Err: ErrInternal}
		}
	}()
	top, err := topAttrSet(f)
	if err != nil {
		return nil, err
	}
	idx := &syntaxIndex{quoted: map[string]bool{}}
	root := &attrNode{attrs: map[string]*attrNode{}}
	b := &inputsBuilder{file: f, index: idx}
	// The top-level set itself is the root of the tree; only what lies
	// under "inputs" is kept.
	if err := b.addBindings(root, top, nil); err != nil {
		return nil, err
	}
	inputsNode := root.attrs["inputs"]
	if inputsNode == nil {
		inputsNode = &attrNode{attrs: map[string]*attrNode{}}
	}
	if inputsNode.attrs == nil {
		return nil, f.computedError(inputsNode.pos, "inputs", "a constant where an attribute set is needed")
	}
	s := &Inputs{file: f, root: inputsNode, top: top, syntax: idx}
	if !typed {
		return s, nil
	}
	s.Inputs, err = s.typedInputs(inputsNode, nil)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// ErrNotAttrSet reports a flake.nix whose top-level expression is not an
// attribute set literal. Nix refuses such a file in every flake command.
var ErrNotAttrSet = errors.New("flake.nix is not an attribute set")

// topAttrSet returns the flake's top-level attribute set.
//
// What Nix does (checked with Nix 2.8, `nix flake metadata` on a local
// flake): it reads flake.nix with evalFile(..., mustBeTrivial = true),
// which refuses, before evaluating anything, every file whose parsed
// expression is not an ExprAttrs: "error: file '…/flake.nix' must be an
// attribute set". So `{ … }` and `rec { … }` are flakes, and so is
// `({ … })` (Nix's parser keeps no parentheses), but `let … in { … }`, the
// legacy `let { … }`, a `with`, a function call or an import are not, even
// though `nix-instantiate --eval -E '(import ./flake.nix).inputs'` evaluates
// them. The error is positioned at the start of the expression.
func topAttrSet(f *File) (*AttrSet, error) {
	e := f.Expr
	for {
		p, ok := e.(*Paren)
		if !ok {
			break
		}
		e = p.Expr
	}
	if set, ok := e.(*AttrSet); ok {
		return set, nil
	}
	if e == nil {
		return nil, &Error{Pos: f.Position(0), Msg: "empty file", Err: ErrNotAttrSet}
	}
	return nil, &Error{Pos: f.Position(e.Span().Start), Msg: "a flake must be an attribute set, not " + describeExpr(e) +
		" (Nix refuses it: \"file 'flake.nix' must be an attribute set\")", Err: ErrNotAttrSet}
}

// attrNode is one attribute of the evaluated inputs tree: an attribute
// set (attrs not nil) or a constant (value).
type attrNode struct {
	attrs map[string]*attrNode
	value any  // string, bool, int64, float64 or nil
	expr  Node // the constant's expression (a leaf only)
	pos   int  // offset of the first binding that mentions it
	// defs are the bindings that mention this node or anything under it.
	defs []*AttrDef
}

// lookup follows names down from n; nil when one is missing.
func (n *attrNode) lookup(names ...string) *attrNode {
	for _, name := range names {
		if n == nil || n.attrs == nil {
			return nil
		}
		n = n.attrs[name]
	}
	return n
}

// writeJSON writes n the way Nix 2.8's printValueAsJSON does.
func (n *attrNode) writeJSON(b *strings.Builder) {
	if n.attrs == nil {
		writeJSONValue(b, n.value)
		return
	}
	b.WriteByte('{')
	for i, k := range sortedKeys(n.attrs) {
		if i > 0 {
			b.WriteByte(',')
		}
		writeJSONString(b, k)
		b.WriteByte(':')
		n.attrs[k].writeJSON(b)
	}
	b.WriteByte('}')
}

// sameJSON reports whether a and b write the same JSON (see writeJSON),
// comparing the trees instead of writing them: the JSON texts are written
// only for two leaves of different values and for two sets whose names
// differ (which may still escape alike).
func sameJSON(a, b *attrNode) bool {
	if (a.attrs == nil) != (b.attrs == nil) {
		return false // a set's JSON starts with '{', a constant's never
	}
	if a.attrs == nil {
		if a.value == b.value {
			return true
		}
		return jsonText(a) == jsonText(b)
	}
	if len(a.attrs) != len(b.attrs) {
		return false
	}
	for k, v := range a.attrs {
		w, ok := b.attrs[k]
		if !ok {
			return jsonText(a) == jsonText(b)
		}
		if !sameJSON(v, w) {
			return false
		}
	}
	return true
}

// jsonText is n's JSON (see writeJSON).
func jsonText(n *attrNode) string {
	var b strings.Builder
	n.writeJSON(&b)
	return b.String()
}

// clone returns a deep copy of n's values (not of its syntax).
func (n *attrNode) clone() *attrNode {
	c := &attrNode{value: n.value, expr: n.expr, pos: n.pos}
	if n.attrs != nil {
		c.attrs = make(map[string]*attrNode, len(n.attrs))
		for k, v := range n.attrs {
			c.attrs[k] = v.clone()
		}
	}
	return c
}

// set stores value at names below n, creating attribute sets on the way.
func (n *attrNode) set(value any, names ...string) {
	for _, name := range names[:len(names)-1] {
		next := n.attrs[name]
		if next == nil || next.attrs == nil {
			next = &attrNode{attrs: map[string]*attrNode{}}
			n.attrs[name] = next
		}
		n = next
	}
	n.attrs[names[len(names)-1]] = &attrNode{value: value}
}

func writeJSONValue(b *strings.Builder, v any) {
	switch v := v.(type) {
	case string:
		writeJSONString(b, v)
	case bool:
		b.WriteString(strconv.FormatBool(v))
	case int64:
		b.WriteString(strconv.FormatInt(v, 10))
	case float64:
		b.WriteString(FormatFloat(v))
	case nil:
		b.WriteString("null")
	}
}

// FormatFloat prints f the way Nix prints a float, in its JSON output
// (`nix-instantiate --eval --json`, `builtins.toJSON`) and in
// `nix-instantiate --eval`: C++'s `ostream << double` with the default
// precision of 6 significant digits, which is printf's %g: 0.1234567 is
// 0.123457, 123456.7 is 123457, 1234567.0 is 1.23457e+06, 100000000.0 is
// 1e+08, 1.0e21 is 1e+21, 2.5e-5 is 2.5e-05, 1.0 is 1, -1.5 is -1.5, 0.0
// is 0. (Checked against Nix 2.8.) Go's 'g' format with precision 6 makes
// the same choices: trailing zeros dropped, an exponent of at least two
// digits, exponent form below 1e-4 and from 1e6 up.
func FormatFloat(f float64) string {
	return strconv.FormatFloat(f, 'g', 6, 64)
}

// writeJSONString escapes s as Nix's toJSON does: quote, backslash, \n,
// \r, \t and other control characters; everything else, UTF-8 included,
// is written as is.
func writeJSONString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		case c < 0x20:
			fmt.Fprintf(b, `\u%04x`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
}

// syntaxIndex records where the inputs are written, for the edits: every
// attribute set literal on the way to or inside `inputs`, with its path.
type syntaxIndex struct {
	blocks []*attrBlock
	// quoted holds the names the file writes as "..." strings.
	quoted map[string]bool
}

// attrBlock is an attribute set literal and the attribute path it defines
// ([] for the top-level set, ["inputs"] for `inputs = { … }`).
type attrBlock struct {
	set      *AttrSet
	path     []string
	bindings []*attrBinding
}

// attrBinding is an `a.b.c = value;` binding inside a block, with the
// static names of its attribute path.
type attrBinding struct {
	def   *AttrDef
	names []string
	// inherit is set instead of def for an inherit at the top level.
	inherit Binding
}

// node is the binding's syntax node.
func (b *attrBinding) node() Node {
	if b.def != nil {
		return b.def
	}
	return b.inherit
}

// inputsBuilder walks the syntax of the top-level set and builds the
// evaluated inputs tree and the syntax index.
type inputsBuilder struct {
	file  *File
	index *syntaxIndex

	// nodes and defs are chunks the tree's nodes and their first
	// definitions are carved from: a flake.nix with thousands of inputs
	// costs a few allocations for them instead of three per input.
	nodes []attrNode
	defs  []*AttrDef
}

// newNode returns a new node of the tree at offset pos.
func (b *inputsBuilder) newNode(pos int) *attrNode {
	if len(b.nodes) == cap(b.nodes) {
		b.nodes = make([]attrNode, 0, 64)
	}
	b.nodes = append(b.nodes, attrNode{pos: pos})
	return &b.nodes[len(b.nodes)-1]
}

// addDef returns defs with def appended; a first definition is carved from
// b.defs, with no room after it (a second one is appended as usual).
func (b *inputsBuilder) addDef(defs []*AttrDef, def *AttrDef) []*AttrDef {
	if defs != nil {
		return append(defs, def)
	}
	if len(b.defs) == cap(b.defs) {
		b.defs = make([]*AttrDef, 0, 64)
	}
	b.defs = append(b.defs, def)
	n := len(b.defs)
	return b.defs[n-1 : n : n]
}

// addBindings adds the bindings of set, which defines the attribute at
// path, to node. At the top level (path empty) only `inputs` is read.
func (b *inputsBuilder) addBindings(node *attrNode, set *AttrSet, path []string) error {
	block := &attrBlock{set: set, path: path}
	b.index.blocks = append(b.index.blocks, block)
	for _, binding := range set.Bindings {
		if len(path) == 0 {
			// Outside inputs anything goes; but an `inherit inputs;` or a
			// dynamic first name could define inputs out of sight.
			if err := b.checkTopBinding(binding); err != nil {
				return err
			}
		}
		def, ok := binding.(*AttrDef)
		if !ok {
			if len(path) == 0 {
				continue // checked above: it does not inherit inputs
			}
			return b.file.computedError(binding.Span().Start, dotted(path), "inherit")
		}
		names, err := b.staticNames(def.Path, path)
		if err != nil {
			return err
		}
		if len(path) == 0 && names[0] != "inputs" {
			continue
		}
		block.bindings = append(block.bindings, &attrBinding{def: def, names: names})
		if err := b.define(node, names, append(append([]string(nil), path...), names...), def); err != nil {
			return err
		}
	}
	return nil
}

// checkTopBinding rejects top-level bindings that might define `inputs`
// without spelling its name.
func (b *inputsBuilder) checkTopBinding(binding Binding) error {
	switch x := binding.(type) {
	case *Inherit:
		for _, n := range x.Names {
			if name, ok := StaticName(n); ok && name == "inputs" {
				return b.file.computedError(x.Span().Start, "inputs", "inherit")
			}
		}
	case *AttrDef:
		if _, ok := StaticName(x.Path.Names[0]); !ok {
			return b.file.computedError(x.Span().Start, "", "a dynamic attribute name")
		}
	}
	return nil
}

// staticNames returns the names of an attribute path, or an error when one
// is dynamic (`${x}`).
func (b *inputsBuilder) staticNames(p *AttrPath, prefix []string) ([]string, error) {
	names := make([]string, len(p.Names))
	for i, n := range p.Names {
		name, ok := StaticName(n)
		if !ok {
			return nil, b.file.computedError(n.Span().Start, dotted(append(prefix, names[:i]...)), "a dynamic attribute name")
		}
		if _, isString := n.(*String); isString {
			b.index.quoted[name] = true
		}
		names[i] = name
	}
	return names, nil
}

// define records def, a binding of the block whose node is node, in the
// tree: names are the binding's own attribute path, full the path from
// the top-level set.
func (b *inputsBuilder) define(node *attrNode, names, full []string, def *AttrDef) error {
	n := node
	for i, name := range names {
		if n.attrs == nil {
			return b.file.computedError(def.Span().Start, dotted(full[:len(full)-len(names)+i]), "a constant where an attribute set is needed")
		}
		next := n.attrs[name]
		if next == nil {
			next = b.newNode(def.Span().Start)
			if i < len(names)-1 {
				next.attrs = map[string]*attrNode{}
			}
			n.attrs[name] = next
		}
		next.defs = b.addDef(next.defs, def)
		n = next
	}
	switch v := def.Value.(type) {
	case *AttrSet:
		if n.attrs == nil {
			n.attrs = map[string]*attrNode{}
		}
		return b.addBindings(n, v, full)
	default:
		value, err := b.constant(def.Value, full)
		if err != nil {
			return err
		}
		n.value, n.expr = value, def.Value
		return nil
	}
}

// constant evaluates a leaf of the inputs tree the way Nix evaluates it:
// a string without interpolation, an unquoted URI literal (a string to
// Nix: `url = github:NixOS/nixpkgs;`), true, false, null, a number, a
// negated number (`-1.5`, which Nix reads as `0 - 1.5`), any of these in
// parentheses.
func (b *inputsBuilder) constant(e Node, path []string) (any, error) {
	if v, ok := constantValue(e); ok {
		return v, nil
	}
	return nil, b.file.computedError(e.Span().Start, dotted(path), describeExpr(e))
}

// constantValue is constant without the error.
func constantValue(e Node) (any, bool) {
	switch x := e.(type) {
	case *Paren:
		return constantValue(x.Expr)
	case *String:
		return foldedString(x)
	case *Ident:
		switch x.Name {
		case "true":
			return true, true
		case "false":
			return false, true
		case "null":
			return nil, true
		}
	case *Literal:
		switch x.Kind {
		case TokenURI:
			return x.Text, true
		case TokenInt:
			if v, err := strconv.ParseInt(x.Text, 10, 64); err == nil {
				return v, true
			}
		case TokenFloat:
			if v, err := strconv.ParseFloat(x.Text, 64); err == nil {
				return v, true
			}
		}
	case *Unary:
		if x.Op != TokenMinus {
			break
		}
		// Nix's parser turns -e into (__sub 0 e): 0 - 0.0 is +0, and an
		// int stays an int (a literal is at most 2^63-1, so 0 - v cannot
		// overflow; nor can 0 - (0 - v)).
		switch v, ok := constantValue(x.Expr); v := v.(type) {
		case int64:
			if ok {
				return 0 - v, true
			}
		case float64:
			if ok {
				return 0 - v, true
			}
		}
	}
	return nil, false
}

// foldedString is the value of a string whose interpolations are all
// constant strings (`"${"github"}:o/r"`, as Nix evaluates it: "github:o/r").
// Anything else interpolated (a number, a path, a variable) is not a
// constant.
func foldedString(s *String) (any, bool) {
	if v, ok := s.Value(); ok {
		return v, true
	}
	var parts []any
	if s.Indented {
		parts = stripIndentation(s.Parts)
	} else {
		for _, p := range s.Parts {
			if t, ok := p.(*StringText); ok {
				parts = append(parts, t.Value)
			} else {
				parts = append(parts, p)
			}
		}
	}
	var b strings.Builder
	for _, p := range parts {
		switch p := p.(type) {
		case string:
			b.WriteString(p)
		case *Interp:
			v, ok := constantValue(p.Expr)
			str, isString := v.(string)
			if !ok || !isString {
				return nil, false
			}
			b.WriteString(str)
		}
	}
	return b.String(), true
}

// computedError is the positioned error for inputs flakedup cannot read.
func (f *File) computedError(offset int, what, how string) error {
	msg := "computed by an expression (" + how + "); flakedup can only edit inputs written as attribute sets"
	if what != "" {
		msg = what + ": " + msg
	}
	return &Error{Pos: f.Position(offset), Msg: msg, Err: ErrComputed}
}

// describeExpr names the kind of an expression for error messages.
func describeExpr(e Node) string {
	switch x := e.(type) {
	case *Ident:
		return "a variable"
	case *String:
		if _, ok := x.Value(); ok {
			return "a string"
		}
		return "a string with interpolation"
	case *Path:
		return "a path"
	case *Call:
		return "a function call"
	case *Select:
		return "an attribute selection"
	case *Binary:
		if x.Op == TokenUpdate {
			return "the // operator"
		}
		return "the " + x.Op.String() + " operator"
	case *Let, *LegacyLet:
		return "a let expression"
	case *If:
		return "an if expression"
	case *With:
		return "a with expression"
	case *Lambda:
		return "a function"
	case *List:
		return "a list"
	case *Paren:
		return "an expression in parentheses"
	}
	return "an expression"
}

// typedInputs converts the inputs tree below n (the attribute set of the
// inputs at path) to Inputs.
func (s *Inputs) typedInputs(n *attrNode, path []string) (map[string]*Input, error) {
	// The tree is read in map order, which gives the same inputs as name
	// order without sorting every node's names; only the error must be the
	// first in name order, so a tree with one is read again, sorted.
	if out, err := s.typedInputsIn(n, path, false); err == nil {
		return out, nil
	}
	return s.typedInputsIn(n, path, true)
}

// typedInputsIn is typedInputs, reading names in byte order when sorted is
// set and in map order otherwise.
func (s *Inputs) typedInputsIn(n *attrNode, path []string, sorted bool) (map[string]*Input, error) {
	out := make(map[string]*Input, len(n.attrs))
	add := func(name string, node *attrNode) error {
		in, err := s.typedInput(name, node, path, sorted)
		out[name] = in
		return err
	}
	if sorted {
		for _, name := range sortedKeys(n.attrs) {
			if err := add(name, n.attrs[name]); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	for name, node := range n.attrs {
		if err := add(name, node); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// typedInput converts the input called name, whose node is node, below
// the input path path.
func (s *Inputs) typedInput(name string, node *attrNode, path []string, sorted bool) (*Input, error) {
	p := append(append([]string(nil), path...), name)
	in := &Input{Name: name, Path: p, Line: s.file.Position(node.pos).Line, Syntax: node.defs}
	if len(node.defs) > 0 {
		in.Span = Span{Start: node.defs[0].Span().Start, End: node.defs[len(node.defs)-1].Span().End}
	}
	if node.attrs == nil {
		return nil, s.file.computedError(node.pos, "inputs."+strings.Join(inputPathToAttrPath(p), "."), "a constant where an attribute set is needed")
	}
	if sorted {
		for _, key := range sortedKeys(node.attrs) {
			if err := s.typeAttr(in, key, node.attrs[key], sorted); err != nil {
				return nil, err
			}
		}
		return in, nil
	}
	for key, attr := range node.attrs {
		if err := s.typeAttr(in, key, attr, sorted); err != nil {
			return nil, err
		}
	}
	return in, nil
}

// typeAttr sets the attribute key of the input in from its node attr.
func (s *Inputs) typeAttr(in *Input, key string, attr *attrNode, sorted bool) error {
	if key == "inputs" {
		if attr.attrs == nil {
			return s.file.computedError(attr.pos, "inputs."+strings.Join(inputPathToAttrPath(in.Path), ".")+".inputs", "a constant where an attribute set is needed")
		}
		sub, err := s.typedInputsIn(attr, in.Path, sorted)
		if err != nil {
			return err
		}
		in.Inputs = sub
		return nil
	}
	if attr.attrs != nil {
		// An attribute set where Nix expects a constant; Nix
		// reports it when locking. Keep it out of the typed view.
		return nil
	}
	switch v := attr.value.(type) {
	case string:
		switch key {
		case "url":
			in.URL = v
			return nil
		case "follows":
			follows := v // its own variable: &v would put every string value on the heap
			in.Follows = &follows
			in.FollowsPath = SplitInputPath(v)
			return nil
		}
	case bool:
		if key == "flake" {
			in.Flake = &v
			return nil
		}
	}
	if in.Attrs == nil {
		in.Attrs = map[string]any{}
	}
	in.Attrs[key] = attr.value
	return nil
}

// inputPathToAttrPath turns an input path (["a", "b"]) into the attribute
// path below `inputs` that declares it (["a", "inputs", "b"]).
func inputPathToAttrPath(path []string) []string {
	var out []string
	for i, name := range path {
		if i > 0 {
			out = append(out, "inputs")
		}
		out = append(out, name)
	}
	return out
}

// dotted joins an attribute path for messages, quoting names that need it.
func dotted(path []string) string {
	parts := make([]string, len(path))
	for i, name := range path {
		parts[i] = nixAttrName(name, false)
	}
	return strings.Join(parts, ".")
}

// nixAttrName spells name as an attribute name: bare when it is a valid
// identifier (and quoted is false), else as a "..." string.
func nixAttrName(name string, quoted bool) string {
	if !quoted && isBareAttrName(name) {
		return name
	}
	return nixString(name)
}

// isBareAttrName reports whether name can be written without quotes.
func isBareAttrName(name string) bool {
	if name == "" {
		return false
	}
	switch name {
	case "if", "then", "else", "assert", "with", "let", "in", "rec", "inherit", "or":
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
		if i == 0 && !letter {
			return false
		}
		if !letter && !(c >= '0' && c <= '9') && c != '\'' && c != '-' {
			return false
		}
	}
	return true
}

// nixString quotes s as a Nix "..." string.
func nixString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '$' && i+1 < len(s) && s[i+1] == '{':
			b.WriteString(`\$`)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// sortedKeys returns the keys of m in byte order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
