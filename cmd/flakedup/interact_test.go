package main

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/flakedup/flakedup/internal/flake"
	"github.com/flakedup/flakedup/internal/savings"
)

func TestColorDiff(t *testing.T) {
	diff := "--- a/flake.nix\n+++ b/flake.nix\n@@ -1,2 +1,3 @@\n a\n-b\n+c\n"
	if got := colorDiff(diff, palette{}); got != diff {
		t.Errorf("colour off changed the diff: %q", got)
	}
	want := "\x1b[1m--- a/flake.nix\x1b[0m\n\x1b[1m+++ b/flake.nix\x1b[0m\n\x1b[36m@@ -1,2 +1,3 @@\x1b[0m\n a\n\x1b[31m-b\x1b[0m\n\x1b[32m+c\x1b[0m\n"
	if got := colorDiff(diff, palette{on: true}); got != want {
		t.Errorf("colorDiff =\n%q\nwant\n%q", got, want)
	}
}

func TestAsk(t *testing.T) {
	qs := []question{
		{What: "a/nixpkgs -> nixpkgs", Line: `inputs.a.inputs.nixpkgs.follows = "nixpkgs";`, Why: "same branch"},
		{What: "b/nixpkgs -> nixpkgs", Line: `inputs.b.inputs.nixpkgs.follows = "nixpkgs";`},
		{What: "c/nixpkgs -> nixpkgs", Line: `inputs.c.inputs.nixpkgs.follows = "nixpkgs";`},
	}
	tests := []struct {
		input string
		want  []bool
		asked int // prompts printed
	}{
		{"y\nn\ny\n", []bool{true, false, true}, 3},
		{"n\na\n", []bool{false, true, true}, 2},
		{"y\nq\n", []bool{true, false, false}, 2},
		{"", []bool{false, false, false}, 1},                    // end of input: nothing more
		{"y\n", []bool{true, false, false}, 2},                  // input ends at the second question
		{"maybe\n\nY\nyes\nNO\n", []bool{true, true, false}, 5}, // unclear answers ask again
		{"y", []bool{true, false, false}, 2},                    // last line without newline still counts
	}
	for _, tt := range tests {
		var out bytes.Buffer
		got, err := ask(strings.NewReader(tt.input), &out, qs, palette{})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ask(%q) = %v, want %v", tt.input, got, tt.want)
		}
		if n := strings.Count(out.String(), "Add this follows? [y,n,a,q] "); n != tt.asked {
			t.Errorf("ask(%q): %d prompts, want %d:\n%s", tt.input, n, tt.asked, out.String())
		}
	}
	var out bytes.Buffer
	ask(strings.NewReader("n\n"), &out, qs[:1], palette{})
	want := "a/nixpkgs -> nixpkgs (1 of 1)\n  + inputs.a.inputs.nixpkgs.follows = \"nixpkgs\";\n  why: same branch\nAdd this follows? [y,n,a,q] "
	if out.String() != want {
		t.Errorf("prompt =\n%q\nwant\n%q", out.String(), want)
	}
}

// TestFixTextColoursTheDiff checks that fix's summary colours its diff
// exactly as colorDiff does when colour is on, and leaves it plain off.
func TestFixTextColoursTheDiff(t *testing.T) {
	fl, err := flake.Load("../../fixtures/fix/only-one-input")
	if err != nil {
		t.Fatal(err)
	}
	out, err := fl.Plan(flake.Options{})
	if err != nil {
		t.Fatal(err)
	}
	out.Edit()
	if out.Diff == "" {
		t.Fatal("no diff")
	}
	for _, on := range []bool{false, true} {
		var b strings.Builder
		if err := writeFixText(&b, out, fixSettings{}, savings.Savings{}, palette{on: on}); err != nil {
			t.Fatal(err)
		}
		want := colorDiff(out.Diff, palette{on: on}) + "\n"
		if !strings.HasPrefix(b.String(), want) {
			t.Errorf("colour %v: output does not start with the diff:\n%q", on, b.String())
		}
		if got := strings.Contains(b.String(), "\x1b[32m+    home.inputs.nixpkgs.follows"); got != on {
			t.Errorf("colour %v: added line green = %v", on, got)
		}
	}
}
