package main

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// promoteShape generates a lock in which copies of nixpkgs sit three and
// four levels deep under intermediates that repeat across the tree (the
// same source and revision under several parents), so that `fix --promote`
// has chains of promotions to make and promoted inputs share dependencies;
// and the flake.nix that declares its root inputs.
func promoteShape(seed int64) (lock, nix string) {
	r := rand.New(rand.NewSource(seed))
	pool := []string{"devshell", "treefmt-nix", "flake-parts", "crane", "fenix"}
	type node struct {
		name   string
		inputs map[string]string
	}
	nodes := map[string]*node{}
	used := map[string]int{}
	key := func(name string) string {
		used[name]++
		if used[name] == 1 {
			return name
		}
		return fmt.Sprintf("%s_%d", name, used[name])
	}
	// A source at one revision has the same inputs wherever it appears (as
	// in any real lock): each pool entry gets its children once, from the
	// entries after it, so that the tree is finite and shared.
	children := map[string][]string{}
	for i, name := range pool {
		for j := i + 1; j < len(pool); j++ {
			if r.Intn(3) == 0 {
				children[name] = append(children[name], pool[j])
			}
		}
	}
	var grow func(name string) string
	grow = func(name string) string {
		k := key(name)
		n := &node{name: name, inputs: map[string]string{}}
		nodes[k] = n
		if name == "nixpkgs" {
			return k
		}
		n.inputs["nixpkgs"] = grow("nixpkgs")
		for _, c := range children[name] {
			n.inputs[c] = grow(c)
		}
		return k
	}
	root := map[string]string{"nixpkgs": grow("nixpkgs")}
	var tops []string
	for i := 0; i < 2+r.Intn(2); i++ {
		name := fmt.Sprintf("top%d", i)
		tops = append(tops, name)
		for _, c := range []string{pool[r.Intn(2)], pool[r.Intn(len(pool))]} {
			if !contains(children[name], c) {
				children[name] = append(children[name], c)
			}
		}
		root[name] = grow(name)
	}
	var b strings.Builder
	b.WriteString("{\n  \"nodes\": {\n")
	keys := make([]string, 0, len(nodes))
	for k := range nodes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		n := nodes[k]
		owner, ref := "someone", ""
		if n.name == "nixpkgs" {
			owner, ref = "NixOS", `, "ref": "nixos-unstable"`
		}
		// One revision per source: every copy of a source is the same.
		rev := fmt.Sprintf("%040x", len(n.name)*7919+int(n.name[0]))
		fmt.Fprintf(&b, "    %q: {\n", k)
		if len(n.inputs) > 0 {
			in, _ := json.Marshal(n.inputs)
			fmt.Fprintf(&b, "      \"inputs\": %s,\n", in)
		}
		fmt.Fprintf(&b, "      \"locked\": {\"lastModified\": 1730000000, \"narHash\": \"sha256-%s=\", \"owner\": %q, \"repo\": %q, \"rev\": %q, \"type\": \"github\"},\n",
			strings.Repeat("A", 43), owner, n.name, rev)
		fmt.Fprintf(&b, "      \"original\": {\"owner\": %q, \"repo\": %q%s, \"type\": \"github\"}\n    },\n", owner, n.name, ref)
	}
	rootJSON, _ := json.Marshal(root)
	fmt.Fprintf(&b, "    \"root\": {\"inputs\": %s}\n  },\n  \"root\": \"root\",\n  \"version\": 7\n}\n", rootJSON)

	var f strings.Builder
	f.WriteString("{\n  inputs = {\n    nixpkgs.url = \"github:NixOS/nixpkgs/nixos-unstable\";\n")
	for _, t := range tops {
		fmt.Fprintf(&f, "    %s.url = \"github:someone/%s\";\n", t, t)
	}
	f.WriteString("  };\n\n  outputs = { self, ... }: { };\n}\n")
	return b.String(), f.String()
}

// TestPromoteTwiceBeforeRelocking runs `fix --promote` on generated shapes
// (chains of promotions, promoted inputs that share dependencies), and then
// again on its output before anyone re-locks: the root inputs the first run
// declared and the lock lacks count as planned, as its follows do, so the
// second run proposes nothing and does not fail.
func TestPromoteTwiceBeforeRelocking(t *testing.T) {
	promoted := 0
	for seed := int64(1); seed <= 40; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			lock, nix := promoteShape(seed)
			dir := t.TempDir()
			for name, data := range map[string]string{"flake.lock": lock, "flake.nix": nix} {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			code, out, stderr := runFlakedup(t, nil, "fix", "--promote", "--format", "json", dir)
			if code != exitOK {
				t.Fatalf("first run: exit %d: %s\n%s", code, stderr, lock)
			}
			var first struct{ Promotions []any }
			if err := json.Unmarshal([]byte(out), &first); err != nil {
				t.Fatal(err)
			}
			promoted += len(first.Promotions)
			code, out, stderr = runFlakedup(t, nil, "fix", "--promote", "--dry-run", "--format", "json", dir)
			if code != exitOK {
				t.Fatalf("second run: exit %d: %s", code, stderr)
			}
			var second struct {
				Follows, Promotions, NewInputs []any
				Diff                           string
			}
			if err := json.Unmarshal([]byte(out), &second); err != nil {
				t.Fatal(err)
			}
			if len(second.Follows)+len(second.Promotions) > 0 || second.Diff != "" {
				t.Errorf("second run proposes more:\n%s", out)
			}
		})
	}
	if promoted == 0 {
		t.Error("no generated shape needed a promotion: the generator does not test what it should")
	}
	t.Logf("%d promotions over 40 shapes", promoted)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
