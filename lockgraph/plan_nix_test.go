package lockgraph

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// planWorld builds, under $W, a git nixpkgs repo (main, and nixos-24.05 at
// the first commit), dependency flakes B (nixpkgs), C (nixpkgs, B) and S
// (nixpkgs on nixos-24.05), each with its own committed flake.lock, and
// locks the root flake $W/A, whose inputs are nixpkgs, B, C and S. The
// root's flake.nix.in is its flake.nix with a FOLLOWS line where the test
// puts the planned follows. A second root flake, $W/P, has only nixpkgs
// and C: its C/B/nixpkgs needs B promoted to a root input.
const planWorld = `set -euo pipefail
git config --global user.name t; git config --global user.email t@example.invalid
git config --global init.defaultBranch main
mkdir -p "$W/nixpkgs"; cd "$W/nixpkgs"; git init -q
echo '{ outputs = _: { }; }' > flake.nix
for i in 1 2; do echo $i > version; git add -A; git commit -qm v$i; done
git branch nixos-24.05 HEAD~1
dep() {
  mkdir -p "$W/$1"; cd "$W/$1"; printf '%s\n' "$2" > flake.nix
  git init -q; git add -A; git commit -qm init
  nix flake lock; git add flake.lock; git commit -qm lock
}
NP="git+file://$W/nixpkgs"
dep B "{ inputs.nixpkgs.url = \"$NP\"; outputs = _: { }; }"
dep C "{ inputs.nixpkgs.url = \"$NP\"; inputs.B.url = \"git+file://$W/B\"; outputs = _: { }; }"
dep S "{ inputs.nixpkgs.url = \"$NP?ref=nixos-24.05\"; outputs = _: { }; }"
mkdir -p "$W/A"; cd "$W/A"
printf '%s\n' '{' \
  "  inputs.nixpkgs.url = \"$NP\";" \
  "  inputs.B.url = \"git+file://$W/B\";" \
  "  inputs.C.url = \"git+file://$W/C\";" \
  "  inputs.S.url = \"git+file://$W/S\";" \
  'FOLLOWS' \
  '  outputs = _: { };' \
  '}' > flake.nix.in
grep -v '^FOLLOWS$' flake.nix.in > flake.nix
nix flake lock
mkdir -p "$W/P"; cd "$W/P"
grep -v 'inputs\.[BS]\.url' ../A/flake.nix.in > flake.nix.in
grep -v '^FOLLOWS$' flake.nix.in > flake.nix
nix flake lock
`

// TestPlanAgainstNix plans the follows (and a promotion) for locks Nix 2.8
// wrote, puts them into flake.nix, lets Nix lock again and checks that Nix
// writes the predicted lock byte for byte and that planning its lock again
// proposes nothing.
func TestPlanAgainstNix(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real Nix for a few seconds; skipped with -short")
	}
	for _, tool := range []string{"nix", "git", "bash"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("FLAKEDUP_NIX") != "" {
				t.Fatalf("FLAKEDUP_NIX is set but %s is missing", tool)
			}
			t.Skipf("%s not installed; set FLAKEDUP_NIX to make this a failure", tool)
		}
	}
	tmp := t.TempDir()
	w := filepath.Join(tmp, "w")
	registry := filepath.Join(tmp, "registry.json")
	if err := os.WriteFile(registry, []byte(`{"flakes":[],"version":2}`), 0o644); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(),
		"W="+w,
		"HOME="+filepath.Join(tmp, "home"),
		"XDG_CACHE_HOME="+filepath.Join(tmp, "cache"),
		"XDG_CONFIG_HOME="+filepath.Join(tmp, "config"),
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL="+filepath.Join(tmp, "gitconfig"),
		"GIT_AUTHOR_DATE=2022-01-01T00:00:00Z",
		"GIT_COMMITTER_DATE=2022-01-01T00:00:00Z",
		"NIX_CONFIG=experimental-features = nix-command flakes\n"+
			"flake-registry = "+registry+"\n"+
			"store = "+filepath.Join(tmp, "store")+"\n"+
			"sandbox = false\nbuild-users-group =\nsubstituters =\nwarn-dirty = false")
	run := func(dir, script string) {
		t.Helper()
		cmd := exec.Command("bash", "-c", script)
		cmd.Dir, cmd.Env = dir, env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%v\n%s", err, tail(out, 3000))
		}
	}
	read := func(path string) []byte {
		t.Helper()
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}

	run(tmp, planWorld)

	// relock plans the root flake in dir with policy, writes the promotions
	// and follows into its flake.nix, lets Nix lock it and checks that Nix
	// wrote the predicted lock and that a second plan proposes nothing.
	relock := func(dir string, policy Policy, want string) {
		t.Helper()
		res, err := Plan(loadLock(t, read(filepath.Join(dir, "flake.lock"))), nil, policy)
		if err != nil {
			t.Fatal(err)
		}
		if got := renderResult(res); got != want {
			t.Fatalf("Plan:\n%s\nwant:\n%s", got, want)
		}
		var lines []string
		for _, p := range res.Promotions {
			lines = append(lines, fmt.Sprintf("  inputs.%s.url = %q;", p.Name, gitURL(t, res.Predicted, p.Name)))
		}
		for _, f := range res.Follows {
			lines = append(lines, fmt.Sprintf("  inputs.%s.follows = %q;", strings.Join(f.Input, ".inputs."), JoinPath(f.Target)))
		}
		nix := strings.Replace(string(read(filepath.Join(dir, "flake.nix.in"))), "FOLLOWS", strings.Join(lines, "\n"), 1)
		if err := os.WriteFile(filepath.Join(dir, "flake.nix"), []byte(nix), 0o644); err != nil {
			t.Fatal(err)
		}
		run(dir, "nix flake lock")
		after := read(filepath.Join(dir, "flake.lock"))
		if predicted := Marshal(res.Predicted); !bytes.Equal(predicted, after) {
			t.Errorf("predicted lock:\n%s\nNix wrote:\n%s", predicted, after)
		}
		again, err := Plan(loadLock(t, after), nil, policy)
		if err != nil {
			t.Fatal(err)
		}
		if len(again.Follows) != 0 || len(again.Promotions) != 0 {
			t.Errorf("Plan on the lock Nix wrote proposes:\n%s", renderResult(again))
		}
	}
	relock(filepath.Join(w, "A"), Policy{},
		"follows B/nixpkgs -> nixpkgs\nfollows C/B -> B\nfollows C/nixpkgs -> nixpkgs\n"+
			"held-back S/nixpkgs is on nixos-24.05\n"+
			"copies git+file://"+w+"/B 2 -> 1\n"+
			"copies git+file://"+w+"/nixpkgs 5 -> 2\n")
	relock(filepath.Join(w, "P"), Policy{Promote: true},
		"promote B = C/B\n"+
			"follows C/B -> B\nfollows C/nixpkgs -> nixpkgs\nfollows B/nixpkgs -> nixpkgs\n"+
			"copies git+file://"+w+"/nixpkgs 3 -> 1\n")
}

// gitURL renders the original reference of the root input name, a git
// input, as a flake URL.
func gitURL(t *testing.T, g *Graph, name string) string {
	t.Helper()
	orig := g.Nodes[g.Nodes[g.Root].Inputs[name].Target].Original
	if orig.String("type") != "git" {
		t.Fatalf("root input %s is not a git input: %v", name, orig)
	}
	return fmt.Sprintf("git+%s?ref=%s&rev=%s", orig.String("url"), orig.String("ref"), orig.String("rev"))
}
