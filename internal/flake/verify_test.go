package flake

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/flakedup/flakedup/internal/nixworld"
	"github.com/flakedup/flakedup/internal/verify"
	"github.com/flakedup/flakedup/lockgraph"
)

func followsStrings(fs []lockgraph.Follows) []string {
	out := []string{}
	for _, f := range fs {
		out = append(out, f.String())
	}
	return out
}

func heldReasons(hs []lockgraph.HeldBack) []string {
	out := []string{}
	for _, h := range hs {
		out = append(out, h.Reason)
	}
	return out
}

// TestVerifyDemo runs Outcome.Verify on the demo world (real Nix): the
// outcome keeps the follows that evaluate, holds back the culprit with its
// error, and --align moves nixpkgs to the common revision with a lock Nix
// accepts as it is.
func TestVerifyDemo(t *testing.T) {
	d := nixworld.BuildDemo(t)
	ctx := context.Background()
	missing := "hyprland/nixpkgs breaks packages.x86_64-linux.hyprland: error: attribute 'wlroots_0_18' missing"
	plan := func(t *testing.T, dir string, o Options) *Outcome {
		t.Helper()
		fl, err := Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		out, err := fl.Plan(o)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	verifyIt := func(t *testing.T, out *Outcome, vo VerifyOptions) *Verification {
		t.Helper()
		vo.Env, vo.TempDir, vo.Jobs = d.W.BuildEnv(), t.TempDir(), 2
		nixBefore, lockBefore := string(out.Flake.NixSrc), out.Flake.LockSrc
		v, err := out.Verify(ctx, vo)
		if err != nil {
			t.Fatal(err)
		}
		for name, want := range map[string]string{"flake.nix": nixBefore, "flake.lock": lockBefore} {
			if got, _ := os.ReadFile(filepath.Join(out.Flake.Dir, name)); string(got) != want {
				t.Errorf("Verify changed %s", name)
			}
		}
		return v
	}
	// relock writes the outcome's files into a fresh root of the world and
	// checks that Nix takes the predicted lock as it is.
	relock := func(t *testing.T, name string, out *Outcome) {
		t.Helper()
		dir := d.W.Root(name, string(out.NewNix))
		if err := os.WriteFile(filepath.Join(dir, "flake.lock"), out.PredictedLock(), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := d.W.Lock(dir, "--no-update-lock-file"); err != nil {
			t.Errorf("nix rejects the predicted lock: %v", err)
		}
	}

	t.Run("eval", func(t *testing.T) {
		out := plan(t, d.Main, Options{})
		if got := followsStrings(out.Result.Follows); !reflect.DeepEqual(got, []string{"hyprland/nixpkgs -> nixpkgs", "waybar/nixpkgs -> nixpkgs"}) {
			t.Fatalf("plan = %q", got)
		}
		v := verifyIt(t, out, VerifyOptions{})
		if v.Result.Evaluations != 6 || v.Aligned != nil {
			t.Errorf("evaluations %d, aligned %v; want 6, nil", v.Result.Evaluations, v.Aligned)
		}
		o := v.Outcome
		if got := followsStrings(o.Result.Follows); !reflect.DeepEqual(got, []string{"waybar/nixpkgs -> nixpkgs"}) {
			t.Errorf("follows = %q", got)
		}
		if got := heldReasons(o.Result.HeldBack); !reflect.DeepEqual(got, []string{missing}) {
			t.Errorf("held back = %q, want %q", got, missing)
		}
		want := strings.Replace(string(out.Flake.NixSrc), "  outputs =",
			"  inputs.waybar.inputs.nixpkgs.follows = \"nixpkgs\";\n  outputs =", 1)
		if string(o.NewNix) != want {
			t.Errorf("flake.nix =\n%s\nwant\n%s", o.NewNix, want)
		}
		if c := o.Counts(); c != (Counts{Copies: 3, CouldFollow: 1, HeldBack: 1, After: 2}) {
			t.Errorf("counts = %+v", c)
		}
		if v.Result.CommonRevision == nil || v.Result.CommonRevision.Rev != d.Rev2 {
			t.Errorf("common revision = %+v, want %s", v.Result.CommonRevision, d.Rev2)
		}
		relock(t, "eval-result", o)
	})

	t.Run("align", func(t *testing.T) {
		v := verifyIt(t, plan(t, d.Main, Options{}), VerifyOptions{Align: true})
		url := d.Nixpkgs.URLRev("nixos-unstable", d.Rev2)
		if v.Aligned == nil || v.Aligned.Name != "nixpkgs" || v.Aligned.URL != url {
			t.Fatalf("aligned = %+v, want nixpkgs at %s", v.Aligned, url)
		}
		o := v.Outcome
		if got := followsStrings(o.Result.Follows); !reflect.DeepEqual(got, []string{"hyprland/nixpkgs -> nixpkgs", "waybar/nixpkgs -> nixpkgs"}) {
			t.Errorf("follows = %q", got)
		}
		if len(o.Result.HeldBack) != 0 {
			t.Errorf("held back = %q, want none", heldReasons(o.Result.HeldBack))
		}
		src := string(o.Flake.NixSrc)
		want := strings.Replace(src, d.Nixpkgs.URL("nixos-unstable")+`";`, url+`";`, 1)
		for _, dep := range []string{"hyprland", "waybar"} {
			line := "  inputs." + dep + ".url = \"git+file://" + d.W.Path(dep) + "\";\n"
			want = strings.Replace(want, line, line+"  inputs."+dep+".inputs.nixpkgs.follows = \"nixpkgs\";\n", 1)
		}
		if string(o.NewNix) != want {
			t.Errorf("flake.nix =\n%s\nwant\n%s", o.NewNix, want)
		}
		if c := o.Counts(); c.After != 1 {
			t.Errorf("counts = %+v, want 1 copy after", c)
		}
		relock(t, "align-result", o)
	})

	t.Run("add-inputs", func(t *testing.T) {
		// hyprland/nixpkgs breaks on nixpkgs: it is retried onto a new root
		// input pinned to its own revision.
		v := verifyIt(t, plan(t, d.Main, Options{Policy: lockgraph.Policy{AddInputs: true}}), VerifyOptions{})
		o := v.Outcome
		want := []string{"hyprland/nixpkgs -> nixpkgs-hyprland", "waybar/nixpkgs -> nixpkgs"}
		if got := followsStrings(o.Result.Follows); !reflect.DeepEqual(got, want) {
			t.Errorf("follows = %q, want %q", got, want)
		}
		if len(o.Result.Promotions) != 1 || o.Result.Promotions[0].String() != "nixpkgs-hyprland = hyprland/nixpkgs" {
			t.Errorf("promotions = %v", o.Result.Promotions)
		}
		// baseline, whole plan, {hyprland}, {waybar}, hyprland retried.
		if v.Result.Evaluations != 5 || len(v.Result.Culprits) != 0 {
			t.Errorf("evaluations %d, culprits %d; want 5, 0", v.Result.Evaluations, len(v.Result.Culprits))
		}
		relock(t, "add-inputs-result", o)
	})

	t.Run("baseline-fails", func(t *testing.T) {
		out := plan(t, d.Broken, Options{})
		v := verifyIt(t, out, VerifyOptions{Mode: verify.Eval})
		if v.Result.Baseline.OK || v.Outcome != out || v.Result.Evaluations != 1 {
			t.Errorf("baseline %+v, %d evaluations; want the failure, the outcome unchanged", v.Result.Baseline, v.Result.Evaluations)
		}
	})
}
