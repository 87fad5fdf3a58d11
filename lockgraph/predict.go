package lockgraph

import (
	"fmt"
	"slices"
)

// Follows is one follows override, as written in flake.nix:
// inputs.<Input[0]>.inputs.<Input[1]>...follows = "<Target joined by />".
type Follows struct {
	// Input is the input path of the edge to override, from the root
	// ([]string{"home-manager", "nixpkgs"}). It has at least one element.
	Input []string
	// Target is the input path the edge follows, from the root
	// ([]string{"nixpkgs"}); an empty slice means the root flake itself
	// (follows = "").
	Target []string
}

// String renders f the way flake.nix spells it:
// `home-manager/nixpkgs -> nixpkgs`.
func (f Follows) String() string {
	return JoinPath(f.Input) + " -> " + JoinPath(f.Target)
}

// maxFollowsDepth bounds the nesting of follows resolved through follows;
// deeper chains are reported as a cycle.
const maxFollowsDepth = 64

// Predict returns the lock Nix writes when the flake declares follows on
// top of the lock in g: each overridden edge becomes a follows (replacing
// whatever the edge was), nodes no longer reachable from the root through
// direct edges are dropped, every follows edge is resolved again, and every
// node is renamed the way Nix names nodes on write (see NixKeys). The
// result is a new Graph of version 7; g is not modified. Like any Graph,
// the result must not be modified either: it may share with g the attribute
// sets, the follows paths, and the inputs of the nodes whose edges keep
// their targets' keys.
//
// Like Nix, Predict ignores an override whose last input does not exist on
// its node, and an override below an input that is itself a follows (Nix
// never locks the node behind a follows, so overrides under it are never
// consulted). An override whose parent path does not exist, an override of
// the root itself, and a follows whose target leads nowhere are errors.
//
// An override of an intermediate input (Input [A B], Target [B]) drops the
// whole subtree that A/B had. Follows elsewhere in the lock whose paths run
// through A/B stay as written and now resolve through the new follows; that
// is what Nix 2.18 and later do. Nix before 2.18 refuses to lock such a
// flake ("follows a non-existent input"); Predict does not model versions:
// FollowsThroughFollows lists the follows that make a result unfit for
// those versions, and Plan, planning for them, makes no edit that adds one,
// so that Predict's result is then also what they write.
func Predict(g *Graph, follows []Follows) (*Graph, error) {
	out, _, err := predict(g, follows)
	return out, err
}

// predict is Predict, also returning, when g was numbered by its index
// (numberingOf), the index position in g of the node each node of the
// result (by its index position) copies; else nil.
func predict(g *Graph, follows []Follows) (_ *Graph, srcOf []int32, err error) {
	defer recoverInternal("predict", &err)
	if nb, ok := numberingOf(g); ok && g.index != nil {
		out, srcOf, err := predictNumbered(nb, follows)
		if err == nil {
			// Each node of out copies the node srcOf names, attribute
			// sets and all: the same source (sourcecache.go).
			inheritSources(out, g, srcOf)
		}
		return out, srcOf, err
	} else if ok {
		out, _, err := predictNumbered(nb, follows)
		return out, nil, err
	}
	w := cloneGraph(g)
	for _, f := range follows {
		if err := applyFollows(w, f); err != nil {
			return nil, nil, err
		}
	}
	out, _, err := finishOrder(w)
	return out, nil, err
}

// Promote returns the lock with a new root input named name whose node is a
// copy of the node at path (and of the subtree below it, through direct
// edges), as Nix would lock it if flake.nix declared
// inputs.<name>.url = "<the locked ref of that node, pinned to its rev>".
// The copy's "original" is its "locked" attribute set without narHash,
// lastModified and revCount. A follows inside the copied subtree that
// points into the subtree (path/...) points into the copy (name/...), the
// way Nix writes the follows a dependency declares itself relative to
// where it is locked; the other follows stay as written. Like Predict, the
// result is renamed and g is not modified.
//
// Nix locks the new input from the dependency's own flake.lock, which may
// differ from the entries its parent overrode; the copy is what the
// parent's lock says about it.
func Promote(g *Graph, name string, path []string) (_ *Graph, err error) {
	defer recoverInternal("promote", &err)
	w := cloneGraph(g)
	if err := promoteInto(w, name, path); err != nil {
		return nil, err
	}
	return finish(w)
}

// promoteAll is Promote of each promotion in turn, with one copy of g and
// one renaming instead of one per promotion (on a big lock each costs a
// walk of every node by key). Promote only adds nodes and a root input,
// and a later promotion's path resolves by input names from the root, so
// it meets the same nodes whether or not the earlier ones were renamed
// and their unreachable nodes dropped; the renaming at the end depends on
// the shape only. On any error it promotes one by one, so that the error
// is Promote's own.
func promoteAll(g *Graph, promotions []Promotion) (_ *Graph, err error) {
	defer recoverInternal("promote", &err)
	if len(promotions) > 1 {
		w := cloneGraph(g)
		ok := true
		for _, pr := range promotions {
			if promoteInto(w, pr.Name, pr.Path) != nil {
				ok = false
				break
			}
		}
		if ok {
			if out, err := finish(w); err == nil {
				return out, nil
			}
		}
	}
	for _, pr := range promotions {
		if g, err = Promote(g, pr.Name, pr.Path); err != nil {
			return nil, err
		}
	}
	return g, nil
}

// promoteInto is Promote's work on the working copy w, before renaming.
func promoteInto(w *Graph, name string, path []string) error {
	root := w.Nodes[w.Root]
	if _, ok := root.Inputs.Get(name); ok {
		return fmt.Errorf("promote %s to root input %q: the root already has an input %q", JoinPath(path), name, name)
	}
	if len(path) == 0 {
		return fmt.Errorf("promote to root input %q: the root flake itself cannot be promoted", name)
	}
	key, err := resolvePath(w, path, 0)
	if err != nil {
		return fmt.Errorf("promote %s to root input %q: %w", JoinPath(path), name, err)
	}

	// Copy the subtree under fresh keys; the rename in finish gives them
	// their final names.
	copies := make(map[string]string)
	var copyNode func(key string) string
	copyNode = func(key string) string {
		if c, ok := copies[key]; ok {
			return c
		}
		c := fmt.Sprintf("promote %s %d", name, len(copies))
		copies[key] = c
		n := cloneNode(w.Nodes[key])
		n.Key = c
		w.Nodes[c] = n
		for i := range n.Inputs { // n is a clone: its inputs may change
			edge := &n.Inputs[i]
			switch {
			case !edge.IsFollows():
				edge.Target = copyNode(edge.Target)
			case hasPrefix(edge.Follows, path):
				edge.Follows = append([]string{name}, edge.Follows[len(path):]...)
			}
		}
		return c
	}
	top := w.Nodes[copyNode(key)]
	top.Original = pinnedOriginal(top.Locked)
	root.Inputs = root.Inputs.With(Input{Name: name, Target: top.Key})
	return nil
}

// recoverInternal turns a panic (a bug, or a hand-built Graph that breaks
// its invariants, such as a nil node) into an error, so that none escapes
// the package.
func recoverInternal(op string, err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%s: internal error: %v", op, r)
	}
}

// pinnedOriginal is the flake reference that names exactly the locked
// revision: the locked attributes without the ones Nix computes on fetch.
func pinnedOriginal(locked Attrs) Attrs {
	out := make(Attrs, 0, len(locked))
	for _, f := range locked {
		switch f.Key {
		case "narHash", "lastModified", "revCount":
		default:
			out = append(out, f)
		}
	}
	return out
}

// applyFollows turns the edge at f.Input into a follows of f.Target. The
// target is resolved later, once every override is in place.
func applyFollows(w *Graph, f Follows) error {
	if len(f.Input) == 0 {
		return fmt.Errorf("follows %s: the root flake itself cannot follow anything", f)
	}
	node := w.Nodes[w.Root]
	for i, seg := range f.Input[:len(f.Input)-1] {
		edge, ok := node.Inputs.Get(seg)
		if !ok {
			return fmt.Errorf("follows %s: input '%s' does not exist", f, JoinPath(f.Input[:i+1]))
		}
		if edge.IsFollows() {
			return nil // Nix never looks at overrides below a follows.
		}
		node = w.Nodes[edge.Target]
	}
	last := f.Input[len(f.Input)-1]
	if _, ok := node.Inputs.Get(last); !ok {
		return nil // Nix silently ignores an override of a missing input.
	}
	target := make([]string, len(f.Target))
	copy(target, f.Target)
	node.Inputs = node.Inputs.With(Input{Name: last, Follows: target})
	return nil
}

// finish drops the nodes unreachable from the root, resolves every follows
// edge again and renames the nodes the way Nix does on write.
func finish(w *Graph) (*Graph, error) {
	out, _, err := finishOrder(w)
	return out, err
}

// finishOrder is finish, also returning the new keys of the nodes in the
// order NixKeys gives them for the result.
func finishOrder(w *Graph) (*Graph, []string, error) {
	order, names := NixKeys(w)
	out := &Graph{Version: lockVersion, Root: names[w.Root], Nodes: make(map[string]*Node, len(order))}
	nodes := make([]*Node, len(order))
	for k, key := range order {
		n := w.Nodes[key]
		nodes[k] = n
		for i := range n.Inputs { // n belongs to the working copy
			edge := &n.Inputs[i]
			if edge.IsFollows() {
				target, err := resolvePath(w, edge.Follows, 0)
				if err != nil {
					// Only an error needs the input paths: find them now,
					// while the keys are still the old ones.
					paths := inputPaths(w, order)
					return nil, nil, fmt.Errorf("input '%s' follows '%s': %w",
						JoinPath(append(append([]string(nil), paths[key]...), edge.Name)),
						JoinPath(edge.Follows), err)
				}
				edge.Target = target
			}
		}
	}
	newOrder := make([]string, len(order))
	for i, key := range order {
		n := nodes[i]
		n.Key = names[key]
		out.Nodes[n.Key] = n
		newOrder[i] = n.Key
	}
	// Targets were resolved against the old keys; map them to the new ones
	// only now, after every resolution is done.
	for _, n := range nodes {
		for i := range n.Inputs {
			n.Inputs[i].Target = names[n.Inputs[i].Target]
		}
	}
	indexInOrder(out, newOrder)
	return out, newOrder, nil
}

// inputPaths returns, for each key in order (as NixKeys returns it), the
// input path through which the depth-first walk first reached it.
func inputPaths(w *Graph, order []string) map[string][]string {
	paths := map[string][]string{w.Root: {}}
	for _, key := range order {
		n := w.Nodes[key]
		for _, edge := range n.Inputs {
			if _, seen := paths[edge.Target]; !seen && !edge.IsFollows() {
				paths[edge.Target] = append(append([]string(nil), paths[key]...), edge.Name)
			}
		}
	}
	return paths
}

// resolvePath returns the key of the node that path denotes, resolving each
// segment from the root and every follows met on the way again from the
// root, as Nix's LockFile::findInput does.
func resolvePath(w *Graph, path []string, depth int) (string, error) {
	if depth > maxFollowsDepth {
		return "", fmt.Errorf("follow cycle detected at '%s'", JoinPath(path))
	}
	key := w.Root
	for i, seg := range path {
		node, ok := w.Nodes[key]
		if !ok {
			return "", fmt.Errorf("node %q does not exist", key)
		}
		edge, ok := node.Inputs.Get(seg)
		if !ok {
			return "", fmt.Errorf("input '%s' does not exist", JoinPath(path[:i+1]))
		}
		if edge.IsFollows() {
			next, err := resolvePath(w, edge.Follows, depth+1)
			if err != nil {
				return "", err
			}
			key = next
			continue
		}
		key = edge.Target
	}
	if _, ok := w.Nodes[key]; !ok {
		return "", fmt.Errorf("node %q does not exist", key)
	}
	return key, nil
}

// cloneGraph copies g deeply enough that edges can be changed without
// touching g: nodes and their input maps and follows paths are copied, the
// attribute sets (never modified in place) are shared.
func cloneGraph(g *Graph) *Graph {
	w := &Graph{Version: g.Version, Root: g.Root, Nodes: make(map[string]*Node, len(g.Nodes))}
	for k, n := range g.Nodes {
		w.Nodes[k] = cloneNode(n)
	}
	if _, ok := w.Nodes[w.Root]; !ok {
		w.Nodes[w.Root] = &Node{Key: w.Root, IsFlake: true}
	}
	return w
}

func cloneNode(n *Node) *Node {
	c := *n
	c.Inputs = slices.Clone(n.Inputs)
	for i, edge := range c.Inputs {
		if edge.Follows != nil {
			c.Inputs[i].Follows = append([]string{}, edge.Follows...)
		}
	}
	return &c
}
