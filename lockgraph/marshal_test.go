package lockgraph

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/flakedup/flakedup/internal/testenv"
)

// raw is a shorthand for a raw JSON attribute value in hand-built graphs.
func raw(s string) json.RawMessage { return json.RawMessage(s) }

func TestMarshalHandBuilt(t *testing.T) {
	tests := []struct {
		name string
		g    *Graph
		want string
	}{
		{
			name: "root without inputs",
			g:    &Graph{Version: 7, Root: "root", Nodes: map[string]*Node{"root": {Key: "root", IsFlake: true}}},
			want: "{\n  \"nodes\": {\n    \"root\": {}\n  },\n  \"root\": \"root\",\n  \"version\": 7\n}\n",
		},
		{
			name: "renamed nodes, follows, non-flake, extra, escaping, version 5 in",
			g: &Graph{Version: 5, Root: "top", Nodes: map[string]*Node{
				"top": {Key: "top", IsFlake: true, Inputs: NewInputs(
					Input{Name: "b", Target: "x"},
					Input{Name: "a", Target: "y", Follows: []string{"b"}},
					Input{Name: "nixpkgs", Target: "top", Follows: []string{}},
				)},
				"x": {Key: "x", Inputs: NewInputs(),
					Locked: NewAttrs(Attr{"type", `"path"`}, Attr{"path", `"/a<b>&\"\\\u0001\tü"`},
						Attr{"lastModified", `12`}),
					Original: Attrs{},
					Extra:    NewAttrs(Attr{"parent", `["a", "b"]`}, Attr{"zz", `{"k":[],"j":{}}`}),
				},
				"unreachable": {Key: "unreachable", IsFlake: true, Locked: Attrs{{"type", `"path"`}}},
			}},
			want: `{
  "nodes": {
    "b": {
      "flake": false,
      "locked": {
        "lastModified": 12,
        "path": "/a<b>&\"\\\u0001\tü",
        "type": "path"
      },
      "original": {},
      "parent": [
        "a",
        "b"
      ],
      "zz": {
        "j": {},
        "k": []
      }
    },
    "root": {
      "inputs": {
        "a": [
          "b"
        ],
        "b": "b",
        "nixpkgs": []
      }
    }
  },
  "root": "root",
  "version": 7
}
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(Marshal(tt.g))
			if got != tt.want {
				t.Errorf("Marshal:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestNixKeys(t *testing.T) {
	// root -> {a, nixpkgs, nixpkgs_2 (an input literally named so), shared};
	// a -> {nixpkgs}. a/nixpkgs is reached first and takes "nixpkgs"; the
	// root's nixpkgs then takes "nixpkgs_2", so the input named "nixpkgs_2"
	// gets "nixpkgs_2_2"; the node shared by two direct edges keeps its
	// first name.
	g := &Graph{Root: "R", Nodes: map[string]*Node{
		"R": {Key: "R", Inputs: NewInputs(
			Input{Name: "nixpkgs_2", Target: "n1"},
			Input{Name: "a", Target: "A"},
			Input{Name: "nixpkgs", Target: "n2"},
			Input{Name: "shared", Target: "n3"},
		)},
		"A":  {Key: "A", Inputs: NewInputs(Input{Name: "nixpkgs", Target: "n3"}, Input{Name: "f", Target: "n2", Follows: []string{"nixpkgs"}})},
		"n1": {Key: "n1"}, "n2": {Key: "n2"}, "n3": {Key: "n3"},
	}}
	order, names := NixKeys(g)
	wantOrder := []string{"R", "A", "n3", "n2", "n1"}
	wantNames := map[string]string{"R": "root", "A": "a", "n3": "nixpkgs", "n2": "nixpkgs_2", "n1": "nixpkgs_2_2"}
	if len(order) != len(wantOrder) {
		t.Fatalf("order = %v, want %v", order, wantOrder)
	}
	for i := range order {
		if order[i] != wantOrder[i] {
			t.Fatalf("order = %v, want %v", order, wantOrder)
		}
	}
	for k, v := range wantNames {
		if names[k] != v {
			t.Errorf("names[%q] = %q, want %q (all: %v)", k, names[k], v, names)
		}
	}
	if len(names) != len(wantNames) {
		t.Errorf("names = %v, want %v", names, wantNames)
	}
}

// loadLock is Load for tests: it fails the test on an error.
func loadLock(t *testing.T, data []byte) *Graph {
	t.Helper()
	g, err := Load(data)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return g
}

// corpusLocks returns the flake.lock files of the shared corpus by folder
// name, skipping the test when the corpus is missing (failing instead when
// FLAKEDUP_CORPUS is set).
func corpusLocks(t *testing.T) map[string][]byte {
	t.Helper()
	files := testenv.CorpusFiles(t, "flake.lock")
	locks := make(map[string][]byte, len(files))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		locks[filepath.Base(filepath.Dir(f))] = data
	}
	return locks
}

func TestMarshalCorpusRoundTrip(t *testing.T) {
	same, differ := 0, 0
	for name, data := range corpusLocks(t) {
		var head struct{ Version int }
		if err := json.Unmarshal(data, &head); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if head.Version != 7 {
			continue
		}
		got := Marshal(loadLock(t, data))
		if bytes.Equal(got, data) {
			same++
			continue
		}
		differ++
		t.Errorf("%s: Marshal(Load(lock)) differs from the lock", name)
	}
	t.Logf("version 7 corpus locks: %d byte-identical, %d differ", same, differ)
}

// FuzzMarshal checks that whatever Load accepts, Marshal writes valid JSON
// that Load accepts again and that Marshal then reproduces byte for byte
// (Nix's writer is a fixed point of its own reader).
func FuzzMarshal(f *testing.F) {
	f.Add([]byte(handLock))
	f.Add([]byte(`{"nodes":{"root":{"inputs":{"a":"x","b":["a"]}},"x":{"locked":{"type":"path","path":"/<\u00e9\n>"},"original":{},"flake":false,"parent":[]}},"root":"root","version":7}`))
	f.Add([]byte(`{"nodes":{"r":{"inputs":{"a":"n","b":"n"}},"n":{"info":{"narHash":"x"},"locked":{"type":"git"},"original":{"type":"git"}}},"root":"r","version":5}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := Load(data)
		if err != nil {
			return
		}
		out := Marshal(g)
		if !json.Valid(out) {
			t.Fatalf("Marshal wrote invalid JSON:\n%s", out)
		}
		g2, err := Load(out)
		if err != nil {
			t.Fatalf("Load(Marshal(g)): %v\n%s", err, out)
		}
		if again := Marshal(g2); !bytes.Equal(again, out) {
			t.Fatalf("Marshal is not a fixed point:\n%s\nthen:\n%s", out, again)
		}
	})
}
