package verify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/flakedup/flakedup/lockgraph"
)

// DefaultDropNames are the inputs of dependencies that --drop-unused
// proposes to drop with `follows = ""`: inputs that usually serve only the
// dependency's own development (its non-flake compatibility shim, its
// pre-commit hooks, formatter and development shells, its CI).
var DefaultDropNames = []string{
	"devshell",
	"flake-compat",
	"git-hooks",
	"git-hooks-nix",
	"nix-github-actions",
	"pre-commit-hooks",
	"pre-commit-hooks-nix",
	"treefmt-nix",
}

// DropCandidates lists the `follows = ""` drops worth trying in the lock g:
// for every root input that is a direct edge, each of its inputs named in
// DefaultDropNames or extra that is itself a direct edge (an input already
// following something, a declared follows included, is left alone), in
// input path order.
func DropCandidates(g *lockgraph.Graph, extra []string) []lockgraph.Follows {
	names := map[string]bool{}
	for _, n := range DefaultDropNames {
		names[n] = true
	}
	for _, n := range extra {
		names[n] = true
	}
	var out []lockgraph.Follows
	root := g.Nodes[g.Root]
	if root == nil {
		return nil
	}
	for _, top := range root.Inputs {
		dep := g.Nodes[top.Target]
		if top.IsFollows() || dep == nil || top.Target == g.Root {
			continue
		}
		for _, in := range dep.Inputs {
			if names[in.Name] && !in.IsFollows() {
				out = append(out, lockgraph.Follows{Input: []string{top.Name, in.Name}, Target: []string{}})
			}
		}
	}
	return out
}

// commonRevision fills in Primary and CommonRevision.
func (e *engine) commonRevision(ctx context.Context, res *Result) error {
	primary := e.primary()
	if primary == nil {
		return nil
	}
	key, err := e.o.Lock.Resolve(primary)
	if err != nil {
		return nil // a new root input: it has no revision in the lock yet
	}
	node := e.o.Lock.Nodes[key]
	src := lockgraph.SourceOf(node)
	if !src.Nixpkgs {
		return nil
	}
	res.Primary = primary
	current := revisionOf(node, primary)
	held := false
	for _, c := range res.Culprits {
		if slices.Equal(c.Target, primary) {
			held = true
		}
	}
	if !held {
		// Every follows onto the primary was accepted at its own revision.
		if current.Rev != "" {
			res.CommonRevision = &current
		}
		return nil
	}

	// Every planned follows onto the primary, plus the other accepted ones.
	accepted := map[string]lockgraph.Follows{}
	for _, f := range res.Accepted {
		accepted[lockgraph.JoinPath(f.Input)] = f
	}
	var follows []lockgraph.Follows
	for _, p := range e.o.Plan {
		if slices.Equal(p.Follows.Target, primary) {
			follows = append(follows, p.Follows)
		} else if f, ok := accepted[lockgraph.JoinPath(p.Follows.Input)]; ok {
			follows = append(follows, f)
		}
	}
	flakeNix, flakeLock, err := e.o.Candidate(ctx, follows)
	if err != nil {
		return fmt.Errorf("verify: candidate %s: %w", followsList(follows), err)
	}
	pg, err := lockgraph.Load(flakeLock)
	if err != nil {
		return fmt.Errorf("verify: predicted flake.lock of %s: %w", followsList(follows), err)
	}
	pkey, err := pg.Resolve(primary)
	if err != nil {
		return fmt.Errorf("verify: predicted flake.lock: primary input %s: %w", lockgraph.JoinPath(primary), err)
	}

	revs := e.revisions(src.ID, node.Locked.String("type"))
	for start := 0; start < len(revs); start += e.o.Jobs {
		batch := revs[start:min(start+e.o.Jobs, len(revs))]
		outs := make([]Outcome, len(batch))
		errs := make([]error, len(batch))
		var wg sync.WaitGroup
		for i, rv := range batch {
			lock := flakeLock
			if rv.Rev != current.Rev {
				if lock, err = withLocked(flakeLock, pkey, rv.locked); err != nil {
					return err
				}
			}
			wg.Add(1)
			go func(i int, lock []byte, what string) {
				defer wg.Done()
				outs[i], errs[i] = e.evalFiles(ctx, what, follows, flakeNix, lock)
			}(i, lock, lockgraph.JoinPath(primary)+" at "+shortRev(rv.Rev))
		}
		wg.Wait()
		for i := range batch {
			if errs[i] != nil {
				return errs[i]
			}
			if outs[i].OK {
				r := batch[i].Revision
				res.CommonRevision = &r
				return nil
			}
		}
	}
	return nil
}

// primary is Options.Primary, or the target that most planned follows
// point to (the first such in plan order on a tie); nil without a plan.
func (e *engine) primary() []string {
	if e.o.Primary != nil {
		return e.o.Primary
	}
	count := map[string]int{}
	var best []string
	for _, p := range e.o.Plan {
		t := lockgraph.JoinPath(p.Follows.Target)
		count[t]++
		if best == nil || count[t] > count[lockgraph.JoinPath(best)] {
			best = p.Follows.Target
		}
	}
	if len(best) == 0 {
		return nil
	}
	return best
}

// lockedRevision is a revision with the locked attributes it came from.
type lockedRevision struct {
	Revision
	locked lockgraph.Attrs
}

// revisions lists the distinct locked revisions of the source id among the
// lock's reachable nodes locked with the fetcher typ (a revision fetched
// another way could not simply replace the primary's locked attributes),
// newest lastModified first (then by rev), each with the shortest
// canonical path locked at it.
func (e *engine) revisions(id, typ string) []lockedRevision {
	byRev := map[string]*lockedRevision{}
	for key, np := range e.o.Lock.Paths() {
		n := e.o.Lock.Nodes[key]
		if n == nil || lockgraph.SourceOf(n).ID != id || n.Locked.String("type") != typ {
			continue
		}
		r := revisionOf(n, np.Canonical)
		if r.Rev == "" {
			continue
		}
		if old, ok := byRev[r.Rev]; ok && !lockgraph.LessPath(r.Path, old.Path) {
			continue
		}
		byRev[r.Rev] = &lockedRevision{Revision: r, locked: n.Locked}
	}
	out := make([]lockedRevision, 0, len(byRev))
	for _, r := range byRev {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b lockedRevision) int {
		if c := b.LastModified.Compare(a.LastModified); c != 0 {
			return c
		}
		if a.Rev < b.Rev {
			return -1
		}
		if a.Rev > b.Rev {
			return 1
		}
		return 0
	})
	return out
}

// revisionOf reads a node's locked revision.
func revisionOf(n *lockgraph.Node, path []string) Revision {
	r := Revision{Rev: n.Locked.String("rev"), Path: path, URL: lockgraph.FlakeRefURL(n.Locked)}
	if raw, ok := n.Locked.Get("lastModified"); ok {
		if sec, err := strconv.ParseInt(raw, 10, 64); err == nil {
			r.LastModified = time.Unix(sec, 0).UTC()
		}
	}
	return r
}

// withLocked returns the lock with node key's "locked" attributes replaced
// by locked: the lock Nix keeps when the input's branch head is that
// revision (its "original", what flake.nix says, is unchanged).
func withLocked(lock []byte, key string, locked lockgraph.Attrs) ([]byte, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(lock, &doc); err != nil {
		return nil, fmt.Errorf("verify: predicted flake.lock: %w", err)
	}
	var nodes map[string]map[string]json.RawMessage
	if err := json.Unmarshal(doc["nodes"], &nodes); err != nil {
		return nil, fmt.Errorf("verify: predicted flake.lock: nodes: %w", err)
	}
	n, ok := nodes[key]
	if !ok {
		return nil, fmt.Errorf("verify: predicted flake.lock: no node %q", key)
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for i, a := range locked {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(a.Key)
		b.Write(k)
		b.WriteByte(':')
		b.WriteString(a.Raw)
	}
	b.WriteByte('}')
	n["locked"] = json.RawMessage(b.Bytes())
	raw, err := json.Marshal(nodes)
	if err != nil {
		return nil, fmt.Errorf("verify: predicted flake.lock: %w", err)
	}
	doc["nodes"] = raw
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("verify: predicted flake.lock: %w", err)
	}
	return append(out, '\n'), nil
}
