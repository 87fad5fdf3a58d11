package verify

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"testing"

	"github.com/flakedup/flakedup/internal/nixworld"
	"github.com/flakedup/flakedup/lockgraph"
	"github.com/flakedup/flakedup/rewrite"
)

// demo is the world the Nix tests share (nixworld.BuildDemo).
type demo struct {
	w                *nixworld.World
	np               *nixworld.Repo
	rev1, rev2, rev3 string
	main             string // root: nixpkgs (rev 1), hyprland (nixpkgs rev 3), waybar (nixpkgs rev 2)
	retarget         string // main plus nixpkgs-unstable (rev 3)
	broken           string // root whose own output needs wlroots_0_18 on rev 1
}

func buildDemo(t testing.TB) *demo {
	t.Helper()
	d := nixworld.BuildDemo(t)
	return &demo{w: d.W, np: d.Nixpkgs, rev1: d.Rev1, rev2: d.Rev2, rev3: d.Rev3,
		main: d.Main, retarget: d.Retarget, broken: d.Broken}
}

// candidate builds candidates the way internal/flake will: rewrite.Apply
// for flake.nix and lockgraph.Predict for the lock.
func candidate(t testing.TB, dir string) (Candidate, *lockgraph.Graph) {
	t.Helper()
	return candidateWith(t, dir, nil)
}

// candidateWith is candidate with new root inputs on offer: when a follows
// targets one of promote's names, that root input is added first, pinned
// to the revision of the node at the path it maps to (rewrite.AddInput
// and lockgraph.Promote).
func candidateWith(t testing.TB, dir string, promote map[string][]string) (Candidate, *lockgraph.Graph) {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(dir, "flake.nix"))
	if err != nil {
		t.Fatal(err)
	}
	lock, err := os.ReadFile(filepath.Join(dir, "flake.lock"))
	if err != nil {
		t.Fatal(err)
	}
	g, err := lockgraph.Load(lock)
	if err != nil {
		t.Fatal(err)
	}
	return func(_ context.Context, follows []lockgraph.Follows) ([]byte, []byte, error) {
		var edits []rewrite.Edit
		base := g
		added := map[string]bool{}
		for _, f := range follows {
			path, ok := promote[lockgraph.JoinPath(f.Target)]
			if !ok || added[f.Target[0]] {
				continue
			}
			added[f.Target[0]] = true
			key, err := g.Resolve(path)
			if err != nil {
				return nil, nil, err
			}
			edits = append(edits, rewrite.AddInput{Name: f.Target[0], URL: lockgraph.FlakeRefURL(g.Nodes[key].Locked)})
			if base, err = lockgraph.Promote(base, f.Target[0], path); err != nil {
				return nil, nil, err
			}
		}
		for _, f := range follows {
			edits = append(edits, rewrite.AddFollows{Path: f.Input, Target: lockgraph.JoinPath(f.Target)})
		}
		out, _, err := rewrite.Apply(src, "flake.nix", edits...)
		if err != nil {
			return nil, nil, err
		}
		pred, err := lockgraph.Predict(base, follows)
		if err != nil {
			return nil, nil, err
		}
		return out, lockgraph.Marshal(pred), nil
	}, g
}

// fileSnapshot reads every file of dir, to check Verify leaves them alone.
func fileSnapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, name := range []string{"flake.nix", "flake.lock"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		out[name] = string(b)
	}
	return out
}

func culpritReasons(cs []Culprit) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, c.Reason())
	}
	return out
}

func TestNixWorld(t *testing.T) {
	d := buildDemo(t)
	ctx := context.Background()
	planMain := plan("hyprland/nixpkgs -> nixpkgs", "waybar/nixpkgs -> nixpkgs")
	missing := "hyprland/nixpkgs breaks packages.x86_64-linux.hyprland: error: attribute 'wlroots_0_18' missing"
	run := func(t *testing.T, dir string, o Options) *Result {
		t.Helper()
		before := fileSnapshot(t, dir)
		cand, g := candidate(t, dir)
		o.Dir, o.Candidate, o.Lock, o.Env, o.TempDir = dir, cand, g, d.w.BuildEnv(), t.TempDir()
		if o.Jobs == 0 {
			o.Jobs = 2
		}
		res, err := Verify(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		if js, err := res.MarshalJSON(); err != nil {
			t.Error(err)
		} else {
			t.Logf("verify: %s", js)
		}
		if after := fileSnapshot(t, dir); !reflect.DeepEqual(before, after) {
			t.Errorf("Verify changed the flake's files")
		}
		return res
	}
	wantRev := func(t *testing.T, got *Revision, rev string, path string) {
		t.Helper()
		if got == nil {
			t.Fatalf("common revision = nil, want %s", rev)
		}
		wantURL := d.np.URLRev("nixos-unstable", rev)
		if got.Rev != rev || lockgraph.JoinPath(got.Path) != path || got.URL != wantURL {
			t.Errorf("common revision = %s from %s (%s), want %s from %s (%s)",
				got.Rev, lockgraph.JoinPath(got.Path), got.URL, rev, path, wantURL)
		}
	}

	t.Run("eval", func(t *testing.T) {
		var whats []string
		res := run(t, d.main, Options{Plan: planMain, Mode: Eval,
			Progress: func(p Progress) { whats = append(whats, fmt.Sprintf("%d/%d %s", p.N, p.M, p.What)) }})
		if !res.Baseline.OK {
			t.Fatalf("baseline failed: %+v", res.Baseline)
		}
		if got := strs(res.Accepted); !reflect.DeepEqual(got, []string{"waybar/nixpkgs -> nixpkgs"}) {
			t.Errorf("accepted = %q", got)
		}
		if got := culpritReasons(res.Culprits); !reflect.DeepEqual(got, []string{missing}) {
			t.Errorf("culprits = %q, want %q", got, missing)
		}
		// baseline, whole plan, {hyprland}, {waybar}; then the common
		// revision: rev 3 (waybar's oldtool is gone) and rev 2 (passes) in
		// one batch of two.
		if res.Evaluations != 6 {
			t.Errorf("evaluations = %d, want 6: %q", res.Evaluations, whats)
		}
		wantRev(t, res.CommonRevision, d.rev2, "waybar/nixpkgs")
		if !reflect.DeepEqual(res.Primary, []string{"nixpkgs"}) {
			t.Errorf("primary = %q", res.Primary)
		}
		if len(whats) < 2 || whats[0] != "1/1 baseline" || whats[1] != "2/2 whole plan (2 follows)" {
			t.Errorf("progress = %q", whats)
		}
	})

	t.Run("attr", func(t *testing.T) {
		// Only waybar is evaluated: the whole plan passes in two evaluations.
		res := run(t, d.main, Options{Plan: planMain, Attrs: []string{"packages.x86_64-linux.waybar"}})
		if res.Evaluations != 2 || len(res.Culprits) != 0 || len(res.Accepted) != 2 {
			t.Errorf("result = %+v, want both accepted in 2 evaluations", res)
		}
		wantRev(t, res.CommonRevision, d.rev1, "nixpkgs")
	})

	t.Run("attr-culprit", func(t *testing.T) {
		res := run(t, d.main, Options{Plan: planMain, Attrs: []string{"packages.x86_64-linux.hyprland"}})
		if got := culpritReasons(res.Culprits); !reflect.DeepEqual(got, []string{missing}) {
			t.Errorf("culprits = %q, want %q", got, missing)
		}
		// baseline, whole plan, {hyprland}, {waybar}; the common revision
		// needs only hyprland: rev 3 (the newest) passes, rev 2 is in its batch.
		if res.Evaluations != 6 {
			t.Errorf("evaluations = %d, want 6", res.Evaluations)
		}
		wantRev(t, res.CommonRevision, d.rev3, "hyprland/nixpkgs")
	})

	t.Run("build", func(t *testing.T) {
		res := run(t, d.main, Options{Plan: planMain, Mode: Build})
		if res.Mode != Build || !res.Baseline.OK {
			t.Fatalf("mode %s, baseline %+v", res.Mode, res.Baseline)
		}
		got := culpritReasons(res.Culprits)
		built := regexp.MustCompile(`^waybar/nixpkgs breaks packages\.x86_64-linux\.waybar: ` +
			`error: builder for '/nix/store/[0-9a-z]{32}-libfoo\.drv' failed with exit code 1;?$`)
		if len(got) != 2 || got[0] != missing || !built.MatchString(got[1]) {
			t.Errorf("culprits = %q, want %q and waybar's libfoo build failure", got, missing)
		}
		if len(res.Accepted) != 0 {
			t.Errorf("accepted = %q, want none", strs(res.Accepted))
		}
		// baseline, whole plan, {hyprland}, {waybar}, rev 3, rev 2.
		if res.Evaluations != 6 {
			t.Errorf("evaluations = %d, want 6", res.Evaluations)
		}
		wantRev(t, res.CommonRevision, d.rev2, "waybar/nixpkgs")
	})

	t.Run("retarget", func(t *testing.T) {
		p := []Planned{
			{Follows: fl("hyprland/nixpkgs", "nixpkgs"), Next: [][]string{{"nixpkgs-unstable"}}},
			{Follows: fl("waybar/nixpkgs", "nixpkgs")},
		}
		res := run(t, d.retarget, Options{Plan: p})
		want := []string{"hyprland/nixpkgs -> nixpkgs-unstable", "waybar/nixpkgs -> nixpkgs"}
		if got := strs(res.Accepted); !reflect.DeepEqual(got, want) {
			t.Errorf("accepted = %q, want %q", got, want)
		}
		// baseline, whole plan, {hyprland}, {waybar}, waybar + hyprland retried.
		if len(res.Culprits) != 0 || res.Evaluations != 5 {
			t.Errorf("culprits %q, evaluations %d, want none and 5", culpritReasons(res.Culprits), res.Evaluations)
		}
	})

	t.Run("retarget-new-input", func(t *testing.T) {
		// hyprland's nixpkgs moves to a new root input pinned to its own
		// revision, which the candidate adds to flake.nix and the lock.
		p := []Planned{
			{Follows: fl("hyprland/nixpkgs", "nixpkgs"), Next: [][]string{{"nixpkgs-hyprland"}}},
			{Follows: fl("waybar/nixpkgs", "nixpkgs")},
		}
		cand, g := candidateWith(t, d.main, map[string][]string{"nixpkgs-hyprland": {"hyprland", "nixpkgs"}})
		res, err := Verify(ctx, Options{Dir: d.main, Candidate: cand, Lock: g, Plan: p, Jobs: 2,
			Env: d.w.BuildEnv(), TempDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"hyprland/nixpkgs -> nixpkgs-hyprland", "waybar/nixpkgs -> nixpkgs"}
		if got := strs(res.Accepted); !reflect.DeepEqual(got, want) {
			t.Errorf("accepted = %q, want %q", got, want)
		}
		if len(res.Culprits) != 0 || res.Evaluations != 5 {
			t.Errorf("culprits %q, evaluations %d, want none and 5", culpritReasons(res.Culprits), res.Evaluations)
		}
	})

	t.Run("drop-unused", func(t *testing.T) {
		_, g := candidate(t, d.main)
		drops := DropCandidates(g, nil)
		if got := strs(drops); !reflect.DeepEqual(got, []string{"hyprland/flake-compat -> ", "waybar/treefmt-nix -> "}) {
			t.Fatalf("drop candidates = %q", got)
		}
		res := run(t, d.main, Options{Plan: plan("waybar/nixpkgs -> nixpkgs"), Drops: drops})
		if got := strs(res.Dropped); !reflect.DeepEqual(got, []string{"hyprland/flake-compat -> "}) {
			t.Errorf("dropped = %q", got)
		}
		wantKept := []string{"waybar/treefmt-nix breaks packages.x86_64-linux.fmt: error: attribute 'lib' missing"}
		if got := culpritReasons(res.KeptInputs); !reflect.DeepEqual(got, wantKept) {
			t.Errorf("kept inputs = %q, want %q", got, wantKept)
		}
		var removed []string
		for _, p := range res.RemovedNodes {
			removed = append(removed, lockgraph.JoinPath(p))
		}
		if !reflect.DeepEqual(removed, []string{"hyprland/flake-compat"}) {
			t.Errorf("removed nodes = %q", removed)
		}
		// baseline, plan, all drops, {hyprland/flake-compat}, {waybar/treefmt-nix}.
		if res.Evaluations != 5 {
			t.Errorf("evaluations = %d, want 5", res.Evaluations)
		}
		wantRev(t, res.CommonRevision, d.rev1, "nixpkgs")
	})

	t.Run("prediction-mismatch", func(t *testing.T) {
		// A lock with the follows but a flake.nix without them: Nix's
		// lock check refuses it, and that is an error, not a culprit.
		cand, g := candidate(t, d.main)
		src, err := os.ReadFile(filepath.Join(d.main, "flake.nix"))
		if err != nil {
			t.Fatal(err)
		}
		stale := func(ctx context.Context, follows []lockgraph.Follows) ([]byte, []byte, error) {
			_, lock, err := cand(ctx, follows)
			return src, lock, err
		}
		_, err = Verify(ctx, Options{Dir: d.main, Candidate: stale, Lock: g, Plan: planMain, Jobs: 2,
			Env: d.w.BuildEnv(), TempDir: t.TempDir()})
		var le *LockError
		if !errors.As(err, &le) {
			t.Fatalf("err = %v, want a *LockError", err)
		}
		msg := regexp.MustCompile(`^error: flake 'path:[^']+' requires lock file changes but they're not allowed due to '--no-update-lock-file'$`)
		if got := strs(le.Follows); !reflect.DeepEqual(got, strs(followsOf(planMain))) || !msg.MatchString(le.Message) {
			t.Errorf("lock error for %q: %q", got, le.Message)
		}
	})

	t.Run("baseline-fails", func(t *testing.T) {
		res := run(t, d.broken, Options{Plan: plan("x/nixpkgs -> nixpkgs")})
		want := Outcome{Attr: "packages.x86_64-linux.default", Error: "error: attribute 'wlroots_0_18' missing"}
		if res.Baseline != want || res.Evaluations != 1 || res.Accepted != nil || res.Culprits != nil {
			t.Errorf("result = %+v, want only the failed baseline %+v", res, want)
		}
	})
}

// BenchmarkVerify measures one `--verify` run on the demo world's main
// root (a culprit and a common-revision search: 6 evaluations).
func BenchmarkVerify(b *testing.B) {
	d := buildDemo(b)
	cand, g := candidate(b, d.main)
	for _, mode := range []Mode{Eval, Build} {
		for _, jobs := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/jobs=%d", mode, jobs), func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					res, err := Verify(context.Background(), Options{Dir: d.main, Candidate: cand, Lock: g,
						Plan: plan("hyprland/nixpkgs -> nixpkgs", "waybar/nixpkgs -> nixpkgs"), Mode: mode, Jobs: jobs,
						Env: d.w.BuildEnv(), TempDir: b.TempDir()})
					if err != nil {
						b.Fatal(err)
					}
					b.ReportMetric(float64(res.Evaluations), "evaluations")
				}
			})
		}
	}
}
