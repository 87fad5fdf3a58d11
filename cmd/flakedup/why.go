package main

import (
	"fmt"
	"github.com/flakedup/flakedup/internal/suggest"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/flakedup/flakedup/internal/flake"
	"github.com/flakedup/flakedup/lockgraph"
)

// defaultWhyLimit is how many input paths `flakedup why` prints per copy
// unless --limit says otherwise.
const defaultWhyLimit = 20

// whyCommand is `flakedup why <input-path-or-source> [PATH]`: like
// `go mod why`, it prints the input paths that pull a node, or every copy
// of a source, into the lock.
func whyCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "why",
		Usage:     "show the input paths that pull an input (or every copy of a source) into the lock",
		ArgsUsage: "<input-path-or-source> [PATH]",
		Description: "The first argument is either an input path, which names one node:\n" +
			"  flakedup why home-manager/nixpkgs\n" +
			"or a source, which names every copy of it:\n" +
			"  flakedup why nixpkgs                      every copy of nixpkgs, forks included\n" +
			"  flakedup why github:numtide/flake-utils   a source as `flakedup analyze` names it\n" +
			"  flakedup why numtide/flake-utils          the same, on any forge\n" +
			"  flakedup why hyprland                     every copy of the source of the root input hyprland\n" +
			"  flakedup why systems                      every copy of whatever an input named systems is\n" +
			"For each copy it prints the branch, the locked revision and the input paths that reach it\n" +
			"(the first --limit of them, shortest first, with the total count). A path that goes\n" +
			"through a follows shows it: `home-manager/nixpkgs -> nixpkgs (follows)`.\n" +
			"PATH is a flake directory (default: the current one), its flake.nix, or a flake.lock file.\n" +
			"Revision ages are relative to now, or to " + nowEnv + " (RFC 3339 or YYYY-MM-DD) when set.",
		Flags: []cli.Flag{
			formatFlag(formatText, formatJSON),
			&cli.IntFlag{Name: "limit", Value: defaultWhyLimit, Usage: "input paths to print per copy"},
		},
		Action: func(c *cli.Context) error {
			format, err := outputFormat(c, formatText, formatJSON)
			if err != nil {
				return err
			}
			limit := c.Int("limit")
			if limit < 1 {
				return badInput(fmt.Errorf("--limit %d: want at least 1", limit))
			}
			switch {
			case c.NArg() == 0:
				return badInput(fmt.Errorf("why needs an input path or a source, e.g. `flakedup why nixpkgs` (see 'flakedup why --help')"))
			case c.NArg() > 2:
				return badInput(fmt.Errorf("why takes an input path or source and one PATH, got %d arguments", c.NArg()))
			}
			clock, err := now(e)
			if err != nil {
				return err
			}
			// The plan marks what could follow the root, as analyze does.
			out, _, err := loadAndPlan(c, e, c.Args().Get(1), flake.LoadOptions{ReadLock: e.readText}, false, nil)
			if err != nil {
				return badInput(err)
			}
			warnUnreadFlakeNix(e, out.Flake)
			rep, err := explain(out.Flake.Graph, out.Before, c.Args().First(), limit)
			if err != nil {
				return badInput(fmt.Errorf("%s: %w", out.Flake.LockPath, err))
			}
			if format == formatJSON {
				return writeJSON(e.stdout, rep.json())
			}
			return rep.writeText(e.stdout, clock, palette{on: useColor(e)})
		},
	}
}

// whyReport is what `flakedup why` found: the copies the query names,
// grouped by source, each with the input paths that reach it.
type whyReport struct {
	// Query is the argument as given.
	Query string
	// InputPath is the query split into an input path when it named one
	// node, nil when it named a source.
	InputPath []string
	// Sources are the sources the query names, upstream nixpkgs first, then
	// by ID; in input-path mode, the one source of the node.
	Sources []whySource
}

// whySource is one source of a whyReport.
type whySource struct {
	Source lockgraph.Source
	// CopyCount is how many copies of the source the lock has, which is
	// more than len(Copies) when the query named one input path.
	CopyCount int
	// Revisions counts the distinct revisions among all the copies.
	Revisions int
	// Copies are the copies explained, in the order of `flakedup analyze`.
	Copies []whyCopy
}

// whyCopy is one node and the input paths that reach it.
type whyCopy struct {
	lockgraph.Copy
	// Paths are the first paths reaching the node, as Graph.SamplePaths
	// returns them (shortest first), with the follows edges each goes
	// through. Copy.Samples is not used.
	Paths []whyPath
}

// whyPath is one input path and the follows edges along it.
type whyPath struct {
	Path    []string
	Follows []followsHop
}

// followsHop is one follows edge on an input path: the prefix of the path
// that is a follows, and the path it follows (from the root; empty for
// the root itself).
type followsHop struct {
	Input  []string
	Target []string
}

// explain answers a why query on g, keeping up to limit paths per copy. An
// unknown query is an error that suggests the closest names.
func explain(g *lockgraph.Graph, analyzed lockgraph.Report, query string, limit int) (*whyReport, error) {
	byID, order := copiesBySource(g, analyzed)
	rep := &whyReport{Query: query}
	key, ids := matchQuery(g, query, byID)
	switch {
	case key != "":
		rep.InputPath = strings.Split(query, "/")
		id := sourceKey(g, key)
		src := byID[id]
		src.Copies = nil
		for _, c := range byID[id].Copies {
			if c.Key == key {
				src.Copies = []whyCopy{c}
			}
		}
		rep.Sources = []whySource{src}
	case len(ids) > 0:
		for _, id := range order {
			if ids[id] {
				rep.Sources = append(rep.Sources, byID[id])
			}
		}
	case strings.EqualFold(strings.TrimSpace(query), "nixpkgs"):
		return nil, fmt.Errorf("why %q: the lock has no copy of nixpkgs", query)
	default:
		return nil, unknownQueryError(g, fmt.Sprintf("why %q", query), query, order)
	}
	for i := range rep.Sources {
		for j := range rep.Sources[i].Copies {
			c := &rep.Sources[i].Copies[j]
			for _, p := range g.SamplePaths(c.Key, limit) {
				c.Paths = append(c.Paths, whyPath{Path: p, Follows: followsAlong(g, p)})
			}
		}
	}
	return rep, nil
}

// copiesBySource gathers every reachable node as a copy of its source,
// with what rep (g's report, with the plan's could-follow marks) says about
// it, and returns the sources in report order: upstream nixpkgs first, then
// by ID.
func copiesBySource(g *lockgraph.Graph, rep lockgraph.Report) (map[string]whySource, []string) {
	analyzed := map[string]lockgraph.Group{}
	for _, grp := range rep.Groups {
		analyzed[grp.Source.ID] = grp
	}
	declared := map[string]bool{}
	for _, in := range g.Nodes[g.Root].Inputs {
		declared[in.Target] = true
	}
	paths := g.Paths()
	byID := map[string]whySource{}
	for _, key := range g.Reachable() {
		id := sourceKey(g, key)
		if _, ok := byID[id]; ok {
			continue // a grouped source: all its copies came with the first
		}
		if grp, ok := analyzed[id]; ok {
			src := whySource{Source: grp.Source, CopyCount: len(grp.Copies), Revisions: grp.Revisions}
			for _, c := range grp.Copies {
				src.Copies = append(src.Copies, whyCopy{Copy: c})
			}
			byID[id] = src
			continue
		}
		src := lockgraph.SourceOf(g.Nodes[key])
		src.ID = id
		byID[id] = whySource{Source: src, CopyCount: 1, Revisions: 1,
			Copies: []whyCopy{{Copy: nodeCopy(g.Nodes[key], paths[key], declared[key])}}}
	}
	order := make([]string, 0, len(byID))
	for id := range byID {
		order = append(order, id)
	}
	sort.Slice(order, func(i, j int) bool {
		a, b := byID[order[i]].Source, byID[order[j]].Source
		if up := a.Nixpkgs && !a.Fork; up != (b.Nixpkgs && !b.Fork) {
			return up
		}
		return a.ID < b.ID
	})
	return byID, order
}

// sourceKey is the source ID of a node as Analyze groups it: a node
// without attributes is a source of its own.
func sourceKey(g *lockgraph.Graph, key string) string {
	if id := lockgraph.SourceOf(g.Nodes[key]).ID; id != "" {
		return id
	}
	return "node:" + key
}

// nodeCopy describes a node that is the only copy of its source, the way
// Analyze describes grouped copies.
func nodeCopy(n *lockgraph.Node, np lockgraph.NodePaths, declared bool) lockgraph.Copy {
	c := lockgraph.Copy{
		Key:       n.Key,
		Path:      np.Canonical,
		PathCount: np.Count,
		Saturated: np.Saturated,
		Branch:    lockgraph.BranchOf(n),
		Rev:       n.Locked.String("rev"),
		NarHash:   n.Locked.String("narHash"),
		Declared:  declared,
	}
	if secs, ok := n.Locked.Int("lastModified"); ok {
		c.LastModified = time.Unix(secs, 0).UTC()
	}
	return c
}

// matchQuery reads a why query. It returns the key of the node an input
// path names, or the IDs of the sources a source query names; neither when
// nothing matches. The readings are tried in this order:
//
//	nixpkgs                    every nixpkgs source, forks included
//	github:owner/repo[/ref]    a source ID (letter case and ref ignored)
//	a/b/c                      an input path, else owner/repo on any forge
//	name                       the source of the root input name, else of
//	                           every node an input of that name reaches
func matchQuery(g *lockgraph.Graph, query string, byID map[string]whySource) (string, map[string]bool) {
	ids := map[string]bool{}
	q := strings.ToLower(strings.TrimSpace(query))
	switch {
	case q == "":
		return "", nil
	case q == "nixpkgs":
		for id, src := range byID {
			if src.Source.Nixpkgs {
				ids[id] = true
			}
		}
	case strings.Contains(q, ":"):
		want := trimSourceRef(q)
		for id := range byID {
			if strings.ToLower(id) == q || trimSourceRef(strings.ToLower(id)) == want {
				ids[id] = true
			}
		}
	case strings.Contains(q, "/"):
		if key, err := g.Resolve(strings.Split(query, "/")); err == nil && key != g.Root {
			return key, nil
		}
		for id := range byID {
			if _, repo, ok := strings.Cut(trimSourceRef(strings.ToLower(id)), ":"); ok && repo == q {
				ids[id] = true
			}
		}
	default:
		if in, ok := g.Nodes[g.Root].Inputs.Get(query); ok && in.Target != g.Root {
			ids[sourceKey(g, in.Target)] = true
			break
		}
		for _, key := range g.Reachable() {
			for _, in := range g.Nodes[key].Inputs {
				if in.Name == query && in.Target != g.Root {
					ids[sourceKey(g, in.Target)] = true
				}
			}
		}
	}
	return "", ids
}

// trimSourceRef reduces a forge source ("github:owner/repo/ref?host=h") to
// its kind, owner and repo; other sources are returned as they are.
func trimSourceRef(s string) string {
	kind, rest, ok := strings.Cut(s, ":")
	if !ok {
		return s
	}
	switch kind {
	case "github", "gitlab", "sourcehut", "flakehub":
	default:
		return s
	}
	rest, _, _ = strings.Cut(rest, "?")
	if segs := strings.Split(rest, "/"); len(segs) > 2 {
		rest = strings.Join(segs[:2], "/")
	}
	return kind + ":" + rest
}

// followsAlong lists the follows edges an input path goes through.
func followsAlong(g *lockgraph.Graph, path []string) []followsHop {
	var hops []followsHop
	cur := g.Root
	for i, seg := range path {
		n, ok := g.Nodes[cur]
		if !ok {
			break
		}
		in, _ := n.Inputs.Get(seg)
		if in.IsFollows() {
			hops = append(hops, followsHop{Input: path[:i+1], Target: in.Follows})
		}
		cur = in.Target
	}
	return hops
}

// unknownQueryError says that nothing matches query and suggests the
// closest input paths and sources; what names the query in the message
// (`why "x"`, `--max-copies x=1`).
func unknownQueryError(g *lockgraph.Graph, what, query string, sources []string) error {
	var names []string
	names = append(names, g.Nodes[g.Root].Inputs.Names()...)
	for _, np := range g.Paths() {
		names = append(names, lockgraph.JoinPath(np.Canonical))
	}
	// Below the longest prefix that resolves, offer that node's inputs.
	segs := strings.Split(query, "/")
	for i := len(segs) - 1; i > 0; i-- {
		if key, err := g.Resolve(segs[:i]); err == nil {
			for _, in := range g.Nodes[key].Inputs {
				names = append(names, lockgraph.JoinPath(append(append([]string(nil), segs[:i]...), in.Name)))
			}
			break
		}
	}
	names = append(names, sources...)
	msg := what + ": no input path or source by that name"
	if close := suggest.Closest(query, names, 3); len(close) > 0 {
		return fmt.Errorf("%s; did you mean %s?", msg, strings.Join(close, ", "))
	}
	return fmt.Errorf("%s (run `flakedup graph` to see the inputs)", msg)
}

// writeText renders the report:
//
//	github:nixos/nixpkgs (nixpkgs): 6 copies, 5 revisions
//
//	  nixpkgs (root input)
//	    branch nixos-unstable, rev 99751c3, 2024-11-18, 12 days old
//	    2 paths:
//	      nixpkgs
//	      home-manager/nixpkgs -> nixpkgs (follows)
//
// An input-path query starts with a line that places the node among the
// copies of its source instead of the source heading.
func (r *whyReport) writeText(w io.Writer, clock time.Time, p palette) error {
	var b strings.Builder
	for i, src := range r.Sources {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(p.bold(r.heading(src)) + "\n")
		for _, c := range src.Copies {
			line := "  " + lockgraph.JoinPath(c.Path)
			switch {
			case c.Declared:
				line += " " + p.green("(root input)")
			case c.CouldFollowRoot:
				line += " " + p.yellow("(could follow the root)")
			}
			b.WriteString("\n" + line + "\n")
			b.WriteString("    " + branchText(c.Branch) + ", " + revisionText(c.Copy, clock) + "\n")
			b.WriteString("    " + pathCountText(c) + ":\n")
			for _, wp := range c.Paths {
				b.WriteString("      " + wp.text() + "\n")
			}
		}
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("writing output: %w", err)
	}
	return nil
}

// heading names a source and its copies; for an input-path query it says
// which of them the path is.
func (r *whyReport) heading(src whySource) string {
	name := sourceLabel(src.Source)
	switch {
	case r.InputPath == nil:
		return fmt.Sprintf("%s: %s, %s", name, plural(src.CopyCount, "copy", "copies"),
			plural(src.Revisions, "revision", "revisions"))
	case src.CopyCount == 1:
		return fmt.Sprintf("%s is the only copy of %s", lockgraph.JoinPath(r.InputPath), name)
	}
	return fmt.Sprintf("%s is one of %d copies of %s", lockgraph.JoinPath(r.InputPath), src.CopyCount, name)
}

// sourceLabel is a source ID with "(nixpkgs)" or "(nixpkgs fork)" after
// it when it is one, as analyze writes it.
func sourceLabel(s lockgraph.Source) string {
	switch {
	case s.Fork:
		return s.ID + " (nixpkgs fork)"
	case s.Nixpkgs:
		return s.ID + " (nixpkgs)"
	}
	return s.ID
}

// pathCountText says how many paths reach a copy and how many follow.
func pathCountText(c whyCopy) string {
	shown := uint64(len(c.Paths))
	switch {
	case c.Saturated:
		return fmt.Sprintf("more than %d paths, the first %d", c.PathCount, shown)
	case c.PathCount > shown:
		return fmt.Sprintf("%d paths, the first %d", c.PathCount, shown)
	case c.PathCount == 1:
		return "1 path"
	}
	return fmt.Sprintf("%d paths", c.PathCount)
}

// text writes an input path with the follows it goes through:
//
//	home-manager/nixpkgs -> nixpkgs (follows)
//	a/b/c, where a/b -> x (follows)
//	a/b/c -> y (follows), where a/b -> x (follows)
func (wp whyPath) text() string {
	s := lockgraph.JoinPath(wp.Path)
	hops := wp.Follows
	if n := len(hops); n > 0 && len(hops[n-1].Input) == len(wp.Path) {
		s = hops[n-1].text()
		hops = hops[:n-1]
	}
	if len(hops) == 0 {
		return s
	}
	parts := make([]string, len(hops))
	for i, h := range hops {
		parts[i] = h.text()
	}
	return s + ", where " + strings.Join(parts, ", ")
}

// text writes a follows edge: "a/nixpkgs -> nixpkgs (follows)".
func (h followsHop) text() string {
	return lockgraph.JoinPath(h.Input) + " -> " + followsTarget(lockgraph.JoinPath(h.Target)) + " (follows)"
}

// whyOutput is the JSON document `flakedup why --format json` writes. The
// schema is stable: fields are only ever added, and keys come out in this
// order.
//
//	{
//	  "query": "home-manager/nixpkgs",
//	  "input_path": "home-manager/nixpkgs",  // "" when the query named a source
//	  "sources": [                           // upstream nixpkgs first, then by ID
//	    {
//	      "source": "github:nixos/nixpkgs",
//	      "nixpkgs": true,
//	      "fork": false,
//	      "copy_count": 6,                   // copies of the source in the lock
//	      "revisions": 5,
//	      "copies": [                        // the copies explained, as in analyze
//	        {
//	          "path": "nixpkgs",             // canonical input path
//	          "path_count": 2,
//	          "path_count_saturated": false, // true: path_count is a lower bound
//	          "paths": [                     // the first --limit paths, shortest first
//	            {"path": "nixpkgs", "follows": []},
//	            {"path": "home-manager/nixpkgs",
//	             "follows": [{"input": "home-manager/nixpkgs", "target": "nixpkgs"}]}
//	          ],
//	          "declared_by_root": true,
//	          "could_follow_root": false,
//	          "branch": "rolling", "ref": "nixos-unstable", "rev": "99751c3...",
//	          "nar_hash": "sha256-...", "last_modified": "2024-11-18"
//	        }
//	      ]
//	    }
//	  ]
//	}
type whyOutput struct {
	Query     string         `json:"query"`
	InputPath string         `json:"input_path"`
	Sources   []whySourceOut `json:"sources"`
}

// whySourceOut is one element of whyOutput.Sources.
type whySourceOut struct {
	Source    string       `json:"source"`
	Nixpkgs   bool         `json:"nixpkgs"`
	Fork      bool         `json:"fork"`
	CopyCount int          `json:"copy_count"`
	Revisions int          `json:"revisions"`
	Copies    []whyCopyOut `json:"copies"`
}

// whyCopyOut is one explained copy.
type whyCopyOut struct {
	Path         string       `json:"path"`
	PathCount    uint64       `json:"path_count"`
	Saturated    bool         `json:"path_count_saturated"`
	Paths        []whyPathOut `json:"paths"`
	Declared     bool         `json:"declared_by_root"`
	CouldFollow  bool         `json:"could_follow_root"`
	Branch       string       `json:"branch"`
	Ref          string       `json:"ref"`
	Rev          string       `json:"rev"`
	NarHash      string       `json:"nar_hash"`
	LastModified string       `json:"last_modified"`
}

// whyPathOut is one input path reaching a copy.
type whyPathOut struct {
	Path    string       `json:"path"`
	Follows []followsOut `json:"follows"`
}

// followsOut is one follows edge along a path.
type followsOut struct {
	Input  string `json:"input"`
	Target string `json:"target"`
}

// json converts the report to its JSON document.
func (r *whyReport) json() whyOutput {
	out := whyOutput{Query: r.Query, InputPath: lockgraph.JoinPath(r.InputPath), Sources: []whySourceOut{}}
	for _, src := range r.Sources {
		so := whySourceOut{
			Source: src.Source.ID, Nixpkgs: src.Source.Nixpkgs, Fork: src.Source.Fork,
			CopyCount: src.CopyCount, Revisions: src.Revisions, Copies: []whyCopyOut{},
		}
		for _, c := range src.Copies {
			co := whyCopyOut{
				Path: lockgraph.JoinPath(c.Path), PathCount: c.PathCount, Saturated: c.Saturated,
				Paths: []whyPathOut{}, Declared: c.Declared, CouldFollow: c.CouldFollowRoot,
				Branch: c.Branch.Class, Ref: c.Branch.Ref, Rev: c.Rev, NarHash: c.NarHash, LastModified: c.Date(),
			}
			for _, wp := range c.Paths {
				po := whyPathOut{Path: lockgraph.JoinPath(wp.Path), Follows: []followsOut{}}
				for _, h := range wp.Follows {
					po.Follows = append(po.Follows, followsOut{lockgraph.JoinPath(h.Input), lockgraph.JoinPath(h.Target)})
				}
				co.Paths = append(co.Paths, po)
			}
			so.Copies = append(so.Copies, co)
		}
		out.Sources = append(out.Sources, so)
	}
	return out
}
