package rewrite

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/flakedup/flakedup/internal/testenv"
)

// TestPinStems checks that every PinWords phrase contains one of the
// stems mayPin looks for, so that mayPin is false only where pinRE cannot
// match, and that matchPin finds every phrase (its shortcut tries phrases
// only at their first letters).
func TestPinStems(t *testing.T) {
	for _, w := range PinWords {
		if !mayPin(w) {
			t.Errorf("PinWords %q contains none of %q", w, pinStems)
		}
		if !matchPin(w) || !matchPin("("+strings.ToUpper(w)+")") {
			t.Errorf("matchPin does not find PinWords %q", w)
		}
	}
}

// prefilterCases are comment texts on both sides of each prefilter: case
// variants, the case partners (?i) knows beyond ASCII (the Kelvin sign and
// the long s), and words that only contain a stem.
var prefilterCases = []string{
	"", "x", "pin", "PIN", "Pinned on purpose", "pins", "pinſ", "unpinned", "pin-point",
	"frozen", "FROZEN until 24.05", "do not update", "Do  Not\tUpdate", "don't bump", "DONT UPDATE",
	"do not follow", "don't  follow nixpkgs", "following", "bump", "bumped",
	"flakedup: ignore", "FLAKEDUP:ignore", "flaKedup: ignore", "flakedup: ignored", "flakedup:",
	"flakedup ignore", "xflakedup: ignore",
	`nixpkgs.follows = "nixpkgs";`, `inputs.hm.inputs.nixpkgs.follows = "nixpkgs"; # why`,
	`"hm".inputs.nixpkgs.follows = "x"`, `_x.follows="y"`, `9x.follows = "y"`, `.follows = "y"`,
	`url = "github:a/b";`, "nixpkgs.url = x", `hm.inputs.nixpkgs.FOLLOWS = "y"`, " a = 1",
}

// TestPrefilters checks each prefilter against its regexp on
// prefilterCases: wherever a regexp matches, its prefilter must say it may.
func TestPrefilters(t *testing.T) {
	if matched := checkPrefilters(t, prefilterCases); len(matched) != 4 {
		t.Errorf("regexps that matched some case: %v, want all 4", matched)
	}
}

// TestPrefiltersCorpus is TestPrefilters on every comment of the corpus's
// flake.nix files.
func TestPrefiltersCorpus(t *testing.T) {
	texts := commentsOf(t, testenv.CorpusFiles(t, "flake.nix"))
	matched := checkPrefilters(t, texts)
	t.Logf("%d comments; matches: %v", len(texts), matched)
}

// checkPrefilters fails t where a matcher of intent.go matches one of
// texts that its prefilter rules out, and returns how many texts each
// matched.
func checkPrefilters(t *testing.T, texts []string) map[string]int {
	t.Helper()
	// commentedFollows takes a followsLineRE match only when its path
	// ends in "follows".
	followsLine := func(text string) bool {
		attrPath, _, _, ok := matchFollowsLine(text)
		if !ok {
			return false
		}
		names := splitAttrPath(attrPath)
		return len(names) > 0 && names[len(names)-1] == "follows"
	}
	checks := []struct {
		name   string
		match  func(string) bool
		filter func(string) bool
	}{
		{"pinRE", pinRE.MatchString, mayPin},
		{"ignoreRE", ignoreRE().MatchString, mayIgnore},
		{"isCodeComment", isCodeComment, mayBeCode},
		{"matchFollowsLine", followsLine, func(s string) bool { return mayBeCode(s) && strings.Contains(s, "follows") }},
	}
	matched := map[string]int{}
	for _, text := range texts {
		for _, c := range checks {
			if c.match(text) {
				matched[c.name]++
				if !c.filter(text) {
					t.Errorf("%s matches %q but its prefilter says it cannot", c.name, text)
				}
			}
		}
	}
	return matched
}

// The regexps matchPin, isCodeComment and matchFollowsLine stand for (see
// intent.go).
var (
	pinRE         = regexp.MustCompile(`(?i)(^|[^a-z0-9'-])(` + pinAlternatives() + `)($|[^a-z0-9'-])`)
	codeRE        = regexp.MustCompile(`^(?:[A-Za-z_][A-Za-z0-9_'-]*|"[^"\\]*")(?:\.(?:[A-Za-z_][A-Za-z0-9_'-]*|"[^"\\]*"))*\s*=`)
	followsLineRE = regexp.MustCompile(`^((?:[A-Za-z_][A-Za-z0-9_'-]*|"[^"\\]*")(?:\.(?:[A-Za-z_][A-Za-z0-9_'-]*|"[^"\\]*"))*)\s*=\s*"([^"\\]*)"\s*;?\s*(.*)$`)
)

// pinAlternatives is PinWords as regexp alternatives, each space standing
// for `\s+`.
func pinAlternatives() string {
	alts := make([]string, len(PinWords))
	for i, w := range PinWords {
		alts[i] = strings.ReplaceAll(regexp.QuoteMeta(w), " ", `\s+`)
	}
	return strings.Join(alts, "|")
}

// commentMatcherCases are texts for TestCommentMatchers beside the corpus's
// comments: every way each element of the patterns can end.
var commentMatcherCases = []string{
	"", "a", "a=", "a =", "a\t\f\r\n=", "a==", "a.=", "a. =", "a..b=", ".a=", "a.b.c =", `"a" =`, `"a.b".c=`,
	`"a`, `"a\"b" =`, `a."" =`, `a."x\ny" =`, "a'-_9 =", "9a=", "_=", "a-=", "a'=1", "a b =", "a.b c =",
	`a.follows = "x"`, `a.follows="x";`, `a.follows = "x" ; why`, `a.follows = "x"  ;  why not  `,
	`a.follows = "x";;`, `a.follows = "x" # c`, "a.follows = \"x\";\nnext", "a.follows = \"x\"\n;\t rest",
	"a.follows =\n\"x\"", `a.follows = "x\"`, `a.follows = "x`, `a.follows = x`, `a.follows = ""`, `a.follows "x"`,
	`inputs.hm.inputs.nixpkgs.follows = "nixpkgs"; # pinned`, `"hm".inputs."nixpkgs".follows = "n/m"`,
	"a.follows = \"x\"; é\xff", "é = 1", "a\xff= 1",
	"pin", "PINS", "pinſ", "pinſx", "ſpin", "\u212apin", "pin\u212a", "K pin", "é pin", "pin é", "\xffpin", "pin\xff",
	"\xe2\x84pin", "pinned.", "(pinning)", "'pin'", "-pin", "pin-", "pin'", "pin_", "_pin", "9pin", "pin9",
	"don't\n\tupdate", "do not  bump!", "do notupdate", "don’t update", "dont follow", "DON'T FOLLOW", "do not\vupdate", "do\fnot\rupdate",
	"do not update", "frozen", "frozenset", "unfrozen", "pi", "p", "d", "f", "do not", "don't bump it",
}

// TestCommentMatchers: matchPin, isCodeComment and matchFollowsLine answer
// as their regexps do, on commentMatcherCases and every comment of the
// corpus and fixture flake.nix files.
func TestCommentMatchers(t *testing.T) {
	texts := append([]string{}, commentMatcherCases...)
	texts = append(texts, commentsOf(t, append(testenv.CorpusFiles(t, "flake.nix"), fixtureNixFiles(t)...))...)
	code, follows := 0, 0
	for _, text := range texts {
		if checkCommentMatchers(t, text) {
			code++
		}
		if m := followsLineRE.FindStringSubmatch(text); m != nil {
			follows++
		}
	}
	if code < 60 || follows < 40 {
		t.Errorf("of %d texts %d are code and %d follows lines: too few to tell", len(texts), code, follows)
	}
	t.Logf("%d texts, %d code, %d follows lines", len(texts), code, follows)
}

// FuzzCommentMatchers: isCodeComment and matchFollowsLine answer as their
// regexps do on any text.
func FuzzCommentMatchers(f *testing.F) {
	for _, text := range commentMatcherCases {
		f.Add(text)
	}
	f.Fuzz(func(t *testing.T, text string) { checkCommentMatchers(t, text) })
}

// checkCommentMatchers fails t where the matchers and the regexps differ
// on text, and reports whether codeRE matches it.
func checkCommentMatchers(t *testing.T, text string) bool {
	t.Helper()
	want := codeRE.MatchString(text)
	if got := isCodeComment(text); got != want {
		t.Errorf("isCodeComment(%q) = %v, codeRE says %v", text, got, want)
	}
	if got, want := matchPin(text), pinRE.MatchString(text); got != want {
		t.Errorf("matchPin(%q) = %v, pinRE says %v", text, got, want)
	}
	attrPath, target, rest, ok := matchFollowsLine(text)
	m := followsLineRE.FindStringSubmatch(text)
	switch {
	case ok != (m != nil):
		t.Errorf("matchFollowsLine(%q) ok = %v, followsLineRE says %v", text, ok, m != nil)
	case ok && (attrPath != m[1] || target != m[2] || rest != m[3]):
		t.Errorf("matchFollowsLine(%q) = %q %q %q, followsLineRE gives %q", text, attrPath, target, rest, m[1:])
	}
	return want
}

// TestMayPinIsContainsStem: mayPin is true exactly where text contains a
// stem, ASCII case folded, on prefilterCases, commentMatcherCases, the
// stems themselves in any case and every comment of the corpus.
func TestMayPinIsContainsStem(t *testing.T) {
	texts := append(append([]string{}, prefilterCases...), commentMatcherCases...)
	for _, stem := range pinStems {
		texts = append(texts, stem, strings.ToUpper(stem), "x"+stem, stem[:len(stem)-1], "."+strings.ToUpper(stem[:1])+stem[1:]+".")
	}
	texts = append(texts, commentsOf(t, testenv.CorpusFiles(t, "flake.nix"))...)
	yes := 0
	for _, text := range texts {
		want := false
		for _, stem := range pinStems {
			want = want || containsFoldASCII(text, stem)
		}
		if got := mayPin(text); got != want {
			t.Errorf("mayPin(%q) = %v, want %v", text, got, want)
		}
		if want {
			yes++
		}
	}
	if yes < 20 {
		t.Errorf("only %d of %d texts contain a stem", yes, len(texts))
	}
}

// containsFoldASCII reports whether s contains sub (lower-case ASCII),
// comparing ASCII letters without case.
func containsFoldASCII(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		j := 0
		for j < len(sub) && lowerASCII(s[i+j]) == sub[j] {
			j++
		}
		if j == len(sub) {
			return true
		}
	}
	return false
}

// commentsOf returns the text of every comment of the .nix files at paths
// that parse (some fixtures are broken files on purpose).
func commentsOf(t *testing.T, paths []string) []string {
	t.Helper()
	var texts []string
	for _, path := range paths {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		f, err := Parse(path, src)
		if err != nil {
			continue
		}
		for _, c := range f.comments() {
			texts = append(texts, c.text)
		}
	}
	return texts
}
