package lockgraph

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// updating reports whether the tests run with -update. The flag itself is
// defined once for the package (in plan_test.go); looking it up here keeps
// this file free of a second definition.
func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

const lockgraphFixtures = "../fixtures/lockgraph"

// TestLoadFixtures loads every fixtures/lockgraph/<case>/flake.lock and
// compares a dump of the graph (or the error) with expected.txt beside it.
func TestLoadFixtures(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join(lockgraphFixtures, "*"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no fixtures in %s: %v", lockgraphFixtures, err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, "flake.lock"))
			if err != nil {
				t.Fatal(err)
			}
			got := dumpLoad(data)
			want := filepath.Join(dir, "expected.txt")
			if updating() {
				if err := os.WriteFile(want, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			wantBytes, err := os.ReadFile(want)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(wantBytes) {
				t.Errorf("dump differs from %s:\n--- got\n%s--- want\n%s", want, got, wantBytes)
			}
		})
	}
}

// dumpLoad renders what Load makes of data: the error class and message,
// or every node, edge and attribute followed by the paths of each
// reachable node.
func dumpLoad(data []byte) string {
	g, err := Load(data)
	if err != nil {
		var le *LoadError
		if !errors.As(err, &le) {
			return fmt.Sprintf("error (not a *LoadError): %v\n", err)
		}
		return fmt.Sprintf("error %s: %v\n", le.Kind, err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "version %d\nroot %q\n", g.Version, g.Root)
	for _, key := range sortedNames(g.Nodes) {
		n := g.Nodes[key]
		fmt.Fprintf(&b, "node %q", key)
		if !n.IsFlake {
			b.WriteString(" flake=false")
		}
		b.WriteString("\n")
		for _, in := range n.Inputs {
			fmt.Fprintf(&b, "  input %q -> %q", in.Name, in.Target)
			if in.IsFollows() {
				fmt.Fprintf(&b, " follows %q", in.Follows)
			}
			b.WriteString("\n")
		}
		dumpAttrs(&b, "locked", n.Locked)
		dumpAttrs(&b, "original", n.Original)
		dumpAttrs(&b, "extra", n.Extra)
	}
	paths := g.Paths()
	fmt.Fprintf(&b, "reachable %q\n", g.Reachable())
	for _, key := range g.Reachable() {
		p := paths[key]
		fmt.Fprintf(&b, "paths %q: count %d", key, p.Count)
		if p.Saturated {
			b.WriteString(" (saturated)")
		}
		fmt.Fprintf(&b, ", canonical %q, sample %q\n", p.Canonical, g.SamplePaths(key, 4))
	}
	return b.String()
}

func dumpAttrs(b *strings.Builder, label string, a Attrs) {
	if a == nil {
		return
	}
	fmt.Fprintf(b, "  %s", label)
	for _, f := range a {
		fmt.Fprintf(b, " %s=%s", f.Key, f.Raw)
	}
	b.WriteString("\n")
}

func sortedNames[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// TestLoadErrorKinds checks that callers can tell error classes apart with
// errors.As, and that Node and Input name the place at fault.
func TestLoadErrorKinds(t *testing.T) {
	tests := []struct {
		name, lock  string
		kind        ErrorKind
		node, input string
		line, col   int
	}{
		{"syntax", "{\n  \"nodes\": {,\n}", KindSyntax, "", "", 2, 13},
		{"truncated", "{\"nodes\": {", KindSyntax, "", "", 1, 12},
		{"not object", `"x"`, KindNotObject, "", "", 0, 0},
		{"version", `{"version": 8, "root": "r", "nodes": {"r": {}}}`, KindVersion, "", "", 0, 0},
		{"root", `{"version": 7, "root": "x", "nodes": {"r": {}}}`, KindRoot, "", "", 0, 0},
		{"type", `{"version": 7, "root": "r", "nodes": {"r": {"inputs": {"a": null}}}}`, KindType, "r", "a", 0, 0},
		{"duplicate", `{"version": 7, "root": "r", "nodes": {"r": {}, "r": {}}}`, KindDuplicate, "", "", 0, 0},
		{"missing node", `{"version": 7, "root": "r", "nodes": {"r": {"inputs": {"a": "a"}}}}`, KindMissingNode, "r", "a", 0, 0},
		{"nowhere", `{"version": 7, "root": "r", "nodes": {"r": {"inputs": {"a": ["b"]}}}}`, KindFollowsNowhere, "r", "a", 0, 0},
		{"follows cycle", `{"version": 7, "root": "r", "nodes": {"r": {"inputs": {"a": ["a"]}}}}`, KindFollowsCycle, "r", "a", 0, 0},
		{"direct cycle", `{"version": 7, "root": "r", "nodes": {"r": {"inputs": {"a": "r"}}}}`, KindDirectCycle, "r", "a", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load([]byte(tt.lock))
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("Load error = %v, want a *LoadError", err)
			}
			if le.Kind != tt.kind || le.Node != tt.node || le.Input != tt.input || le.Line != tt.line || le.Column != tt.col {
				t.Errorf("got kind %s node %q input %q at %d:%d, want kind %s node %q input %q at %d:%d (%v)",
					le.Kind, le.Node, le.Input, le.Line, le.Column, tt.kind, tt.node, tt.input, tt.line, tt.col, err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("message is not one line: %q", err)
			}
		})
	}
}

// TestLoadVersionMessages checks the one-line message for each kind of
// unreadable version: a newer format asks for a newer flakedup.
func TestLoadVersionMessages(t *testing.T) {
	tests := []struct{ version, want string }{
		{"8", "lock version 8 was written by a newer Nix than flakedup knows: upgrade flakedup (it reads versions 5, 6 and 7)"},
		{"12", "lock version 12 was written by a newer Nix than flakedup knows: upgrade flakedup (it reads versions 5, 6 and 7)"},
		{"4", "unsupported version 4: flakedup reads versions 5, 6 and 7"},
		{"-1", "unsupported version -1: flakedup reads versions 5, 6 and 7"},
		{"7.5", "unsupported version 7.5: flakedup reads versions 5, 6 and 7"},
	}
	for _, tt := range tests {
		_, err := Load([]byte(`{"nodes": {"r": {}}, "root": "r", "version": ` + tt.version + `}`))
		if err == nil || err.Error() != tt.want {
			t.Errorf("version %s: error %v, want %q", tt.version, err, tt.want)
		}
	}
}

// TestLoadDoesNotAlias checks that the graph does not share memory with
// the input: callers may reuse their buffer.
func TestLoadDoesNotAlias(t *testing.T) {
	data := []byte(`{"version": 7, "root": "r", "nodes": {"r": {"inputs": {"a": "a"}}, "a": {"locked": {"rev": "abc"}}}}`)
	g, err := Load(data)
	if err != nil {
		t.Fatal(err)
	}
	for i := range data {
		data[i] = ' '
	}
	if got, _ := g.Nodes["a"].Locked.Get("rev"); got != `"abc"` {
		t.Errorf("Locked[rev] = %s after the input was overwritten, want \"abc\"", got)
	}
}
