// Package genlock generates synthetic flake.lock files for benchmarks and
// tests: a large realistic tree, and a ladder of diamonds whose bottom node
// is reached by 2^n input paths. Output is deterministic: the same
// arguments give the same bytes.
package genlock

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
)

// node is one entry of the lock being generated.
type node struct {
	Inputs   map[string]any    `json:"inputs,omitempty"` // string key or []string follows path
	Locked   map[string]any    `json:"locked,omitempty"`
	Original map[string]string `json:"original,omitempty"`
	Flake    *bool             `json:"flake,omitempty"`
}

// lock is a flake.lock under construction. While it is built, a node's key
// is the input name it was created for, with _2, _3, ... on a clash, in the
// order nodes are created; bytes renames them the way Nix does.
type lock struct {
	nodes map[string]*node
	used  map[string]int
	rng   *rand.Rand
}

func newLock(seed uint64) *lock {
	l := &lock{nodes: map[string]*node{}, used: map[string]int{}, rng: rand.New(rand.NewPCG(seed, 1))}
	l.nodes["root"] = &node{Inputs: map[string]any{}}
	l.used["root"] = 1
	return l
}

// add creates a node for an input called name and returns its key.
func (l *lock) add(name, owner, repo, ref string) string {
	l.used[name]++
	key := name
	if n := l.used[name]; n > 1 {
		key = name + "_" + strconv.Itoa(n)
	}
	rev := fmt.Sprintf("%016x%016x%08x", l.rng.Uint64(), l.rng.Uint64(), l.rng.Uint32())
	original := map[string]string{"owner": owner, "repo": repo, "type": "github"}
	if ref != "" {
		original["ref"] = ref
	}
	l.nodes[key] = &node{
		Inputs: map[string]any{},
		Locked: map[string]any{
			"lastModified": 1700000000 + l.rng.IntN(30000000),
			"narHash":      fmt.Sprintf("sha256-%022x%021x=", l.rng.Uint64(), l.rng.Uint64()),
			"owner":        owner, "repo": repo, "rev": rev, "type": "github",
		},
		Original: original,
	}
	return key
}

// bytes is the lock as Nix writes it: nodes under the keys Nix gives them
// (nixNamed), indented by two spaces.
func (l *lock) bytes() []byte {
	out, err := json.MarshalIndent(map[string]any{"nodes": l.nixNamed(), "root": "root", "version": 7}, "", "  ")
	if err != nil {
		panic(err) // unreachable: only maps, strings and numbers
	}
	return append(out, '\n')
}

// nixNamed returns the nodes under the keys Nix gives them when it writes
// a lock (lockgraph.NixKeys): a pre-order walk from the root over direct
// edges, inputs in sorted order, each node named after the input through
// which it is first reached, the first free of _2, _3, ... appended on a
// clash; direct edges are renamed to match. A lock Nix wrote has these
// keys, so a prediction that changes nothing renames nothing, as on a real
// lock. The keys add gives follow the order nodes are created in instead,
// under which a prediction renames nearly every node. Nodes the walk does
// not reach are left out, as Nix leaves them out. It restates NixKeys on
// genlock's own nodes rather than calling it: lockgraph's tests import
// genlock, so genlock cannot import lockgraph (TestNixNamed compares the two).
func (l *lock) nixNamed() map[string]*node {
	named := make(map[string]*node, len(l.nodes))
	newKey := make(map[string]string, len(l.nodes)) // old key -> new
	lastSuffix := make(map[string]int)              // per clashing name, the last suffix taken
	var visit func(name, key string)
	visit = func(name, key string) {
		if _, done := newKey[key]; done {
			return
		}
		if _, taken := named[name]; taken {
			base := name
			for n := max(lastSuffix[base]+1, 2); ; n++ {
				if name = base + "_" + strconv.Itoa(n); named[name] == nil {
					lastSuffix[base] = n
					break
				}
			}
		}
		n := l.nodes[key]
		c := *n // its inputs are renamed below, l's are not
		named[name], newKey[key] = &c, name
		names := make([]string, 0, len(n.Inputs))
		for in := range n.Inputs {
			names = append(names, in)
		}
		sort.Strings(names)
		for _, in := range names {
			if target, direct := n.Inputs[in].(string); direct {
				visit(in, target)
			}
		}
	}
	visit("root", "root")
	for _, n := range named {
		if n.Inputs == nil {
			continue
		}
		inputs := make(map[string]any, len(n.Inputs))
		for in, target := range n.Inputs {
			if key, direct := target.(string); direct {
				target = newKey[key]
			}
			inputs[in] = target
		}
		n.Inputs = inputs
	}
	return named
}

var branches = []string{"nixos-unstable", "nixos-24.05", "nixpkgs-unstable", "nixos-23.11", "release-24.05", ""}

// Generate returns a version 7 lock with exactly nodes nodes (at least 5):
// a root with a nixpkgs, a flake-utils and as many dependency flakes as it
// takes, each dependency having sub-dependencies down to depth 6, its nixpkgs either its own copy (on one of
// several branches), a follows of the root's, or a follows of its parent's
// nixpkgs (a chain), a flake-utils with a systems input or a follows of the
// root's, and sometimes a flake = false flake-compat.
func Generate(nodes int) []byte {
	nodes = max(nodes, 5)
	l := newLock(42)
	budget := nodes - 1 // the root exists already
	root := l.nodes["root"]
	take := func() bool {
		if budget == 0 {
			return false
		}
		budget--
		return true
	}
	take()
	root.Inputs["nixpkgs"] = l.add("nixpkgs", "NixOS", "nixpkgs", "nixos-unstable")
	take()
	root.Inputs["flake-utils"] = l.add("flake-utils", "numtide", "flake-utils", "")
	take()
	l.nodes[root.Inputs["flake-utils"].(string)].Inputs["systems"] = l.add("systems", "nix-systems", "default", "")

	type pending struct {
		key  string
		path []string
	}
	var queue []pending
	dep := 0
	// newDep adds a dependency flake under parent, when the budget allows.
	newDep := func(parent *node, parentPath []string) {
		dep++
		name := "dep" + strconv.Itoa(l.rng.IntN(2000))
		if parent == root {
			name = "app" + strconv.Itoa(dep)
		}
		if _, clash := parent.Inputs[name]; clash || !take() {
			return
		}
		key := l.add(name, "owner"+strconv.Itoa(dep%500), name, "")
		parent.Inputs[name] = key
		queue = append(queue, pending{key, append(append([]string{}, parentPath...), name)})
	}
	for i := 0; i < 8; i++ {
		newDep(root, nil)
	}
	for i := 0; budget > 0; i++ {
		if i == len(queue) { // the tree stopped growing: widen the root
			newDep(root, nil)
			i-- // and look at the new dependency next
			continue
		}
		p := queue[i]
		n := l.nodes[p.key]
		switch r := l.rng.IntN(10); {
		case r < 3 && take():
			n.Inputs["nixpkgs"] = l.add("nixpkgs", "NixOS", "nixpkgs", branches[l.rng.IntN(len(branches))])
		case r < 5 && len(p.path) > 1:
			n.Inputs["nixpkgs"] = append(append([]string{}, p.path[:len(p.path)-1]...), "nixpkgs")
		default:
			n.Inputs["nixpkgs"] = []string{"nixpkgs"}
		}
		if l.rng.IntN(2) == 0 && budget >= 2 {
			take()
			fu := l.add("flake-utils", "numtide", "flake-utils", "")
			n.Inputs["flake-utils"] = fu
			take()
			l.nodes[fu].Inputs["systems"] = l.add("systems", "nix-systems", "default", "")
		} else {
			n.Inputs["flake-utils"] = []string{"flake-utils"}
		}
		if l.rng.IntN(4) == 0 && take() {
			fc := l.add("flake-compat", "edolstra", "flake-compat", "")
			no := false
			l.nodes[fc].Flake = &no
			n.Inputs["flake-compat"] = fc
		}
		// Real locks are wide and shallow: sub-dependencies stop at depth 6.
		fanout := 0
		switch depth := len(p.path); {
		case depth < 2:
			fanout = l.rng.IntN(6)
		case depth < 6:
			fanout = l.rng.IntN(3)
		}
		for ; fanout > 0; fanout-- {
			newDep(n, p.path)
		}
	}
	for _, n := range l.nodes {
		if len(n.Inputs) == 0 {
			n.Inputs = nil
		}
	}
	return l.bytes()
}

// Ladder returns a version 7 lock of diamonds stacked diamonds-high: the
// root's input "top" is node d0; each d<i> has inputs "left" and "right";
// left's input "next" is d<i+1>, and right's "next" follows left's. The
// bottom node is reached by 2^diamonds paths, though the lock has only
// 3*diamonds+2 nodes.
func Ladder(diamonds int) []byte {
	l := newLock(7)
	l.nodes["root"].Inputs["top"] = l.add("d", "NixOS", "nixpkgs", "")
	cur := "d"
	path := []string{"top"}
	for i := 0; i < diamonds; i++ {
		left := l.add("left", "o", "left", "")
		right := l.add("right", "o", "right", "")
		next := l.add("d", "NixOS", "nixpkgs", "")
		l.nodes[cur].Inputs["left"] = left
		l.nodes[cur].Inputs["right"] = right
		l.nodes[left].Inputs["next"] = next
		l.nodes[right].Inputs["next"] = append(append([]string{}, path...), "left", "next")
		cur = next
		path = append(path, "left", "next")
	}
	for _, n := range l.nodes {
		if len(n.Inputs) == 0 {
			n.Inputs = nil
		}
	}
	return l.bytes()
}

// FlakeNix returns a flake.nix declaring the root inputs of lock (a lock
// Generate or Ladder wrote) with the URLs their nodes were fetched from, one
// `name.url = "github:owner/repo[/ref]";` line each, in name order, so that
// `flakedup fix` can run on a generated lock.
func FlakeNix(lock []byte) ([]byte, error) {
	var doc struct {
		Nodes map[string]struct {
			Inputs   map[string]json.RawMessage `json:"inputs"`
			Original map[string]string          `json:"original"`
		} `json:"nodes"`
		Root string `json:"root"`
	}
	if err := json.Unmarshal(lock, &doc); err != nil {
		return nil, fmt.Errorf("reading the generated lock: %w", err)
	}
	root := doc.Nodes[doc.Root]
	names := make([]string, 0, len(root.Inputs))
	for name := range root.Inputs {
		names = append(names, name)
	}
	sort.Strings(names)
	var b bytes.Buffer
	b.WriteString("{\n  description = \"generated by genlock\";\n\n  inputs = {\n")
	for _, name := range names {
		var key string
		if err := json.Unmarshal(root.Inputs[name], &key); err != nil {
			return nil, fmt.Errorf("root input %q: not a node key: %w", name, err)
		}
		o := doc.Nodes[key].Original
		url := "github:" + o["owner"] + "/" + o["repo"]
		if o["ref"] != "" {
			url += "/" + o["ref"]
		}
		fmt.Fprintf(&b, "    %s.url = %q;\n", name, url)
	}
	b.WriteString("  };\n\n  outputs = { self, ... }: { };\n}\n")
	return b.Bytes(), nil
}

// Wide returns a version 7 lock with exactly nodes nodes (at least 2) whose
// root is as wide as a lock gets: a nixpkgs and about nodes/4 application
// flakes app1, app2, ... Each application has its own nixpkgs, reached by
// two input names ("nixpkgs", and "nixpkgs-stable" following it), and a
// flake-utils whose systems input, six times in seven, follows the
// application's own "systems" input, so that node is reached by two names
// too. On 100,000 nodes that is 25,000 root inputs and some 46,000 copies
// with two paths each: the shape that makes sampling paths by scanning
// every root edge per copy quadratic.
func Wide(nodes int) []byte {
	nodes = max(nodes, 2)
	l := newLock(11)
	root := l.nodes["root"]
	budget := nodes - 2 // the root and its nixpkgs
	root.Inputs["nixpkgs"] = l.add("nixpkgs", "NixOS", "nixpkgs", "nixos-unstable")
	for app := 1; budget > 0; app++ {
		name := "app" + strconv.Itoa(app)
		budget--
		key := l.add(name, "owner"+strconv.Itoa(app%500), name, "")
		root.Inputs[name] = key
		n := l.nodes[key]
		if budget == 0 {
			break
		}
		budget--
		n.Inputs["nixpkgs"] = l.add("nixpkgs", "NixOS", "nixpkgs", branches[l.rng.IntN(len(branches))])
		n.Inputs["nixpkgs-stable"] = []string{name, "nixpkgs"}
		if budget == 0 {
			break
		}
		budget--
		fu := l.add("flake-utils", "numtide", "flake-utils", "")
		n.Inputs["flake-utils"] = fu
		if budget == 0 {
			break
		}
		budget--
		systems := l.add("systems", "nix-systems", "default", "")
		if l.rng.IntN(7) == 0 {
			l.nodes[fu].Inputs["systems"] = systems
		} else {
			n.Inputs["systems"] = systems
			l.nodes[fu].Inputs["systems"] = []string{name, "systems"}
		}
	}
	l.dropEmptyInputs()
	return l.bytes()
}

// dropEmptyInputs leaves out the inputs of every node that has none, as
// Nix writes them.
func (l *lock) dropEmptyInputs() {
	for _, n := range l.nodes {
		if len(n.Inputs) == 0 {
			n.Inputs = nil
		}
	}
}

// catalogDep is a flake that the flakes of Merged depend on: its source and
// the catalog names of its own inputs.
type catalogDep struct {
	owner, repo, ref string
	flake            bool     // false: an input with flake = false
	inputs           []string // names in catalog, each also the input's name
}

// catalog holds the inputs real flakes use most, with the inputs those
// flakes have themselves, as the corpus locks show them.
var catalog = map[string]catalogDep{
	"nixpkgs":             {"NixOS", "nixpkgs", "nixos-unstable", true, nil},
	"nixpkgs-stable":      {"NixOS", "nixpkgs", "nixos-24.05", true, nil},
	"nixpkgs-lib":         {"nix-community", "nixpkgs.lib", "", true, nil},
	"systems":             {"nix-systems", "default", "", true, nil},
	"flake-compat":        {"edolstra", "flake-compat", "", false, nil},
	"flake-utils":         {"numtide", "flake-utils", "", true, []string{"systems"}},
	"flake-parts":         {"hercules-ci", "flake-parts", "", true, []string{"nixpkgs-lib"}},
	"gitignore":           {"hercules-ci", "gitignore.nix", "", true, []string{"nixpkgs"}},
	"git-hooks":           {"cachix", "git-hooks.nix", "", true, []string{"flake-compat", "gitignore", "nixpkgs"}},
	"treefmt-nix":         {"numtide", "treefmt-nix", "", true, []string{"nixpkgs"}},
	"home-manager":        {"nix-community", "home-manager", "", true, []string{"nixpkgs"}},
	"nix-darwin":          {"lnl7", "nix-darwin", "", true, []string{"nixpkgs"}},
	"disko":               {"nix-community", "disko", "", true, []string{"nixpkgs"}},
	"sops-nix":            {"Mic92", "sops-nix", "", true, []string{"nixpkgs"}},
	"rust-overlay":        {"oxalica", "rust-overlay", "", true, []string{"nixpkgs"}},
	"crane":               {"ipetkov", "crane", "", true, nil},
	"nix-index-database":  {"nix-community", "nix-index-database", "", true, []string{"nixpkgs"}},
	"nur":                 {"nix-community", "NUR", "", true, []string{"flake-parts", "nixpkgs", "treefmt-nix"}},
	"hyprutils":           {"hyprwm", "hyprutils", "", true, []string{"nixpkgs", "systems"}},
	"hyprlang":            {"hyprwm", "hyprlang", "", true, []string{"hyprutils", "nixpkgs", "systems"}},
	"hyprwayland-scanner": {"hyprwm", "hyprwayland-scanner", "", true, []string{"nixpkgs", "systems"}},
	"aquamarine":          {"hyprwm", "aquamarine", "", true, []string{"hyprutils", "hyprwayland-scanner", "nixpkgs", "systems"}},
	"hyprland": {"hyprwm", "Hyprland", "", true, []string{"aquamarine", "hyprlang", "hyprutils",
		"hyprwayland-scanner", "nixpkgs", "pre-commit-hooks", "systems"}},
	"pre-commit-hooks": {"cachix", "git-hooks.nix", "", true, []string{"flake-compat", "gitignore", "nixpkgs"}},
	"lanzaboote": {"nix-community", "lanzaboote", "", true, []string{"crane", "flake-compat", "flake-parts",
		"nixpkgs", "pre-commit-hooks-nix", "rust-overlay"}},
	"pre-commit-hooks-nix": {"cachix", "pre-commit-hooks.nix", "", true, []string{"flake-compat", "gitignore", "nixpkgs"}},
	"stylix": {"danth", "stylix", "", true, []string{"flake-compat", "flake-parts", "git-hooks", "home-manager",
		"nixpkgs", "systems"}},
}

// topLevel are the catalog entries a flake of Merged may declare itself,
// besides its nixpkgs.
var topLevel = []string{"home-manager", "flake-parts", "flake-utils", "treefmt-nix", "git-hooks", "disko",
	"sops-nix", "rust-overlay", "nix-darwin", "nix-index-database", "nur", "hyprland", "lanzaboote",
	"stylix", "systems", "nixpkgs-stable", "crane", "flake-compat"}

// Merged returns a version 7 lock of flakes real-shaped flakes under one
// root, as a tool merging the locks of many projects into one would write
// it: a root nixpkgs (nixos-unstable) and root inputs flake1, flake2, ...,
// each a flake with its own nixpkgs
// and several of the inputs real flakes use most (home-manager,
// flake-parts, hyprland and its dozen inputs, ...), each with the inputs
// those have in real locks. Like real flakes, each one makes some of its
// dependencies' inputs follow its own ("inputs.home-manager.inputs.nixpkgs
// .follows"), and a dependency reuses inputs of its parent the way
// hyprland's do. On 23 flakes the lock has over 1,000 nodes.
func Merged(flakes int) []byte {
	l := newLock(23)
	root := l.nodes["root"]
	for f := 1; f <= flakes; f++ {
		name := "flake" + strconv.Itoa(f)
		key := l.add(name, "owner"+strconv.Itoa(f), "project"+strconv.Itoa(f), "")
		root.Inputs[name] = key
		top := l.nodes[key]
		path := []string{name}
		declared := []string{"nixpkgs"}
		for _, dep := range topLevel {
			if l.rng.IntN(5) < 3 {
				declared = append(declared, dep)
			}
		}
		// The flake's own inputs first, so that its dependencies can
		// follow any of them.
		for _, dep := range declared {
			ref := catalog[dep].ref
			if dep == "nixpkgs" {
				ref = branches[l.rng.IntN(len(branches))]
			}
			top.Inputs[dep] = l.addDep(dep, ref)
		}
		follows := l.rng.IntN(4) // 0: follows nothing; 3: follows whatever it can
		for _, dep := range declared {
			l.fillMerged(l.nodes[top.Inputs[dep].(string)], dep, append(slices.Clone(path), dep),
				map[string][]string{}, top, path, follows)
		}
	}
	// The merging flake has a nixpkgs of its own, as real ones do; added
	// last, so that the flakes above are those of a root without one.
	if flakes > 0 {
		root.Inputs["nixpkgs"] = l.addDep("nixpkgs", "nixos-unstable")
	}
	l.dropEmptyInputs()
	return l.bytes()
}

// addDep adds a node for the catalog entry dep.
func (l *lock) addDep(dep, ref string) string {
	c := catalog[dep]
	key := l.add(dep, c.owner, c.repo, ref)
	if !c.flake {
		no := false
		l.nodes[key].Flake = &no
	}
	return key
}

// fillMerged gives n, the node of catalog entry dep at path, its inputs:
// each one follows the flake's own input of that name (top, at topPath)
// when follows allows and there is one, else follows an input of n's
// parent (given by name in siblings) a third of the time, else is a node of its
// own, filled in the same way.
func (l *lock) fillMerged(n *node, dep string, path []string, siblings map[string][]string,
	top *node, topPath []string, follows int) {
	mine := map[string][]string{}
	for _, in := range catalog[dep].inputs {
		if _, ok := top.Inputs[in]; ok && l.rng.IntN(5) < follows {
			n.Inputs[in] = append(slices.Clone(topPath), in)
			continue
		}
		if p, ok := siblings[in]; ok && l.rng.IntN(3) == 0 {
			n.Inputs[in] = p
			continue
		}
		ref := catalog[in].ref
		if in == "nixpkgs" {
			ref = branches[l.rng.IntN(len(branches))]
		}
		key := l.addDep(in, ref)
		n.Inputs[in] = key
		mine[in] = append(slices.Clone(path), in)
	}
	for _, in := range catalog[dep].inputs {
		if key, ok := n.Inputs[in].(string); ok {
			l.fillMerged(l.nodes[key], in, mine[in], mine, top, topPath, follows)
		}
	}
}
