package suggest

import (
	"reflect"
	"testing"
)

func TestDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"a", "", 1}, {"", "abc", 3}, {"nixpkgs", "nixpkgs", 0},
		{"nixpkgz", "nixpkgs", 1}, {"kitten", "sitting", 3}, {"flake-parts", "flake-utils", 4},
		{"fxi", "fix", 1}, {"nixpgks", "nixpkgs", 1}, {"ab", "ba", 1}, {"abc", "ca", 3},
	} {
		if got := Distance(tt.a, tt.b); got != tt.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestClosest(t *testing.T) {
	names := []string{"nixpkgs", "nixpkgs-stable", "home-manager", "Nixpkgs", "", "nixpkgs"}
	for _, tt := range []struct {
		s    string
		n    int
		want []string
	}{
		{"nixpkgz", 3, []string{"Nixpkgs", "nixpkgs"}}, // case ignored, ties in byte order
		{"NIXPKGS", 1, []string{"Nixpkgs"}},            // a case-only difference is distance 0
		{"home-manger", 2, []string{"home-manager"}},   // 1 edit
		{"hm", 3, nil}, // too far for a short name
		{"nixpkgs-stabel", 1, []string{"nixpkgs-stable"}}, // 2 edits of 14 letters
		{"xyz", 5, nil},
		{"b", 3, nil},  // one letter: no guess
		{"bb", 3, nil}, // half the letters changed
		{"nu", 1, nil},
	} {
		if got := Closest(tt.s, names, tt.n); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Closest(%q, %d) = %q, want %q", tt.s, tt.n, got, tt.want)
		}
	}
	if got := Best("analyz", []string{"analyze", "check", "fix"}); got != "analyze" {
		t.Errorf("Best = %q", got)
	}
	if got := Best("zzz", []string{"analyze"}); got != "" {
		t.Errorf("Best = %q, want none", got)
	}
}

// TestBestInputNames is the table the follows check of rewrite suggests
// root inputs by ("no input \"nixpkgz\" (did you mean \"nixpkgs\"?)").
func TestBestInputNames(t *testing.T) {
	names := []string{"flake-utils", "home-manager", "nixpkgs", "nixpkgs-stable", "nur"}
	cases := map[string]string{
		"nixpkgz": "nixpkgs", "nixpgks": "nixpkgs", "nixpkgs-stabel": "nixpkgs-stable",
		"flake-util": "flake-utils", "nu": "nur", "x": "", "home": "", "nixos": "",
	}
	for in, want := range cases {
		if got := Best(in, names); got != want {
			t.Errorf("Best(%q) = %q, want %q", in, got, want)
		}
	}
}
