package rewrite

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flakedup/flakedup/internal/genlock"
	"github.com/flakedup/flakedup/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite the golden files of the fixtures")

// readEdits reads an edit.txt: one edit per line, blank lines ignored.
func readEdits(t *testing.T, path string) []Edit {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var edits []Edit
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		e, err := ParseEdit(sc.Text())
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		edits = append(edits, e)
	}
	return edits
}

// writeGolden writes a golden file under -update.
func writeGolden(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestEditFixtures runs every fixtures/rewrite/<case>: before.nix with the
// edits of edit.txt must give after.nix byte for byte (or the error in
// error.txt), round-trip through Parse, be idempotent, and, with Nix on
// PATH, parse and evaluate to the inputs the model reports.
func TestEditFixtures(t *testing.T) {
	dirs, err := filepath.Glob("../fixtures/rewrite/*")
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) < 25 {
		t.Fatalf("found %d fixtures in ../fixtures/rewrite, want at least 25", len(dirs))
	}
	// What the model says about each after.nix, checked against Nix at
	// the end in one run.
	var nixFiles, ours []string
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			before, err := os.ReadFile(filepath.Join(dir, "before.nix"))
			if err != nil {
				t.Fatal(err)
			}
			edits := readEdits(t, filepath.Join(dir, "edit.txt"))
			out, changed, err := Apply(before, "flake.nix", edits...)

			errFile := filepath.Join(dir, "error.txt")
			if wantErr, readErr := os.ReadFile(errFile); readErr == nil {
				if err == nil {
					t.Fatalf("Apply succeeded, want error %q", wantErr)
				}
				testenv.Golden(t, errFile, []byte(err.Error()+"\n"), *update)
				return
			}
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			afterFile := filepath.Join(dir, "after.nix")
			if *update {
				writeGolden(t, afterFile, out)
			}
			want, err := os.ReadFile(afterFile)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out, want) {
				t.Fatalf("Apply result differs from after.nix:\n%s", Diff("after.nix", want, out))
			}
			if wantChanged := !bytes.Equal(before, want); changed != wantChanged {
				t.Errorf("changed = %v, want %v", changed, wantChanged)
			}

			f, err := Parse("after.nix", out)
			if err != nil {
				t.Fatalf("after.nix does not parse: %v", err)
			}
			if !bytes.Equal(f.Bytes(), out) {
				t.Errorf("Parse(after.nix).Bytes() differs from after.nix")
			}
			again, changed, err := Apply(out, "flake.nix", edits...)
			if err != nil || changed || !bytes.Equal(again, out) {
				t.Errorf("applying the edits again: changed=%v err=%v, want no change\n%s", changed, err, Diff("after.nix", out, again))
			}

			in, err := f.Inputs()
			if err != nil {
				t.Fatal(err)
			}
			nixFiles = append(nixFiles, afterFile)
			ours = append(ours, string(in.JSON()))
		})
	}
	for i, want := range testenv.NixInputs(t, nixFiles) {
		if ours[i] != want {
			t.Errorf("inputs of %s:\nflakedup %s\nnix      %s", nixFiles[i], ours[i], want)
		}
	}
}

func TestParseEdit(t *testing.T) {
	tests := []struct {
		line    string
		want    Edit
		wantErr string
	}{
		{"add-follows home-manager/nixpkgs nixpkgs", AddFollows{Path: []string{"home-manager", "nixpkgs"}, Target: "nixpkgs"}, ""},
		{"set-follows a/b/c x/y", SetFollows{Path: []string{"a", "b", "c"}, Target: "x/y"}, ""},
		{`add-follows a/nixpkgs ""`, AddFollows{Path: []string{"a", "nixpkgs"}, Target: ""}, ""},
		{"add-input hyprland github:hyprwm/Hyprland", AddInput{Name: "hyprland", URL: "github:hyprwm/Hyprland"}, ""},
		{"add-follows nixpkgs nixpkgs", nil, `edit "add-follows nixpkgs nixpkgs": the path must name an input of an input (a/b)`},
		{"add-follows a//b x", nil, `edit "add-follows a//b x": empty name in path "a//b"`},
		{"remove-input a b", nil, `edit "remove-input a b": unknown edit "remove-input"`},
		{"add-input a", nil, `edit "add-input a": want three words: add-follows|set-follows|add-input, a path or name, a target or url`},
		{"add-input a/b url", nil, `edit "add-input a/b url": want add-input <name> <url>`},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			got, err := ParseEdit(tt.line)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != tt.want.String() {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			if got.String() != tt.line {
				t.Errorf("String() = %q, want the line back", got.String())
			}
		})
	}
}

// TestApplyErrorKinds checks that edit failures unwrap to their kind.
func TestApplyErrorKinds(t *testing.T) {
	src := []byte("{\n  inputs.a.url = \"github:o/a\";\n  inputs.a.inputs.nixpkgs.follows = \"x\";\n  outputs = _: { };\n}\n")
	tests := []struct {
		edit Edit
		want error
	}{
		{AddFollows{Path: []string{"a", "nixpkgs"}, Target: "y"}, ErrEdit},
		{SetFollows{Path: []string{"a", "systems"}, Target: "y"}, ErrEdit},
		{AddInput{Name: "a", URL: "github:o/other"}, ErrEdit},
	}
	for _, tt := range tests {
		t.Run(tt.edit.String(), func(t *testing.T) {
			_, _, err := Apply(src, "flake.nix", tt.edit)
			if !errors.Is(err, tt.want) {
				t.Errorf("error = %v, want %v", err, tt.want)
			}
		})
	}
	_, _, err := Apply([]byte("{ inputs = "), "flake.nix", AddInput{Name: "a", URL: "b"})
	if !errors.Is(err, ErrSyntax) {
		t.Errorf("syntax error: got %v, want ErrSyntax", err)
	}
}

// TestEditCorpus edits every corpus flake.nix: a follows of nixpkgs on
// every root input that lacks one, then a new input. Apply verifies each
// result itself; Nix must then evaluate every result to the same inputs.
func TestEditCorpus(t *testing.T) {
	tmp := t.TempDir()
	var nixFiles, ours []string
	for _, dir := range corpusDirs(t) {
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join(dir, "flake.nix"))
			if err != nil {
				t.Fatal(err)
			}
			f, err := Parse("flake.nix", src)
			if err != nil {
				t.Fatal(err)
			}
			in, err := f.Inputs()
			if err != nil {
				t.Fatal(err)
			}
			var edits []Edit
			for _, n := range in.Names() {
				if in.Lookup(n, "nixpkgs") == nil && in.Inputs[n].Follows == nil {
					edits = append(edits, AddFollows{Path: []string{n, "nixpkgs"}, Target: "nixpkgs"})
				}
			}
			edits = append(edits, AddInput{Name: "flakedup-probe", URL: "github:example/probe"})
			out, changed, err := Apply(src, "flake.nix", edits...)
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			if !changed {
				t.Fatal("Apply reported no change")
			}
			if again, changed, err := Apply(out, "flake.nix", edits...); err != nil || changed || !bytes.Equal(again, out) {
				t.Fatalf("applying again: changed=%v err=%v", changed, err)
			}
			g, err := Parse("flake.nix", out)
			if err != nil {
				t.Fatal(err)
			}
			after, err := g.Inputs()
			if err != nil {
				t.Fatal(err)
			}
			if got := len(after.DeclaredFollows()) - len(in.DeclaredFollows()); got != len(edits)-1 {
				t.Errorf("declared follows grew by %d, want %d", got, len(edits)-1)
			}
			file := filepath.Join(tmp, name+".nix")
			if err := os.WriteFile(file, out, 0o644); err != nil {
				t.Fatal(err)
			}
			nixFiles = append(nixFiles, file)
			ours = append(ours, string(after.JSON()))
		})
	}
	for i, want := range testenv.NixInputs(t, nixFiles) {
		if ours[i] != want {
			t.Errorf("inputs of %s:\nflakedup %s\nnix      %s", nixFiles[i], ours[i], want)
		}
	}
}

// FuzzApply applies one edit to arbitrary sources: Apply must never fail
// with an internal error, and a successful result must parse and be left
// alone by the same edit.
func FuzzApply(f *testing.F) {
	dirs, _ := filepath.Glob("../fixtures/rewrite/*")
	for _, dir := range dirs {
		src, err := os.ReadFile(filepath.Join(dir, "before.nix"))
		if err != nil {
			continue
		}
		edits, _ := os.ReadFile(filepath.Join(dir, "edit.txt"))
		for _, line := range strings.Split(strings.TrimSpace(string(edits)), "\n") {
			f.Add(src, line)
		}
	}
	f.Fuzz(func(t *testing.T, src []byte, line string) {
		e, err := ParseEdit(line)
		if err != nil {
			return
		}
		out, changed, err := Apply(src, "flake.nix", e)
		if errors.Is(err, ErrInternal) {
			t.Fatalf("internal error: %v", err)
		}
		if err != nil {
			return
		}
		if !changed && !bytes.Equal(out, src) {
			t.Fatalf("changed=false but the bytes differ")
		}
		if _, err := Parse("flake.nix", out); err != nil {
			t.Fatalf("result does not parse: %v", err)
		}
		again, changed, err := Apply(out, "flake.nix", e)
		if err != nil || changed || !bytes.Equal(again, out) {
			t.Fatalf("second application: changed=%v err=%v", changed, err)
		}
	})
}

// BenchmarkApplyCorpus measures reading the inputs of the largest corpus
// flake.nix and adding a follows to each of its root inputs (one parse and
// one verification per edit).
func BenchmarkApplyCorpus(b *testing.B) {
	src, err := os.ReadFile("../../shared/corpus/cardano-foundation__cardano-wallet/flake.nix")
	if err != nil {
		b.Skipf("corpus not found: %v", err)
	}
	f, err := Parse("flake.nix", src)
	if err != nil {
		b.Fatal(err)
	}
	in, err := f.Inputs()
	if err != nil {
		b.Fatal(err)
	}
	var edits []Edit
	for _, n := range in.Names() {
		if in.Lookup(n, "nixpkgs") == nil && in.Inputs[n].Follows == nil {
			edits = append(edits, AddFollows{Path: []string{n, "nixpkgs"}, Target: "nixpkgs"})
		}
	}
	b.ReportMetric(float64(len(edits)), "edits")
	b.SetBytes(int64(len(src)))
	for i := 0; i < b.N; i++ {
		if _, _, err := Apply(src, "flake.nix", edits...); err != nil {
			b.Fatal(err)
		}
	}
}

// batchSources returns the flake.nix texts the batch tests run on: every
// fixture's before.nix and, when the corpus is there, every corpus
// flake.nix.
func batchSources(t *testing.T) map[string][]byte {
	t.Helper()
	srcs := map[string][]byte{}
	dirs, err := filepath.Glob("../fixtures/rewrite/*")
	if err != nil {
		t.Fatal(err)
	}
	files := []string{}
	for _, dir := range dirs {
		files = append(files, filepath.Join(dir, "before.nix"))
	}
	files = append(files, testenv.CorpusFiles(t, "flake.nix")...)
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		srcs[file] = data
	}
	return srcs
}

// batchInputs returns the inputs of src, or nil when it does not parse or
// its inputs cannot be read.
func batchInputs(src []byte) *Inputs {
	f, err := Parse("flake.nix", src)
	if err != nil {
		return nil
	}
	in, err := f.Inputs()
	if err != nil {
		return nil
	}
	return in
}

// batchEdits makes edit lists for src from its declared inputs: a follows
// of nixpkgs, systems, flake-utils and each declared sub-input for every
// root input, a retarget of every declared follows; the first 40 of them
// in order, then seeded shuffles of random subsets of at most 40.
func batchEdits(in *Inputs, seed uint64) [][]Edit {
	var pool []Edit
	names := in.Names()
	for _, n := range names {
		subs := []string{"nixpkgs", "systems", "flake-utils"}
		subs = append(subs, in.Inputs[n].InputNames()...)
		for _, m := range subs {
			pool = append(pool, AddFollows{Path: []string{n, m}, Target: "nixpkgs"})
			pool = append(pool, AddFollows{Path: []string{n, m, "nixpkgs"}, Target: n + "/nixpkgs"})
		}
	}
	for _, f := range in.DeclaredFollows() {
		pool = append(pool, SetFollows{Path: f.Path, Target: f.Target + "-x"})
	}
	// One at a time costs a parse per edit: keep the lists short.
	const most = 40
	lists := [][]Edit{pool[:min(len(pool), most)]}
	rng := rand.New(rand.NewPCG(seed, 3))
	for i := 0; i < 8 && len(pool) > 0; i++ {
		var l []Edit
		for _, k := range rng.Perm(len(pool)) {
			if rng.IntN(3) == 0 && len(l) < most {
				l = append(l, pool[k])
			}
		}
		lists = append(lists, l)
	}
	return lists
}

// TestApplyBatchAsOneAtATime checks that Apply, which makes follows edits
// in one splice, gives the bytes, change flag and error that making them
// one at a time gives, on every fixture and corpus flake.nix with many
// edit lists, and that most of those lists are made in one splice.
func TestApplyBatchAsOneAtATime(t *testing.T) {
	lists, batched := 0, 0
	for file, src := range batchSources(t) {
		in := batchInputs(src)
		if in == nil {
			continue // a fixture of a broken file
		}
		for i, edits := range batchEdits(in, uint64(len(src))) {
			lists++
			if _, _, ok := applyAsOneAtATime(t, fmt.Sprintf("%s, list %d (%d edits)", file, i, len(edits)), src, in, edits); !ok {
				continue
			}
			if _, ok := applyBatch(src, in, "flake.nix", edits); ok {
				batched++
			}
		}
	}
	if lists < 100 || batched*2 < lists {
		t.Errorf("%d edit lists, %d made in one splice; want at least 100, most in one splice", lists, batched)
	}
	t.Logf("%d edit lists, %d made in one splice", lists, batched)
}

// TestApplyAddInputsThenFollows checks plans' edit lists: add-input edits
// (promotions, new root inputs) and then follows. Apply makes the
// add-inputs one at a time and the follows in one splice on their result;
// that must give the bytes, change flag and error of making every edit in
// turn, on every fixture and corpus flake.nix, including an add-input of a
// name the file has (which fails).
func TestApplyAddInputsThenFollows(t *testing.T) {
	lists, spliced := 0, 0
	for file, src := range batchSources(t) {
		in := batchInputs(src)
		if in == nil {
			continue // a fixture of a broken file
		}
		prefixes := [][]Edit{
			{AddInput{Name: "nixpkgs-2405", URL: "github:NixOS/nixpkgs/nixos-24.05"}},
			{AddInput{Name: "flakedup-a", URL: "github:o/a"}, AddInput{Name: "flakedup-b", URL: "github:o/b"}},
		}
		if names := in.Names(); len(names) > 0 {
			prefixes = append(prefixes, []Edit{AddInput{Name: names[0], URL: "github:o/taken"}})
		}
		for i, follows := range batchEdits(in, uint64(len(src))) {
			for j, prefix := range prefixes {
				edits := append(append([]Edit(nil), prefix...), follows...)
				lists++
				want, wantErr, ok := applyAsOneAtATime(t, fmt.Sprintf("%s, list %d, prefix %d", file, i, j), src, in, edits)
				if !ok || wantErr != nil {
					continue
				}
				if ed, err := ApplyInputs(in, edits...); err != nil {
					t.Errorf("%s, list %d, prefix %d: ApplyInputs: %v", file, i, j, err)
				} else if d, wantD := ed.Diff("flake.nix"), Diff("flake.nix", src, want); d != wantD {
					t.Errorf("%s, list %d, prefix %d: the diff from the spans differs from Diff:\n%s", file, i, j, testenv.FirstDiff(wantD, d))
				}
				// Was the follows part made in one splice?
				ed := &Edited{Out: src, old: src}
				if after, err := ed.applyInTurn(in, "flake.nix", prefix); err == nil {
					if _, ok := applyBatch(ed.Out, after, "flake.nix", follows); ok {
						spliced++
					}
				}
			}
		}
	}
	if lists < 100 || spliced*3 < lists {
		t.Errorf("%d edit lists, %d with the follows in one splice; want at least 100, a third of them in one splice", lists, spliced)
	}
	t.Logf("%d edit lists, %d with the follows in one splice", lists, spliced)
}

// applySequential makes the edits one at a time on src, whose inputs are
// inputs: the definition Apply's one-splice paths are checked against.
func applySequential(src []byte, inputs *Inputs, filename string, edits []Edit) (*Edited, error) {
	ed := &Edited{Out: src, old: src}
	if _, err := ed.applyInTurn(inputs, filename, edits); err != nil {
		return nil, err
	}
	return ed, nil
}

// applyAsOneAtATime checks that Apply gives the bytes, change flag and
// error of making the edits one at a time (applySequential), failing t
// under what where it does not; it returns one at a time's bytes and error,
// and whether both agreed.
func applyAsOneAtATime(t *testing.T, what string, src []byte, in *Inputs, edits []Edit) ([]byte, error, bool) {
	t.Helper()
	want, wantChanged, wantErr := sequential(src, in, edits)
	got, changed, err := Apply(src, "flake.nix", edits...)
	if fmt.Sprint(err) != fmt.Sprint(wantErr) || changed != wantChanged || !bytes.Equal(got, want) {
		t.Errorf("%s: Apply gives changed=%v err=%v, one at a time changed=%v err=%v\n%s",
			what, changed, err, wantChanged, wantErr, testenv.FirstDiff(string(want), string(got)))
		return want, wantErr, false
	}
	return want, wantErr, true
}

// sequential is applySequential's bytes, change flag and error, as Apply
// gives them.
func sequential(src []byte, in *Inputs, edits []Edit) ([]byte, bool, error) {
	ed, err := applySequential(src, in, "flake.nix", edits)
	if err != nil {
		return nil, false, err
	}
	return ed.Out, ed.Changed, nil
}

// TestApplyBatchFallsBack checks the edit lists Apply must not make in one
// splice, by what they give.
func TestApplyBatchFallsBack(t *testing.T) {
	src := []byte("{\n  inputs = {\n    a.url = \"github:o/a\";\n    b.url = \"github:o/b\";\n  };\n  outputs = { self, a, b }: { };\n}\n")
	f, err := Parse("flake.nix", src)
	if err != nil {
		t.Fatal(err)
	}
	in, err := f.Inputs()
	if err != nil {
		t.Fatal(err)
	}
	ab := AddFollows{Path: []string{"a", "nixpkgs"}, Target: "b"}
	tests := []struct {
		name  string
		edits []Edit
		batch bool
	}{
		{"two follows", []Edit{ab, AddFollows{Path: []string{"b", "nixpkgs"}, Target: "a"}}, true},
		{"one edit", []Edit{ab}, false},
		{"the same follows twice", []Edit{ab, ab}, false},
		{"an input among them", []Edit{ab, AddInput{Name: "c", URL: "github:o/c"}}, false},
		{"a conflicting follows", []Edit{ab, AddFollows{Path: []string{"a", "nixpkgs"}, Target: "c"}}, false},
		{"a retarget of nothing", []Edit{ab, SetFollows{Path: []string{"b", "x"}, Target: "a"}}, false},
	}
	for _, tt := range tests {
		_, ok := applyBatch(src, in, "flake.nix", tt.edits)
		if ok != tt.batch {
			t.Errorf("%s: made in one splice = %v, want %v", tt.name, ok, tt.batch)
		}
		want, wantChanged, wantErr := sequential(src, in, tt.edits)
		got, changed, err := Apply(src, "flake.nix", tt.edits...)
		if fmt.Sprint(err) != fmt.Sprint(wantErr) || changed != wantChanged || !bytes.Equal(got, want) {
			t.Errorf("%s: Apply %q %v %v, one at a time %q %v %v", tt.name, got, changed, err, want, wantChanged, wantErr)
		}
	}
}

// FuzzApplyBatch applies several edits to arbitrary sources: Apply (one
// splice when it can) and one edit at a time must agree on the bytes, the
// change flag and the error.
func FuzzApplyBatch(f *testing.F) {
	dirs, _ := filepath.Glob("../fixtures/rewrite/*")
	for _, dir := range dirs {
		src, err := os.ReadFile(filepath.Join(dir, "before.nix"))
		if err != nil {
			continue
		}
		f.Add(src, "add-follows a/nixpkgs nixpkgs\nadd-follows a/systems systems\nadd-follows b/nixpkgs a/nixpkgs")
		if edits, err := os.ReadFile(filepath.Join(dir, "edit.txt")); err == nil {
			f.Add(src, string(edits))
		}
	}
	f.Fuzz(func(t *testing.T, src []byte, lines string) {
		var edits []Edit
		for _, line := range strings.Split(lines, "\n") {
			if e, err := ParseEdit(line); err == nil {
				edits = append(edits, e)
			}
		}
		got, changed, err := Apply(src, "flake.nix", edits...)
		if errors.Is(err, ErrInternal) {
			t.Fatalf("internal error: %v", err)
		}
		pf, perr := Parse("flake.nix", src)
		if perr != nil {
			return
		}
		in, ierr := pf.Inputs()
		if ierr != nil {
			return
		}
		want, wantChanged, wantErr := sequential(src, in, edits)
		if fmt.Sprint(err) != fmt.Sprint(wantErr) || changed != wantChanged || !bytes.Equal(got, want) {
			t.Fatalf("Apply changed=%v err=%v, one at a time changed=%v err=%v\n%s", changed, err, wantChanged, wantErr,
				testenv.FirstDiff(string(want), string(got)))
		}
	})
}

// generatedFlakeNix returns the flake.nix genlock writes for lock, and its
// inputs.
func generatedFlakeNix(b *testing.B, lock []byte) ([]byte, *Inputs) {
	b.Helper()
	src, err := genlock.FlakeNix(lock)
	if err != nil {
		b.Fatal(err)
	}
	f, err := Parse("flake.nix", src)
	if err != nil {
		b.Fatal(err)
	}
	in, err := f.Inputs()
	if err != nil {
		b.Fatal(err)
	}
	return src, in
}

// BenchmarkApplyGenerated adds a nixpkgs follows to every root input but
// nixpkgs of the flake.nix genlock writes for a 100,000-node lock, in one
// Apply: one splice and one verifying parse (one at a time, each edit
// would parse the whole file again).
func BenchmarkApplyGenerated(b *testing.B) {
	src, in := generatedFlakeNix(b, genlock.Generate(100_000))
	var edits []Edit
	for _, n := range in.Names() {
		if n != "nixpkgs" {
			edits = append(edits, AddFollows{Path: []string{n, "nixpkgs"}, Target: "nixpkgs"})
		}
	}
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, changed, err := Apply(src, "flake.nix", edits...); err != nil || !changed {
			b.Fatalf("Apply: changed=%v err=%v", changed, err)
		}
	}
	b.ReportMetric(float64(len(edits)), "edits")
}
