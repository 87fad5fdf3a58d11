package rewrite

import (
	"sort"
	"strings"
	"testing"

	"github.com/flakedup/flakedup/internal/testenv"
)

// newerNixParses lists the parser-differential inputs on which a newer
// Nix's parser disagrees with Nix 2.8, whose rules flakedup's parser
// follows (see ../shared/NIX-NOTES.md), by variant name (tricky/line-N is line N of tricky.txt),
// with the reason. TestDifferentialNewerNix fails when the list is wrong in
// either direction, so a new difference is noticed and a stale entry goes.
var newerNixParses = map[string]string{
	"tricky/line-284": "a NUL byte in a string: 2.26 and newer reject it, 2.8 ends the input there",
	"tricky/line-321": "a follows before the inputs block it extends: 2.26 and newer merge them, 2.8 says \"already defined\"",
	"tricky/line-322": "the same, nested spelling",
}

// TestDifferentialNewerNix asks every newer Nix of testenv.Nixes (CI
// installs sid's beside Debian's 2.8), with the experimental features it
// needs (pipe-operators), about the corpus files, a sample of the mutated
// variants and every hand-written edge case, and requires flakedup's
// verdict to equal that Nix's everywhere but newerNixParses.
func TestDifferentialNewerNix(t *testing.T) {
	var newer []testenv.Nix
	for _, n := range testenv.Nixes(t) {
		if n.Name != "system" {
			newer = append(newer, n)
		}
	}
	if len(newer) == 0 {
		t.Skipf("no newer Nix (set %s to its bin directory)", testenv.EnvNixNew)
	}
	originals, variants, tricky := differentialSet(t)
	sample := append([]variant{}, originals...)
	for i := 0; i < len(variants); i += liveSampleStride {
		sample = append(sample, variants[i])
	}
	sample = append(sample, tricky...)
	for _, n := range newer {
		live := nixVerdicts(t, n.Instantiate, sample, n.FeatureArgs()...)
		var differ []string
		for _, v := range sample {
			_, err := Parse("flake.nix", v.src)
			if got := err == nil; got != live[v.key()] {
				differ = append(differ, v.name)
				if _, known := newerNixParses[v.name]; !known {
					t.Errorf("%s: Nix %s accepts=%v, Parse error=%v", v.name, n.Version, live[v.key()], err)
				}
			}
		}
		sort.Strings(differ)
		seen := map[string]bool{}
		for _, d := range differ {
			seen[d] = true
		}
		for name, why := range newerNixParses {
			if !seen[name] {
				t.Errorf("%s (%s): Nix %s now agrees with flakedup; drop it from newerNixParses", name, why, n.Version)
			}
		}
		t.Logf("Nix %s: %d of %d inputs agree; differ as recorded: %s", n.Version, len(sample)-len(differ), len(sample), strings.Join(differ, ", "))
	}
}
