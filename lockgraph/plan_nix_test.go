package lockgraph

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flakedup/flakedup/internal/nixversion"
	"github.com/flakedup/flakedup/internal/testenv"
)

// planWorld builds, under $W, a git nixpkgs repo (main, and nixos-24.05 at
// the first commit), dependency flakes B (nixpkgs), C (nixpkgs, B) and S
// (nixpkgs on nixos-24.05), each with its own committed flake.lock, and
// locks the root flake $W/A, whose inputs are nixpkgs, B, C and S. The
// root's flake.nix.in is its flake.nix with a FOLLOWS line where the test
// puts the planned follows. A second root flake, $W/P, has only nixpkgs
// and C: its C/B/nixpkgs needs B promoted to a root input. A third, $W/R,
// has nixpkgs, B and D, where D has B and E and D's own flake.nix says
// inputs.E.inputs.nixpkgs.follows = "B/nixpkgs": R's lock has a follows
// through D/B, so collapsing D/B needs Nix 2.18. A fourth, $W/Q, has
// nixpkgs, H and K, where K's own flake.nix says
// nixpkgs.follows = "H/nixpkgs-unstable" (the haskell.nix pattern): before
// 2.18, K/nixpkgs must be pointed elsewhere before K/H can be collapsed.
// A fifth, $W/V, has nixpkgs and G, where G has nixpkgs and F, and F's own
// flake.nix says X.inputs.nixpkgs.follows = "nixpkgs": promoting G/F
// carries that follows over as F/X/nixpkgs -> F/nixpkgs.
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
dep E "{ inputs.nixpkgs.url = \"$NP\"; outputs = _: { }; }"
dep H "{ inputs.nixpkgs-unstable.url = \"$NP\"; outputs = _: { }; }"
dep K "{ inputs.H.url = \"git+file://$W/H\"; inputs.nixpkgs.follows = \"H/nixpkgs-unstable\"; outputs = _: { }; }"
dep X "{ inputs.nixpkgs.url = \"$NP\"; outputs = _: { }; }"
dep F "{ inputs.nixpkgs.url = \"$NP\"; inputs.X.url = \"git+file://$W/X\"; inputs.X.inputs.nixpkgs.follows = \"nixpkgs\"; outputs = _: { }; }"
dep G "{ inputs.nixpkgs.url = \"$NP\"; inputs.F.url = \"git+file://$W/F\"; outputs = _: { }; }"
dep D "{ inputs.B.url = \"git+file://$W/B\"; inputs.E.url = \"git+file://$W/E\"; inputs.E.inputs.nixpkgs.follows = \"B/nixpkgs\"; outputs = _: { }; }"
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
mkdir -p "$W/R"; cd "$W/R"
sed -e 's|inputs\.C\.url = "git+file://'"$W"'/C"|inputs.D.url = "git+file://'"$W"'/D"|' -e '/inputs\.S\.url/d' ../A/flake.nix.in > flake.nix.in
grep -v '^FOLLOWS$' flake.nix.in > flake.nix
nix flake lock
mkdir -p "$W/V"; cd "$W/V"
sed -e 's|/C"|/G"|; s|inputs\.C\.|inputs.G.|' -e '/inputs\.[BS]\.url/d' ../A/flake.nix.in > flake.nix.in
grep -v '^FOLLOWS$' flake.nix.in > flake.nix
nix flake lock
mkdir -p "$W/Q"; cd "$W/Q"
sed -e 's|/B"|/H"|; s|inputs\.B\.|inputs.H.|; s|/C"|/K"|; s|inputs\.C\.|inputs.K.|' -e '/inputs\.S\.url/d' ../A/flake.nix.in > flake.nix.in
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
	testenv.RequireTools(t, "nix", "git", "bash")
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
	try := func(dir, script string) ([]byte, error) {
		cmd := exec.Command("bash", "-c", script)
		cmd.Dir, cmd.Env = dir, env
		return cmd.CombinedOutput()
	}
	run := func(dir, script string) {
		t.Helper()
		if out, err := try(dir, script); err != nil {
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

	// plan plans the root flake in dir with policy, checks the result
	// against want and writes the promotions and follows into its
	// flake.nix.
	plan := func(dir string, policy Policy, want string) *Result {
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
		return res
	}
	// relock plans as plan does, lets Nix lock the flake and checks that
	// Nix wrote the predicted lock and that a second plan proposes nothing.
	relock := func(dir string, policy Policy, want string) {
		t.Helper()
		res := plan(dir, policy, want)
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
	// The same flake with --cross-branch: S's nixos-24.05 copy follows the
	// root's nixpkgs too, and Nix locks it as predicted.
	run(w, "cp -r A A-cross")
	relock(filepath.Join(w, "A-cross"), Policy{CrossBranch: true},
		"follows B/nixpkgs -> nixpkgs\nfollows C/B -> B\nfollows C/nixpkgs -> nixpkgs\nfollows S/nixpkgs -> nixpkgs\n"+
			"cross-branch S/nixpkgs: nixos-24.05 → nixpkgs (the default branch)\n"+
			"copies git+file://"+w+"/B 2 -> 1\n"+
			"copies git+file://"+w+"/nixpkgs 5 -> 1\n")
	relock(filepath.Join(w, "A"), Policy{},
		"follows B/nixpkgs -> nixpkgs\nfollows C/B -> B\nfollows C/nixpkgs -> nixpkgs\n"+
			"held-back S/nixpkgs is on nixos-24.05, which no root input tracks: --cross-branch makes it follow nixpkgs (the default branch)\n"+
			"  line inputs.S.inputs.nixpkgs.follows = \"nixpkgs\";\n"+
			"copies git+file://"+w+"/B 2 -> 1\n"+
			"copies git+file://"+w+"/nixpkgs 5 -> 2\n")
	relock(filepath.Join(w, "P"), Policy{Promote: true},
		"promote B = C/B\n"+
			"follows C/B -> B\nfollows C/nixpkgs -> nixpkgs\nfollows B/nixpkgs -> nixpkgs\n"+
			"copies git+file://"+w+"/nixpkgs 3 -> 1\n")

	// R: at 2.18 the plan collapses D/B, which the installed Nix refuses
	// when it is older than 2.18; planned for the installed Nix, it holds
	// D/B/nixpkgs back and Nix locks the edits as predicted.
	r := filepath.Join(w, "R")
	plan(r, Policy{Nix: nixversion.FollowsThroughFollows},
		"follows B/nixpkgs -> nixpkgs\nfollows D/B -> B\n"+
			"copies git+file://"+w+"/B 2 -> 1\n"+
			"copies git+file://"+w+"/nixpkgs 3 -> 1\n")
	installed := installedNix(t)
	out, err := try(r, "nix flake lock")
	if installed.AtLeast(nixversion.FollowsThroughFollows) {
		if err != nil {
			t.Errorf("Nix %s refuses the 2.18 plan: %v\n%s", installed, err, tail(out, 3000))
		}
		t.Logf("Nix %s on PATH: the 2.8 plan is checked against it as if it were 2.8", installed)
	} else if wantErr := "input 'D/E/nixpkgs' follows a non-existent input 'D/B/nixpkgs'"; err == nil || !bytes.Contains(out, []byte(wantErr)) {
		t.Errorf("Nix %s on the 2.18 plan: err = %v, want %q in:\n%s", installed, err, wantErr, tail(out, 3000))
	} else {
		t.Logf("Nix %s refuses the 2.18 plan, as expected:\n%s", installed, tail(out, 300))
	}
	relock(r, Policy{Nix: nixversion.Version{Major: 2, Minor: 8}},
		"follows B/nixpkgs -> nixpkgs\n"+
			"held-back (nix 2.18) D/B/nixpkgs stays: D/B -> B would break the lock for Nix 2.8: "+
			"input 'D/E/nixpkgs' follows 'D/B/nixpkgs' through the follows 'D/B', which needs Nix ≥ 2.18\n"+
			"copies git+file://"+w+"/B 2 -> 2\n"+
			"copies git+file://"+w+"/nixpkgs 3 -> 2\n")

	// Q: at 2.8 the plan first overrides K's own follows through K/H, then
	// collapses K/H: the same copies go as at 2.18.
	q := filepath.Join(w, "Q")
	plan(q, Policy{Nix: nixversion.FollowsThroughFollows},
		"follows H/nixpkgs-unstable -> nixpkgs\nfollows K/H -> H\n"+
			"copies git+file://"+w+"/H 2 -> 1\n"+
			"copies git+file://"+w+"/nixpkgs 3 -> 1\n")
	out, err = try(q, "nix flake lock")
	if wantErr := "input 'K/nixpkgs' follows a non-existent input 'K/H/nixpkgs-unstable'"; !installed.AtLeast(nixversion.FollowsThroughFollows) &&
		(err == nil || !bytes.Contains(out, []byte(wantErr))) {
		t.Errorf("Nix %s on the 2.18 plan: err = %v, want %q in:\n%s", installed, err, wantErr, tail(out, 3000))
	}
	relock(q, Policy{Nix: nixversion.Version{Major: 2, Minor: 8}},
		"follows H/nixpkgs-unstable -> nixpkgs\nfollows K/nixpkgs -> nixpkgs\nfollows K/H -> H\n"+
			"copies git+file://"+w+"/H 2 -> 1\n"+
			"copies git+file://"+w+"/nixpkgs 3 -> 1\n")

	// V: the promoted F keeps its own follows, relative to its new place,
	// so nothing runs through the collapsed G/F and Nix 2.8 accepts it.
	relock(filepath.Join(w, "V"), Policy{Promote: true, Nix: nixversion.Version{Major: 2, Minor: 8}},
		"promote F = G/F\n"+
			"follows G/F -> F\nfollows G/nixpkgs -> nixpkgs\nfollows F/nixpkgs -> nixpkgs\n"+
			"copies git+file://"+w+"/nixpkgs 3 -> 1\n")
}

// installedNix is the version of the nix on PATH.
func installedNix(t *testing.T) nixversion.Version {
	t.Helper()
	out, err := exec.Command("nix", "--version").Output()
	if err != nil {
		t.Fatalf("nix --version: %v", err)
	}
	v, err := nixversion.FromNixVersionOutput(string(out))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// gitURL renders the original reference of the root input name, a git
// input, as a flake URL.
func gitURL(t *testing.T, g *Graph, name string) string {
	t.Helper()
	in, _ := g.Nodes[g.Root].Inputs.Get(name)
	orig := g.Nodes[in.Target].Original
	if orig.String("type") != "git" {
		t.Fatalf("root input %s is not a git input: %v", name, orig)
	}
	return fmt.Sprintf("git+%s?ref=%s&rev=%s", orig.String("url"), orig.String("ref"), orig.String("rev"))
}
