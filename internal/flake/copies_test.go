package flake

import (
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/flakedup/flakedup/internal/genlock"
	"github.com/flakedup/flakedup/internal/savings"
	"github.com/flakedup/flakedup/internal/testenv"
	"github.com/flakedup/flakedup/lockgraph"
	"github.com/flakedup/flakedup/rewrite"
)

// The definitions classify computes faster, as they were before it: every
// reachable node in key order, direct paths as slices built per node,
// statuses from joined prefixes, a stable sort by joined path, Before
// copied and marked by key, After and the savings from the whole
// predicted lock.

// oldMarkBefore sets Before's CouldFollowRoot flags and count from the plan.
func oldMarkBefore(o *Outcome) {
	follow := map[string]bool{}
	n := 0
	for _, cp := range o.Copies {
		if cp.Status == Follow {
			follow[cp.Key] = true
			if cp.Source.Nixpkgs {
				n++
			}
		}
	}
	groups := make([]lockgraph.Group, len(o.Before.Groups))
	for i, g := range o.Before.Groups {
		g.Copies = append([]lockgraph.Copy(nil), g.Copies...)
		for j := range g.Copies {
			g.Copies[j].CouldFollowRoot = follow[g.Copies[j].Key]
		}
		groups[i] = g
	}
	o.Before.Groups = groups
	o.Before.Nixpkgs.CouldFollowRoot = n
}

// oldCopies gives every reachable node of the lock its status.
func oldCopies(fl *Flake, out *Outcome, declared []lockgraph.Follows) []Copy {
	g := fl.Graph
	direct := oldDirectPaths(g)
	rootTargets := map[string]bool{}
	for _, in := range g.Nodes[g.Root].Inputs {
		rootTargets[in.Target] = true
	}
	lines := ManualLines(out.Edits)
	planned := map[string]string{} // input path → the line that adds its follows
	for i, e := range out.Edits {
		if f, ok := e.(rewrite.AddFollows); ok {
			if _, dup := planned[lockgraph.JoinPath(f.Path)]; !dup {
				planned[lockgraph.JoinPath(f.Path)] = lines[i]
			}
		}
	}
	pending := map[string]bool{}
	for _, f := range declared {
		pending[lockgraph.JoinPath(f.Input)] = true
	}
	held := map[string]lockgraph.HeldBack{}
	for _, h := range out.Result.HeldBack {
		held[lockgraph.JoinPath(h.Path)] = h
	}
	var paths map[string]lockgraph.NodePaths
	var list []Copy
	keep := map[string]bool{}
	for _, id := range out.Options.Sources {
		keep[strings.ToLower(id)] = true
	}
	for _, key := range g.Reachable() {
		n := g.Nodes[key]
		src := lockgraph.SourceOf(n)
		if !src.Nixpkgs && out.Result.Before[src.ID] < 2 && !keep[src.ID] {
			continue // a source with one copy, that nobody asked about
		}
		cp := Copy{Key: key, Path: direct[key], Source: src, Branch: lockgraph.BranchOf(n),
			Rev: n.Locked.String("rev")}
		if cp.Path == nil {
			if paths == nil {
				paths = g.Paths()
			}
			cp.Path = paths[key].Canonical
		}
		if fl.Inputs != nil && len(cp.Path) > 0 {
			if in := fl.Inputs.Inputs[cp.Path[0]]; in != nil && in.Line > 0 {
				cp.Line = in.Line
			}
		}
		switch {
		case rootTargets[key]:
			cp.Status = Root
		default:
			// The shortest prefix of the path that a follows overrides.
			for i := 1; i <= len(cp.Path) && cp.Status == Kept; i++ {
				prefix := lockgraph.JoinPath(cp.Path[:i])
				if line, ok := planned[prefix]; ok {
					cp.Status, cp.Fix = Follow, line
				} else if pending[prefix] {
					cp.Status = Pending
				}
			}
			if cp.Status != Kept {
				break
			}
			if h, ok := held[lockgraph.JoinPath(cp.Path)]; ok {
				cp.Status, cp.Reason, cp.NeedsNix = Held, h.Reason, h.NeedsNix
			}
		}
		list = append(list, cp)
	}
	joined := make([]string, len(list))
	for i := range list {
		joined[i] = lockgraph.JoinPath(list[i].Path)
	}
	idx := make([]int, len(list))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		i, j := idx[a], idx[b]
		if (list[i].Status == Root) != (list[j].Status == Root) {
			return list[i].Status == Root
		}
		return joined[i] < joined[j]
	})
	sorted := make([]Copy, len(list))
	for a, i := range idx {
		sorted[a] = list[i]
	}
	return sorted
}

// oldDirectPaths maps every node reachable through direct (non-follows) edges
// to the input path of those edges; in a lock Nix wrote, each node has
// exactly one.
func oldDirectPaths(g *lockgraph.Graph) map[string][]string {
	out := map[string][]string{}
	type item struct {
		key  string
		path []string
	}
	queue := []item{{g.Root, nil}}
	seen := map[string]bool{g.Root: true}
	for len(queue) > 0 {
		it := queue[0]
		queue = queue[1:]
		n := g.Nodes[it.key]
		for _, in := range n.Inputs {
			if in.IsFollows() || seen[in.Target] {
				continue
			}
			seen[in.Target] = true
			p := append(append([]string(nil), it.path...), in.Name)
			out[in.Target] = p
			queue = append(queue, item{in.Target, p})
		}
	}
	return out
}

// checkAsDefined plans fl under opts and checks that the outcome's copies,
// marked Before, After and savings are what the old definitions give.
func checkAsDefined(t *testing.T, fl *Flake, opts Options) {
	t.Helper()
	out, err := fl.Plan(opts)
	if err != nil {
		return // nothing classified
	}
	inputs := fl.Inputs
	if fl.Refusal() != nil {
		inputs = nil
	}
	g, _, err := applyDeclaredPromotions(inputs, fl.Graph)
	if err != nil {
		t.Fatal(err)
	}
	declared, _ := lockFollows(inputs, g)
	if inputs != nil && len(declared) == 0 && len(inputs.DeclaredFollows()) > 0 {
		t.Fatal("declared follows lost")
	}
	old := &Outcome{Flake: fl, Options: out.Options, Result: out.Result, Edits: out.Edits, Before: lockgraph.Analyze(fl.Graph)}
	old.Copies = oldCopies(fl, old, declared)
	oldMarkBefore(old)
	if len(out.Copies) != len(old.Copies) {
		t.Errorf("%d copies, the definition lists %d", len(out.Copies), len(old.Copies))
	}
	for i := range min(len(out.Copies), len(old.Copies)) {
		if !reflect.DeepEqual(out.Copies[i], old.Copies[i]) {
			t.Errorf("copy %d:\n got %+v\nwant %+v", i, out.Copies[i], old.Copies[i])
			break
		}
	}
	if !reflect.DeepEqual(out.Before, old.Before) {
		t.Errorf("Before differs from the definition's")
	}
	after := lockgraph.Analyze(out.Result.Predicted).Nixpkgs
	if want := (NixpkgsCount{Copies: after.Copies, Revisions: after.Revisions}); out.After != want {
		t.Errorf("After = %+v, want %+v", out.After, want)
	}
	if got, want := out.Savings(), savings.Compare(fl.Graph, out.Result.Predicted); !reflect.DeepEqual(got, want) {
		t.Errorf("Savings = %+v, want %+v", got, want)
	}
}

// classifyPolicies are the options each lock is classified under: the
// default, --all, --cross-branch --all, --add-inputs, and --max-copies
// sources listed.
var classifyPolicies = []struct {
	name string
	opts Options
}{
	{"default", Options{}},
	{"all", Options{Policy: lockgraph.Policy{All: true}}},
	{"cross-branch", Options{Policy: lockgraph.Policy{All: true, CrossBranch: true}}},
	{"add-inputs", Options{Policy: lockgraph.Policy{AddInputs: true}}},
	{"sources", Options{Sources: []string{"github:numtide/flake-utils", "github:nix-systems/default", "GitHub:Hercules-CI/flake-parts"}}},
}

// TestClassifyAsDefinedCorpus pins classify to the old definitions on every
// corpus flake and every fixture flake.
func TestClassifyAsDefinedCorpus(t *testing.T) {
	var dirs []string
	for _, lock := range testenv.CorpusFiles(t, "flake.lock") {
		dirs = append(dirs, filepath.Dir(lock))
	}
	fixtureLocks, err := filepath.Glob(filepath.Join(fixtures, "*", "*", "flake.lock"))
	if err != nil || len(fixtureLocks) == 0 {
		t.Fatalf("fixtures: %v (%d locks)", err, len(fixtureLocks))
	}
	for _, lock := range fixtureLocks {
		dirs = append(dirs, filepath.Dir(lock))
	}
	for _, dir := range dirs {
		fl, err := Load(dir)
		if err != nil {
			continue // fixtures of broken locks
		}
		for _, p := range classifyPolicies {
			t.Run(filepath.Base(dir)+"/"+p.name, func(t *testing.T) { checkAsDefined(t, fl, p.opts) })
		}
	}
}

// TestClassifyAsDefinedGenerated pins classify to the old definitions on
// the generated shapes: the tree, the wide lock (copies reached by two
// names), the merged one; each with a flake.nix declaring its root inputs.
func TestClassifyAsDefinedGenerated(t *testing.T) {
	for name, lock := range map[string][]byte{
		"tree": genlock.Generate(3000), "wide": genlock.Wide(3000), "merged": genlock.Merged(23),
		// Above parallelNodes: classify runs its steps concurrently.
		"tree-5k": genlock.Generate(5000), "wide-5k": genlock.Wide(5000),
	} {
		dir := generatedFlakeDir(t, lock)
		fl, err := Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range classifyPolicies {
			t.Run(name+"/"+p.name, func(t *testing.T) { checkAsDefined(t, fl, p.opts) })
		}
	}
}

// TestPlanPathsStatus spells out the statuses of a few paths, among them
// paths whose joined forms collide ("a/b" as one segment or two).
func TestPlanPathsStatus(t *testing.T) {
	edits := []rewrite.Edit{rewrite.AddInput{Name: "x", URL: "github:o/x"},
		rewrite.AddFollows{Path: []string{"a", "b"}, Target: "nixpkgs"},
		rewrite.AddFollows{Path: []string{"a", "b"}, Target: "other"}}
	declared := []lockgraph.Follows{{Input: []string{"c"}, Target: []string{"nixpkgs"}}, {Input: []string{"a"}, Target: []string{"nixpkgs"}}}
	held := []lockgraph.HeldBack{{Path: []string{"d", "nixpkgs"}, Reason: "first"}, {Path: []string{"d", "nixpkgs"}, Reason: "last"},
		{Path: []string{"e/f"}, Reason: "slash"}}
	pp := newPlanPaths(edits, declared, held)
	follow := `inputs.a.inputs.b.follows = "nixpkgs";`
	tests := []struct {
		path   []string
		status Status
		fix    string
		reason string
	}{
		{[]string{"b"}, Kept, "", ""},
		{[]string{"a"}, Pending, "", ""},
		{[]string{"a/b"}, Follow, follow, ""}, // joins as a/b does
		{[]string{"c", "nixpkgs"}, Pending, "", ""},
		{[]string{"d", "nixpkgs"}, Held, "", "last"},
		{[]string{"d", "nixpkgs", "lib"}, Kept, "", ""},
		{[]string{"e", "f"}, Held, "", "slash"},
		{[]string{"e"}, Kept, "", ""},
	}
	for _, tt := range tests {
		s, fix, h := pp.status(tt.path, lockgraph.JoinPath(tt.path))
		reason := ""
		if h != nil {
			reason = h.Reason
		}
		if s != tt.status || fix != tt.fix || reason != tt.reason {
			t.Errorf("status(%q) = %v %q %q, want %v %q %q", tt.path, s, fix, reason, tt.status, tt.fix, tt.reason)
		}
	}
	// The prefix "a" is declared, but a planned follows of "a/b" is
	// looked at first only at its own length: "a" decides.
	if s, _, _ := pp.status([]string{"a", "b"}, "a/b"); s != Pending {
		t.Errorf("status(a/b) = %v, want Pending (the shorter prefix decides)", s)
	}
}

// TestWalkLock checks the numbering of a small hand-built lock: direct
// paths breadth first, a node reached only through a follows without one,
// edges to missing nodes skipped.
func TestWalkLock(t *testing.T) {
	g := &lockgraph.Graph{Root: "root", Nodes: map[string]*lockgraph.Node{
		"root": {Key: "root", Inputs: lockgraph.NewInputs(
			lockgraph.Input{Name: "b", Target: "b"}, lockgraph.Input{Name: "a", Target: "a"},
			lockgraph.Input{Name: "gone", Target: "missing"})},
		"a":             {Key: "a", Inputs: lockgraph.NewInputs(lockgraph.Input{Name: "x", Target: "x"})},
		"b":             {Key: "b", Inputs: lockgraph.NewInputs(lockgraph.Input{Name: "y", Target: "only-followed", Follows: []string{"a", "x", "z"}})},
		"x":             {Key: "x", Inputs: lockgraph.NewInputs(lockgraph.Input{Name: "w", Target: "a"})},
		"only-followed": {Key: "only-followed"},
		"unreachable":   {Key: "unreachable"},
	}}
	w := walkLock(g, -1)
	var got []string
	var buf []string
	for i := range w.keys {
		got = append(got, w.keys[i]+"="+lockgraph.JoinPath(w.directPath(int32(i), &buf))+"/"+strings.Repeat("+", int(w.depth[i])))
	}
	want := []string{"root=/", "a=a/+", "b=b/+", "x=a/x/++", "only-followed=/"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("walk = %q, want %q", got, want)
	}
	keys := append([]string(nil), w.keys[1:]...)
	sort.Strings(keys)
	if reach := g.Reachable(); !reflect.DeepEqual(keys, reach) {
		t.Errorf("walk reaches %q, lockgraph %q", keys, reach)
	}
}

// TestPredictedNixpkgs checks the predicted lock's nixpkgs nodes: those
// reachable (through direct edges or only through follows; a node no edge
// reaches is no copy), each told by the lock node it stands for when it
// shares that node's attributes, else by its own source.
func TestPredictedNixpkgs(t *testing.T) {
	nixpkgs := func(key, rev string) *lockgraph.Node {
		return &lockgraph.Node{Key: key, IsFlake: true,
			Original: lockgraph.NewAttrs(lockgraph.Attr{Key: "owner", Raw: `"NixOS"`}, lockgraph.Attr{Key: "repo", Raw: `"nixpkgs"`}, lockgraph.Attr{Key: "type", Raw: `"github"`}),
			Locked:   lockgraph.NewAttrs(lockgraph.Attr{Key: "rev", Raw: `"` + rev + `"`}, lockgraph.Attr{Key: "type", Raw: `"github"`})}
	}
	other := func(key string) *lockgraph.Node {
		return &lockgraph.Node{Key: key, IsFlake: true,
			Original: lockgraph.NewAttrs(lockgraph.Attr{Key: "owner", Raw: `"o"`}, lockgraph.Attr{Key: "repo", Raw: `"x"`}, lockgraph.Attr{Key: "type", Raw: `"github"`})}
	}
	copyOf := func(n *lockgraph.Node, key string) *lockgraph.Node {
		c := *n
		c.Key = key
		return &c
	}
	nix, x := nixpkgs("nixpkgs", "r1"), other("x")
	lock := &lockgraph.Graph{Root: "root", Nodes: map[string]*lockgraph.Node{
		"root":    {Key: "root", Inputs: lockgraph.NewInputs(lockgraph.Input{Name: "nixpkgs", Target: "nixpkgs"}, lockgraph.Input{Name: "x", Target: "x"})},
		"nixpkgs": nix, "x": x,
	}}
	w := walkLock(lock, -1)
	nixID := make([]string, len(w.nodes))
	for i, n := range w.nodes {
		if src := lockgraph.SourceOf(n); src.Nixpkgs {
			nixID[i] = src.ID
		}
	}
	root := func(edges ...lockgraph.Input) *lockgraph.Node {
		return &lockgraph.Node{Key: "root", Inputs: lockgraph.NewInputs(edges...)}
	}
	tests := []struct {
		name string
		pred map[string]*lockgraph.Node
		want []string
	}{
		{"the lock itself", lock.Nodes, []string{"nixpkgs"}},
		{"copies sharing attributes, one renamed", map[string]*lockgraph.Node{
			"root":      root(lockgraph.Input{Name: "nixpkgs", Target: "nixpkgs_2"}, lockgraph.Input{Name: "x", Target: "x"}),
			"nixpkgs_2": copyOf(nix, "nixpkgs_2"), "x": copyOf(x, "x")}, []string{"nixpkgs_2"}},
		{"attributes not shared: read", map[string]*lockgraph.Node{
			"root":    root(lockgraph.Input{Name: "nixpkgs", Target: "nixpkgs"}, lockgraph.Input{Name: "x", Target: "x"}),
			"nixpkgs": other("nixpkgs"), "x": nixpkgs("x", "r2")}, []string{"x"}},
		{"unreachable: no copy", map[string]*lockgraph.Node{
			"root": root(lockgraph.Input{Name: "x", Target: "x"}), "x": x, "stray": nixpkgs("stray", "r2")}, nil},
		{"reached only through a follows", map[string]*lockgraph.Node{
			"root": root(lockgraph.Input{Name: "x", Target: "x"}),
			"x":    {Key: "x", Original: x.Original, Inputs: lockgraph.NewInputs(lockgraph.Input{Name: "nixpkgs", Target: "f", Follows: []string{"x", "gone"}})},
			"f":    nixpkgs("f", "r3")}, []string{"f"}},
	}
	// Numbered in key order, "0" first: taken in number order when each
	// node is reached from one numbered before it, else walked.
	tests = append(tests, []struct {
		name string
		pred map[string]*lockgraph.Node
		want []string
	}{
		{"in number order", map[string]*lockgraph.Node{
			"0": {Key: "0", Inputs: lockgraph.NewInputs(lockgraph.Input{Name: "nixpkgs", Target: "a"})},
			"a": {Key: "a", Original: nix.Original, Inputs: lockgraph.NewInputs(lockgraph.Input{Name: "x", Target: "b"})},
			"b": nixpkgs("b", "r4")}, []string{"a", "b"}},
		{"not in number order", map[string]*lockgraph.Node{
			"0": {Key: "0", Inputs: lockgraph.NewInputs(lockgraph.Input{Name: "z", Target: "z"})},
			"a": nixpkgs("a", "r5"),
			"s": nixpkgs("s", "r6"), // unreachable
			"z": {Key: "z", Inputs: lockgraph.NewInputs(lockgraph.Input{Name: "nixpkgs", Target: "a"})}}, []string{"a"}},
	}...)
	for _, tt := range tests {
		root := "root"
		if tt.pred["0"] != nil {
			root = "0"
		}
		pred := &lockgraph.Graph{Root: root, Nodes: tt.pred}
		var got []string
		for _, n := range predictedNixpkgs(pred, w, nixID) {
			got = append(got, n.Key)
		}
		sort.Strings(got)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
		if want := savings.NixpkgsNodes(pred); len(want) != len(got) {
			t.Errorf("%s: %d nodes, savings.NixpkgsNodes %d", tt.name, len(got), len(want))
		}
	}
	if got := predictedNixpkgs(nil, w, nixID); got != nil {
		t.Errorf("no prediction: %v", got)
	}
}

// TestPlanMarksAsPlanPaths checks planMarks against planPaths at every
// walked node's direct path (when no segment has a '/'), over the corpus
// flakes, the generated shapes and a hand-built lock whose paths join
// alike ("a/b" as one segment or two).
func TestPlanMarksAsPlanPaths(t *testing.T) {
	check := func(t *testing.T, w *lockWalk, edits []rewrite.Edit, declared []lockgraph.Follows, held []lockgraph.HeldBack) {
		t.Helper()
		pm, ok := newPlanMarks(w, edits, declared, held)
		if !ok {
			return // classify uses planPaths then
		}
		pp := newPlanPaths(edits, declared, held)
		var buf []string
		for i := int32(1); i < int32(len(w.nodes)); i++ {
			path := w.directPath(i, &buf)
			if path == nil {
				continue
			}
			slashed := false
			for _, seg := range path {
				slashed = slashed || strings.Contains(seg, "/")
			}
			if slashed {
				continue
			}
			joined := lockgraph.JoinPath(path)
			s, fix, h := pm.status(i, joined)
			ws, wfix, wh := pp.status(path, joined)
			if s != ws || fix != wfix || h != wh {
				t.Fatalf("%q: planMarks %v %q %v, planPaths %v %q %v", path, s, fix, h, ws, wfix, wh)
			}
		}
	}
	dirs := map[string]string{} // name → flake directory
	for _, lock := range testenv.CorpusFiles(t, "flake.lock") {
		dirs[filepath.Base(filepath.Dir(lock))] = filepath.Dir(lock)
	}
	for name, lock := range map[string][]byte{"tree": genlock.Generate(3000), "wide": genlock.Wide(3000), "merged": genlock.Merged(23)} {
		dir := generatedFlakeDir(t, lock)
		dirs[name] = dir
	}
	for name, dir := range dirs {
		fl, err := Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range classifyPolicies {
			t.Run(name+"/"+p.name, func(t *testing.T) {
				out, err := fl.Plan(p.opts)
				if err != nil {
					return
				}
				declared, _ := lockFollows(fl.Inputs, fl.Graph)
				check(t, walkLock(fl.Graph, -1), out.Edits, declared, out.Result.HeldBack)
			})
		}
	}

	// a/b is a node's direct path; "a/b" as one segment is another's.
	g := &lockgraph.Graph{Root: "root", Nodes: map[string]*lockgraph.Node{
		"root": {Key: "root", Inputs: lockgraph.NewInputs(lockgraph.Input{Name: "a", Target: "a"}, lockgraph.Input{Name: "a/b", Target: "ab"})},
		"a":    {Key: "a", Inputs: lockgraph.NewInputs(lockgraph.Input{Name: "b", Target: "b"})},
		"b":    {Key: "b", Inputs: lockgraph.NewInputs(lockgraph.Input{Name: "c", Target: "c"})},
		"ab":   {Key: "ab"}, "c": {Key: "c"},
	}}
	w := walkLock(g, -1)
	edits := []rewrite.Edit{rewrite.AddFollows{Path: []string{"a", "b"}, Target: "nixpkgs"}}
	check(t, w, edits, []lockgraph.Follows{{Input: []string{"x"}, Target: []string{"y"}}}, nil)
	if _, ok := newPlanMarks(w, []rewrite.Edit{rewrite.AddFollows{Path: []string{"a/b"}, Target: "nixpkgs"}}, nil, nil); ok {
		t.Error("a plan path with a '/' in a segment: planMarks claims to be exact")
	}
	pm, _ := newPlanMarks(w, edits, nil, nil)
	c, _ := w.find(g, "c")
	if s, _, _ := pm.status(c, "a/b/c"); s != Follow {
		t.Errorf("a/b/c: %v, want Follow (a/b follows)", s)
	}
}
