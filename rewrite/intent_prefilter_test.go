package rewrite

import (
	"os"
	"strings"
	"testing"

	"github.com/flakedup/flakedup/internal/testenv"
)

// TestPinStems checks that every PinWords phrase contains one of the
// stems mayPin looks for, so that mayPin is false only where pinRE cannot
// match.
func TestPinStems(t *testing.T) {
	for _, w := range PinWords {
		if !mayPin(w) {
			t.Errorf("PinWords %q contains none of %q", w, pinStems)
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
	var texts []string
	for _, path := range testenv.CorpusFiles(t, "flake.nix") {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		f, err := Parse(path, src)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range f.comments() {
			texts = append(texts, c.text)
		}
	}
	matched := checkPrefilters(t, texts)
	t.Logf("%d comments; matches: %v", len(texts), matched)
}

// checkPrefilters fails t where a regexp of intent.go matches one of texts
// that its prefilter rules out, and returns how many texts each matched.
func checkPrefilters(t *testing.T, texts []string) map[string]int {
	t.Helper()
	// commentedFollows takes a followsLineRE match only when its path
	// ends in "follows".
	followsLine := func(text string) bool {
		m := followsLineRE().FindStringSubmatch(text)
		if m == nil {
			return false
		}
		names := splitAttrPath(m[1])
		return len(names) > 0 && names[len(names)-1] == "follows"
	}
	checks := []struct {
		name   string
		match  func(string) bool
		filter func(string) bool
	}{
		{"pinRE", pinRE().MatchString, mayPin},
		{"ignoreRE", ignoreRE().MatchString, mayIgnore},
		{"codeRE", codeRE().MatchString, mayBeCode},
		{"followsLineRE", followsLine, func(s string) bool { return mayBeCode(s) && strings.Contains(s, "follows") }},
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
