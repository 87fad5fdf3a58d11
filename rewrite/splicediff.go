package rewrite

import (
	"bytes"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// changedSpan is a byte range that an edit changed: old[oldStart:oldEnd] became
// new[newStart:newEnd], and the bytes around it are the same in both.
type changedSpan struct{ oldStart, oldEnd, newStart, newEnd int }

// composeSpan adds to spans (in order, not overlapping, from an original
// text to the current one) the change c of the current text (c.oldStart
// and c.oldEnd are offsets of the current text, the new length is
// c.newEnd-c.newStart), and returns the spans from the original text to
// the changed one. Spans that c overlaps or touches become one.
func composeSpan(spans []changedSpan, c changedSpan) []changedSpan {
	start, end := c.oldStart, c.oldEnd
	grow := (c.newEnd - c.newStart) - (end - start)
	i := sort.Search(len(spans), func(k int) bool { return spans[k].newEnd >= start })
	j := i
	for j < len(spans) && spans[j].newStart <= end {
		j++
	}
	shift := 0 // new offset minus old offset before c
	if i > 0 {
		shift = spans[i-1].newEnd - spans[i-1].oldEnd
	}
	m := changedSpan{oldStart: start - shift, oldEnd: end - shift, newStart: start, newEnd: end}
	if j > i {
		first, last := spans[i], spans[j-1]
		if first.newStart <= start {
			m.oldStart, m.newStart = first.oldStart, first.newStart
		}
		if last.newEnd >= end {
			m.oldEnd, m.newEnd = last.oldEnd, last.newEnd
		} else {
			m.oldEnd = end - (last.newEnd - last.oldEnd)
		}
	}
	m.newEnd += grow
	out := make([]changedSpan, 0, len(spans)-(j-i)+1)
	out = append(out, spans[:i]...)
	out = append(out, m)
	for _, sp := range spans[j:] {
		sp.newStart += grow
		sp.newEnd += grow
		out = append(out, sp)
	}
	return out
}

// lineRegion is a run of whole lines that differ: the lines del of old,
// starting at byte oldAt and line oldLine (0-based), became the lines ins
// of new, starting at byte newAt and line newLine. oldEnd and newEnd are
// the bytes after them.
type lineRegion struct {
	oldAt, oldEnd, newAt, newEnd int
	oldLine, newLine             int
	del, ins                     []string
}

// spliceDiff returns Diff(name, old, new) for a new that is old with the
// spans changed, looking only at the lines the spans touch and the lines
// around them.
//
// Diff's edit script is a shortest one: go-diff with no time limit and no
// half-match strips the common prefix and suffix, finds a shortest script
// for what is left (Myers) and tidies it (DiffCleanupMerge). The spans give
// one script: the lines they touch removed and written anew, every other
// line kept. spliceDiff first moves the first and the last run of changed
// lines where the prefix and suffix stripping puts them when that run only
// adds or only removes lines (a block written after a block goes after
// its closing line, not before it), then writes the script when, between
// the stripped ends, it is the only shortest one, and the tidying moves
// nothing into the stripped ends. It is the only one when either (a) no
// removed line occurs anywhere in new (a shortest script then keeps every
// other line of old, and only their placement among the new lines could
// vary) and no added line equals a kept neighbour of its run, or (b) the
// same with old and new, removed and added, swapped. Otherwise (a line
// written again between equal ones, say) it returns Diff itself.
func spliceDiff(name string, old, new []byte, spans []changedSpan) string {
	if bytes.Equal(old, new) {
		return ""
	}
	regions, oldLines, ok := spliceScript(old, new, spans)
	if !ok {
		return Diff(name, old, new)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "--- a/%s\n+++ b/%s\n", name, name)
	for i := 0; i < len(regions); {
		j := i + 1 // regions[i:j] make one hunk
		for j < len(regions) && regions[j].oldLine-(regions[j-1].oldLine+len(regions[j-1].del)) <= 2*diffContext {
			j++
		}
		lines := hunkLines(old, regions[i:j], oldLines)
		writeHunk(&b, lines, hunk{0, len(lines)})
		i = j
	}
	return b.String()
}

// spliceScript returns the regions of the script spliceDiff writes for
// old and new, with the number of lines of old, or false when it leaves
// them to Diff.
func spliceScript(old, new []byte, spans []changedSpan) ([]lineRegion, int, bool) {
	regions := lineRegions(old, new, spans)
	oldLines := bytes.Count(old, []byte("\n"))
	if len(old) > 0 && old[len(old)-1] != '\n' {
		oldLines++
	}
	// No regions would mean old and new are equal: not for spans that
	// cover every change.
	ok := len(regions) > 0 && settleEnds(old, regions) && uniqueScript(old, new, regions) && keptEnds(old, regions, oldLines)
	return regions, oldLines, ok
}

// hunkLines is the edit script of one hunk: the regions rs, the kept lines
// between them and up to diffContext kept lines around them; oldLines is
// the number of lines of old.
func hunkLines(old []byte, rs []lineRegion, oldLines int) []diffLine {
	var lines []diffLine
	// kept appends the kept lines of text, the first at old line k
	// (0-based), shifted by shift in new.
	kept := func(text []byte, k, shift int) {
		for _, t := range splitLines(string(text)) {
			lines = append(lines, diffLine{op: ' ', text: t, oldLine: k + 1, newLine: k + shift + 1})
			k++
		}
	}
	first := rs[0]
	before := min(diffContext, first.oldLine)
	at := first.oldAt
	for n := 0; n < before; n++ {
		at = bytes.LastIndexByte(old[:at-1], '\n') + 1
	}
	kept(old[at:first.oldAt], first.oldLine-before, first.newLine-first.oldLine)
	for i, r := range rs {
		for k, t := range r.del {
			lines = append(lines, diffLine{op: '-', text: t, oldLine: r.oldLine + k + 1, newLine: r.newLine + 1})
		}
		oldTo := r.oldLine + len(r.del)
		for k, t := range r.ins {
			lines = append(lines, diffLine{op: '+', text: t, oldLine: oldTo + 1, newLine: r.newLine + k + 1})
		}
		shift := r.newLine + len(r.ins) - oldTo
		if i+1 < len(rs) {
			kept(old[r.oldEnd:rs[i+1].oldAt], oldTo, shift)
			continue
		}
		after := min(diffContext, oldLines-oldTo)
		end := r.oldEnd
		for n := 0; n < after; n++ {
			end = lineEnd(old, end)
		}
		kept(old[r.oldEnd:end], oldTo, shift)
	}
	return lines
}

// lineRegions turns spans into the runs of whole lines they touch, with
// the lines the same at both ends of a run left out, and runs that touch
// made one: between two regions there is at least one kept line. Regions
// whose lines are all the same are dropped.
func lineRegions(old, new []byte, spans []changedSpan) []lineRegion {
	var raw []lineRegion
	for _, sp := range spans {
		a := bytes.LastIndexByte(old[:sp.oldStart], '\n') + 1
		b := sp.oldEnd
		if !atLineStart(old, sp.oldEnd) || !atLineStart(new, sp.newEnd) {
			b = lineEnd(old, sp.oldEnd)
		}
		if n := len(raw); n > 0 && a <= raw[n-1].oldEnd {
			r := &raw[n-1]
			r.oldEnd = max(r.oldEnd, b)
			r.newEnd = r.oldEnd + (sp.newEnd - sp.oldEnd)
			continue
		}
		raw = append(raw, lineRegion{oldAt: a, oldEnd: b, newAt: a + (sp.newStart - sp.oldStart), newEnd: b + (sp.newEnd - sp.oldEnd)})
	}
	var regions []lineRegion
	line, lineAt, shift := 0, 0, 0 // old line number at byte lineAt; new minus old line numbers
	for _, r := range raw {
		line += bytes.Count(old[lineAt:r.oldAt], []byte("\n"))
		lineAt = r.oldAt
		r.oldLine, r.newLine = line, line+shift
		r.del = splitLines(string(old[r.oldAt:r.oldEnd]))
		r.ins = splitLines(string(new[r.newAt:r.newEnd]))
		shift += len(r.ins) - len(r.del)
		for len(r.del) > 0 && len(r.ins) > 0 && r.del[0] == r.ins[0] {
			r.oldAt += len(r.del[0])
			r.newAt += len(r.ins[0])
			r.oldLine++
			r.newLine++
			r.del, r.ins = r.del[1:], r.ins[1:]
		}
		for len(r.del) > 0 && len(r.ins) > 0 && r.del[len(r.del)-1] == r.ins[len(r.ins)-1] {
			r.oldEnd -= len(r.del[len(r.del)-1])
			r.newEnd -= len(r.ins[len(r.ins)-1])
			r.del, r.ins = r.del[:len(r.del)-1], r.ins[:len(r.ins)-1]
		}
		if len(r.del) > 0 || len(r.ins) > 0 {
			regions = append(regions, r)
		}
	}
	return regions
}

// uniqueScript reports whether the script regions give is the only
// shortest edit script from old to new between the start of the first
// region and the end of the last (see spliceDiff).
func uniqueScript(old, new []byte, regions []lineRegion) bool {
	return sideUnique(old, new, regions, false) || sideUnique(new, old, regions, true)
}

// edit returns the lines r adds, or removes, when it does only that, and
// nil when it does both.
func (r *lineRegion) edit() []string {
	switch {
	case len(r.del) == 0:
		return r.ins
	case len(r.ins) == 0:
		return r.del
	}
	return nil
}

// move moves r, which only adds or only removes lines, by n lines (up when
// n is negative) and size bytes, its lines becoming edit.
func (r *lineRegion) move(n, size int, edit []string) {
	r.oldAt += size
	r.oldEnd += size
	r.newAt += size
	r.newEnd += size
	r.oldLine += n
	r.newLine += n
	if len(r.del) == 0 {
		r.ins = edit
	} else {
		r.del = edit
	}
}

// settleEnds moves the first and the last region where go-diff's common
// prefix and suffix stripping leaves them, when they only add or only
// remove lines: a run of lines E added before kept lines K that start
// with E's first lines is matched by the prefix as far as E+K and K agree,
// and the run goes after what was matched; the last region likewise
// against the kept lines before it. It reports false when the matching
// would run through the kept lines into the next region.
func settleEnds(old []byte, rs []lineRegion) bool {
	if len(rs) == 0 {
		return true
	}
	if first := &rs[0]; first.edit() != nil {
		e := first.edit()
		limit := len(old)
		if len(rs) > 1 {
			limit = rs[1].oldAt
		}
		var kept []string // the kept lines the prefix matched
		at := first.oldEnd
		for at < limit {
			end := lineEnd(old, at)
			line := string(old[at:end])
			if t := len(kept); (t < len(e) && e[t] != line) || (t >= len(e) && kept[t-len(e)] != line) {
				break
			}
			kept = append(kept, line)
			at = end
		}
		if t := len(kept); t > 0 {
			if at >= limit {
				return false
			}
			moved := make([]string, len(e))
			for i := range moved {
				if j := t + i; j < len(e) {
					moved[i] = e[j]
				} else {
					moved[i] = kept[j-len(e)]
				}
			}
			first.move(t, at-first.oldEnd, moved)
		}
	}
	if len(rs) < 2 {
		return true // the suffix is what the prefix left
	}
	last := &rs[len(rs)-1]
	e := last.edit()
	if e == nil {
		return true
	}
	limit := rs[len(rs)-2].oldEnd
	var kept []string // the kept lines the suffix matched, from the last
	at := last.oldAt
	for at > limit {
		start := bytes.LastIndexByte(old[:at-1], '\n') + 1
		line := string(old[start:at])
		if u := len(kept); (u < len(e) && e[len(e)-1-u] != line) || (u >= len(e) && kept[u-len(e)] != line) {
			break
		}
		kept = append(kept, line)
		at = start
	}
	if u := len(kept); u > 0 {
		if at <= limit {
			return false
		}
		moved := make([]string, len(e))
		for i := range moved {
			// moved[i] is line u+len(e)-1-i from the end of kept+e.
			if j := u + len(e) - 1 - i; j < len(e) {
				moved[i] = e[len(e)-1-j]
			} else {
				moved[i] = kept[j-len(e)]
			}
		}
		last.move(-u, at-last.oldAt, moved)
	}
	return true
}

// keptEnds reports whether DiffCleanupMerge leaves the first and the last
// region where they are: it moves a region that only adds or removes lines
// over the kept lines before it when the region ends with all of them, or
// over those after it when it starts with all of them. Between two regions
// uniqueScript rules that out; this checks the lines from the start of old
// to the first region and from the last region to the end.
func keptEnds(old []byte, rs []lineRegion, oldLines int) bool {
	if len(rs) == 0 {
		return true
	}
	if first := &rs[0]; first.edit() != nil && first.oldLine > 0 && first.oldLine <= len(first.edit()) {
		e := first.edit()
		before := splitLines(string(old[:first.oldAt]))
		if slices.Equal(e[len(e)-len(before):], before) {
			return false
		}
	}
	last := &rs[len(rs)-1]
	if e := last.edit(); e != nil {
		after := oldLines - (last.oldLine + len(last.del))
		if after > 0 && after <= len(e) && slices.Equal(e[:after], splitLines(string(old[last.oldEnd:]))) {
			return false
		}
	}
	return true
}

// sideUnique checks condition (a) of spliceDiff, or (b) when swapped: the
// removed lines (the added ones when swapped) occur nowhere in other, and
// no added line (removed line when swapped) equals a kept neighbour of its
// run. The kept neighbours are read from src (old, or new when swapped).
func sideUnique(src, other []byte, regions []lineRegion, swapped bool) bool {
	idx := lineIndex{text: other}
	for i, r := range regions {
		gone, put, at, end := r.del, r.ins, r.oldAt, r.oldEnd
		if swapped {
			gone, put, at, end = r.ins, r.del, r.newAt, r.newEnd
		}
		for _, l := range gone {
			if idx.has(l) {
				return false
			}
		}
		if len(put) == 0 {
			continue
		}
		// The first region's kept line before it and the last one's after
		// it lie in the stripped prefix and suffix (see settleEnds), which
		// the shortest script of what is left does not see.
		var before, after string
		if at > 0 && i > 0 {
			before = string(src[bytes.LastIndexByte(src[:at-1], '\n')+1 : at])
		}
		if end < len(src) && i < len(regions)-1 {
			after = string(src[end:lineEnd(src, end)])
		}
		for _, l := range put {
			if l == before || l == after {
				return false
			}
		}
	}
	return true
}

// lineIndex answers whether a line occurs in text, by searching it for the
// first few lines asked about and through a set of its lines after that.
type lineIndex struct {
	text  []byte
	asked int
	set   map[string]struct{}
}

// lineIndexSearches is how many lines lineIndex looks for by searching
// text before it builds the set of its lines.
const lineIndexSearches = 16

// has reports whether line (with its line ending, if it has one) is a
// line of text.
func (x *lineIndex) has(line string) bool {
	x.asked++
	if x.asked <= lineIndexSearches {
		return containsLine(x.text, line)
	}
	if x.set == nil {
		x.set = map[string]struct{}{}
		for _, l := range splitLines(string(x.text)) {
			x.set[l] = struct{}{}
		}
	}
	_, ok := x.set[line]
	return ok
}

// containsLine reports whether line (with its line ending, if it has one)
// is a line of text.
func containsLine(text []byte, line string) bool {
	for off := 0; off <= len(text); {
		i := bytes.Index(text[off:], []byte(line))
		if i < 0 {
			return false
		}
		at := off + i
		if atLineStart(text, at) && (strings.HasSuffix(line, "\n") || at+len(line) == len(text)) {
			return true
		}
		off = at + 1
	}
	return false
}

// atLineStart reports whether offset i of text starts a line.
func atLineStart(text []byte, i int) bool { return i == 0 || text[i-1] == '\n' }

// lineEnd returns the offset after the line of text that holds offset i
// (after its "\n", or the end of text).
func lineEnd(text []byte, i int) int {
	j := bytes.IndexByte(text[i:], '\n')
	if j < 0 {
		return len(text)
	}
	return i + j + 1
}
