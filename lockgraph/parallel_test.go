package lockgraph

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/flakedup/flakedup/internal/genlock"
)

// bigLockNodes is the size of the generated lock the tests below use: big
// enough that Load reads it in two halves (more than splitMin bytes) and
// Analyze spreads its work (more than parallelMin nodes).
const bigLockNodes = 20_000

// loadBig loads text and fails the test on an error.
func loadBig(t *testing.T, text string) *Graph {
	t.Helper()
	g, err := LoadString(text)
	if err != nil {
		t.Fatalf("LoadString: %v", err)
	}
	return g
}

// withOneCore runs f with GOMAXPROCS 1, so that Load and Analyze take their
// one-goroutine paths.
func withOneCore(f func()) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	f()
}

// TestBigLockSameOnEveryPath checks that reading a big lock in two halves,
// and analyzing it on several cores, gives exactly what one goroutine
// gives: the same lock written back, the same report.
func TestBigLockSameOnEveryPath(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("one core: the parallel paths are not taken")
	}
	text := string(genlock.Generate(bigLockNodes))
	if len(text) < splitMin {
		t.Fatalf("the generated lock (%d bytes) is too small to be split", len(text))
	}
	// The guess lands on a node key: reading up to it stops there.
	nodes := strings.Index(text, `"nodes": {`) + len(`"nodes": {`)
	at := splitPoint(text, nodes)
	lr := &lockReader{sc: &scanner{s: text, i: nodes}}
	if stopped, err := lr.readEntries(7, at); !stopped || err != nil {
		t.Fatalf("reading up to the split point at %d: stopped %v, %v", at, stopped, err)
	}
	var oneLock []byte
	var oneReport Report
	withOneCore(func() {
		g := loadBig(t, text)
		oneLock, oneReport = mustMarshal(t, g), Analyze(g)
	})
	g := loadBig(t, text)
	if got := mustMarshal(t, g); !bytes.Equal(got, oneLock) {
		t.Errorf("the lock read in two halves differs from the one read in one go")
	}
	if got := Analyze(g); !reflect.DeepEqual(got, oneReport) {
		t.Errorf("Analyze on several cores differs from Analyze on one")
	}
	if oneReport.Nodes != bigLockNodes-1 || len(oneReport.Groups) == 0 {
		t.Errorf("report: %d nodes, %d groups; want %d nodes and some groups",
			oneReport.Nodes, len(oneReport.Groups), bigLockNodes-1)
	}
}

// TestBigLockWrongSplitGuess checks a lock whose line in the middle looks
// like a node key but is not one: Load must notice that its guess was
// wrong and read the lock correctly anyway.
func TestBigLockWrongSplitGuess(t *testing.T) {
	var compact bytes.Buffer
	if err := json.Compact(&compact, genlock.Generate(bigLockNodes)); err != nil {
		t.Fatal(err)
	}
	// Every "owner" field (inside locked and original, never a node key)
	// goes on a line of its own, indented the way Nix indents node keys.
	text := strings.ReplaceAll(compact.String(), `"owner":`, "\n    \"owner\":")
	at := splitPoint(text, strings.Index(text, `"nodes":`)+len(`"nodes":`))
	if at < 0 || !strings.HasPrefix(text[at:], `"owner"`) {
		t.Fatalf("the split guess does not land on an owner field")
	}
	want := mustMarshal(t, loadBig(t, compact.String()))
	if got := mustMarshal(t, loadBig(t, text)); !bytes.Equal(got, want) {
		t.Errorf("a lock with a wrong split guess was read differently")
	}
}

// TestBigLockErrorsAsInOneGo checks that the errors of a big lock are the
// ones reading it in one go finds, whichever half they are in: the first in
// document order.
func TestBigLockErrorsAsInOneGo(t *testing.T) {
	text := string(genlock.Generate(bigLockNodes))
	nodes := strings.Index(text, `"nodes":`)
	mid := splitPoint(text, nodes)
	firstHalf := strings.Index(text[nodes+len(`"nodes": {`)+50:], "\n    \"") + nodes + len(`"nodes": {`) + 50
	// breakAt gives the first node after offset at an "inputs" that is a
	// number.
	breakAt := func(text string, at int) string {
		i := strings.Index(text[at:], `"locked": {`) + at
		return text[:i] + `"inputs": 5, ` + text[i:]
	}
	tests := []struct {
		name string
		text string
		kind ErrorKind
	}{
		{"error in the first half", breakAt(text, firstHalf), KindType},
		{"error in the second half", breakAt(text, mid+10), KindType},
		{"errors in both halves: the first wins", breakAt(breakAt(text, mid+10), firstHalf), KindType},
		{"a node key twice across the halves", duplicateAcross(t, text, mid), KindDuplicate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want error
			withOneCore(func() { _, want = LoadString(tt.text) })
			_, got := LoadString(tt.text)
			var le *LoadError
			if !errors.As(got, &le) || le.Kind != tt.kind {
				t.Fatalf("LoadString: %v, want a %v error", got, tt.kind)
			}
			if want == nil || got.Error() != want.Error() {
				t.Errorf("LoadString: %v\nin one go: %v", got, want)
			}
		})
	}
}

// duplicateAcross returns text with the first node after the split point
// renamed to the name of the first node of the lock.
func duplicateAcross(t *testing.T, text string, mid int) string {
	t.Helper()
	first := strings.Index(text, "\n    \"") + len("\n    ")
	firstKey := text[first : first+strings.Index(text[first+1:], `"`)+2]
	end := mid + strings.Index(text[mid+1:], `"`) + 2
	return text[:mid] + firstKey + text[end:]
}

// TestInParallelPanics checks that a panic in a worker reaches the caller,
// where a recover can turn it into an error.
func TestInParallelPanics(t *testing.T) {
	defer func() {
		if r := recover(); r != "boom" {
			t.Errorf("recovered %v, want boom", r)
		}
	}()
	inParallel(100, 1, 2, func() func(int) {
		return func(i int) {
			if i == 57 {
				panic("boom")
			}
		}
	})
	t.Errorf("inParallel returned after a worker panicked")
}

// TestInParallelCallsEachOnce checks that every index is handed out once,
// whatever the number of workers and the chunk size.
func TestInParallelCallsEachOnce(t *testing.T) {
	for _, tt := range []struct{ n, chunk, workers int }{
		{0, 1, 2}, {1, 1, 2}, {10, 3, 2}, {1000, 7, 4}, {1000, 1024, 2}, {5, 1, 1},
	} {
		seen := make([]int32, tt.n)
		inParallel(tt.n, tt.chunk, tt.workers, func() func(int) {
			return func(i int) { seen[i]++ } // each i once: no two workers write one slot
		})
		for i, c := range seen {
			if c != 1 {
				t.Errorf("n=%d chunk=%d workers=%d: index %d called %d times", tt.n, tt.chunk, tt.workers, i, c)
			}
		}
	}
}

// mustMarshal writes g back as Nix would.
func mustMarshal(t *testing.T, g *Graph) []byte {
	t.Helper()
	return Marshal(g)
}
