package main

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/flakedup/flakedup/lockgraph"
)

// Output formats of `flakedup graph`.
const (
	formatDot     = "dot"
	formatMermaid = "mermaid"
)

// nixpkgsColor fills every copy of upstream nixpkgs, in every graph.
const nixpkgsColor = "#7ebae4"

// sourcePalette fills the copies of the other duplicated sources, one
// colour per source in report order (most copies first, then by ID),
// starting again from the first colour after the last. None of them is
// close to nixpkgsColor.
var sourcePalette = [...]string{
	"#fdb462", "#b3de69", "#fccde5", "#bebada", "#ffed6f", "#8dd3c7", "#fb8072", "#d9d9d9",
}

// graphCommand is `flakedup graph [PATH]`: the input graph of a lock as
// Graphviz dot or a Mermaid flowchart.
func graphCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "graph",
		Usage:     "draw the input graph of a flake's lock (Graphviz dot or Mermaid)",
		ArgsUsage: "[PATH]",
		Description: "PATH is a flake directory (default: the current one), its flake.nix, or a flake.lock file.\n" +
			"One box per locked input, labelled with the last name of its shortest input path and\n" +
			"its short rev. The copies of a duplicated source share a colour (nixpkgs is always\n" +
			"blue), the root's own inputs have a bold border, and a follows is a dashed arrow from\n" +
			"the input that holds it to the node it resolves to. Examples:\n" +
			"  flakedup graph | dot -Tsvg > inputs.svg\n" +
			"  flakedup graph --nixpkgs-only --format mermaid",
		Flags: []cli.Flag{
			formatFlag(formatDot, formatMermaid),
			&cli.BoolFlag{Name: "nixpkgs-only", Usage: "keep only the inputs that lead to a copy of nixpkgs"},
		},
		Action: func(c *cli.Context) error {
			format, err := outputFormat(c, formatDot, formatMermaid)
			if err != nil {
				return err
			}
			if c.NArg() > 1 {
				return badInput(fmt.Errorf("graph takes one PATH, got %d arguments", c.NArg()))
			}
			g, _, err := loadLock(e, c.Args().First())
			if err != nil {
				return badInput(err)
			}
			ig := buildInputGraph(g, c.Bool("nixpkgs-only"))
			var out string
			if format == formatMermaid {
				out = ig.mermaid()
			} else {
				out = ig.dot()
			}
			if _, err := io.WriteString(e.stdout, out); err != nil {
				return fmt.Errorf("writing output: %w", err)
			}
			return nil
		},
	}
}

// inputGraph is the drawing of a lock: its nodes and edges in output
// order, and the colours given to duplicated sources.
type inputGraph struct {
	// nodes are the root, then every drawn node by canonical path
	// (shorter first, then in byte order); a node's index is its id.
	nodes []graphNode
	// edges are sorted by the index of their tail, then by input name.
	edges []graphEdge
	// colored are the sources given a colour, in palette order.
	colored []coloredSource
}

// graphNode is one box.
type graphNode struct {
	// label is the last name of the canonical path and the short rev (or
	// narHash), on two lines; "root" for the root.
	label []string
	// source is the index of the node's source in inputGraph.colored,
	// -1 when the source has no colour.
	source int
	// rootInput marks a node the root declares.
	rootInput bool
}

// graphEdge is one input edge, from the node that has the input.
type graphEdge struct {
	from, to int
	name     string
	follows  bool
}

// coloredSource is a source drawn in one colour, for the legend.
type coloredSource struct {
	id     string
	copies int // in the lock
	color  string
	drawn  int // boxes of this colour in the graph
}

// buildInputGraph lays out the nodes reachable from the root and their
// edges. With nixpkgsOnly, it keeps the root, the nixpkgs copies and the
// nodes that reach one.
func buildInputGraph(g *lockgraph.Graph, nixpkgsOnly bool) *inputGraph {
	paths := g.Paths()
	keys := append([]string{g.Root}, g.Reachable()...)
	if nixpkgsOnly {
		keys = leadingToNixpkgs(g, keys)
	}
	sort.SliceStable(keys[1:], func(i, j int) bool {
		return lockgraph.LessPath(paths[keys[1+i]].Canonical, paths[keys[1+j]].Canonical)
	})
	index := make(map[string]int, len(keys))
	for i, key := range keys {
		index[key] = i
	}

	colors, colored := sourceColors(g)
	declared := map[string]bool{}
	for _, in := range g.Nodes[g.Root].Inputs {
		declared[in.Target] = true
	}
	ig := &inputGraph{colored: colored}
	for i, key := range keys {
		n := g.Nodes[key]
		node := graphNode{label: []string{"root"}, source: -1}
		if i > 0 {
			p := paths[key].Canonical
			node = graphNode{label: []string{p[len(p)-1]}, source: -1, rootInput: declared[key]}
			if c, ok := colors[sourceKey(g, key)]; ok {
				node.source = c
				ig.colored[c].drawn++
			}
			if rev := nodeRevision(n); rev != "" {
				node.label = append(node.label, rev)
			}
		}
		ig.nodes = append(ig.nodes, node)
		for _, in := range n.Inputs {
			if to, ok := index[in.Target]; ok {
				ig.edges = append(ig.edges, graphEdge{from: i, to: to, name: in.Name, follows: in.IsFollows()})
			}
		}
	}
	sort.SliceStable(ig.edges, func(i, j int) bool { return ig.edges[i].from < ig.edges[j].from })
	return ig
}

// leadingToNixpkgs keeps, from keys (the root first), the root and the
// nodes from which a copy of nixpkgs can be reached, copies included.
func leadingToNixpkgs(g *lockgraph.Graph, keys []string) []string {
	parents := map[string][]string{}
	var queue []string
	keep := map[string]bool{g.Root: true}
	for _, key := range keys {
		for _, in := range g.Nodes[key].Inputs {
			parents[in.Target] = append(parents[in.Target], key)
		}
		if key != g.Root && lockgraph.SourceOf(g.Nodes[key]).Nixpkgs {
			keep[key] = true
			queue = append(queue, key)
		}
	}
	for len(queue) > 0 {
		key := queue[0]
		queue = queue[1:]
		for _, p := range parents[key] {
			if !keep[p] {
				keep[p] = true
				queue = append(queue, p)
			}
		}
	}
	out := keys[:0:0]
	for _, key := range keys {
		if keep[key] {
			out = append(out, key)
		}
	}
	return out
}

// sourceColors gives upstream nixpkgs its colour whenever it is in the
// lock, and every other duplicated source the next palette colour. It
// returns the coloured sources in order and each one's index by ID.
func sourceColors(g *lockgraph.Graph) (map[string]int, []coloredSource) {
	colors := map[string]int{}
	var colored []coloredSource
	nixpkgs := 0
	for _, key := range g.Reachable() {
		if src := lockgraph.SourceOf(g.Nodes[key]); src.Nixpkgs && !src.Fork {
			nixpkgs++
		}
	}
	if nixpkgs > 0 {
		colors["github:nixos/nixpkgs"] = len(colored)
		colored = append(colored, coloredSource{id: "github:nixos/nixpkgs", copies: nixpkgs, color: nixpkgsColor})
	}
	next := 0
	for _, grp := range lockgraph.Analyze(g).Groups {
		if _, ok := colors[grp.Source.ID]; ok {
			continue
		}
		colors[grp.Source.ID] = len(colored)
		colored = append(colored, coloredSource{id: grp.Source.ID, copies: len(grp.Copies), color: sourcePalette[next%len(sourcePalette)]})
		next++
	}
	return colors, colored
}

// nodeRevision is the short locked rev of a node, or its short narHash
// when it has no rev, or "".
func nodeRevision(n *lockgraph.Node) string {
	if rev := n.Locked.String("rev"); rev != "" {
		return shortRev(rev)
	}
	if h := n.Locked.String("narHash"); h != "" {
		return shortHash(h)
	}
	return ""
}

// dot renders the graph in Graphviz's language, left to right, with a
// legend of the coloured sources below it.
func (ig *inputGraph) dot() string {
	var b strings.Builder
	b.WriteString("digraph inputs {\n")
	b.WriteString("\trankdir=LR;\n")
	b.WriteString("\tfontname=\"Helvetica\";\n\tfontsize=11;\n")
	b.WriteString("\tnode [shape=box, style=\"rounded,filled\", fillcolor=\"white\", fontname=\"Helvetica\", fontsize=11];\n")
	b.WriteString("\tedge [fontname=\"Helvetica\", fontsize=9, color=\"#555555\"];\n")
	if legend := ig.dotLegend(); legend != "" {
		b.WriteString("\tlabelloc=b;\n\tlabel=<" + legend + ">;\n")
	}
	for i, n := range ig.nodes {
		attrs := []string{"label=" + dotQuote(strings.Join(n.label, "\n"))}
		if i == 0 {
			attrs = append(attrs, "shape=ellipse", "style=bold")
		}
		if n.source >= 0 {
			attrs = append(attrs, "fillcolor="+dotQuote(ig.colored[n.source].color))
		}
		if n.rootInput {
			attrs = append(attrs, "penwidth=2.5")
		}
		fmt.Fprintf(&b, "\tn%d [%s];\n", i, strings.Join(attrs, ", "))
	}
	for _, e := range ig.edges {
		attrs := []string{"label=" + dotQuote(e.name)}
		if e.follows {
			attrs = append(attrs, "style=dashed")
		}
		fmt.Fprintf(&b, "\tn%d -> n%d [%s];\n", e.from, e.to, strings.Join(attrs, ", "))
	}
	b.WriteString("}\n")
	return b.String()
}

// dotLegend is an HTML-like table naming each coloured source drawn and
// saying what the line styles mean; "" when no coloured source is drawn.
func (ig *inputGraph) dotLegend() string {
	var b strings.Builder
	for _, s := range ig.colored {
		if s.drawn == 0 {
			continue
		}
		fmt.Fprintf(&b, `<tr><td bgcolor="%s" border="1">%s</td><td align="left">%s</td></tr>`,
			s.color, htmlEscape(s.id), plural(s.copies, "copy", "copies"))
	}
	if b.Len() == 0 {
		return ""
	}
	return `<table border="0" cellspacing="4">` + b.String() +
		`<tr><td colspan="2" align="left">bold border: root input; dashed arrow: follows</td></tr></table>`
}

// dotQuote writes s as a dot string; "\n" becomes a centred line break.
func dotQuote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}

// htmlEscape escapes text for a dot HTML-like label.
func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}

// mermaid renders the graph as a Mermaid flowchart: a class per coloured
// source, a thick border for the root's inputs, dotted arrows for follows,
// and the legend as comments.
func (ig *inputGraph) mermaid() string {
	var b strings.Builder
	b.WriteString("flowchart LR\n")
	for i, s := range ig.colored {
		if s.drawn > 0 {
			fmt.Fprintf(&b, "  %%%% src%d: %s, %s\n", i, s.id, plural(s.copies, "copy", "copies"))
		}
	}
	for i, n := range ig.nodes {
		open, close := "[", "]"
		if i == 0 {
			open, close = "([", "])"
		}
		fmt.Fprintf(&b, "  n%d%s%s%s\n", i, open, mermaidQuote(strings.Join(n.label, "\n")), close)
	}
	for _, e := range ig.edges {
		arrow := "-->"
		if e.follows {
			arrow = "-.->"
		}
		fmt.Fprintf(&b, "  n%d %s|%s| n%d\n", e.from, arrow, mermaidQuote(e.name), e.to)
	}
	for i, s := range ig.colored {
		var ids []string
		for j, n := range ig.nodes {
			if n.source == i {
				ids = append(ids, fmt.Sprintf("n%d", j))
			}
		}
		if len(ids) > 0 {
			fmt.Fprintf(&b, "  classDef src%d fill:%s,color:#000\n", i, s.color)
			fmt.Fprintf(&b, "  class %s src%d\n", strings.Join(ids, ","), i)
		}
	}
	var roots []string
	for j, n := range ig.nodes {
		if n.rootInput {
			roots = append(roots, fmt.Sprintf("n%d", j))
		}
	}
	if len(roots) > 0 {
		b.WriteString("  classDef rootInput stroke-width:3px\n")
		fmt.Fprintf(&b, "  class %s rootInput\n", strings.Join(roots, ","))
	}
	return b.String()
}

// mermaidQuote writes s as a quoted Mermaid label: quotes and angle
// brackets as entity codes, "\n" as a line break.
func mermaidQuote(s string) string {
	r := strings.NewReplacer(`"`, "#quot;", "<", "#lt;", ">", "#gt;", "\n", "<br>")
	return `"` + r.Replace(s) + `"`
}
