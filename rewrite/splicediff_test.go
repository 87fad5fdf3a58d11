package rewrite

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/flakedup/flakedup/internal/genlock"
	"github.com/flakedup/flakedup/internal/testenv"
)

// byteSpan is the one span old and new differ by: between their common
// byte prefix and suffix.
func byteSpan(old, new string) []changedSpan {
	p := 0
	for p < len(old) && p < len(new) && old[p] == new[p] {
		p++
	}
	s := 0
	for s < len(old)-p && s < len(new)-p && old[len(old)-1-s] == new[len(new)-1-s] {
		s++
	}
	return []changedSpan{{p, len(old) - s, p, len(new) - s}}
}

// spliced writes changes (offsets of old, in order, not overlapping) into
// old and returns the result with its spans.
func spliced(old string, changes ...textChange) (string, []changedSpan) {
	out, spans := applyChanges([]byte(old), changes)
	return string(out), spans
}

// TestSpliceDiffCases checks spliceDiff against Diff on Diff's own cases
// (one span between the common prefix and suffix) and on edits in several
// places, and which of them it writes itself rather than handing to Diff.
// Lines written next to equal ones are written from the spans when they
// are the first or last change (the prefix and suffix stripping places
// them) and handed to Diff between two others.
func TestSpliceDiffCases(t *testing.T) {
	for _, c := range diffCases {
		if got, want := spliceDiff("f", []byte(c.old), []byte(c.new), byteSpan(c.old, c.new)), Diff("f", []byte(c.old), []byte(c.new)); got != want {
			t.Errorf("%s: spliceDiff\n%s\nDiff\n%s", c.name, got, want)
		}
	}
	ten := "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n"
	tests := []struct {
		name    string
		old     string
		changes []textChange
		own     bool // spliceDiff writes the script, not Diff
	}{
		{"line inserted", ten, []textChange{{4, 4, "X\n"}}, true},
		{"line equal to the one before", ten, []textChange{{4, 4, "2\n"}}, true},
		{"line equal to the one after", ten, []textChange{{4, 4, "3\n"}}, true},
		{"line equal to the one before, between two changes", ten, []textChange{{0, 0, "X\n"}, {10, 10, "5\n"}, {21, 21, "Y\n"}}, false},
		{"line equal to the one after, between two changes", ten, []textChange{{0, 0, "X\n"}, {10, 10, "6\n"}, {21, 21, "Y\n"}}, false},
		{"first of two, equal to the one after", ten, []textChange{{10, 10, "6\n"}, {21, 21, "Y\n"}}, true},
		{"last of two, equal to the one before", ten, []textChange{{0, 0, "X\n"}, {10, 10, "5\n"}}, true},
		{"first of two, its kept lines all matched", "a\nb\n", []textChange{{2, 2, "b\n"}, {4, 4, "d\n"}}, false},
		{"first of two, some of its kept lines matched", "a\nb\nc\n", []textChange{{2, 2, "b\n"}, {6, 6, "d\n"}}, true},
		{"ending with all the lines before it", "a\nb\nc\nd\ne\nf\ng\nh\n", []textChange{{2, 2, "x\na\n"}}, false},
		{"starting with all the lines after it", "a\nb\nc\nd\ne\nf\ng\nh\n", []textChange{{14, 14, "h\nx\n"}}, false},
		{"repeated line at the top", "a\na\nb\n", []textChange{{0, 0, "a\n"}}, true},
		{"line equal to one far off", ten, []textChange{{4, 4, "9\n"}}, true},
		{"mid-line insertion", ten, []textChange{{5, 5, ", x"}}, true},
		{"replaced text", ten, []textChange{{2, 3, "two"}}, true},
		{"replaced by a line of the file", ten, []textChange{{2, 3, "9"}}, true},
		{"replaced by a line of the file, its own gone elsewhere", "a\nb\nc\nb\n", []textChange{{2, 3, "c"}}, false},
		{"two lines, two hunks", ten, []textChange{{0, 0, "X\n"}, {18, 18, "Y\n"}}, true},
		{"two lines, one hunk", ten, []textChange{{2, 2, "X\n"}, {14, 14, "Y\n"}}, true},
		{"two changes, one line", ten, []textChange{{2, 2, "a"}, {3, 3, "b"}}, true},
		{"at the end", ten, []textChange{{21, 21, "11\n"}}, true},
		{"at the end, no final newline", "a\nb", []textChange{{3, 3, "\nc"}}, true},
		{"final newline removed", "a\nb\n", []textChange{{3, 4, ""}}, true},
		{"everything", "a\n", []textChange{{0, 2, "b\n"}}, true},
		{"block after a block", "{\n  a = {\n    url = \"x\";\n  };\n}\n",
			[]textChange{{30, 30, "  b = {\n    url = \"y\";\n  };\n"}}, true},
		{"block after a block, then a line", "{\n  a = {\n    url = \"x\";\n  };\n}\n",
			[]textChange{{10, 10, "    z = 1;\n"}, {30, 30, "  b = {\n    url = \"y\";\n  };\n"}}, true},
		{"block after a block, between two lines", "{\n  a = {\n    url = \"x\";\n  };\n  c = 1;\n  d = 2;\n}\n",
			[]textChange{{10, 10, "    z = 1;\n"}, {30, 30, "  b = {\n    url = \"y\";\n  };\n"}, {48, 48, "  e = 3;\n"}}, false},
		{"crlf", "a\r\nb\r\n", []textChange{{3, 3, "c\r\n"}}, true},
	}
	for _, tt := range tests {
		new, spans := spliced(tt.old, tt.changes...)
		got, want := spliceDiff("f", []byte(tt.old), []byte(new), spans), Diff("f", []byte(tt.old), []byte(new))
		if got != want {
			t.Errorf("%s: spliceDiff\n%s\nDiff\n%s", tt.name, got, want)
		}
		if _, _, own := spliceScript([]byte(tt.old), []byte(new), spans); own != tt.own {
			t.Errorf("%s: written from the spans = %v, want %v", tt.name, own, tt.own)
		}
	}
}

// TestComposeSpan checks the spans of changes made one after another, each
// on the result of the one before, against the text: outside them the old
// and the new text must be the same bytes.
func TestComposeSpan(t *testing.T) {
	tests := []struct {
		name  string
		steps [][]textChange
		want  []changedSpan
	}{
		{"one", [][]textChange{{{2, 3, "xy"}}}, []changedSpan{{2, 3, 2, 4}}},
		{"apart", [][]textChange{{{2, 3, "xy"}}, {{8, 8, "z"}}}, []changedSpan{{2, 3, 2, 4}, {7, 7, 8, 9}}},
		{"before", [][]textChange{{{8, 8, "z"}}, {{2, 3, "xy"}}}, []changedSpan{{2, 3, 2, 4}, {8, 8, 9, 10}}},
		{"inside", [][]textChange{{{2, 3, "xyz"}}, {{3, 4, ""}}}, []changedSpan{{2, 3, 2, 4}}},
		{"touching", [][]textChange{{{2, 3, "xy"}}, {{4, 4, "q"}}}, []changedSpan{{2, 3, 2, 5}}},
		{"across two", [][]textChange{{{2, 3, "x"}, {6, 7, "y"}}, {{1, 8, "-"}}}, []changedSpan{{1, 8, 1, 2}}},
		{"around", [][]textChange{{{4, 5, "x"}}, {{1, 9, "-"}}}, []changedSpan{{1, 9, 1, 2}}},
	}
	const text = "0123456789abcdef"
	for _, tt := range tests {
		cur := []byte(text)
		var spans []changedSpan
		for _, changes := range tt.steps {
			next, step := applyChanges(cur, changes)
			for i := len(step) - 1; i >= 0; i-- {
				spans = composeSpan(spans, step[i])
			}
			cur = next
		}
		if fmt.Sprint(spans) != fmt.Sprint(tt.want) {
			t.Errorf("%s: spans %v, want %v", tt.name, spans, tt.want)
		}
		checkSpans(t, tt.name, []byte(text), cur, spans)
	}
}

// checkSpans checks that old and new are the same bytes outside spans.
func checkSpans(t *testing.T, name string, old, new []byte, spans []changedSpan) {
	t.Helper()
	var rebuilt []byte
	prev := 0
	for _, sp := range spans {
		if sp.oldStart < prev || sp.oldEnd < sp.oldStart || sp.newEnd < sp.newStart ||
			sp.newStart-sp.oldStart != len(rebuilt)-prev {
			t.Errorf("%s: bad span %v after %d", name, sp, prev)
			return
		}
		rebuilt = append(rebuilt, old[prev:sp.oldStart]...)
		rebuilt = append(rebuilt, new[sp.newStart:sp.newEnd]...)
		prev = sp.oldEnd
	}
	rebuilt = append(rebuilt, old[prev:]...)
	if !bytes.Equal(rebuilt, new) {
		t.Errorf("%s: old with the spans of new written in is not new", name)
	}
}

// TestApplyChangesInOnePass checks applyChanges against writing the
// changes in turn, with texts at one offset and changes in any order.
func TestApplyChangesInOnePass(t *testing.T) {
	const src = "0123456789"
	tests := [][]textChange{
		{{2, 3, "x"}},
		{{2, 3, "x"}, {5, 5, "y"}, {9, 10, ""}},
		{{9, 10, ""}, {2, 3, "x"}, {5, 5, "y"}},
		{{4, 4, "a"}, {4, 4, "b"}},
		{{4, 4, "a"}, {4, 6, "b"}, {1, 1, "c"}},
		{{4, 6, "b"}, {4, 4, "a"}},
		{{2, 6, "x"}, {4, 8, "y"}}, // overlapping: not planned, but the same
	}
	for _, changes := range tests {
		want := applyChangesInTurn([]byte(src), append([]textChange(nil), changes...))
		got, spans := applyChanges([]byte(src), changes)
		if string(got) != string(want) {
			t.Errorf("%v: %q, in turn %q", changes, got, want)
		}
		checkSpans(t, fmt.Sprint(changes), []byte(src), got, spans)
	}
}

// editedCase is a flake.nix and edits to make on it.
type editedCase struct {
	name  string
	src   []byte
	edits []Edit
}

// spliceDiffCases returns the edit lists TestSpliceDiffMatchesDiff runs:
// on every fixture and corpus flake.nix, fix's edits (a nixpkgs follows for
// every root input without one, in one splice, then with a new input, one
// at a time, each parsing the file again: at most the first 30 follows
// then) and batchEdits' lists; the same on the flake.nix genlock writes
// for its shapes, with every third follows too.
func spliceDiffCases(t *testing.T) []editedCase {
	t.Helper()
	var cases []editedCase
	add := func(name string, src []byte) {
		f, err := Parse("flake.nix", src)
		if err != nil {
			return
		}
		in, err := f.Inputs()
		if err != nil {
			return
		}
		var follows, third []Edit
		for i, n := range in.Names() {
			if in.Lookup(n, "nixpkgs") == nil && in.Inputs[n].Follows == nil && n != "nixpkgs" {
				e := AddFollows{Path: []string{n, "nixpkgs"}, Target: "nixpkgs"}
				follows = append(follows, e)
				if i%3 == 0 {
					third = append(third, e)
				}
			}
		}
		probe := AddInput{Name: "flakedup-probe", URL: "github:example/probe", Comment: "probe"}
		cases = append(cases,
			editedCase{name + " follows", src, follows},
			editedCase{name + " every third follows", src, third},
			editedCase{name + " follows and an input", src, append(append([]Edit(nil), follows[:min(len(follows), 30)]...), probe)},
			editedCase{name + " an input", src, []Edit{probe}},
		)
		for i, edits := range batchEdits(in, uint64(len(src))) {
			cases = append(cases, editedCase{fmt.Sprintf("%s list %d", name, i), src, edits})
		}
	}
	for file, src := range batchSources(t) {
		add(file, src)
	}
	shapes := []struct {
		name string
		lock []byte
	}{
		{"tree", genlock.Generate(3000)},
		{"wide", genlock.Wide(3000)},
		{"merged", genlock.Merged(5)},
		{"ladder", genlock.Ladder(20)},
	}
	for _, s := range shapes {
		src, err := genlock.FlakeNix(s.lock)
		if err != nil {
			t.Fatal(err)
		}
		add("genlock "+s.name, src)
	}
	return cases
}

// TestSpliceDiffMatchesDiff checks ApplyInputs against Apply (bytes, change
// flag, error) and its diff, made from the spans of the edits, against
// Diff of the whole files, on every case of spliceDiffCases; most of them
// must be written from the spans, not handed to Diff.
func TestSpliceDiffMatchesDiff(t *testing.T) {
	diffs, own := 0, 0
	for _, c := range spliceDiffCases(t) {
		f, err := Parse("flake.nix", c.src)
		if err != nil {
			t.Fatal(err)
		}
		in, err := f.Inputs()
		if err != nil {
			t.Fatal(err)
		}
		out, changed, err := Apply(c.src, "flake.nix", c.edits...)
		ed, edErr := ApplyInputs(in, c.edits...)
		if fmt.Sprint(edErr) != fmt.Sprint(err) {
			t.Errorf("%s: ApplyInputs error %v, Apply %v", c.name, edErr, err)
			continue
		}
		if err != nil {
			continue
		}
		if !bytes.Equal(ed.Out, out) || ed.Changed != changed {
			t.Errorf("%s: ApplyInputs changed=%v, Apply changed=%v\n%s", c.name, ed.Changed, changed, testenv.FirstDiff(string(out), string(ed.Out)))
			continue
		}
		checkSpans(t, c.name, c.src, ed.Out, ed.spans)
		if got, want := ed.Diff("flake.nix"), Diff("flake.nix", c.src, out); got != want {
			t.Errorf("%s: Edited.Diff\n%s\nDiff\n%s", c.name, got, want)
		}
		if changed {
			diffs++
			if _, _, ok := spliceScript(c.src, out, ed.spans); ok {
				own++
			} else if os.Getenv("EDIT3_DEBUG") != "" {
				t.Logf("handed to Diff: %s", c.name)
			}
		}
	}
	if diffs < 100 || own*10 < diffs*9 {
		t.Errorf("%d diffs, %d written from the spans; want at least 100, nine in ten from the spans", diffs, own)
	}
	t.Logf("%d diffs, %d written from the spans", diffs, own)
}

// TestSpliceDiffCorpusFiles checks spliceDiff against Diff on corpus
// flake.nix files with one line inserted after every line in turn (a new
// line, a copy of that line, of the next one, a closing brace, a blank
// line), then with random sets of one to five changes: lines inserted,
// copied from near or far, removed, and text replaced inside a line.
func TestSpliceDiffCorpusFiles(t *testing.T) {
	var files []string
	srcs := batchSources(t)
	for file := range srcs {
		if strings.Contains(file, "corpus") {
			files = append(files, file)
		}
	}
	slices.Sort(files)
	files = files[:min(len(files), 8)]
	check := func(file string, src []byte, changes ...textChange) {
		t.Helper()
		new, spans := spliced(string(src), changes...)
		if got, want := spliceDiff("f", src, []byte(new), spans), Diff("f", src, []byte(new)); got != want {
			t.Fatalf("%s: changes %q: spliceDiff\n%s\nDiff\n%s", file, changes, got, want)
		}
	}
	for _, file := range files {
		src := srcs[file]
		lines := splitLines(string(src))
		at := 0
		for i, l := range lines {
			at += len(l)
			if !strings.HasSuffix(l, "\n") {
				continue
			}
			next := "x\n"
			if i+1 < len(lines) {
				next = lines[i+1]
			}
			for _, text := range []string{"  x = 1;\n", l, next, "}\n", "\n"} {
				check(file, src, textChange{at, at, text})
			}
		}
	}
	rng := rand.New(rand.NewPCG(7, 11))
	for _, file := range files {
		src := srcs[file]
		lines := splitLines(string(src))
		starts := make([]int, len(lines)+1)
		for i, l := range lines {
			starts[i+1] = starts[i] + len(l)
		}
		if len(lines) < 3 || !strings.HasSuffix(lines[len(lines)-1], "\n") {
			continue
		}
		for round := 0; round < 300; round++ {
			var changes []textChange
			taken := map[int]bool{}
			for n := 1 + rng.IntN(5); n > 0; n-- {
				i := rng.IntN(len(lines))
				if taken[i] || taken[i+1] || (i > 0 && taken[i-1]) {
					continue
				}
				taken[i] = true
				switch k := rng.IntN(6); k {
				case 0, 1, 2: // a line inserted before line i
					text := []string{"  y = 2;\n", lines[max(0, i-1)], lines[i], lines[rng.IntN(len(lines))]}[rng.IntN(4)]
					changes = append(changes, textChange{starts[i], starts[i], text})
				case 3: // line i removed
					changes = append(changes, textChange{starts[i], starts[i+1], ""})
				default: // text replaced inside line i
					if len(lines[i]) < 3 {
						continue
					}
					from := starts[i] + rng.IntN(len(lines[i])-1)
					changes = append(changes, textChange{from, from + 1, []string{"", "z", ", w"}[rng.IntN(3)]})
				}
			}
			if len(changes) > 0 {
				check(file, src, changes...)
			}
		}
	}
}

// wideEdits returns the flake.nix genlock writes for a wide 100,000-node
// lock (some 25,000 root inputs, 1.1 MB), its inputs, and a nixpkgs follows
// for every other root input.
func wideEdits(b *testing.B) (*Inputs, []Edit) {
	b.Helper()
	src, in := generatedFlakeNix(b, genlock.Wide(100_000))
	var edits []Edit
	for i, n := range in.Names() {
		if n != "nixpkgs" && i%2 == 0 {
			edits = append(edits, AddFollows{Path: []string{n, "nixpkgs"}, Target: "nixpkgs"})
		}
	}
	b.SetBytes(int64(len(src)))
	b.ReportMetric(float64(len(edits)), "edits")
	return in, edits
}

// BenchmarkApplyInputsWide is fix's edit of the wide flake: ApplyInputs
// (one splice, one verifying parse) and the diff from its spans.
func BenchmarkApplyInputsWide(b *testing.B) {
	in, edits := wideEdits(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ed, err := ApplyInputs(in, edits...)
		if err != nil || !ed.Changed {
			b.Fatalf("ApplyInputs: %v", err)
		}
		if ed.Diff("flake.nix") == "" {
			b.Fatal("no diff")
		}
	}
}

// BenchmarkDiffWide is what the diff of BenchmarkApplyInputsWide cost
// before: Diff of the whole files.
func BenchmarkDiffWide(b *testing.B) {
	in, edits := wideEdits(b)
	ed, err := ApplyInputs(in, edits...)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if Diff("flake.nix", in.file.src, ed.Out) == "" {
			b.Fatal("no diff")
		}
	}
}
