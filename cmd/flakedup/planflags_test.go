package main

import "testing"

func TestShellWord(t *testing.T) {
	tests := []struct{ in, want string }{
		{"hyprland", "hyprland"},
		{"a/nixpkgs", "a/nixpkgs"},
		{"2.18", "2.18"},
		{"", "''"},
		{"two words", "'two words'"},
		{"it's", `'it'\''s'`},
		{"$HOME", "'$HOME'"},
	}
	for _, tt := range tests {
		if got := shellWord(tt.in); got != tt.want {
			t.Errorf("shellWord(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// TestPlanFlagsShared: check and analyze take every planning flag fix has,
// so that a gate can be run with fix's policy.
func TestPlanFlagsShared(t *testing.T) {
	app := newApp(&env{})
	has := func(cmd, flag string) bool {
		for _, n := range commandFlags(app, cmd) {
			if n == flag {
				return true
			}
		}
		return false
	}
	for _, f := range planFlags() {
		name := f.Names()[0]
		for _, cmd := range []string{"fix", "check", "analyze"} {
			if !has(cmd, name) {
				t.Errorf("%s has no --%s", cmd, name)
			}
		}
	}
}
