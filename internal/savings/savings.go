// Package savings says what collapsing nixpkgs copies saves a user: copies
// and distinct revisions removed from the lock, and the download avoided,
// measured as the NAR size of each removed revision's source in the local
// store. A size is only ever reported from the store; a revision the store
// does not hold has an unknown size, and the report says so instead of
// guessing.
package savings

import (
	"context"
	"fmt"
	"sort"

	"github.com/flakedup/flakedup/internal/store"
	"github.com/flakedup/flakedup/lockgraph"
)

// Savings compares the nixpkgs copies of a lock before and after a plan.
type Savings struct {
	// CopiesBefore and CopiesAfter count the reachable nixpkgs nodes.
	CopiesBefore, CopiesAfter int
	// RevisionsBefore and RevisionsAfter count their distinct sources (by
	// narHash: one narHash is one download and one store path).
	RevisionsBefore, RevisionsAfter int
	// Removed lists the store paths of the revisions the lock no longer
	// needs, sorted.
	Removed []string
	// Unlocated counts the removed revisions that have no store path (no
	// usable narHash): their size is unknown.
	Unlocated int
	// Bytes sums the NAR sizes of the removed revisions whose size the
	// local store reported; Known counts them. When Known < len(Removed)
	// the download avoided is at least Bytes, and the rest is unknown.
	Bytes int64
	Known int
}

// CopiesRemoved is CopiesBefore - CopiesAfter.
func (s Savings) CopiesRemoved() int { return s.CopiesBefore - s.CopiesAfter }

// RevisionsRemoved is RevisionsBefore - RevisionsAfter.
func (s Savings) RevisionsRemoved() int { return s.RevisionsBefore - s.RevisionsAfter }

// Download renders the download avoided: "1.2 GB", "at least 40.1 MB (2
// of 3 revisions not in the local store)", "unknown (not in the local
// store)", or "none".
func (s Savings) Download() string {
	total := len(s.Removed) + s.Unlocated
	switch {
	case total == 0:
		return "none"
	case s.Known == 0:
		return "unknown (not in the local store)"
	case s.Known < total:
		return fmt.Sprintf("at least %s (%d of %d revisions not in the local store)", Size(s.Bytes), total-s.Known, total)
	}
	return Size(s.Bytes)
}

// Compare counts the nixpkgs copies of before and after and lists the
// store paths of the revisions only before has. Nodes without a usable
// narHash count as copies and revisions (by rev) but have no store path.
func Compare(before, after *lockgraph.Graph) Savings {
	return CompareNodes(NixpkgsNodes(before), NixpkgsNodes(after))
}

// CompareNodes is Compare given the reachable nixpkgs nodes of each lock,
// in any order (internal/flake's outcome knows them without reading the
// locks again).
func CompareNodes(before, after []*lockgraph.Node) Savings {
	rb, ra := revisions(before), revisions(after)
	s := Savings{CopiesBefore: len(before), CopiesAfter: len(after), RevisionsBefore: len(rb), RevisionsAfter: len(ra)}
	for id := range rb {
		if ra[id] {
			continue
		}
		if p, err := store.SourcePath(id); err == nil {
			s.Removed = append(s.Removed, p)
		} else {
			s.Unlocated++
		}
	}
	sort.Strings(s.Removed)
	return s
}

// NixpkgsNodes returns the reachable nixpkgs nodes of g (nil for a nil
// graph), in key order.
func NixpkgsNodes(g *lockgraph.Graph) []*lockgraph.Node {
	if g == nil {
		return nil
	}
	var nodes []*lockgraph.Node
	for _, key := range g.Reachable() {
		if n := g.Nodes[key]; n != nil && lockgraph.SourceOf(n).Nixpkgs {
			nodes = append(nodes, n)
		}
	}
	return nodes
}

// revisions returns the set of the nodes' revisions: the narHash, else
// "rev:<rev>".
func revisions(nodes []*lockgraph.Node) map[string]bool {
	revs := make(map[string]bool, len(nodes))
	for _, n := range nodes {
		id := n.Locked.String("narHash")
		if id == "" {
			id = "rev:" + n.Locked.String("rev")
		}
		revs[id] = true
	}
	return revs
}

// Measure fills in Bytes and Known from the local store with
// store.NarSizes (nix names the program; "" finds nix on PATH). Without
// nix every size stays unknown, which is not an error.
func (s *Savings) Measure(ctx context.Context, nix string) error {
	return MeasureAll(ctx, nix, []*Savings{s})
}

// MeasureAll is Measure for several savings (the flakes of one run) with
// one store query: a `nix path-info` run costs more than planning a flake.
func MeasureAll(ctx context.Context, nix string, all []*Savings) error {
	var paths []string
	for _, s := range all {
		paths = append(paths, s.Removed...)
	}
	if len(paths) == 0 {
		return nil
	}
	sizes, err := store.NarSizes(ctx, nix, paths)
	if err == store.ErrNoNix {
		return nil
	}
	if err != nil {
		return err
	}
	for _, s := range all {
		s.Bytes, s.Known = 0, 0
		for _, p := range s.Removed {
			if n, ok := sizes[p]; ok {
				s.Bytes += n
				s.Known++
			}
		}
	}
	return nil
}

// Size renders a byte count with decimal units, as `nix path-info -h`
// does: "512 B", "40.1 MB", "1.2 GB".
func Size(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTPE"[exp])
}

// DownloadKnown reports whether every removed revision's size is known
// (then Bytes is the whole download avoided).
func (s Savings) DownloadKnown() bool { return s.Known == len(s.Removed)+s.Unlocated }

// Add sums two savings (the totals of several flakes).
func (s Savings) Add(o Savings) Savings {
	return Savings{
		CopiesBefore: s.CopiesBefore + o.CopiesBefore, CopiesAfter: s.CopiesAfter + o.CopiesAfter,
		RevisionsBefore: s.RevisionsBefore + o.RevisionsBefore, RevisionsAfter: s.RevisionsAfter + o.RevisionsAfter,
		Removed: append(append([]string{}, s.Removed...), o.Removed...), Unlocated: s.Unlocated + o.Unlocated,
		Bytes: s.Bytes + o.Bytes, Known: s.Known + o.Known,
	}
}
