package rewrite

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flakedup/flakedup/internal/testenv"
)

// TestDifferentialInputs is the differential test of the inputs model
// against real Nix (Nix 2.8, the one Debian bookworm ships). It generates
// thousands of variants of the corpus flake.nix files (see inputVariants:
// every URI-literal character, every string form, comments and whitespace
// before every token, rec, quoted, escaped and interpolated attribute
// names, truncations, stray tokens, BOM, form feed, NBSP) and records, for
// each, what Nix makes of it (see nixJudge):
//
//   - reject-parse: `nix-instantiate --parse` refuses it;
//   - reject-flake: it parses, but its expression is not an attribute set
//     literal, which every `nix flake` command refuses ("file 'flake.nix'
//     must be an attribute set"); told from the expression
//     `nix-instantiate --parse` prints;
//   - reject-eval: evaluating `(import ./flake.nix).inputs` with
//     `--eval --strict --json` fails;
//   - accept: it evaluates; the record keeps the hash of the JSON.
//
// flakedup must print the same inputs JSON on every accepted file and give
// a positioned error (`flake.nix:L:C: ...`, from Parse or Inputs) on every
// rejected one. On every accepted variant it also adds, with one Apply,
// `inputs.X.inputs.nixpkgs.follows = "nixpkgs"` for every root input X that
// lacks a nixpkgs override: the result must parse, must contain the
// original bytes in order (only insertions), must evaluate in Nix to the
// original inputs plus exactly those follows, and a second Apply must
// change nothing.
//
// The pipe operators are not generated: Nix 2.8 rejects them, and they are
// judged by the documented grammar in TestParsePipes instead.
//
// Nix's answers are recorded in inputsVerdictsFile (key = hash of the file,
// verdict, JSON hash); -update asks Nix again about everything. With
// nix-instantiate on PATH a fixed sample is re-asked live and must agree
// with the record.
const (
	inputsVerdictsFile = "../fixtures/parse/nix-verdicts/inputs-verdicts.txt"
	inputsSeed         = 20261201
	// inputsLiveStride picks every n-th variant (and its edit) for the live
	// re-check.
	inputsLiveStride = 16
)

// nixVerdict is what Nix makes of one file.
type nixVerdict struct {
	kind string // "accept", "reject-parse", "reject-flake", "reject-eval"
	hash string // hash of the inputs JSON, for "accept"
}

func (v nixVerdict) String() string {
	if v.kind == "accept" {
		return v.kind + " " + v.hash
	}
	return v.kind
}

func jsonHash(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

func readInputsVerdicts(t *testing.T) map[string]nixVerdict {
	t.Helper()
	out := map[string]nixVerdict{}
	for _, f := range verdictLines(t, inputsVerdictsFile) {
		switch {
		case len(f) == 3 && f[1] == "accept":
			out[f[0]] = nixVerdict{kind: f[1], hash: f[2]}
		case len(f) == 2:
			out[f[0]] = nixVerdict{kind: f[1]}
		}
	}
	return out
}

func writeInputsVerdicts(t *testing.T, verdicts map[string]nixVerdict) {
	t.Helper()
	keys := make([]string, 0, len(verdicts))
	for k := range verdicts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("# Nix 2.8's verdict on each variant of TestDifferentialInputs: key (hash of the file), verdict, hash of the inputs JSON.\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "%s %s\n", k, verdicts[k])
	}
	if err := os.WriteFile(inputsVerdictsFile, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// nixJudge asks nix-instantiate about every file: a parse pass (batches,
// two workers; the printed expressions tell whether the file is an
// attribute set literal), then an evaluation of the inputs of every file
// that passed, in batches, each failing batch split in halves down to the
// file that fails.
func nixJudge(t *testing.T, nix string, srcs [][]byte) []nixVerdict {
	t.Helper()
	dir := t.TempDir()
	paths := make([]string, len(srcs))
	for i, src := range srcs {
		paths[i] = filepath.Join(dir, fmt.Sprintf("v%05d.nix", i))
		if err := os.WriteFile(paths[i], src, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := make([]nixVerdict, len(srcs))
	printed := make([]string, len(srcs))
	parsed := make([]bool, len(srcs))
	parallelBatches(t, len(srcs), 40, func(lo, hi int) error {
		return parseBatch(nix, paths, parsed, printed, lo, hi)
	})
	var evalIdx []int
	for i := range srcs {
		switch {
		case !parsed[i]:
			out[i] = nixVerdict{kind: "reject-parse"}
		case !strings.HasPrefix(printed[i], "{ ") && !strings.HasPrefix(printed[i], "rec { "):
			out[i] = nixVerdict{kind: "reject-flake"}
		default:
			evalIdx = append(evalIdx, i)
		}
	}
	parallelBatches(t, len(evalIdx), 40, func(lo, hi int) error {
		return evalBatch(nix, paths, evalIdx[lo:hi], out)
	})
	return out
}

// parallelBatches runs f over [0, n) in batches of size, on two workers.
func parallelBatches(t *testing.T, n, size int, f func(lo, hi int) error) {
	t.Helper()
	jobs := make(chan [2]int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				if err := f(j[0], j[1]); err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
				}
			}
		}()
	}
	for lo := 0; lo < n; lo += size {
		jobs <- [2]int{lo, min(lo+size, n)}
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil {
		t.Fatal(firstErr)
	}
}

// parseBatch runs `nix-instantiate --parse` on paths[lo:hi], which prints
// one line per file it accepts and stops at the first it rejects.
func parseBatch(nix string, paths []string, parsed []bool, printed []string, lo, hi int) error {
	for lo < hi {
		var stdout, stderr bytes.Buffer
		cmd := exec.Command(nix, append([]string{"--store", "dummy://", "--parse"}, paths[lo:hi]...)...)
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		if err != nil {
			if _, ok := err.(*exec.ExitError); !ok {
				return fmt.Errorf("running %s: %w", nix, err)
			}
		}
		lines := strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n")
		if stdout.Len() == 0 {
			lines = nil
		}
		bad := hi // index of the rejected file, hi when none
		if err != nil {
			bad = -1
			if m := nixErrorFile.FindStringSubmatch(stderr.String()); m != nil {
				for i := lo; i < hi; i++ {
					if strings.HasSuffix(paths[i], "/"+m[1]+".nix") {
						bad = i
					}
				}
			}
		}
		if bad < 0 || len(lines) != bad-lo {
			// The error names no file, or a printed expression took more
			// than a line: ask about each file alone.
			if hi-lo == 1 {
				parsed[lo] = err == nil
				printed[lo] = stdout.String()
				return nil
			}
			for i := lo; i < hi; i++ {
				if err := parseBatch(nix, paths, parsed, printed, i, i+1); err != nil {
					return err
				}
			}
			return nil
		}
		for i := lo; i < bad; i++ {
			parsed[i], printed[i] = true, lines[i-lo]
		}
		if bad == hi {
			return nil
		}
		parsed[bad] = false
		lo = bad + 1
	}
	return nil
}

// evalBatch evaluates the inputs of the files idx in one run; a failure
// splits the batch.
func evalBatch(nix string, paths []string, idx []int, out []nixVerdict) error {
	if len(idx) == 0 {
		return nil
	}
	var expr strings.Builder
	expr.WriteString("map (f: (import f).inputs or { }) [")
	for _, i := range idx {
		expr.WriteString(" " + nixString(paths[i]))
	}
	expr.WriteString(" ]")
	cmd := exec.Command(nix, "--store", "dummy://", "--eval", "--strict", "--json", "-E", expr.String())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			return fmt.Errorf("running %s: %w", nix, err)
		}
		if len(idx) == 1 {
			out[idx[0]] = nixVerdict{kind: "reject-eval"}
			return nil
		}
		half := len(idx) / 2
		if err := evalBatch(nix, paths, idx[:half], out); err != nil {
			return err
		}
		return evalBatch(nix, paths, idx[half:], out)
	}
	var list []json.RawMessage
	if err := json.Unmarshal(stdout, &list); err != nil || len(list) != len(idx) {
		return fmt.Errorf("nix-instantiate --eval printed %d values (%v), want %d", len(list), err, len(idx))
	}
	for k, i := range idx {
		out[i] = nixVerdict{kind: "accept", hash: jsonHash(list[k])}
	}
	return nil
}

// flakedupVerdict is what flakedup makes of a file: its inputs JSON, or
// the error of Parse or Inputs.
func flakedupVerdict(src []byte) (*Inputs, []byte, error) {
	f, err := Parse("flake.nix", src)
	if err != nil {
		return nil, nil, err
	}
	in, err := f.Inputs()
	if err != nil {
		return nil, nil, err
	}
	return in, in.JSON(), nil
}

// followsEdits returns the AddFollows for every root input that has no
// override of its nixpkgs, when the flake has a root nixpkgs; and the
// JSON the inputs must then evaluate to.
func followsEdits(in *Inputs) ([]Edit, []byte) {
	if in.Inputs["nixpkgs"] == nil {
		return nil, nil
	}
	want := in.root.clone()
	var edits []Edit
	for _, name := range in.Names() {
		x := in.Inputs[name]
		if name == "nixpkgs" || x.Follows != nil || x.Inputs["nixpkgs"] != nil {
			continue
		}
		edits = append(edits, AddFollows{Path: []string{name, "nixpkgs"}, Target: "nixpkgs"})
		want.set("nixpkgs", name, "inputs", "nixpkgs", "follows")
	}
	var b strings.Builder
	want.writeJSON(&b)
	return edits, []byte(b.String())
}

// isSubsequence reports whether every byte of a appears in b, in order.
func isSubsequence(a, b []byte) bool {
	i := 0
	for j := 0; i < len(a) && j < len(b); j++ {
		if a[i] == b[j] {
			i++
		}
	}
	return i == len(a)
}

func TestDifferentialInputs(t *testing.T) {
	nix, haveNix := testenv.LookTool(t, "nix-instantiate")
	var variants []variant
	for i, path := range corpusFiles(t) {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(filepath.Dir(path))
		variants = append(variants, inputVariants(name, src, rand.New(rand.NewSource(inputsSeed+int64(i))))...)
	}
	variants = append(variants, uriCharVariants(t)...)

	// The edits are planned on flakedup's reading of each variant; their
	// results are judged by Nix like the variants.
	type edited struct {
		from  int // index in variants
		src   []byte
		edits []Edit
		want  []byte // the inputs JSON the edited file must evaluate to
	}
	var edits []edited
	ours := make([][]byte, len(variants))
	oursErr := make([]error, len(variants))
	for i, v := range variants {
		in, js, err := flakedupVerdict(v.src)
		ours[i], oursErr[i] = js, err
		if err != nil {
			continue
		}
		es, want := followsEdits(in)
		if len(es) == 0 {
			continue
		}
		out, _, err := Apply(v.src, "flake.nix", es...)
		if err != nil {
			t.Errorf("%s: Apply of %d follows: %v", v.name, len(es), err)
			continue
		}
		edits = append(edits, edited{from: i, src: out, edits: es, want: want})
	}

	recorded := readInputsVerdicts(t)
	all := make([][]byte, 0, len(variants)+len(edits))
	for _, v := range variants {
		all = append(all, v.src)
	}
	for _, e := range edits {
		all = append(all, e.src)
	}
	var missing [][]byte
	for _, src := range all {
		if _, ok := recorded[variant{src: src}.key()]; !ok || *update {
			missing = append(missing, src)
		}
	}
	if len(missing) > 0 {
		if !haveNix {
			t.Logf("%d files have no recorded verdict and nix-instantiate is not on PATH: not checked", len(missing))
		} else {
			start := time.Now()
			got := nixJudge(t, nix, missing)
			t.Logf("asked nix-instantiate about %d files in %v", len(missing), time.Since(start).Round(time.Millisecond))
			for i, src := range missing {
				recorded[variant{src: src}.key()] = got[i]
			}
			current := map[string]nixVerdict{}
			for _, src := range all {
				k := variant{src: src}.key()
				current[k] = recorded[k]
			}
			writeInputsVerdicts(t, current)
		}
	}

	// Live: re-ask Nix about a fixed sample, so that a stale or wrong
	// record cannot hide a disagreement.
	if haveNix && !*update {
		var sample [][]byte
		for i := 0; i < len(variants); i += inputsLiveStride {
			sample = append(sample, variants[i].src)
		}
		for i := 0; i < len(edits); i += inputsLiveStride {
			sample = append(sample, edits[i].src)
		}
		start := time.Now()
		live := nixJudge(t, nix, sample)
		for i, src := range sample {
			k := variant{src: src}.key()
			if live[i] != recorded[k] {
				t.Errorf("file %s: recorded verdict %v, but nix-instantiate now says %v (run with -update)", k, recorded[k], live[i])
			}
		}
		t.Logf("live check: nix-instantiate agrees with the record on %d of %d files (%v)", len(sample), len(sample), time.Since(start).Round(time.Millisecond))
	}

	var failDir string
	keep := func(name string, src []byte) string {
		if failDir == "" {
			failDir, _ = os.MkdirTemp("", "flakedup-differential-inputs-")
		}
		out := filepath.Join(failDir, strings.ReplaceAll(name, "/", "__")+".nix")
		_ = os.WriteFile(out, src, 0o644)
		return out
	}
	counts := map[string]int{}
	agree, judged := 0, 0
	for i, v := range variants {
		want, ok := recorded[v.key()]
		if !ok {
			continue
		}
		judged++
		counts[want.kind]++
		err := oursErr[i]
		if errors.Is(err, ErrInternal) {
			t.Errorf("%s: %v", v.name, err)
		}
		switch {
		case want.kind == "accept" && err == nil && jsonHash(ours[i]) == want.hash:
			agree++
		case want.kind == "accept" && err == nil:
			t.Errorf("%s: flakedup's inputs JSON differs from Nix's (hash %s, flakedup %s): %s (variant in %s)",
				v.name, want.hash, jsonHash(ours[i]), ours[i], keep(v.name, v.src))
		case want.kind == "accept":
			t.Errorf("%s: Nix accepts it, flakedup: %v (variant in %s)", v.name, err, keep(v.name, v.src))
		case err == nil:
			t.Errorf("%s: Nix says %s, flakedup accepts it (variant in %s)", v.name, want.kind, keep(v.name, v.src))
		default:
			var pe *Error
			if !errors.As(err, &pe) || pe.Pos.Line < 1 || pe.Pos.Column < 1 || !strings.HasPrefix(err.Error(), "flake.nix:") {
				t.Errorf("%s: Nix says %s; flakedup's error has no position: %v", v.name, want.kind, err)
				continue
			}
			agree++
		}
	}
	if judged < 3000 {
		t.Errorf("only %d variants judged, want at least 3000", judged)
	}
	t.Logf("variants: %d; Nix accepts %d, rejects %d (parse %d, not an attribute set %d, eval %d); flakedup agrees on %d (%.2f%%)",
		judged, counts["accept"], judged-counts["accept"], counts["reject-parse"], counts["reject-flake"], counts["reject-eval"],
		agree, 100*float64(agree)/float64(max(judged, 1)))

	editsOK := 0
	for _, e := range edits {
		v := variants[e.from]
		if recorded[v.key()].kind != "accept" {
			continue // flakedup read a file Nix rejects: reported above
		}
		got, ok := recorded[variant{src: e.src}.key()]
		if !ok {
			continue
		}
		name := v.name + "/with-follows"
		switch {
		case got.kind != "accept":
			t.Errorf("%s: after Apply Nix says %s (file in %s)", name, got.kind, keep(name, e.src))
			continue
		case got.hash != jsonHash(e.want):
			t.Errorf("%s: after Apply Nix's inputs (hash %s) are not the original plus the follows %s (file in %s)",
				name, got.hash, e.want, keep(name, e.src))
			continue
		case !isSubsequence(v.src, e.src):
			t.Errorf("%s: Apply removed or changed bytes (file in %s)", name, keep(name, e.src))
			continue
		}
		if _, js, err := flakedupVerdict(e.src); err != nil || !bytes.Equal(js, e.want) {
			t.Errorf("%s: flakedup reads the edited file as %s, %v; want %s", name, js, err, e.want)
			continue
		}
		if _, changed, err := Apply(e.src, "flake.nix", e.edits...); err != nil || changed {
			t.Errorf("%s: a second Apply changed=%v, err=%v; want no change", name, changed, err)
			continue
		}
		editsOK++
	}
	t.Logf("follows edits: %d of %d edited variants parse, evaluate in Nix to exactly the added follows, only insert, and are idempotent", editsOK, len(edits))
}
