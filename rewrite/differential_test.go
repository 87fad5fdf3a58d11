package rewrite

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/flakedup/flakedup/internal/testenv"
)

// The differential test checks that Parse accepts exactly what real Nix
// (`nix-instantiate --parse`, Nix 2.8) accepts, over every corpus
// flake.nix and deterministic mutations of them.
//
// Nix takes a few hundred milliseconds per run on a loaded machine, so its
// verdicts are recorded in verdictsFile, keyed by a hash of the variant:
// the test asks Nix only about variants missing from it (all of them with
// -update, which rewrites the file). Without nix-instantiate the recorded
// verdicts are still checked; missing ones are skipped, or fail when
// FLAKEDUP_NIX is set.

const (
	verdictsFile    = "../fixtures/parse/nix-verdicts/verdicts.txt"
	trickyFile      = "../fixtures/parse/nix-verdicts/tricky.txt"
	variantsPerFile = 44 // 46 corpus files give 2,024 variants
	mutationSeed    = 20261125
	// liveSampleStride picks every n-th variant for the live re-check
	// against Nix (about 100 of the 2,024).
	liveSampleStride = 20
)

// variant is one input of the differential test.
type variant struct {
	name string // e.g. "owner__repo/cut-17"
	src  []byte
}

func (v variant) key() string {
	sum := sha256.Sum256(v.src)
	return hex.EncodeToString(sum[:8])
}

// corpusFiles returns the corpus flake.nix files, skipping the test when
// the corpus is absent (failing instead when FLAKEDUP_CORPUS is set).
func corpusFiles(t testing.TB) []string {
	t.Helper()
	return testenv.CorpusFiles(t, "flake.nix")
}

// mutate returns n deterministic variants of src: a token deleted, a token
// duplicated, the file cut at a byte, two nearby tokens swapped, in turn.
func mutate(name string, src []byte, n int, rng *rand.Rand) []variant {
	tokens, _ := lex(src)
	var idx []int // tokens with bytes of their own
	for i, t := range tokens {
		if len(t.Text) > 0 {
			idx = append(idx, i)
		}
	}
	if len(idx) < 2 {
		return nil
	}
	rebuild := func(edit func(i int, t Token) []byte) []byte {
		var b bytes.Buffer
		for i, t := range tokens {
			b.Write(t.Leading)
			b.Write(edit(i, t))
		}
		return b.Bytes()
	}
	var out []variant
	for k := 0; k < n; k++ {
		var v variant
		switch k % 4 {
		case 0:
			d := idx[rng.Intn(len(idx))]
			v = variant{fmt.Sprintf("%s/delete-%d", name, d), rebuild(func(i int, t Token) []byte {
				if i == d {
					return nil
				}
				return t.Text
			})}
		case 1:
			d := idx[rng.Intn(len(idx))]
			v = variant{fmt.Sprintf("%s/duplicate-%d", name, d), rebuild(func(i int, t Token) []byte {
				if i == d {
					return append(append(append([]byte{}, t.Text...), ' '), t.Text...)
				}
				return t.Text
			})}
		case 2:
			at := rng.Intn(len(src))
			v = variant{fmt.Sprintf("%s/cut-%d", name, at), append([]byte{}, src[:at]...)}
		case 3:
			j := rng.Intn(len(idx) - 1)
			k := min(j+1+rng.Intn(3), len(idx)-1)
			a, b := idx[j], idx[k]
			v = variant{fmt.Sprintf("%s/swap-%d-%d", name, a, b), rebuild(func(i int, t Token) []byte {
				switch i {
				case a:
					return tokens[b].Text
				case b:
					return tokens[a].Text
				}
				return t.Text
			})}
		}
		out = append(out, v)
	}
	return out
}

// trickyCases reads the hand-written cases: Go-quoted strings, one a line.
func trickyCases(t *testing.T) []variant {
	t.Helper()
	data, err := os.ReadFile(trickyFile)
	if err != nil {
		t.Fatal(err)
	}
	var out []variant
	for i, line := range strings.Split(string(data), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		src, err := strconv.Unquote(line)
		if err != nil {
			t.Fatalf("%s:%d: %v", trickyFile, i+1, err)
		}
		out = append(out, variant{fmt.Sprintf("tricky/line-%d", i+1), []byte(src)})
	}
	return out
}

// readVerdicts reads "key accept|reject" lines.
func readVerdicts(t *testing.T) map[string]bool {
	t.Helper()
	verdicts := map[string]bool{}
	for _, f := range verdictLines(t, verdictsFile) {
		if len(f) == 2 {
			verdicts[f[0]] = f[1] == "accept"
		}
	}
	return verdicts
}

// verdictLines returns the whitespace-separated fields of each line of a
// recorded verdicts file, none when the file does not exist yet.
func verdictLines(t *testing.T, path string) [][]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var lines [][]string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		lines = append(lines, strings.Fields(sc.Text()))
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return lines
}

func writeVerdicts(t *testing.T, verdicts map[string]bool) {
	t.Helper()
	keys := make([]string, 0, len(verdicts))
	for k := range verdicts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		word := "reject"
		if verdicts[k] {
			word = "accept"
		}
		fmt.Fprintf(&b, "%s %s\n", k, word)
	}
	if err := os.MkdirAll(filepath.Dir(verdictsFile), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(verdictsFile, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// nixVerdicts asks nix-instantiate about the variants, two workers, each
// running batches: `nix-instantiate --parse f1 f2 ...` stops at the first
// file it rejects, which the error names; the files before it were
// accepted, and the batch goes on after it.
func nixVerdicts(t *testing.T, nix string, vs []variant, extra ...string) map[string]bool {
	t.Helper()
	dir := t.TempDir()
	paths := make([]string, len(vs))
	for i, v := range vs {
		paths[i] = filepath.Join(dir, fmt.Sprintf("v%05d.nix", i))
		if err := os.WriteFile(paths[i], v.src, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	accepted := make([]bool, len(vs))
	const batch = 40
	jobs := make(chan [2]int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				if err := runBatch(nix, extra, paths, accepted, j[0], j[1]); err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
				}
			}
		}()
	}
	for lo := 0; lo < len(vs); lo += batch {
		jobs <- [2]int{lo, min(lo+batch, len(vs))}
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil {
		t.Fatal(firstErr)
	}
	out := map[string]bool{}
	for i, v := range vs {
		out[v.key()] = accepted[i]
	}
	return out
}

var nixErrorFile = regexp.MustCompile(`/(v\d{5})\.nix:\d+:\d+`)

// runBatch fills accepted[lo:hi] by running nix (with the extra flags) on
// paths[lo:hi].
func runBatch(nix string, extra, paths []string, accepted []bool, lo, hi int) error {
	for lo < hi {
		args := append(append(append([]string{}, extra...), "--store", "dummy://", "--parse"), paths[lo:hi]...)
		var stderr bytes.Buffer
		cmd := exec.Command(nix, args...)
		cmd.Stderr = &stderr
		err := cmd.Run()
		if err == nil {
			for i := lo; i < hi; i++ {
				accepted[i] = true
			}
			return nil
		}
		if _, ok := err.(*exec.ExitError); !ok {
			return fmt.Errorf("running %s: %w", nix, err)
		}
		bad := -1
		if m := nixErrorFile.FindStringSubmatch(stderr.String()); m != nil {
			for i := lo; i < hi; i++ {
				if strings.HasSuffix(paths[i], "/"+m[1]+".nix") {
					bad = i
				}
			}
		}
		if bad < 0 {
			if hi-lo == 1 {
				accepted[lo] = false
				return nil
			}
			// The error names no file: ask about each file alone.
			for i := lo; i < hi; i++ {
				if err := runBatch(nix, extra, paths, accepted, i, i+1); err != nil {
					return err
				}
			}
			return nil
		}
		for i := lo; i < bad; i++ {
			accepted[i] = true
		}
		accepted[bad] = false
		lo = bad + 1
	}
	return nil
}

// differentialSet returns the inputs of the parser differential: the
// corpus files, their mutated variants and the hand-written edge cases.
func differentialSet(t *testing.T) (originals, variants, tricky []variant) {
	t.Helper()
	for i, f := range corpusFiles(t) {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(filepath.Dir(f))
		originals = append(originals, variant{name, src})
		rng := rand.New(rand.NewSource(mutationSeed + int64(i)))
		variants = append(variants, mutate(name, src, variantsPerFile, rng)...)
	}
	return originals, variants, trickyCases(t)
}

func TestDifferentialNix(t *testing.T) {
	nix, haveNix := testenv.LookTool(t, "nix-instantiate")
	originals, variants, tricky := differentialSet(t)
	all := append(append(append([]variant{}, originals...), variants...), tricky...)

	verdicts := readVerdicts(t)
	var missing []variant
	for _, v := range all {
		if _, ok := verdicts[v.key()]; !ok || *update {
			missing = append(missing, v)
		}
	}
	if len(missing) > 0 {
		if haveNix {
			t.Logf("asking nix-instantiate about %d variants", len(missing))
			for k, ok := range nixVerdicts(t, nix, missing) {
				verdicts[k] = ok
			}
			current := map[string]bool{}
			for _, v := range all {
				current[v.key()] = verdicts[v.key()]
			}
			writeVerdicts(t, current)
		} else {
			t.Logf("%d variants have no recorded verdict and nix-instantiate is not on PATH: not checked", len(missing))
		}
	}

	// The recorded verdicts are Nix's own answers; where Nix is here, ask it
	// again, live, about every corpus file and a fixed sample of the
	// variants, so that a wrong or stale record cannot hide a disagreement.
	if haveNix && !*update {
		sample := append([]variant{}, originals...)
		for i := 0; i < len(variants); i += liveSampleStride {
			sample = append(sample, variants[i])
		}
		live := nixVerdicts(t, nix, sample)
		for _, v := range sample {
			if live[v.key()] != verdicts[v.key()] {
				t.Errorf("%s: recorded verdict accept=%v, but nix-instantiate now says accept=%v (run with -update)",
					v.name, verdicts[v.key()], live[v.key()])
			}
		}
		t.Logf("live check: nix-instantiate agrees with the record on %d inputs", len(sample))
	}

	var failDir string
	check := func(vs []variant) (agree, total int) {
		for _, v := range vs {
			want, ok := verdicts[v.key()]
			if !ok {
				continue
			}
			total++
			_, err := Parse("flake.nix", v.src)
			if errors.Is(err, ErrInternal) {
				t.Errorf("%s: %v", v.name, err) // a recovered panic is a bug, even where nix rejects too
			}
			if got := err == nil; got == want {
				agree++
				continue
			}
			if failDir == "" {
				failDir, _ = os.MkdirTemp("", "flakedup-differential-")
			}
			out := filepath.Join(failDir, strings.ReplaceAll(v.name, "/", "__")+".nix")
			_ = os.WriteFile(out, v.src, 0o644)
			t.Errorf("%s: nix accepts=%v, Parse error=%v (variant written to %s)", v.name, want, err, out)
		}
		return agree, total
	}
	agree, total := check(originals)
	if total != len(originals) {
		t.Errorf("only %d of %d corpus files have a verdict", total, len(originals))
	}
	t.Logf("corpus files: %d/%d agree", agree, total)
	agree, total = check(variants)
	if total < 2000 {
		t.Errorf("only %d variants checked, want at least 2000", total)
	}
	agreeTricky, totalTricky := check(tricky)
	t.Logf("hand-written edge cases: %d/%d agree", agreeTricky, totalTricky)
	rejected := 0
	for _, v := range variants {
		if ok, known := verdicts[v.key()]; known && !ok {
			rejected++
		}
	}
	t.Logf("mutated variants: %d/%d agree (%.2f%%); nix rejects %d of them", agree, total, 100*float64(agree)/float64(max(total, 1)), rejected)
}

const shapesFile = "../fixtures/parse/nix-verdicts/shapes.txt"

// nixShow prints the operator subset of the tree the way
// `nix-instantiate --parse` (Nix 2.8) prints expressions: arithmetic and
// comparisons as calls of __sub, __mul, __div and __lessThan, negation as
// (__sub 0 x), applications flattened, parentheses dropped.
func nixShow(n Node) string {
	switch n := n.(type) {
	case *Ident:
		return n.Name
	case *Literal:
		if n.Kind == TokenFloat {
			f, _ := strconv.ParseFloat(n.Text, 64)
			return fmt.Sprintf("%.6g", f)
		}
		return n.Text
	case *Paren:
		return nixShow(n.Expr)
	case *With:
		return "(with " + nixShow(n.Scope) + "; " + nixShow(n.Body) + ")"
	case *AttrSet:
		return "{ }"
	case *Unary:
		if n.Op == TokenNot {
			return "(! " + nixShow(n.Expr) + ")"
		}
		return "(__sub 0 " + nixShow(n.Expr) + ")"
	case *Binary:
		l, r := nixShow(n.Left), nixShow(n.Right)
		switch n.Op {
		case TokenStar:
			return "(__mul " + l + " " + r + ")"
		case TokenMinus:
			return "(__sub " + l + " " + r + ")"
		case TokenSlash:
			return "(__div " + l + " " + r + ")"
		case TokenLess:
			return "(__lessThan " + l + " " + r + ")"
		case TokenGreater:
			return "(__lessThan " + r + " " + l + ")"
		case TokenLeq:
			return "(! (__lessThan " + r + " " + l + "))"
		case TokenGeq:
			return "(! (__lessThan " + l + " " + r + "))"
		}
		return "(" + l + " " + strings.Trim(n.Op.String(), "'") + " " + r + ")"
	case *HasAttr:
		return "((" + nixShow(n.Expr) + ") ? " + dump(n.Path) + ")"
	case *Select:
		s := "(" + nixShow(n.Expr) + ")." + dump(n.Path)
		if n.Default != nil {
			s += " or (" + nixShow(n.Default) + ")"
		}
		return s
	case *Call:
		var args []string
		var f Node = n
		for {
			for {
				p, ok := f.(*Paren)
				if !ok {
					break
				}
				f = p.Expr
			}
			c, ok := f.(*Call)
			if !ok {
				break
			}
			args = append([]string{nixShow(c.Arg)}, args...)
			f = c.Func
		}
		return "(" + nixShow(f) + " " + strings.Join(args, " ") + ")"
	}
	return fmt.Sprintf("<%T>", n)
}

// TestNixShapes checks Parse's trees against Nix's own printing of random
// operator expressions (precedence, associativity, what is rejected).
// -update asks nix-instantiate again for every line.
func TestNixShapes(t *testing.T) {
	data, err := os.ReadFile(shapesFile)
	if err != nil {
		t.Fatal(err)
	}
	nix, nixErr := exec.LookPath("nix-instantiate")
	var out strings.Builder
	checked := 0
	for i, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		quoted, want, ok := strings.Cut(line, "\t")
		if strings.HasPrefix(line, "#") || !ok {
			out.WriteString(line + "\n")
			continue
		}
		src, err := strconv.Unquote(quoted)
		if err != nil {
			t.Fatalf("%s:%d: %v", shapesFile, i+1, err)
		}
		if *update && nixErr == nil {
			path := filepath.Join(t.TempDir(), "shape.nix")
			if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			printed, err := exec.Command(nix, "--store", "dummy://", "--parse", path).Output()
			want = strings.TrimSpace(string(printed))
			if err != nil {
				want = "FAIL"
			}
		}
		fmt.Fprintf(&out, "%s\t%s\n", quoted, want)
		got := "FAIL"
		if f, err := Parse("t.nix", []byte(src)); err == nil {
			got = nixShow(f.Expr)
		}
		if got != want {
			t.Errorf("%s:%d: %s\n got %s\nwant %s", shapesFile, i+1, src, got, want)
		}
		checked++
	}
	if checked < 200 {
		t.Errorf("only %d shapes checked", checked)
	}
	if *update && nixErr == nil {
		if err := os.WriteFile(shapesFile, []byte(out.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
