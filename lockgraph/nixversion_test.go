package lockgraph

import (
	"errors"
	"os"
	"reflect"
	"testing"

	"github.com/flakedup/flakedup/internal/nixversion"
)

// readPlanLock loads the flake.lock of a plan fixture.
func readPlanLock(t *testing.T, name string) *Graph {
	t.Helper()
	data, err := os.ReadFile("../fixtures/plan/" + name + "/flake.lock")
	if err != nil {
		t.Fatal(err)
	}
	return loadLock(t, data)
}

// sideFollowsLock has root inputs X and Y, where Y's own X follows the
// root's X: a follows target written through Y/X runs through a follows.
const sideFollowsLock = `{
  "nodes": {
    "X": {"inputs": {"nixpkgs": "nixpkgs"}, "locked": {"type": "path", "path": "/x", "narHash": "sha256-x"}, "original": {"type": "path", "path": "/x"}},
    "Y": {"inputs": {"X": ["X"], "nixpkgs": "nixpkgs_2"}, "locked": {"type": "path", "path": "/y", "narHash": "sha256-y"}, "original": {"type": "path", "path": "/y"}},
    "nixpkgs": {"locked": {"type": "path", "path": "/n1", "narHash": "sha256-1"}, "original": {"type": "path", "path": "/n1"}},
    "nixpkgs_2": {"locked": {"type": "path", "path": "/n2", "narHash": "sha256-2"}, "original": {"type": "path", "path": "/n2"}},
    "root": {"inputs": {"X": "X", "Y": "Y"}}
  },
  "root": "root",
  "version": 7
}`

func TestFollowsThroughFollows(t *testing.T) {
	tests := []struct {
		name    string
		lock    *Graph
		follows []Follows
		want    [][]string
	}{
		{"a dependency's follows through a declared follows", readPlanLock(t, "already-through-follows-nix2.8"), nil,
			[][]string{{"D", "nixpkgs"}}},
		{"a dependency's follows through a direct edge", readPlanLock(t, "collapse-under-follows-nix2.8"), nil, nil},
		{"collapsing the intermediate it runs through", readPlanLock(t, "collapse-under-follows-nix2.8"),
			[]Follows{{Input: []string{"D", "B"}, Target: []string{"B"}}},
			[][]string{{"D", "E", "nixpkgs"}}},
		{"a chain: the target's last segment is a follows", readPlanLock(t, "collapse-under-follows-nix2.8"),
			[]Follows{{Input: []string{"B", "nixpkgs"}, Target: []string{"D", "E", "nixpkgs"}}}, nil},
		{"a follows of the root flake itself", readPlanLock(t, "flat"),
			[]Follows{{Input: []string{"A", "nixpkgs"}, Target: []string{}}}, nil},
		{"a target through a follows", loadLock(t, []byte(sideFollowsLock)),
			[]Follows{{Input: []string{"Y", "nixpkgs"}, Target: []string{"Y", "X", "nixpkgs"}}},
			[][]string{{"Y", "nixpkgs"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := Predict(tt.lock, tt.follows)
			if err != nil {
				t.Fatal(err)
			}
			if got := FollowsThroughFollows(g); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("FollowsThroughFollows = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestPlannerApplyTarget checks the check behind every step of Plan: below
// Nix 2.18 a follows whose target runs through a follows is refused, with
// the version it needs; from 2.18 on it is accepted.
func TestPlannerApplyTarget(t *testing.T) {
	g := loadLock(t, []byte(sideFollowsLock))
	f := Follows{Input: []string{"Y", "nixpkgs"}, Target: []string{"Y", "X", "nixpkgs"}}
	tests := []struct {
		nix  nixversion.Version
		want string
	}{
		{nixversion.Version{Major: 2, Minor: 8}, "input 'Y/nixpkgs' follows 'Y/X/nixpkgs' through the follows 'Y/X', which needs Nix ≥ 2.18"},
		{nixversion.Version{Major: 2, Minor: 17}, "input 'Y/nixpkgs' follows 'Y/X/nixpkgs' through the follows 'Y/X', which needs Nix ≥ 2.18"},
		{nixversion.Version{Major: 2, Minor: 18}, ""},
		{nixversion.Version{Major: 2, Minor: 30}, ""},
	}
	for _, tt := range tests {
		pl := planner{nix: tt.nix}
		_, err := pl.apply(g, nil, []Follows{f})
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("Nix %s: apply(%s) = %q, want %q", tt.nix, f, got, tt.want)
		}
	}
}

func TestPlanDeepNeedsNix(t *testing.T) {
	g := readPlanLock(t, "deep")
	tests := []struct {
		nix     nixversion.Version
		wantErr string
	}{
		{nixversion.Version{}, "--deep needs Nix >= 2.30 (target is 2.18)"},
		{nixversion.Version{Major: 2, Minor: 8}, "--deep needs Nix >= 2.30 (target is 2.8)"},
		{nixversion.Version{Major: 2, Minor: 29}, "--deep needs Nix >= 2.30 (target is 2.29)"},
		{nixversion.Version{Major: 2, Minor: 30}, ""},
		{nixversion.Version{Major: 3, Minor: 0}, ""},
	}
	for _, tt := range tests {
		res, err := Plan(g, nil, Policy{Deep: true, Nix: tt.nix})
		if tt.wantErr == "" {
			if err != nil {
				t.Errorf("Nix %s: %v", tt.nix, err)
			} else if len(res.Follows) != 2 {
				t.Errorf("Nix %s: %d follows, want 2", tt.nix, len(res.Follows))
			}
			continue
		}
		var tooOld *NixTooOldError
		if !errors.As(err, &tooOld) || err.Error() != tt.wantErr {
			t.Errorf("Nix %s: err = %v, want a *NixTooOldError %q", tt.nix, err, tt.wantErr)
			continue
		}
		if tooOld.Needs != nixversion.DeepOverrides || tooOld.Feature != "--deep" {
			t.Errorf("Nix %s: %+v", tt.nix, *tooOld)
		}
	}
}
