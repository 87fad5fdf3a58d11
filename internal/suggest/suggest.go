// Package suggest finds the names a mistyped name most likely meant: the
// "did you mean" of every error about an unknown command, input, source or
// flag value, so that all of them suggest by the same rule.
package suggest

import (
	"sort"
	"strings"
)

// Closest returns up to n distinct candidates within a small edit distance
// of s, ignoring letter case (at most len(s)/3+1 edits, and fewer than half
// the letters of the longer name, so that "b" never suggests "a"), closest
// first, then in byte order. Empty candidates are skipped.
func Closest(s string, candidates []string, n int) []string {
	type scored struct {
		name string
		dist int
	}
	limit := len(s)/3 + 1
	low := strings.ToLower(s)
	seen := map[string]bool{}
	var found []scored
	for _, c := range candidates {
		if seen[c] || c == "" {
			continue
		}
		seen[c] = true
		if d := Distance(low, strings.ToLower(c)); d <= limit && 2*d < max(len(s), len(c)) {
			found = append(found, scored{c, d})
		}
	}
	sort.Slice(found, func(i, j int) bool {
		if found[i].dist != found[j].dist {
			return found[i].dist < found[j].dist
		}
		return found[i].name < found[j].name
	})
	var out []string
	for i := 0; i < len(found) && i < n; i++ {
		out = append(out, found[i].name)
	}
	return out
}

// Best returns the one candidate Closest puts first, or "" when none is
// close enough.
func Best(s string, candidates []string) string {
	if c := Closest(s, candidates, 1); len(c) == 1 {
		return c[0]
	}
	return ""
}

// Distance is the edit distance between a and b, in bytes, counting a
// swap of two neighbouring letters as one edit ("fxi" is one edit from
// "fix"): the optimal string alignment distance.
func Distance(a, b string) int {
	// rows i-2, i-1 and i of the dynamic programme.
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
