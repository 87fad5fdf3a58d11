package rewrite

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// ErrEdit reports an edit that cannot be made: a conflicting follows, a
// missing one to retarget, an input declared with another url, or an edit
// whose result would not be what it intends.
var ErrEdit = errors.New("edit not possible")

// editFailure is an ErrEdit with its own message.
type editFailure struct{ msg string }

func (e *editFailure) Error() string { return e.msg }
func (e *editFailure) Unwrap() error { return ErrEdit }

// failf returns an editFailure formatted like fmt.Sprintf.
func failf(format string, args ...any) error {
	return &editFailure{msg: fmt.Sprintf(format, args...)}
}

// Edit is one change to a flake.nix, applied by Apply. The edits are
// AddFollows, SetFollows and AddInput.
type Edit interface {
	// String is the edit in the one-line form ParseEdit reads:
	// `add-follows home-manager/nixpkgs nixpkgs`.
	String() string
	// plan returns the text changes that make the edit on a file whose
	// inputs are s; none when the file already has what the edit wants.
	plan(s *Inputs) ([]textChange, error)
	// expect makes the intended change on the evaluated inputs tree.
	expect(root *attrNode)
	// check verifies what the inputs tree cannot show (outputs formals).
	check(s *Inputs) error
}

// AddFollows declares `inputs.<a>.inputs.<b>.follows = "<Target>";` for
// Path [a, b] (longer paths nest further). It writes in the style the file
// already uses for that input: inside its block when it has one, as a
// dotted line right after its last line when it is written dotted, inside
// `inputs = { }` when that exists and the input is not there, and after
// the inputs otherwise. It adds one binding and preserves every other
// byte: indentation (spaces or tabs), line endings, quoting of names, and
// comments, including a trailing comment on the line it follows. An equal
// follows already declared makes it a no-op; a different one is an error
// (see SetFollows).
type AddFollows struct {
	Path   []string
	Target string
}

// SetFollows retargets the follows already declared for Path to Target.
// It replaces only the string literal of the follows value, preserving
// everything around it (the binding's spelling, comments, layout). No
// declared follows is an error; an equal target makes it a no-op.
type SetFollows struct {
	Path   []string
	Target string
}

// AddInput declares a new root input `<Name>.url = "<URL>";`, in block
// form (`name = { url = …; };`) when the input it follows is written as a
// block, and adds Name to the outputs function's formals when they list
// names without `...` (Nix calls outputs with every input). It preserves
// every other byte as AddFollows does. An input of that name with the same
// url makes it a no-op; with another url, an error.
//
// A new input written on a line of its own gets a blank line before it
// when the input it is written after is separated from its neighbouring
// input by one, and, when Comment is set, a trailing `# Comment` (not when
// it shares a line with other bindings, where a comment would swallow
// them). Comment is not part of the String form.
type AddInput struct {
	Name, URL string
	Comment   string
}

// String is the edit in ParseEdit's form.
func (e AddFollows) String() string {
	return "add-follows " + strings.Join(e.Path, "/") + " " + editArg(e.Target)
}

// String is the edit in ParseEdit's form.
func (e SetFollows) String() string {
	return "set-follows " + strings.Join(e.Path, "/") + " " + editArg(e.Target)
}

// String is the edit in ParseEdit's form.
func (e AddInput) String() string { return "add-input " + e.Name + " " + editArg(e.URL) }

// editArg writes an empty argument as "" so that it survives ParseEdit.
func editArg(s string) string {
	if s == "" {
		return `""`
	}
	return s
}

// ParseEdit reads an edit written as one line: `add-follows a/b target`,
// `set-follows a/b target` or `add-input name url`; `""` is an empty target.
func ParseEdit(line string) (Edit, error) {
	f := strings.Fields(line)
	if len(f) != 3 {
		return nil, fmt.Errorf("edit %q: want three words: add-follows|set-follows|add-input, a path or name, a target or url", line)
	}
	arg := f[2]
	if arg == `""` {
		arg = ""
	}
	path := strings.Split(f[1], "/")
	switch f[0] {
	case "add-follows", "set-follows":
		if len(path) < 2 {
			return nil, fmt.Errorf("edit %q: the path must name an input of an input (a/b)", line)
		}
		for _, p := range path {
			if p == "" {
				return nil, fmt.Errorf("edit %q: empty name in path %q", line, f[1])
			}
		}
		if f[0] == "add-follows" {
			return AddFollows{Path: path, Target: arg}, nil
		}
		return SetFollows{Path: path, Target: arg}, nil
	case "add-input":
		if len(path) != 1 || arg == "" {
			return nil, fmt.Errorf("edit %q: want add-input <name> <url>", line)
		}
		return AddInput{Name: f[1], URL: arg}, nil
	}
	return nil, fmt.Errorf("edit %q: unknown edit %q", line, f[0])
}

// Apply makes edits, in order, on src (the contents of the flake.nix named
// filename) and returns the new bytes and whether anything changed. The
// result is checked by parsing it again: the inputs must then differ from
// before exactly by the intended changes, or Apply fails. Errors are
// positioned when they come from the file; nothing is written anywhere.
//
// Follows edits that do not overlap are made in one splice and checked with
// one parse, however many there are; otherwise (an AddInput among them, two
// edits of one follows, a failing edit, a batch whose check fails) each
// edit is made and checked in turn, every one planned on the result of the
// one before. Both ways give the same bytes and the same errors.
//
// ApplyInputs is Apply on a file already parsed, and also gives the diff.
func Apply(src []byte, filename string, edits ...Edit) (out []byte, changed bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, changed, err = nil, false, fmt.Errorf("%s: %w: %v", filename, ErrInternal, r)
		}
	}()
	if len(edits) == 0 {
		return src, false, nil
	}
	// The file is parsed once, then once per edit that changes it: the
	// parse that verifies an edit's result is the one the next edit is
	// planned on.
	f, err := Parse(filename, src)
	if err != nil {
		return nil, false, err
	}
	inputs, err := f.Inputs()
	if err != nil {
		return nil, false, err
	}
	ed, err := applyEdits(src, inputs, filename, edits)
	if err != nil {
		return nil, false, err
	}
	return ed.Out, ed.Changed, nil
}

// Edited is the result of ApplyInputs: the new file, and the byte ranges
// where it differs from the old one, from which Diff is computed.
type Edited struct {
	// Out is the new contents of the file; Changed reports whether it
	// differs from the old.
	Out     []byte
	Changed bool

	old   []byte
	spans []changedSpan // in order, not overlapping
}

// ApplyInputs is Apply on the file whose inputs are in (as File.Inputs
// returns them), which it does not parse again: the same bytes, change flag
// and errors as Apply(src, f.Name, edits...) for the source f was parsed
// from. in is only read.
func ApplyInputs(in *Inputs, edits ...Edit) (ed *Edited, err error) {
	src, filename := in.file.src, in.file.Name
	defer func() {
		if r := recover(); r != nil {
			ed, err = nil, fmt.Errorf("%s: %w: %v", filename, ErrInternal, r)
		}
	}()
	if len(edits) == 0 {
		return &Edited{Out: src, old: src}, nil
	}
	return applyEdits(src, in, filename, edits)
}

// applyEdits makes edits on src, whose inputs are inputs: in one splice
// when it can, else one at a time. A plan's edits are its add-input edits
// (promotions, new root inputs) and then its follows: then the add-inputs
// are made one at a time and the follows in one splice on their result,
// which gives the bytes and errors of making every edit in turn (the
// batch gives those of its edits made in turn, see applyBatch). Before,
// one add-input made thousands of follows go one parse each.
func applyEdits(src []byte, inputs *Inputs, filename string, edits []Edit) (*Edited, error) {
	if ed, ok := applyBatch(src, inputs, filename, edits); ok {
		return ed, nil
	}
	ed := &Edited{Out: src, old: src}
	if k := leadingAddInputs(edits); k > 0 && k < len(edits) {
		after, err := ed.applyInTurn(inputs, filename, edits[:k])
		if err != nil {
			return nil, err
		}
		if rest, ok := applyBatch(ed.Out, after, filename, edits[k:]); ok {
			ed.compose(rest)
			return ed, nil
		}
		inputs, edits = after, edits[k:]
	}
	if _, err := ed.applyInTurn(inputs, filename, edits); err != nil {
		return nil, err
	}
	return ed, nil
}

// leadingAddInputs is how many of edits, from the first, are AddInput.
func leadingAddInputs(edits []Edit) int {
	for i, e := range edits {
		if _, ok := e.(AddInput); !ok {
			return i
		}
	}
	return len(edits)
}

// compose records next, made on ed.Out, as made after ed.
func (ed *Edited) compose(next *Edited) {
	if !next.Changed {
		return
	}
	// next's spans are in order: taken from the last, each leaves the
	// offsets of those before it as they were.
	for i := len(next.spans) - 1; i >= 0; i-- {
		ed.spans = composeSpan(ed.spans, next.spans[i])
	}
	ed.Out, ed.Changed = next.Out, true
}

// Diff returns the unified diff from the old file to ed.Out, with name in
// its headers: the text Diff(name, old, ed.Out) returns, found from the
// changed byte ranges and the lines around them instead of by diffing the
// whole files (see spliceDiff).
func (ed *Edited) Diff(name string) string {
	if !ed.Changed {
		return ""
	}
	return spliceDiff(name, ed.old, ed.Out, ed.spans)
}

// applyInTurn makes the edits one at a time on ed.Out, whose inputs are
// inputs, each verified by parsing its result, which is the file the next
// one is planned on, and returns the inputs of the result.
func (ed *Edited) applyInTurn(inputs *Inputs, filename string, edits []Edit) (*Inputs, error) {
	for _, e := range edits {
		next, spans, after, err := applyOne(ed.Out, inputs, filename, e)
		if err != nil {
			return nil, err
		}
		if !bytes.Equal(next, ed.Out) {
			ed.Changed = true
		}
		// spans are in order: taken from the last, each leaves the
		// offsets of those before it as they were.
		for i := len(spans) - 1; i >= 0; i-- {
			ed.spans = composeSpan(ed.spans, spans[i])
		}
		ed.Out, inputs = next, after
	}
	return inputs, nil
}

// applyOne makes one edit on src, whose inputs are before, verifies its
// result and returns it with the spans that changed (see applyChanges) and
// its inputs.
func applyOne(src []byte, before *Inputs, filename string, e Edit) ([]byte, []changedSpan, *Inputs, error) {
	changes, err := e.plan(before)
	if err != nil {
		return nil, nil, nil, err
	}
	if len(changes) == 0 {
		return src, nil, before, nil
	}
	out, spans := applyChanges(src, changes)

	// Verify: the result parses and its inputs are the old ones plus
	// exactly the intended change.
	g, err := Parse(filename, out)
	if err != nil {
		return nil, nil, nil, failf("%s: the result does not parse: %v", e, err)
	}
	after, err := g.Inputs()
	if err != nil {
		return nil, nil, nil, failf("%s: the result's inputs cannot be read: %v", e, err)
	}
	want := before.root.clone()
	e.expect(want)
	if !sameJSON(after.root, want) {
		return nil, nil, nil, failf("%s: the result's inputs are %s, want %s", e, after.JSON(), jsonText(want))
	}
	if err := e.check(after); err != nil {
		return nil, nil, nil, err
	}
	return out, spans, after, nil
}

// textChange replaces src[start:end] with text.
type textChange struct {
	start, end int
	text       string
}

// applyChanges makes non-overlapping changes on a copy of src, in one pass,
// and returns it with the spans that changed, in order. It gives the bytes
// applyChangesInTurn gives: texts written at one offset go in the reverse
// of their order in changes.
func applyChanges(src []byte, changes []textChange) ([]byte, []changedSpan) {
	sorted := slices.Clone(changes)
	slices.Reverse(sorted)
	slices.SortStableFunc(sorted, func(x, y textChange) int { return x.start - y.start })
	size := len(src)
	for _, c := range sorted {
		size += len(c.text) - (c.end - c.start)
	}
	out := make([]byte, 0, size)
	spans := make([]changedSpan, 0, len(sorted))
	prev := 0
	for _, c := range sorted {
		if c.start < prev {
			// Overlapping changes, which no edit plans: what writing
			// them in turn gives, changed as a whole.
			out := applyChangesInTurn(src, changes)
			return out, []changedSpan{{0, len(src), 0, len(out)}}
		}
		out = append(out, src[prev:c.start]...)
		start := len(out)
		out = append(out, c.text...)
		spans = append(spans, changedSpan{c.start, c.end, start, len(out)})
		prev = c.end
	}
	return append(out, src[prev:]...), spans
}

// applyChangesInTurn is the simple definition of applyChanges: the changes
// sorted from the last offset to the first, each written into the result
// of the one before.
func applyChangesInTurn(src []byte, changes []textChange) []byte {
	sort.Slice(changes, func(i, j int) bool { return changes[i].start > changes[j].start })
	out := append([]byte(nil), src...)
	for _, c := range changes {
		out = append(out[:c.start:c.start], append([]byte(c.text), out[c.end:]...)...)
	}
	return out
}

func (e AddFollows) plan(s *Inputs) ([]textChange, error) {
	attr := append(inputPathToAttrPath(e.Path), "follows")
	if n := s.root.lookup(attr...); n != nil {
		if v, ok := n.value.(string); ok && n.attrs == nil {
			if v == e.Target {
				return nil, nil
			}
			return nil, s.file.editError(n.expr.Span().Start, fmt.Sprintf("add-follows %s: already follows %q; use set-follows to retarget it", strings.Join(e.Path, "/"), v))
		}
		return nil, s.file.editError(n.pos, fmt.Sprintf("add-follows %s: the follows is not a string", strings.Join(e.Path, "/")))
	}
	c, err := s.insertion(append([]string{"inputs"}, attr...), nixString(e.Target), false)
	if err != nil {
		return nil, fmt.Errorf("add-follows %s: %w", strings.Join(e.Path, "/"), err)
	}
	return []textChange{c}, nil
}

func (e AddFollows) expect(root *attrNode) {
	root.set(e.Target, append(inputPathToAttrPath(e.Path), "follows")...)
}

func (e AddFollows) check(*Inputs) error { return nil }

func (e SetFollows) plan(s *Inputs) ([]textChange, error) {
	attr := append(inputPathToAttrPath(e.Path), "follows")
	n := s.root.lookup(attr...)
	if n == nil {
		return nil, failf("set-follows %s: no follows declared for inputs.%s", strings.Join(e.Path, "/"), dotted(attr[:len(attr)-1]))
	}
	v, ok := n.value.(string)
	if !ok || n.attrs != nil {
		return nil, s.file.editError(n.pos, fmt.Sprintf("set-follows %s: the follows is not a string", strings.Join(e.Path, "/")))
	}
	if v == e.Target {
		return nil, nil
	}
	sp := n.expr.Span()
	return []textChange{{start: sp.Start, end: sp.End, text: nixString(e.Target)}}, nil
}

func (e SetFollows) expect(root *attrNode) {
	root.set(e.Target, append(inputPathToAttrPath(e.Path), "follows")...)
}

func (e SetFollows) check(*Inputs) error { return nil }

func (e AddInput) plan(s *Inputs) ([]textChange, error) {
	var changes []textChange
	if in := s.Inputs[e.Name]; in != nil {
		if in.URL != e.URL {
			return nil, s.file.editError(in.Span.Start, fmt.Sprintf("add-input %s: already declared with url %q", e.Name, in.URL))
		}
	} else {
		full := []string{"inputs", e.Name, "url"}
		pl, err := s.place(full)
		if err != nil {
			return nil, fmt.Errorf("add-input %s: %w", e.Name, err)
		}
		c := s.insertAfter(pl.block, pl.anchor, full[len(pl.block.path):], nixString(e.URL), true)
		if eol := trailingEOL(c.text); eol != "" {
			if e.Comment != "" {
				// After the url, on its line (inside a block written over
				// several lines), else at the end of the binding.
				value := nixString(e.URL) + ";" + eol
				if i := strings.Index(c.text, value); i >= 0 {
					at := i + len(value) - len(eol)
					c.text = c.text[:at] + " # " + e.Comment + c.text[at:]
				} else {
					c.text = strings.TrimSuffix(c.text, eol) + " # " + e.Comment + eol
				}
			}
			if s.spacedInputs(pl.block, pl.anchor, len(full)-len(pl.block.path)) {
				c.text = eol + c.text
			}
		}
		changes = append(changes, c)
	}
	formals, err := s.formalsChange(e.Name)
	if err != nil {
		return nil, fmt.Errorf("add-input %s: %w", e.Name, err)
	}
	return append(changes, formals...), nil
}

func (e AddInput) expect(root *attrNode) { root.set(e.URL, e.Name, "url") }

func (e AddInput) check(s *Inputs) error {
	if f := s.outputsFormals(); f != nil && !f.Ellipsis && !hasFormal(f, e.Name) {
		return failf("%s: the outputs function does not take %q", e, e.Name)
	}
	return nil
}

// editError is a positioned ErrEdit.
func (f *File) editError(offset int, msg string) error {
	return &Error{Pos: f.Position(offset), Msg: msg, Err: ErrEdit}
}

// insertion returns the change that adds the binding `full = value;`
// (full is an attribute path from the top-level set, starting with
// "inputs") where the file's layout says it belongs.
//
// Every attribute set literal whose path is a prefix of full is a place to
// insert, either after one of its bindings or at its end. A place scores
// the number of names of full it already spells: the block's own path plus
// the names its anchor binding shares with the rest. The best place wins;
// on a tie, the deeper block, then the later binding. The new binding goes
// after its anchor, never before it, which Nix would reject as "already
// defined" when the anchor is a block.
func (s *Inputs) insertion(full []string, value string, blockStyle bool) (textChange, error) {
	pl, err := s.place(full)
	if err != nil {
		return textChange{}, err
	}
	return s.insertAfter(pl.block, pl.anchor, full[len(pl.block.path):], value, blockStyle), nil
}

// trailingEOL is the line ending text ends with ("\r\n", "\n"), or "".
func trailingEOL(text string) string {
	switch {
	case strings.HasSuffix(text, "\r\n"):
		return "\r\n"
	case strings.HasSuffix(text, "\n"):
		return "\n"
	}
	return ""
}

// spacedInputs reports whether anchor, an input binding of blk (its path
// has depth names, as the new input's has: 3 for `inputs.x.url` at the top
// level, 2 in an inputs block), is separated by a blank line from the
// input binding before it, or, when it has none, from the one after it:
// then a new input after it is set off by a blank line too.
func (s *Inputs) spacedInputs(blk *attrBlock, anchor *attrBinding, depth int) bool {
	if anchor == nil || anchor.def == nil {
		return false
	}
	at := -1
	for i, b := range blk.bindings {
		if b.def == anchor.def {
			at = i
		}
	}
	if at < 0 {
		return false
	}
	input := func(b *attrBinding) bool {
		return b.def != nil && sharedPrefix(b.names, anchor.names) >= depth-2
	}
	blankBefore := func(b *attrBinding) bool {
		start, _ := b.node().Tokens()
		return hasBlankLine(s.file.Tokens[start].Leading)
	}
	if at > 0 && input(blk.bindings[at-1]) {
		return blankBefore(anchor)
	}
	if at+1 < len(blk.bindings) && input(blk.bindings[at+1]) {
		return blankBefore(blk.bindings[at+1])
	}
	return false
}

// hasBlankLine reports whether trivia holds an empty line (two line breaks
// with only spaces between them).
func hasBlankLine(trivia []byte) bool {
	last := -1
	for i, c := range trivia {
		switch c {
		case '\n':
			if last >= 0 {
				return true
			}
			last = i
		case ' ', '\t', '\r':
		default:
			last = -1
		}
	}
	return false
}

// placement is where insertion writes a binding: after anchor in block
// (at its start when anchor is nil), chosen with score (see insertion).
type placement struct {
	block  *attrBlock
	anchor *attrBinding
	score  int
}

// place chooses where insertion writes the binding full.
func (s *Inputs) place(full []string) (placement, error) {
	var (
		best      *attrBlock
		anchor    *attrBinding
		bestScore = -1
	)
	for _, blk := range s.syntax.blocks {
		if len(blk.path) >= len(full) || !hasPrefix(full, blk.path) {
			continue
		}
		rest := full[len(blk.path):]
		consider := func(b *attrBinding, score int) {
			better := score > bestScore ||
				score == bestScore && len(blk.path) > len(best.path) ||
				score == bestScore && len(blk.path) == len(best.path) && b != nil && (anchor == nil || b.node().Span().Start > anchor.node().Span().Start)
			if better {
				best, anchor, bestScore = blk, b, score
			}
		}
		consider(lastBinding(blk), len(blk.path))
		for _, b := range blk.bindings {
			if shared := sharedPrefix(b.names, rest); shared > 0 {
				consider(b, len(blk.path)+shared)
			}
		}
	}
	if best == nil {
		return placement{}, failf("no attribute set to write into")
	}
	return placement{block: best, anchor: anchor, score: bestScore}, nil
}

// lastBinding is the last binding of blk written as `path = value;` (at the
// top level, any binding, so that an input goes after the others).
func lastBinding(blk *attrBlock) *attrBinding {
	bs := blk.set.Bindings
	if len(bs) == 0 {
		return nil
	}
	if len(blk.bindings) > 0 && blk.bindings[len(blk.bindings)-1].def == bs[len(bs)-1] {
		return blk.bindings[len(blk.bindings)-1]
	}
	if def, ok := bs[len(bs)-1].(*AttrDef); ok {
		return &attrBinding{def: def}
	}
	return &attrBinding{inherit: bs[len(bs)-1]}
}

// insertAfter returns the change that writes `rest = value;` in blk after
// anchor (at the start of blk when anchor is nil).
func (s *Inputs) insertAfter(blk *attrBlock, anchor *attrBinding, rest []string, value string, blockStyle bool) textChange {
	toks := s.file.Tokens
	src := s.file.src
	if anchor == nil {
		open, closeTok := toks[blk.set.Open], toks[blk.set.Close]
		binding := s.bindingText(rest, value, "", "", nil)
		nl := firstNewline(closeTok.Leading)
		if nl < 0 { // `{ }` on one line
			text := " " + binding
			if len(closeTok.Leading) == 0 {
				text += " "
			}
			return textChange{start: open.End(), end: open.End(), text: text}
		}
		at := closeTok.LeadingOffset() + nl + 1
		indent := lineIndent(src, closeTok.Offset) + s.indentUnit()
		return textChange{start: at, end: at, text: indent + binding + eolAt(closeTok.Leading, nl)}
	}
	var block *AttrSet
	if blockStyle && anchor.def != nil && len(anchor.names) == len(rest)-1 {
		block, _ = anchor.def.Value.(*AttrSet)
	}
	fr := s.frameAfter(anchor)
	if fr.sameLine {
		return textChange{start: fr.at, end: fr.at, text: " " + s.bindingText(rest, value, fr.indent, s.fileEOL(), block)}
	}
	return textChange{start: fr.at, end: fr.at, text: fr.indent + s.bindingText(rest, value, fr.indent, fr.eol, block) + fr.eol}
}

// frame is where a binding written after an anchor goes: at offset at,
// either on the anchor's line (sameLine: more follows on it, and the
// binding is written as " " + binding) or on a line of its own (indent +
// binding + eol).
type frame struct {
	at          int
	sameLine    bool
	indent, eol string
}

// frameAfter returns the frame of a binding written after anchor.
func (s *Inputs) frameAfter(anchor *attrBinding) frame {
	toks := s.file.Tokens
	node := anchor.node()
	_, end := node.Tokens()
	next := toks[end]
	indent := lineIndent(s.file.src, node.Span().Start)
	nl := firstNewline(next.Leading)
	if nl < 0 { // more on the same line: stay on it
		return frame{at: toks[end-1].End(), sameLine: true, indent: indent}
	}
	return frame{at: next.LeadingOffset() + nl + 1, indent: indent, eol: eolAt(next.Leading, nl)}
}

// text is the text that writes binding in the frame, when it is not a
// block.
func (fr frame) text(binding string) string {
	if fr.sameLine {
		return " " + binding
	}
	return fr.indent + binding + fr.eol
}

// bindingText writes `path = value;`, or, when like is a block, the
// binding as a block laid out like it: `a = { b = value; };` on one line,
// or over three lines indented like like's first binding.
func (s *Inputs) bindingText(path []string, value, indent, eol string, like *AttrSet) string {
	if like == nil {
		return s.pathText(path) + " = " + value + ";"
	}
	head, last := s.pathText(path[:len(path)-1]), s.pathText(path[len(path)-1:])
	toks := s.file.Tokens
	open, closeTok := toks[like.Open], toks[like.Close]
	if !bytes.Contains(s.file.src[open.End():closeTok.Offset], []byte("\n")) {
		return head + " = { " + last + " = " + value + "; };"
	}
	inner := indent + s.indentUnit()
	if len(like.Bindings) > 0 {
		inner = lineIndent(s.file.src, like.Bindings[0].Span().Start)
	}
	return head + " = {" + eol + inner + last + " = " + value + ";" + eol + indent + "};"
}

// fileEOL is the file's line ending: "\r\n" when it has any, else "\n".
func (s *Inputs) fileEOL() string {
	if bytes.Contains(s.file.src, []byte("\r\n")) {
		return "\r\n"
	}
	return "\n"
}

// pathText spells an attribute path, quoting the names the file quotes.
func (s *Inputs) pathText(path []string) string {
	parts := make([]string, len(path))
	for i, name := range path {
		parts[i] = nixAttrName(name, s.syntax.quoted[name])
	}
	return strings.Join(parts, ".")
}

// indentUnit is one level of the file's indentation: a tab when its first
// indented line starts with one, else that line's spaces (two when the
// file has no indented line).
func (s *Inputs) indentUnit() string {
	for _, line := range bytes.Split(s.file.src, []byte("\n")) {
		ws := len(line) - len(bytes.TrimLeft(line, " \t"))
		if ws == 0 || ws == len(line) || strings.TrimSpace(string(line)) == "" {
			continue
		}
		if line[0] == '\t' {
			return "\t"
		}
		return string(line[:ws])
	}
	return "  "
}

// formalsChange adds name to the outputs function's formals when they
// list names without `...` and name is not among them. A name that is not
// an identifier cannot be a formal: that is an error.
func (s *Inputs) formalsChange(name string) ([]textChange, error) {
	f := s.outputsFormals()
	if f == nil || f.Ellipsis || hasFormal(f, name) {
		return nil, nil
	}
	if !isBareAttrName(name) {
		return nil, s.file.editError(f.Span().Start, fmt.Sprintf("the outputs function lists its inputs without `...`, and %q cannot be one of them; add `...` first", name))
	}
	toks, src := s.file.Tokens, s.file.src
	text := name
	if len(f.Formals) == 0 {
		first, _ := f.Tokens()
		at := toks[first].End()
		return []textChange{{start: at, end: at, text: " " + text}}, nil
	}
	last := f.Formals[len(f.Formals)-1]
	lastFirst, lastEnd := last.Tokens()
	_, fEnd := f.Tokens()
	closeTok := toks[fEnd-1]
	if !bytes.Contains(src[last.Span().End:closeTok.Offset], []byte("\n")) {
		// All on one line (or `}` right after the last formal).
		at := last.Span().End
		return []textChange{{start: at, end: at, text: ", " + text}}, nil
	}
	indent := lineIndent(src, last.Span().Start)
	if prev := toks[lastFirst-1]; prev.Kind == TokenComma && firstNewline(prev.Leading) >= 0 {
		// Leading commas: `, nixpkgs` on each line.
		lead := string(toks[lastFirst].Leading)
		if strings.Contains(lead, "\n") {
			lead = " "
		}
		next := toks[lastEnd]
		nl := firstNewline(next.Leading)
		eol := eolAt(next.Leading, nl)
		at := next.LeadingOffset() + nl + 1
		return []textChange{{start: at, end: at, text: lineIndent(src, prev.Offset) + "," + lead + text + eol}}, nil
	}
	if after := toks[lastEnd]; after.Kind == TokenComma {
		// Trailing commas: `nixpkgs,` on each line.
		next := toks[lastEnd+1]
		nl := firstNewline(next.Leading)
		if nl < 0 {
			return []textChange{{start: after.End(), end: after.End(), text: " " + text + ","}}, nil
		}
		at := next.LeadingOffset() + nl + 1
		return []textChange{{start: at, end: at, text: indent + text + "," + eolAt(next.Leading, nl)}}, nil
	}
	// No comma after the last formal: add one, then the new line.
	next := toks[lastEnd]
	nl := firstNewline(next.Leading)
	at := next.LeadingOffset() + nl + 1
	return []textChange{
		{start: last.Span().End, end: last.Span().End, text: ","},
		{start: at, end: at, text: indent + text + eolAt(next.Leading, nl)},
	}, nil
}

// outputsFormals returns the formals of `outputs = { … }: …`, or nil.
func (s *Inputs) outputsFormals() *Formals {
	for _, b := range s.top.Bindings {
		def, ok := b.(*AttrDef)
		if !ok || len(def.Path.Names) != 1 {
			continue
		}
		if name, _ := StaticName(def.Path.Names[0]); name != "outputs" {
			continue
		}
		if l, ok := def.Value.(*Lambda); ok {
			return l.Formals
		}
	}
	return nil
}

func hasFormal(f *Formals, name string) bool {
	for _, x := range f.Formals {
		if x.Name.Name == name {
			return true
		}
	}
	return false
}

// firstNewline returns the index of the first "\n" of trivia (whitespace
// and comments) that is not inside a /* */ comment, or -1.
func firstNewline(trivia []byte) int {
	for i := 0; i < len(trivia); i++ {
		switch {
		case trivia[i] == '\n':
			return i
		case trivia[i] == '/' && i+1 < len(trivia) && trivia[i+1] == '*':
			end := bytes.Index(trivia[i+2:], []byte("*/"))
			if end < 0 {
				return -1
			}
			i += 2 + end + 1
		case trivia[i] == '#':
			end := bytes.IndexByte(trivia[i:], '\n')
			if end < 0 {
				return -1
			}
			return i + end
		}
	}
	return -1
}

// eolAt is the line ending whose "\n" is at trivia[nl]: "\r\n" or "\n".
func eolAt(trivia []byte, nl int) string {
	if nl > 0 && trivia[nl-1] == '\r' {
		return "\r\n"
	}
	return "\n"
}

// lineIndent returns the spaces and tabs that start the line holding
// offset.
func lineIndent(src []byte, offset int) string {
	start := bytes.LastIndexByte(src[:offset], '\n') + 1
	end := start
	for end < len(src) && (src[end] == ' ' || src[end] == '\t') {
		end++
	}
	return string(src[start:end])
}

func hasPrefix(path, prefix []string) bool {
	if len(prefix) > len(path) {
		return false
	}
	for i := range prefix {
		if path[i] != prefix[i] {
			return false
		}
	}
	return true
}

func sharedPrefix(a, b []string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// batchMin is the fewest edits Apply makes in one splice; below it the
// edits go one at a time, which costs no more parses.
const batchMin = 2

// applyBatch makes edits, all planned on the file as it is (whose inputs
// are before), in one splice and verifies the result with one parse. It
// gives the bytes that making them one at a time (applyOne after applyOne)
// gives, and reports false, leaving Apply to do just that, whenever it
// cannot be sure of it: an edit other than AddFollows and SetFollows, two
// edits of one follows, an edit that fails or that would write into an
// empty attribute set, changes that overlap, or a result whose inputs are
// not the intended ones.
//
// One at a time, a binding an edit adds becomes a place where the next
// edits may write (see insertion). applyBatch plays that out without
// parsing again: each new binding is a candidate anchor for the edits after
// it, scored as insertion scores it, and the texts written at one offset
// keep the order that writing them one by one gives (after the anchor: an
// edit anchored on a binding of the file goes before the bindings earlier
// edits wrote there, one anchored on a new binding right after it).
func applyBatch(src []byte, before *Inputs, filename string, edits []Edit) (*Edited, bool) {
	if len(edits) < batchMin {
		return nil, false
	}
	b := &batch{in: before, byName: map[blockName][]*newBinding{}, lists: map[int][]*newBinding{}, origAt: map[int]int{}, last: map[*attrBlock]batchPos{}}
	seen := make(map[string]bool, len(edits))
	var made []Edit // the edits that change something, in order
	for _, e := range edits {
		var path []string
		switch e := e.(type) {
		case AddFollows:
			path = e.Path
		case SetFollows:
			path = e.Path
		default:
			return nil, false
		}
		key := strings.Join(path, "\x00")
		if seen[key] {
			return nil, false
		}
		seen[key] = true
		var did, ok bool
		switch e := e.(type) {
		case AddFollows:
			did, ok = b.addFollows(e)
		case SetFollows:
			did, ok = b.setFollows(e)
		}
		if !ok {
			return nil, false
		}
		if did {
			made = append(made, e)
		}
	}
	if len(made) == 0 {
		return &Edited{Out: src, old: src}, true
	}
	out, spans, ok := b.splice(src)
	if !ok {
		return nil, false
	}
	g, err := Parse(filename, out)
	if err != nil {
		return nil, false
	}
	// The typed inputs are not read: they could refuse only a tree that
	// is not the intended one, which the comparison below refuses, and
	// the checks of follows edits do not look at them.
	after, err := g.inputs(false)
	if err != nil {
		return nil, false
	}
	if !sameJSON(after.root, expectFollows(before.root, made)) {
		return nil, false
	}
	for _, e := range made {
		if e.check(after) != nil {
			return nil, false
		}
	}
	return &Edited{Out: out, Changed: true, old: src, spans: spans}, true
}

// expectFollows returns the inputs tree root with the follows edits made
// (what a clone of root given each one's expect is), copying only the
// nodes on their paths: the rest is shared with root, which stays as it
// is.
func expectFollows(root *attrNode, edits []Edit) *attrNode {
	copied := map[*attrNode]bool{}
	own := func(n *attrNode) *attrNode {
		c := &attrNode{value: n.value, expr: n.expr, pos: n.pos, attrs: make(map[string]*attrNode, len(n.attrs))}
		for k, v := range n.attrs {
			c.attrs[k] = v
		}
		copied[c] = true
		return c
	}
	want := own(root)
	for _, e := range edits {
		var path []string
		var target string
		switch e := e.(type) {
		case AddFollows:
			path, target = e.Path, e.Target
		case SetFollows:
			path, target = e.Path, e.Target
		default: // not made in one splice, but the same
			want := root.clone()
			for _, e := range edits {
				e.expect(want)
			}
			return want
		}
		names := append(inputPathToAttrPath(path), "follows")
		// As attrNode.set, on copies.
		n := want
		for _, name := range names[:len(names)-1] {
			next := n.attrs[name]
			switch {
			case next == nil || next.attrs == nil:
				next = &attrNode{attrs: map[string]*attrNode{}}
				copied[next] = true
			case !copied[next]:
				next = own(next)
			}
			n.attrs[name] = next
			n = next
		}
		n.attrs[names[len(names)-1]] = &attrNode{value: target}
	}
	return want
}

// batch is the state of applyBatch: the bindings its edits add, and the
// string literals they replace.
type batch struct {
	in *Inputs
	// byName holds the added bindings by block and first name, in the
	// order the edits come; blocks lists the blocks they went to.
	byName map[blockName][]*newBinding
	blocks []*attrBlock
	// lists holds, per offset of the file, the added bindings written
	// there, in the order they end up in.
	lists map[int][]*newBinding
	// origAt maps an offset that added bindings are written at to the
	// start of the binding of the file they were written after.
	origAt map[int]int
	// last holds, per block an added binding went to, the position of its
	// last binding.
	last     map[*attrBlock]batchPos
	replaced []textChange // SetFollows' new string literals
	// firstNames indexes the bindings of each block of the file by their
	// first name (see place).
	firstNames map[*attrBlock]map[string][]*attrBinding
}

// blockName is a block and the first name of bindings in it.
type blockName struct {
	block *attrBlock
	name  string
}

// newBinding is a binding an edit of the batch adds: names (from its
// block's path), in block, written at offset at (among the others written
// there, see batch.lists) in frame fr.
type newBinding struct {
	block *attrBlock
	names []string
	at    int
	fr    frame
	text  string
}

// batchPos is the position of a binding: a binding of the file starting
// at offset at (nb nil), or the added binding nb.
type batchPos struct {
	at int
	nb *newBinding
}

// after reports whether a comes after b in the file the batch writes.
func (b *batch) after(x, y batchPos) bool {
	switch {
	case x.nb == nil && y.nb == nil:
		return x.at > y.at
	case x.nb != nil && y.nb == nil:
		return x.at > y.at // at y.at itself, x goes before y
	case x.nb == nil:
		return x.at >= y.at
	case x.at != y.at:
		return x.at > y.at
	}
	return slices.Index(b.lists[x.at], x.nb) > slices.Index(b.lists[y.at], y.nb)
}

// candidate is a place where an edit of the batch may write: after a
// binding of the file or an added one, with insertion's score.
type candidate struct {
	block *attrBlock
	pos   batchPos
	score int
}

// better is insertion's order of places: a higher score, then the deeper
// block, then the later binding.
func (b *batch) better(c, best candidate) bool {
	if c.score != best.score {
		return c.score > best.score
	}
	if len(c.block.path) != len(best.block.path) {
		return len(c.block.path) > len(best.block.path)
	}
	return b.after(c.pos, best.pos)
}

// addFollows plans e as applyOne would after the edits before it; it
// reports whether e changes anything and whether the batch can go on.
func (b *batch) addFollows(e AddFollows) (did, ok bool) {
	s := b.in
	attr := append(inputPathToAttrPath(e.Path), "follows")
	if n := s.root.lookup(attr...); n != nil {
		if v, isString := n.value.(string); isString && n.attrs == nil && v == e.Target {
			return false, true
		}
		return false, false // an error: let applyOne report it
	}
	full := append([]string{"inputs"}, attr...)
	pl, ok := b.place(full)
	if !ok || pl.anchor == nil {
		return false, false
	}
	best := candidate{block: pl.block, pos: batchPos{at: pl.anchor.node().Span().Start}, score: pl.score}
	// The bindings added before are places too: those sharing a name with
	// the new one, and the last binding of a block when it is an added
	// one.
	for _, blk := range b.blocks {
		if len(blk.path) >= len(full) || !hasPrefix(full, blk.path) {
			continue
		}
		rest := full[len(blk.path):]
		for _, nb := range b.byName[blockName{blk, rest[0]}] {
			c := candidate{blk, batchPos{nb.at, nb}, len(blk.path) + sharedPrefix(nb.names, rest)}
			if b.better(c, best) {
				best = c
			}
		}
		if last := b.last[blk]; last.nb != nil {
			if c := (candidate{blk, last, len(blk.path)}); b.better(c, best) {
				best = c
			}
		}
	}
	nb := &newBinding{block: best.block, names: full[len(best.block.path):]}
	binding := s.bindingText(nb.names, nixString(e.Target), "", "", nil)
	if anchor := best.pos.nb; anchor != nil {
		nb.at, nb.fr = anchor.at, anchor.fr
		list := b.lists[nb.at]
		i := slices.Index(list, anchor) + 1
		b.lists[nb.at] = slices.Insert(list, i, nb)
	} else {
		nb.fr = s.frameAfter(pl.anchor)
		nb.at = nb.fr.at
		if start, seen := b.origAt[nb.at]; seen && start != best.pos.at {
			return false, false // two bindings of the file, one offset
		}
		b.origAt[nb.at] = best.pos.at
		b.lists[nb.at] = slices.Insert(b.lists[nb.at], 0, nb)
	}
	nb.text = nb.fr.text(binding)
	key := blockName{nb.block, nb.names[0]}
	b.byName[key] = append(b.byName[key], nb)
	pos := batchPos{nb.at, nb}
	if last, seen := b.last[nb.block]; !seen {
		b.blocks = append(b.blocks, nb.block)
		if lb := lastBinding(nb.block); lb != nil && !b.after(pos, batchPos{at: lb.node().Span().Start}) {
			b.last[nb.block] = batchPos{at: lb.node().Span().Start}
		} else {
			b.last[nb.block] = pos
		}
	} else if b.after(pos, last) {
		b.last[nb.block] = pos
	}
	return true, true
}

// place is Inputs.place over the bindings of the file, with each block's
// bindings indexed by first name on first use: only those can share a
// prefix with the new binding, and a batch of thousands of edits into one
// block would otherwise compare each with every binding. It reports false
// where place fails.
func (b *batch) place(full []string) (placement, bool) {
	if b.firstNames == nil {
		b.firstNames = make(map[*attrBlock]map[string][]*attrBinding, len(b.in.syntax.blocks))
		for _, blk := range b.in.syntax.blocks {
			byName := make(map[string][]*attrBinding, len(blk.bindings))
			for _, bd := range blk.bindings {
				if len(bd.names) > 0 {
					byName[bd.names[0]] = append(byName[bd.names[0]], bd)
				}
			}
			b.firstNames[blk] = byName
		}
	}
	var (
		best      *attrBlock
		anchor    *attrBinding
		bestScore = -1
	)
	for _, blk := range b.in.syntax.blocks {
		if len(blk.path) >= len(full) || !hasPrefix(full, blk.path) {
			continue
		}
		rest := full[len(blk.path):]
		consider := func(bd *attrBinding, score int) {
			better := score > bestScore ||
				score == bestScore && len(blk.path) > len(best.path) ||
				score == bestScore && len(blk.path) == len(best.path) && bd != nil && (anchor == nil || bd.node().Span().Start > anchor.node().Span().Start)
			if better {
				best, anchor, bestScore = blk, bd, score
			}
		}
		consider(lastBinding(blk), len(blk.path))
		for _, bd := range b.firstNames[blk][rest[0]] {
			consider(bd, len(blk.path)+sharedPrefix(bd.names, rest))
		}
	}
	if best == nil {
		return placement{}, false
	}
	return placement{block: best, anchor: anchor, score: bestScore}, true
}

// setFollows plans e; it reports whether e changes anything and whether
// the batch can go on.
func (b *batch) setFollows(e SetFollows) (did, ok bool) {
	changes, err := e.plan(b.in)
	if err != nil {
		return false, false
	}
	b.replaced = append(b.replaced, changes...)
	return len(changes) > 0, true
}

// splice writes every change into a copy of src in one pass and returns it
// with the spans that changed; it reports false when two overlap.
func (b *batch) splice(src []byte) ([]byte, []changedSpan, bool) {
	changes := slices.Clone(b.replaced)
	for at, list := range b.lists {
		var text strings.Builder
		for _, nb := range list {
			text.WriteString(nb.text)
		}
		changes = append(changes, textChange{start: at, end: at, text: text.String()})
	}
	slices.SortFunc(changes, func(x, y textChange) int { return x.start - y.start })
	size := len(src)
	for i, c := range changes {
		// An insertion may touch a replacement's ends only from outside,
		// and no two changes may share an offset.
		if i > 0 && c.start <= changes[i-1].end {
			return nil, nil, false
		}
		size += len(c.text) - (c.end - c.start)
	}
	out := make([]byte, 0, size)
	spans := make([]changedSpan, 0, len(changes))
	prev := 0
	for _, c := range changes {
		out = append(out, src[prev:c.start]...)
		start := len(out)
		out = append(out, c.text...)
		spans = append(spans, changedSpan{c.start, c.end, start, len(out)})
		prev = c.end
	}
	return append(out, src[prev:]...), spans, true
}
