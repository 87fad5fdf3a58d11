package genlock

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// lockStats decodes a generated lock and counts what the benchmarks rely on.
type lockStats struct {
	nodes, nixpkgs, follows, nonFlakes int
}

func stats(t *testing.T, data []byte) lockStats {
	t.Helper()
	var lock struct {
		Nodes map[string]struct {
			Inputs map[string]json.RawMessage
			Flake  *bool
		}
		Root    string
		Version int
	}
	if err := json.Unmarshal(data, &lock); err != nil {
		t.Fatal(err)
	}
	if lock.Root != "root" || lock.Version != 7 {
		t.Fatalf("root %q version %d, want root 7", lock.Root, lock.Version)
	}
	var s lockStats
	for key, n := range lock.Nodes {
		s.nodes++
		if strings.HasPrefix(key, "nixpkgs") {
			s.nixpkgs++
		}
		if n.Flake != nil && !*n.Flake {
			s.nonFlakes++
		}
		for _, edge := range n.Inputs {
			if edge[0] == '[' {
				s.follows++
			}
		}
	}
	return s
}

func TestGenerate(t *testing.T) {
	tests := []struct {
		nodes, wantNodes int
	}{
		{0, 5}, {5, 5}, {6, 6}, {50, 50}, {1000, 1000}, {20000, 20000},
	}
	for _, tt := range tests {
		data := Generate(tt.nodes)
		if !bytes.Equal(data, Generate(tt.nodes)) {
			t.Errorf("Generate(%d) differs between calls", tt.nodes)
		}
		s := stats(t, data)
		if s.nodes != tt.wantNodes {
			t.Errorf("Generate(%d): %d nodes, want %d", tt.nodes, s.nodes, tt.wantNodes)
		}
		if tt.nodes >= 1000 && (s.nixpkgs < 10 || s.follows < 100 || s.nonFlakes == 0) {
			t.Errorf("Generate(%d): %+v, want several nixpkgs copies, follows and flake = false inputs", tt.nodes, s)
		}
	}
}

func TestLadder(t *testing.T) {
	for _, n := range []int{0, 1, 60} {
		s := stats(t, Ladder(n))
		if s.nodes != 3*n+2 || s.follows != n {
			t.Errorf("Ladder(%d): %d nodes, %d follows; want %d and %d", n, s.nodes, s.follows, 3*n+2, n)
		}
	}
}
