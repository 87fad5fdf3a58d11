package flake

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/flakedup/flakedup/internal/testenv"
)

// TestStaleLock pairs the demo's flake.lock with edited copies of its
// flake.nix: each edit that `nix flake lock` would answer by changing the
// lock is reported once, at its position; the others are not.
func TestStaleLock(t *testing.T) {
	nix, err := os.ReadFile(fixtures + "/demo/flake.nix")
	if err != nil {
		t.Fatal(err)
	}
	lock, err := os.ReadFile(fixtures + "/demo/flake.lock")
	if err != nil {
		t.Fatal(err)
	}
	const sops = `    sops-nix.url = "github:Mic92/sops-nix";` + "\n"
	tests := []struct {
		name      string
		old, with string // replace old by with in the demo's flake.nix
		want      []string
	}{
		{"as locked", "", "", nil},
		{"follows not locked yet", sops,
			`    sops-nix.url = "github:Mic92/sops-nix";` + "\n" + `    sops-nix.inputs.nixpkgs.follows = "nixpkgs";` + "\n",
			[]string{`flake.nix:15:39: inputs.sops-nix.inputs.nixpkgs.follows = "nixpkgs" is not in flake.lock`}},
		{"locked follows now to another input", `inputs.nixpkgs.follows = "nixpkgs";`, `inputs.nixpkgs.follows = "hyprland/nixpkgs";`,
			[]string{`flake.nix:9:32: inputs.home-manager.inputs.nixpkgs.follows = "hyprland/nixpkgs" is not in flake.lock`}},
		{"follows to the node it already denotes", sops,
			sops + `    hyprland.inputs.systems.follows = "hyprland/systems";` + "\n", nil},
		{"follows of an input the node lacks is ignored by Nix", sops,
			sops + `    sops-nix.inputs.nixpkgs-stable.follows = "nixpkgs";` + "\n", nil},
		{"new root input", sops, sops + `    disko.url = "github:nix-community/disko";` + "\n",
			[]string{`flake.nix:15:5: input "disko" is not in flake.lock`}},
		{"root input removed", sops, "",
			[]string{`flake.lock: root input "sops-nix" is no longer declared in flake.nix`}},
		{"root input removed but an outputs argument", sops, "",
			nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := string(nix)
			if tt.old != "" {
				if !strings.Contains(src, tt.old) {
					t.Fatalf("the demo's flake.nix has no %q", tt.old)
				}
				src = strings.Replace(src, tt.old, tt.with, 1)
			}
			if strings.HasSuffix(tt.name, "an outputs argument") {
				src = strings.Replace(src, "home-manager, ... }", "home-manager, sops-nix, ... }", 1)
			}
			dir := t.TempDir()
			for name, data := range map[string]string{"flake.nix": src, "flake.lock": string(lock)} {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			fl, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			if got := fl.StaleLock(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("StaleLock() = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestStaleLockAfterPlan checks every corpus flake twice: as it is, its
// lock reflects its flake.nix; with the flake.nix the plan writes and the
// old lock, the lock is stale exactly when the plan adds a follows or an
// input, and then names each follows it adds.
func TestStaleLockAfterPlan(t *testing.T) {
	for _, lockPath := range testenv.CorpusFiles(t, "flake.lock") {
		dir := filepath.Dir(lockPath)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			fl, err := Load(dir)
			if err != nil {
				t.Skip(err) // not a flake Load reads; TestLoad* cover those
			}
			if fl.Inputs == nil {
				if got := fl.StaleLock(); got != nil {
					t.Fatalf("StaleLock() without modelled inputs = %q, want nil", got)
				}
				return
			}
			if got := fl.StaleLock(); got != nil {
				t.Fatalf("StaleLock() as committed = %q, want nil", got)
			}
			out, err := fl.Plan(Options{})
			if err != nil {
				t.Fatal(err)
			}
			out.Edit()
			if out.Manual != nil {
				return
			}
			tmp := t.TempDir()
			if err := os.WriteFile(filepath.Join(tmp, "flake.nix"), out.NewNix, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(tmp, "flake.lock"), []byte(fl.LockSrc), 0o644); err != nil {
				t.Fatal(err)
			}
			edited, err := Load(tmp)
			if err != nil {
				t.Fatal(err)
			}
			got := edited.StaleLock()
			if len(out.Edits) == 0 {
				if got != nil {
					t.Fatalf("no edits, StaleLock() = %q", got)
				}
				return
			}
			if got == nil {
				t.Fatalf("%d edits, StaleLock() = nil", len(out.Edits))
			}
			joined := strings.Join(got, "\n")
			for _, f := range out.Result.Follows {
				if want := followsAttr(f.Input) + " = \"" + strings.Join(f.Target, "/") + "\" is not in flake.lock"; !strings.Contains(joined, want) {
					t.Errorf("StaleLock() lacks %q:\n%s", want, joined)
				}
			}
		})
	}
}
