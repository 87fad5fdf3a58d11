package rewrite

import "strings"

// This file holds the checks Nix makes while parsing, beyond the grammar:
// attribute definitions are merged into nested sets and duplicates are
// rejected (parser.y's addAttr), and every variable must be bound or sit
// under a `with` (nixexpr.cc's bindVars).

// attrModel is what Nix's ExprAttrs holds for an attribute set, a let or
// a legacy let: the static attributes, after attribute paths have created
// nested sets and sets defined twice have been merged, and the dynamic
// ones.
type attrModel struct {
	rec bool
	// order holds the names of the static attributes in the order they
	// were defined, entries their entries (entries[i] is order[i]'s).
	order   []string
	entries []*attrEntry
	// index gives a name's place in order once there are more than
	// smallModel attributes; a smaller set is searched in order, which
	// spares the many one- and two-attribute sets (url = ...;) a map.
	index   map[string]int
	dynamic []dynamicEntry
}

// smallModel is how many attributes a model holds before it indexes them.
const smallModel = 8

// get returns the entry of the static attribute name, nil when there is
// none.
func (m *attrModel) get(name string) *attrEntry {
	if i, ok := m.find(name); ok {
		return m.entries[i]
	}
	return nil
}

// find returns the place of name in m.order.
func (m *attrModel) find(name string) (int, bool) {
	if m.index != nil {
		i, ok := m.index[name]
		return i, ok
	}
	for i, n := range m.order {
		if n == name {
			return i, true
		}
	}
	return 0, false
}

// set defines (or redefines) the static attribute name.
func (m *attrModel) set(name string, e *attrEntry) {
	if i, ok := m.find(name); ok {
		m.entries[i] = e
		return
	}
	m.order = append(m.order, name)
	m.entries = append(m.entries, e)
	switch {
	case m.index != nil:
		m.index[name] = len(m.order) - 1
	case len(m.order) > smallModel:
		m.index = make(map[string]int, 2*len(m.order))
		for i, n := range m.order {
			m.index[n] = i
		}
	}
}

// attrEntry is one static attribute. Exactly one of nested, inherit,
// from and value describes it.
type attrEntry struct {
	nested  *attrModel // a set (written or created by an attribute path)
	inherit *Ident     // `inherit x;`: a variable of the enclosing scope
	from    Node       // `inherit (from) x;`
	value   Node       // any other value
	offset  int        // where it was defined
}

// dynamicEntry is an attribute whose name is computed: `${e} = v;`.
type dynamicEntry struct {
	name   Node
	nested *attrModel
	value  Node
}

func newAttrModel(rec bool) *attrModel {
	return &attrModel{rec: rec}
}

// literalModel returns the model of value when value is an attribute set
// literal (parentheses are transparent, as they are to Nix), else nil.
func (p *parser) literalModel(value Node) *attrModel {
	for {
		paren, ok := value.(*Paren)
		if !ok {
			break
		}
		value = paren.Expr
	}
	if set, ok := value.(*AttrSet); ok {
		return p.models[set]
	}
	return nil
}

// pathString spells an attribute path the way Nix's errors do: a.b."c d".
func pathString(names []Node) string {
	parts := make([]string, len(names))
	for i, n := range names {
		if s, ok := StaticName(n); ok {
			parts[i] = s
		} else {
			parts[i] = `"${...}"`
		}
	}
	return strings.Join(parts, ".")
}

// duplicate fails with Nix's "attribute 'x' already defined at ..." error.
func (p *parser) duplicate(what string, offset, prev int) {
	p.fail(offset, ErrDuplicate, "attribute '%s' already defined at %s", what, p.positionOf(prev))
}

// positionOf formats an earlier offset as "line:col" for messages.
func (p *parser) positionOf(offset int) string {
	starts := lineStartsOf(p.src)
	pos := positionIn("", starts, len(p.src), offset)
	return pos.String()[1:]
}

// addAttr adds `path = value;` to m the way Nix's addAttr does.
func (p *parser) addAttr(m *attrModel, def *AttrDef) {
	names := def.Path.Names
	offset := def.Path.span.Start
	for _, n := range names[:len(names)-1] {
		name, static := StaticName(n)
		if !static {
			nested := newAttrModel(false)
			m.dynamic = append(m.dynamic, dynamicEntry{name: n, nested: nested})
			m = nested
			continue
		}
		e := m.get(name)
		if e == nil {
			nested := newAttrModel(false)
			m.set(name, &attrEntry{nested: nested, offset: offset})
			m = nested
			continue
		}
		if e.nested == nil {
			p.duplicate(pathString(names), offset, e.offset)
		}
		m = e.nested
	}
	last := names[len(names)-1]
	valueModel := p.literalModel(def.Value)
	name, static := StaticName(last)
	if !static {
		m.dynamic = append(m.dynamic, dynamicEntry{name: last, nested: valueModel, value: def.Value})
		return
	}
	e := m.get(name)
	if e == nil {
		m.set(name, &attrEntry{nested: valueModel, value: def.Value, offset: offset})
		return
	}
	if e.nested == nil || valueModel == nil {
		p.duplicate(pathString(names), offset, e.offset)
	}
	// Both are sets: merge the new one's attributes into the old one.
	for i, k := range valueModel.order {
		v := valueModel.entries[i]
		if old := e.nested.get(k); old != nil {
			p.duplicate(k, old.offset, v.offset)
		}
		e.nested.set(k, v)
	}
	e.nested.dynamic = append(e.nested.dynamic, valueModel.dynamic...)
}

// addInherit adds the names of an inherit to m, rejecting duplicates and
// names that are not constant.
func (p *parser) addInherit(m *attrModel, n *Inherit) {
	for _, nameNode := range n.Names {
		name, static := StaticName(nameNode)
		if !static {
			p.fail(nameNode.Span().Start, ErrDynamic, "dynamic attributes not allowed in inherit")
		}
		offset := n.Names[0].Span().Start
		if old := m.get(name); old != nil {
			p.duplicate(name, offset, old.offset)
		}
		e := &attrEntry{offset: offset}
		if n.From != nil {
			e.from = n.From
		} else {
			ident, ok := nameNode.(*Ident)
			if !ok {
				ident = &Ident{nodeBase: nodeBase{span: nameNode.Span()}, Name: name}
			}
			e.inherit = ident
		}
		m.set(name, e)
	}
}

// baseNames are the variables in scope at the top of every Nix 2.8 file
// (its static base environment), found by running
// `nix-instantiate --parse -E NAME` for each builtin's name with and
// without "__"; __getFlake and __fetchClosure exist when their
// experimental features are enabled, and are accepted here.
var baseNames = func() map[string]bool {
	const names = `__add __addErrorContext __all __any __appendContext __attrNames
	__attrValues __bitAnd __bitOr __bitXor __catAttrs __ceil __compareVersions
	__concatLists __concatMap __concatStringsSep __currentSystem __currentTime
	__deepSeq __div __elem __elemAt __fetchurl __filter __filterSource __findFile
	__floor __foldl' __fromJSON __functionArgs __genList __genericClosure
	__getAttr __getContext __getEnv __groupBy __hasAttr __hasContext __hashFile
	__hashString __head __intersectAttrs __isAttrs __isBool __isFloat
	__isFunction __isInt __isList __isPath __isString __langVersion __length
	__lessThan __listToAttrs __mapAttrs __match __mul __nixPath __nixVersion
	__parseDrvName __partition __path __pathExists __readDir __readFile
	__replaceStrings __seq __sort __split __splitVersion __storeDir __storePath
	__stringLength __sub __substring __tail __toFile __toJSON __toPath __toXML
	__trace __tryEval __typeOf __unsafeDiscardOutputDependency
	__unsafeDiscardStringContext __unsafeGetAttrPos __zipAttrsWith abort
	baseNameOf builtins derivation derivationStrict dirOf false fetchGit
	fetchMercurial fetchTarball fetchTree fromTOML import isNull map null
	placeholder removeAttrs scopedImport throw toString true
	__getFlake __fetchClosure`
	m := map[string]bool{}
	for _, n := range strings.Fields(names) {
		m[n] = true
	}
	return m
}()

// binder walks the tree like Nix's bindVars and stops at the first
// undefined variable. Instead of a chain of scopes it keeps one table of
// the names bound where the walk is (a count per name, for shadowing) and
// how many `with`s enclose it, so a lookup costs the same at any depth.
type binder struct {
	p     *parser
	bound map[string]int
	withs int
}

// checkScope fails on the first variable that is not bound.
func (p *parser) checkScope(root Node) {
	b := &binder{p: p, bound: map[string]int{}}
	b.expr(root)
}

func (b *binder) push(names []string) {
	for _, n := range names {
		b.bound[n]++
	}
}

func (b *binder) pop(names []string) {
	for _, n := range names {
		if b.bound[n]--; b.bound[n] == 0 {
			delete(b.bound, n)
		}
	}
}

// variable fails unless name resolves: bound by an enclosing scope, in the
// base environment, or under a `with`.
func (b *binder) variable(name string, offset int) {
	if b.withs == 0 && b.bound[name] == 0 && !baseNames[name] {
		b.p.fail(offset, ErrUndefined, "undefined variable '%s'", name)
	}
}

func (b *binder) expr(n Node) {
	switch n := n.(type) {
	case *Ident:
		if n.Name != "__curPos" { // a written __curPos is a position, not a variable
			b.variable(n.Name, n.span.Start)
		}
	case *Literal, *StringText:
	case *Interp:
		b.expr(n.Expr)
	case *String:
		b.parts(n.Parts)
	case *Path:
		b.parts(n.Parts)
	case *Paren:
		b.expr(n.Expr)
	case *List:
		for _, e := range n.Elems {
			b.expr(e)
		}
	case *AttrSet:
		b.attrs(b.p.models[n])
	case *LegacyLet:
		b.attrs(b.p.models[n])
	case *Let:
		m := b.p.models[n]
		b.inherited(m)
		b.push(m.order)
		b.entries(m)
		b.expr(n.Body)
		b.pop(m.order)
	case *Select:
		b.expr(n.Expr)
		b.path(n.Path)
		if n.Default != nil {
			b.expr(n.Default)
		}
	case *HasAttr, *Call, *Binary:
		b.leftChain(n)
	case *Unary:
		b.expr(n.Expr)
	case *If:
		b.expr(n.Cond)
		b.expr(n.Then)
		b.expr(n.Else)
	case *Assert:
		b.expr(n.Cond)
		b.expr(n.Body)
	case *With:
		b.expr(n.Scope)
		b.withs++
		b.expr(n.Body)
		b.withs--
	case *Lambda:
		var names []string
		if n.Param != nil {
			names = append(names, n.Param.Name)
		}
		if n.Formals != nil {
			for _, f := range n.Formals.Formals {
				names = append(names, f.Name.Name)
			}
		}
		b.push(names)
		if n.Formals != nil {
			for _, f := range n.Formals.Formals {
				if f.Default != nil {
					b.expr(f.Default)
				}
			}
		}
		b.expr(n.Body)
		b.pop(names)
	}
}

// leftChain binds a left-nested chain of operators and applications
// (a + b + c, f x y z) without recursing once per link, so that a long
// chain cannot exhaust the stack; the order stays left to right.
func (b *binder) leftChain(n Node) {
	var spine []Node
	for {
		spine = append(spine, n)
		var left Node
		switch x := n.(type) {
		case *HasAttr:
			left = x.Expr
		case *Call:
			left = x.Func
		case *Binary:
			left = x.Left
		}
		switch left.(type) {
		case *HasAttr, *Call, *Binary:
			n = left
			continue
		}
		b.expr(left)
		break
	}
	for i := len(spine) - 1; i >= 0; i-- {
		switch x := spine[i].(type) {
		case *HasAttr:
			b.path(x.Path)
		case *Call:
			b.expr(x.Arg)
		case *Binary:
			b.expr(x.Right)
		}
	}
}

func (b *binder) parts(parts []Node) {
	for _, part := range parts {
		if in, ok := part.(*Interp); ok {
			b.expr(in.Expr)
		}
	}
}

// path binds the dynamic names of an attribute path.
func (b *binder) path(path *AttrPath) {
	for _, n := range path.Names {
		b.attrName(n)
	}
}

func (b *binder) attrName(n Node) {
	switch n := n.(type) {
	case *Interp:
		b.expr(n.Expr)
	case *String:
		b.parts(n.Parts)
	}
}

// attrs binds an attribute set: a rec one sees its own static names,
// except in its inherited ones.
func (b *binder) attrs(m *attrModel) {
	b.inherited(m)
	if m.rec {
		b.push(m.order)
	}
	b.entries(m)
	for _, d := range m.dynamic {
		b.attrName(d.name)
		if d.nested != nil {
			b.attrs(d.nested)
		} else {
			b.expr(d.value)
		}
	}
	if m.rec {
		b.pop(m.order)
	}
}

// inherited checks the variables of `inherit x;` entries, which resolve
// outside the set or let. Unlike a written __curPos, an inherited one is
// a plain variable.
func (b *binder) inherited(m *attrModel) {
	for _, e := range m.entries {
		if e.inherit != nil {
			b.variable(e.inherit.Name, e.inherit.span.Start)
		}
	}
}

// entries binds every attribute but the inherited variables.
func (b *binder) entries(m *attrModel) {
	for _, e := range m.entries {
		switch {
		case e.nested != nil:
			b.attrs(e.nested)
		case e.inherit != nil:
		case e.from != nil:
			b.expr(e.from)
		default:
			b.expr(e.value)
		}
	}
}
