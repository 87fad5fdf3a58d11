package rewrite

import (
	"fmt"
	"strings"

	"github.com/sergi/go-diff/diffmatchpatch"
)

// diffContext is the number of unchanged lines shown around each change,
// the default of diff -u and git diff.
const diffContext = 3

// Diff returns a unified diff that turns old into new, with "--- a/<name>"
// and "+++ b/<name>" headers and hunks carrying 3 lines of context, in the
// form `git apply` and `patch -p1` accept. Line endings are kept byte for
// byte (a CRLF file gives CRLF lines), and a last line without a newline is
// followed by "\ No newline at end of file". Diff returns "" when old and
// new are equal.
func Diff(name string, old, new []byte) string {
	if string(old) == string(new) {
		return ""
	}
	script := lineScript(string(old), string(new))
	var b strings.Builder
	fmt.Fprintf(&b, "--- a/%s\n+++ b/%s\n", name, name)
	for _, h := range hunks(script) {
		writeHunk(&b, script, h)
	}
	return b.String()
}

// diffLine is one line of an edit script: kept (' '), removed ('-') or
// added ('+'). text includes the line terminator, if the line has one.
type diffLine struct {
	op   byte
	text string
	// oldLine and newLine are the 1-based numbers the line would have in
	// old and new before it is applied: for a removed line newLine is the
	// number of the next new line, and the other way round.
	oldLine, newLine int
}

// lineScript diffs old and new line by line and returns the edit script.
func lineScript(old, new string) []diffLine {
	dmp := diffmatchpatch.New()
	dmp.DiffTimeout = 0 // an exact diff, the same on every machine
	runes1, runes2, lines := dmp.DiffLinesToRunes(old, new)
	diffs := dmp.DiffCharsToLines(dmp.DiffMainRunes(runes1, runes2, false), lines)

	var script []diffLine
	oldLine, newLine := 1, 1
	for _, d := range diffs {
		for _, text := range splitLines(d.Text) {
			l := diffLine{text: text, oldLine: oldLine, newLine: newLine}
			switch d.Type {
			case diffmatchpatch.DiffEqual:
				l.op = ' '
				oldLine++
				newLine++
			case diffmatchpatch.DiffDelete:
				l.op = '-'
				oldLine++
			case diffmatchpatch.DiffInsert:
				l.op = '+'
				newLine++
			}
			script = append(script, l)
		}
	}
	return script
}

// splitLines splits s after every "\n"; the last line may lack one.
func splitLines(s string) []string {
	var lines []string
	for s != "" {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			lines = append(lines, s)
			break
		}
		lines = append(lines, s[:i+1])
		s = s[i+1:]
	}
	return lines
}

// hunk is a half-open range [start, end) of an edit script.
type hunk struct{ start, end int }

// hunks groups the changed lines of script into hunks with diffContext
// lines of context; changes closer than twice the context share a hunk.
func hunks(script []diffLine) []hunk {
	var out []hunk
	for i := 0; i < len(script); i++ {
		if script[i].op == ' ' {
			continue
		}
		start := max(0, i-diffContext)
		last := i // the last changed line of this hunk
		for j := i + 1; j < len(script); j++ {
			if script[j].op == ' ' {
				if j-last > 2*diffContext {
					break
				}
				continue
			}
			last = j
		}
		end := min(len(script), last+1+diffContext)
		out = append(out, hunk{start, end})
		i = last
	}
	return out
}

// writeHunk writes the header and lines of h.
func writeHunk(b *strings.Builder, script []diffLine, h hunk) {
	lines := script[h.start:h.end]
	var oldCount, newCount int
	for _, l := range lines {
		if l.op != '+' {
			oldCount++
		}
		if l.op != '-' {
			newCount++
		}
	}
	fmt.Fprintf(b, "@@ -%s +%s @@\n",
		hunkRange(lines[0].oldLine, oldCount), hunkRange(lines[0].newLine, newCount))
	for _, l := range lines {
		b.WriteByte(l.op)
		b.WriteString(l.text)
		if !strings.HasSuffix(l.text, "\n") {
			b.WriteString("\n\\ No newline at end of file\n")
		}
	}
}

// hunkRange formats one side of a hunk header the way diff -u does: an
// empty range names the line before it, and a count of 1 is left out.
func hunkRange(start, count int) string {
	switch count {
	case 0:
		return fmt.Sprintf("%d,0", start-1)
	case 1:
		return fmt.Sprintf("%d", start)
	}
	return fmt.Sprintf("%d,%d", start, count)
}
