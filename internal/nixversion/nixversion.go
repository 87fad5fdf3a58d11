// Package nixversion says which Nix will lock a flake, because which follows
// edits Nix accepts depends on it (see ../shared/NIX-NOTES.md, "Which Nix the
// edits must work on"): overrides deeper than two levels need CppNix 2.30 or
// Lix 2.90, and a follows whose target runs through another follows needs
// CppNix 2.18 (every Lix has it: Lix forked from CppNix 2.18).
//
// Callers ask v.Supports(feature) rather than compare numbers, because Lix
// and CppNix number their releases independently.
package nixversion

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// Implementation is the Nix implementation a version number belongs to.
type Implementation uint8

const (
	// CppNix is NixOS/nix and the distributions built on it (Determinate
	// Nix reports the CppNix version it is based on). It is the zero value.
	CppNix Implementation = iota
	// Lix is the Lix fork (https://lix.systems), numbered from 2.90.
	Lix
)

// Version is a release of Nix or Lix as major.minor; patch levels never
// change what Nix accepts in a lock, so they are not kept. The zero Impl is
// CppNix, so Version{Major: 2, Minor: 18} is Nix 2.18.
type Version struct {
	Major, Minor int
	// Impl says whose numbering Major and Minor are.
	Impl Implementation
}

// Feature is a lock-file behaviour that only some Nix versions have.
type Feature uint8

const (
	// FeatureFollowsThroughFollows is resolving a follows whose target path
	// runs through another follows (CppNix commit 1ef8008ca7, in 2.18).
	FeatureFollowsThroughFollows Feature = iota + 1
	// FeatureDeepOverrides is honouring overrides deeper than two levels
	// (inputs.A.inputs.B.inputs.C.follows; NixOS/nix#5790): CppNix 2.30
	// (NixOS/nix#13400), Lix 2.90 ("Fix nested flake input follows",
	// NixOS/nix#6621, Lix cl/994).
	FeatureDeepOverrides
)

// features are the first version of each implementation with a feature.
var features = map[Feature]struct {
	cppNix, lix Version
	name        string
}{
	FeatureFollowsThroughFollows: {Version{2, 18, CppNix}, Version{0, 0, Lix}, "follows through follows"},
	FeatureDeepOverrides:         {Version{2, 30, CppNix}, Version{2, 90, Lix}, "overrides deeper than two levels"},
}

// String names the feature ("overrides deeper than two levels").
func (f Feature) String() string {
	if d, ok := features[f]; ok {
		return d.name
	}
	return "Feature(" + strconv.Itoa(int(f)) + ")"
}

// Thresholds that decide which edits a CppNix version can lock; for Lix,
// see Supports. Comparing any version against them with AtLeast keeps its
// meaning for Lix too (see AtLeast).
var (
	// FollowsThroughFollows is the first CppNix that resolves a follows
	// whose target path runs through another follows.
	FollowsThroughFollows = Version{Major: 2, Minor: 18}
	// DeepOverrides is the first CppNix that honours overrides deeper than
	// two levels.
	DeepOverrides = Version{Major: 2, Minor: 30}
	// Default is assumed when neither a flag, the config file nor a nix on
	// PATH says otherwise: the oldest version that current distributions'
	// users are likely to run with flakes.
	Default = Version{Major: 2, Minor: 18}
)

// Needs returns the first version of impl that has f.
func (f Feature) Needs(impl Implementation) Version {
	d := features[f]
	if impl == Lix {
		return d.lix
	}
	return d.cppNix
}

// Supports reports whether v has the feature.
func (v Version) Supports(f Feature) bool {
	if _, ok := features[f]; !ok {
		return false
	}
	return v.numberAtLeast(f.Needs(v.Impl))
}

// String formats v as "2.18" for CppNix and "Lix 2.93" for Lix.
func (v Version) String() string {
	if v.Impl == Lix {
		return fmt.Sprintf("Lix %d.%d", v.Major, v.Minor)
	}
	return fmt.Sprintf("%d.%d", v.Major, v.Minor)
}

// Name formats v for a sentence: "Nix 2.18", "Lix 2.93".
func (v Version) Name() string {
	if v.Impl == Lix {
		return v.String()
	}
	return "Nix " + v.String()
}

// AtLeast reports whether v is o or newer. Between versions of one
// implementation it compares the numbers; across implementations it
// reports whether v has every feature o has (so Lix 2.91 is "at least"
// DeepOverrides, CppNix 2.30, and Lix 2.89 is not).
func (v Version) AtLeast(o Version) bool {
	if v.Impl == o.Impl {
		return v.numberAtLeast(o)
	}
	for f := range features {
		if o.Supports(f) && !v.Supports(f) {
			return false
		}
	}
	return true
}

func (v Version) numberAtLeast(o Version) bool {
	return v.Major > o.Major || (v.Major == o.Major && v.Minor >= o.Minor)
}

// Parse reads a version as a user writes it: "2.18", "2.18.1" (the patch
// is ignored), "v2.18", a pre-release "2.30.0pre20250101" or "2.30pre"
// (counted as that release), and for Lix "lix-2.93", "lix2.93" or
// "Lix 2.93" (any case). The error names the value, not where it came
// from; Choose adds that.
func Parse(s string) (Version, error) {
	t := strings.TrimSpace(s)
	var impl Implementation
	if len(t) >= 3 && strings.EqualFold(t[:3], "lix") {
		impl = Lix
		t = strings.TrimLeft(t[3:], " -")
	}
	t = strings.TrimPrefix(t, "v")
	parts := strings.Split(t, ".")
	bad := fmt.Errorf("%q: want MAJOR.MINOR, e.g. 2.18 or 2.18.1, or lix-MAJOR.MINOR for Lix, e.g. lix-2.93", s)
	if len(parts) < 2 || len(parts) > 3 {
		return Version{}, bad
	}
	var nums [3]int
	for i, p := range parts {
		// A pre-release suffix ("2.25.0pre20241101_dirty", "2.30pre",
		// "2.90.0-lixpre2024") can only end the version.
		if i == len(parts)-1 && i > 0 {
			digits := leadingDigits(p)
			rest := p[len(digits):]
			if digits == "" || rest != "" && i == 1 && !strings.HasPrefix(rest, "pre") {
				return Version{}, bad
			}
			p = digits
		}
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || p == "" {
			return Version{}, bad
		}
		nums[i] = n
	}
	return Version{nums[0], nums[1], impl}, nil
}

// leadingDigits returns the digits s starts with ("" when none).
func leadingDigits(s string) string {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i]
}

// FromNixVersionOutput reads the first line printed by `nix --version`:
//
//	nix (Nix) 2.8.0                      -> 2.8
//	nix (Determinate Nix 3.4.1) 2.28.2   -> 2.28 (the Nix it is based on: the last field)
//	nix (Lix, like Nix) 2.91.0           -> Lix 2.91
func FromNixVersionOutput(out string) (Version, error) {
	line := strings.TrimSpace(strings.SplitN(out, "\n", 2)[0])
	fields := strings.Fields(line)
	if len(fields) < 2 || fields[0] != "nix" {
		return Version{}, fmt.Errorf("unrecognised `nix --version` output %q", line)
	}
	v, err := Parse(fields[len(fields)-1])
	if err != nil || v.Impl != CppNix {
		return Version{}, fmt.Errorf("unrecognised `nix --version` output %q", line)
	}
	if strings.Contains(line, "(Lix") {
		v.Impl = Lix
	}
	return v, nil
}

// Source says where a target version came from, for the report.
type Source string

// The places a target version can come from, in the order they are tried.
const (
	FromFlag    Source = "--nix-version"
	FromConfig  Source = "flakedup.toml"
	FromPath    Source = "nix --version"
	FromDefault Source = "default"
)

// Target is the Nix version edits are planned for, and where it came from.
type Target struct {
	Version Version `json:"-"`
	Source  Source  `json:"source"`
}

// Detect runs `nix --version` (with a short timeout) when nix is on PATH and
// returns the version it reports; ok is false when there is no usable nix.
// DetectCached avoids the run when a cache says what the same binary
// printed before.
func Detect(ctx context.Context) (v Version, ok bool) {
	path, err := exec.LookPath("nix")
	if err != nil {
		return Version{}, false
	}
	out, err := runVersion(ctx, path)
	if err != nil {
		return Version{}, false
	}
	v, err = FromNixVersionOutput(out)
	return v, err == nil
}

// runVersion runs `path --version` and returns its first line.
func runVersion(ctx context.Context, path string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "--version").Output()
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0]), nil
}

// Choose picks the target: the flag when given, else the config file's
// value, else the detected nix, else Default. flag and config are the raw
// strings ("" when unset); detect is called only when neither is set.
func Choose(flag, config string, detect func() (Version, bool)) (Target, error) {
	if flag != "" {
		v, err := Parse(flag)
		if err != nil {
			return Target{Source: FromFlag}, fmt.Errorf("--nix-version %w", err)
		}
		return Target{v, FromFlag}, nil
	}
	if config != "" {
		v, err := Parse(config)
		if err != nil {
			return Target{}, fmt.Errorf("%s: nix-version %w", FromConfig, err)
		}
		return Target{v, FromConfig}, nil
	}
	if detect != nil {
		if v, ok := detect(); ok {
			return Target{v, FromPath}, nil
		}
	}
	return Target{Default, FromDefault}, nil
}
