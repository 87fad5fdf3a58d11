package lockgraph

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"testing"

	"github.com/flakedup/flakedup/internal/nixversion"
)

func TestPlanUnknownNames(t *testing.T) {
	data, err := os.ReadFile("../fixtures/plan/hold-inline-ignore/flake.lock")
	if err != nil {
		t.Fatal(err)
	}
	g := loadLock(t, data)
	for _, tc := range []struct {
		name   string
		policy Policy
		want   string
	}{
		{"ignore typo of a root input", Policy{Ignore: []string{"impermanance"}}, "--ignore impermanance: no such input in flake.lock (did you mean impermanence?)"},
		{"ignore typo below a root input", Policy{Ignore: []string{"A/nixpgks"}}, "--ignore A/nixpgks: no such input in flake.lock (did you mean A/nixpkgs?)"},
		{"ignore typo of the root input of a path", Policy{Ignore: []string{"AA/nixpkgs"}}, "--ignore AA/nixpkgs: no such input in flake.lock"}, // half of "AA" is no typo of "A"
		{"ignore typo of a longer root input", Policy{Ignore: []string{"impermenence/nixpkgs"}}, "--ignore impermenence/nixpkgs: no such input in flake.lock (did you mean impermanence/nixpkgs?)"},
		{"ignore of nothing like it", Policy{Ignore: []string{"home-manager"}}, "--ignore home-manager: no such input in flake.lock"},
		{"include typo", Policy{Include: []string{"impermenence"}}, "--include impermenence: no such input in flake.lock (did you mean impermanence?)"},
		{"include of a nested input", Policy{Include: []string{"B"}}, "--include B: no such input in flake.lock"}, // one letter: no guess
		{"ignore and include that exist", Policy{Ignore: []string{"A/B/nixpkgs", "C"}, Include: []string{"A"}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Plan(g, nil, tc.policy)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			var un *UnknownNameError
			if !errors.As(err, &un) || err.Error() != tc.want {
				t.Fatalf("err = %v, want *UnknownNameError %q", err, tc.want)
			}
		})
	}
}

func TestParseTargetPolicy(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want TargetPolicy
		err  string
	}{
		{"", TargetInfer, ""},
		{"infer", TargetInfer, ""},
		{"primary", TargetPrimary, ""},
		{"branch", TargetBranch, ""},
		{"Primary", TargetInfer, `policy "Primary": want "primary" or "branch"`},
	} {
		got, err := ParseTargetPolicy(tc.in)
		if got != tc.want || fmt.Sprint(err) != map[bool]string{true: "<nil>", false: tc.err}[tc.err == ""] {
			t.Errorf("ParseTargetPolicy(%q) = %v, %v; want %v, %q", tc.in, got, err, tc.want, tc.err)
		}
		if err == nil && tc.in != "" && got.String() != tc.in {
			t.Errorf("%v.String() = %q, want %q", got, got.String(), tc.in)
		}
	}
}

func TestFollowsLine(t *testing.T) {
	for _, tc := range []struct {
		f    Follows
		want string
	}{
		{Follows{Input: []string{"sops-nix", "nixpkgs"}, Target: []string{"nixpkgs"}}, `inputs.sops-nix.inputs.nixpkgs.follows = "nixpkgs";`},
		{Follows{Input: []string{"nixpkgs.lib", "x"}, Target: []string{"a", "b"}}, `inputs."nixpkgs.lib".inputs.x.follows = "a/b";`},
		{Follows{Input: []string{"A", "B", "nixpkgs"}, Target: []string{}}, `inputs.A.inputs.B.inputs.nixpkgs.follows = "";`},
		{Follows{Input: []string{"2nd", "nixpkgs"}, Target: []string{"nixpkgs"}}, `inputs."2nd".inputs.nixpkgs.follows = "nixpkgs";`},
	} {
		if got := FollowsLine(tc.f); got != tc.want {
			t.Errorf("FollowsLine(%s) = %s, want %s", tc.f, got, tc.want)
		}
	}
}

func TestCacheOf(t *testing.T) {
	subs := substituterHosts([]string{"https://cache.nixos.org https://Foo.cachix.org/", "https://cache.iog.io", "not a url"})
	for _, tc := range []struct {
		name, id, host string
	}{
		{"hyprland", "github:hyprwm/hyprland", "hyprland.cachix.org"},
		{"whatever", "github:hyprwm/hyprland", "hyprland.cachix.org"},
		{"haskellNix", "github:input-output-hk/haskell.nix", "cache.iog.io"},
		{"cardano-node", "github:input-output-hk/cardano-node", "cache.iog.io"},
		{"foo", "github:someone/bar", "foo.cachix.org"},
		{"bar", "github:someone/foo", "foo.cachix.org"},
		{"bar", "github:someone/foo.nix", "foo.cachix.org"},
		{"home-manager", "github:nix-community/home-manager", ""},
		{"nyx", "github:chaotic-cx/nyx", "chaotic-nyx.cachix.org"},
	} {
		if host, _ := cacheOf(tc.name, Source{ID: tc.id}, subs); host != tc.host {
			t.Errorf("cacheOf(%s, %s) = %q, want %q", tc.name, tc.id, host, tc.host)
		}
	}
	if host, _ := cacheOf("cardano-node", Source{ID: "github:input-output-hk/cardano-node"}, nil); host != "" {
		t.Errorf("an IOG input without cache.iog.io among the substituters is held by %q", host)
	}
}

// genLock builds a random lock: a root with nixpkgs and some of five
// dependencies, each dependency with its own nixpkgs copy (on one of two
// branches) and, below it, copies of the dependencies after it in the
// list, so that sources repeat at several depths (shared dependencies, and
// chains of promotions under --promote).
func genLock(r *rand.Rand) []byte {
	nodes := map[string]any{}
	n := 0
	refs := []string{"nixos-unstable", "nixos-unstable", "nixos-24.05"}
	node := func(owner, repo, ref string, inputs map[string]any) string {
		n++
		key := fmt.Sprintf("n%d", n)
		orig := map[string]any{"type": "github", "owner": owner, "repo": repo}
		if ref != "" {
			orig["ref"] = ref
		}
		locked := map[string]any{"type": "github", "owner": owner, "repo": repo, "rev": fmt.Sprintf("%040x", r.Int63()),
			"narHash": fmt.Sprintf("sha256-%043d=", n), "lastModified": 1700000000 + r.Intn(1000)}
		v := map[string]any{"locked": locked, "original": orig}
		if len(inputs) > 0 {
			v["inputs"] = inputs
		}
		nodes[key] = v
		return key
	}
	deps := []string{"a", "b", "c", "d", "e"}
	var dep func(i, depth int) string
	dep = func(i, depth int) string {
		inputs := map[string]any{}
		if r.Intn(5) > 0 {
			inputs["nixpkgs"] = node("NixOS", "nixpkgs", refs[r.Intn(len(refs))], nil)
		}
		for j := i + 1; j < len(deps) && depth < 3; j++ {
			if r.Intn(2) == 0 {
				inputs[deps[j]] = dep(j, depth+1)
			}
		}
		return node("someone", deps[i], "", inputs)
	}
	root := map[string]any{"nixpkgs": node("NixOS", "nixpkgs", "nixos-unstable", nil)}
	for i := range deps {
		if i == 0 || r.Intn(2) == 0 {
			root[deps[i]] = dep(i, 1)
		}
	}
	nodes["root"] = map[string]any{"inputs": root}
	data, err := json.Marshal(map[string]any{"nodes": nodes, "root": "root", "version": 7})
	if err != nil {
		panic(err)
	}
	return data
}

// TestPlanSettlesOnGeneratedLocks is the soundness property of issue 12:
// on generated shapes (chains of promotions, promoted inputs sharing
// dependencies), planning again on the prediction, or with the plan
// declared in flake.nix before re-locking (its promoted inputs declared,
// not locked), proposes nothing, and the prediction is what the plan's
// edits give.
func TestPlanSettlesOnGeneratedLocks(t *testing.T) {
	v2_8 := nixversion.Version{Major: 2, Minor: 8}
	policies := []Policy{
		{Promote: true},
		{Promote: true, All: true},
		{Promote: true, All: true, Nix: v2_8},
		{Promote: true, CrossBranch: true, All: true},
		{AddInputs: true},
		{AddInputs: true, Promote: true, All: true},
	}
	promoted := 0
	for seed := int64(0); seed < 150; seed++ {
		g := loadLock(t, genLock(rand.New(rand.NewSource(seed))))
		for _, p := range policies {
			res, err := Plan(g, nil, p)
			if err != nil {
				t.Fatalf("seed %d, policy %+v: %v", seed, p, err)
			}
			promoted += len(res.Promotions)
			checkSettled(t, g, nil, p, res)
			if t.Failed() {
				t.Fatalf("seed %d, policy %+v:\n%s", seed, p, renderResult(res))
			}
		}
	}
	if promoted == 0 {
		t.Fatal("no generated lock needed a promotion: the generator does not reach the shapes it is for")
	}
	t.Logf("%d promotions planned over the generated locks", promoted)
}

// TestPlanDeclaredNotLocked: root inputs flake.nix declares and the lock
// lacks count as planned when a declared follows says where they come
// from (a second `fix --promote` before re-locking); the follows under one
// it cannot account for are left alone, as Nix has not locked it.
func TestPlanDeclaredNotLocked(t *testing.T) {
	data, err := os.ReadFile("../fixtures/plan/promote/flake.lock")
	if err != nil {
		t.Fatal(err)
	}
	g := loadLock(t, data)
	roots := g.Nodes[g.Root].Inputs.Names()
	first, err := Plan(g, nil, Policy{Promote: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Promotions) == 0 {
		t.Fatalf("the promote fixture plans no promotion:\n%s", renderResult(first))
	}
	declared := append([]Follows(nil), first.Follows...)
	declared = append(declared, Follows{Input: []string{"unlocked", "nixpkgs"}, Target: []string{"nixpkgs"}})
	withRoots := append(append([]string(nil), roots...), "unlocked")
	for _, pr := range first.Promotions {
		withRoots = append(withRoots, pr.Name)
	}
	second, err := Plan(g, declared, Policy{Promote: true, RootInputs: withRoots})
	if err != nil {
		t.Fatalf("second run: %v", err)
	}
	if len(second.Follows) != 0 || len(second.Promotions) != 0 {
		t.Errorf("second run proposes:\n%s", renderResult(second))
	}
	if a, b := string(Marshal(second.Predicted)), string(Marshal(first.Predicted)); a != b {
		t.Errorf("second run predicts:\n%s\nfirst run:\n%s", a, b)
	}
	// Without RootInputs, a follows to an input the lock lacks is an error.
	if _, err := Plan(g, declared, Policy{Promote: true}); err == nil {
		t.Error("no error for declared follows to root inputs the lock lacks, RootInputs unknown")
	}
}
