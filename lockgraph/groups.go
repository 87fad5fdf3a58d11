package lockgraph

import (
	"cmp"
	"slices"
	"sort"
	"strings"
	"time"
)

// SamplePathLimit is how many input paths Analyze keeps per copy: the
// canonical path and a few others, enough to say where a copy comes from.
const SamplePathLimit = 3

// Report is what Analyze finds in a lock: how many nodes it has, how many
// copies of nixpkgs, and every source that appears more than once.
type Report struct {
	// Nodes counts the nodes reachable from the root, the root excluded.
	Nodes int
	// Nixpkgs summarises the reachable copies of nixpkgs, forks included.
	Nixpkgs NixpkgsSummary
	// Groups lists every source with more than one reachable copy, most
	// copies first, then by source ID.
	Groups []Group
}

// NixpkgsSummary counts the copies of nixpkgs in a lock.
type NixpkgsSummary struct {
	// Copies counts the reachable nixpkgs nodes, forks included.
	Copies int
	// Revisions counts their distinct locked revisions (narHash for a copy
	// locked without a rev).
	Revisions int
	// Branches counts their distinct branch classes (see Branch.Class).
	Branches int
	// RootDeclared reports whether the root declares a nixpkgs input at all.
	RootDeclared bool
	// CouldFollowRoot counts the nixpkgs copies with Copy.CouldFollowRoot
	// set.
	CouldFollowRoot int
}

// Group is a source with more than one reachable copy.
type Group struct {
	// Source is the identity every copy shares. Its Kind is that of the
	// first copy in Copies; the others may use other fetchers.
	Source Source
	// Revisions counts the distinct locked revisions among the copies.
	Revisions int
	// Copies are the nodes, the ones the root declares first, then by
	// canonical path (shorter first, then in byte order).
	Copies []Copy
}

// Copy is one node of a duplicated source.
type Copy struct {
	// Key is the node key; it means something only within this one lock.
	Key string
	// Path is the canonical input path reaching the node.
	Path []string
	// PathCount is how many input paths reach the node; when Saturated is
	// true it is a lower bound.
	PathCount uint64
	// Saturated reports that counting stopped before reaching every path.
	Saturated bool
	// Samples holds up to SamplePathLimit input paths reaching the node, as
	// Graph.SamplePaths returns them (the canonical path first). Analyze
	// fills it in only for copies in a Group.
	Samples [][]string
	// Branch is the branch the node tracks.
	Branch Branch
	// Rev is the locked revision, "" when the lock has none.
	Rev string
	// NarHash is the locked narHash.
	NarHash string
	// LastModified is the locked lastModified time in UTC, the zero time
	// when the lock has none.
	LastModified time.Time
	// Declared reports whether a root input (direct or follows) denotes
	// the node.
	Declared bool
	// CouldFollowRoot reports a copy the root does not declare whose
	// source and branch class equal those of a node the root does declare:
	// it could follow that root input without changing branch.
	CouldFollowRoot bool
}

// ShortRev returns the first 7 characters of the locked rev.
func (c Copy) ShortRev() string {
	if len(c.Rev) > 7 {
		return c.Rev[:7]
	}
	return c.Rev
}

// Date returns the lastModified date as YYYY-MM-DD (UTC), or "" when the
// lock has none.
func (c Copy) Date() string {
	if c.LastModified.IsZero() {
		return ""
	}
	return c.LastModified.Format("2006-01-02")
}

// revision is what tells two copies' contents apart: the rev, or the
// narHash for a copy locked without one.
func (c Copy) revision() string {
	if c.Rev != "" {
		return c.Rev
	}
	if c.NarHash != "" {
		return c.NarHash
	}
	return "node:" + c.Key
}

// sourceBranch is the pair a copy must share with a root input to follow it.
type sourceBranch struct{ id, class string }

// Analyze finds the duplicated sources of a graph. Only nodes reachable from
// the root count; the root itself is never a copy. The result is sorted as
// documented on each field, so equal graphs give equal reports.
func Analyze(g *Graph) Report {
	declared := map[string]bool{}
	if root := g.Nodes[g.Root]; root != nil {
		for _, in := range root.Inputs {
			declared[in.Target] = true
		}
	}
	paths := g.Paths()

	// First pass: every reachable node becomes a copy of its source. The
	// copies live in one slice; sources list theirs by index, which keeps a
	// big lock from copying Copy values around as the lists grow.
	var rep Report
	reachable := g.Reachable()
	all := make([]Copy, 0, len(reachable))
	bySource := map[string][]int{} // indexes into all
	sources := map[string]Source{} // by ID, as first seen
	rootHas := map[sourceBranch]bool{}
	for _, key := range reachable {
		n := g.Nodes[key]
		if key == g.Root || n == nil {
			continue
		}
		rep.Nodes++
		src := SourceOf(n)
		if src.ID == "" {
			src.ID = "node:" + key // no attributes to identify it by: unique
		}
		c := newCopy(n, paths[key], declared[key])
		if _, ok := sources[src.ID]; !ok {
			sources[src.ID] = src
		}
		bySource[src.ID] = append(bySource[src.ID], len(all))
		all = append(all, c)
		if c.Declared {
			rootHas[sourceBranch{src.ID, c.Branch.Class}] = true
		}
	}

	// Second pass, in source order: what could follow the root, the
	// nixpkgs summary, and the groups.
	ids := make([]string, 0, len(bySource))
	for id := range bySource {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	nixRevs, nixBranches := map[string]bool{}, map[string]bool{}
	for _, id := range ids {
		src, indexes := sources[id], bySource[id]
		revs := map[string]bool{}
		for _, i := range indexes {
			c := &all[i]
			c.CouldFollowRoot = !c.Declared && rootHas[sourceBranch{id, c.Branch.Class}]
			revs[c.revision()] = true
			if !src.Nixpkgs {
				continue
			}
			rep.Nixpkgs.Copies++
			nixRevs[c.revision()] = true
			nixBranches[c.Branch.Class] = true
			rep.Nixpkgs.RootDeclared = rep.Nixpkgs.RootDeclared || c.Declared
			if c.CouldFollowRoot {
				rep.Nixpkgs.CouldFollowRoot++
			}
		}
		if len(indexes) > 1 {
			copies := make([]Copy, len(indexes))
			for i, j := range indexes {
				copies[i] = all[j]
			}
			for i := range copies {
				copies[i].Samples = samplePaths(g, copies[i])
			}
			sortCopies(copies)
			src = SourceOf(g.Nodes[copies[0].Key]) // the Kind of the first copy
			rep.Groups = append(rep.Groups, Group{Source: src, Revisions: len(revs), Copies: copies})
		}
	}
	rep.Nixpkgs.Revisions, rep.Nixpkgs.Branches = len(nixRevs), len(nixBranches)
	sort.SliceStable(rep.Groups, func(i, j int) bool {
		return len(rep.Groups[i].Copies) > len(rep.Groups[j].Copies)
	})
	return rep
}

// newCopy gathers what a report says about one node.
func newCopy(n *Node, np NodePaths, declared bool) Copy {
	c := Copy{
		Key:       n.Key,
		Path:      np.Canonical,
		PathCount: np.Count,
		Saturated: np.Saturated,
		Branch:    BranchOf(n),
		Rev:       n.Locked.String("rev"),
		NarHash:   n.Locked.String("narHash"),
		Declared:  declared,
	}
	if secs, ok := n.Locked.Int("lastModified"); ok {
		c.LastModified = time.Unix(secs, 0).UTC()
	}
	return c
}

// samplePaths returns the sample paths of a copy. A copy reached by one path
// has that path as its only sample; others ask the graph, which walks it
// on every call, so Analyze asks only for grouped copies.
func samplePaths(g *Graph, c Copy) [][]string {
	if c.PathCount == 1 && !c.Saturated {
		return [][]string{c.Path}
	}
	return g.SamplePaths(c.Key, SamplePathLimit)
}

// sortCopies orders copies: declared by the root first, then by canonical
// path, shorter first, then in byte order; the node key breaks ties.
// The order is total (keys are unique), so the sort need not be stable.
func sortCopies(copies []Copy) {
	// Join each path once, not twice per comparison, and move indexes
	// around rather than whole Copy values.
	type sortKey struct {
		joined string
		c      *Copy
	}
	orig := slices.Clone(copies)
	keyed := make([]sortKey, len(orig))
	for i := range orig {
		keyed[i] = sortKey{strings.Join(orig[i].Path, "\x00"), &orig[i]}
	}
	slices.SortFunc(keyed, func(x, y sortKey) int {
		a, b := x.c, y.c
		switch {
		case a.Declared != b.Declared:
			if a.Declared {
				return -1
			}
			return 1
		case len(a.Path) != len(b.Path):
			return cmp.Compare(len(a.Path), len(b.Path))
		case x.joined != y.joined:
			return strings.Compare(x.joined, y.joined)
		}
		return strings.Compare(a.Key, b.Key)
	})
	for i, k := range keyed {
		copies[i] = *k.c
	}
}
