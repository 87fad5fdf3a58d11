package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/flakedup/flakedup/internal/testenv"
)

// TestGraphGolden runs `flakedup graph` on every case in fixtures/graph:
// args (see caseArgs) and the expected output in both formats,
// expected.dot and expected.mermaid. Every dot output must be accepted by
// Graphviz and every Mermaid output must pass checkMermaid.
func TestGraphGolden(t *testing.T) {
	dirs, err := filepath.Glob(repoRoot + "/fixtures/graph/*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no fixtures under %s/fixtures/graph: %v", repoRoot, err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			for _, format := range []string{formatDot, formatMermaid} {
				args := append([]string{"graph", "--format", format}, caseArgs(t, dir)...)
				code, stdout, stderr := runFlakedup(t, nil, args...)
				if code != exitOK || stderr != "" {
					t.Fatalf("%s: exit %d, stderr %q", format, code, stderr)
				}
				checkGolden(t, filepath.Join(dir, "expected."+format), stdout)
				if format == formatMermaid {
					if err := checkMermaid(stdout); err != nil {
						t.Errorf("mermaid: %v", err)
					}
				} else {
					checkDotAccepts(t, stdout)
				}
			}
		})
	}
}

// TestGraphUsageErrors checks the one-line errors of bad invocations.
func TestGraphUsageErrors(t *testing.T) {
	demo := repoRoot + "/fixtures/demo"
	tests := []struct {
		args    []string
		wantErr string
	}{
		{[]string{"graph", "--format", "svg", demo}, "flakedup: --format \"svg\": want one of dot, mermaid\n"},
		{[]string{"graph", demo, demo}, "flakedup: graph takes one PATH, got 2 arguments\n"},
		{[]string{"graph", repoRoot + "/fixtures/graph"},
			"flakedup: ../../fixtures/graph/flake.lock: no such file (run `nix flake lock` to create it, or pass the flake directory)\n"},
	}
	for _, tt := range tests {
		code, stdout, stderr := runFlakedup(t, nil, tt.args...)
		if code != exitBadUsed || stdout != "" || stderr != tt.wantErr {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 2, stderr %q", tt.args, code, stdout, stderr, tt.wantErr)
		}
	}
}

// TestGraphCorpus draws every corpus flake in both formats, with and
// without --nixpkgs-only: Graphviz must accept every dot output, every
// Mermaid output must pass checkMermaid, and the graph must have one box
// per reachable node plus the root.
func TestGraphCorpus(t *testing.T) {
	locks := testenv.CorpusFiles(t, "flake.lock")
	boxes := 0
	var dots strings.Builder // Graphviz reads many graphs from one input
	for _, lock := range locks {
		g, _, err := loadLock(&env{}, lock)
		if err != nil {
			t.Errorf("%s: %v", lock, err)
			continue
		}
		full := buildInputGraph(g, false)
		if len(full.nodes) != len(g.Reachable())+1 {
			t.Errorf("%s: %d boxes for %d reachable nodes", lock, len(full.nodes), len(g.Reachable()))
		}
		boxes += len(full.nodes)
		pruned := buildInputGraph(g, true)
		if len(pruned.nodes) > len(full.nodes) {
			t.Errorf("%s: --nixpkgs-only draws more boxes (%d) than the full graph (%d)", lock, len(pruned.nodes), len(full.nodes))
		}
		for _, ig := range []*inputGraph{full, pruned} {
			if err := checkMermaid(ig.mermaid()); err != nil {
				t.Errorf("%s: mermaid: %v", lock, err)
			}
		}
		dots.WriteString(full.dot())
	}
	checkDotAccepts(t, dots.String())
	t.Logf("corpus: %d flakes, %d boxes", len(locks), boxes)
}

// graphvizMissing skips the test when `dot` is not on PATH, unless
// FLAKEDUP_NIX is set (CI installs graphviz along with nix).
func graphvizMissing(t *testing.T) bool {
	t.Helper()
	if _, ok := testenv.LookTool(t, "dot"); ok {
		return false
	}
	t.Skip("graphviz's dot is not on PATH: skipping")
	return true
}

// renderDot runs `dot -T<format>` on src and returns its output.
func renderDot(t *testing.T, src, format string) []byte {
	t.Helper()
	cmd := exec.Command("dot", "-T"+format)
	cmd.Stdin = strings.NewReader(src)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil || stderr.Len() > 0 {
		t.Fatalf("dot -T%s: %v: %s", format, err, stderr.String())
	}
	return stdout.Bytes()
}

// checkDotAccepts fails the test when Graphviz rejects or warns about src.
func checkDotAccepts(t *testing.T, src string) {
	t.Helper()
	if graphvizMissing(t) {
		return
	}
	renderDot(t, src, "canon")
}

// TestGraphDemoPicture keeps the README's picture of the demo flake
// current: docs/graph-demo.dot must be what `flakedup graph fixtures/demo`
// prints, and docs/graph-demo.svg what Graphviz draws from it. The SVG is
// compared byte for byte only when the installed Graphviz is the version
// that drew it (its layout differs between versions); otherwise the test
// only checks that Graphviz draws the dot source. -update rewrites both,
// and writes a PNG of the picture to the temporary directory for a look.
func TestGraphDemoPicture(t *testing.T) {
	code, src, stderr := runFlakedup(t, nil, "graph", repoRoot+"/fixtures/demo")
	if code != exitOK {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	checkGolden(t, repoRoot+"/docs/graph-demo.dot", src)
	if graphvizMissing(t) {
		return
	}
	svg := renderDot(t, src, "svg")
	svgPath := repoRoot + "/docs/graph-demo.svg"
	if *update {
		if err := os.WriteFile(svgPath, svg, 0o644); err != nil {
			t.Fatal(err)
		}
		png := filepath.Join(os.TempDir(), "flakedup-graph-demo.png")
		if err := os.WriteFile(png, renderDot(t, src, "png"), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s: look at it before committing the SVG", png)
		return
	}
	want, err := os.ReadFile(svgPath)
	if err != nil {
		t.Fatalf("%v (run `go test ./cmd/flakedup -run %s -update` to create it)", err, t.Name())
	}
	if v, wantV := graphvizVersion(svg), graphvizVersion(want); v == "" || v != wantV {
		t.Logf("%s was drawn by graphviz %q, this is %q: not comparing the SVG bytes", svgPath, wantV, v)
		return
	}
	if !bytes.Equal(svg, want) {
		t.Errorf("%s differs from what graphviz draws from docs/graph-demo.dot (-update rewrites it):\n%s",
			svgPath, testenv.FirstDiff(string(want), string(svg)))
	}
}

// graphvizVersion reads the version from the comment Graphviz writes at the
// top of an SVG ("Generated by graphviz version 2.43.0 (0)").
func graphvizVersion(svg []byte) string {
	m := regexp.MustCompile(`Generated by graphviz version ([^\n]*)`).FindSubmatch(svg)
	if m == nil {
		return ""
	}
	return strings.TrimSpace(string(m[1]))
}

// mermaidLine lists the line forms `flakedup graph --format mermaid`
// writes, each valid Mermaid flowchart syntax: a node with a quoted label
// (rectangle, or stadium for the root), an edge with a quoted label
// (solid, or dotted for a follows), a class definition, a class
// assignment, and a comment.
var mermaidLine = regexp.MustCompile(`^  (?:` +
	`n\d+(?:\["[^"]*"\]|\(\["[^"]*"\]\))` + `|` +
	`n\d+ (?:-->|-\.->)\|"[^"]*"\| n\d+` + `|` +
	`classDef [A-Za-z]\w* [a-z-]+:[#\w]+(?:,[a-z-]+:[#\w]+)*` + `|` +
	`class n\d+(?:,n\d+)* [A-Za-z]\w*` + `|` +
	`%% [^\n]*` + `)$`)

// checkMermaid checks a Mermaid flowchart line by line against the forms
// in mermaidLine, and that every node an edge or class names is declared.
func checkMermaid(s string) error {
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	if lines[0] != "flowchart LR" {
		return fmt.Errorf("first line is not `flowchart LR`: %s", lines[0])
	}
	declared := map[string]bool{}
	ids := regexp.MustCompile(`\bn\d+\b`)
	for i, line := range lines[1:] {
		if !mermaidLine.MatchString(line) {
			return fmt.Errorf("line %d is not one of the known forms: %s", i+2, line)
		}
		if strings.HasPrefix(line, "  %%") {
			continue
		}
		found := ids.FindAllString(line, -1)
		if m := regexp.MustCompile(`^  (n\d+)[\[(]`).FindStringSubmatch(line); m != nil {
			declared[m[1]] = true
			continue
		}
		for _, id := range found {
			if !declared[id] {
				return fmt.Errorf("line %d names %s before declaring it", i+2, id)
			}
		}
	}
	return nil
}
