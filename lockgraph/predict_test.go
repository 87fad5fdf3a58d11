package lockgraph

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flakedup/flakedup/internal/testenv"
)

// handLock is a small lock in the shape of scenario.sh's world: root ->
// {B, C, nixpkgs}, B -> {C, nixpkgs}, both C -> {nixpkgs}, and a follows
// D/nixpkgs -> B/C/nixpkgs that passes through B/C.
const handLock = `{
  "nodes": {
    "B": {
      "inputs": {
        "C": "C",
        "nixpkgs": "nixpkgs_2"
      },
      "locked": {"type": "path", "path": "/B"},
      "original": {"type": "path", "path": "/B"}
    },
    "C": {
      "inputs": {"nixpkgs": "nixpkgs"},
      "locked": {"type": "path", "path": "/C"},
      "original": {"type": "path", "path": "/C"}
    },
    "C_2": {
      "inputs": {"nixpkgs": "nixpkgs_3"},
      "locked": {"type": "path", "path": "/C"},
      "original": {"type": "path", "path": "/C"}
    },
    "D": {
      "inputs": {"nixpkgs": ["B", "C", "nixpkgs"]},
      "locked": {"type": "path", "path": "/D"},
      "original": {"type": "path", "path": "/D"}
    },
    "nixpkgs": {"locked": {"type": "path", "path": "/np2"}, "original": {"type": "path", "path": "/np2"}},
    "nixpkgs_2": {"locked": {"type": "path", "path": "/np3"}, "original": {"type": "path", "path": "/np3"}},
    "nixpkgs_3": {"locked": {"type": "path", "path": "/np2"}, "original": {"type": "path", "path": "/np2"}},
    "nixpkgs_4": {"locked": {"type": "path", "path": "/np1"}, "original": {"type": "path", "path": "/np1"}},
    "root": {"inputs": {"B": "B", "C": "C_2", "D": "D", "nixpkgs": "nixpkgs_4"}}
  },
  "root": "root",
  "version": 7
}`

// summary renders a graph as one line per node: key, then its inputs as
// name=target for direct edges and name=>a/b@target for follows, then the
// locked path. It is what the Predict tests compare.
func summary(g *Graph) string {
	order, _ := NixKeys(g)
	var b strings.Builder
	for _, key := range order {
		n := g.Nodes[key]
		b.WriteString(key)
		for _, e := range n.Inputs {
			in := e.Name
			if e.IsFollows() {
				b.WriteString(" " + in + "=>" + strings.Join(e.Follows, "/") + "@" + e.Target)
			} else {
				b.WriteString(" " + in + "=" + e.Target)
			}
		}
		if p := n.Locked.String("path"); p != "" {
			b.WriteString(" " + p)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func TestPredict(t *testing.T) {
	tests := []struct {
		name    string
		follows []Follows
		want    string
		wantErr string
	}{
		{
			name: "no follows: unchanged",
			want: `root B=B C=C_2 D=D nixpkgs=nixpkgs_4
B C=C nixpkgs=nixpkgs_2 /B
C nixpkgs=nixpkgs /C
nixpkgs /np2
nixpkgs_2 /np3
C_2 nixpkgs=nixpkgs_3 /C
nixpkgs_3 /np2
D nixpkgs=>B/C/nixpkgs@nixpkgs /D
nixpkgs_4 /np1
`,
		},
		{
			name:    "flat follows renumbers the rest",
			follows: []Follows{{Input: []string{"B", "nixpkgs"}, Target: []string{"nixpkgs"}}},
			want: `root B=B C=C_2 D=D nixpkgs=nixpkgs_3
B C=C nixpkgs=>nixpkgs@nixpkgs_3 /B
C nixpkgs=nixpkgs /C
nixpkgs /np2
C_2 nixpkgs=nixpkgs_2 /C
nixpkgs_2 /np2
D nixpkgs=>B/C/nixpkgs@nixpkgs /D
nixpkgs_3 /np1
`,
		},
		{
			name: "intermediate collapsed: subtree gone, follows through B/C resolve anew",
			follows: []Follows{
				{Input: []string{"B", "C"}, Target: []string{"C"}},
				{Input: []string{"B", "C", "nixpkgs"}, Target: []string{"nixpkgs"}}, // below a follows: ignored
			},
			want: `root B=B C=C D=D nixpkgs=nixpkgs_3
B C=>C@C nixpkgs=nixpkgs /B
nixpkgs /np3
C nixpkgs=nixpkgs_2 /C
nixpkgs_2 /np2
D nixpkgs=>B/C/nixpkgs@nixpkgs_2 /D
nixpkgs_3 /np1
`,
		},
		{
			name: "follows of the root flake and of a missing input (ignored)",
			follows: []Follows{
				{Input: []string{"C", "nixpkgs"}, Target: []string{}},
				{Input: []string{"C", "nosuch"}, Target: []string{"nixpkgs"}},
			},
			want: `root B=B C=C_2 D=D nixpkgs=nixpkgs_3
B C=C nixpkgs=nixpkgs_2 /B
C nixpkgs=nixpkgs /C
nixpkgs /np2
nixpkgs_2 /np3
C_2 nixpkgs=>@root /C
D nixpkgs=>B/C/nixpkgs@nixpkgs /D
nixpkgs_3 /np1
`,
		},
		{
			name:    "target leads nowhere",
			follows: []Follows{{Input: []string{"B", "nixpkgs"}, Target: []string{"nixpkgsX"}}},
			wantErr: "input 'B/nixpkgs' follows 'nixpkgsX': input 'nixpkgsX' does not exist",
		},
		{
			name:    "a follows elsewhere now leads nowhere",
			follows: []Follows{{Input: []string{"B", "C"}, Target: []string{"nixpkgs"}}},
			wantErr: "input 'D/nixpkgs' follows 'B/C/nixpkgs': input 'B/C/nixpkgs' does not exist",
		},
		{
			name: "cycle",
			follows: []Follows{
				{Input: []string{"B", "C"}, Target: []string{"D", "nixpkgs"}},
			},
			wantErr: "input 'B/C' follows 'D/nixpkgs': follow cycle detected at 'B/C/nixpkgs'",
		},
		{
			name:    "parent missing",
			follows: []Follows{{Input: []string{"X", "nixpkgs"}, Target: []string{"nixpkgs"}}},
			wantErr: "follows X/nixpkgs -> nixpkgs: input 'X' does not exist",
		},
		{
			name:    "root itself",
			follows: []Follows{{Input: []string{}, Target: []string{"nixpkgs"}}},
			wantErr: "follows  -> nixpkgs: the root flake itself cannot follow anything",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := loadLock(t, []byte(handLock))
			before := string(Marshal(g))
			got, err := Predict(g, tt.follows)
			if after := string(Marshal(g)); after != before {
				t.Errorf("Predict modified its input graph")
			}
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s := summary(got); s != tt.want {
				t.Errorf("Predict:\n%s\nwant:\n%s", s, tt.want)
			}
			if got.Version != 7 || got.Root != "root" {
				t.Errorf("version %d root %q, want 7 root", got.Version, got.Root)
			}
			// The result is already named as Nix names it.
			if again := loadLock(t, Marshal(got)); summary(again) != summary(got) {
				t.Errorf("Marshal renamed a predicted graph:\n%s", summary(again))
			}
		})
	}
}

func TestPromote(t *testing.T) {
	g := loadLock(t, []byte(handLock))
	got, err := Promote(g, "BC", []string{"B", "C"})
	if err != nil {
		t.Fatal(err)
	}
	want := `root B=B BC=BC C=C_2 D=D nixpkgs=nixpkgs_5
B C=C nixpkgs=nixpkgs_2 /B
C nixpkgs=nixpkgs /C
nixpkgs /np2
nixpkgs_2 /np3
BC nixpkgs=nixpkgs_3 /C
nixpkgs_3 /np2
C_2 nixpkgs=nixpkgs_4 /C
nixpkgs_4 /np2
D nixpkgs=>B/C/nixpkgs@nixpkgs /D
nixpkgs_5 /np1
`
	if s := summary(got); s != want {
		t.Errorf("Promote:\n%s\nwant:\n%s", s, want)
	}
	if orig := string(Marshal(&Graph{Root: "x", Nodes: map[string]*Node{"x": {Key: "x", Original: got.Nodes["BC"].Original}}})); !strings.Contains(orig, "\"original\": {\n        \"path\": \"/C\",\n        \"type\": \"path\"\n      }") {
		t.Errorf("promoted original:\n%s", orig)
	}
	// Then collapsing B/C onto it drops B's own copy.
	after, err := Predict(got, []Follows{{Input: []string{"B", "C"}, Target: []string{"BC"}}})
	if err != nil {
		t.Fatal(err)
	}
	wantAfter := `root B=B BC=BC C=C D=D nixpkgs=nixpkgs_4
B C=>BC@BC nixpkgs=nixpkgs /B
nixpkgs /np3
BC nixpkgs=nixpkgs_2 /C
nixpkgs_2 /np2
C nixpkgs=nixpkgs_3 /C
nixpkgs_3 /np2
D nixpkgs=>B/C/nixpkgs@nixpkgs_2 /D
nixpkgs_4 /np1
`
	if s := summary(after); s != wantAfter {
		t.Errorf("Promote then Predict:\n%s\nwant:\n%s", s, wantAfter)
	}
	for _, tc := range []struct {
		name string
		path []string
		want string
	}{
		{"B", []string{"B", "C"}, `promote B/C to root input "B": the root already has an input "B"`},
		{"X", []string{"B", "nope"}, `promote B/nope to root input "X": input 'B/nope' does not exist`},
		{"X", nil, `promote to root input "X": the root flake itself cannot be promoted`},
	} {
		if _, err := Promote(g, tc.name, tc.path); err == nil || err.Error() != tc.want {
			t.Errorf("Promote(%q, %v) err = %v, want %q", tc.name, tc.path, err, tc.want)
		}
	}
}

// TestPredictAgainstNix runs shared/nix-offline/scenario.sh (real Nix,
// offline, about 40 s) and checks that Marshal reproduces every lock it
// writes and that Predict reproduces the locks Nix wrote after each added
// follows, byte for byte.
func TestPredictAgainstNix(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real Nix for about 40 s; skipped with -short")
	}
	testenv.RequireTools(t, "nix", "git", "jq", "bash")
	script, err := filepath.Abs("../../shared/nix-offline/scenario.sh")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(script); err != nil {
		if os.Getenv(testenv.EnvNix) != "" {
			t.Fatalf("%s is set but %s is missing", testenv.EnvNix, script)
		}
		t.Skipf("%s not found", script)
	}
	lab := t.TempDir()
	cmd := exec.Command("bash", script)
	cmd.Dir = lab
	cmd.Env = append(os.Environ(), "NIXLAB="+lab)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("scenario.sh: %v\n%s", err, tail(out, 3000))
	}
	run := filepath.Join(lab, "run")
	read := func(rel string) []byte {
		data, err := os.ReadFile(filepath.Join(run, rel))
		if err != nil {
			t.Fatal(err)
		}
		return data
	}

	// Every lock Nix wrote round-trips.
	for _, rel := range []string{"lock.before.json", "lock.3a.json", "lock.3d.json", "lock.after.json",
		"lock.path.before.json", "lock.path.after.json", "w/A2/flake.lock", "w/B/flake.lock",
		"w/B2/flake.lock", "w/C/flake.lock"} {
		data := read(rel)
		if got := Marshal(loadLock(t, data)); !bytes.Equal(got, data) {
			t.Errorf("%s: Marshal(Load(lock)) differs:\n%s", rel, got)
		}
	}

	f := func(in, target string) Follows {
		return Follows{Input: strings.Split(in, "/"), Target: strings.Split(target, "/")}
	}
	bNix, bC, cNix := f("B/nixpkgs", "nixpkgs"), f("B/C", "C"), f("C/nixpkgs", "nixpkgs")
	for _, tc := range []struct {
		before, after string
		follows       []Follows
	}{
		{"lock.before.json", "lock.3a.json", []Follows{bNix}},
		{"lock.3a.json", "lock.3d.json", []Follows{bNix, bC}},
		{"lock.before.json", "lock.3d.json", []Follows{bC, bNix}},
		{"lock.before.json", "lock.after.json", []Follows{bNix, bC, cNix}},
		{"lock.3d.json", "lock.after.json", []Follows{cNix}},
		{"lock.path.before.json", "lock.path.after.json", []Follows{bNix, bC, cNix}},
	} {
		pred, err := Predict(loadLock(t, read(tc.before)), tc.follows)
		if err != nil {
			t.Errorf("%s + %v: %v", tc.before, tc.follows, err)
			continue
		}
		if got, want := Marshal(pred), read(tc.after); !bytes.Equal(got, want) {
			t.Errorf("Predict(%s, %v) differs from %s:\n%s", tc.before, tc.follows, tc.after, got)
		}
	}
}

// tail returns the last n bytes of b.
func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

func TestPredictRecoversFromBrokenGraph(t *testing.T) {
	g := &Graph{Root: "r", Nodes: map[string]*Node{
		"r": {Key: "r", Inputs: NewInputs(Input{Name: "a", Target: "x"})},
		"x": nil,
	}}
	_, err := Predict(g, nil)
	if err == nil || !strings.HasPrefix(err.Error(), "predict: internal error: ") {
		t.Errorf("Predict on a nil node: err = %v, want an internal error", err)
	}
	if _, err := Plan(g, nil, Policy{}); err == nil || !strings.HasSuffix(err.Error(), "predict: internal error: runtime error: invalid memory address or nil pointer dereference") {
		t.Errorf("Plan on a nil node: err = %v, want an internal error", err)
	}
	if got, want := string(Marshal(g)), "{\n  \"nodes\": {\n    \"root\": {\n      \"inputs\": {\n        \"a\": \"x\"\n      }\n    }\n  },\n  \"root\": \"root\",\n  \"version\": 7\n}\n"; got != want {
		t.Errorf("Marshal with a nil node:\n%s\nwant:\n%s", got, want)
	}
}

// innerFollowsLock is root -> {G, nixpkgs}, G -> {F, nixpkgs}, F -> {X,
// nixpkgs, y}, where F's own X/nixpkgs follows F/nixpkgs (stored as
// G/F/nixpkgs) and F/y follows G/nixpkgs, outside F.
const innerFollowsLock = `{
  "nodes": {
    "F": {"inputs": {"X": "X", "nixpkgs": "nixpkgs", "y": ["G", "nixpkgs"]}, "locked": {"type": "path", "path": "/F"}, "original": {"type": "path", "path": "/F"}},
    "G": {"inputs": {"F": "F", "nixpkgs": "nixpkgs_2"}, "locked": {"type": "path", "path": "/G"}, "original": {"type": "path", "path": "/G"}},
    "X": {"inputs": {"nixpkgs": ["G", "F", "nixpkgs"]}, "locked": {"type": "path", "path": "/X"}, "original": {"type": "path", "path": "/X"}},
    "nixpkgs": {"locked": {"type": "path", "path": "/np1"}, "original": {"type": "path", "path": "/np1"}},
    "nixpkgs_2": {"locked": {"type": "path", "path": "/np2"}, "original": {"type": "path", "path": "/np2"}},
    "nixpkgs_3": {"locked": {"type": "path", "path": "/np3"}, "original": {"type": "path", "path": "/np3"}},
    "root": {"inputs": {"G": "G", "nixpkgs": "nixpkgs_3"}}
  },
  "root": "root",
  "version": 7
}`

// TestPromoteInnerFollows checks that a follows the promoted subtree holds
// into itself moves with it (as Nix writes a dependency's own follows
// relative to where it is locked), while one pointing outside stays.
func TestPromoteInnerFollows(t *testing.T) {
	got, err := Promote(loadLock(t, []byte(innerFollowsLock)), "F", []string{"G", "F"})
	if err != nil {
		t.Fatal(err)
	}
	want := `root F=F G=G nixpkgs=nixpkgs_4
F X=X nixpkgs=nixpkgs y=>G/nixpkgs@nixpkgs_3 /F
X nixpkgs=>F/nixpkgs@nixpkgs /X
nixpkgs /np1
G F=F_2 nixpkgs=nixpkgs_3 /G
F_2 X=X_2 nixpkgs=nixpkgs_2 y=>G/nixpkgs@nixpkgs_3 /F
X_2 nixpkgs=>G/F/nixpkgs@nixpkgs_2 /X
nixpkgs_2 /np1
nixpkgs_3 /np2
nixpkgs_4 /np3
`
	if s := summary(got); s != want {
		t.Errorf("Promote:\n%s\nwant:\n%s", s, want)
	}
}
