package rewrite

import (
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// This file generates the variants of TestDifferentialInputs.

// walk calls f on n and every node below it, in source order.
func walk(n Node, f func(Node)) {
	if n == nil {
		return
	}
	f(n)
	each := func(nodes ...Node) {
		for _, c := range nodes {
			walk(c, f)
		}
	}
	switch n := n.(type) {
	case *Interp:
		each(n.Expr)
	case *String:
		each(n.Parts...)
	case *Path:
		each(n.Parts...)
	case *Paren:
		each(n.Expr)
	case *List:
		each(n.Elems...)
	case *AttrSet:
		for _, b := range n.Bindings {
			walk(b, f)
		}
	case *AttrPath:
		each(n.Names...)
	case *AttrDef:
		each(n.Path, n.Value)
	case *Inherit:
		if n.From != nil {
			each(n.From)
		}
		each(n.Names...)
	case *Select:
		each(n.Expr, n.Path)
		if n.Default != nil {
			each(n.Default)
		}
	case *HasAttr:
		each(n.Expr, n.Path)
	case *Call:
		each(n.Func, n.Arg)
	case *Unary:
		each(n.Expr)
	case *Binary:
		each(n.Left, n.Right)
	case *If:
		each(n.Cond, n.Then, n.Else)
	case *Assert:
		each(n.Cond, n.Body)
	case *With:
		each(n.Scope, n.Body)
	case *Let:
		for _, b := range n.Bindings {
			walk(b, f)
		}
		each(n.Body)
	case *LegacyLet:
		for _, b := range n.Bindings {
			walk(b, f)
		}
	case *Lambda:
		if n.Param != nil {
			each(n.Param)
		}
		if n.Formals != nil {
			for _, fo := range n.Formals.Formals {
				each(fo.Name)
				if fo.Default != nil {
					each(fo.Default)
				}
			}
		}
		each(n.Body)
	}
}

// triviaSlots marks the tokens lexed in Nix's default state: whitespace or
// a comment may stand before them (not before text inside a string or a
// path, nor before the quote that closes a string).
func triviaSlots(tokens []Token) []bool {
	const (
		inDefault = iota
		inString
		inIndString
		inPath
	)
	stack := []int{inDefault}
	slots := make([]bool, len(tokens))
	for i, t := range tokens {
		top := stack[len(stack)-1]
		pop := func() {
			if len(stack) > 1 {
				stack = stack[:len(stack)-1]
			}
		}
		if top != inDefault {
			switch t.Kind {
			case TokenDollarCurly:
				stack = append(stack, inDefault)
			case TokenQuote, TokenIndClose, TokenPathEnd:
				pop()
			}
			continue
		}
		slots[i] = t.Kind != TokenIllegal
		switch t.Kind {
		case TokenQuote:
			stack = append(stack, inString)
		case TokenIndOpen:
			stack = append(stack, inIndString)
		case TokenPath, TokenHomePath:
			stack = append(stack, inPath)
		case TokenLBrace, TokenDollarCurly:
			stack = append(stack, inDefault)
		case TokenRBrace:
			pop()
		}
	}
	return slots
}

// source rebuilds a file from its tokens with some changed: before[i] is
// inserted just before token i's text, replace[i] replaces that text.
type source struct {
	tokens []Token
	slots  []int // indexes of the tokens with a trivia slot
}

func newSource(src []byte) *source {
	tokens, _ := lex(src)
	s := &source{tokens: tokens}
	for i, ok := range triviaSlots(tokens) {
		if ok {
			s.slots = append(s.slots, i)
		}
	}
	return s
}

func (s *source) build(before, replace map[int]string) []byte {
	var b strings.Builder
	for i, t := range s.tokens {
		b.Write(t.Leading)
		b.WriteString(before[i])
		if r, ok := replace[i]; ok {
			b.WriteString(r)
		} else {
			b.Write(t.Text)
		}
	}
	return []byte(b.String())
}

// everySlot inserts text before every token of the default state.
func (s *source) everySlot(text string) []byte {
	before := map[int]string{}
	for _, i := range s.slots {
		before[i] = text
	}
	return s.build(before, nil)
}

func (s *source) randomSlot(rng *rand.Rand) int { return s.slots[rng.Intn(len(s.slots))] }

// uriLiteral is Nix's URI token, the whole of it.
var uriLiteral = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+\-.]*:[a-zA-Z0-9%/?:@&=+$,\-_.!~*']+$`)

// urlString is a `url = "...";` value written as one plain "..." string.
type urlString struct {
	first, end int    // token range of the string
	raw        string // its text as written
	value      string
}

// urlStrings finds the url values of a parsed file.
func urlStrings(f *File) []urlString {
	var out []urlString
	walk(f.Expr, func(n Node) {
		def, ok := n.(*AttrDef)
		if !ok {
			return
		}
		last, ok := StaticName(def.Path.Names[len(def.Path.Names)-1])
		str, isString := def.Value.(*String)
		if !ok || last != "url" || !isString || str.Indented || len(str.Parts) != 1 {
			return
		}
		text, ok := str.Parts[0].(*StringText)
		if !ok {
			return
		}
		first, end := str.Tokens()
		out = append(out, urlString{first: first, end: end, raw: text.Raw, value: text.Value})
	})
	return out
}

// replaceURLs replaces every url string that form can rewrite.
func replaceURLs(urls []urlString, form func(u urlString) (string, bool)) map[int]string {
	replace := map[int]string{}
	for _, u := range urls {
		text, ok := form(u)
		if !ok {
			continue
		}
		replace[u.first] = text
		for i := u.first + 1; i < u.end; i++ {
			replace[i] = ""
		}
	}
	if len(replace) == 0 {
		return nil
	}
	return replace
}

// urlForms are the ways a url string can be written that Nix reads as the
// same value (or, for indented-multiline, the value with a final newline).
var urlForms = []struct {
	name string
	form func(u urlString) (string, bool)
}{
	{"uri-literal", func(u urlString) (string, bool) { return u.value, uriLiteral.MatchString(u.value) }},
	{"indented", func(u urlString) (string, bool) {
		return "''" + u.value + "''", !strings.ContainsAny(u.value, "'$\\\n\r")
	}},
	{"indented-multiline", func(u urlString) (string, bool) {
		return "''\n      " + u.value + "\n    ''", !strings.ContainsAny(u.value, "'$\\\n\r")
	}},
	{"interpolated", func(u urlString) (string, bool) { return `"${"` + u.raw + `"}"`, true }},
	{"split", func(u urlString) (string, bool) {
		h := len(u.raw) / 2
		for h > 0 && (u.raw[h-1] == '\\' || u.raw[h-1] == '$') {
			h--
		}
		return `"` + u.raw[:h] + `${"` + u.raw[h:] + `"}"`, h > 0
	}},
	{"escaped", func(u urlString) (string, bool) {
		for i := 0; i < len(u.raw); i++ {
			if c := u.raw[i]; c >= 'a' && c <= 'z' && c != 'n' && c != 'r' && c != 't' {
				if i > 0 && u.raw[i-1] == '\\' {
					return "", false
				}
				return `"` + u.raw[:i] + `\` + u.raw[i:] + `"`, true
			}
		}
		return "", false
	}},
	{"escaped-dollar", func(u urlString) (string, bool) { return `"` + u.raw + `\${x}$"`, true }},
	{"nbsp-in-string", func(u urlString) (string, bool) { return `"` + u.raw + "\xc2\xa0\"", true }},
	{"ff-and-tab-in-string", func(u urlString) (string, bool) { return `"` + u.raw + "\f\t\"", true }},
	{"crlf-in-string", func(u urlString) (string, bool) { return `"` + u.raw + "\r\n\"", true }},
	{"utf8-in-string", func(u urlString) (string, bool) { return `"` + u.raw + `é€"`, true }},
}

// trivia is whitespace and comments to put between tokens.
var trivia = []string{" ", "\t", "\r\n", "\r", "\n\n", "/* c */", "/**/", "# c\n", "#\n", "/* # */", "/* a\nb */", "/* ** / */", "\t# c\r\n  "}

// strayTokens are inserted where they do not belong.
var strayTokens = []string{";", "}", "{", "=", ".", ",", ")", "(", "]", "[", "in", "then", "else", `"`, "''", "$", "@",
	":", "?", "rec", "inherit", "...", "#", "/*", `\`, "'", "&", "|", "!", "->", "//", "++", "or", "let", "with", "1", "x"}

// inputVariants returns the variants of one corpus file.
func inputVariants(name string, src []byte, rng *rand.Rand) []variant {
	s := newSource(src)
	if len(s.slots) < 2 {
		return nil
	}
	var out []variant
	add := func(kind string, b []byte) { out = append(out, variant{name + "/" + kind, b}) }

	add("comment-before-every-token", s.everySlot("/*c*/"))
	add("line-comment-before-every-token", s.everySlot("#c\n"))
	add("tab-crlf-before-every-token", s.everySlot("\t\r\n"))
	for k := 0; k < 16; k++ {
		before := map[int]string{}
		for j := 0; j < 3; j++ {
			before[s.randomSlot(rng)] = trivia[rng.Intn(len(trivia))]
		}
		add(fmt.Sprintf("trivia-%d", k), s.build(before, nil))
	}

	f, err := Parse("flake.nix", src)
	if err == nil {
		// rec on the top-level set, on `inputs = { ... }` and on every set
		// inside it.
		if set, ok := f.Expr.(*AttrSet); ok && !set.Rec {
			add("rec-top-level", s.build(map[int]string{set.Open: "rec "}, nil))
		}
		inputsBlocks := map[int]string{}
		walk(f.Expr, func(n Node) {
			def, ok := n.(*AttrDef)
			if !ok {
				return
			}
			if first, ok := StaticName(def.Path.Names[0]); !ok || first != "inputs" {
				return
			}
			walk(def, func(n Node) {
				if set, ok := n.(*AttrSet); ok && !set.Rec {
					inputsBlocks[set.Open] = "rec "
				}
			})
		})
		if len(inputsBlocks) > 0 {
			add("rec-inputs-blocks", s.build(inputsBlocks, nil))
		}
		// Attribute names: quoted, escaped, interpolated.
		var names []*Ident
		walk(f.Expr, func(n Node) {
			if def, ok := n.(*AttrDef); ok {
				for _, nm := range def.Path.Names {
					if id, ok := nm.(*Ident); ok {
						names = append(names, id)
					}
				}
			}
		})
		forms := map[string]func(string) string{
			"quoted-names": func(n string) string { return `"` + n + `"` },
			"escaped-names": func(n string) string {
				for i := 0; i < len(n); i++ {
					if c := n[i]; c != 'n' && c != 'r' && c != 't' {
						return `"` + n[:i] + `\` + n[i:] + `"`
					}
				}
				return `"` + n + `"`
			},
			"interpolated-names": func(n string) string { return `${"` + n + `"}` },
		}
		for _, kind := range []string{"quoted-names", "escaped-names", "interpolated-names"} {
			replace := map[int]string{}
			for _, id := range names {
				first, _ := id.Tokens()
				replace[first] = forms[kind](id.Name)
			}
			if len(replace) > 0 {
				add(kind, s.build(nil, replace))
			}
		}
		// Every form of the url strings, all at once and one at a time.
		urls := urlStrings(f)
		for _, form := range urlForms {
			if r := replaceURLs(urls, form.form); r != nil {
				add("urls-"+form.name, s.build(nil, r))
			}
			if len(urls) > 1 {
				u := urls[rng.Intn(len(urls))]
				if r := replaceURLs([]urlString{u}, form.form); r != nil {
					add("url-"+form.name, s.build(nil, r))
				}
			}
		}
	}

	for k := 0; k < 10; k++ {
		at := rng.Intn(len(src))
		add(fmt.Sprintf("cut-%d", at), append([]byte{}, src[:at]...))
	}
	for k := 0; k < 10; k++ {
		i := s.randomSlot(rng)
		tok := strayTokens[rng.Intn(len(strayTokens))]
		add(fmt.Sprintf("stray-%d-%q", i, tok), s.build(map[int]string{i: " " + tok + " "}, nil))
	}
	// Wrappers: Nix's flake commands want an attribute set literal, and
	// parentheses are no wrapper to Nix.
	add("wrapped-in-let", append([]byte("let x = 1; in "), src...))
	add("wrapped-in-with", append([]byte("with { }; "), src...))
	add("wrapped-in-assert", append([]byte("assert true; "), src...))
	add("wrapped-in-parens", append(append([]byte("( "), src...), "\n)\n"...))
	add("bom", append([]byte("\xef\xbb\xbf"), src...))
	add("bom-in-comment", append([]byte("# \xef\xbb\xbf\n"), src...))
	for k := 0; k < 2; k++ {
		add(fmt.Sprintf("form-feed-%d", k), s.build(map[int]string{s.randomSlot(rng): "\f"}, nil))
		add(fmt.Sprintf("nbsp-%d", k), s.build(map[int]string{s.randomSlot(rng): "\xc2\xa0"}, nil))
	}
	add("vertical-tab", s.build(map[int]string{s.randomSlot(rng): "\v"}, nil))
	add("form-feed-in-comment", s.build(map[int]string{s.randomSlot(rng): "/* \f\xc2\xa0 */"}, nil))
	return out
}

// uriSchemes are schemes to try on a URI literal; the ones that do not
// match [a-zA-Z][a-zA-Z0-9+-.]* make something else of it.
var uriSchemes = []string{"a", "Z", "z9", "a+b", "a-b", "a.b", "git+ssh", "a1.2-3+4",
	"1a", "+a", "-a", ".a", "a_b", "a~b", "a%b", "é"}

// uriCharVariants writes the first URI-like url of a corpus file as an
// unquoted URI literal with each character of Nix's URI class, and some
// outside it, after the colon, in the middle and at the end, and with
// other schemes; a different corpus file for each.
func uriCharVariants(t *testing.T) []variant {
	t.Helper()
	type base struct {
		name string
		s    *source
		u    urlString
	}
	var bases []base
	for _, path := range corpusFiles(t) {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		f, err := Parse("flake.nix", src)
		if err != nil {
			continue
		}
		for _, u := range urlStrings(f) {
			if uriLiteral.MatchString(u.value) && strings.Count(u.value, "") > 8 {
				bases = append(bases, base{filepath.Base(filepath.Dir(path)), newSource(src), u})
				break
			}
		}
	}
	if len(bases) == 0 {
		t.Fatal("no corpus file has a URI-like url")
	}
	var chars []byte
	for c := 0; c < 256; c++ {
		if isURIChar(byte(c)) {
			chars = append(chars, byte(c))
		}
	}
	outside := []byte("#\"(){}[]^|<>\\` \t;\x7f\xc3\x00")
	var out []variant
	n := 0
	// literal writes the url of the next base file as text.
	literal := func(kind string, text func(scheme, rest string) string) {
		b := bases[n%len(bases)]
		n++
		scheme, rest, _ := strings.Cut(b.u.value, ":")
		r := replaceURLs([]urlString{b.u}, func(urlString) (string, bool) { return text(scheme, rest), true })
		out = append(out, variant{b.name + "/" + kind, b.s.build(nil, r)})
	}
	for _, c := range append(chars, outside...) {
		ch := string(c)
		literal(fmt.Sprintf("uri-char-%q-after-colon", c), func(scheme, rest string) string { return scheme + ":" + ch + rest })
		literal(fmt.Sprintf("uri-char-%q-middle", c), func(scheme, rest string) string {
			return scheme + ":" + rest[:len(rest)/2] + ch + rest[len(rest)/2:]
		})
		literal(fmt.Sprintf("uri-char-%q-end", c), func(scheme, rest string) string { return scheme + ":" + rest + ch })
	}
	for _, sc := range uriSchemes {
		literal(fmt.Sprintf("uri-scheme-%q", sc), func(_, rest string) string { return sc + ":" + rest })
	}
	literal("uri-empty-after-colon", func(scheme, _ string) string { return scheme + ":" })
	return out
}
