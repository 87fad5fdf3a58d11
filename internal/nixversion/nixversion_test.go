package nixversion

import (
	"testing"
)

func TestFromNixVersionOutput(t *testing.T) {
	tests := []struct {
		out     string
		want    Version
		wantErr bool
	}{
		{"nix (Nix) 2.8.0\n", Version{2, 8}, false},
		{"nix (Nix) 2.30.1", Version{2, 30}, false},
		{"nix (Nix) 2.25.0pre20241101_dirty\n", Version{2, 25}, false},
		{"nix (Determinate Nix 3.4.1) 2.28.2\n", Version{2, 28}, false},
		{"nix (Lix, like Nix) 2.91.0\n", Version{2, 18}, false},
		{"nix (Lix, like Nix) 2.93.3\nSystem type: x86_64-linux\n", Version{2, 18}, false},
		{"", Version{}, true},
		{"bash: nix: command not found", Version{}, true},
		{"nix (Nix) two", Version{}, true},
	}
	for _, tt := range tests {
		got, err := FromNixVersionOutput(tt.out)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("FromNixVersionOutput(%q) = %v, %v; want %v, err=%v", tt.out, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestParseAndCompare(t *testing.T) {
	tests := []struct {
		in      string
		want    Version
		wantErr bool
	}{
		{"2.18", Version{2, 18}, false},
		{"2.8.0", Version{2, 8}, false},
		{"v2.30", Version{2, 30}, false},
		{"2", Version{}, true},
		{"2.x", Version{}, true},
		{"2.18.1.4", Version{}, true},
		{"-1.2", Version{}, true},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("Parse(%q) = %v, %v; want %v, err=%v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
	if !(Version{2, 8}).AtLeast(Version{2, 8}) || (Version{2, 8}).AtLeast(FollowsThroughFollows) ||
		!(Version{3, 0}).AtLeast(DeepOverrides) || (Version{2, 29}).AtLeast(DeepOverrides) {
		t.Error("AtLeast ordering is wrong")
	}
	if got := (Version{2, 8}).String(); got != "2.8" {
		t.Errorf("String() = %q", got)
	}
}

func TestChoose(t *testing.T) {
	detected := func() (Version, bool) { return Version{2, 8}, true }
	none := func() (Version, bool) { return Version{}, false }
	tests := []struct {
		name         string
		flag, config string
		detect       func() (Version, bool)
		want         Target
		wantErr      bool
	}{
		{"flag wins", "2.30", "2.18", detected, Target{Version{2, 30}, FromFlag}, false},
		{"config before nix", "", "2.24", detected, Target{Version{2, 24}, FromConfig}, false},
		{"nix on PATH", "", "", detected, Target{Version{2, 8}, FromPath}, false},
		{"default", "", "", none, Target{Default, FromDefault}, false},
		{"bad flag", "latest", "", detected, Target{Version{}, FromFlag}, true},
		{"bad config", "", "2", detected, Target{}, true},
	}
	for _, tt := range tests {
		got, err := Choose(tt.flag, tt.config, tt.detect)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("%s: Choose = %+v, %v; want %+v, err=%v", tt.name, got, err, tt.want, tt.wantErr)
		}
	}
	var called bool
	_, _ = Choose("2.18", "", func() (Version, bool) { called = true; return Version{}, false })
	if called {
		t.Error("Choose ran nix although --nix-version was given")
	}
}
