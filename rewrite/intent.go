package rewrite

import (
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"
)

// Intent is what a flake.nix says about its inputs beyond the values Nix
// reads: what its author held back in comments, the binary caches its
// nixConfig names, and its root inputs. It is data only; internal/flake
// turns it into the planner's holds.
type Intent struct {
	// CommentedFollows are follows lines the author commented out, e.g.
	// `# impermanence.inputs.nixpkgs.follows = "nixpkgs"; # breaks the build`.
	CommentedFollows []CommentedFollows
	// Ignored are inputs marked with a `# flakedup: ignore` comment on
	// their line or inside their block (or on the line right above them).
	Ignored []MarkedInput
	// Pinned are inputs with a comment on their line, inside their block
	// or right above them that says they are pinned on purpose (see
	// PinWords).
	Pinned []MarkedInput
	// Substituters are the binary caches of nixConfig's substituters,
	// extra-substituters, trusted-substituters and
	// extra-trusted-substituters, as written (literal lists of strings, or
	// a string of space-separated URLs), in file order.
	Substituters []string
	// RootInputs are the root inputs flake.nix declares, sorted.
	RootInputs []string
}

// CommentedFollows is one commented-out follows line.
type CommentedFollows struct {
	// Path is the input path whose follows is commented out
	// (["impermanence", "nixpkgs"]).
	Path []string
	// Target is the follows target as written in the comment.
	Target string
	// Line is the comment's line.
	Line int
	// Comment is the text after the commented-out line on the same line
	// ("# breaks the build"), "" when none.
	Comment string
}

// MarkedInput is an input a comment holds back.
type MarkedInput struct {
	// Path is the input path (["nixos-hardware"], or ["a", "nixpkgs"] for
	// an override).
	Path []string
	// Line is the line of the comment (its last line when it spans
	// several).
	Line int
	// Comment is the comment's text, lines joined with a space, without
	// the leading "#" and spaces.
	Comment string
}

// PinWords are the words and phrases that make a comment on an input say
// "pinned on purpose", matched case-insensitively as whole words (a word
// joined to another by "-" or "'" does not count, so "unpinned" and
// "pin-point" are not "pin"): pin, pins, pinned, pinning, frozen,
// do not update, don't update, dont update, do not bump, don't bump,
// do not follow, don't follow. Comments that are commented-out code
// (`x.url = "...";`) never count.
//
// Words that only sound like intent were left out after reading the
// corpus's comments: "keep"/"kept" ("kept as a top-level input so ... share
// a single copy", "keep-sorted"), "breaks" ("usually breaks most plugins",
// said of a nightly input nobody pins).
var PinWords = []string{
	"pin", "pins", "pinned", "pinning", "frozen",
	"do not update", "don't update", "dont update",
	"do not bump", "don't bump", "do not follow", "don't follow",
}

// ignoreRE matches the marker comment. It is compiled on first use: a
// run whose comments mayIgnore rules out never needs it.
var ignoreRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?i)^flakedup:\s*ignore\b`) })

// pinStems are substrings that every PinWords phrase contains: "pin"
// (pin, pins, pinned, pinning), "frozen", "update", "bump", "follow".
// TestPinStems checks that each phrase contains one.
var pinStems = []string{"pin", "frozen", "update", "bump", "follow"}

// mayPin reports whether text contains a pinStems entry, ASCII case
// folded: false means matchPin cannot match, so it is not run. The
// folding is exact for these stems: none of their letters has a non-ASCII
// case partner under (?i) (only k and s have one, the Kelvin sign and the
// long s, and the stems contain neither).
func mayPin(text string) bool {
	// One pass: stems are compared only where one of their first
	// letters (p, f, u, b: TestMayPinIsContainsStem) is.
	for i := 0; i < len(text); i++ {
		switch lowerASCII(text[i]) {
		case 'p', 'f', 'u', 'b':
			for _, stem := range pinStems {
				if hasPrefixFoldASCII(text[i:], stem) {
					return true
				}
			}
		}
	}
	return false
}

// hasPrefixFoldASCII reports whether s starts with prefix (lower-case
// ASCII), comparing ASCII letters without case.
func hasPrefixFoldASCII(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for j := 0; j < len(prefix); j++ {
		if lowerASCII(s[j]) != prefix[j] {
			return false
		}
	}
	return true
}

// lowerASCII lower-cases an ASCII letter and returns other bytes as they are.
func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// mayBeCode reports whether text can start an attribute path (a name or a
// "quoted" one), which isCodeComment and matchFollowsLine both require:
// false means neither can match.
func mayBeCode(text string) bool {
	if text == "" {
		return false
	}
	c := text[0]
	return c == '_' || c == '"' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// mayIgnore reports whether text can be the marker comment: ignoreRE
// requires "flakedup:" first, whose 'f' has no non-ASCII case partner.
func mayIgnore(text string) bool {
	return len(text) >= len("flakedup:") && lowerASCII(text[0]) == 'f'
}

// matchPin reports whether text contains a PinWords phrase as a whole
// word, matched as `(?i)(^|[^a-z0-9'-])(PHRASES)($|[^a-z0-9'-])` matches
// it, where each space of a phrase stands for `\s+`. That regexp is kept
// in the tests as the definition (TestCommentMatchers,
// FuzzCommentMatchers); compiling it was 2 % of a fix on the largest corpus
// flake. Letters are compared without case, "s" also matching the long s
// (U+017F) as (?i) does; "'" matches only itself.
func matchPin(text string) bool {
	for i := 0; i < len(text); i++ {
		switch lowerASCII(text[i]) {
		case 'p', 'f', 'd': // the first letters of PinWords (TestPinStems)
		default:
			continue
		}
		if !pinBoundaryBefore(text, i) {
			continue
		}
		for _, w := range PinWords {
			if j, ok := matchPhraseFold(text, i, w); ok && pinBoundaryAt(text, j) {
				return true
			}
		}
	}
	return false
}

// matchPhraseFold matches phrase (lower-case ASCII letters, "'" and single
// spaces) at text[i:] and returns where the match ends: letters without
// case ("s" also as U+017F), a space as one or more of `\s` (tab, newline,
// form feed, carriage return, space).
func matchPhraseFold(text string, i int, phrase string) (int, bool) {
	for k := 0; k < len(phrase); k++ {
		c := phrase[k]
		switch {
		case c == ' ':
			start := i
			if i = skipRESpace(text, i); i == start {
				return 0, false
			}
		case i < len(text) && lowerASCII(text[i]) == c:
			i++
		case c == 's' && strings.HasPrefix(text[i:], "\u017f"):
			i += len("\u017f")
		default:
			return 0, false
		}
	}
	return i, true
}

// pinBoundaryBefore reports whether a whole word may start at text[i]:
// at the start, or after a rune that is not a letter, a digit, "'" or "-"
// as (?i)[a-z0-9'-] sees it (so the Kelvin sign and the long s count as
// letters).
func pinBoundaryBefore(text string, i int) bool {
	if i == 0 {
		return true
	}
	r, _ := utf8.DecodeLastRuneInString(text[:i])
	return !isPinWordRune(r)
}

// pinBoundaryAt reports whether a whole word may end before text[j]: at
// the end, or before a rune isPinWordRune rules out.
func pinBoundaryAt(text string, j int) bool {
	if j == len(text) {
		return true
	}
	r, _ := utf8.DecodeRuneInString(text[j:])
	return !isPinWordRune(r)
}

// isPinWordRune reports whether r is in (?i)[a-z0-9'-]: an ASCII letter or
// digit, "'", "-", or a non-ASCII case partner of an ASCII letter (the
// Kelvin sign U+212A and the long s U+017F, the only two).
func isPinWordRune(r rune) bool {
	switch {
	case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9':
		return true
	}
	return r == '\'' || r == '-' || r == '\u212a' || r == '\u017f'
}

// comment is one `#` comment of the file.
type comment struct {
	offset int
	line   int
	text   string // without "#" and surrounding spaces
	// trailing: code precedes it on its line.
	trailing bool
}

// comments lists the file's `#` line comments in order. (Block comments
// are not read for intent.)
func (f *File) comments() []comment {
	var out []comment
	for _, t := range f.Tokens {
		lead := t.Leading
		base := t.LeadingOffset()
		sawNewline := t.LeadingOffset() == 0
		for i := 0; i < len(lead); i++ {
			switch lead[i] {
			case '\n':
				sawNewline = true
			case '#':
				end := i
				for end < len(lead) && lead[end] != '\n' {
					end++
				}
				text := strings.TrimSpace(strings.TrimLeft(string(lead[i:end]), "#"))
				out = append(out, comment{offset: base + i, line: f.Position(base + i).Line, text: text, trailing: !sawNewline})
				i = end - 1
			case '/':
				if i+1 < len(lead) && lead[i+1] == '*' {
					end := strings.Index(string(lead[i+2:]), "*/")
					if end < 0 {
						i = len(lead)
						break
					}
					if strings.Contains(string(lead[i:i+2+end]), "\n") {
						sawNewline = true
					}
					i += 2 + end + 1
				}
			}
		}
	}
	return out
}

// Intent reads the author's intent from the file's comments and nixConfig.
func (s *Inputs) Intent() *Intent {
	in := &Intent{RootInputs: s.Names(), Substituters: s.substituters()}
	comments := s.file.comments()
	spans := s.inputSpans()
	isCode := make([]bool, len(comments))
	for i, c := range comments {
		isCode[i] = mayBeCode(c.text) && isCodeComment(c.text)
		if cf, ok := s.commentedFollows(c); ok {
			in.CommentedFollows = append(in.CommentedFollows, cf)
		}
	}
	seenIgnore := map[string]bool{}
	seenPin := map[string]bool{}
	for i, c := range comments {
		if isCode[i] {
			continue
		}
		ignore := mayIgnore(c.text) && ignoreRE().MatchString(c.text)
		pin := mayPin(c.text) && matchPin(c.text)
		if !ignore && !pin {
			continue
		}
		var path []string
		text := c.text
		if c.trailing {
			path = spans.deepestOn(c.line)
		} else {
			// A run of prose comment lines right above an input is about
			// it; a comment inside an input's block is about that input.
			last, first := i, i
			for last+1 < len(comments) && !comments[last+1].trailing && comments[last+1].line == comments[last].line+1 && !isCode[last+1] {
				last++
			}
			for first > 0 && !comments[first-1].trailing && comments[first-1].line == comments[first].line-1 && !isCode[first-1] {
				first--
			}
			path = spans.startingOn(comments[last].line + 1)
			if path != nil {
				var parts []string
				for _, g := range comments[first : last+1] {
					parts = append(parts, g.text)
				}
				text = strings.Join(parts, " ")
			} else {
				path = spans.deepestOn(c.line)
			}
		}
		if path == nil {
			continue
		}
		key := strings.Join(path, "/")
		m := MarkedInput{Path: path, Line: c.line, Comment: text}
		switch {
		case ignore && !seenIgnore[key]:
			seenIgnore[key] = true
			in.Ignored = append(in.Ignored, m)
		case !ignore && !seenPin[key]:
			seenPin[key] = true
			in.Pinned = append(in.Pinned, m)
		}
	}
	return in
}

// inputSpan is the lines one input's bindings cover.
type inputSpan struct {
	path        []string
	first, last int
	depth       int
}

type inputSpans []inputSpan

// inputSpans lists, for every declared input at any depth, the lines of
// each binding that defines it.
func (s *Inputs) inputSpans() inputSpans {
	var out inputSpans
	var walk func(inputs map[string]*Input)
	walk = func(inputs map[string]*Input) {
		for _, name := range sortedKeys(inputs) {
			in := inputs[name]
			for _, def := range in.Syntax {
				sp := def.Span()
				end := sp.End
				if end > sp.Start {
					end--
				}
				out = append(out, inputSpan{path: in.Path, first: s.file.Position(sp.Start).Line, last: s.file.Position(end).Line, depth: len(in.Path)})
			}
			walk(in.Inputs)
		}
	}
	walk(s.Inputs)
	return out
}

// deepestOn returns the deepest input with a binding covering line.
func (sp inputSpans) deepestOn(line int) []string {
	var best *inputSpan
	for i := range sp {
		s := &sp[i]
		if s.first <= line && line <= s.last && (best == nil || s.depth > best.depth) {
			best = s
		}
	}
	if best == nil {
		return nil
	}
	return best.path
}

// startingOn returns the deepest input with a binding that starts on line.
func (sp inputSpans) startingOn(line int) []string {
	var best *inputSpan
	for i := range sp {
		s := &sp[i]
		if s.first == line && (best == nil || s.depth > best.depth) {
			best = s
		}
	}
	if best == nil {
		return nil
	}
	return best.path
}

// commentedFollows reads c as a commented-out follows binding, relative to
// the attribute set literal the comment lies in.
func (s *Inputs) commentedFollows(c comment) (CommentedFollows, bool) {
	if !mayBeCode(c.text) || !strings.Contains(c.text, "follows") {
		return CommentedFollows{}, false
	}
	attrPath, target, rest, ok := matchFollowsLine(c.text)
	if !ok {
		return CommentedFollows{}, false
	}
	names := splitAttrPath(attrPath)
	if len(names) == 0 || names[len(names)-1] != "follows" {
		return CommentedFollows{}, false
	}
	// The innermost block the comment lies in gives the prefix.
	var prefix []string
	best := -1
	for _, b := range s.syntax.blocks {
		sp := b.set.Span()
		if sp.Start <= c.offset && c.offset < sp.End && len(b.path) >= best {
			best, prefix = len(b.path), b.path
		}
	}
	full := append(append([]string(nil), prefix...), names...)
	path, ok := attrPathToInputPath(full[:len(full)-1])
	if !ok {
		return CommentedFollows{}, false
	}
	return CommentedFollows{Path: path, Target: target, Line: c.line, Comment: strings.TrimSpace(rest)}, true
}

// splitAttrPath splits a dotted attribute path as the regexp matched it
// (names bare or "quoted" without escapes).
func splitAttrPath(s string) []string {
	var out []string
	for len(s) > 0 {
		if s[0] == '"' {
			end := strings.IndexByte(s[1:], '"')
			if end < 0 {
				return nil
			}
			out = append(out, s[1:1+end])
			s = s[2+end:]
		} else {
			end := strings.IndexByte(s, '.')
			if end < 0 {
				end = len(s)
			}
			out = append(out, s[:end])
			s = s[end:]
		}
		s = strings.TrimPrefix(s, ".")
	}
	return out
}

// attrPathToInputPath turns ["inputs", "a", "inputs", "b"] into ["a", "b"].
func attrPathToInputPath(attrs []string) ([]string, bool) {
	if len(attrs) < 2 || len(attrs)%2 != 0 {
		return nil, false
	}
	var path []string
	for i := 0; i < len(attrs); i += 2 {
		if attrs[i] != "inputs" {
			return nil, false
		}
		path = append(path, attrs[i+1])
	}
	return path, true
}

// substituterKeys are the nixConfig settings that name binary caches.
var substituterKeys = map[string]bool{
	"substituters": true, "extra-substituters": true,
	"trusted-substituters": true, "extra-trusted-substituters": true,
}

// substituters reads nixConfig's cache settings from the top-level set:
// `nixConfig = { extra-substituters = [ ... ]; }` and
// `nixConfig.extra-substituters = ...;` alike.
func (s *Inputs) substituters() []string {
	var out []string
	add := func(v Node) {
		switch x := v.(type) {
		case *List:
			for _, e := range x.Elems {
				if str, ok := e.(*String); ok {
					if val, ok := str.Value(); ok {
						out = append(out, strings.Fields(val)...)
					}
				}
			}
		case *String:
			if val, ok := x.Value(); ok {
				out = append(out, strings.Fields(val)...)
			}
		}
	}
	if s.top == nil {
		return nil
	}
	for _, b := range s.top.Bindings {
		def, ok := b.(*AttrDef)
		if !ok {
			continue
		}
		var names []string
		for _, n := range def.Path.Names {
			name, ok := StaticName(n)
			if !ok {
				names = nil
				break
			}
			names = append(names, name)
		}
		if len(names) == 0 || names[0] != "nixConfig" {
			continue
		}
		switch {
		case len(names) == 2 && substituterKeys[names[1]]:
			add(def.Value)
		case len(names) == 1:
			set, ok := def.Value.(*AttrSet)
			if !ok {
				continue
			}
			for _, ib := range set.Bindings {
				idef, ok := ib.(*AttrDef)
				if !ok || len(idef.Path.Names) != 1 {
					continue
				}
				if name, ok := StaticName(idef.Path.Names[0]); ok && substituterKeys[name] {
					add(idef.Value)
				}
			}
		}
	}
	return out
}

// A commented-out binding is recognised by hand rather than by regexp (a
// compile and a backtracking run per comment cost more than the rest of a
// small flake's intent): isCodeComment and matchFollowsLine match what
//
//	^PATH\s*=                                    (a binding)
//	^(PATH)\s*=\s*"([^"\\]*)"\s*;?\s*(.*)$         (a follows binding)
//
// match, PATH being (?:NAME|"[^"\\]*")(?:\.(?:NAME|"[^"\\]*"))* and NAME
// [A-Za-z_][A-Za-z0-9_'-]*, with Go's \s ([\t\n\f\r ]) and . (not \n).
// Each element of these patterns can end in only one place (a name ends
// at the first byte that cannot continue it, and no such byte can start
// what follows), so one greedy pass finds the regexp's match.
// TestCommentMatchers compares them with the regexps.

// isCodeComment reports whether text starts with a binding: an attribute
// path, optional whitespace and '='.
func isCodeComment(text string) bool {
	n := attrPathPrefix(text)
	if n == 0 {
		return false
	}
	n = skipRESpace(text, n)
	return n < len(text) && text[n] == '='
}

// matchFollowsLine splits text as a commented-out follows binding, `PATH =
// "TARGET"; REST`, and reports whether it is one.
func matchFollowsLine(text string) (attrPath, target, rest string, ok bool) {
	n := attrPathPrefix(text)
	if n == 0 {
		return "", "", "", false
	}
	i := skipRESpace(text, n)
	if i >= len(text) || text[i] != '=' {
		return "", "", "", false
	}
	i = skipRESpace(text, i+1)
	end := quotedEnd(text, i)
	if end < 0 {
		return "", "", "", false
	}
	target = text[i+1 : end-1]
	i = skipRESpace(text, end)
	if i < len(text) && text[i] == ';' {
		i++
	}
	i = skipRESpace(text, i)
	if strings.IndexByte(text[i:], '\n') >= 0 {
		return "", "", "", false // (.*)$ stops at a newline
	}
	return text[:n], target, text[i:], true
}

// attrPathPrefix returns the length of the attribute path text starts
// with, 0 when it starts with none.
func attrPathPrefix(text string) int {
	n := attrNameEnd(text, 0)
	if n < 0 {
		return 0
	}
	for n < len(text) && text[n] == '.' {
		next := attrNameEnd(text, n+1)
		if next < 0 {
			break // a '.' not followed by a name ends the path before it
		}
		n = next
	}
	return n
}

// attrNameEnd returns where the name or "quoted" name at text[i:] ends,
// -1 when there is none.
func attrNameEnd(text string, i int) int {
	if i >= len(text) {
		return -1
	}
	if text[i] == '"' {
		return quotedEnd(text, i)
	}
	if c := text[i]; !(c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
		return -1
	}
	i++
	for i < len(text) {
		c := text[i]
		if !(c == '_' || c == '\'' || c == '-' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			break
		}
		i++
	}
	return i
}

// quotedEnd returns the end of the "..." (no '"' or '\\' inside) at
// text[i:], -1 when there is none.
func quotedEnd(text string, i int) int {
	if i >= len(text) || text[i] != '"' {
		return -1
	}
	for j := i + 1; j < len(text); j++ {
		switch text[j] {
		case '"':
			return j + 1
		case '\\':
			return -1
		}
	}
	return -1
}

// skipRESpace skips the bytes of Go regexp's \s from text[i:].
func skipRESpace(text string, i int) int {
	for i < len(text) {
		switch text[i] {
		case ' ', '\t', '\n', '\f', '\r':
			i++
		default:
			return i
		}
	}
	return i
}
