package nixversion

import (
	"testing"
)

// nix and lix build versions for the tables.
func nix(major, minor int) Version { return Version{Major: major, Minor: minor} }
func lix(major, minor int) Version { return Version{Major: major, Minor: minor, Impl: Lix} }

func TestFromNixVersionOutput(t *testing.T) {
	tests := []struct {
		out     string
		want    Version
		wantErr bool
	}{
		{"nix (Nix) 2.8.0\n", nix(2, 8), false},
		{"nix (Nix) 2.30.1", nix(2, 30), false},
		{"nix (Nix) 2.25.0pre20241101_dirty\n", nix(2, 25), false},
		{"nix (Determinate Nix 3.4.1) 2.28.2\n", nix(2, 28), false},
		{"nix (Lix, like Nix) 2.91.0\n", lix(2, 91), false},
		{"nix (Lix, like Nix) 2.93.3\nSystem type: x86_64-linux\n", lix(2, 93), false},
		{"nix (Lix, like Nix) 2.90.0-lixpre20240520-992c63f", lix(2, 90), false},
		{"", Version{}, true},
		{"bash: nix: command not found", Version{}, true},
		{"nix (Nix) two", Version{}, true},
		{"nix (Nix) lix-2.93", Version{}, true},
	}
	for _, tt := range tests {
		got, err := FromNixVersionOutput(tt.out)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("FromNixVersionOutput(%q) = %v, %v; want %v, err=%v", tt.out, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		want    Version
		wantErr bool
	}{
		{"2.18", nix(2, 18), false},
		{"2.18.1", nix(2, 18), false},
		{"2.8.0", nix(2, 8), false},
		{"v2.30", nix(2, 30), false},
		{" 2.24 ", nix(2, 24), false},
		{"2.30.0pre", nix(2, 30), false},
		{"2.30.0pre20250101_abc", nix(2, 30), false},
		{"2.30pre", nix(2, 30), false},
		{"2.30pre20250101", nix(2, 30), false},
		{"lix-2.93", lix(2, 93), false},
		{"lix2.91.1", lix(2, 91), false},
		{"Lix 2.90", lix(2, 90), false},
		{"LIX-2.92", lix(2, 92), false},
		{"2", Version{}, true},
		{"2.x", Version{}, true},
		{"2.18x", Version{}, true},
		{"2.18.1.4", Version{}, true},
		{"-1.2", Version{}, true},
		{"2..1", Version{}, true},
		{"lix", Version{}, true},
		{"latest", Version{}, true},
		{"", Version{}, true},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("Parse(%q) = %v, %v; want %v, err=%v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
	_, err := Parse("2.x")
	if want := `"2.x": want MAJOR.MINOR, e.g. 2.18 or 2.18.1, or lix-MAJOR.MINOR for Lix, e.g. lix-2.93`; err == nil || err.Error() != want {
		t.Errorf("Parse(2.x) error = %v, want %q", err, want)
	}
}

// TestSupports is the capability table: what each version can lock.
func TestSupports(t *testing.T) {
	tests := []struct {
		v               Version
		through, deeper bool
	}{
		{nix(2, 8), false, false},
		{nix(2, 17), false, false},
		{nix(2, 18), true, false},
		{nix(2, 29), true, false},
		{nix(2, 30), true, true},
		{nix(3, 0), true, true},
		// Lix forked from CppNix 2.18 and fixed nested overrides in its
		// first release, 2.90; a Lix numbered below (a pre-release as
		// someone may write it) keeps 2.18's semantics.
		{lix(2, 18), true, false},
		{lix(2, 89), true, false},
		{lix(2, 90), true, true},
		{lix(2, 93), true, true},
	}
	for _, tt := range tests {
		if got := tt.v.Supports(FeatureFollowsThroughFollows); got != tt.through {
			t.Errorf("%v.Supports(follows through follows) = %v, want %v", tt.v, got, tt.through)
		}
		if got := tt.v.Supports(FeatureDeepOverrides); got != tt.deeper {
			t.Errorf("%v.Supports(deep overrides) = %v, want %v", tt.v, got, tt.deeper)
		}
		// The thresholds that callers compare with keep their meaning.
		if got := tt.v.AtLeast(FollowsThroughFollows); got != tt.through {
			t.Errorf("%v.AtLeast(FollowsThroughFollows) = %v, want %v", tt.v, got, tt.through)
		}
		if got := tt.v.AtLeast(DeepOverrides); got != tt.deeper {
			t.Errorf("%v.AtLeast(DeepOverrides) = %v, want %v", tt.v, got, tt.deeper)
		}
	}
	if Feature(99).String() != "Feature(99)" || nix(9, 9).Supports(Feature(99)) {
		t.Error("an unknown feature is not supported and says what it is")
	}
	if FeatureDeepOverrides.Needs(Lix) != lix(2, 90) || FeatureDeepOverrides.Needs(CppNix) != DeepOverrides {
		t.Error("Needs does not match the thresholds")
	}
}

func TestAtLeast(t *testing.T) {
	tests := []struct {
		v, o Version
		want bool
	}{
		{nix(2, 8), nix(2, 8), true},
		{nix(2, 8), nix(2, 18), false},
		{nix(3, 0), nix(2, 30), true},
		{nix(2, 29), nix(2, 30), false},
		{lix(2, 93), lix(2, 91), true},
		{lix(2, 90), lix(2, 91), false},
		{lix(2, 91), nix(2, 30), true},
		{lix(2, 89), nix(2, 30), false},
		{nix(2, 29), lix(2, 90), false},
		{nix(2, 30), lix(2, 90), true},
		{nix(2, 18), lix(2, 18), true},
	}
	for _, tt := range tests {
		if got := tt.v.AtLeast(tt.o); got != tt.want {
			t.Errorf("%v.AtLeast(%v) = %v, want %v", tt.v, tt.o, got, tt.want)
		}
	}
}

func TestStringAndName(t *testing.T) {
	for v, want := range map[Version][2]string{
		nix(2, 8):     {"2.8", "Nix 2.8"},
		nix(2, 30):    {"2.30", "Nix 2.30"},
		lix(2, 93):    {"Lix 2.93", "Lix 2.93"},
		DeepOverrides: {"2.30", "Nix 2.30"},
	} {
		if got := [2]string{v.String(), v.Name()}; got != want {
			t.Errorf("%#v: String, Name = %q, want %q", v, got, want)
		}
	}
	if got := FeatureDeepOverrides.String(); got != "overrides deeper than two levels" {
		t.Errorf("FeatureDeepOverrides.String() = %q", got)
	}
}

func TestChoose(t *testing.T) {
	detected := func() (Version, bool) { return nix(2, 8), true }
	none := func() (Version, bool) { return Version{}, false }
	tests := []struct {
		name         string
		flag, config string
		detect       func() (Version, bool)
		want         Target
		wantErr      string
	}{
		{"flag wins", "2.30", "2.18", detected, Target{nix(2, 30), FromFlag}, ""},
		{"flag with a patch", "2.18.1", "", detected, Target{nix(2, 18), FromFlag}, ""},
		{"flag for Lix", "lix-2.93", "", detected, Target{lix(2, 93), FromFlag}, ""},
		{"config before nix", "", "2.24", detected, Target{nix(2, 24), FromConfig}, ""},
		{"nix on PATH", "", "", detected, Target{nix(2, 8), FromPath}, ""},
		{"default", "", "", none, Target{Default, FromDefault}, ""},
		{"bad flag", "latest", "", detected, Target{Source: FromFlag},
			`--nix-version "latest": want MAJOR.MINOR, e.g. 2.18 or 2.18.1, or lix-MAJOR.MINOR for Lix, e.g. lix-2.93`},
		{"bad config", "", "2", detected, Target{},
			`flakedup.toml: nix-version "2": want MAJOR.MINOR, e.g. 2.18 or 2.18.1, or lix-MAJOR.MINOR for Lix, e.g. lix-2.93`},
	}
	for _, tt := range tests {
		got, err := Choose(tt.flag, tt.config, tt.detect)
		gotErr := ""
		if err != nil {
			gotErr = err.Error()
		}
		if gotErr != tt.wantErr || got != tt.want {
			t.Errorf("%s: Choose = %+v, %q; want %+v, %q", tt.name, got, gotErr, tt.want, tt.wantErr)
		}
	}
	for _, given := range [][2]string{{"2.18", ""}, {"", "2.18"}} {
		var called bool
		_, _ = Choose(given[0], given[1], func() (Version, bool) { called = true; return Version{}, false })
		if called {
			t.Errorf("Choose(%q, %q) ran nix although the version was given", given[0], given[1])
		}
	}
}
